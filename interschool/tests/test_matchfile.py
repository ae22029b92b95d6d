"""The match-file command: exact results from the user's own scores, checked against independent solvers."""

from __future__ import annotations

import csv
import doctest
import gzip
import json
import subprocess
import sys
import tempfile
from collections import Counter
from decimal import Decimal
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interschool import matchfile
from interschool.algorithms.matching.assignment import AssignmentProblem, solve_assignment_lp
from interschool.cli import main
from interschool.matchfile import MatchFileError, read_table, run_pairs_mode

LEADERS_HEADER = "leader_id,capacity\n"
PAIRS_HEADER = "leader_id,supported_id,score\n"


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(["match-file", *args])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def summary_of(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1], parse_float=Decimal)


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def write_rows(path: Path, header: list[str], rows: list[tuple]) -> Path:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_rows(path: Path) -> list[tuple[str, str, str]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["leader_id", "supported_id", "score"]
        return [(leader, supported, score) for leader, supported, score in reader]


def match(capsys, tmp_path: Path, leaders: Path, pairs: Path) -> tuple[dict, list[tuple[str, str, str]]]:
    out = tmp_path / "R.csv"
    code, stdout, stderr = run(capsys, "--leaders", str(leaders), "--pairs", str(pairs), "--out", str(out))
    assert code == 0, stderr
    return summary_of(stdout), read_rows(out)


def assert_valid_result(
    capacities: dict[str, int],
    pairs: list[tuple[str, str, str]],
    result: list[tuple[str, str, str]],
    summary: dict,
) -> None:
    """R.csv keeps the rules: listed pairs with their score text, in P.csv order, within capacities."""
    position = {(leader, supported): n for n, (leader, supported, _) in enumerate(pairs)}
    score_text = {(leader, supported): score for leader, supported, score in pairs}
    per_leader: Counter[str] = Counter()
    for leader, supported, score in result:
        assert score_text[leader, supported] == score
        per_leader[leader] += 1
    assert all(count <= capacities[leader] for leader, count in per_leader.items())
    matched_schools = [supported for _, supported, _ in result]
    assert len(set(matched_schools)) == len(matched_schools)
    order = [position[leader, supported] for leader, supported, _ in result]
    assert order == sorted(order)
    assert summary["matched"] == len(result)
    assert summary["unmatched"] == len({supported for _, supported, _ in pairs}) - len(result)
    assert summary["total_score"] == sum((Decimal(score) for _, _, score in result), Decimal(0))
    assert isinstance(summary["seconds"], Decimal) and summary["seconds"] >= 0


# --- hand-made cases --------------------------------------------------------------------------------


def test_count_comes_before_score_and_scores_are_written_as_given(capsys, tmp_path):
    # BOM, spaces around names, extra columns and another column order are all accepted.
    leaders = write_text(
        tmp_path / "L.csv", "\ufeffnote, capacity ,leader_id\nfirst,1,L1\n,1,L2\nclosed,0,L0\n"
    )
    pairs = write_text(
        tmp_path / "P.csv",
        "score,supported_id,comment,leader_id\n10,A,,L1\n1.50,A,,L2\n1.25,B,,L1\n100,C,only L0,L0\n",
    )
    out = tmp_path / "R.csv"
    code, stdout, stderr = run(capsys, "--leaders", str(leaders), "--pairs", str(pairs), "--out", str(out))
    assert code == 0, stderr
    # Both A and B matched (2.75) beats A alone with 10; C's only leader has capacity 0.
    assert read_rows(out) == [("L2", "A", "1.50"), ("L1", "B", "1.25")]
    last = stdout.strip().splitlines()[-1]
    assert '"total_score": 2.75' in last
    summary = summary_of(stdout)
    assert (summary["matched"], summary["unmatched"], summary["total_score"]) == (2, 1, Decimal("2.75"))
    assert set(summary) == {"matched", "unmatched", "total_score", "seconds"}
    assert "wrote" in stderr


def test_among_the_largest_matchings_the_best_total_wins(capsys, tmp_path):
    leaders = write_text(tmp_path / "L.csv", LEADERS_HEADER + "L1,1\nL2,1\n")
    pairs = write_text(tmp_path / "P.csv", PAIRS_HEADER + "L1,A,10\nL2,A,1.50\nL1,B,1.25\nL2,D,0.250\n")
    summary, result = match(capsys, tmp_path, leaders, pairs)
    assert result == [("L1", "A", "10"), ("L2", "D", "0.250")]
    assert (summary["matched"], summary["unmatched"], summary["total_score"]) == (2, 1, Decimal("10.25"))


def test_the_total_is_printed_as_exact_decimal_text(capsys, tmp_path):
    leaders = write_text(tmp_path / "L.csv", LEADERS_HEADER + "L1,3\n")
    pairs = write_text(tmp_path / "P.csv", PAIRS_HEADER + "L1,A,0.1\nL1,B,0.2\nL1,C,0.000001\n")
    out = tmp_path / "R.csv"
    code, stdout, _ = run(capsys, "--leaders", str(leaders), "--pairs", str(pairs), "--out", str(out))
    assert code == 0
    assert '"total_score": 0.300001,' in stdout.strip().splitlines()[-1]


def test_empty_pair_file_matches_nothing(capsys, tmp_path):
    leaders = write_text(tmp_path / "L.csv", LEADERS_HEADER + "L1,3\n")
    pairs = write_text(tmp_path / "P.csv", PAIRS_HEADER)
    summary, result = match(capsys, tmp_path, leaders, pairs)
    assert result == []
    assert (summary["matched"], summary["unmatched"], summary["total_score"]) == (0, 0, 0)


def test_line_numbers_count_blank_lines_and_multi_line_fields(tmp_path):
    path = write_text(
        tmp_path / "P.csv",
        'leader_id,supported_id,score,note\r\nL1,A,1,"two\r\nlines"\r\n\r\n,,,\r\nL2,B,2,\r\nL3,C\r\n',
    )
    table = read_table(path, ["leader_id", "score"])
    assert table.header == ("leader_id", "supported_id", "score", "note")
    assert [(line, fields[:3]) for line, fields in table.rows] == [
        (2, ["L1", "A", "1"]),
        (6, ["L2", "B", "2"]),
        (7, ["L3", "C", ""]),  # short rows are padded
    ]


def test_gzip_files_are_read_and_written(capsys, tmp_path):
    leaders = [("L1", 1), ("L2", 2)]
    pairs = [("L1", "A", "3.5"), ("L2", "A", "1"), ("L2", "B", "2.25"), ("L1", "B", "0")]
    plain = match(
        capsys,
        tmp_path,
        write_rows(tmp_path / "L.csv", ["leader_id", "capacity"], leaders),
        write_rows(tmp_path / "P.csv", ["leader_id", "supported_id", "score"], pairs),
    )
    out = tmp_path / "R.csv.gz"
    code, stdout, stderr = run(
        capsys,
        "--leaders",
        str(write_rows(tmp_path / "L.csv.gz", ["leader_id", "capacity"], leaders)),
        "--pairs",
        str(write_rows(tmp_path / "P.csv.gz", ["leader_id", "supported_id", "score"], pairs)),
        "--out",
        str(out),
    )
    assert code == 0, stderr
    assert read_rows(out) == plain[1] == [("L1", "A", "3.5"), ("L2", "B", "2.25")]
    assert summary_of(stdout)["total_score"] == plain[0]["total_score"] == Decimal("5.75")


# --- exactness against independent solvers ----------------------------------------------------------


def random_instance(
    seed: int, n_leaders: int, n_supported: int, degree: int
) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    """Scores with 0 to 3 decimals (trailing zeros kept), ~15% closed leaders, a few stranded schools."""
    rng = np.random.default_rng(seed)
    capacities = rng.integers(1, 4, n_leaders)
    capacities[rng.random(n_leaders) < 0.15] = 0
    capacities[0] = 0
    closed = np.flatnonzero(capacities == 0)
    stranded = set(rng.choice(n_supported, size=max(1, n_supported // 40), replace=False).tolist())
    pairs = []
    for school in range(n_supported):
        pool = closed if school in stranded else np.arange(n_leaders)
        size = min(len(pool), int(rng.integers(1, degree + 1)))
        for leader in rng.choice(pool, size=size, replace=False).tolist():
            places = int(rng.integers(0, 4))
            units = int(rng.integers(0, 10 ** (places + 2)))
            pairs.append((f"L{leader}", f"S{school}", str(Decimal(units).scaleb(-places))))
    order = rng.permutation(len(pairs))
    return {f"L{n}": int(c) for n, c in enumerate(capacities)}, [pairs[i] for i in order]


def read_problem_independently(leaders: Path, pairs: Path) -> AssignmentProblem:
    with open(leaders, encoding="utf-8", newline="") as handle:
        capacities = {row["leader_id"]: int(row["capacity"]) for row in csv.DictReader(handle)}
    with open(pairs, encoding="utf-8", newline="") as handle:
        rows = [(row["leader_id"], row["supported_id"], row["score"]) for row in csv.DictReader(handle)]
    return AssignmentProblem.from_pairs(capacities, rows)


@pytest.mark.parametrize(
    ("seed", "n_leaders", "n_supported", "degree"),
    [(1, 4, 12, 3), (2, 12, 60, 4), (3, 40, 300, 4), (4, 150, 1000, 5), (5, 400, 1600, 5)],
)
def test_matches_the_linear_programme_on_random_files(capsys, tmp_path, seed, n_leaders, n_supported, degree):
    capacities, pairs = random_instance(seed, n_leaders, n_supported, degree)
    leaders_path = write_rows(tmp_path / "L.csv", ["leader_id", "capacity"], list(capacities.items()))
    pairs_path = write_rows(tmp_path / "P.csv", ["leader_id", "supported_id", "score"], pairs)
    summary, result = match(capsys, tmp_path, leaders_path, pairs_path)
    assert_valid_result(capacities, pairs, result, summary)
    reference = solve_assignment_lp(read_problem_independently(leaders_path, pairs_path))
    assert summary["matched"] == reference.matched
    assert abs(summary["total_score"] - reference.total_score) <= Decimal("1e-9") * max(
        reference.total_score, Decimal(1)
    )
    assert summary["unmatched"] == len(reference.unmatched) > 0


@st.composite
def small_pair_files(draw) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    n_leaders = draw(st.integers(1, 4))
    n_supported = draw(st.integers(1, 8))
    capacities = {f"L{n}": draw(st.integers(0, 3)) for n in range(n_leaders)}
    score = st.builds(
        lambda units, places: str(Decimal(units).scaleb(-places)), st.integers(0, 999), st.integers(0, 2)
    )
    pairs = [
        (leader, f"S{school}", draw(score))
        for school in range(n_supported)
        for leader in capacities
        if draw(st.booleans())
    ]
    return capacities, draw(st.permutations(pairs))


def best_by_exhaustive_search(
    capacities: dict[str, int], pairs: list[tuple[str, str, str]]
) -> tuple[int, Decimal]:
    """(matched, total) of the best assignment, trying every leader (or none) for every school.

    Remaining capacities are memoised, which prunes repeats without leaving any assignment out.
    """
    leaders = list(capacities)
    schools = list(dict.fromkeys(supported for _, supported, _ in pairs))
    options = {
        school: [(leaders.index(leader), Decimal(score)) for leader, s, score in pairs if s == school]
        for school in schools
    }

    @cache
    def best(i: int, room: tuple[int, ...]) -> tuple[int, Decimal]:
        if i == len(schools):
            return 0, Decimal(0)
        found = best(i + 1, room)
        for leader, score in options[schools[i]]:
            if room[leader]:
                count, total = best(i + 1, (*room[:leader], room[leader] - 1, *room[leader + 1 :]))
                found = max(found, (count + 1, total + score))
        return found

    return best(0, tuple(capacities.values()))


@settings(max_examples=100, deadline=None)
@given(small_pair_files())
def test_matches_exhaustive_search_on_small_files(instance):
    capacities, pairs = instance
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        leaders_path = write_rows(root / "L.csv", ["leader_id", "capacity"], list(capacities.items()))
        pairs_path = write_rows(root / "P.csv", ["leader_id", "supported_id", "score"], pairs)
        summary = run_pairs_mode(leaders_path, pairs_path, root / "R.csv")
        result = read_rows(root / "R.csv")
    assert_valid_result(capacities, pairs, result, {**summary, "seconds": Decimal(str(summary["seconds"]))})
    assert (summary["matched"], summary["total_score"]) == best_by_exhaustive_search(capacities, pairs)


# --- bad files ---------------------------------------------------------------------------------------

GOOD_LEADERS = LEADERS_HEADER + "L1,1\nL2,2\n"
GOOD_PAIRS = PAIRS_HEADER + "L1,A,1\nL2,B,2\n"

# (leaders text or None for a missing file, pairs text, file at fault, row, column, words in the message)
BAD_FILES = {
    "leaders missing": (None, GOOD_PAIRS, "L.csv", None, None, "No such file"),
    "pairs missing": (GOOD_LEADERS, None, "P.csv", None, None, "No such file"),
    "leaders empty": ("", GOOD_PAIRS, "L.csv", 1, None, "empty"),
    "leader column missing": ("leader,capacity\nL1,1\n", GOOD_PAIRS, "L.csv", 1, None, "leader_id"),
    "two columns missing": ("id,cap\nL1,1\n", GOOD_PAIRS, "L.csv", 1, None, "leader_id, capacity"),
    "score column missing": (GOOD_LEADERS, "leader_id,supported_id\nL1,A\n", "P.csv", 1, None, "score"),
    "semicolons": (GOOD_LEADERS, "leader_id;supported_id;score\nL1;A;1\n", "P.csv", 1, None, "commas"),
    "column twice": (
        GOOD_LEADERS,
        "leader_id,supported_id,score,score\n",
        "P.csv",
        1,
        "score",
        "more than once",
    ),
    "empty leader id": (LEADERS_HEADER + "L1,1\n ,2\n", GOOD_PAIRS, "L.csv", 3, "leader_id", "empty"),
    "duplicate leader": (GOOD_LEADERS + "L1,3\n", GOOD_PAIRS, "L.csv", 4, "leader_id", "first on row 2"),
    "capacity 2.5": (LEADERS_HEADER + "L1,2.5\n", GOOD_PAIRS, "L.csv", 2, "capacity", "whole number"),
    "capacity -1": (LEADERS_HEADER + "L1,-1\n", GOOD_PAIRS, "L.csv", 2, "capacity", "negative"),
    "capacity x": (LEADERS_HEADER + "L1,x\n", GOOD_PAIRS, "L.csv", 2, "capacity", "whole number"),
    "capacity empty": (LEADERS_HEADER + "L1,\n", GOOD_PAIRS, "L.csv", 2, "capacity", "whole number"),
    "capacity huge": (LEADERS_HEADER + "L1,1e99\n", GOOD_PAIRS, "L.csv", 2, "capacity", "larger than"),
    "empty pair leader": (GOOD_LEADERS, GOOD_PAIRS + ",C,1\n", "P.csv", 4, "leader_id", "empty"),
    "empty supported id": (GOOD_LEADERS, GOOD_PAIRS + "L1,,1\n", "P.csv", 4, "supported_id", "empty"),
    "unknown leader": (
        GOOD_LEADERS,
        GOOD_PAIRS + "L9,C,1\n",
        "P.csv",
        4,
        "leader_id",
        '"L9" is not in L.csv',
    ),
    "duplicate pair": (GOOD_LEADERS, GOOD_PAIRS + "L1,A,3\n", "P.csv", 4, "supported_id", "first on row 2"),
    "score abc": (GOOD_LEADERS, PAIRS_HEADER + "L1,A,abc\n", "P.csv", 2, "score", '"abc" is not a number'),
    "score comma": (GOOD_LEADERS, PAIRS_HEADER + 'L1,A,"1,5"\n', "P.csv", 2, "score", "with a point"),
    "score empty": (GOOD_LEADERS, PAIRS_HEADER + "L1,A,\n", "P.csv", 2, "score", "not a number"),
    "score nan": (GOOD_LEADERS, PAIRS_HEADER + "L1,A,nan\n", "P.csv", 2, "score", "not a finite number"),
    "score inf": (GOOD_LEADERS, PAIRS_HEADER + "L1,A,inf\n", "P.csv", 2, "score", "not a finite number"),
    "score -Infinity": (GOOD_LEADERS, PAIRS_HEADER + "L1,A,-Infinity\n", "P.csv", 2, "score", "finite"),
    "score negative": (GOOD_LEADERS, PAIRS_HEADER + "L1,A,-0.5\n", "P.csv", 2, "score", "negative"),
    "score underscores": (GOOD_LEADERS, PAIRS_HEADER + "L1,A,1_000\n", "P.csv", 2, "score", "not a number"),
    "score too long": (
        GOOD_LEADERS,
        PAIRS_HEADER + "L1,A,12345678901234567\n",
        "P.csv",
        2,
        "score",
        "digits",
    ),
    "score tiny": (GOOD_LEADERS, PAIRS_HEADER + "L1,A,1e-999999999\n", "P.csv", 2, "score", "decimal places"),
    "scores too fine together": (
        GOOD_LEADERS,
        PAIRS_HEADER + "L1,A,0.000000000000001\nL2,B,10\n",
        "P.csv",
        2,
        "score",
        "row 2 has the most decimal places, 15; row 3 the largest score, 10",
    ),
    "row after blank lines": (GOOD_LEADERS, PAIRS_HEADER + "L1,A,1\n\n\nL2,B,x\n", "P.csv", 5, "score", "x"),
}


@pytest.mark.parametrize("case", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_files_are_named_with_row_and_column_and_nothing_is_written(capsys, tmp_path, case):
    leaders_text, pairs_text, culprit, row, column, words = case
    if leaders_text is not None:
        write_text(tmp_path / "L.csv", leaders_text)
    if pairs_text is not None:
        write_text(tmp_path / "P.csv", pairs_text)
    inputs = sorted(p.name for p in tmp_path.iterdir())
    code, stdout, stderr = run(
        capsys,
        "--leaders",
        str(tmp_path / "L.csv"),
        "--pairs",
        str(tmp_path / "P.csv"),
        "--out",
        str(tmp_path / "R.csv"),
    )
    assert code == 2
    assert stdout == ""
    message = stderr.strip()
    assert message.startswith("interschool match-file: error: ") and "\n" not in message
    assert str(tmp_path / culprit) in message
    if row is not None:
        assert f"row {row}" in message
    if column is not None:
        assert f"column {column}" in message
    assert words in message
    assert "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == inputs  # no R.csv, no partial file


def test_module_examples_run():
    failed, _ = doctest.testmod(matchfile)
    assert failed == 0


def test_the_error_reads_file_row_column_message():
    error = MatchFileError("P.csv", 7, "score", '"abc" is not a number')
    assert str(error) == 'P.csv, row 7, column score: "abc" is not a number'
    assert (error.path, error.line, error.column) == ("P.csv", 7, "score")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (PAIRS_HEADER.encode() + b"L1,A,1\nL2,\xff,2\n", "row 3: the file is not UTF-8"),
        (b"\x1f\x8b\x08\x00garbage", "gzip file is damaged"),
    ],
)
def test_unreadable_bytes_are_reported(capsys, tmp_path, data, words):
    write_text(tmp_path / "L.csv", GOOD_LEADERS)
    (tmp_path / "P.csv").write_bytes(data)
    code, _, stderr = run(
        capsys, "--leaders", str(tmp_path / "L.csv"), "--pairs", str(tmp_path / "P.csv"), "--out", "R.csv"
    )
    assert code == 2
    assert f"{tmp_path / 'P.csv'}" in stderr and words in stderr


def test_an_earlier_result_survives_a_failed_run(capsys, tmp_path):
    leaders = write_text(tmp_path / "L.csv", GOOD_LEADERS)
    pairs = write_text(tmp_path / "P.csv", GOOD_PAIRS)
    _, result = match(capsys, tmp_path, leaders, pairs)
    write_text(pairs, GOOD_PAIRS + "L1,C,oops\n")
    code, _, _ = run(
        capsys, "--leaders", str(leaders), "--pairs", str(pairs), "--out", str(tmp_path / "R.csv")
    )
    assert code == 2
    assert read_rows(tmp_path / "R.csv") == result


def test_an_unwritable_output_is_reported(capsys, tmp_path):
    leaders = write_text(tmp_path / "L.csv", GOOD_LEADERS)
    pairs = write_text(tmp_path / "P.csv", GOOD_PAIRS)
    out = tmp_path / "no such folder" / "R.csv"
    code, _, stderr = run(capsys, "--leaders", str(leaders), "--pairs", str(pairs), "--out", str(out))
    assert code == 2
    assert f"{out}: cannot write the file" in stderr


# --- arguments ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--leaders", "L.csv", "--pairs", "P.csv", "--schools", "S.csv", "--out", "R.csv"], "--schools"),
        (["--leaders", "L.csv", "--out", "R.csv"], "--pairs: required"),
        (["--pairs", "P.csv", "--out", "R.csv"], "--leaders: required"),
        (["--out", "R.csv"], "--leaders: required"),
        (["--leaders", "L.csv", "--pairs", "P.csv"], "--out"),
        (["--leaders", "L.csv", "--pairs", "P.csv", "--mode", "vertical", "--out", "R.csv"], "--mode"),
        (
            ["--leaders", "L.csv", "--pairs", "P.csv", "--organisations", "O.csv", "--out", "R.csv"],
            "--organisations",
        ),
        (["--schools", "S.csv", "--mode", "diagonal", "--out", "R.csv"], "--mode"),
        (
            ["--schools", "S.csv", "--mode", "vertical", "--out", "R.csv"],
            "S.csv: cannot read the file",
        ),
        (["--leaders", "L.csv", "--pairs", "P.csv", "--out", "P.csv"], "--out: P.csv is also an input file"),
    ],
)
def test_wrong_arguments_exit_2_naming_the_parameter(capsys, tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    write_text(tmp_path / "L.csv", GOOD_LEADERS)
    write_text(tmp_path / "P.csv", GOOD_PAIRS)
    code, stdout, stderr = run(capsys, *args)
    assert code == 2
    assert words in stderr and stdout == ""
    assert (tmp_path / "P.csv").read_text(encoding="utf-8") == GOOD_PAIRS
    assert not (tmp_path / "R.csv").exists()


def test_help_lists_the_options(capsys):
    code, stdout, _ = run(capsys, "--help")
    assert code == 0
    for option in ("--leaders", "--pairs", "--schools", "--mode", "--organisations", "--out"):
        assert option in stdout


def test_the_installed_command_runs_in_its_own_process(tmp_path):
    command = Path(sys.executable).with_name("interschool")
    assert command.exists(), "install the project (pip install -e .) to get the interschool command"
    write_text(tmp_path / "L.csv", GOOD_LEADERS)
    write_text(tmp_path / "P.csv", GOOD_PAIRS + "L2,A,5.5\n")
    done = subprocess.run(
        [str(command), "match-file", "--leaders", "L.csv", "--pairs", "P.csv", "--out", "R.csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    summary = summary_of(done.stdout)
    assert (summary["matched"], summary["unmatched"], summary["total_score"]) == (2, 0, Decimal("7.5"))
    assert read_rows(tmp_path / "R.csv") == [("L2", "B", "2"), ("L2", "A", "5.5")]
