"""Peer clusters: disjoint groups of mutually compatible schools with the largest total pair score.

The schools are the vertices of a graph whose edges are the allowed pairs, each with an exact score (see
:mod:`.exact`: an integer number of units on a common decimal grid). A *group* is feasible when its size
is between ``min_size`` and ``max_size`` and every two of its members form an edge (a clique). Groups are
disjoint and a school may stay ungrouped. The objective is the largest sum, over the chosen groups, of
the units of all pairs inside each group.

Method: the feasible groups are enumerated (cliques of bounded size, grown in index order so each is found
once), then a set packing is solved with CP-SAT: one Boolean per group, at most one chosen group per
school, the total units maximised. The greedy packing (best groups first) is the answer whenever CP-SAT
stops with nothing better. It is not given to CP-SAT as a hint: on k-nearest-neighbour graphs a hint
slowed the proof and did not improve the packings found under a time limit. A group whose total is
negative is never part of an optimal packing (dropping it gains), so it is left out of the model.

Regions too large for one model (more than ``max_schools_per_model`` schools, or more than
``max_groups_per_model`` enumerated groups) are split, and the split is reported, never hidden: the
schools without coordinates are set apart first, then each part is cut at the median school along its
longer extent (longitude measured at the part's middle latitude), k-d style, until every part fits. A
part with no coordinates at all is cut in halves in the order of ``ids``. Edges between parts are
dropped, so ``objective``, ``bound`` and ``status`` then refer to the split problem; the solution lists
the parts and counts the dropped edges. The solve time limit is shared among the parts with groups in
proportion to their number of schools, time a part leaves unused passing on to the next parts.

With ``workers > 1`` CP-SAT searches in parallel: the objective of a proven optimum is always the same,
but among equally good packings the one returned may vary between runs.

Complexity: enumeration visits O(n·d^(s-1)) partial groups for n schools of degree at most d and
groups of at most s schools (sparse k-nearest-neighbour graphs give a few groups per school); the model
has one variable per group and one constraint per school. Set packing is NP-hard, so CP-SAT is bounded
by the time limit; 2,000 schools with 6 nearest neighbours each (about 13,000 groups of 3 to 5) are
solved to proven optimality in about 3 seconds with two workers.

Examples
--------
>>> problem = ClusterProblem.from_pairs(
...     ["A", "B", "C", "D", "E"],
...     [("A", "B", "1.5"), ("A", "C", 2), ("B", "C", 1), ("C", "D", 4), ("D", "E", 1)],
...     min_size=3,
...     max_size=4,
...     time_limit_s=5,
... )
>>> solution = form_clusters(problem)
>>> [(group.members, group.score) for group in solution.groups]
[(('A', 'B', 'C'), Decimal('4.5'))]
>>> solution.ungrouped, solution.objective, solution.bound, solution.status
(('D', 'E'), Decimal('4.5'), Decimal('4.5'), 'optimal')
>>> solution.split, len(solution.parts), solution.dropped_edges
(False, 1, 0)
>>> is_valid_clustering(problem, solution)
True

The pair C–D scores most, but C, D and E are no group (C and E are no pair).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from interschool.algorithms.matching.exact import MatchingInputError, Score, ScoreGrid, check_total_fits

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

OPTIMAL = "optimal"
FEASIBLE = "feasible"
NO_GROUPS = "no_groups"
STATUSES = (OPTIMAL, FEASIBLE, NO_GROUPS)


class ClusterInputError(MatchingInputError):
    """A cluster problem that cannot be right; the message names the offending item."""


class EdgeError(ClusterInputError):
    """An edge whose index is out of range, not ordered (``edge_i < edge_j``), or listed twice."""


class CoordinateError(ClusterInputError):
    """A latitude or longitude that is infinite, out of range, or known without its partner."""


def _whole_number(name: str, value: object, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ClusterInputError(f"{name} must be a whole number, not {value!r}")
    if value < least:
        raise ClusterInputError(f"{name} must be at least {least}, not {value}")
    return int(value)


def _int_array(name: str, values: object) -> IntArray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ClusterInputError(f"{name} must be one-dimensional, not of shape {array.shape}")
    if array.size and (array.dtype == np.bool_ or array.dtype.kind not in "iu"):
        raise ClusterInputError(f"{name} must hold integers, not {array.dtype}")
    result = np.array(array, dtype=np.int64)
    if array.dtype.kind == "u" and array.size and (result < 0).any():
        raise ClusterInputError(f"{name} holds integers too large for int64")
    result.flags.writeable = False
    return result


def _float_array(name: str, values: object) -> FloatArray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ClusterInputError(f"{name} must be one-dimensional, not of shape {array.shape}")
    if array.size and (array.dtype == np.bool_ or array.dtype.kind not in "iuf"):
        raise ClusterInputError(f"{name} must hold numbers, not {array.dtype}")
    result = np.array(array, dtype=np.float64)
    result.flags.writeable = False
    return result


@dataclass(frozen=True, eq=False)
class ClusterProblem:
    """Schools, their coordinates and the allowed pairs (edges) with exact scores.

    ``edge_i``/``edge_j`` index ``ids`` with ``edge_i < edge_j`` and no pair listed twice;
    ``edge_units`` is each pair's score in units of ``grid``. ``latitude``/``longitude`` are degrees,
    NaN when unknown; they are only used to split a region too large for one model. Lists are
    accepted for the arrays; they are stored as read-only copies. Build from ids and scores with
    :meth:`from_pairs`.

    Raises :class:`ClusterInputError` (or its subclasses :class:`EdgeError`, :class:`CoordinateError`)
    naming the offending school, edge or option, and :class:`~.exact.ScorePrecisionError` when the
    scores are too large to be optimised exactly.
    """

    ids: tuple[str, ...]
    latitude: FloatArray
    longitude: FloatArray
    edge_i: IntArray
    edge_j: IntArray
    edge_units: IntArray
    grid: ScoreGrid
    min_size: int = 3
    max_size: int = 5
    time_limit_s: float = 60.0
    max_schools_per_model: int = 3000
    max_groups_per_model: int = 400_000
    workers: int = 2

    def __post_init__(self) -> None:
        set_field = object.__setattr__  # the dataclass is frozen; these are its own normalised inputs
        set_field(self, "ids", tuple(self.ids))
        for name in ("latitude", "longitude"):
            set_field(self, name, _float_array(name, getattr(self, name)))
        for name in ("edge_i", "edge_j", "edge_units"):
            set_field(self, name, _int_array(name, getattr(self, name)))
        self._check_options()
        self._check_ids()
        self._check_coordinates()
        self._check_edges()

    def _check_options(self) -> None:
        if not isinstance(self.grid, ScoreGrid):
            raise ClusterInputError(f"grid must be a ScoreGrid, not {self.grid!r}")
        _whole_number("min_size", self.min_size, 2)
        _whole_number("max_size", self.max_size, 2)
        if self.min_size > self.max_size:
            raise ClusterInputError(f"min_size {self.min_size} is larger than max_size {self.max_size}")
        _whole_number("max_schools_per_model", self.max_schools_per_model, self.max_size)
        _whole_number("max_groups_per_model", self.max_groups_per_model, 1)
        _whole_number("workers", self.workers, 1)
        limit = self.time_limit_s
        if isinstance(limit, bool) or not isinstance(limit, int | float | np.integer | np.floating):
            raise ClusterInputError(f"time_limit_s must be a number of seconds, not {limit!r}")
        if not (math.isfinite(limit) and limit > 0):
            raise ClusterInputError(f"time_limit_s must be positive and finite, not {limit}")

    def _check_ids(self) -> None:
        seen: dict[str, int] = {}
        for n, school in enumerate(self.ids):
            if not isinstance(school, str):
                raise ClusterInputError(f"id at position {n} must be a string, not {school!r}")
            if school in seen:
                raise ClusterInputError(
                    f"school {school!r} is listed twice in ids (positions {seen[school]} and {n})"
                )
            seen[school] = n

    def _check_coordinates(self) -> None:
        n = len(self.ids)
        for name, values, limit in (("latitude", self.latitude, 90.0), ("longitude", self.longitude, 180.0)):
            if len(values) != n:
                raise CoordinateError(f"{name} has {len(values)} values but there are {n} ids")
            known = ~np.isnan(values)
            bad = np.flatnonzero(known & ~(np.abs(values) <= limit))
            if bad.size:
                k = int(bad[0])
                raise CoordinateError(
                    f"school {self.ids[k]!r}: {name} {values[k]} is outside [-{limit:g}, {limit:g}]"
                )
        half = np.flatnonzero(np.isnan(self.latitude) != np.isnan(self.longitude))
        if half.size:
            k = int(half[0])
            raise CoordinateError(f"school {self.ids[k]!r} has only one of latitude and longitude")

    def _check_edges(self) -> None:
        n, m = len(self.ids), len(self.edge_units)
        if len(self.edge_i) != m or len(self.edge_j) != m:
            raise EdgeError(
                f"edge_i, edge_j and edge_units have different lengths "
                f"({len(self.edge_i)}, {len(self.edge_j)}, {m})"
            )
        for name, side in (("edge_i", self.edge_i), ("edge_j", self.edge_j)):
            bad = np.flatnonzero((side < 0) | (side >= n))
            if bad.size:
                e = int(bad[0])
                raise EdgeError(f"edge {e}: {name}={int(side[e])} is not an index into the {n} ids")
        bad = np.flatnonzero(self.edge_i >= self.edge_j)
        if bad.size:
            e = int(bad[0])
            raise EdgeError(
                f"edge {e} ({int(self.edge_i[e])}, {int(self.edge_j[e])}): edge_i must be smaller than edge_j"
            )
        keys = self.edge_i * n + self.edge_j
        order = np.argsort(keys, kind="stable")
        repeats = np.flatnonzero(keys[order[1:]] == keys[order[:-1]])
        if repeats.size:
            first, again = int(order[repeats[0]]), int(order[repeats[0] + 1])
            a, b = self.ids[int(self.edge_i[again])], self.ids[int(self.edge_j[again])]
            raise EdgeError(f"edge {again} repeats edge {first} (schools {a!r} and {b!r})")
        check_total_fits(self.edge_units.tolist(), m, "pair scores")

    @classmethod
    def from_pairs(
        cls,
        ids: Iterable[str],
        pairs: Iterable[tuple[str, str, Score]],
        coordinates: Mapping[str, tuple[float, float]] | None = None,
        **options: Any,
    ) -> ClusterProblem:
        """Index a problem given by school ids, ``(school, school, score)`` pairs in either order, and
        optional ``{id: (latitude, longitude)}`` (schools left out have unknown coordinates).

        ``options`` are the remaining fields (``min_size``, ``time_limit_s``, ...). Raises
        :class:`ClusterInputError` for an unknown school, a school paired with itself or a pair listed
        twice, naming it.
        """
        id_tuple = tuple(ids)
        index = {school: n for n, school in enumerate(id_tuple)}
        pair_list = list(pairs)
        grid, units = ScoreGrid.fit([score for _, _, score in pair_list])
        edge_i, edge_j = [], []
        seen: dict[tuple[int, int], int] = {}
        for n, (a, b, _) in enumerate(pair_list):
            for school in (a, b):
                if school not in index:
                    raise ClusterInputError(f"pair {n + 1} names unknown school {school!r}")
            if a == b:
                raise EdgeError(f"pair {n + 1} pairs school {a!r} with itself")
            key = (min(index[a], index[b]), max(index[a], index[b]))
            if key in seen:
                raise EdgeError(f"pair {n + 1} ({a!r}, {b!r}) repeats pair {seen[key] + 1}")
            seen[key] = n
            edge_i.append(key[0])
            edge_j.append(key[1])
        unknown = (math.nan, math.nan)
        known = coordinates or {}
        for school in known:
            if school not in index:
                raise ClusterInputError(f"coordinates are given for unknown school {school!r}")
        places = [known.get(school, unknown) for school in id_tuple]
        return cls(
            ids=id_tuple,
            latitude=np.array([p[0] for p in places], dtype=np.float64),
            longitude=np.array([p[1] for p in places], dtype=np.float64),
            edge_i=np.array(edge_i, dtype=np.int64),
            edge_j=np.array(edge_j, dtype=np.int64),
            edge_units=np.array(units, dtype=np.int64),
            grid=grid,
            **options,
        )


@dataclass(frozen=True)
class Cluster:
    """One group: its members in the order of ``ids`` and the total of its pairs' scores."""

    members: tuple[str, ...]
    units: int
    score: Decimal


