"""Tests for the fair rotation of a shared resource: hand-made terms, brute force, spread, actual use."""

import doctest
import math
import random
import time as clock
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import interschool.algorithms.rotation as rotation_module
from interschool.algorithms.rotation import (
    PartnerSchool,
    RotationInputError,
    Slot,
    apportion,
    compare_use,
    exact_weight,
    is_valid_rotation,
    plan_rotation,
    rotation_problems,
)

TERM_START = date(2025, 9, 1)  # a Monday


def term(days, *, closed=(), per_day=1):
    """Slots on the first ``days`` weekdays of the term, ``per_day`` a day, leaving out closure dates."""
    return [
        Slot(f"{day.isoformat()}-{n}", day, time(9 + 3 * n), time(11 + 3 * n))
        for day in weekdays(days)
        if day not in closed
        for n in range(per_day)
    ]


def weekdays(count):
    days, day = [], TERM_START
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def counts_of(rotation):
    return {school: row.assigned for school, row in rotation.shares.items()}


def exact_shares(slots, schools):
    total = sum(1 for s in slots if any(s.on not in p.unavailable for p in schools))
    weight_sum = sum(exact_weight(p.weight) for p in schools)
    return {p.id: total * exact_weight(p.weight) / weight_sum for p in schools}


def reachable_counts(slots, schools):
    """Brute force: every count vector reachable by giving each slot to a school that can come."""
    ids = [p.id for p in schools]
    reached = {tuple(0 for _ in ids)}
    for slot in slots:
        able = [i for i, p in enumerate(schools) if slot.on not in p.unavailable]
        if not able:
            continue
        reached = {(*c[:i], c[i] + 1, *c[i + 1 :]) for c in reached for i in able}
    return [dict(zip(ids, c, strict=True)) for c in reached]


def deviation_of(counts, shares):
    """(maximum, total, sum of squared) deviations from the fair shares: the order the counts follow."""
    deviations = [abs(counts[s] - shares[s]) for s in shares]
    return max(deviations), sum(deviations), sum(d * d for d in deviations)


def hall_allows(slots, schools, wanted):
    """Independent check that ``wanted`` counts are reachable: Hall's condition on every set of schools."""
    assignable = [s for s in slots if any(s.on not in p.unavailable for p in schools)]
    if sum(wanted.values()) != len(assignable):
        return False
    for size in range(1, len(schools) + 1):
        for group in combinations(schools, size):
            reach = sum(1 for s in assignable if any(s.on not in p.unavailable for p in group))
            if sum(wanted[p.id] for p in group) > reach:
                return False
    return True


def assert_sound(slots, schools, rotation):
    assert rotation_problems(slots, schools, rotation) == []
    by_id = {p.id: p for p in schools}
    slot_by_id = {s.id: s for s in slots}
    # every slot exactly once, at most one school, never on a date the school cannot come
    assert sorted(rotation.assignment) == sorted(slot_by_id)
    for slot_id, school in rotation.assignment.items():
        if school is not None:
            assert slot_by_id[slot_id].on not in by_id[school].unavailable
    shares = exact_shares(slots, schools)
    for school, row in rotation.shares.items():
        assert row.fair_share == shares[school]
        assert row.deviation == row.assigned - shares[school]
        assert row.target in (math.floor(shares[school]), math.ceil(shares[school]))
    assert sum(row.target for row in rotation.shares.values()) == len(slots) - len(rotation.unassignable)


# --- docstring -----------------------------------------------------------------------------------------


def test_docstring_examples_run():
    failed, attempted = doctest.testmod(rotation_module)
    assert attempted > 0
    assert failed == 0


# --- quotas ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights", "seats", "expected"),
    [
        ({"A": 1, "B": 1, "C": 1}, 10, {"A": 4, "B": 3, "C": 3}),
        ({"A": 2, "B": 1, "C": 1}, 10, {"A": 5, "B": 3, "C": 2}),  # 5, 2.5, 2.5: tie by id
        ({"A": 3, "B": 2}, 7, {"A": 4, "B": 3}),  # 4.2, 2.8
        ({2: 2, 3: 3, 5: 5, 7: 7}, 20, {2: 2, 3: 4, 5: 6, 7: 8}),  # 2.35, 3.53, 5.88, 8.24
        ({"A": 1, "B": 1}, 0, {"A": 0, "B": 0}),
        ({"A": Fraction(1, 3), "B": Decimal("0.5"), "C": 0.1}, 28, {"A": 10, "B": 15, "C": 3}),
    ],
)
def test_apportionment_by_largest_remainders(weights, seats, expected):
    assert apportion(weights, seats) == expected


