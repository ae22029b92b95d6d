"""The school-file modes of ``interschool match-file``: vertical, clusters and organisations.

::

    interschool match-file --schools S.csv --mode vertical|clusters|organisations \
        [--organisations O.csv] [options] --out R.csv

``S.csv`` is the canonical school CSV (``docs/data-format.md``); Interschool computes eligibility and
pair scores itself (``docs/matching.md``). Leaders and supported schools come from the ``role`` column
and capacities from ``capacity`` (``--capacity N`` gives every leader N instead). A school's outcome
**percentile** — the mean of its three latest published outcome values, ranked among the schools with
the same indicator in the indicator's direction — feeds the outcome-gap component.

``O.csv`` has ``org_id,kind,capacity,offers,latitude,longitude``; ``offers`` lists support domains
separated by ``;``; coordinates may be empty (the organisation then works only online).

Like :mod:`interschool.matchfile`, this module imports no Django.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from interschool.algorithms.matching.assignment import MAX_CAPACITY
from interschool.algorithms.matching.exact import MatchingInputError
from interschool.algorithms.matching.scoring import (
    ORGANISATION_COMPONENTS,
    PERCENTILE_YEARS,
    VERTICAL_COMPONENTS,
    MatchingRules,
    Organisation,
    School,
    ScoreWeights,
    outcome_percentiles,
)
from interschool.matchfile import (
    MatchFileError,
    Summary,
    Table,
    parse_capacity,
    parse_id,
    read_table,
    write_table,
)
from interschool.synthetic.region import PHASES, SUPPORT_DOMAINS

if TYPE_CHECKING:
    from interschool.algorithms.matching.vertical import MatchResult

SCHOOL_COLUMNS = ("school_id", "latitude", "longitude")
ROLE_COLUMNS = ("role", "capacity")
ORGANISATION_COLUMNS = ("org_id", "kind", "capacity", "offers", "latitude", "longitude")
ORGANISATION_KINDS = ("university", "college", "museum", "library", "business", "ngo", "other")
ROLES = ("leader", "supported", "none")

_OUTCOME = re.compile(r"outcome_\d{4}")
_KNOWN_DOMAINS = frozenset(SUPPORT_DOMAINS)


# Options of the school modes: (flag, destination, type, default, help). --help and docs/matching.md
# list the same names; the defaults are those of MatchingRules and ScoreWeights.
def _rule_default(name: str) -> Any:
    return getattr(MatchingRules(), name)


def _weight_default(name: str) -> Any:
    return getattr(ScoreWeights(), name)


RULE_OPTIONS: tuple[tuple[str, str, type, str], ...] = (
    ("--max-distance-km", "max_distance_km", float, "pairs further apart only when both work online"),
    (
        "--competition-radius-km",
        "competition_radius_km",
        float,
        "same-phase schools this close compete (0: off)",
    ),
    ("--candidates", "candidates", int, "k: nearest eligible partners considered per school"),
    ("--cluster-candidates", "cluster_candidates", int, "k for peer clusters"),
    ("--min-group-size", "min_group_size", int, "smallest peer cluster"),
    ("--max-group-size", "max_group_size", int, "largest peer cluster"),
    (
        "--time-limit",
        "time_limit_s",
        float,
        "seconds for the CP-SAT solver (clusters, cross-community share)",
    ),
    ("--max-schools-per-model", "max_schools_per_model", int, "larger regions are split by geography"),
)
WEIGHT_OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("--weight-outcome-gap", "outcome_gap", "leader strong where the supported school is weak"),
    ("--weight-complementarity", "complementarity", "strengths (or offers) that meet needs"),
    ("--weight-ses-similarity", "ses_similarity", "similar socio-economic index"),
    ("--weight-size-similarity", "size_similarity", "similar enrolment"),
    ("--weight-same-phase", "same_phase", "same phase"),
    ("--weight-same-setting", "same_setting", "both urban or both rural"),
    ("--weight-distance", "distance", "closeness, decaying with --distance-scale-km"),
    ("--distance-scale-km", "distance_scale_km", "distance at which the closeness component falls to 1/e"),
    ("--weight-earlier-ties", "earlier_ties", "earlier ties (--ties): bonus or penalty"),
    ("--weight-cross-community", "cross_community", "partners from different communities"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The school-mode options of ``match-file``."""
    group = parser.add_argument_group("school-file modes (--schools)")
    group.add_argument(
        "--capacity", type=int, metavar="N", help="every leader takes N partners (default: column)"
    )
    group.add_argument(
        "--cross-community-share",
        type=float,
        metavar="F",
        help="at least this share (0–1) of matched pairs join different communities (vertical)",
    )
    group.add_argument("--forbidden", metavar="F.csv", help="school_a,school_b: pairs never to form")
    group.add_argument("--ties", metavar="T.csv", help="school_a,school_b,value: earlier ties, value −1 to 1")
    for flag, dest, kind, text in RULE_OPTIONS:
        metavar = "KM" if dest.endswith("_km") else "SECONDS" if dest.endswith("_s") else "N"
        group.add_argument(
            flag, dest=dest, type=kind, metavar=metavar, help=f"{text} (default {_rule_default(dest)})"
        )
    for flag, dest, text in WEIGHT_OPTIONS:
        group.add_argument(
            flag,
            dest=f"weight_{dest}",
            type=float,
            metavar="KM" if dest.endswith("_km") else "W",
            help=f"{text} (default {_weight_default(dest)})",
        )


