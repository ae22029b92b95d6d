"""Tests for the leader / needs-support classification: hand-made groups, brute force, invariants."""

import json
import math
import random
import statistics
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interschool.algorithms.classification import (
    BOTTOM_LATEST,
    BOTTOM_RECENT,
    FALLING_TREND,
    LEADER,
    NEEDS_SUPPORT,
    NO_STRENGTH,
    NONE,
    NOT_ENOUGH_DATA,
    REASON_CODES,
    TOP_YEARS,
    TOP_YEARS_INSUFFICIENT,
    ClassificationInputError,
    Reason,
    Rules,
    SchoolSeries,
    classify,
    group_statistics,
)

YEARS = [2015, 2016, 2017, 2018, 2019]
# The trend rule is switched off where a test is about ranks only.
NO_TREND = {"trend_threshold_sd": 1e9}


def school(key, values, *, group="secondary", strength=True):
    return SchoolSeries(key=key, group=group, has_strength=strength, values=values)


def steady(key, value, years=YEARS, **kwargs):
    return school(key, dict.fromkeys(years, float(value)), **kwargs)


def ladder(n=10, **kwargs):
    """Schools 1..n whose value is their key in every year: n and n-1 are the top 20 %, 1 and 2 the bottom."""
    return [steady(k, k, **kwargs) for k in range(1, n + 1)]


# --- leader schools ------------------------------------------------------------------------------------


def test_steady_top_schools_are_leaders_and_steady_bottom_schools_need_support():
    results = classify(ladder(), Rules(), higher_is_better=True)
    assert {k for k, r in results.items() if r.label == LEADER} == {9, 10}
    assert {k for k, r in results.items() if r.label == NEEDS_SUPPORT} == {1, 2}
    assert all(results[k].label == NONE for k in range(3, 9))

    leader = results[10]
    assert leader.codes() == (TOP_YEARS,)
    top = leader.reasons[0]
    assert top.years == tuple(YEARS)
    assert top.numbers == {
        "percent": 20.0,
        "count": 5,
        "needed": 3,
        "available": 5,
        "window": 5,
        "first_year": 2015,
        "last_year": 2019,
    }

    weakest = results[1]
    assert weakest.codes() == (BOTTOM_LATEST, BOTTOM_RECENT, TOP_YEARS_INSUFFICIENT)
    assert weakest.reason(BOTTOM_LATEST).years == (2019,)
    assert weakest.reason(BOTTOM_RECENT).years == (2017, 2018, 2019)
    assert weakest.reason(BOTTOM_RECENT).numbers == {
        "percent": 20.0,
        "count": 3,
        "needed": 2,
        "window": 3,
        "first_year": 2017,
        "last_year": 2019,
    }


def test_a_none_result_says_in_which_years_the_school_was_top():
    values = {2015: 5.0, 2016: 5.0, 2017: 99.0, 2018: 5.0, 2019: 5.0}
    results = classify([*ladder(), school(11, values)], Rules(**NO_TREND), higher_is_better=True)
    result = results[11]
    assert result.label == NONE
    assert result.codes() == (TOP_YEARS_INSUFFICIENT,)
    reason = result.reasons[0]
    assert reason.years == (2017,)
    assert reason.numbers["count"] == 1
    assert reason.numbers["window"] == 5
    assert (reason.numbers["first_year"], reason.numbers["last_year"]) == (2015, 2019)


def test_suppressed_or_missing_years_never_count_as_top():
    # Top in 2016 and 2017; 2018 suppressed; 2019 missing altogether: 2 real top years, 3 needed.
    values = {2015: 5.0, 2016: 99.0, 2017: 99.0, 2018: None}
    result = classify([*ladder(), school(11, values)], Rules(), higher_is_better=True)[11]
    assert result.label == NONE
    reason = result.reason(TOP_YEARS_INSUFFICIENT)
    assert reason.years == (2016, 2017)
    assert reason.numbers["count"] == 2
    assert reason.numbers["available"] == 3  # 2015, 2016, 2017: the years actually used

    # The same school with a real top value in the suppressed year is a leader.
    values[2018] = 99.0
    assert classify([*ladder(), school(11, values)], Rules(), higher_is_better=True)[11].label == LEADER


