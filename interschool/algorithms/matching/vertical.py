"""Vertical matching (leader schools → supported schools) and school ↔ organisation matching.

Both are capacitated assignments solved exactly by :func:`.assignment.solve_assignment`: first the
largest number of schools matched, then the largest total pair score. A leader with capacity 2 that
takes two partners forms the triad common in practice.

Eligibility (see :class:`.scoring.MatchingRules`): within ``max_distance_km``, or further apart when
both accept online partnership (organisations: when the school accepts it); never two schools of
the same phase within ``competition_radius_km`` (without coordinates: in the same district); never a
forbidden pair; organisations only where an offer meets a need. Candidate
pairs come from :mod:`.pairing`; schools for which ``k`` cut off an eligible pair are reported.

Every matched pair carries its explanation: the contribution of each score component, which add up
exactly to its score.

Complexity: O(N log N) to index and search N schools, plus the min-cost flow on at most 2k·S + L arcs
for S supported schools and L leaders; 100,000 schools match in seconds.

Examples
--------
>>> schools = [
...     School("L1", 52.00, 0.00, phase="secondary", role="leader", capacity=2, performance=0.95,
...            strengths=frozenset({"teaching"})),
...     School("S1", 52.05, 0.02, phase="primary", role="supported", performance=0.10,
...            needs=frozenset({"teaching"})),
...     School("S2", 52.02, 0.05, phase="primary", role="supported", performance=0.30),
...     School("S3", None, None, phase="primary", role="supported"),
... ]
>>> result = match_vertical(schools)
>>> [(p.provider_id, p.school_id, str(p.score)) for p in result.pairs]
[('L1', 'S1', '6.678150'), ('L1', 'S2', '3.279786')]
>>> dict(result.unmatched)
{'S3': 'no_coordinates'}
>>> is_valid_match(schools, result)
True
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from .assignment import (
    AssignmentProblem,
    AssignmentSolution,
    assignment_problems,
    check_capacity,
    solve_assignment,
)
from .exact import MatchingInputError, ScoreGrid
from .pairing import PairHistory, PairTest, Search, candidate_pairs, distances
from .scoring import (
    PLACES,
    MatchingRules,
    Organisation,
    School,
    SchoolTable,
    ScoreWeights,
    Vocabulary,
    organisation_components,
    vertical_components,
)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

GRID = ScoreGrid(PLACES)

# Why a school was left without a partner.
NO_COORDINATES = "no_coordinates"  # cannot be placed and does not work online
NO_ELIGIBLE_PARTNER = "no_eligible_partner"  # no candidate pair at all
PARTNERS_FULL = "partners_full"  # its candidates' capacity went to other schools


@dataclass(frozen=True)
class ScoredPair:
    """A matched pair with its score, distance (None when unknown) and component contributions."""

    provider_id: str
    school_id: str
    score: Decimal
    distance_km: float | None
    online: bool
    components: Mapping[str, Decimal]


@dataclass(frozen=True, eq=False)
class MatchResult:
    """Result of vertical or organisation matching.

    ``unmatched`` maps each school left without a partner to the reason; ``truncated`` lists schools
    for which the candidate limit ``k`` cut off at least one eligible partner; ``excluded`` lists
    schools without coordinates that cannot work online.
    """

    mode: str
    pairs: tuple[ScoredPair, ...]
    unmatched: Mapping[str, str]
    truncated: tuple[str, ...]
    excluded: tuple[str, ...]
    candidate_pairs: int
    components: tuple[str, ...]
    status: str
    seconds: float
    problem: AssignmentProblem = field(repr=False)
    solution: AssignmentSolution = field(repr=False)

    @property
    def matched(self) -> int:
        return len(self.pairs)

    @property
    def total_score(self) -> Decimal:
        return self.solution.total_score


def competition_test(table: SchoolTable, rules: MatchingRules) -> PairTest:
    """Which pairs of ``table`` rows compete: same phase, closer than the competition radius (or, where
    a distance is unknown, in the same district)."""
    radius = rules.competition_radius_km

    def competes(a: IntArray, b: IntArray, d: FloatArray) -> NDArray[np.bool_]:
        if radius <= 0:
            return np.zeros(len(a), dtype=bool)
        same_phase = (table.phase[a] == table.phase[b]) & (table.phase[a] >= 0)
        known = ~np.isnan(d)
        same_district = (table.district[a] == table.district[b]) & (table.district[a] >= 0)
        return same_phase & np.where(known, d < radius, same_district)

    return competes


def check_schools(schools: Sequence[School]) -> None:
    """Raise :class:`MatchingInputError` naming the first school with an id, role, capacity,
    coordinates or percentile that cannot be right."""
    seen: set[str] = set()
    for s in schools:
        if not s.id:
            raise MatchingInputError("a school has an empty id")
        if s.id in seen:
            raise MatchingInputError(f"school {s.id!r} is listed twice")
        seen.add(s.id)
        if s.role not in ("leader", "supported", "none"):
            raise MatchingInputError(f"school {s.id!r}: unknown role {s.role!r}")
        check_capacity(s.id, s.capacity)
        if (s.latitude is None) != (s.longitude is None):
            raise MatchingInputError(f"school {s.id!r} has only one of latitude and longitude")
        if s.latitude is not None and not (-90 <= s.latitude <= 90 and -180 <= s.longitude <= 180):  # type: ignore[operator]
            raise MatchingInputError(f"school {s.id!r} has coordinates outside the globe")
        if s.performance is not None and not 0 <= s.performance <= 1:
            raise MatchingInputError(f"school {s.id!r}: performance must be a percentile between 0 and 1")


def match_vertical(
    schools: Sequence[School], rules: MatchingRules | None = None, weights: ScoreWeights | None = None
) -> MatchResult:
    """Match supported schools to leader schools, exactly (most matched, then highest total score)."""
    started = time.perf_counter()
    rules, weights = rules or MatchingRules(), weights or ScoreWeights()
    check_schools(schools)
    table = SchoolTable.of(schools)
    roles = np.array([s.role for s in schools])
    leaders = np.flatnonzero(roles == "leader")
    supported = np.flatnonzero(roles == "supported")
    history = PairHistory(rules.forbidden, rules.ties, table, table)
    competes = competition_test(table, rules)

    def eligible(a: IntArray, b: IntArray, d: FloatArray) -> NDArray[np.bool_]:
        return ~competes(a, b, d) & ~history.forbidden(a, b)

    def components(a: IntArray, b: IntArray, d: FloatArray) -> dict[str, IntArray]:
        return vertical_components(table, a, table, b, d, weights, history.ties(a, b))

    search = Search(
        providers=leaders[table.capacity[leaders] > 0],
        receivers=supported,
        provider_online=table.online,
        receiver_online=table.online,
        k=rules.candidates,
        max_distance_km=rules.max_distance_km,
    )
    return _assign(
        "vertical",
        table,
        leaders,
        table,
        supported,
        search,
        eligible,
        components,
        cross=lambda a, b: (
            (table.community[a] != table.community[b]) & (table.community[a] >= 0) & (table.community[b] >= 0)
        ),
        rules=rules,
        started=started,
    )


def match_organisations(
    organisations: Sequence[Organisation],
    schools: Sequence[School],
    rules: MatchingRules | None = None,
    weights: ScoreWeights | None = None,
) -> MatchResult:
    """Match schools with needs to organisations offering those support domains, exactly.

    Every school with at least one need takes part, whatever its role. Beyond ``max_distance_km`` (or
    when either side has no coordinates) a pair is eligible only if the school accepts online
    partnership; organisations are assumed able to work online.
    """
    started = time.perf_counter()
    rules, weights = rules or MatchingRules(), weights or ScoreWeights()
    check_schools(schools)
    seen: set[str] = set()
    for o in organisations:
        if not o.id or o.id in seen:
            raise MatchingInputError(f"organisation {o.id!r} is empty or listed twice")
        seen.add(o.id)
        check_capacity(o.id, o.capacity)
    domains = Vocabulary()
    table = SchoolTable.of(schools, domains)
    orgs = SchoolTable.of_organisations(organisations, domains)
    wanting = np.flatnonzero(table.needs != 0)
    history = PairHistory(rules.forbidden, rules.ties, orgs, table)

    def eligible(a: IntArray, b: IntArray, d: FloatArray) -> NDArray[np.bool_]:
        return ((orgs.strengths[a] & table.needs[b]) != 0) & ~history.forbidden(a, b)

    def components(a: IntArray, b: IntArray, d: FloatArray) -> dict[str, IntArray]:
        return organisation_components(orgs, a, table, b, d, weights, history.ties(a, b))

    all_orgs = np.arange(len(orgs.ids))
    search = Search(
        providers=all_orgs[orgs.capacity > 0],
        receivers=wanting,
        provider_online=np.ones(len(orgs.ids), dtype=bool),
        receiver_online=table.online,
        k=rules.candidates,
        max_distance_km=rules.max_distance_km,
    )
    return _assign(
        "organisations",
        orgs,
        all_orgs,
        table,
        wanting,
        search,
        eligible,
        components,
        cross=None,
        rules=rules,
        started=started,
    )


def _assign(
    mode: str,
    left: SchoolTable,
    providers: IntArray,
    right: SchoolTable,
    receivers: IntArray,
    search: Search,
    eligible: PairTest,
    components: Callable[[IntArray, IntArray, FloatArray], dict[str, IntArray]],
    *,
    cross: Callable[[IntArray, IntArray], NDArray[np.bool_]] | None,
    rules: MatchingRules,
    started: float,
) -> MatchResult:
    def score(a: IntArray, b: IntArray, d: FloatArray) -> IntArray:
        return np.sum(list(components(a, b, d).values()), axis=0).astype(np.int64)

    found, excluded = candidate_pairs(left, right, search, eligible, score)
    parts = components(found.provider, found.receiver, found.distance_km)
    units = np.sum(list(parts.values()), axis=0).astype(np.int64) if parts else np.empty(0, np.int64)
    provider_pos = np.full(len(left.ids), -1, dtype=np.int64)
    provider_pos[providers] = np.arange(len(providers))
    receiver_pos = np.full(len(right.ids), -1, dtype=np.int64)
    receiver_pos[receivers] = np.arange(len(receivers))
    share = rules.cross_community_share if cross is not None else None
    problem = AssignmentProblem(
        leader_ids=tuple(left.ids[i] for i in providers.tolist()),
        capacities=left.capacity[providers],
        supported_ids=tuple(right.ids[i] for i in receivers.tolist()),
        pair_leader=provider_pos[found.provider],
        pair_supported=receiver_pos[found.receiver],
        pair_units=units,
        grid=GRID,
        pair_cross=None if share is None or cross is None else cross(found.provider, found.receiver),
        required_cross_share=None if share is None else Fraction(str(share)),
        time_limit_s=rules.time_limit_s,
    )
    solution = solve_assignment(problem)
    names = tuple(parts)
    pairs = []
    for m in solution.pairs:
        i = m.index
        d = float(found.distance_km[i])
        pairs.append(
            ScoredPair(
                provider_id=m.leader_id,
                school_id=m.supported_id,
                score=m.score,
                distance_km=None if np.isnan(d) else d,
                online=bool(np.isnan(d) or d > rules.max_distance_km),
                components={n: GRID.score_of(int(parts[n][i])) for n in names},
            )
        )
    excluded_ids = {right.ids[i] for i in excluded.tolist()}
    with_candidates = {right.ids[i] for i in np.unique(found.receiver).tolist()}
    unmatched = {
        s: NO_COORDINATES
        if s in excluded_ids
        else PARTNERS_FULL
        if s in with_candidates
        else NO_ELIGIBLE_PARTNER
        for s in solution.unmatched
    }
    return MatchResult(
        mode=mode,
        pairs=tuple(pairs),
        unmatched=unmatched,
        truncated=tuple(right.ids[i] for i in found.truncated.tolist()),
        excluded=tuple(sorted(excluded_ids)),
        candidate_pairs=len(units),
        components=names,
        status=solution.status,
        seconds=time.perf_counter() - started,
        problem=problem,
        solution=solution,
    )


def match_problems(
    schools: Sequence[School],
    result: MatchResult,
    rules: MatchingRules | None = None,
    weights: ScoreWeights | None = None,
    organisations: Sequence[Organisation] | None = None,
) -> list[str]:
    """Every rule that ``result`` breaks (empty when valid), checked from the inputs, not the candidates.

    The assignment itself (capacities, each school once, totals) is checked by
    :func:`.assignment.assignment_problems`; each pair is then re-checked against the rules and its
    score recomputed from its components and from the schools' data.
    """
    rules, weights = rules or MatchingRules(), weights or ScoreWeights()
    found = assignment_problems(result.problem, result.solution)
    by_id = {s.id: s for s in schools}
    orgs = {o.id: o for o in organisations or ()}
    domains = Vocabulary()
    table = SchoolTable.of(schools, domains)
    index = {s: n for n, s in enumerate(table.ids)}
    org_table = (
        SchoolTable.of_organisations(list(orgs.values()), domains) if organisations is not None else None
    )
    org_index = {o: n for n, o in enumerate(orgs)}
    for pair in result.pairs:
        label = f"{pair.provider_id}→{pair.school_id}"
        school = by_id.get(pair.school_id)
        if school is None:
            found.append(f"{label}: unknown school")
            continue
        if sum(pair.components.values(), Decimal(0)) != pair.score:
            found.append(f"{label}: the components do not add up to the score")
        forbidden = frozenset((pair.provider_id, pair.school_id)) in rules.forbidden
        if forbidden:
            found.append(f"{label}: a forbidden pair")
        tie = rules.ties.get(frozenset((pair.provider_id, pair.school_id)), 0.0)
        if result.mode == "vertical":
            leader = by_id.get(pair.provider_id)
            if leader is None or leader.role != "leader" or school.role != "supported":
                found.append(f"{label}: not a leader and a supported school")
                continue
            a, b = np.array([index[leader.id]]), np.array([index[school.id]])
            d = distances(table, a, table, b)
            online_ok = leader.accepts_online and school.accepts_online
            if competition_test(table, rules)(a, b, d)[0]:
                found.append(f"{label}: the two schools compete")
            parts = vertical_components(table, a, table, b, d, weights, np.array([tie]))
        else:
            org = orgs.get(pair.provider_id)
            if org is None or org_table is None:
                found.append(f"{label}: unknown organisation")
                continue
            a, b = np.array([org_index[org.id]]), np.array([index[school.id]])
            d = distances(org_table, a, table, b)
            online_ok = school.accepts_online
            if not org.offers & school.needs:
                found.append(f"{label}: the organisation offers none of the school's needs")
            parts = organisation_components(org_table, a, table, b, d, weights, np.array([tie]))
        near = not np.isnan(d[0]) and d[0] <= rules.max_distance_km
        if not near and not online_ok:
            found.append(f"{label}: too far apart (or not placed) and not both online")
        expected = {n: GRID.score_of(int(v[0])) for n, v in parts.items()}
        if expected != dict(pair.components):
            found.append(f"{label}: components {dict(pair.components)} differ from the recomputed {expected}")
    return found


def is_valid_match(
    schools: Sequence[School],
    result: MatchResult,
    rules: MatchingRules | None = None,
    weights: ScoreWeights | None = None,
    organisations: Sequence[Organisation] | None = None,
) -> bool:
    """True when every pair of ``result`` is eligible, scored as documented and the assignment feasible."""
    return not match_problems(schools, result, rules, weights, organisations)