# --- reading ------------------------------------------------------------------------------------------


def _float(path: str, line: int, column: str, text: str, low: float, high: float) -> float | None:
    value = text.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise MatchFileError(path, line, column, f'"{value}" is not a number') from None
    if not math.isfinite(number) or not low <= number <= high:
        raise MatchFileError(path, line, column, f"{value} is outside {_shown(low)}..{_shown(high)}")
    return number


def _shown(bound: float) -> str:
    return f"{int(bound):,}" if bound == int(bound) else f"{bound:g}"


def _boolean(path: str, line: int, column: str, text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "false", ""):
        return value == "true"
    raise MatchFileError(path, line, column, f'"{text}" is not true or false')


def _domains(path: str, line: int, column: str, text: str) -> frozenset[str]:
    codes = _domain_set(text)
    if codes is None:
        unknown = sorted({c.strip() for c in text.split(";") if c.strip()} - set(SUPPORT_DOMAINS))
        raise MatchFileError(
            path, line, column, f"unknown support domain {unknown[0]!r}; use {', '.join(SUPPORT_DOMAINS)}"
        )
    return codes


@functools.lru_cache(maxsize=4096)
def _domain_set(text: str) -> frozenset[str] | None:
    """The support domains of a ``;``-separated cell, or None if one is unknown (cells repeat a lot)."""
    codes = frozenset(c.strip() for c in text.split(";") if c.strip())
    return None if codes - _KNOWN_DOMAINS else codes


