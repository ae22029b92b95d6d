"""Exact capacitated assignment: the most supported schools matched, then the largest total pair score.

The engine behind vertical matching (leader → supported) and school ↔ organisation matching. Leaders
(or organisations) have a capacity, an integer ≥ 0; every supported school takes at most one leader;
only the listed candidate pairs are allowed. Among all such assignments the solver returns one that is
optimal **lexicographically**: first the largest number of matched supported schools, then, among
those, the largest total score. Scores are optimised exactly as given (see :mod:`.exact`): they are
integers on a common decimal grid, never rounded.

Without side constraints this is a maximum flow of minimum cost on the network
source → leader (capacity) → supported (1) → sink, solved by OR-Tools' cost-scaling min-cost flow,
which returns the maximum flow and, among maximum flows, one of minimum cost (costs are the negated
scores). The optional *required share of cross-community pairs* is a side constraint that breaks the
network structure; the problem is then solved with CP-SAT in two phases (largest matched count, then
largest score at that count), which is exact when the status reports ``"optimal"``.

Two independent formulations sit beside the solver: :func:`solve_assignment_lp`, the two-phase linear
programme solved by HiGHS (the constraint matrix is totally unimodular, so its vertex optimum is
integral), used to check the solver; and :func:`solve_assignment_greedy`, the baseline in which each
supported school in turn takes its best leader with room left.

Complexity: the flow has L + S + 2 nodes and P + L + S arcs for L leaders, S supported schools and P
candidate pairs; cost scaling runs in O(N·A·log(N·C)) in the worst case but, on candidate graphs of
bounded degree (k nearest leaders), solves 300,000 pairs in well under a second.

Examples
--------
>>> problem = AssignmentProblem.from_pairs(
...     capacities={"L1": 1, "L2": 1},
...     pairs=[("L1", "A", "10"), ("L2", "A", "0.5"), ("L1", "B", "1.25")],
... )
>>> solution = solve_assignment(problem)
>>> [(p.leader_id, p.supported_id, str(p.score)) for p in solution.pairs]
[('L2', 'A', '0.50'), ('L1', 'B', '1.25')]
>>> solution.matched, solution.total_score, solution.unmatched
(2, Decimal('1.75'), ())
>>> is_valid_assignment(problem, solution)
True

Matching both schools beats the single pair of score 10: the count comes first.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .exact import MatchingInputError, Score, ScoreGrid, check_total_fits

MAX_CAPACITY = 1_000_000

IntArray = NDArray[np.int64]


class UnknownSchoolError(MatchingInputError):
    """A pair names a leader or supported school that the problem does not list."""


class CapacityError(MatchingInputError):
    """A capacity that is negative, not an integer, or implausibly large."""


class DuplicatePairError(MatchingInputError):
    """The same (leader, supported) pair is listed twice."""


@dataclass(frozen=True, eq=False)
class AssignmentProblem:
    """Leaders with capacities, supported schools, and the eligible pairs with their exact scores.

    Build it with :meth:`from_pairs`; the arrays are indexes into ``leader_ids`` and ``supported_ids``.
    ``pair_cross`` marks cross-community pairs; with ``required_cross_share`` (a fraction in [0, 1]) at
    least that share of the matched pairs must be cross-community.
    """

    leader_ids: tuple[str, ...]
    capacities: IntArray
    supported_ids: tuple[str, ...]
    pair_leader: IntArray
    pair_supported: IntArray
    pair_units: IntArray
    grid: ScoreGrid
    pair_cross: NDArray[np.bool_] | None = None
    required_cross_share: Fraction | None = None
    time_limit_s: float = 60.0

    def __post_init__(self) -> None:
        n = len(self.pair_units)
        if len(self.pair_leader) != n or len(self.pair_supported) != n:
            raise MatchingInputError("pair arrays have different lengths")
        if len(self.capacities) != len(self.leader_ids):
            raise MatchingInputError("one capacity per leader is needed")
        if self.pair_cross is not None and len(self.pair_cross) != n:
            raise MatchingInputError("pair_cross needs one flag per pair")
        if self.required_cross_share is not None:
            if self.pair_cross is None:
                raise MatchingInputError("a required cross-community share needs pair_cross")
            if not 0 <= self.required_cross_share <= 1:
                raise MatchingInputError(
                    f"the cross-community share must be between 0 and 1, not {self.required_cross_share}"
                )
        if self.time_limit_s <= 0:
            raise MatchingInputError("the time limit must be positive")

    @classmethod
    def from_pairs(
        cls,
        capacities: Mapping[str, int] | Iterable[tuple[str, int]],
        pairs: Iterable[tuple[str, str, Score]],
        supported: Iterable[str] | None = None,
        *,
        cross: Iterable[bool] | None = None,
        required_cross_share: Fraction | float | str | None = None,
        time_limit_s: float = 60.0,
    ) -> AssignmentProblem:
        """Check and index a problem given by ids.

        ``supported`` lists every supported school, including those with no eligible pair; by default
        the distinct supported ids of ``pairs`` in order of first appearance. Raises
        :class:`CapacityError`, :class:`UnknownSchoolError`, :class:`DuplicatePairError` or
        :class:`MatchingInputError` naming the offending leader, school or pair.
        """
        items = list(capacities.items()) if isinstance(capacities, Mapping) else list(capacities)
        leader_index: dict[str, int] = {}
        caps: list[int] = []
        for leader, capacity in items:
            if leader in leader_index:
                raise MatchingInputError(f"leader {leader!r} is listed twice")
            check_capacity(leader, capacity)
            leader_index[leader] = len(caps)
            caps.append(int(capacity))
        pair_list = list(pairs)
        supported_index: dict[str, int] = {}
        if supported is not None:
            for school in supported:
                if school in supported_index:
                    raise MatchingInputError(f"supported school {school!r} is listed twice")
                supported_index[school] = len(supported_index)
        grid, units = ScoreGrid.fit([score for _, _, score in pair_list])
        p_leader = np.empty(len(pair_list), dtype=np.int64)
        p_supported = np.empty(len(pair_list), dtype=np.int64)
        seen: set[tuple[int, int]] = set()
        for n, (leader, school, _) in enumerate(pair_list):
            if leader not in leader_index:
                raise UnknownSchoolError(f"pair {n + 1} names leader {leader!r}, which has no capacity")
            if school not in supported_index:
                if supported is not None:
                    raise UnknownSchoolError(f"pair {n + 1} names unknown supported school {school!r}")
                supported_index[school] = len(supported_index)
            key = (leader_index[leader], supported_index[school])
            if key in seen:
                raise DuplicatePairError(f"pair {n + 1} ({leader!r}, {school!r}) is listed twice")
            seen.add(key)
            p_leader[n], p_supported[n] = key
        share = None if required_cross_share is None else Fraction(str(required_cross_share))
        return cls(
            leader_ids=tuple(leader_index),
            capacities=np.asarray(caps, dtype=np.int64),
            supported_ids=tuple(supported_index),
            pair_leader=p_leader,
            pair_supported=p_supported,
            pair_units=np.asarray(units, dtype=np.int64),
            grid=grid,
            pair_cross=None if cross is None else np.fromiter(cross, dtype=bool, count=len(pair_list)),
            required_cross_share=share,
            time_limit_s=time_limit_s,
        )

    @property
    def pair_count(self) -> int:
        return len(self.pair_units)

    def score_of_pair(self, index: int) -> Decimal:
        return self.grid.score_of(int(self.pair_units[index]))


def check_capacity(leader: str, capacity: object) -> None:
    """Raise :class:`CapacityError` unless ``capacity`` is an integer from 0 to ``MAX_CAPACITY``."""
    if isinstance(capacity, bool) or not isinstance(capacity, int | np.integer):
        raise CapacityError(f"leader {leader!r}: capacity {capacity!r} is not a whole number")
    if not 0 <= capacity <= MAX_CAPACITY:
        raise CapacityError(f"leader {leader!r}: capacity {capacity} must be between 0 and {MAX_CAPACITY}")


@dataclass(frozen=True)
class MatchedPair:
    leader_id: str
    supported_id: str
    score: Decimal
    index: int  # the pair's position in the problem


@dataclass(frozen=True)
class AssignmentSolution:
    """Chosen pairs (in the order of the problem's pairs), counts and the exact total score.

    ``status`` is ``"optimal"`` when the lexicographic optimum is proven, ``"feasible"`` when a time
    limit stopped the side-constrained solver first, ``"infeasible"`` when the cross-community share
    cannot be met by any non-empty assignment (the empty one is returned).
    """

    pairs: tuple[MatchedPair, ...]
    unmatched: tuple[str, ...]
    total_units: int
    grid: ScoreGrid
    status: str
    seconds: float
    method: str

    @property
    def matched(self) -> int:
        return len(self.pairs)

    @property
    def total_score(self) -> Decimal:
        return self.grid.score_of(self.total_units)

    @property
    def chosen(self) -> list[int]:
        return [p.index for p in self.pairs]


def _solution(
    problem: AssignmentProblem, chosen: Iterable[int], status: str, started: float, method: str
) -> AssignmentSolution:
    indexes = np.unique(np.fromiter(chosen, dtype=np.int64))
    leaders, schools = problem.pair_leader[indexes].tolist(), problem.pair_supported[indexes].tolist()
    units = problem.pair_units[indexes].tolist()
    taken = np.zeros(len(problem.supported_ids), dtype=bool)
    taken[schools] = True
    score_of = problem.grid.score_of
    return AssignmentSolution(
        pairs=tuple(
            MatchedPair(problem.leader_ids[leader], problem.supported_ids[school], score_of(u), i)
            for i, leader, school, u in zip(indexes.tolist(), leaders, schools, units, strict=True)
        ),
        unmatched=tuple(problem.supported_ids[n] for n in np.flatnonzero(~taken).tolist()),
        total_units=sum(units),
        grid=problem.grid,
        status=status,
        seconds=time.perf_counter() - started,
        method=method,
    )


def solve_assignment(problem: AssignmentProblem) -> AssignmentSolution:
    """The lexicographic optimum: most supported schools matched, then the largest total score."""
    if problem.required_cross_share is not None:
        return _solve_with_cross_share(problem)
    from ortools.graph.python import min_cost_flow

    started = time.perf_counter()
    n_leaders, n_supported, n_pairs = len(problem.leader_ids), len(problem.supported_ids), problem.pair_count
    source, sink = 0, n_leaders + n_supported + 1
    check_total_fits(problem.pair_units, sink + 1)
    if n_pairs == 0:
        return _solution(problem, [], "optimal", started, "min_cost_flow")
    flow = min_cost_flow.SimpleMinCostFlow()
    leaders = np.arange(1, n_leaders + 1, dtype=np.int64)
    supported = np.arange(n_leaders + 1, n_leaders + n_supported + 1, dtype=np.int64)
    flow.add_arcs_with_capacity_and_unit_cost(
        np.zeros(n_leaders, dtype=np.int64), leaders, problem.capacities, np.zeros(n_leaders, dtype=np.int64)
    )
    pair_arcs = flow.add_arcs_with_capacity_and_unit_cost(
        problem.pair_leader + 1,
        problem.pair_supported + n_leaders + 1,
        np.ones(n_pairs, dtype=np.int64),
        -problem.pair_units,
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        supported,
        np.full(n_supported, sink, dtype=np.int64),
        np.ones(n_supported, dtype=np.int64),
        np.zeros(n_supported, dtype=np.int64),
    )
    most = int(min(problem.capacities.sum(), n_supported))
    flow.set_node_supply(source, most)
    flow.set_node_supply(sink, -most)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise MatchingInputError(f"the min-cost flow solver failed with status {status}")
    chosen = np.flatnonzero(flow.flows(pair_arcs) > 0)
    return _solution(problem, chosen, "optimal", started, "min_cost_flow")


def _solve_with_cross_share(problem: AssignmentProblem) -> AssignmentSolution:
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    if problem.pair_cross is None or problem.required_cross_share is None:
        raise MatchingInputError("a cross-community share needs the cross-community flags")
    check_total_fits(problem.pair_units, len(problem.supported_ids) + 1)
    share = problem.required_cross_share
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(problem.pair_count)]
    for group_of, limit_of in (
        (problem.pair_supported, lambda _g: 1),
        (problem.pair_leader, lambda g: int(problem.capacities[g])),
    ):
        members: dict[int, list[int]] = {}
        for i, g in enumerate(group_of.tolist()):
            members.setdefault(g, []).append(i)
        for g, idx in members.items():
            model.add(sum(x[i] for i in idx) <= limit_of(g))
    matched = sum(x)
    cross = sum(x[i] for i in np.flatnonzero(problem.pair_cross).tolist())
    # cross / matched ≥ a / b, kept in integers so the side constraint is exact.
    model.add(share.denominator * cross >= share.numerator * matched)

    def run(limit: float) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(limit, 0.01)
        solver.parameters.num_workers = 2
        solver.parameters.random_seed = 1
        return solver, solver.solve(model)

    model.maximize(matched)
    solver, status = run(problem.time_limit_s / 2)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _solution(problem, [], "infeasible", started, "cp_sat")
    proven = status == cp_model.OPTIMAL
    count = int(solver.objective_value)
    hint = [solver.value(v) for v in x]
    model.add(matched == count)
    model.maximize(sum(int(u) * v for u, v in zip(problem.pair_units.tolist(), x, strict=True)))
    for v, h in zip(x, hint, strict=True):
        model.add_hint(v, h)
    remaining = problem.time_limit_s - (time.perf_counter() - started)
    solver, status = run(remaining)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = [i for i, h in enumerate(hint) if h]
        return _solution(problem, chosen, "feasible", started, "cp_sat")
    proven = proven and status == cp_model.OPTIMAL
    chosen = [i for i, v in enumerate(x) if solver.value(v)]
    return _solution(problem, chosen, "optimal" if proven else "feasible", started, "cp_sat")


def solve_assignment_lp(problem: AssignmentProblem) -> AssignmentSolution:
    """The same optimum from the two-phase linear programme, solved by HiGHS (a reference formulation).

    Phase 1 maximises the matched count; phase 2 fixes it and maximises the score. The bipartite
    constraint matrix is totally unimodular, so every vertex solution is integral. HiGHS's interior
    point method with crossover (which ends on a vertex) is much faster here than its simplex; should a
    solution still be fractional, the phase is solved again with the dual simplex.
    """
    from scipy.optimize import linprog
    from scipy.sparse import csr_array, vstack

    if problem.required_cross_share is not None:
        raise MatchingInputError("the linear-programme reference does not model the cross-community share")
    started = time.perf_counter()
    n = problem.pair_count
    if n == 0:
        return _solution(problem, [], "optimal", started, "linear_programme")
    cols = np.arange(n)
    by_supported = csr_array(
        (np.ones(n), (problem.pair_supported, cols)), shape=(len(problem.supported_ids), n)
    )
    by_leader = csr_array((np.ones(n), (problem.pair_leader, cols)), shape=(len(problem.leader_ids), n))
    a_ub = vstack([by_supported, by_leader]).tocsr()
    b_ub = np.concatenate([np.ones(len(problem.supported_ids)), problem.capacities.astype(float)])

    def vertex(phase: int, **lp: Any) -> NDArray[np.float64]:
        for method in ("highs-ipm", "highs-ds"):
            result = linprog(A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method=method, **lp)
            if result.status != 0:
                raise MatchingInputError(f"HiGHS failed in phase {phase}: {result.message}")
            x = np.asarray(result.x)
            if np.all(np.minimum(x, 1 - x) < 1e-6):
                return x
        raise MatchingInputError(f"HiGHS returned a fractional solution in phase {phase}")

    count = int(np.round(vertex(1, c=-np.ones(n))).sum())
    x = vertex(2, c=-problem.pair_units.astype(float), A_eq=np.ones((1, n)), b_eq=[count])
    return _solution(problem, np.flatnonzero(x > 0.5), "optimal", started, "linear_programme")


def solve_assignment_greedy(
    problem: AssignmentProblem, order: Sequence[int] | None = None
) -> AssignmentSolution:
    """Baseline: supported schools in ``order`` (indexes; default as listed) each take their best leader.

    "Best" is the highest-scoring eligible pair whose leader still has room; ties go to the pair listed
    first. Not optimal on either criterion; used to show what the exact solver gains.
    """
    started = time.perf_counter()
    room = problem.capacities.copy()
    # Candidate pairs of each supported school, best score first.
    ranked = np.lexsort((np.arange(problem.pair_count), -problem.pair_units, problem.pair_supported))
    starts = np.searchsorted(problem.pair_supported[ranked], np.arange(len(problem.supported_ids) + 1))
    chosen = []
    for s in order if order is not None else range(len(problem.supported_ids)):
        for i in ranked[starts[s] : starts[s + 1]].tolist():
            leader = problem.pair_leader[i]
            if room[leader] > 0:
                room[leader] -= 1
                chosen.append(i)
                break
    return _solution(problem, chosen, "heuristic", started, "greedy")


def assignment_problems(problem: AssignmentProblem, solution: AssignmentSolution) -> list[str]:
    """Every way in which ``solution`` breaks the rules of ``problem`` (empty when it is valid).

    Checks that each chosen pair is a candidate pair with its score as given, each supported school is
    matched at most once, no leader exceeds its capacity, the unmatched list is exactly the rest, the
    total is the sum of the chosen scores, and a required cross-community share is met.
    """
    found: list[str] = []
    per_leader: dict[int, int] = {}
    taken: set[int] = set()
    total = 0
    for pair in solution.pairs:
        i = pair.index
        if not 0 <= i < problem.pair_count:
            found.append(f"pair index {i} is not a candidate pair")
            continue
        leader, school = int(problem.pair_leader[i]), int(problem.pair_supported[i])
        if (problem.leader_ids[leader], problem.supported_ids[school]) != (pair.leader_id, pair.supported_id):
            found.append(f"pair {pair.leader_id}→{pair.supported_id} does not match candidate {i}")
        if pair.score != problem.score_of_pair(i):
            found.append(f"pair {pair.leader_id}→{pair.supported_id} has score {pair.score}, not as given")
        if school in taken:
            found.append(f"supported school {pair.supported_id} is matched more than once")
        taken.add(school)
        per_leader[leader] = per_leader.get(leader, 0) + 1
        total += int(problem.pair_units[i])
    for leader, count in per_leader.items():
        if count > problem.capacities[leader]:
            found.append(
                f"leader {problem.leader_ids[leader]} has {count} partners, "
                f"capacity {problem.capacities[leader]}"
            )
    expected_unmatched = tuple(s for n, s in enumerate(problem.supported_ids) if n not in taken)
    if solution.unmatched != expected_unmatched:
        found.append("the unmatched schools are not exactly those without a chosen pair")
    if total != solution.total_units:
        found.append(f"the total score {solution.total_score} is not the sum of the chosen pairs")
    if problem.required_cross_share is not None and problem.pair_cross is not None and solution.pairs:
        cross = sum(bool(problem.pair_cross[p.index]) for p in solution.pairs)
        if Fraction(cross, len(solution.pairs)) < problem.required_cross_share:
            found.append(
                f"only {cross} of {len(solution.pairs)} pairs are cross-community, "
                f"below the required share {problem.required_cross_share}"
            )
    return found


def is_valid_assignment(problem: AssignmentProblem, solution: AssignmentSolution) -> bool:
    """True when ``solution`` is a feasible assignment of ``problem`` with a consistent total."""
    return not assignment_problems(problem, solution)
