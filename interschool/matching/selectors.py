"""Reads of matching runs for pages, exports and the API: matches with members, comparisons, rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from interschool.matching import vocabularies as v
from interschool.matching.metrics import METRICS
from interschool.matching.models import Match, MatchingRun, MatchMember, Unmatched
from interschool.matching.wording import ComponentLine, component_lines, reason_sentence


@dataclass(frozen=True)
class MemberRow:
    organisation_id: int
    name: str
    role: str
    latitude: float | None
    longitude: float | None

    @property
    def role_label(self) -> str:
        return str(v.MemberRole(self.role).label) if self.role in v.MemberRole.values else self.role


def members_by_match(matches: Iterable[Match] | QuerySet[Match]) -> dict[int, list[MemberRow]]:
    found: dict[int, list[MemberRow]] = defaultdict(list)
    rows = MatchMember.objects.filter(match__in=matches).order_by("match", "pk")
    for match_id, org, name, role, lat, lon in rows.values_list(
        "match_id",
        "organisation_id",
        "organisation__name",
        "role",
        "organisation__latitude",
        "organisation__longitude",
    ):
        found[match_id].append(MemberRow(org, name, role, lat, lon))
    return found


def pairs_inside(run: MatchingRun, members: Sequence[Any]) -> int:
    n = len(members)
    return n * (n - 1) // 2 if run.mode == v.RunMode.CLUSTERS else 1


def explanation_of(run: MatchingRun, match: Match, members: Sequence[Any]) -> list[ComponentLine]:
    return component_lines(
        run.mode, match.components, run.parameters, match.distance_km, pairs_inside(run, members)
    )


def matches_of(run: MatchingRun, school: int | None = None, query: str = "") -> QuerySet[Match]:
    matches = Match.objects.filter(run=run).select_related("partnership")
    if school is not None:
        matches = matches.filter(members__organisation_id=school)
    if query:
        matches = matches.filter(members__organisation__name__icontains=query).distinct()
    return matches.order_by("number")


def unmatched_of(run: MatchingRun, reason: str = "") -> QuerySet[Unmatched]:
    rows = Unmatched.objects.filter(run=run).select_related("organisation")
    if reason:
        rows = rows.filter(reason=reason)
    return rows.order_by("reason", "organisation__name", "organisation_id")


METRIC_LABELS = {
    "participants": _("Schools taking part"),
    "matched": _("Schools matched"),
    "coverage": _("Coverage"),
    "matches": _("Pairs or groups"),
    "total_score": _("Total score"),
    "mean_score": _("Mean score"),
    "mean_distance_km": _("Mean distance (km)"),
    "mean_outcome_gap": _("Mean outcome gap (percentile points)"),
    "cross_community_share": _("Cross-community share"),
}


def shown_number(value: Any, percent: bool = False) -> str:
    """A figure as the reader's language writes it; "—" when there is none."""
    if value is None:
        return "—"
    if percent:
        return f"{number_format(round(100 * value, 1), decimal_pos=1)} %"
    if isinstance(value, float):
        return number_format(round(value, 2), decimal_pos=2, force_grouping=True)
    return number_format(value, force_grouping=True)


@dataclass(frozen=True)
class MetricRow:
    code: str
    label: str
    values: list[Any]
    percent: bool

    @property
    def shown(self) -> list[str]:
        return [shown_number(value, self.percent) for value in self.values]


def metric_rows(runs: Sequence[MatchingRun]) -> list[MetricRow]:
    rows = [
        MetricRow(
            code,
            str(METRIC_LABELS[code]),
            [r.summary.get(code) for r in runs],
            code in ("coverage", "cross_community_share"),
        )
        for code in METRICS
    ]
    reasons = sorted({reason for r in runs for reason in r.summary.get("unmatched", {})})
    rows += [
        MetricRow(
            f"unmatched_{reason}",
            str(
                _("Without a partner: %(reason)s")
                % {"reason": v.Reason(reason).label if reason in v.Reason.values else reason}
            ),
            [r.summary.get("unmatched", {}).get(reason, 0) for r in runs],
            False,
        )
        for reason in reasons
    ]
    return rows


def match_keys(run: MatchingRun) -> dict[frozenset[int], int]:
    """Each match's set of members → its number."""
    members: dict[int, set[int]] = defaultdict(set)
    numbers: dict[int, int] = {}
    for match_id, number, org in MatchMember.objects.filter(match__run=run).values_list(
        "match_id", "match__number", "organisation_id"
    ):
        members[match_id].add(org)
        numbers[match_id] = number
    return {frozenset(orgs): numbers[mid] for mid, orgs in members.items()}


@dataclass(frozen=True)
class Difference:
    a: dict[frozenset[int], int]  # in run A only: members → match number
    b: dict[frozenset[int], int]
    same: int


def differences(run_a: MatchingRun, run_b: MatchingRun) -> Difference:
    keys_a, keys_b = match_keys(run_a), match_keys(run_b)
    return Difference(
        a={k: n for k, n in keys_a.items() if k not in keys_b},
        b={k: n for k, n in keys_b.items() if k not in keys_a},
        same=len(keys_a.keys() & keys_b.keys()),
    )


def export_rows(run: MatchingRun) -> Iterable[list[Any]]:
    """The run's result as rows: a header, one row per member of each match with the explanation
    columns, then the schools without a partner with their reason."""
    components = list(
        next(iter(Match.objects.filter(run=run).values_list("components", flat=True)), {}) or {}
    )
    yield [
        "match",
        "organisation_id",
        "organisation",
        "role",
        "score",
        "distance_km",
        "online",
        "partnership_id",
        *components,
        "why",
        "reason",
    ]
    batch = 500
    matches = list(Match.objects.filter(run=run).order_by("number"))
    for start in range(0, len(matches), batch):
        part = matches[start : start + batch]
        members = members_by_match(part)
        for match in part:
            lines = explanation_of(run, match, members[match.pk])
            why = " ".join(f"{line.label}: {line.sentence}" for line in lines if line.points)
            for m in members[match.pk]:
                yield [
                    match.number,
                    m.organisation_id,
                    m.name,
                    m.role,
                    f"{match.score:f}",
                    "" if match.distance_km is None else round(match.distance_km, 3),
                    match.online,
                    match.partnership_id or "",
                    *(match.components.get(c, "") for c in components),
                    why,
                    "",
                ]
    for row in unmatched_of(run).iterator(chunk_size=2000):
        yield [
            "",
            row.organisation_id,
            row.organisation.name,
            "",
            "",
            "",
            "",
            "",
            *("" for _ in components),
            reason_sentence(row.reason, run.parameters),
            row.reason,
        ]