class _Columns:
    """A table's cells column by column: each column is checked at once, and only a column with a bad
    cell is walked again row by row to name it (files are large, bad cells rare)."""

    def __init__(self, path: str, table: Table) -> None:
        self.path = path
        self.lines = [line for line, _ in table.rows]
        width = len(table.header)
        cells = list(zip(*(fields[:width] for _, fields in table.rows), strict=True)) if table.rows else []
        self.cells = {name: cells[n] if cells else () for n, name in enumerate(table.header)}
        self.empty = ("",) * len(self.lines)

    def text(self, name: str) -> Sequence[str]:
        return self.cells.get(name, self.empty)

    def stripped(self, name: str) -> list[str]:
        return [v.strip() for v in self.text(name)]

    def floats(
        self, name: str, low: float, high: float, values: Sequence[str] | None = None
    ) -> list[float | None]:
        values = self.text(name) if values is None else values
        try:
            numbers = [float(v) if v.strip() else None for v in values]
            if all(x is None or low <= x <= high for x in numbers):  # NaN fails the comparison too
                return numbers
        except ValueError:
            pass
        return [
            _float(self.path, line, name, v, low, high) for line, v in zip(self.lines, values, strict=True)
        ]

    def choice(self, name: str, allowed: Sequence[str], what: str, default: str = "") -> list[str]:
        values = [v or default for v in self.stripped(name)]
        if set(values) <= {*allowed, ""}:
            return values
        line, bad = next((ln, v) for ln, v in zip(self.lines, values, strict=True) if v not in allowed and v)
        raise MatchFileError(self.path, line, name, f'unknown {what} "{bad}"; use {", ".join(allowed)}')

    def booleans(self, name: str) -> list[bool]:
        values = [v.lower() for v in self.stripped(name)]
        if set(values) <= {"true", "false", ""}:
            return [v == "true" for v in values]
        return [_boolean(self.path, line, name, v) for line, v in zip(self.lines, values, strict=True)]

    def domains(self, name: str) -> list[frozenset[str]]:
        return [
            _domains(self.path, line, name, v) for line, v in zip(self.lines, self.text(name), strict=True)
        ]

    def whole(self, name: str, least: int, most: int) -> list[int | None]:
        """Whole numbers (``2.0`` counts as 2) from ``least`` to ``most``; empty cells are None."""
        numbers = self.floats(name, least, most)
        for line, x, text in zip(self.lines, numbers, self.text(name), strict=True):
            if x is not None and x != int(x):
                raise MatchFileError(self.path, line, name, f'"{text.strip()}" is not a whole number')
        return [None if x is None else int(x) for x in numbers]

    def outcome_means(self, header: Sequence[str]) -> list[float | None]:
        """Each row's mean of its latest ``PERCENTILE_YEARS`` published outcomes (``s`` and empty skipped)."""
        years = sorted((m.group(0) for h in header if (m := _OUTCOME.fullmatch(h))), reverse=True)
        if not years:
            return [None] * len(self.lines)
        matrix = np.full((len(self.lines), len(years)), np.nan)
        for j, name in enumerate(years):
            published = ["" if v.strip() == "s" else v for v in self.text(name)]
            column = self.floats(name, -1e12, 1e12, published)
            matrix[:, j] = [np.nan if x is None else x for x in column]
        present = ~np.isnan(matrix)
        latest = present & (np.cumsum(present, axis=1) <= PERCENTILE_YEARS)
        counts = latest.sum(axis=1)
        # Rounded so that equal means tie whatever order the floating-point sum took.
        means = np.round(np.where(latest, matrix, 0.0).sum(axis=1) / np.maximum(counts, 1), 9)
        return [None if c == 0 else m for m, c in zip(means.tolist(), counts.tolist(), strict=True)]


def read_schools(path: str, *, roles: bool, capacity: int | None = None) -> list[School]:
    """The schools of a canonical school CSV, checked cell by cell; ``roles`` requires role and capacity."""
    table = read_table(path, SCHOOL_COLUMNS + (ROLE_COLUMNS if roles else ()))
    c = _Columns(path, table)
    ids = [parse_id(path, line, "school_id", v) for line, v in zip(c.lines, c.text("school_id"), strict=True)]
    if len(set(ids)) != len(ids):
        seen: dict[str, int] = {}
        for line, school_id in zip(c.lines, ids, strict=True):
            if school_id in seen:
                raise MatchFileError(
                    path, line, "school_id", f'"{school_id}" is listed twice (first on row {seen[school_id]})'
                )
            seen[school_id] = line
    lat, lon = c.floats("latitude", -90, 90), c.floats("longitude", -180, 180)
    for line, y, x in zip(c.lines, lat, lon, strict=True):
        if (y is None) != (x is None):
            raise MatchFileError(
                path,
                line,
                "longitude" if x is None else "latitude",
                "give both latitude and longitude, or neither",
            )
    role = c.choice("role", ROLES, "role", default="none")
    caps = [0 if x is None else x for x in c.whole("capacity", 0, MAX_CAPACITY)]
    if capacity is not None:
        caps = [capacity if r == "leader" else k for r, k in zip(role, caps, strict=True)]
    higher = [v.lower() != "false" for v in c.stripped("higher_is_better")]
    percentiles = outcome_percentiles(c.stripped("indicator"), c.outcome_means(table.header), higher)
    return [
        School(*fields)
        for fields in zip(
            ids,
            lat,
            lon,
            c.choice("phase", PHASES, "phase"),
            c.stripped("community"),
            c.stripped("district"),
            c.stripped("urban_rural"),
            c.whole("enrolment", 0, 10_000_000),
            c.floats("ses_index", 0, 100),
            c.booleans("accepts_online"),
            role,
            caps,
            c.domains("strengths"),
            c.domains("needs"),
            percentiles,
            strict=True,
        )
    ]


