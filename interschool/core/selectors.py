"""Core reads: lists with their filters, and the figures for the dashboards."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from interschool.core.models import (
    AuditEntry,
    Invitation,
    Membership,
    Network,
    Organisation,
    OrganisationKind,
    Role,
)


def organisations_filtered(
    organisations: QuerySet[Organisation], *, q: str = "", kind: str = ""
) -> QuerySet[Organisation]:
    if kind:
        organisations = organisations.filter(kind=kind)
    if q:
        organisations = organisations.filter(Q(name__icontains=q) | Q(code__iexact=q))
    return organisations.order_by("name", "pk")


def members_filtered(
    members: QuerySet[Membership],
    *,
    q: str = "",
    role: str = "",
    organisation: int | None = None,
    active: bool | None = None,
) -> QuerySet[Membership]:
    if role:
        members = members.filter(role=role)
    if organisation is not None:
        members = members.filter(organisation_id=organisation)
    if active is not None:
        members = members.filter(is_active=active)
    if q:
        members = members.filter(Q(user__email__icontains=q) | Q(user__full_name__icontains=q))
    return members.order_by("user__email")


def audit_entries_filtered(entries: QuerySet[AuditEntry], filters: Mapping[str, str]) -> QuerySet[AuditEntry]:
    if filters.get("actor"):
        entries = entries.filter(actor_label__icontains=filters["actor"])
    if filters.get("action"):
        entries = entries.filter(action=filters["action"])
    if filters.get("object_type"):
        entries = entries.filter(object_type=filters["object_type"])
    if filters.get("since"):
        entries = entries.filter(created_at__date__gte=filters["since"])
    if filters.get("until"):
        entries = entries.filter(created_at__date__lte=filters["until"])
    return entries.order_by("-created_at", "-pk")


def audit_facets(entries: QuerySet[AuditEntry]) -> dict[str, list[str]]:
    return {
        "actions": sorted(set(entries.values_list("action", flat=True).distinct())),
        "object_types": sorted(set(entries.values_list("object_type", flat=True).distinct())),
    }


def open_invitations(network: Network) -> QuerySet[Invitation]:
    return Invitation.objects.filter(network=network, accepted_at=None, revoked_at=None).select_related(
        "organisation", "invited_by"
    )


@dataclass(frozen=True)
class NetworkSummary:
    schools: int
    partner_organisations: int
    organisations_by_kind: dict[str, int]
    members: int
    members_by_role: dict[str, int]


def network_summary(network: Network) -> NetworkSummary:
    by_kind = dict(
        Organisation.objects.filter(network=network).values_list("kind").annotate(n=Count("pk")).order_by()
    )
    by_role = dict(
        Membership.objects.filter(network=network, is_active=True)
        .values_list("role")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return NetworkSummary(
        schools=by_kind.get(OrganisationKind.SCHOOL, 0),
        partner_organisations=sum(n for kind, n in by_kind.items() if kind != OrganisationKind.SCHOOL),
        organisations_by_kind={kind: by_kind.get(kind, 0) for kind in OrganisationKind.values},
        members=sum(by_role.values()),
        members_by_role={role: by_role.get(role, 0) for role in Role.values},
    )
