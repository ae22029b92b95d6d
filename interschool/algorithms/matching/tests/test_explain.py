"""Explanations of any pair and ranked candidates: the same scores, distances and components the solvers
used, for vertical, organisation and peer matching."""

from __future__ import annotations

import itertools
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interschool.algorithms.matching.exact import MatchingInputError
from interschool.algorithms.matching.explain import (
    CandidateTable,
    PairExplanation,
    candidate_table,
    explain_pairs,
    ranked_candidates,
)
from interschool.algorithms.matching.peers import PeerClusterResult, form_peer_clusters
from interschool.algorithms.matching.scoring import (
    ORGANISATION_COMPONENTS,
    PEER_COMPONENTS,
    VERTICAL_COMPONENTS,
    MatchingRules,
    Organisation,
    School,
    ScoreWeights,
)
from interschool.algorithms.matching.vertical import GRID, MatchResult, match_organisations, match_vertical

from .test_vertical import DOMAINS, km, regions

WEIGHTS = ScoreWeights(distance=2.5, earlier_ties=2.0, cross_community=0.75)


def table_pairs(table: CandidateTable) -> dict[tuple[str, str], Decimal]:
    """Every candidate pair of the table (provider id, receiver id) with its score."""
    return {
        (table.ids[int(p)], table.ids[int(r)]): GRID.score_of(int(u))
        for p, r, u in zip(
            table.provider.tolist(), table.receiver.tolist(), table.units.tolist(), strict=True
        )
    }


def assert_adds_up(explanation: PairExplanation, names: tuple[str, ...]) -> None:
    assert tuple(explanation.components) == names
    assert sum(explanation.components.values(), Decimal(0)) == explanation.score


def assert_same_distance(found: float | None, expected: float | None) -> None:
    assert (found is None) == (expected is None)
    if found is not None:
        assert found == expected


def check_ranked(table: CandidateTable, explained: dict[tuple[str, str], PairExplanation]) -> None:
    """Each school's ranked candidates: its pairs on either side, best first (ties by partner id), each
    score the explained one."""
    pairs = table_pairs(table)
    for sid in set(table.ids):
        ranked = ranked_candidates(table, sid)
        mine = {pair: score for pair, score in pairs.items() if sid in pair}
        assert {(c.provider_id, c.school_id): c.score for c in ranked} == mine
        assert len(ranked) == len(mine)
        keys = [(-c.score, c.partner_of(sid)) for c in ranked]
        assert keys == sorted(keys)
        for c in ranked:
            assert c.partner_of(sid) != sid and sid in (c.provider_id, c.school_id)
            assert explained[c.provider_id, c.school_id].score == c.score
        assert ranked_candidates(table, sid, 1) == ranked[:1]


def explain_table(
    mode: str,
    schools: list[School],
    table: CandidateTable,
    rules: MatchingRules,
    weights: ScoreWeights,
    organisations: list[Organisation] | None = None,
) -> dict[tuple[str, str], PairExplanation]:
    pairs = list(table_pairs(table))
    found = explain_pairs(mode, schools, pairs, rules, weights, organisations or ())
    assert [(e.provider_id, e.school_id) for e in found] == pairs
    return {(e.provider_id, e.school_id): e for e in found}


def check_pairs(
    mode: str,
    schools: list[School],
    result: MatchResult,
    rules: MatchingRules,
    weights: ScoreWeights,
    organisations: list[Organisation] | None = None,
) -> None:
    names = VERTICAL_COMPONENTS if mode == "vertical" else ORGANISATION_COMPONENTS
    explained = explain_pairs(
        mode,
        schools,
        [(p.provider_id, p.school_id) for p in result.pairs],
        rules,
        weights,
        organisations or (),
    )
    for pair, explanation in zip(result.pairs, explained, strict=True):
        assert (explanation.provider_id, explanation.school_id) == (pair.provider_id, pair.school_id)
        assert explanation.score == pair.score
        assert explanation.components == dict(pair.components)
        assert_same_distance(explanation.distance_km, pair.distance_km)
        assert_adds_up(explanation, names)
    table = candidate_table(result)
    assert not table.symmetric
    assert len(table.units) == result.candidate_pairs
    by_pair = explain_table(mode, schools, table, rules, weights, organisations)
    for pair in result.pairs:  # every chosen pair was a candidate, scored as the solver scored it
        assert table_pairs(table)[pair.provider_id, pair.school_id] == pair.score
    for explanation in by_pair.values():
        assert_adds_up(explanation, names)
    check_ranked(table, by_pair)


# --- small hand-made cases ---------------------------------------------------------------------------