def test_suppressed_years_never_count_as_bottom():
    values = {2017: 0.0, 2018: None, 2019: None}
    result = classify([*ladder(), school(11, values)], Rules(), higher_is_better=True)[11]
    # Bottom in 2017 only: one of the last three years, and no value in the latest year.
    assert result.label == NONE
    assert BOTTOM_LATEST not in result.codes() and BOTTOM_RECENT not in result.codes()


def test_only_the_groups_last_years_with_data_count():
    # Top in 2010–2014 but average since: the window is the group's last five years, 2015–2019.
    early = dict.fromkeys(range(2010, 2015), 99.0)
    late = dict.fromkeys(YEARS, 5.5)
    others = [steady(k, k, years=range(2010, 2020)) for k in range(1, 11)]
    result = classify([*others, school(11, {**early, **late})], Rules(), higher_is_better=True)[11]
    assert result.label == NONE
    assert result.reasons[0].numbers["first_year"] == 2015
    assert result.reasons[0].years == ()


def test_years_without_any_data_in_the_group_are_skipped():
    # Nobody has a value for 2017 (for example an exam year cancelled): the last five years with data
    # are then 2014–2016 and 2018–2019, and three top years among them make a leader.
    years = [2014, 2015, 2016, 2018, 2019]
    others = [steady(k, k, years=years) for k in range(1, 11)]
    values = {2014: 1.0, 2015: 1.0, 2016: 99.0, 2017: None, 2018: 99.0, 2019: 99.0}
    result = classify([*others, school(11, values)], Rules(**NO_TREND), higher_is_better=True)[11]
    assert result.label == LEADER
    assert result.reasons[0].years == (2016, 2018, 2019)
    assert (result.reasons[0].numbers["first_year"], result.reasons[0].numbers["last_year"]) == (2014, 2019)


def test_no_strength_means_no_leader():
    schools = [steady(k, k) for k in range(1, 10)] + [steady(10, 10, strength=False)]
    result = classify(schools, Rules(), higher_is_better=True)[10]
    assert result.label == NONE
    assert result.codes() == (TOP_YEARS, NO_STRENGTH)
    assert result.reason(NO_STRENGTH).years == ()

    relaxed = classify(schools, Rules(leader_requires_strength=False), higher_is_better=True)[10]
    assert relaxed.label == LEADER
    assert relaxed.codes() == (TOP_YEARS,)


# --- ties at the boundary ------------------------------------------------------------------------------


ONE_YEAR = Rules(leader_min_years=1, leader_window=1, support_recent_years=1, support_recent_window=1)


def one_year_group(values):
    return [school(k, {2019: float(v)}) for k, v in enumerate(values, start=1)]


def test_three_schools_tied_just_inside_the_top_20_percent_are_all_top():
    # 10 schools, top 20 % = fewer than 2 strictly better. The three 9s have one better school: all top.
    results = classify(one_year_group([10, 9, 9, 9, 5, 4, 3, 3, 2, 1]), ONE_YEAR, higher_is_better=True)
    assert [k for k, r in results.items() if r.label == LEADER] == [1, 2, 3, 4]


def test_three_schools_tied_just_outside_the_top_20_percent_are_all_out():
    # The three 9s have two better schools: none of them is top, whatever their order in the input.
    results = classify(one_year_group([10, 10, 9, 9, 9, 5, 4, 3, 2, 1]), ONE_YEAR, higher_is_better=True)
    assert [k for k, r in results.items() if r.label == LEADER] == [1, 2]
    for k in (3, 4, 5):
        assert results[k].codes() == (TOP_YEARS_INSUFFICIENT,)


