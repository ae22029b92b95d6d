"""Tests for the peer-cluster solver: hand-made graphs, brute force, geographic splits, the verifier."""

import dataclasses
import itertools
import math
from decimal import Decimal
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from interschool.algorithms.matching.clusters import (
    ClusterInputError,
    ClusterProblem,
    CoordinateError,
    EdgeError,
    clustering_problems,
    form_clusters,
    is_valid_clustering,
)
from interschool.algorithms.matching.exact import MatchingInputError, ScoreGrid, ScorePrecisionError


def problem_of(ids, edges, *, coordinates=None, places=0, **options):
    """A problem from ``(i, j, units)`` index triples; ``coordinates`` is a list of (lat, lon) or None."""
    n = len(ids)
    places_of = coordinates or [(math.nan, math.nan)] * n
    options.setdefault("time_limit_s", 10.0)
    return ClusterProblem(
        ids=tuple(ids),
        latitude=np.array([c[0] for c in places_of], dtype=np.float64),
        longitude=np.array([c[1] for c in places_of], dtype=np.float64),
        edge_i=np.array([e[0] for e in edges], dtype=np.int64),
        edge_j=np.array([e[1] for e in edges], dtype=np.int64),
        edge_units=np.array([e[2] for e in edges], dtype=np.int64),
        grid=ScoreGrid(places),
        **options,
    )


def clique(members, units=1):
    return [(i, j, units) for i, j in itertools.combinations(members, 2)]


def solved(problem):
    solution = form_clusters(problem)
    assert clustering_problems(problem, solution) == []
    return solution


def brute_force(problem, same_part=None):
    """The best total by trying every packing: the first undecided school stays alone or opens a group.

    With ``same_part`` (a part number per school) only groups inside one part count.
    """
    n = len(problem.ids)
    units = {
        (i, j): u
        for i, j, u in zip(
            problem.edge_i.tolist(), problem.edge_j.tolist(), problem.edge_units.tolist(), strict=True
        )
    }
    by_first: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for size in range(problem.min_size, problem.max_size + 1):
        for members in itertools.combinations(range(n), size):
            if same_part is not None and len({same_part[v] for v in members}) > 1:
                continue
            pairs = list(itertools.combinations(members, 2))
            if all(p in units for p in pairs):
                mask = sum(1 << v for v in members)
                by_first[members[0]].append((mask, sum(units[p] for p in pairs)))

    @cache
    def best(decided):
        first = next((v for v in range(n) if not decided >> v & 1), None)
        if first is None:
            return 0
        value = best(decided | 1 << first)
        for mask, total in by_first[first]:
            if not mask & decided:
                value = max(value, total + best(decided | mask))
        return value

    return best(0)


# --- hand-made graphs -------------------------------------------------------------------------------


def test_triangle_and_isolated_school():
    problem = problem_of("ABCD", [(0, 1, 2), (0, 2, 3), (1, 2, 4)], places=1)
    solution = solved(problem)
    assert [g.members for g in solution.groups] == [("A", "B", "C")]
    assert solution.groups[0].units == 9
    assert solution.groups[0].score == Decimal("0.9")
    assert solution.ungrouped == ("D",)
    assert (solution.objective, solution.bound, solution.gap) == (Decimal("0.9"), Decimal("0.9"), 0.0)
    assert solution.status == "optimal"
    assert solution.schools_grouped == 3
    assert not solution.split and solution.dropped_edges == 0
    (part,) = solution.parts
    assert (part.schools, part.box, part.candidate_groups, part.status) == (4, None, 1, "optimal")


def test_two_disjoint_four_cliques_are_two_groups():
    edges = clique([0, 1, 2, 3], 5) + clique([4, 5, 6, 7], 2)
    solution = solved(problem_of("abcdefgh", edges, min_size=3, max_size=4))
    assert [g.members for g in solution.groups] == [tuple("abcd"), tuple("efgh")]
    assert [g.units for g in solution.groups] == [30, 12]
    assert solution.objective == 42
    assert solution.ungrouped == ()
    assert solution.parts[0].candidate_groups == 2 * (4 + 1)  # four triangles and the clique, twice