def test_vertical_pairs_and_candidates_by_hand():
    schools = [
        School("L1", 52.00, 0.00, phase="secondary", role="leader", capacity=1, performance=0.9,
               strengths=frozenset({"teaching"}), community="north", enrolment=600, ses_index=40.0),
        School("L2", 52.01, 0.00, phase="secondary", role="leader", capacity=1, performance=0.5,
               accepts_online=True, community="south"),
        School("S1", 52.05, 0.02, phase="primary", role="supported", performance=0.1,
               needs=frozenset({"teaching"}), community="south", enrolment=300, ses_index=45.0),
        School("S2", 52.04, 0.01, phase="primary", role="supported", performance=0.3),
        School("S3", None, None, phase="primary", role="supported", accepts_online=True, performance=0.2),
    ]  # fmt: skip
    rules = MatchingRules(ties={frozenset(("L1", "S2")): -0.5})
    result = match_vertical(schools, rules, WEIGHTS)
    assert {(p.provider_id, p.school_id) for p in result.pairs} == {("L1", "S1"), ("L2", "S2")}
    check_pairs("vertical", schools, result, rules, WEIGHTS)

    table = candidate_table(result)
    ranked = ranked_candidates(table, "S3")  # no coordinates, online: only the online leader
    assert [(c.provider_id, c.school_id) for c in ranked] == [("L2", "S3")]
    (explanation,) = explain_pairs("vertical", schools, [("L2", "S3")], rules, WEIGHTS)
    assert explanation.distance_km is None and explanation.components["distance"] == 0
    tie = explain_pairs("vertical", schools, [("L1", "S2")], rules, WEIGHTS)[0]
    assert tie.components["earlier_ties"] == Decimal("-1")  # −0.5 × weight 2
    assert [c.partner_of("L1") for c in ranked_candidates(table, "L1")] == ["S1", "S2"]
    assert ranked_candidates(table, "nobody") == []


def test_any_pair_is_explained_even_one_the_solver_never_considered():
    leader = School("L", 52.0, 0.0, phase="primary", role="leader", capacity=1, performance=0.8)
    near = School("S", 52.01, 0.0, phase="primary", role="supported", performance=0.2)  # competes with L
    result = match_vertical([leader, near])
    assert result.pairs == () and len(candidate_table(result).units) == 0
    (explanation,) = explain_pairs("vertical", [leader, near], [("L", "S")])
    assert explanation.distance_km == pytest.approx(km(leader, near))
    assert explanation.components["outcome_gap"] == Decimal("1.8")  # (0.8 − 0.2) × 3
    assert explanation.components["same_phase"] == Decimal(1)
    assert explanation.score == sum(explanation.components.values(), Decimal(0))


def test_organisation_pairs_by_hand():
    organisations = [
        Organisation("U", "university", 1, frozenset({"teaching", "careers"}), 52.0, 0.0),
        Organisation("M", "museum", 2, frozenset({"careers"})),  # online only
    ]
    schools = [
        School("A", 52.02, 0.0, needs=frozenset({"teaching"}), performance=0.2),
        School("B", 52.03, 0.01, needs=frozenset({"careers", "teaching"}), accepts_online=True),
        School("C", 52.5, 0.5, needs=frozenset({"careers"}), performance=0.9),  # far, offline
    ]
    rules = MatchingRules(ties={frozenset(("U", "A")): 1.0})
    result = match_organisations(organisations, schools, rules, WEIGHTS)
    assert {(p.provider_id, p.school_id) for p in result.pairs} == {("U", "A"), ("M", "B")}
    check_pairs("organisations", schools, result, rules, WEIGHTS, organisations)
    explained = explain_pairs("organisations", schools, [("U", "B")], rules, WEIGHTS, organisations)[0]
    assert explained.components["complementarity"] == Decimal(3)  # both needs offered
    assert explained.components["outcome_gap"] == Decimal(0)  # no percentile known


def test_peer_pairs_by_hand():
    schools = [
        School(f"P{i}", 52.0 + i / 100, 0.0, phase=phase, strengths=frozenset({s}), needs=frozenset({n}),
               community=c, enrolment=200 + 50 * i)
        for i, (phase, s, n, c) in enumerate([
            ("primary", "teaching", "careers", "a"),
            ("secondary", "careers", "teaching", "b"),
            ("special", "teaching", "careers", "a"),
            ("middle", "assessment", "teaching", ""),
        ])
    ]  # fmt: skip
    rules = MatchingRules(time_limit_s=5, min_group_size=3, max_group_size=3)
    result = form_peer_clusters(schools, rules, WEIGHTS)
    assert len(result.solution.groups) == 1
    check_groups(schools, result, rules, WEIGHTS)


