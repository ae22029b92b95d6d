"""Peer clusters from schools: eligibility of every member pair, scores, brute force on small regions."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from itertools import combinations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from interschool.algorithms.matching.peers import form_peer_clusters, is_valid_peer_clusters, peer_problems
from interschool.algorithms.matching.scoring import (
    MatchingRules,
    School,
    SchoolTable,
    ScoreWeights,
    peer_components,
)

from .test_vertical import km, regions


def pair_units(schools, rules, weights) -> dict[tuple[int, int], int]:
    """Every eligible peer pair by the documented rules, with its score in units."""
    table = SchoolTable.of(schools)
    found = {}
    for i, j in combinations(range(len(schools)), 2):
        a, b = schools[i], schools[j]
        if not (a.located and b.located) or frozenset((a.id, b.id)) in rules.forbidden:
            continue
        d = km(a, b)
        if d > rules.max_distance_km:
            continue
        if rules.competition_radius_km > 0 and a.phase == b.phase and d < rules.competition_radius_km:
            continue
        tie = rules.ties.get(frozenset((a.id, b.id)), 0.0)
        parts = peer_components(table, np.array([i]), np.array([j]), np.array([d]), weights, np.array([tie]))
        found[i, j] = sum(int(v[0]) for v in parts.values())
    return found


def best_packing(n: int, edges: dict[tuple[int, int], int], low: int, high: int) -> int:
    """Largest total of disjoint groups (sizes low..high, every pair an edge), by recursion."""

    def group_value(group: tuple[int, ...]) -> int | None:
        total = 0
        for pair in combinations(group, 2):
            if pair not in edges:
                return None
            total += edges[pair]
        return total

    @cache
    def best(free: frozenset[int]) -> int:
        if not free:
            return 0
        first = min(free)
        rest = free - {first}
        result = best(rest)  # the first school stays ungrouped
        for size in range(low - 1, high):
            for others in combinations(sorted(rest), size):
                value = group_value((first, *others))
                if value is not None:
                    result = max(result, value + best(rest - set(others)))
        return result

    return best(frozenset(range(n)))


@settings(max_examples=60, deadline=None)
@given(regions(max_schools=9), st.sampled_from([(2, 3), (3, 4), (3, 5)]))
def test_peer_clusters_equal_brute_force(region, sizes):
    schools, rules = region
    rules = MatchingRules(
        max_distance_km=rules.max_distance_km,
        competition_radius_km=rules.competition_radius_km,
        cluster_candidates=len(schools),  # every eligible pair is a candidate
        min_group_size=sizes[0],
        max_group_size=sizes[1],
        time_limit_s=20,
        forbidden=rules.forbidden,
        ties=rules.ties,
    )
    weights = ScoreWeights()
    result = form_peer_clusters(schools, rules, weights)
    assert peer_problems(schools, result, rules, weights) == []
    assert result.solution.status in ("optimal", "no_groups")
    expected = best_packing(len(schools), pair_units(schools, rules, weights), *sizes)
    assert result.solution.objective == Decimal(expected).scaleb(-6)


def test_a_cluster_is_local_and_avoids_competitors():
    base = {"strengths": frozenset({"teaching"}), "needs": frozenset({"careers"})}
    schools = [
        School("A", 52.00, 0.00, phase="primary", **base),
        School("B", 52.01, 0.00, phase="secondary", **base),
        School("C", 52.02, 0.00, phase="special", **base),
        School("D", 52.00, 0.01, phase="primary", **base),  # competes with A
        School("E", 54.00, 0.00, phase="post16", accepts_online=True, **base),  # far away: never clustered
        School("F", None, None, phase="middle", accepts_online=True, **base),  # cannot be placed
    ]
    rules = MatchingRules(time_limit_s=5)
    result = form_peer_clusters(schools, rules)
    groups = [set(g.members) for g in result.solution.groups]
    assert len(groups) == 1 and groups[0] in ({"A", "B", "C"}, {"B", "C", "D"})
    assert result.excluded == ("F",)
    assert is_valid_peer_clusters(schools, result, rules)
    too_far = peer_problems(schools, result, MatchingRules(max_distance_km=0.1))
    assert any("distance limit" in p for p in too_far)