@given(
    weights=st.lists(st.integers(1, 20), min_size=1, max_size=7),
    seats=st.integers(0, 60),
)
def test_apportionment_sums_and_stays_within_quota(weights, seats):
    counts = apportion(dict(enumerate(weights)), seats)
    assert sum(counts.values()) == seats
    for school, weight in enumerate(weights):
        share = Fraction(seats * weight, sum(weights))
        assert math.floor(share) <= counts[school] <= math.ceil(share)


# --- hand-made terms ------------------------------------------------------------------------------------

WEIGHTS = {
    "equal": {"A": 1, "B": 1, "C": 1},
    "2:1:1": {"A": 2, "B": 1, "C": 1},
    "3:2": {"A": 3, "B": 2},
    "primes": {"A": 2, "B": 3, "C": 5, "D": 7},
}


@pytest.mark.parametrize("setting", sorted(WEIGHTS))
@pytest.mark.parametrize("closures", [(), (date(2025, 9, 8), date(2025, 10, 1), date(2025, 10, 2))])
def test_every_school_gets_its_target_when_the_dates_allow(setting, closures):
    slots = term(37, closed=closures, per_day=1)
    days = sorted({s.on for s in slots})
    assert not set(closures) & set(days)
    rng = random.Random(setting)
    schools = [
        # each school misses about one day in six; no day is missed by everyone
        PartnerSchool(school, weight, frozenset(d for n, d in enumerate(days) if (n + i) % 6 == 0))
        for i, (school, weight) in enumerate(WEIGHTS[setting].items())
    ]
    rng.shuffle(schools)
    rotation = plan_rotation(slots, schools)
    assert_sound(slots, schools, rotation)
    assert rotation.unassignable == ()
    targets = {school: row.target for school, row in rotation.shares.items()}
    assert hall_allows(slots, schools, targets)
    assert rotation.targets_met and rotation.within_quota and rotation.shortfalls == ()
    for row in rotation.shares.values():
        assert row.fair_share == Fraction(
            len(slots) * WEIGHTS[setting][row.school], sum(WEIGHTS[setting].values())
        )
        assert abs(row.deviation) < 1


def test_closures_left_out_shrink_the_shares():
    slots = term(20, closed=(date(2025, 9, 3), date(2025, 9, 4), date(2025, 9, 5)))
    assert len(slots) == 17
    rotation = plan_rotation(slots, [PartnerSchool("A", 2), PartnerSchool("B", 1)])
    assert rotation.shares["A"].fair_share == Fraction(34, 3)
    assert (rotation.shares["A"].target, rotation.shares["B"].target) == (11, 6)
    assert counts_of(rotation) == {"A": 11, "B": 6}


def test_a_day_no_school_can_come_stays_empty_and_is_reported():
    slots = term(10, per_day=2)
    strike = slots[4].on
    schools = [
        PartnerSchool("A", 1, frozenset({strike})),
        PartnerSchool("B", 1, frozenset({strike, slots[0].on})),
    ]
    rotation = plan_rotation(slots, schools)
    assert_sound(slots, schools, rotation)
    assert set(rotation.unassignable) == {s.id for s in slots if s.on == strike}
    assert all(rotation.assignment[s] is None for s in rotation.unassignable)
    # 18 assignable slots, shared 9 / 9
    assert {r.fair_share for r in rotation.shares.values()} == {9}
    assert counts_of(rotation) == {"A": 9, "B": 9}


def test_when_the_dates_make_the_share_impossible_it_is_reported():
    slots = term(12)
    days = [s.on for s in slots]
    schools = [
        PartnerSchool("A", 1),
        PartnerSchool("B", 1),
        PartnerSchool("C", 1, frozenset(days[2:])),  # can come on two days only
    ]
    rotation = plan_rotation(slots, schools)
    assert_sound(slots, schools, rotation)
    # C can take 2 of its 4; the other 2 are shared out, one each: max deviation 2, total 4
    assert counts_of(rotation) == {"A": 5, "B": 5, "C": 2}
    assert (rotation.max_deviation, rotation.total_deviation) == (2, 4)
    assert not rotation.within_quota and not rotation.targets_met
    assert [(s.school, s.code, s.assigned, s.bound, s.available, s.sole) for s in rotation.shortfalls] == [
        ("A", "above_ceil", 5, 4, 12, 0),
        ("B", "above_ceil", 5, 4, 12, 0),
        ("C", "below_floor", 2, 4, 2, 0),
    ]
    assert set(rotation.slots_of("C")) == {slots[0].id, slots[1].id}