@dataclass(frozen=True)
class BoundingBox:
    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float


@dataclass(frozen=True)
class RegionPart:
    """One model solved on its own: its schools (in ``ids`` order), where they lie and how it went.

    ``box`` spans the part's known coordinates (None when it has none). ``candidate_groups`` counts the
    groups in its model; ``time_limit_s`` is the solve time it was offered (its share, by number of
    schools, of the time the parts solved before it left), ``seconds`` what it used.
    """

    ids: tuple[str, ...]
    schools: int
    box: BoundingBox | None
    candidate_groups: int
    status: str
    objective: Decimal
    bound: Decimal
    time_limit_s: float
    seconds: float


@dataclass(frozen=True)
class ClusterSolution:
    """Chosen groups (ordered by their first member's position in ``ids``) and the ungrouped rest.

    ``bound`` is a proven upper bound of the objective, ``gap`` = (bound − objective) / bound (0 when
    the bound is 0). ``status`` is ``"optimal"`` when every part was proven optimal, ``"feasible"``
    when a time limit stopped a part first, ``"no_groups"`` when there is no candidate group (no
    feasible group whose total is at least zero). ``split`` tells whether the region was cut into
    several ``parts``; ``dropped_edges`` counts the pairs that crossed parts and so could not be used.
    When split, ``objective``, ``bound`` and ``status`` are those of the split problem.
    """

    groups: tuple[Cluster, ...]
    ungrouped: tuple[str, ...]
    objective: Decimal
    bound: Decimal
    gap: float
    status: str
    split: bool
    parts: tuple[RegionPart, ...]
    dropped_edges: int
    seconds: float

    @property
    def schools_grouped(self) -> int:
        return sum(len(group.members) for group in self.groups)