def test_ties_at_the_bottom_boundary_share_the_same_fate():
    results = classify(one_year_group([10, 9, 8, 7, 6, 5, 4, 1, 1, 1]), ONE_YEAR, higher_is_better=True)
    assert [k for k, r in results.items() if r.label == NEEDS_SUPPORT] == [8, 9, 10]
    # Here the three 2s have two strictly worse schools: none of them is in the bottom 20 %.
    results = classify(one_year_group([10, 9, 8, 7, 6, 2, 2, 2, 1, 1]), ONE_YEAR, higher_is_better=True)
    assert [k for k, r in results.items() if r.label == NEEDS_SUPPORT] == [9, 10]


def test_a_value_shared_by_the_whole_group_is_neither_top_nor_bottom():
    results = classify(one_year_group([7] * 10), ONE_YEAR, higher_is_better=True)
    assert {r.label for r in results.values()} == {NONE}


def test_a_school_alone_in_its_group_is_neither_top_nor_bottom():
    result = classify([steady(1, 50)], Rules(), higher_is_better=True)[1]
    assert result.label == NONE
    assert result.codes() == (TOP_YEARS_INSUFFICIENT,)
    assert result.reasons[0].numbers["count"] == 0


# --- direction, groups, data ---------------------------------------------------------------------------


def test_lower_is_better_turns_the_ranking_around():
    results = classify(ladder(), Rules(), higher_is_better=False)
    assert {k for k, r in results.items() if r.label == LEADER} == {1, 2}
    assert {k for k, r in results.items() if r.label == NEEDS_SUPPORT} == {9, 10}


def test_groups_are_ranked_independently():
    primary = ladder(group="primary")
    # Secondary schools with much higher values: they must not push primary schools out of the top.
    secondary = [steady(100 + k, 1000 + k, group="secondary") for k in range(1, 11)]
    alone = classify(primary, Rules(), higher_is_better=True)
    together = classify(primary + secondary, Rules(), higher_is_better=True)
    assert {k: together[k] for k in alone} == alone
    assert {k for k, r in together.items() if r.label == LEADER} == {9, 10, 109, 110}


def test_schools_without_data_are_explained():
    results = classify([*ladder(), school(11, dict.fromkeys(YEARS))], Rules(), higher_is_better=True)
    assert results[11].label == NONE
    assert results[11].codes() == (NOT_ENOUGH_DATA,)
    assert results[11].reasons[0].numbers == {"needed": 3, "window": 5, "first_year": 2015, "last_year": 2019}

    empty = classify([school(1, {}), school(2, {2019: None})], Rules(), higher_is_better=True)
    assert empty[1] == empty[2]
    assert empty[1].codes() == (NOT_ENOUGH_DATA,)
    assert empty[1].reasons[0].numbers == {"needed": 3, "window": 0}


def test_non_finite_values_count_as_missing():
    with_nan = classify([*ladder(), school(11, {2019: math.nan})], Rules(), higher_is_better=True)
    assert with_nan[11].codes() == (NOT_ENOUGH_DATA,)


def test_bottom_in_two_of_the_last_three_years_needs_support():
    values = {2015: 5.0, 2016: 5.0, 2017: 0.0, 2018: 0.0, 2019: 5.0}
    result = classify([*ladder(), school(11, values)], Rules(**NO_TREND), higher_is_better=True)[11]
    assert result.label == NEEDS_SUPPORT
    assert result.codes() == (BOTTOM_RECENT, TOP_YEARS_INSUFFICIENT)
    assert result.reasons[0].years == (2017, 2018)


# --- trend ---------------------------------------------------------------------------------------------


def pooled_sd(schools, years):
    """Pooled within-year sample standard deviation, computed the slow way."""
    squares, dof = 0.0, 0
    for year in years:
        values = [s.values[year] for s in schools if s.values.get(year) is not None]
        if len(values) >= 2:
            squares += statistics.variance(values) * (len(values) - 1)
            dof += len(values) - 1
    return math.sqrt(squares / dof)