def test_a_school_alone_on_many_days_goes_above_its_ceiling():
    slots = term(10)
    days = [s.on for s in slots]
    schools = [PartnerSchool("A", 1), PartnerSchool("B", 4, frozenset(days[:6]))]
    rotation = plan_rotation(slots, schools)
    assert_sound(slots, schools, rotation)
    # shares 2 and 8, but B can come on 4 days only, so A must take the other 6
    assert counts_of(rotation) == {"A": 6, "B": 4}
    assert [(s.school, s.code, s.sole) for s in rotation.shortfalls] == [
        ("A", "above_ceil", 6),
        ("B", "below_floor", 0),
    ]


def test_a_tied_remainder_moves_to_the_school_that_can_come():
    slots = term(4)
    days = [s.on for s in slots]
    schools = [PartnerSchool("A", 1, frozenset(days[1:])), PartnerSchool("B", 1), PartnerSchool("C", 1)]
    rotation = plan_rotation(slots, schools)
    # targets 2, 1, 1 (the tie of remainders goes to A), but A can come once: B takes the spare slot,
    # which is just as fair, so nobody is outside the quota
    assert [r.target for r in rotation.shares.values()] == [2, 1, 1]
    assert counts_of(rotation) == {"A": 1, "B": 2, "C": 1}
    assert rotation.within_quota and not rotation.targets_met
    assert rotation.max_deviation == Fraction(2, 3)


def test_no_slots_and_a_single_school():
    empty = plan_rotation([], [PartnerSchool("A", 1)])
    assert empty.assignment == {} and empty.shares["A"].fair_share == 0 and empty.within_quota
    slots = term(5)
    alone = plan_rotation(slots, [PartnerSchool(7, 3, frozenset({slots[1].on}))])
    assert alone.unassignable == (slots[1].id,)
    assert alone.slots_of(7) == tuple(s.id for s in slots if s is not slots[1])


def test_ids_may_be_integers_and_strings():
    slots = [Slot(k, TERM_START + timedelta(days=k), time(9), time(10)) for k in range(6)]
    rotation = plan_rotation(slots, [PartnerSchool("b", 1), PartnerSchool(10, 1), PartnerSchool(2, 1)])
    assert list(rotation.shares) == [2, 10, "b"]
    assert_sound(slots, [PartnerSchool("b", 1), PartnerSchool(10, 1), PartnerSchool(2, 1)], rotation)


# --- determinism and spread -----------------------------------------------------------------------------


def test_the_same_input_in_any_order_gives_the_same_rotation():
    slots = term(30, per_day=2)
    days = sorted({s.on for s in slots})
    schools = [
        PartnerSchool("A", 3, frozenset(days[::4])),
        PartnerSchool("B", 2, frozenset(days[1::5])),
        PartnerSchool("C", 2),
        PartnerSchool("D", 1, frozenset(days[:10])),
    ]
    first = plan_rotation(slots, schools)
    assert plan_rotation(slots, schools) == first
    for seed in range(5):
        rng = random.Random(seed)
        shuffled_slots, shuffled_schools = slots[:], schools[:]
        rng.shuffle(shuffled_slots)
        rng.shuffle(shuffled_schools)
        again = plan_rotation(shuffled_slots, shuffled_schools)
        assert again == first
        assert list(again.assignment.items()) == list(first.assignment.items())


def test_slots_are_interleaved_not_bunched():
    slots = term(12)

    def order(rotation):
        return "".join(str(rotation.assignment[s.id]) for s in slots)

    assert order(plan_rotation(slots, [PartnerSchool("A", 1), PartnerSchool("B", 1)])) == "ABABABABABAB"
    three = [PartnerSchool("A", 1), PartnerSchool("B", 1), PartnerSchool("C", 1)]
    assert order(plan_rotation(slots, three)) == "ABCABCABCABC"
    assert order(plan_rotation(slots, [PartnerSchool("A", 2), PartnerSchool("B", 1)])) == "ABAABAABAABA"