def test_min_size_above_the_largest_clique_gives_no_groups():
    solution = solved(problem_of("ABCDE", [*clique([0, 1, 2], 7), (2, 3, 1)], min_size=4))
    assert solution.groups == ()
    assert solution.ungrouped == tuple("ABCDE")
    assert solution.status == "no_groups"
    assert (solution.objective, solution.bound, solution.gap) == (0, 0, 0.0)
    assert solution.parts[0].candidate_groups == 0


def test_a_five_clique_is_one_group_when_every_pair_counts():
    edges = clique(range(5), 1)
    assert [g.members for g in solved(problem_of("ABCDE", edges, min_size=2)).groups] == [tuple("ABCDE")]
    # With at most four a side, one group of four (6 pairs) beats a pair and a triangle (1 + 3).
    four = solved(problem_of("ABCDE", edges, min_size=2, max_size=4))
    assert four.objective == 6 and len(four.groups) == 1 and len(four.ungrouped) == 1


def test_a_five_clique_splits_when_the_cross_pairs_are_negative():
    edges = [(i, j, 10 if (i, j) in {(0, 1), (2, 3)} else -5) for i, j, _ in clique(range(5))]
    solution = solved(problem_of("ABCDE", edges, min_size=2, max_size=5))
    assert [g.members for g in solution.groups] == [("A", "B"), ("C", "D")]
    assert solution.objective == 20 and solution.ungrouped == ("E",)


def test_negative_groups_are_never_candidates():
    solution = solved(problem_of("ABC", clique(range(3), -1), min_size=2))
    assert solution.status == "no_groups" and solution.groups == ()


def test_zero_score_groups_are_feasible_candidates():
    solution = solved(problem_of("ABC", clique(range(3), 0)))
    assert solution.parts[0].candidate_groups == 1
    assert solution.objective == 0 and solution.status == "optimal"


def test_output_follows_the_order_of_ids():
    # Ids deliberately not alphabetical: order is by position in ids.
    ids = ["z", "y", "x", "w", "v", "u"]
    edges = clique([1, 3, 5], 4) + clique([0, 2, 4], 1)
    solution = solved(problem_of(ids, edges))
    assert [g.members for g in solution.groups] == [("z", "x", "v"), ("y", "w", "u")]


def test_from_pairs_reads_ids_decimal_scores_and_coordinates():
    problem = ClusterProblem.from_pairs(
        ["s1", "s2", "s3", "s4"],
        [("s2", "s1", "0.25"), ("s1", "s3", 1), ("s3", "s2", 0.5), ("s3", "s4", "2")],
        coordinates={"s1": (48.1, 2.0), "s2": (48.2, 2.1)},
        time_limit_s=5,
    )
    assert problem.grid.places == 2
    assert problem.edge_i.tolist() == [0, 0, 1, 2] and problem.edge_j.tolist() == [1, 2, 2, 3]
    assert problem.edge_units.tolist() == [25, 100, 50, 200]
    assert np.isnan(problem.latitude[2]) and problem.longitude[1] == 2.1
    solution = solved(problem)
    assert solution.groups[0].members == ("s1", "s2", "s3")
    assert solution.objective == Decimal("1.75")


def test_problem_arrays_are_read_only_copies():
    edges = np.array([0]), np.array([1]), np.array([3])
    problem = ClusterProblem(("a", "b"), [1.0, 2.0], [3.0, 4.0], *edges, grid=ScoreGrid(0), min_size=2)
    edges[2][0] = 99
    assert problem.edge_units.tolist() == [3]
    with pytest.raises(ValueError, match="read-only"):
        problem.edge_units[0] = 5


