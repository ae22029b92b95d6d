"""Who sees and runs partner matching: one helper per resource, used by every page and API route.

* the network's **administrators** run matching, set school choices and pair rules, and accept matches;
* its **coordinators** read runs, results, candidates and exports;
* every other role is refused (403); a user of another network does not find the network (404).

A run, match or school of another network is not found (404).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from interschool.core.access import AnyUser, network_membership_for_user
from interschool.core.models import Membership, Organisation, Role
from interschool.matching.models import Match, MatchingRun, PairRule

READERS = frozenset({Role.ADMIN, Role.COORDINATOR})
MANAGERS = frozenset({Role.ADMIN})


def matching_for_user(user: AnyUser, slug: str, *, manage: bool = False) -> Membership:
    """The user's membership, if they may read (or, with ``manage``, run and accept) matching."""
    membership = network_membership_for_user(user, slug)
    if membership.role not in (MANAGERS if manage else READERS):
        raise PermissionDenied
    return membership


def can_manage(membership: Membership) -> bool:
    return membership.role in MANAGERS


def run_list_for_user(user: AnyUser, slug: str) -> tuple[Membership, QuerySet[MatchingRun]]:
    membership = matching_for_user(user, slug)
    runs = MatchingRun.objects.filter(network=membership.network).defer("snapshot", "candidates")
    return membership, runs.select_related("created_by", "progress")


def run_get_for_user(
    user: AnyUser, slug: str, pk: int, *, manage: bool = False
) -> tuple[Membership, MatchingRun]:
    membership = matching_for_user(user, slug, manage=manage)
    run = (
        MatchingRun.objects.filter(network=membership.network, pk=pk)
        .defer("snapshot", "candidates")  # loaded when a school's candidates are read
        .select_related("network", "progress", "created_by")
        .first()
    )
    if run is None:
        raise Http404
    return membership, run


def match_get_for_user(
    user: AnyUser, slug: str, run_pk: int, number: int, *, manage: bool = False
) -> tuple[Membership, Match]:
    membership, run = run_get_for_user(user, slug, run_pk, manage=manage)
    match = Match.objects.filter(run=run, number=number).select_related("run", "partnership").first()
    if match is None:
        raise Http404
    return membership, match


def run_school_get_for_user(
    user: AnyUser, slug: str, run_pk: int, organisation_pk: int
) -> tuple[Membership, MatchingRun, Organisation]:
    membership, run = run_get_for_user(user, slug, run_pk)
    organisation = Organisation.objects.filter(network=membership.network, pk=organisation_pk).first()
    if organisation is None:
        raise Http404
    return membership, run, organisation


def pair_rule_get_for_user(user: AnyUser, slug: str, pk: int) -> tuple[Membership, PairRule]:
    membership = matching_for_user(user, slug, manage=True)
    rule = PairRule.objects.filter(network=membership.network, pk=pk).select_related("network").first()
    if rule is None:
        raise Http404
    return membership, rule