class _TooManyGroups(Exception):
    pass


Group = tuple[tuple[int, ...], int]  # members as indexes into ids (ascending), total units


def _adjacency(problem: ClusterProblem) -> list[dict[int, int]]:
    adjacency: list[dict[int, int]] = [{} for _ in problem.ids]
    for i, j, units in zip(
        problem.edge_i.tolist(), problem.edge_j.tolist(), problem.edge_units.tolist(), strict=True
    ):
        adjacency[i][j] = units
        adjacency[j][i] = units
    return adjacency


def _enumerate_groups(
    members: Sequence[int], adjacency: list[dict[int, int]], min_size: int, max_size: int, cap: int
) -> list[Group]:
    """Cliques of ``min_size``..``max_size`` schools among ``members`` with a total of at least zero.

    Raises :class:`_TooManyGroups` as soon as more than ``cap`` cliques are found, so a dense region
    costs no more than the cap before it is split.
    """
    inside = set(members)
    forward = {v: {w for w in adjacency[v] if w > v and w in inside} for v in members}
    found: list[Group] = []
    count = 0

    def grow(clique: list[int], units: int, candidates: list[int]) -> None:
        nonlocal count
        size = len(clique)
        if size >= min_size:
            count += 1
            if count > cap:
                raise _TooManyGroups
            if units >= 0:
                found.append((tuple(clique), units))
        if size == max_size:
            return
        for pos, v in enumerate(candidates):
            if size + len(candidates) - pos < min_size:
                break
            reach = forward[v]
            gain = sum(adjacency[v][c] for c in clique)
            clique.append(v)
            grow(clique, units + gain, [w for w in candidates[pos + 1 :] if w in reach])
            clique.pop()

    for v in sorted(members):
        grow([v], 0, sorted(forward[v]))
    return found


