"""Reading, checking and writing the files of ``interschool match-file``.

The pairs mode matches leader schools to supported schools from scores the user brings::

    interschool match-file --leaders L.csv --pairs P.csv --out R.csv

``L.csv`` has the columns ``leader_id,capacity``; ``P.csv`` has ``leader_id,supported_id,score``, one row
per eligible pair (the supported schools are the distinct ``supported_id`` values). Other columns are
ignored and the columns may come in any order. Files are UTF-8 CSV (a BOM is allowed), optionally
gzip-compressed. ``R.csv`` gets one ``leader_id,supported_id,score`` row per matched pair, in the order of
``P.csv``, with each score written exactly as it was given; the last line of standard output is a JSON
summary ``{"matched": M, "unmatched": U, "total_score": T, "seconds": S}`` with the exact total.

The matching is the lexicographic optimum of :func:`~interschool.algorithms.matching.assignment.
solve_assignment`: the most supported schools matched, then the largest total score, computed exactly
on the scores' decimal grid. Every problem in a file is reported as one :class:`MatchFileError` naming the
file, the line (the header is line 1) and the column.

This module imports no Django, so the command runs without a database.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gc
import gzip
import io
import json
import os
import re
import secrets
import sys
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, NamedTuple

from interschool.algorithms.matching.assignment import MAX_CAPACITY, AssignmentProblem, solve_assignment
from interschool.algorithms.matching.exact import MatchingInputError, ScorePrecisionError, decimal_places

LEADER_COLUMNS = ("leader_id", "capacity")
PAIR_COLUMNS = ("leader_id", "supported_id", "score")
RESULT_COLUMNS = ("leader_id", "supported_id", "score")

# A score whose digits from the first significant one to the last decimal place exceed this is above
# 2**53 units on its own grid, which the exact solver refuses; saying so on its row is clearer.
MAX_SCORE_DIGITS = 15
# Far more than any real score has; beyond it the solver's decimal context would round tiny scores to 0.
MAX_SCORE_PLACES = 30

_GZIP_MAGIC = b"\x1f\x8b"
# ASCII digits only: Decimal would also accept "1_000" and other scripts' digits, which a CSV score is not.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

Summary = dict[str, Any]


class MatchFileError(Exception):
    """A problem with an input or output file; ``str()`` names the file, line and column it is on.

    >>> str(MatchFileError("P.csv", 7, "score", '"abc" is not a number'))
    'P.csv, row 7, column score: "abc" is not a number'
    >>> str(MatchFileError(None, None, None, "nothing to do"))
    'nothing to do'
    """

    def __init__(
        self, path: str | os.PathLike[str] | None, line: int | None, column: str | None, message: str
    ) -> None:
        super().__init__(message)
        self.path = None if path is None else os.fspath(path)
        self.line = line
        self.column = column
        self.message = message

    def __str__(self) -> str:
        where = [
            part
            for part in (
                self.path,
                None if self.line is None else f"row {self.line}",
                None if self.column is None else f"column {self.column}",
            )
            if part is not None
        ]
        return f"{', '.join(where)}: {self.message}" if where else self.message


class Table(NamedTuple):
    """A CSV file's header (names stripped) and its non-blank rows as (line number, fields).

    Every row has at least as many fields as the header (short rows are padded with empty fields), so
    ``fields[header.index(name)]`` is always defined. The line number is the line the row starts on.
    """

    header: tuple[str, ...]
    rows: list[tuple[int, list[str]]]

    def column(self, name: str) -> int:
        return self.header.index(name)


# --- reading ------------------------------------------------------------------------------------------


def read_table(path: str | os.PathLike[str], required_columns: Sequence[str]) -> Table:
    """Read a UTF-8 CSV file, plain or gzip, and check that it has ``required_columns``.

    Raises :class:`MatchFileError` when the file cannot be read, is not UTF-8 or CSV, or lacks a column.
    """
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    try:
        header_fields = next(reader, None)
        if header_fields is None:
            raise MatchFileError(
                path, 1, None, f"the file is empty; expected the columns {_names(required_columns)}"
            )
        header = tuple(name.strip().lstrip("\ufeff").strip() for name in header_fields)
        _check_header(path, header, required_columns)
        width = len(header)
        while True:
            start = reader.line_num + 1
            fields = next(reader, None)
            if fields is None:
                break
            if not "".join(fields).strip():
                continue  # blank lines, and the empty rows spreadsheets leave at the end, are not rows
            if len(fields) < width:
                fields.extend([""] * (width - len(fields)))
            rows.append((start, fields))
    except csv.Error as error:
        raise MatchFileError(path, reader.line_num or 1, None, f"not a readable CSV file ({error})") from None
    return Table(header, rows)


def _read_text(path: str | os.PathLike[str]) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise MatchFileError(path, None, None, f"cannot read the file: {error.strerror or error}") from None
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise MatchFileError(path, None, None, f"the gzip file is damaged ({error})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise MatchFileError(path, line, None, "the file is not UTF-8 text; save it as UTF-8 CSV") from None


def _check_header(path: str | os.PathLike[str], header: Sequence[str], required: Sequence[str]) -> None:
    missing = [name for name in required if name not in header]
    if missing:
        hint = ""
        if len(header) == 1 and any(sep in header[0] for sep in ";\t"):
            hint = " (the columns must be separated by commas)"
        raise MatchFileError(
            path,
            1,
            None,
            f"missing column{'s' if len(missing) > 1 else ''} {_names(missing)}; "
            f"the header has {_names(h for h in header if h) or 'no names'}{hint}",
        )
    for name in required:
        if header.count(name) > 1:
            raise MatchFileError(path, 1, name, "the column appears more than once")


def _names(names: Iterable[str]) -> str:
    return ", ".join(names)


# --- checking values ----------------------------------------------------------------------------------


def parse_id(path: str | os.PathLike[str], line: int, column: str, text: str) -> str:
    """A school id: the text without surrounding spaces, never empty."""
    value = text.strip()
    if not value:
        raise MatchFileError(path, line, column, "the id is empty")
    return value


def parse_capacity(path: str | os.PathLike[str], line: int, column: str, text: str) -> int:
    """A whole number of partners from 0 to ``MAX_CAPACITY``; ``2.0`` is accepted as 2."""
    value = text.strip()
    try:
        number = Decimal(value) if _DECIMAL.fullmatch(value) else None
    except InvalidOperation:
        number = None
    if number is None or number != number.to_integral_value():
        raise MatchFileError(path, line, column, f"{_quoted(text)} is not a whole number")
    if number < 0:
        raise MatchFileError(path, line, column, f"{_quoted(text)} is negative; a capacity is 0 or more")
    if number > MAX_CAPACITY:
        raise MatchFileError(path, line, column, f"{_quoted(text)} is larger than {MAX_CAPACITY:,}")
    return int(number)


def parse_score(path: str | os.PathLike[str], line: int, column: str, text: str) -> Decimal:
    """A finite, non-negative decimal number, exactly as written (``1.50`` keeps its value 1.5 exactly)."""
    value = text.strip()
    if not _DECIMAL.fullmatch(value):
        try:
            finite = Decimal(value).is_finite()
        except InvalidOperation:
            finite = True
        if not finite:
            raise MatchFileError(path, line, column, f"{_quoted(text)} is not a finite number")
        hint = "; write decimals with a point, e.g. 1.5" if "," in value else ""
        raise MatchFileError(path, line, column, f"{_quoted(text)} is not a number{hint}")
    number = Decimal(value)
    if number < 0:
        raise MatchFileError(path, line, column, f"{_quoted(text)} is negative; scores are 0 or more")
    if len(value) <= MAX_SCORE_DIGITS and "e" not in value and "E" not in value:
        return number  # at most 15 digits written: within both limits below, and checking them is slow
    places = decimal_places(number)
    if places > MAX_SCORE_PLACES:
        raise MatchFileError(
            path, line, column, f"{_quoted(text)} has more than {MAX_SCORE_PLACES} decimal places"
        )
    if number and number.adjusted() + places >= MAX_SCORE_DIGITS + 1:
        raise MatchFileError(
            path,
            line,
            column,
            f"{_quoted(text)} needs more than {MAX_SCORE_DIGITS} digits, too many to be optimised exactly",
        )
    return number


def _quoted(text: str) -> str:
    shown = text if len(text) <= 40 else text[:37] + "…"
    return json.dumps(shown, ensure_ascii=False)


# --- writing ------------------------------------------------------------------------------------------


def write_table(path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Write a UTF-8 CSV file (gzip when the name ends in ``.gz``) all at once or not at all.

    The rows go to a temporary file beside ``path`` that is renamed over it at the end, so a failure
    never leaves a half-written file behind.
    """
    target = Path(path)
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        # "x": a new file with the usual permissions, never one that someone else is writing.
        with open(partial, "xb") as raw:
            stream: IO[bytes] | gzip.GzipFile = raw
            if target.name.endswith(".gz"):
                stream = gzip.GzipFile(filename=target.name[: -len(".gz")], mode="wb", fileobj=raw, mtime=0)
            with io.TextIOWrapper(stream, encoding="utf-8", newline="") as text:
                writer = csv.writer(text, lineterminator="\n")
                writer.writerow(header)
                writer.writerows(rows)
        os.replace(partial, target)
    except OSError as error:
        raise MatchFileError(path, None, None, f"cannot write the file: {error.strerror or error}") from None
    finally:
        partial.unlink(missing_ok=True)


