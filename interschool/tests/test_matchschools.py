"""match-file on school files: vertical, organisations and clusters from the canonical school CSV."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from interschool.algorithms.matching.peers import form_peer_clusters, peer_problems
from interschool.algorithms.matching.scoring import (
    ORGANISATION_COMPONENTS,
    VERTICAL_COMPONENTS,
    MatchingRules,
    ScoreWeights,
)
from interschool.algorithms.matching.vertical import match_organisations, match_problems, match_vertical
from interschool.cli import main
from interschool.matchschools import read_organisations, read_schools
from interschool.synthetic.region import write_region_csv

from .test_matchfile import run, summary_of

ORG_HEADER = "org_id,kind,capacity,offers,latitude,longitude\n"


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("region") / "schools.csv"
    write_region_csv(path, schools=400, years=5, seed=11)
    return path


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_vertical_writes_the_optimum_with_explanations(capsys, region, tmp_path):
    out = tmp_path / "R.csv"
    code, stdout, stderr = run(capsys, "--schools", str(region), "--mode", "vertical", "--out", str(out))
    assert code == 0, stderr
    summary = summary_of(stdout)
    rows = rows_of(out)
    schools = read_schools(str(region), roles=True)
    result = match_vertical(schools)
    assert match_problems(schools, result) == []
    assert summary["matched"] == result.matched == len(rows) > 0
    assert summary["unmatched"] == len(result.unmatched)
    assert summary["total_score"] == result.total_score == sum(Decimal(r["score"]) for r in rows)
    assert list(rows[0]) == ["leader_id", "supported_id", "score", "distance_km", *VERTICAL_COMPONENTS]
    roles = {s.id: s.role for s in schools}
    for row in rows:
        assert roles[row["leader_id"]] == "leader" and roles[row["supported_id"]] == "supported"
        assert sum(Decimal(row[c]) for c in VERTICAL_COMPONENTS) == Decimal(row["score"])
    assert {"seconds", "status", "candidate_pairs", "truncated", "excluded"} <= set(summary)


def test_options_change_the_rules(capsys, region, tmp_path):
    out = tmp_path / "R.csv"
    code, stdout, _ = run(
        capsys, "--schools", str(region), "--mode", "vertical", "--capacity", "0", "--out", str(out)
    )
    assert code == 0 and summary_of(stdout)["matched"] == 0
    code, stdout, _ = run(
        capsys,
        "--schools",
        str(region),
        "--mode",
        "vertical",
        "--max-distance-km",
        "0.001",
        "--competition-radius-km",
        "0",
        "--out",
        str(out),
    )
    schools = {s.id: s for s in read_schools(str(region), roles=True)}
    assert code == 0
    for row in rows_of(out):  # nothing is that close: every pair is an online one
        assert schools[row["leader_id"]].accepts_online and schools[row["supported_id"]].accepts_online
    baseline = tmp_path / "base.csv"
    run(capsys, "--schools", str(region), "--mode", "vertical", "--out", str(baseline))
    first = rows_of(baseline)[0]
    forbidden = tmp_path / "F.csv"
    forbidden.write_text(
        f"school_a,school_b\n{first['supported_id']},{first['leader_id']}\n", encoding="utf-8"
    )
    code, _, stderr = run(
        capsys,
        "--schools",
        str(region),
        "--mode",
        "vertical",
        "--forbidden",
        str(forbidden),
        "--out",
        str(out),
    )
    assert code == 0, stderr
    assert (first["leader_id"], first["supported_id"]) not in {
        (r["leader_id"], r["supported_id"]) for r in rows_of(out)
    }
    code, stdout, _ = run(
        capsys, "--schools", str(region), "--mode", "vertical", "--weight-distance", "0", "--out", str(out)
    )
    assert code == 0 and all(Decimal(r["distance"]) == 0 for r in rows_of(out))


def test_ties_add_their_bonus(capsys, region, tmp_path):
    base, out = tmp_path / "base.csv", tmp_path / "R.csv"
    run(capsys, "--schools", str(region), "--mode", "vertical", "--out", str(base))
    first = rows_of(base)[0]
    ties = tmp_path / "T.csv"
    ties.write_text(
        f"school_a,school_b,value\n{first['leader_id']},{first['supported_id']},1\n", encoding="utf-8"
    )
    code, _, stderr = run(
        capsys, "--schools", str(region), "--mode", "vertical", "--ties", str(ties), "--out", str(out)
    )
    assert code == 0, stderr
    tied = {(r["leader_id"], r["supported_id"]): r for r in rows_of(out)}[
        first["leader_id"], first["supported_id"]
    ]
    assert Decimal(tied["earlier_ties"]) == ScoreWeights().earlier_ties


def test_organisations_mode(capsys, region, tmp_path):
    orgs = tmp_path / "O.csv"
    orgs.write_text(
        ORG_HEADER
        + "U1,university,5,teaching;assessment,52.5,-1.5\n"
        + "M1,museum,3,curriculum;environment,53.0,-1.0\n"
        + "B1,business,4,careers;resources,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "R.csv"
    code, stdout, stderr = run(
        capsys,
        "--schools",
        str(region),
        "--mode",
        "organisations",
        "--organisations",
        str(orgs),
        "--out",
        str(out),
    )
    assert code == 0, stderr
    rows = rows_of(out)
    assert list(rows[0]) == ["org_id", "school_id", "score", "distance_km", *ORGANISATION_COMPONENTS]
    schools = read_schools(str(region), roles=False)
    organisations = read_organisations(str(orgs))
    result = match_organisations(organisations, schools)
    assert match_problems(schools, result, organisations=organisations) == []
    summary = summary_of(stdout)
    assert summary["matched"] == len(rows) == result.matched <= 12
    per_org = {o.id: sum(1 for r in rows if r["org_id"] == o.id) for o in organisations}
    assert all(per_org[o.id] <= o.capacity for o in organisations)
    offers = {o.id: o.offers for o in organisations}
    needs = {s.id: s.needs for s in schools}
    assert all(offers[r["org_id"]] & needs[r["school_id"]] for r in rows)
    assert all(r["distance_km"] == "" for r in rows if r["org_id"] == "B1")  # no site: online only


def test_clusters_mode(capsys, region, tmp_path):
    out = tmp_path / "R.csv"
    code, stdout, stderr = run(
        capsys, "--schools", str(region), "--mode", "clusters", "--time-limit", "10", "--out", str(out)
    )
    assert code == 0, stderr
    summary = summary_of(stdout)
    rows = rows_of(out)
    assert list(rows[0]) == ["group_id", "school_id", "group_score"]
    groups: dict[str, list[str]] = {}
    for row in rows:
        groups.setdefault(row["group_id"], []).append(row["school_id"])
    assert summary["groups"] == len(groups) > 0
    assert summary["schools_grouped"] == len(rows)
    assert summary["ungrouped"] == 400 - len(rows)
    assert all(3 <= len(members) <= 5 for members in groups.values())
    assert summary["bound"] >= summary["objective"] > 0
    assert 0 <= summary["gap"] < 1
    assert summary["objective"] == sum(
        Decimal(g) for g in {r["group_id"]: r["group_score"] for r in rows}.values()
    )
    schools = read_schools(str(region), roles=False)
    rules = MatchingRules(time_limit_s=10)
    result = form_peer_clusters(schools, rules)
    assert peer_problems(schools, result, rules) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("school_id,latitude\nS1,52\n", "row 1: missing columns longitude"),
        (
            "school_id,latitude,longitude,role,capacity\nS1,52,x,leader,1\n",
            'row 2, column longitude: "x" is not a number',
        ),
        (
            "school_id,latitude,longitude,role,capacity\nS1,95,0,leader,1\n",
            "row 2, column latitude: 95 is outside",
        ),
        (
            "school_id,latitude,longitude,role,capacity\nS1,52,,leader,1\n",
            "row 2, column longitude: give both",
        ),
        (
            "school_id,latitude,longitude,role,capacity\nS1,52,0,boss,1\n",
            'row 2, column role: unknown role "boss"',
        ),
        ("school_id,latitude,longitude,role,capacity\nS1,52,0,leader,-1\n", "row 2, column capacity"),
        (
            "school_id,latitude,longitude,role,capacity\nS1,52,0,leader,1\nS1,52,0,none,0\n",
            "row 3, column school_id",
        ),
        (
            "school_id,latitude,longitude,role,capacity,needs\nS1,52,0,none,0,cooking\n",
            "row 2, column needs: unknown",
        ),
        ("school_id,latitude,longitude,role,capacity,phase\nS1,52,0,none,0,kindergarten\n", "column phase"),
        (
            "school_id,latitude,longitude,role,capacity,accepts_online\nS1,52,0,none,0,yes\n",
            "column accepts_online",
        ),
        (
            "school_id,latitude,longitude,role,capacity,outcome_2024\nS1,52,0,none,0,N/A\n",
            "column outcome_2024",
        ),
    ],
)
def test_bad_school_files_name_row_and_column(capsys, tmp_path, content, message):
    schools = tmp_path / "S.csv"
    schools.write_text(content, encoding="utf-8")
    out = tmp_path / "R.csv"
    code, _, stderr = run(capsys, "--schools", str(schools), "--mode", "vertical", "--out", str(out))
    assert code == 2
    assert "S.csv" in stderr and message in stderr
    assert "Traceback" not in stderr and not out.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "org_id,kind,capacity,offers,latitude,longitude\nO1,circus,1,teaching,52,0\n",
            'column kind: unknown kind "circus"',
        ),
        ("org_id,kind,capacity,offers,latitude,longitude\nO1,museum,1,,52,0\n", "column offers"),
        ("org_id,kind,capacity,offers,latitude,longitude\nO1,museum,1.5,teaching,52,0\n", "column capacity"),
        ("org_id,kind,capacity\nO1,museum,1\n", "missing columns offers, latitude, longitude"),
    ],
)
def test_bad_organisation_files(capsys, region, tmp_path, content, message):
    orgs = tmp_path / "O.csv"
    orgs.write_text(content, encoding="utf-8")
    code, _, stderr = run(
        capsys,
        "--schools",
        str(region),
        "--mode",
        "organisations",
        "--organisations",
        str(orgs),
        "--out",
        str(tmp_path / "R.csv"),
    )
    assert code == 2 and "O.csv" in stderr and message in stderr


def test_bad_pair_lists(capsys, region, tmp_path):
    ties = tmp_path / "T.csv"
    ties.write_text("school_a,school_b,value\nS000001,S000002,3\n", encoding="utf-8")
    code, _, stderr = run(
        capsys,
        "--schools",
        str(region),
        "--mode",
        "vertical",
        "--ties",
        str(ties),
        "--out",
        str(tmp_path / "R.csv"),
    )
    assert code == 2 and "T.csv, row 2, column value" in stderr
    forbidden = tmp_path / "F.csv"
    forbidden.write_text("school_a,school_b\nS000001,NOPE\n", encoding="utf-8")
    code, _, stderr = run(
        capsys,
        "--schools",
        str(region),
        "--mode",
        "vertical",
        "--forbidden",
        str(forbidden),
        "--out",
        str(tmp_path / "R.csv"),
    )
    assert code == 2 and "F.csv, row 2, column school_b" in stderr and "NOPE" in stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "vertical", "--candidates", "0"], "--candidates:"),
        (["--mode", "vertical", "--max-distance-km", "-5"], "--max-distance-km:"),
        (["--mode", "clusters", "--min-group-size", "6"], "--min-group-size:"),
        (["--mode", "vertical", "--weight-distance", "-1"], "--weight-distance:"),
        (["--mode", "clusters", "--cross-community-share", "0.5"], "--cross-community-share:"),
        (["--mode", "vertical", "--cross-community-share", "2"], "--cross-community-share:"),
        (["--mode", "vertical", "--organisations", "O.csv"], "--organisations:"),
        (["--mode", "organisations"], "--organisations:"),
        ([], "--mode:"),
    ],
)
def test_bad_options_name_the_parameter(capsys, region, tmp_path, args, message):
    code, _, stderr = run(capsys, "--schools", str(region), *args, "--out", str(tmp_path / "R.csv"))
    assert code == 2
    assert message in stderr


def test_help_lists_the_documented_options(capsys):
    with pytest.raises(SystemExit):
        main(["match-file", "--help"])
    text = capsys.readouterr().out
    docs = (Path(__file__).resolve().parents[2] / "docs" / "matching.md").read_text(encoding="utf-8")
    for option in (
        "--max-distance-km",
        "--competition-radius-km",
        "--candidates",
        "--min-group-size",
        "--max-group-size",
        "--time-limit",
        "--cross-community-share",
        "--weight-outcome-gap",
        "--weight-complementarity",
        "--distance-scale-km",
        "--forbidden",
        "--ties",
        "--capacity",
    ):
        assert option in text
        assert f"`{option}" in docs, f"{option} is not documented in docs/matching.md"
