"""Vertical and organisation matching: eligibility rules, scores, explanations, brute force, verifier."""

from __future__ import annotations

import math
from decimal import Decimal
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interschool.algorithms.matching.exact import MatchingInputError
from interschool.algorithms.matching.geo import great_circle_km
from interschool.algorithms.matching.scoring import (
    MatchingRules,
    Organisation,
    School,
    SchoolTable,
    ScoreWeights,
    Vocabulary,
    organisation_components,
    outcome_percentiles,
    vertical_components,
)
from interschool.algorithms.matching.vertical import (
    NO_COORDINATES,
    NO_ELIGIBLE_PARTNER,
    PARTNERS_FULL,
    is_valid_match,
    match_organisations,
    match_problems,
    match_vertical,
)

DOMAINS = ("teaching", "assessment", "leadership", "careers")


def school(id_, lat=52.0, lon=0.0, **kw):
    return School(id_, lat, lon, **kw)


def test_a_pair_score_is_the_documented_sum_of_components():
    leader = school(
        "L",
        52.0,
        0.0,
        phase="secondary",
        role="leader",
        capacity=1,
        performance=0.8,
        strengths=frozenset({"teaching", "careers"}),
        ses_index=60.0,
        enrolment=800,
        urban_rural="urban",
        community="majority",
    )
    weak = school(
        "S",
        52.1,
        0.0,
        phase="secondary",
        role="supported",
        performance=0.3,
        needs=frozenset({"teaching", "leadership"}),
        ses_index=50.0,
        enrolment=400,
        urban_rural="urban",
        community="minority",
    )
    result = match_vertical([leader, weak], MatchingRules(competition_radius_km=0))
    (pair,) = result.pairs
    d = float(great_circle_km(np.array([52.0]), np.array([0.0]), np.array([52.1]), np.array([0.0]))[0])
    expected = {
        "outcome_gap": 3 * 0.5,
        "complementarity": 3 * 1 / 2,
        "ses_similarity": 1 * (1 - 10 / 100),
        "size_similarity": 0.5 * (1 - math.log(2) / math.log(4)),
        "same_phase": 1.0,
        "same_setting": 0.5,
        "distance": 2 * math.exp(-d / 10),
        "earlier_ties": 0.0,
        "cross_community": 0.5,
    }
    assert {k: float(v) for k, v in pair.components.items()} == pytest.approx(expected, abs=1e-6)
    assert pair.score == sum(pair.components.values(), Decimal(0))
    assert pair.distance_km == pytest.approx(d)
    assert not pair.online


def test_competing_schools_are_never_paired():
    leader = school("L", phase="primary", role="leader", capacity=1)
    near_same_phase = school("S1", 52.01, 0.0, phase="primary", role="supported")
    result = match_vertical([leader, near_same_phase], MatchingRules(competition_radius_km=5))
    assert result.matched == 0
    assert result.unmatched == {"S1": NO_ELIGIBLE_PARTNER}
    # the same pair is fine once the rule is off, or when the phases differ
    assert match_vertical([leader, near_same_phase], MatchingRules(competition_radius_km=0)).matched == 1


def test_without_coordinates_same_district_and_phase_compete():
    leader = School(
        "L", None, None, phase="primary", district="Oakham", role="leader", capacity=1, accepts_online=True
    )
    other = School("S", None, None, phase="primary", district="Oakham", role="supported", accepts_online=True)
    elsewhere = School(
        "T", None, None, phase="primary", district="Leigh", role="supported", accepts_online=True
    )
    result = match_vertical([leader, other, elsewhere])
    assert [(p.provider_id, p.school_id) for p in result.pairs] == [("L", "T")]
    assert result.pairs[0].distance_km is None and result.pairs[0].online