def trend_group():
    # Nine steady schools at 10, 20, …, 90 and school 10 falling 85 → 70 → 55 (15 a year): never in
    # the bottom 20 % and only once in the top, so only its trend can flag it.
    return [steady(k, 10 * k, years=[2017, 2018, 2019]) for k in range(1, 10)] + [
        school(10, {2017: 85.0, 2018: 70.0, 2019: 55.0})
    ]


def test_a_steep_fall_needs_support():
    schools = trend_group()
    result = classify(schools, Rules(), higher_is_better=True)[10]
    assert result.label == NEEDS_SUPPORT
    assert result.codes() == (FALLING_TREND, TOP_YEARS_INSUFFICIENT)
    trend = result.reasons[0]
    sd = pooled_sd(schools, [2017, 2018, 2019])
    assert trend.years == (2017, 2018, 2019)
    assert trend.numbers["slope"] == pytest.approx(-15.0)
    assert trend.numbers["sd"] == pytest.approx(sd)
    assert trend.numbers["slope_sd"] == pytest.approx(-15.0 / sd)
    assert trend.numbers["slope_sd"] < -0.25
    # A gentler threshold than the fall leaves the school unflagged.
    gentle = Rules(trend_threshold_sd=-trend.numbers["slope_sd"] + 0.01)
    assert classify(schools, gentle, higher_is_better=True)[10].label == NONE


def test_a_rising_value_is_a_falling_trend_when_lower_is_better():
    schools = [steady(k, 10 * k, years=[2017, 2018, 2019]) for k in range(1, 10)] + [
        school(10, {2017: 25.0, 2018: 40.0, 2019: 55.0})
    ]
    result = classify(schools, Rules(), higher_is_better=False)[10]
    assert result.label == NEEDS_SUPPORT
    assert result.reasons[0].code == FALLING_TREND
    assert result.reasons[0].numbers["slope"] == pytest.approx(15.0)  # in the indicator's own units
    assert result.reasons[0].numbers["slope_sd"] < 0  # always "worse" in the indicator's direction
    assert classify(schools, Rules(), higher_is_better=True)[10].label == NONE


def test_a_trend_needs_enough_points():
    schools = trend_group()
    schools[-1] = school(10, {2017: 85.0, 2018: None, 2019: 55.0})
    assert classify(schools, Rules(), higher_is_better=True)[10].label == NONE
    relaxed = classify(schools, Rules(trend_min_points=2), higher_is_better=True)[10]
    assert relaxed.label == NEEDS_SUPPORT
    assert relaxed.reasons[0].years == (2017, 2019)


# --- precedence ----------------------------------------------------------------------------------------


def test_a_leader_with_a_falling_trend_stays_a_leader_and_is_warned():
    others = [steady(k, 10 * k) for k in range(1, 10)]
    falling = school(10, {2015: 200.0, 2016: 200.0, 2017: 200.0, 2018: 150.0, 2019: 100.0})
    result = classify([*others, falling], Rules(), higher_is_better=True)[10]
    assert result.label == LEADER
    assert result.codes() == (TOP_YEARS, FALLING_TREND)


def test_bottom_results_outweigh_earlier_top_years():
    others = [steady(k, 10 * k) for k in range(1, 10)]
    collapsed = school(10, {2015: 200.0, 2016: 200.0, 2017: 200.0, 2018: 50.0, 2019: 0.0})
    result = classify([*others, collapsed], Rules(), higher_is_better=True)[10]
    assert result.label == NEEDS_SUPPORT
    assert result.codes() == (BOTTOM_LATEST, FALLING_TREND, TOP_YEARS)
    assert result.reason(TOP_YEARS).years == (2015, 2016, 2017)


# --- input checks and serialisation --------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"leader_top_percent": 0},
        {"support_bottom_percent": 120},
        {"leader_min_years": 6},
        {"leader_window": 0},
        {"support_recent_years": 4},
        {"trend_min_points": 1},
        {"trend_min_points": 4},
        {"trend_threshold_sd": -1},
        {"leader_min_years": 2.5},
    ],
)
def test_rules_are_checked(bad):
    with pytest.raises(ClassificationInputError):
        Rules(**bad)