def test_unknown_ids_and_modes_are_refused():
    schools = [School("A", 52.0, 0.0, role="leader", capacity=1), School("B", 52.1, 0.0, role="supported")]
    organisations = [Organisation("O", "museum", 1, frozenset({"teaching"}))]
    with pytest.raises(MatchingInputError, match="'Z'"):
        explain_pairs("vertical", schools, [("A", "Z")])
    with pytest.raises(MatchingInputError, match="'Z'"):
        explain_pairs("clusters", schools, [("Z", "B")])
    with pytest.raises(MatchingInputError, match="'A'"):  # a school is no organisation
        explain_pairs("organisations", schools, [("A", "B")], organisations=organisations)
    with pytest.raises(MatchingInputError, match="'O'"):  # an organisation is no school
        explain_pairs("organisations", schools, [("O", "O")], organisations=organisations)
    with pytest.raises(MatchingInputError, match="lottery"):
        explain_pairs("lottery", schools, [("A", "B")])
    assert explain_pairs("vertical", schools, []) == []


# --- every result of random regions --------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(regions(), st.sampled_from([ScoreWeights(), WEIGHTS, ScoreWeights(distance=0, outcome_gap=7.5)]))
def test_vertical_explanations_reproduce_the_solver(region, weights):
    schools, rules = region
    check_pairs("vertical", schools, match_vertical(schools, rules, weights), rules, weights)


@settings(max_examples=60, deadline=None)
@given(
    regions(max_schools=9),
    st.lists(
        st.tuples(st.integers(0, 2), st.sets(st.sampled_from(DOMAINS), min_size=1), st.booleans()),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from([ScoreWeights(), WEIGHTS]),
)
def test_organisation_explanations_reproduce_the_solver(region, org_specs, weights):
    schools, rules = region
    organisations = [
        Organisation(
            f"O{i}", "museum", cap, frozenset(offers), 52.2 if placed else None, 0.2 if placed else None
        )
        for i, (cap, offers, placed) in enumerate(org_specs)
    ]
    ids = [o.id for o in organisations] + [s.id for s in schools]
    rules = MatchingRules(
        max_distance_km=rules.max_distance_km,
        candidates=rules.candidates,
        forbidden=MatchingRules.pair_set([(organisations[0].id, schools[0].id)]),
        ties={frozenset((organisations[-1].id, schools[-1].id)): -1.0},
    )
    assert len(set(ids)) == len(ids)
    result = match_organisations(organisations, schools, rules, weights)
    check_pairs("organisations", schools, result, rules, weights, organisations)


def check_groups(
    schools: list[School], result: PeerClusterResult, rules: MatchingRules, weights: ScoreWeights
) -> None:
    table = candidate_table(result)
    assert table.symmetric
    edges = table_pairs(table)
    for group in result.solution.groups:
        inner = list(itertools.combinations(group.members, 2))
        explained = explain_pairs("clusters", schools, inner, rules, weights)
        assert sum((e.score for e in explained), Decimal(0)) == group.score
        for (a, b), explanation in zip(inner, explained, strict=True):
            assert_adds_up(explanation, PEER_COMPONENTS)
            edge = edges.get((a, b), edges.get((b, a)))
            assert edge == explanation.score  # every pair inside a group is a candidate edge
            assert explanation.distance_km == pytest.approx(km(*(s for s in schools if s.id in (a, b))))
            (reverse,) = explain_pairs("clusters", schools, [(b, a)], rules, weights)
            assert reverse.score == explanation.score  # peer scores do not depend on the order
    check_ranked(table, explain_table("clusters", schools, table, rules, weights))


@settings(max_examples=40, deadline=None)
@given(regions(max_schools=10), st.sampled_from([(2, 3), (3, 4), (3, 5)]))
def test_peer_explanations_reproduce_the_solver(region, sizes):
    schools, rules = region
    rules = MatchingRules(
        max_distance_km=rules.max_distance_km,
        competition_radius_km=rules.competition_radius_km,
        cluster_candidates=len(schools),
        min_group_size=sizes[0],
        max_group_size=sizes[1],
        time_limit_s=5,
        forbidden=rules.forbidden,
        ties=rules.ties,
    )
    result = form_peer_clusters(schools, rules, WEIGHTS)
    check_groups(schools, result, rules, WEIGHTS)


def test_candidate_tables_are_parallel_arrays_of_one_length():
    schools = [
        School(f"S{i}", 52.0 + (i % 4) / 50, (i // 4) / 50, phase=("primary", "secondary")[i % 2],
               role=("leader", "supported", "supported")[i % 3], capacity=2)
        for i in range(12)
    ]  # fmt: skip
    for result in (match_vertical(schools), form_peer_clusters(schools, MatchingRules(time_limit_s=5))):
        table = candidate_table(result)
        assert len(table.provider) == len(table.receiver) == len(table.units) > 0
        assert table.provider.dtype == table.receiver.dtype == table.units.dtype == np.int64
        assert int(table.provider.min()) >= 0 and int(table.receiver.max()) < len(table.ids)
