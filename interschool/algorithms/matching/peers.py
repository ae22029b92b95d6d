"""Peer clusters: groups of schools with complementary strengths and similar context, near each other.

Each school's candidate peers are found as in vertical matching (:mod:`.pairing`) with
``rules.cluster_candidates`` per school, under the same eligibility rules except that a cluster is
local: every pair of members lies within ``max_distance_km`` (online partnership does not extend it,
and schools without coordinates are excluded), no competing schools, no forbidden pairs. The peer
score (:func:`.scoring.peer_components`) weighs complementarity in both directions and similarity of
context. The groups themselves — sizes
``min_group_size``..``max_group_size``, every pair of members eligible, maximum total within-group score
— are formed by :func:`.clusters.form_clusters` with CP-SAT under a time limit, which reports the
objective, the proven bound and the gap, and splits regions too large for one model by geography.

Complexity: candidate search O(N log N); group enumeration grows with the number of cliques of the
candidate graph, bounded by N·C(d, max_size − 1) for degree d; the set-packing model is then solved
within the time limit.

Examples
--------
>>> schools = [School(f"P{i}", 52.0 + i / 100, 0.0, phase=p, accepts_online=False,
...                   strengths=frozenset({s}), needs=frozenset({n}))
...            for i, (p, s, n) in enumerate([("primary", "teaching", "careers"),
...                                           ("secondary", "careers", "teaching"),
...                                           ("special", "teaching", "careers")])]
>>> result = form_peer_clusters(schools, MatchingRules(time_limit_s=5))
>>> [group.members for group in result.solution.groups], result.solution.status
([('P0', 'P1', 'P2')], 'optimal')
>>> is_valid_peer_clusters(schools, result)
True
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .clusters import ClusterProblem, ClusterSolution, clustering_problems, form_clusters
from .pairing import PairHistory, Search, candidate_pairs, distances, pair_keys
from .scoring import MatchingRules, School, SchoolTable, ScoreWeights, peer_components
from .vertical import GRID, check_schools, competition_test

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class PeerClusterResult:
    """Groups (``solution``), the candidate graph's size, and schools cut off by k or excluded."""

    solution: ClusterSolution
    edges: int
    truncated: tuple[str, ...]
    excluded: tuple[str, ...]
    seconds: float
    problem: ClusterProblem = field(repr=False)


def peer_cluster_problem(
    schools: Sequence[School], rules: MatchingRules | None = None, weights: ScoreWeights | None = None
) -> tuple[ClusterProblem, tuple[str, ...], tuple[str, ...]]:
    """The cluster problem of ``schools``: candidate peer edges with exact scores; plus the schools
    for which ``k`` cut off an eligible peer and those excluded for want of coordinates."""
    rules, weights = rules or MatchingRules(), weights or ScoreWeights()
    check_schools(schools)
    table = SchoolTable.of(schools)
    width = len(table.ids)
    history = PairHistory(rules.forbidden, rules.ties, table, table)
    competes = competition_test(table, rules)

    def eligible(a: IntArray, b: IntArray, d: FloatArray) -> NDArray[np.bool_]:
        return (a != b) & ~competes(a, b, d) & ~history.forbidden(a, b)

    def score(a: IntArray, b: IntArray, d: FloatArray) -> IntArray:
        parts = peer_components(table, a, b, d, weights, history.ties(a, b))
        return np.sum(list(parts.values()), axis=0).astype(np.int64)

    everyone = np.arange(width)
    search = Search(
        providers=everyone,
        receivers=everyone,
        # Clusters meet in person: no online pairs.
        provider_online=np.zeros(width, dtype=bool),
        receiver_online=np.zeros(width, dtype=bool),
        k=rules.cluster_candidates,
        max_distance_km=rules.max_distance_km,
    )
    found, excluded = candidate_pairs(table, table, search, eligible, score)
    low = np.minimum(found.provider, found.receiver)
    high = np.maximum(found.provider, found.receiver)
    keys = np.unique(pair_keys(low, high, width))
    edge_i, edge_j = keys // width, keys % width
    problem = ClusterProblem(
        ids=table.ids,
        latitude=table.latitude,
        longitude=table.longitude,
        edge_i=edge_i,
        edge_j=edge_j,
        edge_units=score(edge_i, edge_j, distances(table, edge_i, table, edge_j)),
        grid=GRID,
        min_size=rules.min_group_size,
        max_size=rules.max_group_size,
        time_limit_s=rules.time_limit_s,
        max_schools_per_model=rules.max_schools_per_model,
    )
    truncated = tuple(table.ids[i] for i in found.truncated.tolist())
    return problem, truncated, tuple(table.ids[i] for i in excluded.tolist())


def form_peer_clusters(
    schools: Sequence[School], rules: MatchingRules | None = None, weights: ScoreWeights | None = None
) -> PeerClusterResult:
    """Group ``schools`` into peer clusters maximising the total within-group score."""
    started = time.perf_counter()
    problem, truncated, excluded = peer_cluster_problem(schools, rules, weights)
    solution = form_clusters(problem)
    return PeerClusterResult(
        solution=solution,
        edges=len(problem.edge_units),
        truncated=truncated,
        excluded=excluded,
        seconds=time.perf_counter() - started,
        problem=problem,
    )


def peer_problems(
    schools: Sequence[School],
    result: PeerClusterResult,
    rules: MatchingRules | None = None,
    weights: ScoreWeights | None = None,
) -> list[str]:
    """Every rule the clusters break, re-checked from the schools: eligibility and scores of all pairs."""
    rules, weights = rules or MatchingRules(), weights or ScoreWeights()
    found = clustering_problems(result.problem, result.solution)
    table = SchoolTable.of(schools)
    index = {s: n for n, s in enumerate(table.ids)}
    competes = competition_test(table, rules)
    for group in result.solution.groups:
        members = [index[m] for m in group.members]
        a = np.array([x for n, x in enumerate(members) for y in members[n + 1 :]], dtype=np.int64)
        b = np.array([y for n, x in enumerate(members) for y in members[n + 1 :]], dtype=np.int64)
        d = distances(table, a, table, b)
        if not np.all(~np.isnan(d) & (d <= rules.max_distance_km)):
            found.append(f"group {group.members}: two members are not within the distance limit")
        if np.any(competes(a, b, d)):
            found.append(f"group {group.members}: two members compete")
        if any(frozenset((table.ids[x], table.ids[y])) in rules.forbidden for x, y in zip(a, b, strict=True)):
            found.append(f"group {group.members}: contains a forbidden pair")
        ties = np.array(
            [rules.ties.get(frozenset((table.ids[x], table.ids[y])), 0.0) for x, y in zip(a, b, strict=True)]
        )
        units = int(np.sum(list(peer_components(table, a, b, d, weights, ties).values())))
        if GRID.score_of(units) != group.score:
            found.append(
                f"group {group.members}: score {group.score} differs from the recomputed "
                f"{GRID.score_of(units)}"
            )
    return found


def is_valid_peer_clusters(
    schools: Sequence[School],
    result: PeerClusterResult,
    rules: MatchingRules | None = None,
    weights: ScoreWeights | None = None,
) -> bool:
    """True when every group is feasible and eligible and every score is as documented."""
    return not peer_problems(schools, result, rules, weights)
