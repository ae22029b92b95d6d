"""Access helpers of partnerships: one per resource, used by every page and API route.

What a member of the network may do with a partnership (``access_of``):

* network administrators see everything, change everything and approve (``ADMIN``);
* school leaders and coordinators of a member organisation, the partnership's named coordinators and
  whoever proposed it (while their role may propose) edit it, its plan, assessments and log (``EDIT``);
* teachers and external partners of a member organisation read it in full (``READ``);
* researchers read it in full with organisations replaced by stable codes and people's names left out
  (``READ``, pseudonymised);
* everyone else in the network sees a summary: name, state, typology and member count (``SUMMARY``).

Users of another network never see it: it is a 404. Consent is given only by a leader of the member
school itself (``can_consent``), never on someone's behalf.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from interschool.core.access import AnyUser, network_membership_for_user
from interschool.core.models import Membership, OrganisationKind, Role
from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import (
    AgreementVersion,
    Assessment,
    Factor,
    Goal,
    Partnership,
    PartnershipMember,
    PartnershipPerson,
    PlanActivity,
    PlanIndicator,
)
from interschool.partnerships.pseudonyms import pseudonymised_text
from interschool.registry.access import pseudonym

CAN_PROPOSE = frozenset({Role.ADMIN, Role.COORDINATOR, Role.SCHOOL_LEADER})
CAN_SEE_NETWORK_PAGES = frozenset(Role.values)


class Level(enum.IntEnum):
    SUMMARY = 1
    READ = 2
    EDIT = 3
    ADMIN = 4


@dataclass(frozen=True)
class PartnershipAccess:
    membership: Membership
    partnership: Partnership
    level: Level
    pseudonymous: bool

    @property
    def can_read(self) -> bool:
        return self.level >= Level.READ

    @property
    def can_edit(self) -> bool:
        return self.level >= Level.EDIT

    @property
    def can_approve(self) -> bool:
        return self.level >= Level.ADMIN

    def require(self, level: Level) -> None:
        if self.level < level:
            raise PermissionDenied

    def organisation_name(self, organisation_id: int, name: str) -> str:
        """The name shown for an organisation: a stable code in the pseudonymised view."""
        return pseudonym(self.membership.network_id, organisation_id) if self.pseudonymous else name

    def can_consent(self, member: PartnershipMember) -> bool:
        return can_consent(self.membership, member)

    @property
    def shown_name(self) -> str:
        """The partnership's name; pseudonymised, member names inside it are replaced by their codes."""
        if not self.pseudonymous:
            return self.partnership.name
        members = [(m.organisation_id, m.organisation.name) for m in members_of(self.partnership)]
        return pseudonymised_text(self.partnership.name, self.membership.network_id, members)


def can_consent(membership: Membership, member: PartnershipMember) -> bool:
    return (
        membership.role == Role.SCHOOL_LEADER
        and membership.organisation_id == member.organisation_id
        and member.organisation.kind == OrganisationKind.SCHOOL
    )


def access_of(membership: Membership, partnership: Partnership) -> PartnershipAccess:
    role = membership.role
    level = Level.SUMMARY
    if role == Role.ADMIN:
        level = Level.ADMIN
    elif role == Role.RESEARCHER:
        level = Level.READ
    else:
        member_ids = {m.organisation_id for m in members_of(partnership)}
        in_member = membership.organisation_id is not None and membership.organisation_id in member_ids
        proposer = partnership.proposed_by_id == membership.user_id and role in CAN_PROPOSE
        level = _member_level(role, in_member, proposer or _named_coordinator(membership, partnership))
    return PartnershipAccess(membership, partnership, level, pseudonymous=role == Role.RESEARCHER)


def _named_coordinator(membership: Membership, partnership: Partnership) -> bool:
    return PartnershipPerson.objects.filter(
        partnership=partnership, user_id=membership.user_id, role=v.PersonRole.COORDINATOR
    ).exists()


def members_of(partnership: Partnership) -> list[PartnershipMember]:
    """The members in the order they joined, from the access helper's prefetch when there is one."""
    cached = getattr(partnership, "_prefetched_objects_cache", {}).get("members")
    members = list(cached) if cached is not None else list(partnership.members.select_related("organisation"))
    return sorted(members, key=lambda m: m.pk)


def partnership_list_for_user(user: AnyUser, slug: str) -> tuple[Membership, QuerySet[Partnership]]:
    """Every partnership of the network (others see each one's summary only)."""
    membership = network_membership_for_user(user, slug)
    return membership, Partnership.objects.filter(network=membership.network)


def levels_of(membership: Membership, partnership_ids: Iterable[int]) -> dict[int, Level]:
    """The level ``access_of`` gives on each of ``partnership_ids``, in at most two queries (for lists)."""
    ids = list(partnership_ids)
    if membership.role == Role.ADMIN:
        return dict.fromkeys(ids, Level.ADMIN)
    if membership.role == Role.RESEARCHER:
        return dict.fromkeys(ids, Level.READ)
    member_of: set[int] = set()
    if membership.organisation_id is not None:
        member_of = set(
            PartnershipMember.objects.filter(
                partnership_id__in=ids, organisation_id=membership.organisation_id
            )
            .order_by()
            .values_list("partnership_id", flat=True)
        )
    coordinating = set(
        PartnershipPerson.objects.filter(
            partnership_id__in=ids, user_id=membership.user_id, role=v.PersonRole.COORDINATOR
        )
        .order_by()
        .values_list("partnership_id", flat=True)
    )
    if membership.role in CAN_PROPOSE:
        coordinating |= set(
            Partnership.objects.filter(pk__in=ids, proposed_by_id=membership.user_id).values_list(
                "pk", flat=True
            )
        )
    return {pk: _member_level(membership.role, pk in member_of, pk in coordinating) for pk in ids}