def test_distance_limit_and_online_partnership():
    leader = school("L", 52.0, 0.0, phase="secondary", role="leader", capacity=3, accepts_online=True)
    far_offline = school("A", 53.0, 0.0, phase="primary", role="supported")
    far_online = school("B", 53.0, 0.1, phase="primary", role="supported", accepts_online=True)
    unplaced = School("C", None, None, phase="primary", role="supported")
    result = match_vertical([leader, far_offline, far_online, unplaced], MatchingRules(max_distance_km=30))
    assert [p.school_id for p in result.pairs] == ["B"]
    assert result.pairs[0].online and result.pairs[0].distance_km > 100
    assert result.unmatched == {"A": NO_ELIGIBLE_PARTNER, "C": NO_COORDINATES}
    assert result.excluded == ("C",)


def test_forbidden_pairs_and_earlier_ties():
    leader = school("L", phase="secondary", role="leader", capacity=1)
    a = school("A", 52.01, 0.0, phase="primary", role="supported")
    b = school("B", 52.01, 0.0, phase="primary", role="supported")
    rules = MatchingRules(forbidden=MatchingRules.pair_set([("A", "L")]))
    assert [p.school_id for p in match_vertical([leader, a, b], rules).pairs] == ["B"]
    good_tie = MatchingRules(ties={frozenset(("L", "A")): 1.0})
    result = match_vertical([leader, a, b], good_tie)
    assert [p.school_id for p in result.pairs] == ["A"]
    assert result.pairs[0].components["earlier_ties"] == Decimal("1")


def test_capacity_makes_triads_and_k_cut_offs_are_reported():
    leader = school("L", phase="secondary", role="leader", capacity=2)
    others = [school(f"S{i}", 52.0 + i / 1000, 0.0, phase="primary", role="supported") for i in range(4)]
    result = match_vertical([leader, *others], MatchingRules(candidates=1))
    assert result.matched == 2
    assert sum(1 for r in result.unmatched.values() if r == PARTNERS_FULL) == 2
    assert result.truncated == ()  # each school has only one leader: nothing cut off
    leaders = [
        school(f"L{i}", 52.0, i / 1000, phase="secondary", role="leader", capacity=1) for i in range(3)
    ]
    cut = match_vertical([*leaders, others[0]], MatchingRules(candidates=2))
    assert cut.truncated == ("S0",)


def test_cross_community_share_is_respected():
    leaders = [
        school("L1", phase="secondary", role="leader", capacity=1, community="majority"),
        school("L2", 52.0, 0.01, phase="secondary", role="leader", capacity=1, community="majority"),
    ]
    supported = [
        school(
            "A",
            52.01,
            0.0,
            phase="primary",
            role="supported",
            community="majority",
            needs=frozenset({"teaching"}),
        ),
        school("B", 52.02, 0.0, phase="primary", role="supported", community="minority"),
    ]
    result = match_vertical([*leaders, *supported], MatchingRules(cross_community_share=0.5))
    assert result.status == "optimal"
    assert "B" in {p.school_id for p in result.pairs}
    assert is_valid_match([*leaders, *supported], result, MatchingRules(cross_community_share=0.5))


@pytest.mark.parametrize(
    ("schools", "message"),
    [
        ([school("A"), school("A")], "listed twice"),
        ([school("A", role="boss")], "unknown role"),
        ([school("A", capacity=-2)], "capacity"),
        ([School("A", 52.0, None)], "only one of latitude"),
        ([school("A", 95.0)], "outside the globe"),
        ([school("A", performance=3.0)], "percentile"),
    ],
)
def test_bad_schools_are_refused_with_a_message(schools, message):
    with pytest.raises(MatchingInputError, match=message):
        match_vertical(schools)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"candidates": 0}, "candidates"),
        ({"max_distance_km": -1}, "max_distance_km"),
        ({"min_group_size": 4, "max_group_size": 3}, "group sizes"),
        ({"cross_community_share": 1.5}, "share"),
        ({"ties": {frozenset(("A", "B")): 2}}, "tie"),
    ],
)
def test_bad_rules_are_refused(kwargs, message):
    with pytest.raises(MatchingInputError, match=message):
        MatchingRules(**kwargs)


def test_bad_weights_are_refused():
    with pytest.raises(MatchingInputError, match="outcome_gap"):
        ScoreWeights(outcome_gap=-1)