@dataclass
class _Part:
    members: list[int]
    groups: list[Group]


def _split(problem: ClusterProblem, members: list[int]) -> tuple[list[int], list[int]]:
    lat, lon = problem.latitude[members], problem.longitude[members]
    known = ~np.isnan(lat)
    index = np.asarray(members, dtype=np.int64)
    if known.any() and not known.all():
        return index[known].tolist(), index[~known].tolist()
    half = len(members) // 2
    if not known.any():
        return members[:half], members[half:]
    # Degrees of longitude shrink with the cosine of the latitude; compare true lengths.
    middle = math.radians((float(lat.max()) + float(lat.min())) / 2)
    lat_extent = float(lat.max() - lat.min())
    lon_extent = float(lon.max() - lon.min()) * math.cos(middle)
    axis = lon if lon_extent > lat_extent else lat
    # Cut by rank, not by value, so that schools sharing one coordinate still split in halves.
    order = np.lexsort((index, axis))
    return sorted(index[order[:half]].tolist()), sorted(index[order[half:]].tolist())


def _parts(problem: ClusterProblem, adjacency: list[dict[int, int]]) -> list[_Part]:
    parts: list[_Part] = []
    pending = [list(range(len(problem.ids)))] if problem.ids else []
    while pending:
        members = pending.pop()
        groups = None
        if len(members) <= problem.max_schools_per_model:
            try:
                groups = _enumerate_groups(
                    members, adjacency, problem.min_size, problem.max_size, problem.max_groups_per_model
                )
            except _TooManyGroups:
                groups = None
        if groups is None:
            first, second = _split(problem, members)
            pending.extend([second, first])  # a stack: the first half is handled first
        else:
            parts.append(_Part(members, groups))
    return parts