def _member_level(role: str, in_member: bool, coordinates: bool) -> Level:
    """The rule for roles other than administrator and researcher, shared by ``access_of`` and ``levels_of``.

    ``in_member``: the user's organisation is a member; ``coordinates``: the user is a named coordinator
    or the proposer.
    """
    if coordinates or (in_member and role in (Role.SCHOOL_LEADER, Role.COORDINATOR)):
        return Level.EDIT
    return Level.READ if in_member else Level.SUMMARY


def require_can_propose(membership: Membership) -> None:
    if membership.role not in CAN_PROPOSE:
        raise PermissionDenied


def partnership_get_for_user(
    user: AnyUser, slug: str, pk: int, *, level: Level = Level.SUMMARY
) -> PartnershipAccess:
    """The partnership ``pk`` of the network ``slug`` and what the user may do with it.

    404 when it is not in a network the user belongs to; 403 when the user's access is below ``level``.
    """
    membership = network_membership_for_user(user, slug)
    partnership = (
        Partnership.objects.filter(network=membership.network, pk=pk)
        .select_related("network", "proposed_by", "approved_by")
        .prefetch_related("members__organisation")
        .first()
    )
    if partnership is None:
        raise Http404
    access = access_of(membership, partnership)
    access.require(level)
    return access


def _child(queryset: QuerySet, pk: int):  # type: ignore[no-untyped-def]
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def member_get_for_user(
    user: AnyUser, slug: str, partnership_pk: int, pk: int, *, level: Level = Level.READ
) -> tuple[PartnershipAccess, PartnershipMember]:
    access = partnership_get_for_user(user, slug, partnership_pk, level=level)
    member = _child(access.partnership.members.select_related("organisation"), pk)
    return access, member


def consent_member_for_user(
    user: AnyUser, slug: str, partnership_pk: int, pk: int
) -> tuple[PartnershipAccess, PartnershipMember]:
    """The member whose consent the user gives: only a leader of that member school; 403 otherwise."""
    access, member = member_get_for_user(user, slug, partnership_pk, pk, level=Level.SUMMARY)
    if not access.can_consent(member):
        raise PermissionDenied
    return access, member


def person_get_for_user(
    user: AnyUser, slug: str, partnership_pk: int, pk: int, *, level: Level = Level.READ
) -> tuple[PartnershipAccess, PartnershipPerson]:
    access = partnership_get_for_user(user, slug, partnership_pk, level=level)
    return access, _child(access.partnership.people.select_related("user", "member__organisation"), pk)


def agreement_version_get_for_user(
    user: AnyUser, slug: str, partnership_pk: int, number: int
) -> tuple[PartnershipAccess, AgreementVersion]:
    access = partnership_get_for_user(user, slug, partnership_pk, level=Level.READ)
    version = access.partnership.agreement_versions.filter(number=number).first()
    if version is None:
        raise Http404
    return access, version


def goal_get_for_user(
    user: AnyUser, slug: str, partnership_pk: int, pk: int, *, level: Level = Level.READ
) -> tuple[PartnershipAccess, Goal]:
    access = partnership_get_for_user(user, slug, partnership_pk, level=level)
    return access, _child(access.partnership.goals.all(), pk)


def activity_get_for_user(
    user: AnyUser, slug: str, partnership_pk: int, pk: int, *, level: Level = Level.READ
) -> tuple[PartnershipAccess, PlanActivity]:
    access = partnership_get_for_user(user, slug, partnership_pk, level=level)
    return access, _child(access.partnership.activities.select_related("goal", "owner__organisation"), pk)


def plan_indicator_get_for_user(
    user: AnyUser, slug: str, partnership_pk: int, pk: int, *, level: Level = Level.READ
) -> tuple[PartnershipAccess, PlanIndicator]:
    access = partnership_get_for_user(user, slug, partnership_pk, level=level)
    queryset = PlanIndicator.objects.filter(goal__partnership=access.partnership).select_related(
        "goal", "indicator", "organisation"
    )
    return access, _child(queryset, pk)


def assessment_get_for_user(
    user: AnyUser, slug: str, partnership_pk: int, pk: int, *, level: Level = Level.READ
) -> tuple[PartnershipAccess, Assessment]:
    access = partnership_get_for_user(user, slug, partnership_pk, level=level)
    return access, _child(access.partnership.assessments.prefetch_related("files", "activities"), pk)


def factor_get_for_user(
    user: AnyUser, slug: str, partnership_pk: int, pk: int, *, level: Level = Level.READ
) -> tuple[PartnershipAccess, Factor]:
    access = partnership_get_for_user(user, slug, partnership_pk, level=level)
    return access, _child(access.partnership.factors.select_related("owner__organisation"), pk)


def network_overview_for_user(user: AnyUser, slug: str) -> tuple[Membership, QuerySet[Partnership]]:
    """The network pages (typology counts, barriers across partnerships): every member of the network."""
    membership = network_membership_for_user(user, slug)
    if membership.role not in CAN_SEE_NETWORK_PAGES:
        raise PermissionDenied
    return membership, Partnership.objects.filter(network=membership.network)