def test_outcome_percentiles_respect_direction_and_gaps():
    values = [10.0, 20.0, None, 30.0, 5.0]
    result = outcome_percentiles(["r", "r", "r", "r", "a"], values, [True, True, True, True, False])
    assert result == [0.0, 0.5, None, 1.0, 0.5]
    assert outcome_percentiles(["a", "a"], [1.0, 2.0], [False, False]) == [1.0, 0.0]


# ---- brute force on small random instances ------------------------------------------------------------

PHASES = ("primary", "secondary")


@st.composite
def regions(draw, max_schools=12):
    n = draw(st.integers(2, max_schools))
    schools = []
    for i in range(n):
        placed = draw(st.integers(0, 9)) > 0
        role = draw(st.sampled_from(["leader", "supported", "supported", "none"]))
        schools.append(
            School(
                f"S{i}",
                draw(st.floats(52.0, 52.5)) if placed else None,
                draw(st.floats(0.0, 0.5)) if placed else None,
                phase=draw(st.sampled_from(PHASES)),
                community=draw(st.sampled_from(["", "majority", "minority"])),
                district=draw(st.sampled_from(["", "North", "South"])),
                urban_rural=draw(st.sampled_from(["", "urban", "rural"])),
                enrolment=draw(st.one_of(st.none(), st.integers(0, 900))),
                ses_index=draw(st.one_of(st.none(), st.floats(0, 100))),
                accepts_online=draw(st.booleans()),
                role=role,
                capacity=draw(st.integers(0, 2)) if role == "leader" else 0,
                strengths=frozenset(draw(st.sets(st.sampled_from(DOMAINS), max_size=2))),
                needs=frozenset(draw(st.sets(st.sampled_from(DOMAINS), max_size=2))),
                performance=draw(st.one_of(st.none(), st.floats(0, 1))),
            )
        )
    ids = [s.id for s in schools]
    forbidden = draw(st.sets(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=3))
    ties = draw(
        st.dictionaries(
            st.tuples(st.sampled_from(ids), st.sampled_from(ids)),
            st.sampled_from([-1.0, 0.5, 1.0]),
            max_size=3,
        )
    )
    rules = MatchingRules(
        max_distance_km=draw(st.sampled_from([5.0, 20.0, 60.0])),
        competition_radius_km=draw(st.sampled_from([0.0, 3.0, 10.0])),
        candidates=max_schools,  # k ≥ the number of schools: every eligible pair is a candidate
        forbidden=MatchingRules.pair_set(forbidden),
        ties={frozenset(p): v for p, v in ties.items() if p[0] != p[1]},
    )
    return schools, rules


def km(a: School | Organisation, b: School) -> float:
    """Great-circle distance between two placed points."""
    return float(
        great_circle_km(*(np.array([v]) for v in (a.latitude, a.longitude, b.latitude, b.longitude)))[0]
    )


def eligible_by_definition(a: School, b: School, rules: MatchingRules) -> tuple[bool, float]:
    placed = a.located and b.located
    d = km(a, b) if placed else math.nan
    if frozenset((a.id, b.id)) in rules.forbidden:
        return False, d
    competes = (placed and d < rules.competition_radius_km) or (
        not placed and a.district and a.district == b.district
    )
    if rules.competition_radius_km > 0 and a.phase == b.phase and competes:
        return False, d
    return (placed and d <= rules.max_distance_km) or (a.accepts_online and b.accepts_online), d


def best_assignment(providers, receivers, options) -> tuple[int, int]:
    """Best (matched, units) where options[r] lists (provider index, units) choices of receiver r."""

    @cache
    def best(r: int, room: tuple[int, ...]) -> tuple[int, int]:
        if r == len(receivers):
            return (0, 0)
        found = best(r + 1, room)
        for p, units in options[r]:
            if room[p] > 0:
                rest = best(r + 1, (*room[:p], room[p] - 1, *room[p + 1 :]))
                found = max(found, (rest[0] + 1, rest[1] + units))
        return found

    return best(0, tuple(p.capacity for p in providers))