def test_an_empty_problem_has_no_groups_and_no_parts():
    solution = solved(problem_of([], []))
    assert solution.status == "no_groups" and solution.parts == () and solution.ungrouped == ()


# --- input validation -------------------------------------------------------------------------------


def good():
    return {
        "ids": ("a", "b", "c"),
        "latitude": np.array([48.0, 48.1, np.nan]),
        "longitude": np.array([2.0, 2.1, np.nan]),
        "edge_i": np.array([0, 0, 1]),
        "edge_j": np.array([1, 2, 2]),
        "edge_units": np.array([1, 2, 3]),
        "grid": ScoreGrid(0),
    }


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"edge_j": np.array([1, 2])}, EdgeError, r"different lengths \(3, 2, 3\)"),
        ({"edge_j": np.array([1, 3, 2])}, EdgeError, "edge 1: edge_j=3 is not an index into the 3 ids"),
        ({"edge_i": np.array([0, -1, 1])}, EdgeError, "edge 1: edge_i=-1"),
        ({"edge_i": np.array([0, 2, 1])}, EdgeError, r"edge 1 \(2, 2\): edge_i must be smaller"),
        (
            {"edge_i": np.array([0, 1, 0]), "edge_j": np.array([2, 2, 2])},
            EdgeError,
            "edge 2 repeats edge 0 \\(schools 'a' and 'c'\\)",
        ),
        ({"edge_units": np.array([1.5, 2, 3])}, ClusterInputError, "edge_units must hold integers"),
        ({"edge_i": np.array([[0, 0, 1]])}, ClusterInputError, "edge_i must be one-dimensional"),
        ({"ids": ("a", "b", "a")}, ClusterInputError, r"'a' is listed twice in ids \(positions 0 and 2\)"),
        ({"ids": ("a", 2, "c")}, ClusterInputError, "id at position 1 must be a string"),
        ({"latitude": np.array([48.0, 48.1])}, CoordinateError, "latitude has 2 values but there are 3 ids"),
        ({"latitude": np.array([48.0, 91.0, np.nan])}, CoordinateError, r"'b': latitude 91.0 is outside"),
        ({"longitude": np.array([2.0, np.inf, np.nan])}, CoordinateError, "'b': longitude inf is outside"),
        ({"longitude": np.array([2.0, np.nan, np.nan])}, CoordinateError, "'b' has only one of"),
        ({"min_size": 1}, ClusterInputError, "min_size must be at least 2, not 1"),
        ({"min_size": 4, "max_size": 3}, ClusterInputError, "min_size 4 is larger than max_size 3"),
        ({"max_size": 2.5}, ClusterInputError, "max_size must be a whole number"),
        ({"time_limit_s": 0}, ClusterInputError, "time_limit_s must be positive and finite, not 0"),
        ({"time_limit_s": math.nan}, ClusterInputError, "time_limit_s must be positive"),
        ({"time_limit_s": "5"}, ClusterInputError, "time_limit_s must be a number of seconds"),
        ({"max_schools_per_model": 4}, ClusterInputError, "max_schools_per_model must be at least 5"),
        ({"max_groups_per_model": 0}, ClusterInputError, "max_groups_per_model must be at least 1"),
        ({"workers": 0}, ClusterInputError, "workers must be at least 1"),
        ({"grid": 2}, ClusterInputError, "grid must be a ScoreGrid"),
        ({"edge_units": np.array([1, 2**52, 3])}, ScorePrecisionError, "too large"),
    ],
)
def test_invalid_problems_are_refused_with_a_message_naming_the_item(change, error, message):
    with pytest.raises(error, match=message) as raised:
        ClusterProblem(**(good() | change))
    assert isinstance(raised.value, MatchingInputError)