def emit_summary(summary: Mapping[str, Any], *, stdout: IO[str] | None = None) -> None:
    """Print ``summary`` as one JSON object on the last line of standard output.

    A :class:`~decimal.Decimal` is written as its exact decimal text (a JSON number), never through a
    float, so a reader with ``json.loads(line, parse_float=Decimal)`` gets the exact value back.
    """
    out = stdout if stdout is not None else sys.stdout
    items = (f"{json.dumps(key)}: {_json_value(value)}" for key, value in summary.items())
    print("{" + ", ".join(items) + "}", file=out, flush=True)


def _json_value(value: object) -> str:
    if isinstance(value, Decimal):
        # Positional notation: "1E-8" is valid JSON too, but not every reader expects it.
        return format(value, "f")
    return json.dumps(value)


# --- the modes ----------------------------------------------------------------------------------------


def read_leaders(path: str | os.PathLike[str]) -> dict[str, int]:
    """Capacities by leader id, in file order, from a ``leader_id,capacity`` file."""
    table = read_table(path, LEADER_COLUMNS)
    id_col, cap_col = table.column("leader_id"), table.column("capacity")
    capacities: dict[str, int] = {}
    first_line: dict[str, int] = {}
    for line, fields in table.rows:
        leader = parse_id(path, line, "leader_id", fields[id_col])
        if leader in capacities:
            raise MatchFileError(
                path,
                line,
                "leader_id",
                f"leader {_quoted(leader)} is listed twice (first on row {first_line[leader]})",
            )
        capacities[leader] = parse_capacity(path, line, "capacity", fields[cap_col])
        first_line[leader] = line
    return capacities