def test_spreading_keeps_the_counts_when_a_school_is_away_for_a_while():
    slots = term(20)
    days = [s.on for s in slots]
    # B is away for the first half: it must take its slots in the second half, A the rest of them
    schools = [PartnerSchool("A", 1), PartnerSchool("B", 1, frozenset(days[:10]))]
    rotation = plan_rotation(slots, schools)
    assert_sound(slots, schools, rotation)
    assert counts_of(rotation) == {"A": 10, "B": 10}
    assert set(rotation.slots_of("B")) == {s.id for s in slots[10:]}


@settings(max_examples=60, deadline=None)
@given(weights=st.lists(st.integers(1, 9), min_size=1, max_size=8), days=st.integers(1, 40))
def test_when_everyone_can_come_each_school_keeps_pace(weights, days):
    # Tijdeman's bound: within 1 − 1/(2m − 2) of the pace c·L/S after any L slots
    slots = [Slot(k, TERM_START + timedelta(days=k), time(9), time(10)) for k in range(days)]
    rotation = plan_rotation(slots, [PartnerSchool(i, w) for i, w in enumerate(weights)])
    counts = counts_of(rotation)
    assert counts == {row.school: row.target for row in rotation.shares.values()}
    with_slots = sum(1 for c in counts.values() if c)
    bound = 1 - Fraction(1, 2 * with_slots - 2) if with_slots > 1 else Fraction(0)
    given_so_far = dict.fromkeys(counts, 0)
    for length, slot in enumerate(slots, start=1):
        given_so_far[rotation.assignment[slot.id]] += 1
        for school, count in counts.items():
            assert abs(given_so_far[school] - Fraction(count * length, days)) <= bound


# --- against brute force --------------------------------------------------------------------------------


@st.composite
def small_terms(draw, max_slots=9, max_schools=4):
    days = draw(st.integers(1, 6))
    dates = [TERM_START + timedelta(days=d) for d in range(days)]
    slot_count = draw(st.integers(0, max_slots))
    slots = [Slot(f"s{k}", draw(st.sampled_from(dates)), time(8 + k), time(9 + k)) for k in range(slot_count)]
    school_count = draw(st.integers(1, max_schools))
    schools = [
        PartnerSchool(
            f"p{i}",
            draw(st.integers(1, 7)),
            frozenset(draw(st.lists(st.sampled_from(dates), max_size=days))),
        )
        for i in range(school_count)
    ]
    return slots, schools


@settings(max_examples=250, deadline=None)
@given(small_terms())
def test_counts_are_the_brute_force_optimum(case):
    slots, schools = case
    rotation = plan_rotation(slots, schools)
    assert_sound(slots, schools, rotation)
    assert is_valid_rotation(slots, schools, rotation)
    shares = exact_shares(slots, schools)
    reachable = reachable_counts(slots, schools)
    best = min(deviation_of(c, shares) for c in reachable)
    counts = counts_of(rotation)
    assert counts in reachable
    assert deviation_of(counts, shares) == best
    assert (rotation.max_deviation, rotation.total_deviation) == best[:2]
    targets = {school: row.target for school, row in rotation.shares.items()}
    if targets in reachable:
        assert counts == targets
        assert rotation.targets_met
        assert hall_allows(slots, schools, targets)
    else:
        assert not hall_allows(slots, schools, targets)
    # within one slot of the fair share whenever some assignment is
    within = any(all(abs(c[s] - shares[s]) < 1 for s in shares) for c in reachable)
    assert rotation.within_quota == within == (rotation.max_deviation < 1)


@settings(max_examples=50, deadline=None)
@given(small_terms(), st.randoms(use_true_random=False))
def test_input_order_never_matters(case, rng):
    slots, schools = case
    shuffled_slots, shuffled_schools = slots[:], schools[:]
    rng.shuffle(shuffled_slots)
    rng.shuffle(shuffled_schools)
    assert plan_rotation(shuffled_slots, shuffled_schools) == plan_rotation(slots, schools)