@pytest.mark.parametrize(
    ("ids", "pairs", "coordinates", "message"),
    [
        ("ab", [("a", "z", 1)], None, "pair 1 names unknown school 'z'"),
        ("ab", [("a", "a", 1)], None, "pair 1 pairs school 'a' with itself"),
        ("ab", [("a", "b", 1), ("b", "a", 2)], None, r"pair 2 \('b', 'a'\) repeats pair 1"),
        ("ab", [("a", "b", 1)], {"q": (1.0, 2.0)}, "coordinates are given for unknown school 'q'"),
        ("ab", [("a", "b", "x")], None, "score 'x' is not a number"),
    ],
)
def test_from_pairs_refuses_bad_pairs(ids, pairs, coordinates, message):
    with pytest.raises(MatchingInputError, match=message):
        ClusterProblem.from_pairs(list(ids), pairs, coordinates)


# --- random instances against brute force -----------------------------------------------------------


@st.composite
def random_problems(draw, coordinates=False):
    n = draw(st.integers(0, 12))
    rng = draw(st.randoms(use_true_random=False))
    density = draw(st.sampled_from([0.3, 0.6, 0.9]))
    edges = [
        (i, j, rng.choice([0, 0, rng.randint(-4, 20), rng.randint(1, 9)]))
        for i, j in itertools.combinations(range(n), 2)
        if rng.random() < density
    ]
    min_size = draw(st.integers(2, 3))
    max_size = draw(st.integers(min_size, 5))
    places = [(rng.uniform(40, 50), rng.uniform(-5, 5)) for _ in range(n)]
    options = {}
    if coordinates:
        # Some schools without coordinates, and a small model size so that splits happen.
        places = [p if rng.random() < 0.8 else (math.nan, math.nan) for p in places]
        options["max_schools_per_model"] = draw(st.integers(max_size, 8))
    return problem_of(
        [f"s{v}" for v in range(n)],
        edges,
        coordinates=places,
        places=draw(st.integers(0, 2)),
        min_size=min_size,
        max_size=max_size,
        workers=1,
        **options,
    )


@settings(max_examples=200, deadline=None)
@given(random_problems())
def test_random_instances_match_brute_force(problem):
    solution = form_clusters(problem)
    assert clustering_problems(problem, solution) == []
    assert solution.status in ("optimal", "no_groups")
    assert solution.objective == problem.grid.score_of(brute_force(problem))
    assert solution.bound == solution.objective and solution.gap == 0.0
    assert not solution.split


@settings(max_examples=120, deadline=None)
@given(random_problems(coordinates=True))
def test_split_instances_match_brute_force_within_parts(problem):
    solution = form_clusters(problem)
    assert clustering_problems(problem, solution) == []
    assert all(part.schools <= problem.max_schools_per_model for part in solution.parts)
    part_of = {school: p for p, part in enumerate(solution.parts) for school in part.ids}
    same_part = [part_of[school] for school in problem.ids]
    assert solution.objective == problem.grid.score_of(brute_force(problem, same_part))
    assert solution.status in ("optimal", "no_groups")


# --- geographic splits ------------------------------------------------------------------------------


def four_towns(extra_without_coordinates=False):
    """Twelve schools in four towns far apart, a triangle in each, and a few long-distance pairs.

    The towns sit at the corners of a rectangle wider than it is tall, so the median cuts (west and
    east first, then south and north) fall between towns.
    """
    towns = [(45.0, 0.0), (45.0, 8.0), (49.0, 0.0), (49.0, 8.0)]
    coordinates = [(lat + 0.01 * k, lon + 0.01 * k) for lat, lon in towns for k in range(3)]
    edges = [*clique([0, 1, 2], 3), *clique([3, 4, 5], 2), *clique([6, 7, 8], 4), *clique([9, 10, 11], 1)]
    edges += [(0, 3, 50), (0, 6, 50), (3, 6, 50), (2, 11, 50), (5, 9, 50)]
    ids = [f"t{v}" for v in range(12)]
    if extra_without_coordinates:
        ids.append("nowhere")
        coordinates.append((math.nan, math.nan))
        edges += [(0, 12, 1), (1, 12, 1)]
    return problem_of(
        ids, sorted(edges), coordinates=coordinates, min_size=3, max_size=4, max_schools_per_model=4
    )


