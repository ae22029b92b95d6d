"""The exact assignment solver against brute force, the HiGHS linear programme and hand-made cases."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from decimal import Decimal
from fractions import Fraction
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import interschool.algorithms as algorithms
from interschool.algorithms.matching.assignment import (
    AssignmentProblem,
    CapacityError,
    DuplicatePairError,
    UnknownSchoolError,
    assignment_problems,
    is_valid_assignment,
    solve_assignment,
    solve_assignment_greedy,
    solve_assignment_lp,
)
from interschool.algorithms.matching.exact import MatchingInputError, ScoreGrid, ScorePrecisionError


def algorithm_modules():
    for info in pkgutil.walk_packages(algorithms.__path__, "interschool.algorithms."):
        if ".tests" not in info.name:
            yield info.name


@pytest.mark.parametrize("name", sorted(algorithm_modules()))
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failed == 0


def brute_force(problem: AssignmentProblem) -> tuple[int, int]:
    """Best (matched, total units) over every assignment, by memoised recursion over supported schools."""
    options: list[list[int]] = [[] for _ in problem.supported_ids]
    for i in range(problem.pair_count):
        options[int(problem.pair_supported[i])].append(i)
    cross = problem.pair_cross
    share = problem.required_cross_share

    @cache
    def best(s: int, room: tuple[int, ...], matched: int, crossed: int) -> tuple[int, int] | None:
        if s == len(options):
            if share is not None and matched and Fraction(crossed, matched) < share:
                return None
            return (0, 0)
        results = []
        skip = best(s + 1, room, matched, crossed)
        if skip is not None:
            results.append(skip)
        for i in options[s]:
            leader = int(problem.pair_leader[i])
            if room[leader] > 0:
                rest = best(
                    s + 1,
                    (*room[:leader], room[leader] - 1, *room[leader + 1 :]),
                    matched + 1,
                    crossed + int(bool(cross[i])) if cross is not None else 0,
                )
                if rest is not None:
                    results.append((rest[0] + 1, rest[1] + int(problem.pair_units[i])))
        return max(results) if results else None

    found = best(0, tuple(int(c) for c in problem.capacities), 0, 0)
    assert found is not None
    return found


@st.composite
def problems(draw, max_leaders=4, max_supported=8, with_share=False):
    n_leaders = draw(st.integers(1, max_leaders))
    n_supported = draw(st.integers(1, max_supported))
    caps = {f"L{i}": draw(st.integers(0, 3)) for i in range(n_leaders)}
    pairs = []
    for s in range(n_supported):
        for leader in range(n_leaders):
            if draw(st.booleans()):
                places = draw(st.integers(0, 3))
                units = draw(st.integers(0, 10 ** (places + 2)))
                pairs.append((f"L{leader}", f"S{s}", str(Decimal(units).scaleb(-places))))
    supported = [f"S{s}" for s in range(n_supported)]
    cross = [draw(st.booleans()) for _ in pairs] if with_share else None
    share = draw(st.sampled_from(["0", "1/3", "1/2", "1"])) if with_share else None
    return AssignmentProblem.from_pairs(caps, pairs, supported, cross=cross, required_cross_share=share)


@settings(max_examples=150, deadline=None)
@given(problems())
def test_equals_brute_force_and_passes_the_verifier(problem):
    solution = solve_assignment(problem)
    assert assignment_problems(problem, solution) == []
    assert (solution.matched, solution.total_units) == brute_force(problem)
    assert solution.status == "optimal"


@settings(max_examples=60, deadline=None)
@given(problems(max_supported=6, with_share=True))
def test_cross_community_share_equals_brute_force(problem):
    solution = solve_assignment(problem)
    assert is_valid_assignment(problem, solution)
    assert solution.status == "optimal"
    assert (solution.matched, solution.total_units) == brute_force(problem)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_greedy_is_feasible_and_never_better(problem):
    exact, greedy = solve_assignment(problem), solve_assignment_greedy(problem)
    assert is_valid_assignment(problem, greedy)
    assert (greedy.matched, greedy.total_units) <= (exact.matched, exact.total_units)


def random_problem(seed: int, n_leaders: int, n_supported: int, per_school: int) -> AssignmentProblem:
    rng = np.random.default_rng(seed)
    caps = {f"L{i}": int(c) for i, c in enumerate(rng.integers(0, 4, n_leaders))}
    pairs = []
    for s in range(n_supported):
        if s % 17 == 0:
            continue  # a supported school with no eligible leader at all
        for leader in rng.choice(n_leaders, size=per_school, replace=False).tolist():
            pairs.append((f"L{leader}", f"S{s}", f"{rng.uniform(0, 100):.3f}"))
    return AssignmentProblem.from_pairs(caps, pairs, [f"S{s}" for s in range(n_supported)])


@pytest.mark.parametrize(
    ("seed", "leaders", "supported", "per_school"), [(1, 300, 500, 6), (2, 800, 1500, 3)]
)
def test_equals_the_linear_programme_on_thousands_of_pairs(seed, leaders, supported, per_school):
    problem = random_problem(seed, leaders, supported, per_school)
    flow, lp = solve_assignment(problem), solve_assignment_lp(problem)
    assert is_valid_assignment(problem, flow) and is_valid_assignment(problem, lp)
    assert flow.matched == lp.matched
    assert flow.total_score == lp.total_score
    assert flow.unmatched  # capacity-0 leaders and schools without pairs leave some unmatched


def test_count_comes_before_score():
    problem = AssignmentProblem.from_pairs(
        {"L1": 1, "L2": 1}, [("L1", "A", 10), ("L2", "A", 0), ("L1", "B", 0)]
    )
    solution = solve_assignment(problem)
    assert solution.matched == 2
    assert solution.total_score == 0


def test_capacity_zero_takes_none_and_a_school_without_pairs_stays_unmatched():
    problem = AssignmentProblem.from_pairs(
        {"L1": 0, "L2": 2}, [("L1", "A", 9), ("L2", "B", 1), ("L2", "C", 2)], ["A", "B", "C", "D"]
    )
    solution = solve_assignment(problem)
    assert [(p.leader_id, p.supported_id) for p in solution.pairs] == [("L2", "B"), ("L2", "C")]
    assert solution.unmatched == ("A", "D")


def test_decimals_are_optimised_exactly_not_on_a_coarser_grid():
    # Rounded to two places both choices would tie at 1.00; exactly, the second is better by 1e-12.
    problem = AssignmentProblem.from_pairs(
        {"L1": 1}, [("L1", "A", "1.000000000000"), ("L1", "B", "1.000000000001")]
    )
    solution = solve_assignment(problem)
    assert problem.grid == ScoreGrid(12)
    assert [p.supported_id for p in solution.pairs] == ["B"]
    assert solution.total_score == Decimal("1.000000000001")


def test_scores_too_precise_to_optimise_exactly_are_refused():
    problem = AssignmentProblem.from_pairs({"L1": 1}, [("L1", "A", "123456789.123456789")])
    with pytest.raises(ScorePrecisionError, match="decimal places"):
        solve_assignment(problem)


@pytest.mark.parametrize(
    ("caps", "pairs", "error", "message"),
    [
        ({"L1": -1}, [], CapacityError, "L1.*between 0"),
        ({"L1": 1.5}, [], CapacityError, "L1.*whole number"),
        ({"L1": True}, [], CapacityError, "whole number"),
        ({"L1": 1}, [("L9", "A", 1)], UnknownSchoolError, "pair 1 names leader 'L9'"),
        ({"L1": 1}, [("L1", "A", 1), ("L1", "A", 2)], DuplicatePairError, "pair 2"),
        ({"L1": 1}, [("L1", "A", "abc")], MatchingInputError, "'abc' is not a number"),
        ({"L1": 1}, [("L1", "A", float("nan"))], MatchingInputError, "not a finite number"),
    ],
)
def test_bad_input_names_the_item(caps, pairs, error, message):
    with pytest.raises(error, match=message):
        AssignmentProblem.from_pairs(caps, pairs)


def test_unknown_supported_school_is_named_when_the_list_is_given():
    with pytest.raises(UnknownSchoolError, match="'Z'"):
        AssignmentProblem.from_pairs({"L1": 1}, [("L1", "Z", 1)], ["A"])


def test_the_verifier_catches_broken_solutions():
    problem = AssignmentProblem.from_pairs(
        {"L1": 1, "L2": 1}, [("L1", "A", 1), ("L1", "B", 2), ("L2", "B", 3)]
    )
    solution = solve_assignment(problem)
    assert is_valid_assignment(problem, solution)
    pairs = list(solution.pairs)
    over = type(solution)(
        pairs=(pairs[0], type(pairs[0])("L1", "B", Decimal(2), 1)),
        unmatched=(),
        total_units=solution.total_units,
        grid=solution.grid,
        status="optimal",
        seconds=0,
        method="test",
    )
    found = assignment_problems(problem, over)
    assert any("capacity" in f for f in found)
    assert any("total" in f for f in found)
    wrong_score = type(solution)(
        pairs=(type(pairs[0])(pairs[0].leader_id, pairs[0].supported_id, Decimal(99), pairs[0].index),),
        unmatched=solution.unmatched,
        total_units=solution.total_units,
        grid=solution.grid,
        status="optimal",
        seconds=0,
        method="test",
    )
    assert any("not as given" in f for f in assignment_problems(problem, wrong_score))