def _greedy(groups: list[Group]) -> list[int]:
    used: set[int] = set()
    chosen = []
    for k in sorted(range(len(groups)), key=lambda k: (-groups[k][1], groups[k][0])):
        members = groups[k][0]
        if used.isdisjoint(members):
            used.update(members)
            chosen.append(k)
    return chosen


@dataclass
class _PartResult:
    chosen: list[int]
    objective: int
    bound: int
    status: str
    seconds: float


def _solve_part(
    groups: list[Group], adjacency: list[dict[int, int]], time_limit_s: float, workers: int
) -> _PartResult:
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    units = [u for _, u in groups]
    # CP-SAT refuses (or could overflow on) objectives whose absolute coefficient sum leaves int64.
    check_total_fits(units, len(units), "group scores")
    model = cp_model.CpModel()
    chosen_var = [model.new_bool_var(f"group{k}") for k in range(len(groups))]
    by_school: dict[int, list[int]] = {}
    for k, (members, _) in enumerate(groups):
        for v in members:
            by_school.setdefault(v, []).append(k)
    for ks in by_school.values():
        if len(ks) > 1:
            model.add_at_most_one(chosen_var[k] for k in ks)
    model.maximize(cp_model.LinearExpr.weighted_sum(chosen_var, units))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit_s, 0.01)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 1
    status = solver.solve(model)
    if status == cp_model.MODEL_INVALID:
        raise RuntimeError(f"CP-SAT rejected the cluster model: {model.validate()}")

    chosen: list[int] = []
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = [k for k, var in enumerate(chosen_var) if solver.boolean_value(var)]
    objective = sum(units[k] for k in chosen)
    greedy = _greedy(groups)
    greedy_units = sum(units[k] for k in greedy)
    if objective < greedy_units:
        chosen, objective = sorted(greedy), greedy_units
    if status == cp_model.OPTIMAL:
        bound = objective
    else:
        bound = _simple_bound(groups, adjacency)
        # CP-SAT's bound is only reliable once it has a solution: stopped earlier, it has read 0.
        solver_bound = solver.best_objective_bound
        if status == cp_model.FEASIBLE and math.isfinite(solver_bound):
            # The objective is an integer, so the integer part of a bound is a bound; the tolerance
            # absorbs floating-point noise around an integral value.
            bound = min(bound, math.floor(solver_bound + 1e-6))
        bound = max(bound, objective)
    return _PartResult(
        chosen=chosen,
        objective=objective,
        bound=bound,
        status=OPTIMAL if bound == objective else FEASIBLE,
        seconds=time.perf_counter() - started,
    )


def _simple_bound(groups: list[Group], adjacency: list[dict[int, int]]) -> int:
    """An upper bound of the packing that needs no solver, the better of two.

    Chosen groups are disjoint, so each edge counts at most once (the positive edges inside the
    candidate groups bound the total), and the total is the sum over grouped schools of their group's
    units per member (at most each school's best such share).
    """
    covered = {(v, w) for members, _ in groups for v in members for w in members if v < w}
    by_edges = sum(max(0, adjacency[v][w]) for v, w in covered)
    best_share: dict[int, Fraction] = {}
    for members, units in groups:
        share = Fraction(units, len(members))
        for v in members:
            if share > best_share.get(v, 0):
                best_share[v] = share
    by_schools = math.floor(sum(best_share.values(), Fraction(0)))
    return min(by_edges, by_schools)


def _box(problem: ClusterProblem, members: list[int]) -> BoundingBox | None:
    lat, lon = problem.latitude[members], problem.longitude[members]
    known = ~np.isnan(lat)
    if not known.any():
        return None
    return BoundingBox(
        lat_min=float(lat[known].min()),
        lat_max=float(lat[known].max()),
        lon_min=float(lon[known].min()),
        lon_max=float(lon[known].max()),
    )