def read_organisations(path: str) -> list[Organisation]:
    """The organisations of an ``org_id,kind,capacity,offers,latitude,longitude`` file."""
    table = read_table(path, ORGANISATION_COLUMNS)
    c = {name: table.column(name) for name in ORGANISATION_COLUMNS}
    found: list[Organisation] = []
    seen: dict[str, int] = {}
    for line, fields in table.rows:
        org_id = parse_id(path, line, "org_id", fields[c["org_id"]])
        if org_id in seen:
            raise MatchFileError(
                path, line, "org_id", f'"{org_id}" is listed twice (first on row {seen[org_id]})'
            )
        seen[org_id] = line
        kind = fields[c["kind"]].strip()
        if kind not in ORGANISATION_KINDS:
            raise MatchFileError(
                path, line, "kind", f'unknown kind "{kind}"; use {", ".join(ORGANISATION_KINDS)}'
            )
        offers = _domains(path, line, "offers", fields[c["offers"]])
        if not offers:
            raise MatchFileError(path, line, "offers", "an organisation offers at least one support domain")
        lat = _float(path, line, "latitude", fields[c["latitude"]], -90, 90)
        lon = _float(path, line, "longitude", fields[c["longitude"]], -180, 180)
        if (lat is None) != (lon is None):
            raise MatchFileError(
                path,
                line,
                "longitude" if lon is None else "latitude",
                "give both latitude and longitude, or neither",
            )
        found.append(
            Organisation(
                org_id, kind, parse_capacity(path, line, "capacity", fields[c["capacity"]]), offers, lat, lon
            )
        )
    return found


def read_pair_list(path: str, known: set[str], *, with_value: bool) -> dict[frozenset[str], float]:
    """``school_a,school_b[,value]`` rows (forbidden pairs or earlier ties); ids must be known."""
    columns = ("school_a", "school_b", "value") if with_value else ("school_a", "school_b")
    table = read_table(path, columns)
    a_col, b_col = table.column("school_a"), table.column("school_b")
    found: dict[frozenset[str], float] = {}
    for line, fields in table.rows:
        pair = []
        for name, n in (("school_a", a_col), ("school_b", b_col)):
            member = parse_id(path, line, name, fields[n])
            if member not in known:
                raise MatchFileError(
                    path, line, name, f'"{member}" is not in the school or organisation files'
                )
            pair.append(member)
        if pair[0] == pair[1]:
            raise MatchFileError(path, line, "school_b", "a pair needs two different ids")
        value = _float(path, line, "value", fields[table.column("value")], -1, 1) if with_value else 1.0
        if value is None:
            raise MatchFileError(path, line, "value", "the value is empty; give a number from −1 to 1")
        found[frozenset(pair)] = value
    return found


# --- running ------------------------------------------------------------------------------------------


def _rules_and_weights(args: argparse.Namespace, known: set[str]) -> tuple[MatchingRules, ScoreWeights]:
    rule_values = {
        dest: getattr(args, dest) for _, dest, _, _ in RULE_OPTIONS if getattr(args, dest, None) is not None
    }
    weight_values = {
        dest: getattr(args, f"weight_{dest}")
        for _, dest, _ in WEIGHT_OPTIONS
        if getattr(args, f"weight_{dest}", None) is not None
    }
    forbidden = read_pair_list(args.forbidden, known, with_value=False) if args.forbidden else {}
    ties = read_pair_list(args.ties, known, with_value=True) if args.ties else {}
    try:
        return (
            MatchingRules(
                cross_community_share=args.cross_community_share,
                forbidden=frozenset(forbidden),
                ties=ties,
                **rule_values,
            ),
            ScoreWeights(**weight_values),
        )
    except MatchingInputError as error:
        flag = _flag_for(str(error))
        raise MatchFileError(None, None, None, f"{flag}: {error}" if flag else str(error)) from None