class PairRows(NamedTuple):
    """The eligible pairs of a ``leader_id,supported_id,score`` file, in file order."""

    pairs: list[tuple[str, str, Decimal]]
    score_texts: list[str]  # as written (without surrounding spaces), to write back unchanged
    lines: list[int]


def read_pairs(
    path: str | os.PathLike[str], capacities: Mapping[str, int], leaders_path: str | os.PathLike[str]
) -> PairRows:
    """The pairs of ``path``; every leader must be one of ``capacities`` (read from ``leaders_path``)."""
    table = read_table(path, PAIR_COLUMNS)
    leader_col, supported_col, score_col = (table.column(name) for name in PAIR_COLUMNS)
    leaders_name = Path(leaders_path).name
    result = PairRows([], [], [])
    first_line: dict[tuple[str, str], int] = {}
    for line, fields in table.rows:
        leader = parse_id(path, line, "leader_id", fields[leader_col])
        if leader not in capacities:
            raise MatchFileError(
                path, line, "leader_id", f"leader {_quoted(leader)} is not in {leaders_name}"
            )
        supported = parse_id(path, line, "supported_id", fields[supported_col])
        if (leader, supported) in first_line:
            raise MatchFileError(
                path,
                line,
                "supported_id",
                f"the pair {_quoted(leader)} → {_quoted(supported)} is listed twice "
                f"(first on row {first_line[leader, supported]})",
            )
        first_line[leader, supported] = line
        result.pairs.append((leader, supported, parse_score(path, line, "score", fields[score_col])))
        result.score_texts.append(fields[score_col].strip())
        result.lines.append(line)
    return result