def form_clusters(problem: ClusterProblem) -> ClusterSolution:
    """Disjoint feasible groups with the largest total pair score (see the module notes).

    Parameters
    ----------
    problem : ClusterProblem
        Checked on construction.

    Returns
    -------
    ClusterSolution
        The groups, the ungrouped schools, the objective with a proven bound and gap, and the parts the
        region was solved in. The objective is the proven optimum when ``status`` is ``"optimal"``
        (of the split problem when ``split`` is true).

    Raises
    ------
    ScorePrecisionError
        When a model's group totals are too large for CP-SAT's 64-bit arithmetic.
    """
    started = time.perf_counter()
    adjacency = _adjacency(problem)
    parts = _parts(problem, adjacency)

    part_of = np.full(len(problem.ids), -1, dtype=np.int64)
    for p, part in enumerate(parts):
        part_of[part.members] = p
    dropped = int(np.count_nonzero(part_of[problem.edge_i] != part_of[problem.edge_j]))

    waiting = sum(len(part.members) for part in parts if part.groups)
    budget = float(problem.time_limit_s)
    results: list[_PartResult] = []
    limits: list[float] = []
    for part in parts:
        if not part.groups:
            results.append(_PartResult([], 0, 0, NO_GROUPS, 0.0))
            limits.append(0.0)
            continue
        share = budget * len(part.members) / waiting
        result = _solve_part(part.groups, adjacency, share, problem.workers)
        results.append(result)
        limits.append(share)
        waiting -= len(part.members)
        budget = max(0.0, budget - result.seconds)

    clusters: list[tuple[tuple[int, ...], int]] = [
        part.groups[k] for part, result in zip(parts, results, strict=True) for k in result.chosen
    ]
    clusters.sort()
    grouped = {v for members, _ in clusters for v in members}
    objective = sum(result.objective for result in results)
    bound = sum(result.bound for result in results)
    solved = [result.status for result in results if result.status != NO_GROUPS]
    if not solved:
        status = NO_GROUPS
    elif all(s == OPTIMAL for s in solved):
        status = OPTIMAL
    else:
        status = FEASIBLE
    score = problem.grid.score_of
    return ClusterSolution(
        groups=tuple(
            Cluster(members=tuple(problem.ids[v] for v in members), units=units, score=score(units))
            for members, units in clusters
        ),
        ungrouped=tuple(school for v, school in enumerate(problem.ids) if v not in grouped),
        objective=score(objective),
        bound=score(bound),
        gap=(bound - objective) / bound if bound > 0 else 0.0,
        status=status,
        split=len(parts) > 1,
        parts=tuple(
            RegionPart(
                ids=tuple(problem.ids[v] for v in part.members),
                schools=len(part.members),
                box=_box(problem, part.members),
                candidate_groups=len(part.groups),
                status=result.status,
                objective=score(result.objective),
                bound=score(result.bound),
                time_limit_s=limit,
                seconds=result.seconds,
            )
            for part, result, limit in zip(parts, results, limits, strict=True)
        ),
        dropped_edges=dropped,
        seconds=time.perf_counter() - started,
    )