def test_rules_round_trip_and_reject_unknown_keys():
    rules = Rules(leader_top_percent=10.0, trend_window=4)
    assert Rules.from_dict(json.loads(json.dumps(rules.to_dict()))) == rules
    assert Rules.from_dict({}) == Rules()
    with pytest.raises(ClassificationInputError, match="colour"):
        Rules.from_dict({"colour": "blue"})


def test_duplicate_keys_are_rejected():
    with pytest.raises(ClassificationInputError):
        classify([steady(1, 1), steady(1, 2, group="primary")], Rules(), higher_is_better=True)


def test_values_must_be_numbers():
    with pytest.raises(ClassificationInputError):
        classify([school(1, {2019: "s"})], Rules(), higher_is_better=True)


def test_long_windows_work():
    years = list(range(1900, 2000))
    rules = Rules(leader_min_years=100, leader_window=100)
    results = classify([steady(k, k, years=years) for k in range(1, 11)], rules, higher_is_better=True)
    assert results[10].label == LEADER
    assert results[10].reasons[0].years == tuple(years)


def test_reasons_serialise_to_plain_json():
    trends = [SchoolSeries(100 + s.key, "primary", s.has_strength, s.values) for s in trend_group()]
    results = classify([*ladder(), *trends, school(99, {})], Rules(), higher_is_better=True)
    assert set(REASON_CODES) - {c for r in results.values() for c in r.codes()} == {NO_STRENGTH}
    for result in results.values():
        for reason in result.reasons:
            assert reason.code in REASON_CODES
            stored = json.loads(json.dumps(reason.as_dict()))
            assert Reason.from_dict(stored) == reason
            assert all(type(y) is int for y in reason.years)
            assert list(reason.years) == sorted(reason.years)


# --- group statistics ----------------------------------------------------------------------------------


def test_group_statistics_by_hand():
    schools = [*one_year_group([10, 9, 9, 9, 5, 4, 3, 3, 2, 1]), school(99, {2019: 3.0}, group="primary")]
    stats = group_statistics(schools, higher_is_better=True)
    stat = stats[("secondary", 2019)]
    assert stat.n == 10
    assert stat.median == 4.5
    assert stat.mean == pytest.approx(5.5)
    assert stat.sd == pytest.approx(statistics.stdev([10, 9, 9, 9, 5, 4, 3, 3, 2, 1]))
    assert stat.p80 == 9.0  # the worst value still in the top 20 % (the tied 9s are in)
    assert stat.p20 == 2.0  # the best value still in the bottom 20 %
    lone = stats[("primary", 2019)]
    assert (lone.n, lone.median, lone.sd) == (1, 3.0, None)

    reverse = group_statistics(schools, higher_is_better=False)[("secondary", 2019)]
    assert (reverse.p80, reverse.p20) == (2.0, 9.0)
    assert reverse.median == stat.median


# --- properties: brute force, order, speed -------------------------------------------------------------


def brute_force_flags(value, column, rules, sign):
    """(top, bottom) of one value among a group-year's values by direct counting; both → neither."""
    if value is None:
        return False, False
    v, n = sign * value, len(column)
    top = sum(1 for w in column if w > v) < rules.leader_top_percent / 100 * n
    bottom = sum(1 for w in column if w < v) < rules.support_bottom_percent / 100 * n
    return top and not bottom, bottom and not top


def brute_force_labels(schools, rules, higher_is_better):
    """Top years and labels (trend off), one school at a time."""
    by_group = {}
    for s in schools:
        by_group.setdefault(s.group, []).append(s)
    sign = 1 if higher_is_better else -1
    labels = {}
    for members in by_group.values():
        years = sorted({y for s in members for y, v in s.values.items() if v is not None})
        column = {y: [sign * s.values[y] for s in members if s.values.get(y) is not None] for y in years}
        for s in members:
            flags = {y: brute_force_flags(s.values.get(y), column[y], rules, sign) for y in years}
            top_years = tuple(y for y in years[-rules.leader_window :] if flags[y][0])
            bottom_years = [y for y in years[-rules.support_recent_window :] if flags[y][1]]
            bottom = (bool(years) and flags[years[-1]][1]) or len(bottom_years) >= rules.support_recent_years
            leader = len(top_years) >= rules.leader_min_years and (
                s.has_strength or not rules.leader_requires_strength
            )
            labels[s.key] = (NEEDS_SUPPORT if bottom else LEADER if leader else NONE, top_years)
    return labels


