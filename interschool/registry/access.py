"""Access helpers of the registry: schools and their profiles, imports, column mappings, settings.

Every member sees the registry; researchers see it pseudonymised (see ``pseudonymous``). Network
administrators and coordinators import; only administrators revert imports and change the settings.
A school's strengths and needs are edited by that school's leaders and by network administrators.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from interschool.core.access import (
    AnyUser,
    network_membership_for_user,
    organisation_list_for_user,
    require_role,
)
from interschool.core.models import Membership, Organisation, Role
from interschool.registry.models import ColumnMapping, Import

CAN_IMPORT = frozenset({Role.ADMIN, Role.COORDINATOR})
CAN_REVERT_IMPORTS = frozenset({Role.ADMIN})
CAN_CHANGE_SETTINGS = frozenset({Role.ADMIN})
CAN_SEE_SETTINGS = frozenset({Role.ADMIN, Role.COORDINATOR})
PSEUDONYMISED = frozenset({Role.RESEARCHER})
# Coordinates shown to researchers are rounded to this many decimal places (0.1° ≈ 11 km).
COARSE_DECIMALS = 1


def pseudonymous(membership: Membership) -> bool:
    return membership.role in PSEUDONYMISED


def pseudonym(network_id: int, organisation_id: int) -> str:
    """A stable code for an organisation that reveals neither its name nor its identifiers."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"registry:{network_id}:{organisation_id}".encode(), hashlib.sha256
    ).hexdigest()
    return f"ORG-{digest[:8].upper()}"


def coarse(value: float | None) -> float | None:
    return None if value is None else round(value, COARSE_DECIMALS)


def school_list_for_user(user: AnyUser, slug: str) -> tuple[Membership, QuerySet[Organisation]]:
    return organisation_list_for_user(user, slug)


def school_get_for_user(
    user: AnyUser, slug: str, pk: int, *, edit_profile: bool = False, with_settings: bool = False
) -> tuple[Membership, Organisation]:
    """The organisation with its classification (``with_settings``: and the registry settings), one query."""
    membership = network_membership_for_user(user, slug)
    related = ["network", "classification__indicator"]
    if with_settings:
        related.append("network__registry_settings")
    organisation = (
        Organisation.objects.filter(network=membership.network, pk=pk).select_related(*related).first()
    )
    if organisation is None:
        raise Http404
    if edit_profile and not can_edit_profile(membership, organisation):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    return membership, organisation


def can_edit_profile(membership: Membership, organisation: Organisation) -> bool:
    if membership.role == Role.ADMIN:
        return True
    return membership.role == Role.SCHOOL_LEADER and membership.organisation_id == organisation.pk


def import_list_for_user(user: AnyUser, slug: str) -> tuple[Membership, QuerySet[Import]]:
    membership = network_membership_for_user(user, slug)
    require_role(membership, CAN_IMPORT)
    return membership, Import.objects.filter(network=membership.network).select_related("user")


def import_get_for_user(
    user: AnyUser, slug: str, pk: int, *, revert: bool = False
) -> tuple[Membership, Import]:
    membership = network_membership_for_user(user, slug)
    run = Import.objects.filter(network=membership.network, pk=pk).select_related("user", "progress").first()
    if run is None:
        raise Http404
    require_role(membership, CAN_REVERT_IMPORTS if revert else CAN_IMPORT)
    return membership, run


def mapping_list_for_user(user: AnyUser, slug: str) -> tuple[Membership, QuerySet[ColumnMapping]]:
    membership = network_membership_for_user(user, slug)
    require_role(membership, CAN_IMPORT)
    return membership, ColumnMapping.objects.filter(network=membership.network)


def settings_for_user(user: AnyUser, slug: str, *, change: bool = False) -> Membership:
    membership = network_membership_for_user(user, slug)
    require_role(membership, CAN_CHANGE_SETTINGS if change else CAN_SEE_SETTINGS)
    return membership