def test_a_region_too_large_for_one_model_is_split_by_geography():
    problem = four_towns()
    solution = solved(problem)
    assert solution.split
    assert [part.ids for part in solution.parts] == [
        ("t0", "t1", "t2"),
        ("t6", "t7", "t8"),
        ("t3", "t4", "t5"),
        ("t9", "t10", "t11"),
    ]
    for part in solution.parts:
        assert part.box.lat_max - part.box.lat_min < 0.1 and part.box.lon_max - part.box.lon_min < 0.1
        assert part.candidate_groups == 1 and part.status == "optimal"
    assert solution.dropped_edges == 5
    assert [group.units for group in solution.groups] == [9, 6, 12, 3]
    # Each part is offered its share, by schools, of the time the parts before it left unused.
    assert solution.parts[0].time_limit_s == pytest.approx(problem.time_limit_s * 3 / 12)
    assert solution.parts[1].time_limit_s > problem.time_limit_s * 3 / 12
    # The long-distance pairs scored most, but they cross parts: the split is stated, not hidden.
    assert solution.objective == 30
    assert brute_force(problem) > 150


def test_schools_without_coordinates_get_their_own_part():
    problem = four_towns(extra_without_coordinates=True)
    solution = solved(problem)
    last = solution.parts[-1]
    assert last.ids == ("nowhere",) and last.box is None and last.status == "no_groups"
    assert all(part.box is not None for part in solution.parts[:-1])
    assert solution.ungrouped[-1] == "nowhere"


def test_the_same_region_fits_in_one_model_when_allowed():
    problem = dataclasses.replace(four_towns(extra_without_coordinates=True), max_schools_per_model=3000)
    solution = solved(problem)
    assert not solution.split and len(solution.parts) == 1 and solution.dropped_edges == 0
    assert solution.parts[0].box is not None  # spans the schools that have coordinates
    assert solution.objective == brute_force(problem)


def test_too_many_candidate_groups_split_the_region():
    coordinates = [(45.0 + 0.1 * v, 3.0) for v in range(8)]
    problem = problem_of(range_ids(8), clique(range(8), 1), coordinates=coordinates, max_groups_per_model=20)
    solution = solved(problem)
    assert solution.split
    assert all(part.candidate_groups <= 20 for part in solution.parts)
    assert all(part.schools < 8 for part in solution.parts)


def test_identical_coordinates_still_split():
    problem = problem_of(
        range_ids(12), clique(range(12), 1), coordinates=[(45.0, 3.0)] * 12, max_schools_per_model=5
    )
    solution = solved(problem)
    assert [part.schools for part in solution.parts] == [3, 3, 3, 3]


def test_schools_without_any_coordinates_split_in_id_order():
    problem = problem_of(range_ids(12), clique(range(12), 1), max_schools_per_model=6)
    solution = solved(problem)
    assert [part.ids for part in solution.parts] == [range_ids(12)[:6], range_ids(12)[6:]]
    assert all(part.box is None for part in solution.parts)


def range_ids(n):
    return tuple(f"s{v:02d}" for v in range(n))


# --- the verifier -----------------------------------------------------------------------------------