@settings(max_examples=120, deadline=None)
@given(regions())
def test_vertical_equals_brute_force(region):
    schools, rules = region
    weights = ScoreWeights()
    result = match_vertical(schools, rules, weights)
    assert match_problems(schools, result, rules, weights) == []
    table = SchoolTable.of(schools)
    leaders = [s for s in schools if s.role == "leader"]
    supported = [s for s in schools if s.role == "supported"]
    index = {s.id: n for n, s in enumerate(schools)}
    options = []
    for b in supported:
        choices = []
        for n, a in enumerate(leaders):
            ok, d = eligible_by_definition(a, b, rules)
            if ok and a.capacity > 0:
                tie = rules.ties.get(frozenset((a.id, b.id)), 0.0)
                parts = vertical_components(
                    table,
                    np.array([index[a.id]]),
                    table,
                    np.array([index[b.id]]),
                    np.array([d]),
                    weights,
                    np.array([tie]),
                )
                choices.append((n, int(sum(int(v[0]) for v in parts.values()))))
        options.append(choices)
    matched, units = best_assignment(leaders, supported, options)
    assert (result.matched, result.solution.total_units) == (matched, units)
    assert result.truncated == ()


@settings(max_examples=80, deadline=None)
@given(
    regions(max_schools=9),
    st.lists(
        st.tuples(st.integers(0, 2), st.sets(st.sampled_from(DOMAINS), min_size=1), st.booleans()),
        min_size=1,
        max_size=3,
    ),
)
def test_organisations_equal_brute_force(region, org_specs):
    schools, rules = region
    weights = ScoreWeights()
    organisations = [
        Organisation(
            f"O{i}", "museum", cap, frozenset(offers), 52.2 if placed else None, 0.2 if placed else None
        )
        for i, (cap, offers, placed) in enumerate(org_specs)
    ]
    result = match_organisations(organisations, schools, rules, weights)
    assert match_problems(schools, result, rules, weights, organisations) == []
    domains = Vocabulary()
    table = SchoolTable.of(schools, domains)
    orgs = SchoolTable.of_organisations(organisations, domains)
    wanting = [s for s in schools if s.needs]
    index = {s.id: n for n, s in enumerate(schools)}
    options = []
    for b in wanting:
        choices = []
        for n, o in enumerate(organisations):
            placed = o.latitude is not None and b.located
            d = km(o, b) if placed else math.nan
            near = placed and d <= rules.max_distance_km
            if (
                o.offers & b.needs
                and (near or b.accepts_online)
                and o.capacity > 0
                and frozenset((o.id, b.id)) not in rules.forbidden
            ):
                tie = rules.ties.get(frozenset((o.id, b.id)), 0.0)
                parts = organisation_components(
                    orgs,
                    np.array([n]),
                    table,
                    np.array([index[b.id]]),
                    np.array([d]),
                    weights,
                    np.array([tie]),
                )
                choices.append((n, int(sum(int(v[0]) for v in parts.values()))))
        options.append(choices)
    matched, units = best_assignment(organisations, wanting, options)
    assert (result.matched, result.solution.total_units) == (matched, units)


def test_the_verifier_catches_an_ineligible_pair():
    leader = school("L", phase="primary", role="leader", capacity=1)
    weak = school("S", 52.01, 0.0, phase="primary", role="supported")
    allowed = MatchingRules(competition_radius_km=0)
    result = match_vertical([leader, weak], allowed)
    assert is_valid_match([leader, weak], result, allowed)
    problems = match_problems([leader, weak], result, MatchingRules(competition_radius_km=5))
    assert any("compete" in p for p in problems)
    forbidding = MatchingRules(competition_radius_km=0, forbidden=MatchingRules.pair_set([("L", "S")]))
    assert any("forbidden" in p for p in match_problems([leader, weak], result, forbidding))
    assert any(
        "components" in p for p in match_problems([leader, weak], result, allowed, ScoreWeights(distance=9))
    )
