"""The ``csv``/``xlsx`` import formats: any file with a JSON column mapping. Pure Python, no database."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import gzip
import io
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interschool.registry.importing import mapped
from interschool.registry.importing.mapped import (
    CANONICAL_MAPPING,
    parse,
    suggest_mapping,
    validate_mapping,
)
from interschool.registry.importing.records import (
    ORGANISATION_FIELDS,
    ImportFileError,
    OutcomeCell,
    ParseOptions,
    ParseResult,
    Rejection,
    Skip,
    Source,
)
from interschool.synthetic.region import iter_region_rows, write_region_csv

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STATE_CSV = FIXTURES / "state_schools.csv"
STATE_MAPPING = FIXTURES / "state_schools.mapping.json"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "importing.md"
INDICATOR = "state_test_proficient"


def state_mapping() -> dict[str, Any]:
    return json.loads(STATE_MAPPING.read_text(encoding="utf-8"))


def state_rows() -> list[list[str]]:
    with open(STATE_CSV, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def run(paths: list[Path] | Path, mapping: dict[str, Any], **options: Any) -> ParseResult:
    if isinstance(paths, Path):
        paths = [paths]
    sources = [Source(p.name, str(p)) for p in paths]
    return parse(sources, ParseOptions(mapping=mapping, **options))


def write(path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def by_id(result: ParseResult) -> dict[str, Any]:
    return {r.identifier: r for r in result.records}


def assert_accounted(result: ParseResult) -> None:
    """Every data row is exactly one of imported, skipped or rejected."""
    for summary in result.files:
        assert summary.rows == summary.imported + summary.skipped + summary.rejected
    rows_of = {
        "imported": [(r.file, r.row) for r in result.records],
        "skipped": [(s.file, s.row) for s in result.skips],
        "rejected": [(r.file, r.row) for r in result.rejections if r.row > 1],
    }
    everything = [row for rows in rows_of.values() for row in rows]
    assert len(everything) == len(set(everything))
    assert len(rows_of["imported"]) == sum(f.imported for f in result.files)
    assert len(rows_of["skipped"]) == sum(f.skipped for f in result.files)
    assert len(rows_of["rejected"]) == sum(f.rejected for f in result.files)


# --- the worked example of docs/importing.md ------------------------------------------------------------


def test_the_state_file_imports_as_the_guide_says():
    result = run(STATE_CSV, state_mapping())
    assert_accounted(result)
    [summary] = result.files
    assert (summary.name, summary.kind) == ("state_schools.csv", "mapped")
    assert (summary.rows, summary.imported, summary.skipped, summary.rejected) == (30, 29, 1, 0)
    assert result.rejections == []
    assert result.skips == [Skip("state_schools.csv", 16, "mapping-filter:open-only")]
    schools = by_id(result)
    assert "0300035" not in schools  # Old Mill, closed

    first = schools["0100011"]
    assert (first.scheme, first.row, first.identifiers) == ("national", 2, {})
    assert first.fields == {
        "kind": "school",
        "name": "Alder Valley Elementary School",
        "district": "Alder Valley",
        "address": "12 Mill Road",
        "postcode": "05301",
        "latitude": 44.21034,
        "longitude": -72.5152,
        "phase": "primary",
        "status": "open",
        "opened_on": dt.date(1962, 9, 1),
    }
    assert first.years == {2023: {"enrolment": 312}}
    assert first.outcomes == [OutcomeCell(INDICATOR, 2023, 63.4, 48)]

    assert schools["0100014"].fields["name"] == "Hillcrest School, Alder Valley"
    assert schools["0100014"].fields["opened_on"] is None
    north = schools["0200022"]
    assert (north.fields["name"], north.row) == ("Birchmont North Elementary School", 8)
    assert schools["0100013"].fields["phase"] == "secondary"
    assert schools["0100012"].fields["phase"] == "middle"
    other = schools["0100015"]  # OTHER → missing phase; empty test cells → no outcome
    assert other.fields["phase"] is None
    assert other.outcomes == []
    assert schools["0300034"].years == {2023: {"enrolment": None}}  # -999
    assert schools["0200025"].outcomes == [OutcomeCell(INDICATOR, 2023, None, 7, suppressed=True)]
    # A small cohort keeps its value; the small-numbers rule applies when it is shown.
    assert schools["0400044"].outcomes == [OutcomeCell(INDICATOR, 2023, 50.0, 8)]
    assert sum(len(r.outcomes) for r in result.records) == 28

    definition = result.indicators[INDICATOR]
    assert (definition.name, definition.unit, definition.higher_is_better) == (
        "Proficient in the state test",
        "%",
        True,
    )
    assert result.ses_label == ""


def _docs_block(marker: str) -> str:
    text = DOCS.read_text(encoding="utf-8")
    after = text.split(f"<!-- {marker} -->", 1)[1]
    match = re.match(r"\s*```[a-z]*\n(.*?)\n```", after, re.DOTALL)
    assert match, f"no code block after <!-- {marker} -->"
    return match.group(1)


def test_the_guide_shows_exactly_the_fixture_mapping_and_file():
    assert json.loads(_docs_block("state_schools.mapping.json")) == state_mapping()
    head = _docs_block("state_schools.csv head")
    assert STATE_CSV.read_text(encoding="utf-8").startswith(head + "\n")
    assert validate_mapping(state_mapping(), state_rows()[0]) == []


def test_the_guide_rejection_example_is_what_the_import_reports(tmp_path):
    rows = state_rows()
    rows[8][7] = "K-8"  # data row 9 (the header is row 1; the row with a line break counts once)
    result = run(write(tmp_path / "state_schools.csv", rows), state_mapping())
    [rejection] = result.rejections
    assert (rejection.row, rejection.column, rejection.value) == (9, "LEVEL_", "K-8")
    line = (
        f"rejected: state_schools.csv row {rejection.row}, column {rejection.column!r}, "
        f"value {rejection.value!r}: {rejection.reason}"
    )
    assert line in DOCS.read_text(encoding="utf-8")


def test_the_skip_rule_is_listed_in_the_guide():
    guide = DOCS.read_text(encoding="utf-8")
    for rule in mapped.RULES:
        assert f"`{rule}`" in guide


# --- the canonical school CSV ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def canonical(tmp_path_factory) -> tuple[Path, list[dict[str, str]]]:
    path = tmp_path_factory.mktemp("canonical") / "region.csv"
    write_region_csv(path, schools=300, years=5, seed=7)
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return path, rows


def _bool(text: str) -> bool:
    return {"true": True, "false": False}[text]


def test_the_canonical_mapping_imports_the_generated_region_exactly(canonical):
    path, rows = canonical
    result = run(path, CANONICAL_MAPPING)
    assert result.rejections == []
    assert result.skips == []
    assert_accounted(result)
    assert len(result.records) == len(rows) == 300
    assert result.ses_label and result.ses_higher_is_advantaged is True
    years = [int(c.removeprefix("outcome_")) for c in rows[0] if c.startswith("outcome_")]
    assert years == [2021, 2022, 2023, 2024, 2025]
    suppressed = missing = numbers = 0
    for number, (row, record) in enumerate(zip(rows, result.records, strict=True), start=2):
        assert (record.scheme, record.identifier, record.row) == ("network", row["school_id"], number)
        assert record.fields == {
            "kind": "school",
            "name": row["name"],
            "phase": row["phase"],
            "school_type": row["type"],
            "community": row["community"],
            "district": row["district"],
            "urban_rural": row["urban_rural"],
            "latitude": float(row["latitude"]),
            "longitude": float(row["longitude"]),
            "accepts_online": _bool(row["accepts_online"]),
            "partner_capacity": int(row["capacity"]),
            "strengths": row["strengths"].split(";") if row["strengths"] else [],
            "needs": row["needs"].split(";") if row["needs"] else [],
        }
        assert record.years == {
            2025: {"enrolment": int(row["enrolment"]), "ses_index": float(row["ses_index"])}
        }
        cells = {(c.indicator, c.year): c for c in record.outcomes}
        assert len(cells) == len(record.outcomes)
        for year in years:
            value, cohort = row[f"outcome_{year}"], row[f"cohort_{year}"]
            cell = cells.get((row["indicator"], year))
            if value == "s":
                suppressed += 1
                assert cell == OutcomeCell(row["indicator"], year, None, int(cohort), suppressed=True)
            elif value == "":
                missing += 1
                assert cell is None
            else:
                numbers += 1
                assert cell == OutcomeCell(row["indicator"], year, float(value), int(cohort))
        definition = result.indicators[row["indicator"]]
        assert definition.higher_is_better is _bool(row["higher_is_better"])
    assert suppressed and missing and numbers  # the region has all three kinds of cell
    assert result.indicators["persistent_absence"].higher_is_better is False


def test_canonical_year_option_overrides_latest(canonical):
    path, _rows = canonical
    result = run(path, CANONICAL_MAPPING, year=2030)
    assert set(result.records[0].years) == {2030}


def _canonical_copy(schools: int = 40) -> tuple[list[str], list[list[str]]]:
    rows = list(iter_region_rows(schools=schools, years=3, seed=11))
    header = list(rows[0])
    return header, [[r[c] for c in header] for r in rows]


def test_a_non_number_in_the_middle_row_is_reported_exactly(tmp_path):
    header, rows = _canonical_copy()
    middle = len(rows) // 2
    rows[middle][header.index("enrolment")] = "about 300"
    result = run(write(tmp_path / "bad.csv", [header, *rows]), CANONICAL_MAPPING)
    assert result.rejections == [
        Rejection("bad.csv", middle + 2, "enrolment", "about 300", "'about 300' is not a number")
    ]
    assert result.files[0].imported == len(rows) - 1
    assert_accounted(result)


def test_a_bad_outcome_cell_names_its_year_column(tmp_path):
    header, rows = _canonical_copy()
    column = [c for c in header if c.startswith("outcome_")][1]
    rows[3][header.index(column)] = "7O.1"
    result = run(write(tmp_path / "bad.csv", [header, *rows]), CANONICAL_MAPPING)
    [rejection] = result.rejections
    assert (rejection.row, rejection.column, rejection.value) == (5, column, "7O.1")


@pytest.mark.parametrize("column", ["name", "school_id", "district", "cohort_2024"])
def test_a_missing_mapped_column_rejects_the_header(tmp_path, column):
    header, rows = _canonical_copy()
    keep = [i for i, c in enumerate(header) if c != column]
    damaged = [[row[i] for i in keep] for row in [header, *rows]]
    result = run(write(tmp_path / "cut.csv", damaged), CANONICAL_MAPPING)
    assert result.rejections == [Rejection("cut.csv", 1, column, "", "required column is missing")]
    assert result.records == []
    assert (result.files[0].rows, result.files[0].imported) == (0, 0)


def test_no_column_for_a_year_pattern_rejects_the_header(tmp_path):
    header, rows = _canonical_copy()
    damaged = [[c.replace("outcome_", "result_") for c in header], *rows]
    result = run(write(tmp_path / "cut.csv", damaged), CANONICAL_MAPPING)
    assert result.rejections == [Rejection("cut.csv", 1, "outcome_{year}", "", "required column is missing")]


def test_a_duplicate_identifier_rejects_the_later_row_naming_both(tmp_path):
    header, rows = _canonical_copy()
    rows[30][0] = rows[4][0]
    result = run(write(tmp_path / "dup.csv", [header, *rows]), CANONICAL_MAPPING)
    [rejection] = result.rejections
    assert (rejection.row, rejection.column, rejection.value) == (32, "school_id", rows[4][0])
    assert "row 32" in rejection.reason and "row 6" in rejection.reason
    assert sum(r.identifier == rows[4][0] for r in result.records) == 1
    assert_accounted(result)


def test_a_duplicate_across_files_names_the_other_file(tmp_path):
    header, rows = _canonical_copy()
    first = write(tmp_path / "a.csv", [header, *rows[:10]])
    second = write(tmp_path / "b.csv", [header, rows[3], *rows[10:12]])
    result = run([first, second], CANONICAL_MAPPING)
    [rejection] = result.rejections
    assert (rejection.file, rejection.row) == ("b.csv", 2)
    assert "row 5 of a.csv" in rejection.reason


def test_an_unmapped_code_is_rejected_or_stored_as_missing(tmp_path):
    header, rows = _canonical_copy()
    rows[7][header.index("phase")] = "kindergarten"
    path = write(tmp_path / "phase.csv", [header, *rows])
    result = run(path, CANONICAL_MAPPING)
    [rejection] = result.rejections
    assert (rejection.row, rejection.column, rejection.value) == (9, "phase", "kindergarten")
    assert "not a phase" in rejection.reason

    lenient = copy.deepcopy(CANONICAL_MAPPING)
    lenient["fields"]["phase"] = {"column": "phase", "unmapped": "missing"}
    result = run(path, lenient)
    assert result.rejections == []
    assert by_id(result)[rows[7][0]].fields["phase"] is None


def test_semicolons_decimal_commas_and_cp1251_with_cyrillic_names(tmp_path):
    header, rows = _canonical_copy()
    names = {}
    numeric = {"latitude", "longitude", "ses_index"} | {c for c in header if c.startswith("outcome_")}
    for i, row in enumerate(rows):
        row[1] = names[row[0]] = f"Средняя школа № {i + 1} имени Пушкина, Берёзовка"
        for column in numeric:
            row[header.index(column)] = row[header.index(column)].replace(".", ",")
    path = write(tmp_path / "ru.csv", [header, *rows], encoding="cp1251", delimiter=";")
    mapping = {**copy.deepcopy(CANONICAL_MAPPING), "decimal_comma": True}
    result = run(path, mapping)
    assert result.rejections == []
    plain = run(write(tmp_path / "plain.csv", [header, *[[c.replace(",", ".") for c in r] for r in rows]]),
                CANONICAL_MAPPING)  # fmt: skip
    for record, expected in zip(result.records, plain.records, strict=True):
        assert record.fields["name"] == names[record.identifier]
        assert {k: v for k, v in record.fields.items() if k != "name"} == {
            k: v for k, v in expected.fields.items() if k != "name"
        }
        assert record.outcomes == expected.outcomes
        assert record.years == expected.years


def test_without_decimal_comma_a_comma_number_is_rejected(tmp_path):
    header, rows = _canonical_copy()
    rows[0][header.index("latitude")] = "52,5"
    result = run(write(tmp_path / "c.csv", [header, *rows]), CANONICAL_MAPPING)
    [rejection] = result.rejections
    assert (rejection.row, rejection.column, rejection.value) == (2, "latitude", "52,5")


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter", "compress"),
    [
        ("bom.csv", "utf-8-sig", ",", False),
        ("tabs.tsv", "utf-8", "\t", False),
        ("region.csv.gz", "utf-8", ",", True),
    ],
)
def test_bom_tabs_and_gzip_read_like_the_plain_file(tmp_path, name, encoding, delimiter, compress):
    header, rows = _canonical_copy()
    plain = run(write(tmp_path / "plain.csv", [header, *rows]), CANONICAL_MAPPING)
    path = write(tmp_path / name, [header, *rows], encoding=encoding, delimiter=delimiter)
    if compress:
        path.write_bytes(gzip.compress(path.read_bytes()))
    result = run(path, CANONICAL_MAPPING)
    assert result.rejections == []
    assert [(r.identifier, r.fields, r.years, r.outcomes) for r in result.records] == [
        (r.identifier, r.fields, r.years, r.outcomes) for r in plain.records
    ]


def test_an_xlsx_workbook_reads_like_the_csv(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    rows = state_rows()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(rows[0])
    numbers = {"LAT", "LON", "ENROLL", "PCT_PROFICIENT_2023", "N_TESTED_2023"}
    for row in rows[1:]:
        cells: list[Any] = []
        for column, text in zip(rows[0], row, strict=True):
            if column in numbers and re.fullmatch(r"-?\d+(\.\d+)?", text):
                cells.append(float(text) if "." in text else int(text))
            elif column == "OPEN_DATE" and text:
                cells.append(dt.datetime.strptime(text, "%m/%d/%Y"))  # noqa: DTZ007
            else:
                cells.append(text or None)
        sheet.append(cells)
    path = tmp_path / "state_schools.xlsx"
    workbook.save(path)
    from_xlsx = run(path, state_mapping())
    from_csv = run(STATE_CSV, state_mapping())
    assert from_xlsx.rejections == []
    assert [(f.rows, f.imported, f.skipped) for f in from_xlsx.files] == [(30, 29, 1)]
    assert [(r.identifier, r.row, r.fields, r.years, r.outcomes) for r in from_xlsx.records] == [
        (r.identifier, r.row, r.fields, r.years, r.outcomes) for r in from_csv.records
    ]


# --- rejections of single cells -------------------------------------------------------------------------


def _state_with(tmp_path: Path, row: int, column: str, text: str) -> ParseResult:
    rows = state_rows()
    rows[row - 1][rows[0].index(column)] = text
    return run(write(tmp_path / "s.csv", rows), state_mapping())


@pytest.mark.parametrize(
    ("column", "text", "reason"),
    [
        ("SCHOOL_ID", "", "the identifier is empty"),
        ("SCHOOL_ID", "123456", r"'123456' does not match the identifier pattern \d{7}"),
        ("SCHOOL_NAME", "", "the name is empty"),
        ("LAT", "144.2", "'144.2' is outside −90…90"),
        ("LON", "-272.5", "'-272.5' is outside −180…180"),
        ("OPEN_DATE", "31/12/1999", "'31/12/1999' is not a date written %m/%d/%Y or %Y-%m-%d"),
        ("ENROLL", "12.5", "'12.5' is not a whole number"),
        ("ENROLL", "-4", "'-4' is negative"),
        ("N_TESTED_2023", "many", "'many' is not a number"),
        ("LEVEL_", "KINDER", "'KINDER' is not in the value map or a phase"),
    ],
)
def test_a_bad_cell_rejects_its_row(tmp_path, column, text, reason):
    result = _state_with(tmp_path, 12, column, text)
    [rejection] = result.rejections
    assert (rejection.row, rejection.column, rejection.value) == (12, column, text)
    assert rejection.reason.startswith(reason)
    assert result.files[0].rejected == 1
    assert_accounted(result)


def test_missing_markers_are_missing_not_rejected(tmp_path):
    result = _state_with(tmp_path, 12, "LAT", "n/a")
    assert result.rejections == []
    assert by_id(result)["0300031"].fields["latitude"] is None


def test_a_closed_row_is_skipped_before_its_cells_are_checked(tmp_path):
    result = _state_with(tmp_path, 16, "ENROLL", "not a number")
    assert result.rejections == []
    assert [s.row for s in result.skips] == [16]


def test_the_pad_option_restores_leading_zeros(tmp_path):
    rows = state_rows()
    rows[1][0] = "100011"
    mapping = state_mapping()
    mapping["identifier"]["pad"] = 7
    result = run(write(tmp_path / "s.csv", rows), mapping)
    assert result.rejections == []
    assert result.records[0].identifier == "0100011"


# --- more of the mapping --------------------------------------------------------------------------------


def test_filters_keep_drop_and_match(tmp_path):
    rows = [
        ["ID", "NAME", "STATUS"],
        ["1", "Alpha School", "Open"],
        ["2", "TEST School", "OPEN"],
        ["3", "Gamma School", "closed"],
        ["4", "Delta School", "Pending"],
        ["5", "Epsilon Academy", "open"],
    ]
    path = write(tmp_path / "f.csv", rows)
    base = {"version": 1, "identifier": {"column": "ID", "scheme": "network"}, "fields": {"name": "NAME"}}
    filters = [
        {"name": "not-closed", "column": "STATUS", "drop": ["closed"]},
        {"name": "open", "column": "STATUS", "keep": ["open"], "ignore_case": True},
        {"name": "no-tests", "column": "NAME", "drop_matching": r"^test\b", "ignore_case": True},
        {"name": "schools", "column": "NAME", "keep_matching": "School$"},
    ]
    result = run(path, {**base, "filters": filters})
    assert [r.identifier for r in result.records] == ["1"]
    assert [(s.row, s.rule) for s in result.skips] == [
        (3, "mapping-filter:no-tests"),
        (4, "mapping-filter:not-closed"),
        (5, "mapping-filter:open"),
        (6, "mapping-filter:schools"),
    ]
    assert_accounted(result)


def test_year_from_option_from_a_column_and_extra_identifiers(tmp_path):
    rows = [
        ["ID", "NCES", "NAME", "YEAR", "PUPILS", "FSM", "ONLINE", "DOMAINS", "SCORE"],
        ["A1", "360007700001", "Alpha", "2022-23", "410", "0.31", "yes", "S1, leadership", "512.5"],
        ["A2", "", "Beta", "2023", "1,204", "45%", "N", "", ""],
    ]
    mapping = {
        "version": 1,
        "identifier": {"column": "ID", "scheme": "network"},
        "identifiers": [{"column": "NCES", "scheme": "nces", "pattern": r"\d{12}"}],
        "fields": {
            "name": "NAME",
            "accepts_online": "ONLINE",
            "strengths": {"column": "DOMAINS", "separator": ",", "values": {"S1": "teaching"}},
        },
        "annual": [
            {"year": {"column": "YEAR"}, "enrolment": "PUPILS"},
            {"year": "option", "ses_index": {"column": "FSM", "scale": 100, "label": "FSM (%)"}},
        ],
        "outcomes": [
            {
                "indicator": {"code": "score", "unit": "points"},
                "column": "SCORE",
                "year": {"column": "YEAR"},
            }
        ],
    }
    path = write(tmp_path / "y.csv", rows)
    with pytest.raises(ImportFileError, match="--year"):
        run(path, mapping)
    result = run(path, mapping, year=2024)
    assert result.rejections == []
    alpha, beta = result.records
    assert alpha.identifiers == {"nces": "360007700001"}
    assert beta.identifiers == {}
    assert alpha.years == {2023: {"enrolment": 410}, 2024: {"ses_index": 31.0}}
    assert beta.years == {2023: {"enrolment": 1204}, 2024: {"ses_index": 45.0}}
    assert alpha.fields["accepts_online"] is True and beta.fields["accepts_online"] is False
    assert alpha.fields["strengths"] == ["teaching", "leadership"] and beta.fields["strengths"] == []
    assert alpha.outcomes == [OutcomeCell("score", 2023, 512.5)]
    assert result.indicators["score"].name == "score" and result.ses_label == "FSM (%)"


def test_custom_markers_replace_or_extend_the_defaults(tmp_path):
    rows = [["ID", "NAME", "VALUE"], ["1", "A", "NR"], ["2", "B", "-"], ["3", "C", "s"]]
    path = write(tmp_path / "m.csv", rows)
    mapping = {
        "version": 1,
        "identifier": {"column": "ID", "scheme": "network"},
        "fields": {"name": "NAME"},
        "markers": {"missing": ["NR"]},
        "outcomes": [{"indicator": {"code": "v"}, "column": "VALUE", "year": 2024}],
    }
    result = run(path, mapping)
    assert result.rejections == []
    assert [r.outcomes for r in result.records] == [[], [], [OutcomeCell("v", 2024, None, suppressed=True)]]
    mapping["markers"]["defaults"] = False
    result = run(path, mapping)
    assert [(r.row, r.value) for r in result.rejections] == [(3, "-"), (4, "s")]


def test_a_contradicting_direction_is_rejected(tmp_path):
    header, rows = _canonical_copy()
    hib = header.index("higher_is_better")
    reading = [i for i, r in enumerate(rows) if r[header.index("indicator")] == "reading_attainment"]
    rows[reading[1]][hib] = "false"
    result = run(write(tmp_path / "d.csv", [header, *rows]), CANONICAL_MAPPING)
    [rejection] = result.rejections
    assert (rejection.row, rejection.column, rejection.value) == (reading[1] + 2, "higher_is_better", "false")
    assert "the mapping says higher is better" in rejection.reason


def test_an_unknown_indicator_code_follows_unmapped(tmp_path):
    header, rows = _canonical_copy()
    rows[2][header.index("indicator")] = "maths_score"
    path = write(tmp_path / "i.csv", [header, *rows])
    [rejection] = run(path, CANONICAL_MAPPING).rejections
    assert (rejection.row, rejection.column, rejection.value) == (4, "indicator", "maths_score")
    keep = copy.deepcopy(CANONICAL_MAPPING)
    keep["outcomes"][0]["indicator"] = {"column": "indicator"}
    result = run(path, keep)
    assert result.rejections == []
    definition = result.indicators["maths_score"]
    assert definition.higher_is_better is _bool(rows[2][header.index("higher_is_better")])
    leave_out = copy.deepcopy(CANONICAL_MAPPING)
    leave_out["outcomes"][0]["indicator"] = {"column": "indicator", "unmapped": "missing"}
    result = run(path, leave_out)
    assert result.rejections == [] and "maths_score" not in result.indicators
    assert by_id(result)[rows[2][0]].outcomes == []
    assert by_id(result)[rows[3][0]].outcomes


def test_outcome_values_without_an_indicator_code_are_rejected(tmp_path):
    header, rows = _canonical_copy()
    rows[5][header.index("indicator")] = ""
    [rejection] = run(write(tmp_path / "i.csv", [header, *rows]), CANONICAL_MAPPING).rejections
    assert (rejection.row, rejection.column, rejection.reason) == (
        7,
        "indicator",
        "no indicator code for the outcome values",
    )


def test_progress_is_reported_every_thousand_rows(tmp_path):
    path = tmp_path / "big.csv"
    write_region_csv(path, schools=2500, years=1, seed=3)
    calls: list[int] = []
    parse([Source("big.csv", str(path))], ParseOptions(mapping=CANONICAL_MAPPING), calls.append)
    assert calls == [1000, 2000, 2500]


def test_twenty_thousand_canonical_rows_parse_quickly(tmp_path):
    path = tmp_path / "big.csv"
    write_region_csv(path, schools=20_000, years=5, seed=5)
    started = time.perf_counter()
    result = run(path, CANONICAL_MAPPING)
    elapsed = time.perf_counter() - started
    assert len(result.records) == 20_000 and not result.rejections
    assert elapsed < 10, f"{elapsed:.1f} s for 20,000 rows"


def test_every_organisation_field_has_exactly_one_kind():
    kinds = [
        mapped.TEXT_FIELDS,
        tuple(mapped.CODE_FIELDS),
        mapped.DATE_FIELDS,
        mapped.COORDINATE_FIELDS,
        mapped.BOOL_FIELDS,
        mapped.INT_FIELDS,
        mapped.LIST_FIELDS,
    ]
    names = [name for kind in kinds for name in kind]
    assert sorted(names) == sorted(ORGANISATION_FIELDS)


def test_parse_needs_a_valid_mapping(tmp_path):
    path = write(tmp_path / "x.csv", [["ID", "NAME"], ["1", "A"]])
    with pytest.raises(ImportFileError, match="mapping"):
        parse([Source("x.csv", str(path))], ParseOptions())
    with pytest.raises(ImportFileError, match=r"identifier\.scheme"):
        run(path, {"version": 1, "identifier": {"column": "ID", "scheme": "zip"}, "fields": {"name": "NAME"}})


# --- validate_mapping -----------------------------------------------------------------------------------


def test_the_canonical_mapping_is_valid_for_a_generated_header(canonical):
    _path, rows = canonical
    assert validate_mapping(CANONICAL_MAPPING, list(rows[0])) == []


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            lambda m: m["fields"]["phase"]["values"].update({"KINDER": "infant"}),
            "fields.phase.values: 'KINDER' maps to unknown phase 'infant'",
        ),
        (lambda m: m.update(version=2), "version: must be 1"),
        (lambda m: m.update(colour="blue"), "colour: unknown key"),
        (lambda m: m["identifier"].update(scheme="zip"), "identifier.scheme: must be one of"),
        (
            lambda m: m["identifier"].update(pattern="[0-9"),
            "identifier.pattern: not a valid regular expression",
        ),
        (lambda m: m["fields"].pop("name"), "fields.name: required"),
        (lambda m: m["fields"].update(colour="X"), "fields.colour: unknown field"),
        (lambda m: m["fields"].update(kind={"value": "shop"}), "fields.kind.value: must be one of"),
        (lambda m: m["fields"]["status"].update(unmapped="keep"), "fields.status.unmapped: must be"),
        (lambda m: m["annual"].update(year="soon"), "annual.year: must be a year"),
        (lambda m: m["outcomes"][0].update(cohort="N_TESTED"), "outcomes[0].cohort: must contain {year}"),
        (lambda m: m["outcomes"][0].update(year=2023), "outcomes[0].year: not allowed"),
        (lambda m: m["outcomes"][0]["indicator"].update(phase="infant"), "outcomes[0].indicator.phase"),
        (lambda m: m["filters"][0].update(name="Open Only"), "filters[0].name"),
        (lambda m: m["filters"][0].update(drop=["Closed"]), "filters[0]: needs exactly one of"),
        (
            lambda m: m.update(markers={"missing": ["*"], "suppressed": ["*"]}),
            "markers: '*' cannot mean both",
        ),
        (lambda m: m.update(delimiter="|"), "delimiter: must be"),
    ],
)
def test_validate_mapping_names_the_json_path(change, error):
    mapping = state_mapping()
    change(mapping)
    errors = validate_mapping(mapping)
    assert any(e.startswith(error) for e in errors), errors


def test_validate_mapping_checks_columns_against_a_header():
    header = state_rows()[0]
    mapping = state_mapping()
    mapping["identifier"]["column"] = "SCHOOL_CODE"
    mapping["outcomes"][0]["column"] = "PCT_MATH_{year}"
    assert validate_mapping(mapping, header) == [
        "identifier.column: no column 'SCHOOL_CODE' in the file",
        "outcomes[0].column: no column matches 'PCT_MATH_{year}' in the file",
    ]
    assert validate_mapping(mapping) == []
    lower = state_mapping()
    lower["fields"]["name"] = "school_name"  # differs only in case: accepted
    assert validate_mapping(lower, header) == []


def test_validate_mapping_rejects_what_is_not_an_object():
    assert validate_mapping([])
    assert validate_mapping({"version": 1}) == [
        "identifier: required: the column that identifies each organisation",
        'fields: required: an object of organisation fields, at least {"name": "COLUMN"}',
    ]


# --- suggest_mapping ------------------------------------------------------------------------------------


def test_suggest_mapping_for_the_state_file():
    header = state_rows()[0]
    suggestion = suggest_mapping(header)
    assert suggestion["identifier"] == {"column": "SCHOOL_ID", "scheme": "network"}
    assert suggestion["fields"] == {
        "name": "SCHOOL_NAME",
        "latitude": "LAT",
        "longitude": "LON",
        "phase": "LEVEL_",
        "status": "STATUS",
        "address": "ADDRESS",
        "postcode": "ZIP",
        "district": "DISTRICT_NAME",
        "opened_on": "OPEN_DATE",
    }
    assert suggestion["annual"] == {"year": "option", "enrolment": "ENROLL"}
    assert validate_mapping(suggestion, header) == []


@pytest.mark.parametrize(
    ("header", "column", "scheme"),
    [
        (["URN", "EstablishmentName", "PhaseOfEducation (name)", "NumberOfPupils"], "URN", "urn"),
        (["dbn", "school_name", "Latitude", "Longitude", "total_enrollment"], "dbn", "dbn"),
        (["NCESSCH", "SCH_NAME", "LAT", "LON"], "NCESSCH", "nces"),
        (["id", "name", "lng", "lat"], "id", "network"),
    ],
)
def test_suggest_mapping_recognises_common_identifiers(header, column, scheme):
    suggestion = suggest_mapping(header)
    assert suggestion["identifier"] == {"column": column, "scheme": scheme}
    assert suggestion["fields"]["name"] in header
    assert validate_mapping(suggestion, header) == []


def test_suggest_mapping_recognises_the_canonical_csv(canonical):
    _path, rows = canonical
    assert suggest_mapping(list(rows[0])) == CANONICAL_MAPPING


# --- every row is accounted for -------------------------------------------------------------------------

_PROPERTY_MAPPING = {
    "version": 1,
    "identifier": {"column": "ID", "scheme": "national", "pattern": r"\d{3}"},
    "fields": {
        "name": "NAME",
        "phase": {"column": "LEVEL", "values": {"ELEM": "primary", "HIGH": "secondary", "OTHER": None}},
        "latitude": "LAT",
    },
    "annual": {"year": 2024, "enrolment": "N"},
    "outcomes": [{"indicator": {"code": "pct"}, "column": "PCT_{year}", "cohort": "COHORT_{year}"}],
    "filters": [{"name": "open-only", "column": "STATUS", "keep": ["Open"]}],
}
_HEADER = ["ID", "NAME", "LEVEL", "LAT", "N", "STATUS", "PCT_2023", "PCT_2024", "COHORT_2023", "COHORT_2024"]
_CELL = {
    "ID": st.sampled_from(["101", "102", "103", "104", "", "12", "abc"]),
    "NAME": st.text(alphabet='ab ,"\n;', max_size=6),
    "LEVEL": st.sampled_from(["ELEM", "HIGH", "OTHER", "primary", "K-8", ""]),
    "LAT": st.sampled_from(["44.5", "-91", "", "x", "n/a", "4,5"]),
    "N": st.sampled_from(["12", "-999", "abc", "", "1.5", "-3", "1,234"]),
    "STATUS": st.sampled_from(["Open", "Closed"]),
    "PCT_2023": st.sampled_from(["0.5", "51.2", "*", "", "bad", "45%"]),
    "PCT_2024": st.sampled_from(["12", "s", "", "-"]),
    "COHORT_2023": st.sampled_from(["12", "3", "", "-1"]),
    "COHORT_2024": st.sampled_from(["40", "", "many"]),
}
_ROW = st.fixed_dictionaries(_CELL).map(lambda cells: [cells[c] for c in _HEADER])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_ROW, max_size=25))
def test_every_row_is_imported_skipped_or_rejected(tmp_path_factory, rows):
    path = write(tmp_path_factory.mktemp("prop") / "t.csv", [_HEADER, *rows])
    result = run(path, _PROPERTY_MAPPING)
    [summary] = result.files
    assert summary.rows == len(rows)
    assert summary.imported + summary.skipped + summary.rejected == len(rows)
    assert_accounted(result)
    for record in result.records:
        for cell in record.outcomes:
            assert (cell.value is None) == cell.suppressed


# --- a damaged mapping is reported, never a crash -------------------------------------------------------

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 3000)
    | st.sampled_from(["", "x", "{year}", "LAT", "primary"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["column", "a"]), inner, max_size=2)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_damaged_mapping_gives_errors_not_exceptions(data):
    mapping = state_mapping()
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(mapping)[1:]))
        parent = mapping
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = data.draw(_JSON)
    errors = validate_mapping(mapping, state_rows()[0])
    assert all(isinstance(e, str) and ": " in e for e in errors)
    try:
        result = run(STATE_CSV, mapping, year=2023)
    except ImportFileError:
        assert validate_mapping(mapping), "parse refused a mapping that validate_mapping accepted"
    else:
        assert_accounted(result)
