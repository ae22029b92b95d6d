"""Access helpers: one per resource, used by every view and API route.

An object of a network the user is not an active member of does not exist for them: it is a 404, never
a 403, and it never appears in lists, counts, search or exports. A role that may see a resource but not
change it gets a 403 when it tries to change it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from interschool.core.models import (
    ApiToken,
    AuditEntry,
    Invitation,
    Membership,
    Network,
    Notification,
    Organisation,
    Progress,
    Role,
    User,
)

ALL_ROLES = frozenset(Role.values)
# Who may do what. Domain apps keep their own tables next to their access helpers.
CAN_SEE_MEMBERS = frozenset({Role.ADMIN, Role.COORDINATOR, Role.SCHOOL_LEADER})
CAN_MANAGE_MEMBERS = frozenset({Role.ADMIN})
CAN_CHANGE_ORGANISATIONS = frozenset({Role.ADMIN})
CAN_READ_AUDIT = frozenset({Role.ADMIN})

AnyUser = User | AnonymousUser


def _active_user(user: AnyUser) -> User:
    if not isinstance(user, User) or not user.is_active:
        raise Http404
    return user


def memberships_for_user(user: AnyUser) -> QuerySet[Membership]:
    if not isinstance(user, User) or not user.is_active:
        return Membership.objects.none()
    return Membership.objects.filter(user=user, is_active=True).select_related("network", "organisation")


# Attribute of a request's user holding its memberships, loaded once per request (see remember_memberships).
_MEMBERSHIPS = "_interschool_memberships"


def remember_memberships(user: AnyUser) -> list[Membership]:
    """Load the user's active memberships once for the current request (one query).

    Called by ``CurrentNetworkMiddleware`` on the request's own user object, which lives only as long as
    the request: the access helpers and the navigation then read the list instead of querying again.
    """
    memberships = list(memberships_for_user(user).order_by("network__name"))
    if isinstance(user, User):
        setattr(user, _MEMBERSHIPS, memberships)
    return memberships


def remembered_memberships(user: AnyUser) -> list[Membership] | None:
    """The memberships ``remember_memberships`` loaded for this request's user, or None."""
    return getattr(user, _MEMBERSHIPS, None) if isinstance(user, User) else None


def network_membership_for_user(user: AnyUser, slug: str) -> Membership:
    """The user's active membership in the network ``slug``; 404 if there is none."""
    remembered = remembered_memberships(user)
    if remembered is not None:
        membership = next((m for m in remembered if m.network.slug == slug), None)
    else:
        membership = memberships_for_user(user).filter(network__slug=slug).first()
    if membership is None:
        raise Http404
    return membership


def require_role(membership: Membership, roles: Iterable[str]) -> None:
    if membership.role not in set(roles):
        raise PermissionDenied


def organisation_list_for_user(user: AnyUser, slug: str) -> tuple[Membership, QuerySet[Organisation]]:
    membership = network_membership_for_user(user, slug)
    return membership, Organisation.objects.filter(network=membership.network)


def organisation_get_for_user(
    user: AnyUser, slug: str, pk: int, *, change: bool = False
) -> tuple[Membership, Organisation]:
    membership, organisations = organisation_list_for_user(user, slug)
    organisation = organisations.filter(pk=pk).first()
    if organisation is None:
        raise Http404
    if change:
        require_role(membership, CAN_CHANGE_ORGANISATIONS)
    return membership, organisation


def member_list_for_user(
    user: AnyUser, slug: str, *, manage: bool = False
) -> tuple[Membership, QuerySet[Membership]]:
    membership = network_membership_for_user(user, slug)
    require_role(membership, CAN_MANAGE_MEMBERS if manage else CAN_SEE_MEMBERS)
    members = Membership.objects.filter(network=membership.network).select_related("user", "organisation")
    return membership, members


def member_get_for_user(
    user: AnyUser, slug: str, pk: int, *, manage: bool = False
) -> tuple[Membership, Membership]:
    membership = network_membership_for_user(user, slug)
    member = (
        Membership.objects.filter(network=membership.network, pk=pk)
        .select_related("user", "organisation")
        .first()
    )
    if member is None:
        raise Http404
    require_role(membership, CAN_MANAGE_MEMBERS if manage else CAN_SEE_MEMBERS)
    return membership, member


def invitation_get_for_user(user: AnyUser, slug: str, pk: int) -> tuple[Membership, Invitation]:
    membership = network_membership_for_user(user, slug)
    invitation = Invitation.objects.filter(network=membership.network, pk=pk).first()
    if invitation is None:
        raise Http404
    require_role(membership, CAN_MANAGE_MEMBERS)
    return membership, invitation


def audit_list_for_user(user: AnyUser, slug: str) -> tuple[Membership, QuerySet[AuditEntry]]:
    membership = network_membership_for_user(user, slug)
    require_role(membership, CAN_READ_AUDIT)
    return membership, AuditEntry.objects.filter(network=membership.network)


def notification_get_for_user(user: AnyUser, pk: int) -> Notification:
    notification = Notification.objects.filter(user=_active_user(user), pk=pk, in_app=True).first()
    if notification is None:
        raise Http404
    return notification


def api_token_get_for_user(user: AnyUser, pk: int) -> ApiToken:
    token = ApiToken.objects.filter(user=_active_user(user), pk=pk).first()
    if token is None:
        raise Http404
    return token


def progress_get_for_user(user: AnyUser, pk: uuid.UUID | str) -> Progress:
    progress = Progress.objects.filter(user=_active_user(user), pk=pk).first()
    if progress is None:
        raise Http404
    if (
        progress.network_id is not None
        and not memberships_for_user(user).filter(network_id=progress.network_id).exists()
    ):
        raise Http404
    return progress


def network_for_user(user: AnyUser, slug: str) -> Network:
    return network_membership_for_user(user, slug).network
