"""The ``nyc`` import format: real NYC DOE files (when present) and small damaged copies. No database."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pytest

from interschool.registry.importing import nyc
from interschool.registry.importing.records import (
    PHASES,
    SCHOOL_TYPES,
    ImportFileError,
    OutcomeCell,
    ParseOptions,
    ParseResult,
    Source,
)

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
LOCATIONS = "nyc_school_locations_2019_20"
DEMOGRAPHICS = "nyc_demographic_snapshot_2014_15_to_2018_19"
# Data rows per SQR file, as documented in SOURCES.md section 1c.
SQR_ROWS = {
    "nyc_hs_sqr_2014_15_closing_the_achievement_gap": 491,
    "nyc_hs_sqr_2014_15_student_achievement": 491,
    "nyc_hs_sqr_2014_15_summary": 491,
    "nyc_hs_sqr_2015_16_additional_info": 494,
    "nyc_hs_sqr_2015_16_summary": 494,
    "nyc_hs_sqr_2016_17_additional_info": 485,
    "nyc_hs_sqr_2016_17_summary": 485,
    "nyc_hs_sqr_2017_18_additional_info": 489,
    "nyc_hs_sqr_2018_19_additional_info": 486,
    "nyc_hs_sqr_2018_19_closing_the_achievement_gap": 486,
    "nyc_hs_sqr_2018_19_student_achievement": 486,
    "nyc_hs_sqr_2018_19_summary": 486,
    "nyc_hs_sqr_2019_20_additional_info": 485,
    "nyc_hs_sqr_2020_21_additional_info": 486,
    "nyc_hs_sqr_2020_21_closing_the_achievement_gap": 486,
    "nyc_hs_sqr_2020_21_student_achievement": 486,
    "nyc_hs_sqr_2020_21_summary": 486,
    "nyc_hs_sqr_2021_22_additional_info": 490,
    "nyc_hs_sqr_2021_22_closing_the_achievement_gap": 490,
    "nyc_hs_sqr_2021_22_student_achievement": 490,
    "nyc_hs_sqr_2021_22_summary": 490,
    "nyc_hs_sqr_2022_23_additional_info": 501,
    "nyc_hs_sqr_2022_23_student_achievement": 501,
    "nyc_hs_sqr_2022_23_summary": 501,
}
ROWS = {LOCATIONS: 1941, DEMOGRAPHICS: 8973, **SQR_ROWS}
ALL = (*SQR_ROWS, LOCATIONS, DEMOGRAPHICS)


def real(name: str) -> Source:
    path = DATA / f"{name}.csv.gz"
    if not path.exists():
        pytest.skip(f"{path.name} not found: the real data files live in ../shared/data")
    return Source(name, str(path))


def real_rows(name: str) -> list[list[str]]:
    with gzip.open(real(name).path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Source:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return Source(path.stem, str(path))


def record(result: ParseResult, code: str):
    found = [r for r in result.records if r.key == ("nyc_location", code)]
    assert len(found) == 1, code
    return found[0]


def cell(rec, indicator: str, year: int) -> OutcomeCell:
    found = [c for c in rec.outcomes if c.indicator == indicator and c.year == year]
    assert len(found) == 1, (rec.identifier, indicator, year)
    return found[0]


@pytest.fixture(scope="module")
def full() -> ParseResult:
    return nyc.parse([real(name) for name in ALL], ParseOptions())


# -- the real files ------------------------------------------------------------------------------------------


def test_every_row_is_imported_or_skipped_and_none_rejected(full):
    assert full.rejections == []
    by_name = {f.name: f for f in full.files}
    assert set(by_name) == set(ALL)
    for name in ALL:
        summary = by_name[name]
        assert summary.rows == ROWS[name], name
        assert summary.rejected == 0, name
        assert summary.imported + summary.skipped == summary.rows, name
    assert by_name[LOCATIONS].kind == "locations"
    assert by_name[DEMOGRAPHICS].kind == "demographics"
    assert by_name["nyc_hs_sqr_2019_20_additional_info"].kind == "sqr_additional_info"
    assert by_name["nyc_hs_sqr_2018_19_summary"].kind == "sqr_summary"
    # Only the locations file skips rows: 1,941 rows, 1,881 codes (60 repeated), offices.
    assert {s.file for s in full.skips} == {LOCATIONS}
    rules = [s.rule for s in full.skips]
    assert rules.count("nyc-additional-location-row") == 56  # the other 4 repeats are offices
    assert rules.count("nyc-not-a-school-location") == 48
    assert set(rules) <= set(nyc.RULES)
    assert by_name[LOCATIONS].imported == 1837
    codes = {r.identifier for r in full.records}
    assert len(codes) == len(full.records)
    assert all(r.scheme == "nyc_location" for r in full.records)


def test_known_values_of_named_schools(full):
    stuyvesant = record(full, "M475")  # Stuyvesant High School, DBN 02M475
    assert stuyvesant.identifiers == {"dbn": "02M475"}
    assert stuyvesant.fields["name"] == "Stuyvesant High School"
    assert stuyvesant.fields["address"] == "345 CHAMBERS STREET"
    assert (stuyvesant.fields["latitude"], stuyvesant.fields["longitude"]) == (40.718025, -74.013921)
    assert stuyvesant.fields["district"] == "District 02"
    assert stuyvesant.fields["school_type"] == "public"
    assert stuyvesant.fields["phase"] == "secondary"  # grades 9-12
    assert stuyvesant.fields["status"] == "open"
    grad_2019 = cell(stuyvesant, "nyc_grad_rate_4yr", 2019)  # 2018-19 Student Achievement: 0.989, N 820
    assert (grad_2019.value, grad_2019.cohort, grad_2019.suppressed) == (98.9, 820, False)
    assert cell(stuyvesant, "nyc_grad_rate_4yr", 2015).value == 98.9  # 2014-15: "Graduation Rate, 4 year"
    grad_2020 = cell(stuyvesant, "nyc_grad_rate_4yr", 2020)  # 2019-20: val_grad_pct_4_all / n_grad_pct_4_all
    assert (grad_2020.value, grad_2020.cohort) == (98.8, 839)
    assert stuyvesant.years[2015]["enrolment"] == 3296  # demographic snapshot "Total Enrollment"

    clemente = record(full, "M015")  # P.S. 015 Roberto Clemente, DBN 01M015 (not a high school)
    assert clemente.fields["name"] == "P.S. 015 Roberto Clemente"
    assert (clemente.fields["latitude"], clemente.fields["longitude"]) == (40.722075, -73.978747)
    assert clemente.fields["phase"] == "primary"  # PK-5
    assert clemente.years[2015] == {"enrolment": 183, "ses_index": 92.992115}  # Need_Index 0.92992115
    assert clemente.outcomes == []

    gotham = record(full, "K594")  # Gotham Professional Arts Academy: DBN 16K594, later 13K594
    assert gotham.identifiers == {"dbn": "13K594"}
    assert cell(gotham, "nyc_grad_rate_4yr", 2019).value == 75.0

    manhattan_academy = record(full, "M427")  # 2020-21 Economic Need Index top-coded "> 95%"
    assert manhattan_academy.years[2021]["ses_index"] == 95.0
    assert manhattan_academy.years[2021]["enrolment"] == 188


def test_rating_and_attendance_indicators(full):
    ywls = record(full, "M610")  # Young Women's Leadership School: Student Achievement "Exceeding Target"
    assert cell(ywls, "nyc_student_achievement_rating", 2015).value == 4.0
    attendance = cell(ywls, "nyc_attendance_rate", 2019)  # in the summary and, with its N, additional info
    assert (attendance.value, attendance.cohort) == (93.8, 314)
    assert full.indicators["nyc_chronic_absence"].higher_is_better is False
    assert full.indicators["nyc_grad_rate_4yr"].unit == "%"
    years = {c.year for r in full.records for c in r.outcomes if c.indicator == "nyc_grad_rate_4yr"}
    assert years == {2015, 2019, 2020, 2021, 2022, 2023}


def test_suppressed_cells_stay_suppressed(full):
    eagle = record(full, "M148")  # Eagle Academy for Young Men of Harlem: 2018-19 4-year rate "N<15", N 1
    grad = cell(eagle, "nyc_grad_rate_4yr", 2019)
    assert (grad.value, grad.suppressed, grad.cohort) == (None, True, 1)
    west_end = record(full, "M291")  # West End Secondary School: "N<15" with N count "."
    grad = cell(west_end, "nyc_grad_rate_4yr", 2019)
    assert (grad.value, grad.suppressed, grad.cohort) == (None, True, None)
    assert all(c.value is None for r in full.records for c in r.outcomes if c.suppressed)
    assert all(0 <= c.value <= 100 for r in full.records for c in r.outcomes if c.value is not None)


def test_fields_use_the_shared_codes(full):
    assert {r.fields.get("phase") for r in full.records} - {None} <= set(PHASES)
    assert {r.fields.get("school_type") for r in full.records} <= set(SCHOOL_TYPES)
    assert full.ses_label == "Economic Need Index (%)" and full.ses_higher_is_advantaged is False
    charter = [r for r in full.records if r.fields["school_type"] == "charter"]
    assert len(charter) == 241  # MANAGED_BY_NAME "Charter"


def test_files_in_reverse_order_give_the_same_records(full):
    reverse = nyc.parse([real(name) for name in reversed(ALL)], ParseOptions())
    assert reverse.records == full.records
    assert sorted(map(repr, reverse.skips)) == sorted(map(repr, full.skips))


def test_demographic_snapshot_alone_creates_named_records():
    result = nyc.parse([real(DEMOGRAPHICS)], ParseOptions())
    assert result.rejections == [] and result.files[0].imported == 8973
    assert len(result.records) == 1841  # distinct DBNs
    clemente = record(result, "M015")
    assert clemente.fields["name"] == "P.S. 015 Roberto Clemente"
    assert clemente.fields["district"] == "District 01"
    assert sorted(clemente.years) == [2015, 2016, 2017, 2018, 2019]


def test_progress_is_reported_and_monotonic():
    seen: list[int] = []
    nyc.parse([real(LOCATIONS), real(DEMOGRAPHICS)], ParseOptions(), seen.append)
    assert seen == sorted(seen) and seen[-1] == 1941 + 8973
    assert len(seen) >= 10


# -- damaged copies ------------------------------------------------------------------------------------------

SQR_SUMMARY = "nyc_hs_sqr_2018_19_summary"


def test_grades_phase():
    assert nyc.grades_phase([-1, 0, 1, 2, 3, 4, 5]) == "primary"
    assert nyc.grades_phase([6, 7, 8]) == "middle"
    assert nyc.grades_phase([9, 10, 11, 12]) == "secondary"
    assert nyc.grades_phase([6, 7, 8, 9, 10, 11, 12]) == "secondary"
    assert nyc.grades_phase([0, 1, 2, 3, 4, 5, 6, 7, 8]) == "all_through"
    assert nyc.grades_phase([]) is None


def test_non_numeric_value_rejects_exactly_that_row(tmp_path):
    rows = real_rows(SQR_SUMMARY)[:6]
    column = rows[0].index("Percent of Students Chronically Absent")
    rows[3][column] = "lots"  # file row 4
    result = nyc.parse([write(tmp_path / "nyc_hs_sqr_2018_19_summary.csv", rows)], ParseOptions())
    assert [(r.row, r.column, r.value) for r in result.rejections] == [
        (4, "Percent of Students Chronically Absent", "lots")
    ]
    summary = result.files[0]
    assert (summary.rows, summary.imported, summary.rejected) == (5, 4, 1)
    assert ("nyc_location", rows[3][0][2:]) not in {r.key for r in result.records}
    assert {c.year for r in result.records for c in r.outcomes} == {2019}  # year from the file name


def test_missing_required_column_is_reported(tmp_path):
    rows = real_rows(DEMOGRAPHICS)[:11]
    drop = rows[0].index("Need_Index")
    rows = [[c for i, c in enumerate(row) if i != drop] for row in rows]
    result = nyc.parse([write(tmp_path / "demographics.csv", rows)], ParseOptions())
    assert [(r.row, r.column, r.reason) for r in result.rejections] == [
        (1, "Need_Index", "required column is missing")
    ]
    assert result.files[0].imported == 10
    assert all(year["ses_index"] is None for r in result.records for year in r.years.values())


def test_duplicate_dbn_is_rejected_on_the_duplicate_row(tmp_path):
    rows = real_rows(SQR_SUMMARY)[:5]
    rows.append(list(rows[2]))  # file row 6 repeats file row 3
    result = nyc.parse([write(tmp_path / "nyc_hs_sqr_2018_19_summary.csv", rows)], ParseOptions())
    assert [(r.row, r.column, r.value) for r in result.rejections] == [(6, "DBN", rows[2][0])]
    assert "row 3" in result.rejections[0].reason
    assert result.files[0].imported == 4 and result.files[0].rejected == 1


def test_malformed_dbn_and_location_code_are_rejected(tmp_path):
    sqr = real_rows(SQR_SUMMARY)[:4]
    sqr[2][0] = "2M4751"
    locations = real_rows(LOCATIONS)[:4]
    locations[1][1] = "K1"
    result = nyc.parse(
        [
            write(tmp_path / "nyc_hs_sqr_2018_19_summary.csv", sqr),
            write(tmp_path / "locations.csv", locations),
        ],
        ParseOptions(),
    )
    assert sorted((r.file, r.row, r.column, r.value) for r in result.rejections) == [
        ("locations", 2, "LOCATION_CODE", "K1"),
        ("nyc_hs_sqr_2018_19_summary", 3, "DBN", "2M4751"),
    ]


def test_location_rows_offices_and_repeats(tmp_path):
    rows = real_rows(LOCATIONS)
    header, body = rows[0], rows[1:]
    office = next(r for r in body if r[1] == "K00D")
    superintendent = next(r for r in body if r[3] == "District 13 Superintendent Office")
    school = next(r for r in body if r[1] == "M475")
    changed = list(school)
    changed[3] = "Another Name"
    sample = [header, school, office, superintendent, list(school), changed]
    result = nyc.parse([write(tmp_path / "locations.csv", sample)], ParseOptions())
    assert [(s.row, s.rule) for s in result.skips] == [
        (3, "nyc-not-a-school-location"),
        (4, "nyc-not-a-school-location"),
        (5, "nyc-additional-location-row"),
    ]
    assert [(r.row, r.column, r.value) for r in result.rejections] == [(6, "LOCATION_CODE", "M475")]
    summary = result.files[0]
    assert (summary.rows, summary.imported, summary.skipped, summary.rejected) == (5, 1, 3, 1)
    assert record(result, "M475").fields["name"] == "Stuyvesant High School"


def test_cp1252_copy_reads_a_non_ascii_name(tmp_path):
    rows = real_rows(LOCATIONS)[:300]
    assert rows[2][1] == "K001"  # P.S. 001 The Bergen (row 2 is an office)
    rows[2][3] = "Escuela Niños Héroes – Café"
    result = nyc.parse([write(tmp_path / "locations.csv", rows, encoding="cp1252")], ParseOptions())
    assert result.rejections == []
    assert record(result, "K001").fields["name"] == "Escuela Niños Héroes – Café"


def test_sqr_year_comes_from_the_name_the_header_or_the_options(tmp_path):
    rows = real_rows("nyc_hs_sqr_2019_20_additional_info")[:3]  # no "Target For" columns
    source = write(tmp_path / "quality.csv", rows)
    with pytest.raises(ImportFileError) as caught:
        nyc.parse([source], ParseOptions())
    assert "school year" in caught.value.message
    result = nyc.parse([source], ParseOptions(year=2020))
    assert {c.year for r in result.records for c in r.outcomes} == {2020}
    targets = real_rows("nyc_hs_sqr_2018_19_student_achievement")[:3]  # "Approaching Target For 2019 - …"
    result = nyc.parse([write(tmp_path / "report.csv", targets)], ParseOptions())
    assert {c.year for r in result.records for c in r.outcomes} == {2019}


def test_unrecognised_file_is_an_error(tmp_path):
    source = write(tmp_path / "other.csv", [["school", "pupils"], ["A", "10"]])
    with pytest.raises(ImportFileError) as caught:
        nyc.parse([source], ParseOptions())
    assert caught.value.file == "other"
    assert "not a recognised NYC file" in caught.value.message
