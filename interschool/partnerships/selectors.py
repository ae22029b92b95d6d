"""Reads of partnerships for the pages and exports: filtered lists and counts across partnerships."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, CharField, Count, F, IntegerField, Q, QuerySet, Value, When

from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import Factor, Partnership

# --- codes shown instead of names ---------------------------------------------------------------------


def partnership_code(partnership_id: int) -> str:
    """The stable code shown instead of a partnership's name in the pseudonymised view."""
    return f"P-{partnership_id}"


# --- the facilitators and barriers log and the network barriers page -----------------------------------

# Entries not yet resolved: still open, or being mitigated.
UNRESOLVED = (v.FactorStatus.OPEN, v.FactorStatus.MITIGATING)
OTHER_GROUP = "other"
BARRIER_GROUP_ORDER = (*v.BARRIER_GROUPS, OTHER_GROUP)
MITIGATION_SORTS = ("-severity", "severity", "-logged_on", "logged_on")


def factor_log(partnership: Partnership, *, kind: str = "", status: str = "") -> QuerySet[Factor]:
    """The log of one partnership, newest first, optionally of one kind and one status."""
    entries = partnership.factors.select_related("owner__organisation")
    if kind:
        entries = entries.filter(kind=kind)
    if status:
        entries = entries.filter(status=status)
    return entries.order_by("-logged_on", "-pk")


def barrier_group_of(code: str) -> str:
    """The barrier dimension of ``code`` in ``BARRIER_GROUPS``, or ``"other"``."""
    return next((group for group, codes in v.BARRIER_GROUPS.items() if code in codes), OTHER_GROUP)


@dataclass(frozen=True)
class BarrierFilters:
    """The filters of the network barriers page; unknown values are ignored."""

    state: str = ""
    model: str = ""
    sort: str = "-severity"

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> BarrierFilters:
        state = params.get("state", "")
        model = params.get("model", "")
        sort = params.get("sort", "")
        return cls(
            state=state if state in v.State.values else "",
            model=model if model in v.Model.values else "",
            sort=sort if sort in MITIGATION_SORTS else "-severity",
        )

    @property
    def active(self) -> bool:
        return bool(self.state or self.model)


def partnerships_filtered(
    partnerships: QuerySet[Partnership], filters: BarrierFilters
) -> QuerySet[Partnership]:
    if filters.state:
        partnerships = partnerships.filter(state=filters.state)
    if filters.model:
        partnerships = partnerships.filter(model=filters.model)
    return partnerships


@dataclass(frozen=True)
class FactorCount:
    """Partnerships reporting a factor (or a barrier dimension), its entries, and the unresolved ones."""

    code: str
    partnerships: int
    entries: int
    unresolved: int


def _counted(rows: Iterable[Mapping[str, Any]]) -> list[FactorCount]:
    return [FactorCount(row["key"], row["partnerships"], row["entries"], row["unresolved"]) for row in rows]


def factor_frequencies(partnerships: QuerySet[Partnership], kind: str) -> list[FactorCount]:
    """Each reported factor of ``kind``: most partnerships first, then most unresolved entries, then code."""
    rows = (
        Factor.objects.filter(partnership__in=partnerships, kind=kind)
        .values(key=F("code"))
        .annotate(
            partnerships=Count("partnership", distinct=True),
            entries=Count("pk"),
            unresolved=Count("pk", filter=Q(status__in=UNRESOLVED)),
        )
        .order_by("-partnerships", "-unresolved", "key")
    )
    return _counted(rows)


def barrier_group_counts(partnerships: QuerySet[Partnership]) -> list[FactorCount]:
    """Barriers by the dimensions of ``BARRIER_GROUPS`` and "other"; every dimension is listed, zero too."""
    group = Case(
        *[When(code__in=sorted(codes), then=Value(name)) for name, codes in v.BARRIER_GROUPS.items()],
        default=Value(OTHER_GROUP),
        output_field=CharField(),
    )
    rows = (
        Factor.objects.filter(partnership__in=partnerships, kind=v.FactorKind.BARRIER)
        .annotate(key=group)
        .values("key")
        .annotate(
            partnerships=Count("partnership", distinct=True),
            entries=Count("pk"),
            unresolved=Count("pk", filter=Q(status__in=UNRESOLVED)),
        )
        .order_by("key")
    )
    found = {count.code: count for count in _counted(rows)}
    return [found.get(name, FactorCount(name, 0, 0, 0)) for name in BARRIER_GROUP_ORDER]


_SEVERITY_RANK = Case(
    When(severity=v.Severity.LOW, then=Value(1)),
    When(severity=v.Severity.MEDIUM, then=Value(2)),
    When(severity=v.Severity.HIGH, then=Value(3)),
    default=Value(0),
    output_field=IntegerField(),
)


def open_mitigations(partnerships: QuerySet[Partnership], *, sort: str = "-severity") -> QuerySet[Factor]:
    """Barrier entries open or being mitigated that have a mitigation, by severity or by date."""
    entries = (
        Factor.objects.filter(partnership__in=partnerships, kind=v.FactorKind.BARRIER, status__in=UNRESOLVED)
        .exclude(mitigation="")
        .select_related("partnership", "owner__organisation")
        .annotate(severity_rank=_SEVERITY_RANK)
    )
    order = {
        "-severity": ("-severity_rank", "-logged_on", "-pk"),
        "severity": ("severity_rank", "-logged_on", "-pk"),
        "-logged_on": ("-logged_on", "-severity_rank", "-pk"),
        "logged_on": ("logged_on", "-severity_rank", "pk"),
    }[sort if sort in MITIGATION_SORTS else "-severity"]
    return entries.order_by(*order)