def clustering_problems(problem: ClusterProblem, solution: ClusterSolution) -> list[str]:
    """Every way in which ``solution`` breaks the rules of ``problem`` (empty when it is valid).

    Checks that each group lists known schools, once each, within the size bounds, that every two
    members form an edge, that its units and score are the sum of its edges; that groups are disjoint
    and the ungrouped schools are exactly the rest; that the objective is the sum of the group scores,
    the bound at least the objective and the gap and status consistent with them; and that the parts
    partition the schools, hold every group whole, add up to the objective and bound, and that the
    dropped edges are those between parts.
    """
    found: list[str] = []
    index = {school: n for n, school in enumerate(problem.ids)}
    adjacency = _adjacency(problem)
    score = problem.grid.score_of
    group_of: dict[str, int] = {}
    for g, group in enumerate(solution.groups, 1):
        name = f"group {g} {group.members}"
        unknown = [m for m in group.members if m not in index]
        if unknown:
            found.append(f"{name} names unknown schools {unknown}")
            continue
        if len(set(group.members)) != len(group.members):
            found.append(f"{name} lists a school twice")
        if not problem.min_size <= len(group.members) <= problem.max_size:
            found.append(
                f"{name} has {len(group.members)} schools, not {problem.min_size}–{problem.max_size}"
            )
        units = 0
        for a, first in enumerate(group.members):
            for second in group.members[a + 1 :]:
                pair = adjacency[index[first]].get(index[second])
                if pair is None:
                    if first != second:
                        found.append(f"{name}: {first!r} and {second!r} are not an allowed pair")
                else:
                    units += pair
        if units != group.units:
            found.append(f"{name} has {group.units} units, but its pairs add up to {units}")
        if group.score != score(group.units):
            found.append(f"{name} has score {group.score}, not {score(group.units)}")
        for m in set(group.members):
            if m in group_of:
                found.append(f"school {m!r} is in group {group_of[m]} and group {g}")
            group_of[m] = g
    rest = [school for school in problem.ids if school not in group_of]
    if sorted(solution.ungrouped) != sorted(rest):
        found.append("the ungrouped schools are not exactly those outside every group")
    objective = sum((group.score for group in solution.groups), Decimal(0))
    if solution.objective != objective:
        found.append(f"the objective {solution.objective} is not the sum of the group scores, {objective}")
    if not solution.bound >= solution.objective:
        found.append(f"the bound {solution.bound} is below the objective {solution.objective}")
    gap = float((solution.bound - solution.objective) / solution.bound) if solution.bound > 0 else 0.0
    if not math.isclose(solution.gap, gap, rel_tol=1e-9, abs_tol=1e-12):
        found.append(f"the gap {solution.gap} does not follow from the objective and bound ({gap})")
    if solution.status not in STATUSES:
        found.append(f"unknown status {solution.status!r}")
    if solution.status == OPTIMAL and solution.bound != solution.objective:
        found.append("the status is optimal but the bound is above the objective")
    if solution.status == NO_GROUPS and solution.groups:
        found.append("the status is no_groups but groups were chosen")
    found.extend(_part_problems(problem, solution, index))
    return found


def _part_problems(problem: ClusterProblem, solution: ClusterSolution, index: dict[str, int]) -> list[str]:
    found: list[str] = []
    part_of = np.full(len(problem.ids), -1, dtype=np.int64)
    for p, part in enumerate(solution.parts):
        if part.schools != len(part.ids):
            found.append(f"part {p} counts {part.schools} schools but lists {len(part.ids)}")
        for school in part.ids:
            if school not in index:
                found.append(f"part {p} lists unknown school {school!r}")
            elif part_of[index[school]] >= 0:
                found.append(f"school {school!r} is in part {part_of[index[school]]} and part {p}")
            else:
                part_of[index[school]] = p
        if not part.bound >= part.objective:
            found.append(f"part {p} has bound {part.bound} below its objective {part.objective}")
    missing = [problem.ids[v] for v in np.flatnonzero(part_of < 0).tolist()]
    if missing:
        found.append(f"schools {missing[:5]} are in no part")
        return found
    if solution.split != (len(solution.parts) > 1):
        found.append(f"split is {solution.split} with {len(solution.parts)} parts")
    part_objective = [Decimal(0)] * len(solution.parts)
    for g, group in enumerate(solution.groups, 1):
        homes = {int(part_of[index[m]]) for m in group.members if m in index}
        if len(homes) > 1:
            found.append(f"group {g} {group.members} spans parts {sorted(homes)}")
        elif homes:
            part_objective[homes.pop()] += group.score
    for p, part in enumerate(solution.parts):
        if part.objective != part_objective[p]:
            found.append(f"part {p} has objective {part.objective}, its groups add up to {part_objective[p]}")
    if sum((part.objective for part in solution.parts), Decimal(0)) != solution.objective:
        found.append("the parts' objectives do not add up to the objective")
    if sum((part.bound for part in solution.parts), Decimal(0)) != solution.bound:
        found.append("the parts' bounds do not add up to the bound")
    dropped = int(np.count_nonzero(part_of[problem.edge_i] != part_of[problem.edge_j]))
    if solution.dropped_edges != dropped:
        found.append(f"{solution.dropped_edges} edges are said to be dropped, but {dropped} cross parts")
    return found


def is_valid_clustering(problem: ClusterProblem, solution: ClusterSolution) -> bool:
    """True when ``solution`` is a feasible clustering of ``problem`` with consistent totals."""
    return not clustering_problems(problem, solution)
