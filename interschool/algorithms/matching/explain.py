"""Explanations of any pairs, and each school's ranked candidates, from the inputs of a matching.

The solvers explain the pairs they choose; a person choosing partners also wants to know why another
candidate ranked lower. :func:`explain_pairs` recomputes, for any pairs of a matching's inputs, the
distance and every component's contribution exactly as the solver scored them (same tables, same ties),
so a candidate's explanation adds up to the score the solver used. :func:`candidate_table` lists a
result's candidate pairs (the k nearest eligible partners of each school) as parallel arrays, and
:func:`ranked_candidates` picks one school's, best first.

Examples
--------
>>> schools = [
...     School("L1", 52.00, 0.00, phase="secondary", role="leader", capacity=1, performance=0.9),
...     School("L2", 52.01, 0.00, phase="secondary", role="leader", capacity=1, performance=0.5),
...     School("S1", 52.05, 0.02, phase="primary", role="supported", performance=0.1),
... ]
>>> from interschool.algorithms.matching.vertical import match_vertical
>>> result = match_vertical(schools)
>>> table = candidate_table(result)
>>> [(c.provider_id, str(c.score)) for c in ranked_candidates(table, "S1")]
[('L1', '3.528150'), ('L2', '2.455831')]
>>> explained = explain_pairs("vertical", schools, [("L1", "S1")])[0]
>>> explained.score == result.pairs[0].score and sum(explained.components.values()) == explained.score
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from .exact import MatchingInputError
from .pairing import PairHistory, distances
from .peers import PeerClusterResult
from .scoring import (
    MatchingRules,
    Organisation,
    School,
    SchoolTable,
    ScoreWeights,
    Vocabulary,
    organisation_components,
    peer_components,
    vertical_components,
)
from .vertical import GRID, MatchResult

IntArray = NDArray[np.int64]

MODES = ("vertical", "clusters", "organisations")


@dataclass(frozen=True)
class PairExplanation:
    """One pair's exact score, distance (None when unknown) and component contributions."""

    provider_id: str
    school_id: str
    score: Decimal
    distance_km: float | None
    components: dict[str, Decimal]


def explain_pairs(
    mode: str,
    schools: Sequence[School],
    pairs: Sequence[tuple[str, str]],
    rules: MatchingRules | None = None,
    weights: ScoreWeights | None = None,
    organisations: Sequence[Organisation] = (),
) -> list[PairExplanation]:
    """Score and explain ``pairs`` (provider id, school id) as ``mode``'s solver scores them.

    Vertical pairs are (leader, supported), organisation pairs (organisation, school); peer pairs
    are symmetric. Ids that are not in the inputs raise :class:`MatchingInputError`.
    """
    if mode not in MODES:
        raise MatchingInputError(f"unknown mode {mode!r}; use {', '.join(MODES)}")
    rules, weights = rules or MatchingRules(), weights or ScoreWeights()
    domains = Vocabulary()
    right = SchoolTable.of(schools, domains)
    left = SchoolTable.of_organisations(organisations, domains) if mode == "organisations" else right
    left_pos = {sid: n for n, sid in enumerate(left.ids)}
    right_pos = {sid: n for n, sid in enumerate(right.ids)}
    try:
        a = np.fromiter((left_pos[p] for p, _ in pairs), dtype=np.int64, count=len(pairs))
        b = np.fromiter((right_pos[s] for _, s in pairs), dtype=np.int64, count=len(pairs))
    except KeyError as error:
        raise MatchingInputError(f"{error.args[0]!r} is not among the matching's inputs") from None
    history = PairHistory(rules.forbidden, rules.ties, left, right)
    d = distances(left, a, right, b)
    ties = history.ties(a, b)
    if mode == "vertical":
        parts = vertical_components(left, a, right, b, d, weights, ties)
    elif mode == "clusters":
        parts = peer_components(right, a, b, d, weights, ties)
    else:
        parts = organisation_components(left, a, right, b, d, weights, ties)
    found = []
    for i, (provider, school) in enumerate(pairs):
        components = {name: GRID.score_of(int(units[i])) for name, units in parts.items()}
        distance = float(d[i])
        found.append(
            PairExplanation(
                provider_id=provider,
                school_id=school,
                score=sum(components.values(), Decimal(0)),
                distance_km=None if np.isnan(distance) else distance,
                components=components,
            )
        )
    return found


@dataclass(frozen=True, eq=False)
class CandidateTable:
    """A result's candidate pairs: ``provider[i]`` → ``receiver[i]`` (indexes into ``ids``) scored
    ``units[i]`` on the exact grid. Peer pairs are listed once, in either order."""

    ids: tuple[str, ...]
    provider: IntArray
    receiver: IntArray
    units: IntArray
    symmetric: bool


@dataclass(frozen=True)
class Candidate:
    provider_id: str
    school_id: str
    score: Decimal

    def partner_of(self, school_id: str) -> str:
        return self.school_id if self.provider_id == school_id else self.provider_id


def candidate_table(result: MatchResult | PeerClusterResult) -> CandidateTable:
    """The candidate pairs the solver chose from."""
    if isinstance(result, PeerClusterResult):
        problem = result.problem
        return CandidateTable(
            ids=problem.ids,
            provider=np.asarray(problem.edge_i, dtype=np.int64),
            receiver=np.asarray(problem.edge_j, dtype=np.int64),
            units=np.asarray(problem.edge_units, dtype=np.int64),
            symmetric=True,
        )
    p = result.problem
    offset = len(p.leader_ids)
    return CandidateTable(
        ids=(*p.leader_ids, *p.supported_ids),
        provider=np.asarray(p.pair_leader, dtype=np.int64),
        receiver=np.asarray(p.pair_supported, dtype=np.int64) + offset,
        units=np.asarray(p.pair_units, dtype=np.int64),
        symmetric=False,
    )


def ranked_candidates(table: CandidateTable, school_id: str, limit: int | None = None) -> list[Candidate]:
    """The candidate pairs of ``school_id`` on either side, highest score first (ties by partner id)."""
    positions = [n for n, sid in enumerate(table.ids) if sid == school_id]
    if not positions:
        return []
    mask = np.isin(table.provider, positions) | np.isin(table.receiver, positions)
    rows = np.flatnonzero(mask)
    found = [
        Candidate(
            table.ids[int(table.provider[i])],
            table.ids[int(table.receiver[i])],
            GRID.score_of(int(table.units[i])),
        )
        for i in rows.tolist()
    ]
    found.sort(key=lambda c: (-c.score, c.partner_of(school_id)))
    return found[:limit] if limit is not None else found