def run_pairs_mode(
    leaders_path: str | os.PathLike[str], pairs_path: str | os.PathLike[str], out_path: str | os.PathLike[str]
) -> Summary:
    """Match the pairs of ``pairs_path`` under the capacities of ``leaders_path``; write ``out_path``.

    Returns ``{"matched", "unmatched", "total_score" (exact Decimal), "seconds"}``; the seconds include
    reading and writing the files. Raises :class:`MatchFileError` for any problem with the files, before
    ``out_path`` is touched.
    """
    started = time.perf_counter()
    _refuse_overwriting_inputs(out_path, (leaders_path, pairs_path))
    capacities = read_leaders(leaders_path)
    rows = read_pairs(pairs_path, capacities, leaders_path)
    try:
        problem = AssignmentProblem.from_pairs(capacities, rows.pairs)
        solution = solve_assignment(problem)
    except ScorePrecisionError as error:
        # The limit is on the largest score times the finest grid; point at the rows that set both.
        places = [decimal_places(score) for _, _, score in rows.pairs]
        finest = max(range(len(places)), key=places.__getitem__)
        largest = max(range(len(places)), key=lambda n: rows.pairs[n][2])
        raise MatchFileError(
            pairs_path,
            None,
            "score",
            f"{error} (row {rows.lines[finest]} has the most decimal places, {places[finest]}; "
            f"row {rows.lines[largest]} the largest score, {rows.score_texts[largest]})",
        ) from None
    except MatchingInputError as error:  # the checks above should leave nothing for the solver to refuse
        raise MatchFileError(pairs_path, None, None, str(error)) from None
    write_table(
        out_path,
        RESULT_COLUMNS,
        ((p.leader_id, p.supported_id, rows.score_texts[p.index]) for p in solution.pairs),
    )
    return {
        "matched": solution.matched,
        "unmatched": len(solution.unmatched),
        "total_score": solution.total_score,
        "seconds": round(time.perf_counter() - started, 3),
    }


def run_schools_mode(args: argparse.Namespace) -> Summary:
    """Match from a school file by the scores Interschool computes (vertical, clusters, organisations)."""
    from interschool.matchschools import run_schools_mode as run

    inputs = [p for p in (args.schools, args.organisations, args.forbidden, args.ties) if p]
    _refuse_overwriting_inputs(args.out, inputs)
    return run(args)


@contextlib.contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the duration of one bulk run.

    Reading a large file creates millions of small objects and no reference cycles; the collector's
    repeated passes over them cost a quarter of the reading time and free nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _refuse_overwriting_inputs(
    out_path: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]]
) -> None:
    out = Path(out_path)
    for source in inputs:
        same = out.resolve() == Path(source).resolve()
        if not same and out.exists() and Path(source).exists():
            same = os.path.samefile(out, source)
        if same:
            raise MatchFileError(
                None, None, None, f"--out: {out_path} is also an input file; choose another name"
            )