def test_the_verifier_catches_broken_rotations():
    slots = term(6)
    schools = [PartnerSchool("A", 1), PartnerSchool("B", 1, frozenset({slots[0].on}))]
    rotation = plan_rotation(slots, schools)
    assert rotation_problems(slots, schools, rotation) == []

    def problems(**changes):
        return rotation_problems(slots, schools, replace(rotation, **changes))

    wrong_day = dict(rotation.assignment, **{slots[0].id: "B"})
    assert any("cannot come" in p for p in problems(assignment=wrong_day))
    idle = dict(rotation.assignment, **{slots[1].id: None})
    assert any("is empty" in p for p in problems(assignment=idle))
    assert any("unassignable" in p for p in problems(unassignable=(slots[2].id,)))
    miscounted = dict(rotation.shares, A=replace(rotation.shares["A"], assigned=4))
    assert any("slots counted" in p for p in problems(shares=miscounted))
    assert not is_valid_rotation(slots, schools, replace(rotation, assignment={}))


def test_a_large_term_is_fast():
    rng = random.Random(7)
    days = weekdays(200)
    slots = [Slot(f"{d}-{n}", d, time(9 + 4 * n), time(12 + 4 * n)) for d in days for n in range(2)]
    schools = [
        PartnerSchool(i, rng.randint(1, 6), frozenset(d for d in days if rng.random() < 0.3))
        for i in range(20)
    ]
    started = clock.perf_counter()
    rotation = plan_rotation(slots, schools)
    assert clock.perf_counter() - started < 5
    assert_sound(slots, schools, rotation)
    assert rotation.targets_met


# --- planned against actual use -------------------------------------------------------------------------


def test_planned_against_actual_use():
    slots = term(9)
    rotation = plan_rotation(slots, [PartnerSchool("A", 2), PartnerSchool("B", 1)])
    plan = rotation.assignment
    assert [plan[s.id] for s in slots] == list("ABAABAABA")
    actual = {s.id: plan[s.id] for s in slots}
    actual[slots[1].id] = "A"  # B's slot used by A
    actual[slots[2].id] = None  # A's slot not used
    del actual[slots[8].id]  # not recorded: not used
    use = compare_use(rotation, actual)
    assert {s: (r.planned, r.actual, r.fair_share, r.deviation) for s, r in use.rows.items()} == {
        "A": (6, 5, 6, -1),
        "B": (3, 2, 3, -1),
    }
    assert use.changed == (slots[1].id, slots[2].id, slots[8].id)
    assert use.unused == (slots[2].id, slots[8].id)
    # as a list of pairs, and exactly as planned
    same = compare_use(rotation, list(plan.items()))
    assert same.changed == () and same.unused == ()
    assert [(r.actual, r.deviation) for r in same.rows.values()] == [(6, 0), (3, 0)]


def test_actual_use_that_does_not_fit_the_plan_is_refused():
    slots = term(3)
    rotation = plan_rotation(slots, [PartnerSchool("A", 1)])
    with pytest.raises(RotationInputError, match="not in the plan"):
        compare_use(rotation, {"elsewhere": "A"})
    with pytest.raises(RotationInputError, match="not a partner school"):
        compare_use(rotation, {slots[0].id: "Z"})
    with pytest.raises(RotationInputError, match="listed twice"):
        compare_use(rotation, [(slots[0].id, "A"), (slots[0].id, None)])


# --- input checks ---------------------------------------------------------------------------------------


def test_bad_input_is_refused():
    slots = term(3)
    with pytest.raises(RotationInputError, match="no schools"):
        plan_rotation(slots, [])
    with pytest.raises(RotationInputError, match="school id 'A' appears twice"):
        plan_rotation(slots, [PartnerSchool("A", 1), PartnerSchool("A", 2)])
    with pytest.raises(RotationInputError, match=r"slot id .* appears twice"):
        plan_rotation([*slots, slots[0]], [PartnerSchool("A", 1)])
    for weight in (0, -1, Fraction(-1, 2), float("nan"), float("inf"), Decimal("NaN"), True, "2"):
        with pytest.raises(RotationInputError, match="weight"):
            PartnerSchool("A", weight)
    with pytest.raises(RotationInputError, match="not before its end"):
        Slot("s", TERM_START, time(10), time(9))
    with pytest.raises(RotationInputError, match="must be a date"):
        Slot("s", datetime(2025, 9, 1, 9), time(9), time(10))  # noqa: DTZ001 - a naive datetime on purpose
    with pytest.raises(RotationInputError, match="unavailable dates must be dates"):
        PartnerSchool("A", 1, frozenset({"2025-09-01"}))
    with pytest.raises(RotationInputError, match="integer or a string"):
        PartnerSchool(None, 1)
    with pytest.raises(RotationInputError, match="seats"):
        apportion({"A": 1}, -1)