school_sets = st.lists(
    st.tuples(
        st.sampled_from(["primary", "secondary"]),
        st.booleans(),
        # Few distinct values so that ties are common.
        st.dictionaries(
            st.integers(2015, 2021), st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.0, 2.5, 3.0, 7.0]))
        ),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(school_sets, st.booleans(), st.sampled_from([10.0, 20.0, 34.0, 50.0]))
def test_labels_match_brute_force(raw, higher_is_better, percent):
    schools = [school(k, values, group=g, strength=h) for k, (g, h, values) in enumerate(raw)]
    rules = Rules(leader_top_percent=percent, support_bottom_percent=percent, **NO_TREND)
    results = classify(schools, rules, higher_is_better=higher_is_better)
    expected = brute_force_labels(schools, rules, higher_is_better)
    assert {k: r.label for k, r in results.items()} == {k: label for k, (label, _) in expected.items()}
    for key, (_label, top_years) in expected.items():
        top = results[key].reason(TOP_YEARS) or results[key].reason(TOP_YEARS_INSUFFICIENT)
        assert (top.years if top else ()) == top_years


@settings(max_examples=100, deadline=None)
@given(school_sets, st.booleans(), st.randoms(use_true_random=False))
def test_shuffling_the_schools_never_changes_the_results(raw, higher_is_better, rnd):
    schools = [school(k, values, group=g, strength=h) for k, (g, h, values) in enumerate(raw)]
    rules = Rules(trend_min_points=2)
    shuffled = schools[:]
    rnd.shuffle(shuffled)
    assert classify(shuffled, rules, higher_is_better=higher_is_better) == classify(
        schools, rules, higher_is_better=higher_is_better
    )
    assert group_statistics(shuffled, higher_is_better=higher_is_better) == group_statistics(
        schools, higher_is_better=higher_is_better
    )


@settings(max_examples=100, deadline=None)
@given(school_sets, st.booleans())
def test_p80_and_p20_are_the_cuts_of_the_ranking(raw, higher_is_better):
    schools = [school(k, values, group=g, strength=True) for k, (g, _h, values) in enumerate(raw)]
    stats = group_statistics(schools, higher_is_better=higher_is_better)
    sign = 1 if higher_is_better else -1
    for (group, year), stat in stats.items():
        values = [s.values[year] for s in schools if s.group == group and s.values.get(year) is not None]
        assert stat.n == len(values)
        for v in values:
            strictly_better = sum(1 for w in values if sign * w > sign * v)
            strictly_worse = sum(1 for w in values if sign * w < sign * v)
            assert (strictly_better < 0.2 * len(values)) == (sign * v >= sign * stat.p80)
            assert (strictly_worse < 0.2 * len(values)) == (sign * v <= sign * stat.p20)


def test_twenty_five_thousand_schools_over_ten_years_are_fast():
    rng = random.Random(7)
    phases = ["primary", "middle", "secondary", "special"]
    schools = []
    for k in range(25_000):
        level = rng.gauss(50, 10)
        values = {y: None if rng.random() < 0.1 else level + rng.gauss(0, 3) for y in range(2015, 2025)}
        schools.append(school(k, values, group=phases[k % 4], strength=k % 3 != 0))
    start = time.perf_counter()
    results = classify(schools, Rules(), higher_is_better=True)
    elapsed = time.perf_counter() - start
    assert len(results) == 25_000
    assert {r.label for r in results.values()} == {LEADER, NEEDS_SUPPORT, NONE}
    assert elapsed < 2.0  # typically 0.3 s; the bound leaves room for a loaded test machine