def _flag_for(message: str) -> str | None:
    """The command-line option a rule or weight error is about (messages name the field)."""
    if "cross_community_share" in message:
        return "--cross-community-share"
    if "group sizes" in message:
        return "--min-group-size"
    for flag, dest, _, _ in RULE_OPTIONS:
        if message.startswith(dest) or message.startswith(f"{dest} "):
            return flag
    for flag, dest, _ in WEIGHT_OPTIONS:
        if message.startswith((f"weight {dest} ", dest)):
            return flag
    return None


def _km(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _assignment_summary(result: MatchResult, started: float) -> Summary:
    return {
        "matched": result.matched,
        "unmatched": len(result.unmatched),
        "total_score": result.total_score,
        "seconds": round(time.perf_counter() - started, 3),
        "status": result.status,
        "candidate_pairs": result.candidate_pairs,
        "truncated": len(result.truncated),
        "excluded": len(result.excluded),
    }


def run_schools_mode(args: argparse.Namespace) -> Summary:
    """Read the files, match in the chosen mode, write ``args.out`` and return the summary."""
    started = time.perf_counter()
    mode = args.mode
    if mode is None:
        raise MatchFileError(
            None, None, None, "--mode: required with --schools (vertical, clusters or organisations)"
        )
    if (mode == "organisations") != bool(args.organisations):
        raise MatchFileError(
            None,
            None,
            None,
            "--organisations: required with --mode organisations"
            if mode == "organisations"
            else "--organisations: only used with --mode organisations",
        )
    if args.cross_community_share is not None and mode != "vertical":
        raise MatchFileError(None, None, None, "--cross-community-share: only used with --mode vertical")
    if args.capacity is not None and args.capacity < 0:
        raise MatchFileError(None, None, None, "--capacity: must be 0 or more")
    schools = read_schools(args.schools, roles=mode == "vertical", capacity=args.capacity)
    organisations = read_organisations(args.organisations) if mode == "organisations" else []
    known = {s.id for s in schools} | {o.id for o in organisations}
    rules, weights = _rules_and_weights(args, known)
    # The solvers load scipy and OR-Tools; imported here so that the rest of the CLI starts quickly.
    from interschool.algorithms.matching.vertical import match_organisations, match_vertical

    header: tuple[str, ...]
    try:
        if mode == "clusters":
            return _clusters(schools, rules, weights, args.out, started)
        if mode == "vertical":
            result = match_vertical(schools, rules, weights)
            header = ("leader_id", "supported_id", "score", "distance_km", *VERTICAL_COMPONENTS)
        else:
            result = match_organisations(organisations, schools, rules, weights)
            header = ("org_id", "school_id", "score", "distance_km", *ORGANISATION_COMPONENTS)
    except MatchingInputError as error:
        raise MatchFileError(args.schools, None, None, str(error)) from None
    write_table(
        args.out,
        header,
        (
            (
                p.provider_id,
                p.school_id,
                f"{p.score:f}",
                _km(p.distance_km),
                *(f"{p.components[c]:f}" for c in result.components),
            )
            for p in result.pairs
        ),
    )
    return _assignment_summary(result, started)


def _clusters(
    schools: Sequence[School],
    rules: MatchingRules,
    weights: ScoreWeights,
    out: str | os.PathLike[str],
    started: float,
) -> Summary:
    from interschool.algorithms.matching.peers import form_peer_clusters

    result = form_peer_clusters(schools, rules, weights)
    solution = result.solution
    write_table(
        out,
        ("group_id", "school_id", "group_score"),
        (
            (str(n), member, f"{group.score:f}")
            for n, group in enumerate(solution.groups, start=1)
            for member in group.members
        ),
    )
    return {
        "groups": len(solution.groups),
        "schools_grouped": solution.schools_grouped,
        "ungrouped": len(solution.ungrouped),
        "objective": solution.objective,
        "bound": solution.bound,
        "gap": round(solution.gap, 6),
        "status": solution.status,
        "split": solution.split,
        "parts": len(solution.parts),
        "candidate_edges": result.edges,
        "truncated": len(result.truncated),
        "excluded": len(result.excluded),
        "seconds": round(time.perf_counter() - started, 3),
    }