def test_the_verifier_catches_broken_solutions():
    problem = problem_of("ABCDEFG", clique([0, 1, 2], 2) + clique([3, 4, 5], 1) + [(5, 6, 1)])
    solution = solved(problem)
    assert is_valid_clustering(problem, solution)
    first, second = solution.groups
    cluster = type(first)

    def broken(**changes):
        return clustering_problems(problem, dataclasses.replace(solution, **changes))

    non_edge = cluster(("D", "E", "G"), 2, Decimal(2))
    assert any("'D' and 'G' are not an allowed pair" in r for r in broken(groups=(first, non_edge)))
    overlap = cluster(("E", "F", "G"), 2, Decimal(2))
    assert any("'E' and 'G'" in r for r in broken(groups=(first, second, overlap)))
    assert any("school 'E' is in group 2 and group 3" in r for r in broken(groups=(first, second, overlap)))
    assert any(
        "is not the sum of the group scores" in r for r in broken(objective=Decimal(8), bound=Decimal(8))
    )
    assert any("bound 1 is below the objective" in r for r in broken(bound=Decimal(1)))
    assert any("unknown schools ['Q']" in r for r in broken(groups=(first, cluster(("D", "Q", "F"), 1, 1))))
    assert any("has 2 schools, not 3–5" in r for r in broken(groups=(first, cluster(("F", "G"), 1, 1))))
    assert any("its pairs add up to 3" in r for r in broken(groups=(first, cluster(("D", "E", "F"), 4, 4))))
    assert any("ungrouped schools are not exactly" in r for r in broken(ungrouped=()))
    assert any("does not follow" in r for r in broken(gap=0.5))
    assert any("optimal but the bound" in r for r in broken(bound=Decimal(10), gap=0.1))
    assert any("edges are said to be dropped" in r for r in broken(dropped_edges=3))
    assert any("are in no part" in r for r in broken(parts=()))
    assert not is_valid_clustering(problem, dataclasses.replace(solution, groups=(first, non_edge)))


def test_the_verifier_checks_parts():
    problem = four_towns()
    solution = solved(problem)
    merged = dataclasses.replace(solution.parts[0], ids=solution.parts[0].ids + solution.parts[1].ids)
    reasons = clustering_problems(problem, dataclasses.replace(solution, parts=(merged, *solution.parts[1:])))
    assert any("is in part 0 and part 1" in r for r in reasons)
    assert any("counts 3 schools but lists 6" in r for r in reasons)
    unsplit = clustering_problems(problem, dataclasses.replace(solution, split=False))
    assert any("split is False" in r for r in unsplit)


# --- size and time limits ---------------------------------------------------------------------------


def geometric_instance(n, k, seed, **options):
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(45, 50, n), rng.uniform(0, 6, n)
    points = np.column_stack([lat, lon * math.cos(math.radians(47.5))])
    _, neighbours = cKDTree(points).query(points, k=k + 1)
    pairs = sorted({(min(a, int(b)), max(a, int(b))) for a in range(n) for b in neighbours[a, 1:]})
    edge_i, edge_j = np.array(pairs, dtype=np.int64).T
    return ClusterProblem(
        ids=tuple(f"school-{v}" for v in range(n)),
        latitude=lat,
        longitude=lon,
        edge_i=edge_i,
        edge_j=edge_j,
        edge_units=rng.integers(0, 1000, len(pairs)),
        grid=ScoreGrid(2),
        **options,
    )


def test_two_thousand_schools_with_nearest_neighbour_pairs():
    problem = geometric_instance(2000, 6, seed=1, time_limit_s=10)
    solution = form_clusters(problem)
    assert is_valid_clustering(problem, solution)
    assert solution.status in ("optimal", "feasible") and not solution.split
    assert solution.schools_grouped > 1500
    assert solution.gap < 0.01
    assert solution.seconds < 15


def test_a_tiny_time_limit_still_gives_a_valid_clustering_and_bound():
    problem = geometric_instance(600, 6, seed=2, time_limit_s=0.001, max_schools_per_model=300)
    solution = form_clusters(problem)
    assert clustering_problems(problem, solution) == []
    assert solution.split and solution.objective > 0
    assert 0.0 <= solution.gap < 1.0
    assert solution.parts[0].time_limit_s == pytest.approx(0.001 * 300 / 600)
