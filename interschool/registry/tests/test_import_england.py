"""The ``england`` import format: real DfE files (when present) and small damaged copies. No database."""

from __future__ import annotations

import csv
import gzip
import io
import time
from pathlib import Path

import pytest

from interschool.registry.importing import england
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
KS2 = "eng_ks2_results_2018_19_geo"
KS4 = "eng_ks4_results_2018_19_geo"
KS5 = "eng_ks5_results_2018_19_geo"
CENSUS = "eng_school_census_jan2019"
LA = "eng_la_region_codes"
PROVISIONAL = "eng_ks4_provisional_2018_19"
RESULTS = (KS2, KS4, KS5)
ALL = (KS2, KS4, KS5, CENSUS, LA)
# Data rows per file, as documented in SOURCES.md.
ROWS = {KS2: 16355, KS4: 5516, KS5: 2903, CENSUS: 23942, LA: 151, PROVISIONAL: 5652}


def real(name: str) -> Source:
    path = DATA / f"{name}.csv.gz"
    if not path.exists():
        pytest.skip(f"{path.name} not found: the real data files live in ../shared/data")
    return Source(name, str(path))


def real_rows(name: str) -> list[list[str]]:
    """The header and rows of a real file, every cell as text."""
    with gzip.open(real(name).path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Source:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return Source(path.stem, str(path))


def record(result: ParseResult, urn: str):
    found = [r for r in result.records if r.key == ("urn", urn)]
    assert len(found) == 1, urn
    return found[0]


def cell(rec, indicator: str, year: int = 2019) -> OutcomeCell:
    found = [c for c in rec.outcomes if c.indicator == indicator and c.year == year]
    assert len(found) == 1, (rec.identifier, indicator, year)
    return found[0]


@pytest.fixture(scope="module")
def full() -> ParseResult:
    return england.parse([real(name) for name in ALL], ParseOptions())


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
    assert {f.name: f.kind for f in full.files} == {
        KS2: "ks2",
        KS4: "ks4",
        KS5: "ks5",
        CENSUS: "census",
        LA: "la_codes",
    }
    # Only the census skips rows: its three national totals and the schools no results file lists.
    skipped = {(s.file, s.rule) for s in full.skips}
    assert skipped == {
        (CENSUS, "england-national-total"),
        (CENSUS, "england-census-school-not-in-results"),
    }
    assert sum(1 for s in full.skips if s.rule == "england-national-total") == 3
    assert set(england.RULES) >= {s.rule for s in full.skips}
    assert len(full.records) == 21439  # distinct URNs of the KS2/KS4/KS5 files (SOURCES.md)


def test_known_values_of_named_schools(full):
    haverstock = record(full, "100049")  # Haverstock School, Camden (KS4 and KS5, census)
    assert haverstock.fields["name"] == "Haverstock School"
    assert haverstock.fields["postcode"] == "NW3 2BQ"
    assert haverstock.fields["latitude"] == 51.544842
    assert haverstock.fields["longitude"] == -0.154354
    assert haverstock.fields["district"] == "Camden"  # census LA 202 → LA codes
    assert haverstock.fields["school_type"] == "public"  # Maintained school
    assert haverstock.fields["phase"] == "secondary"
    assert haverstock.fields["status"] == "open"
    assert "community" not in haverstock.fields  # RELIGION "Does not apply"
    assert cell(haverstock, "eng_ks4_attainment8").value == 42.4
    assert cell(haverstock, "eng_ks4_progress8").value == -0.11
    assert cell(haverstock, "eng_ks4_eng_maths_grade5").value == 43.0  # "43%"
    assert cell(haverstock, "eng_ks4_ebacc_entry").value == 24.0
    assert cell(haverstock, "eng_ks4_ebacc_aps").value == 3.72
    assert cell(haverstock, "eng_ks5_alevel_value_added").value == -0.27
    assert haverstock.years == {2019: {"enrolment": 950, "ses_index": 64.5}}
    assert (haverstock.file, haverstock.row) == (KS4, 4)

    bringhurst = record(full, "141279")  # Bringhurst Primary School, an academy
    assert bringhurst.fields["school_type"] == "charter"
    assert bringhurst.fields["phase"] == "primary"
    assert bringhurst.fields["district"] == "Leicestershire"
    assert cell(bringhurst, "eng_ks2_reading_progress").value == 2.6
    assert cell(bringhurst, "eng_ks2_writing_progress").value == 2.3
    assert cell(bringhurst, "eng_ks2_maths_progress").value == 2.0

    carmel = record(full, "130489")  # Carmel College, St Helens: KS5 only, not in the census
    assert carmel.fields["community"] == "Roman Catholic"
    assert carmel.fields["phase"] == "post16"
    assert carmel.fields["school_type"] == "public"  # College
    assert carmel.fields["district"] == "St Helens"  # TOWN: no census row gives its LA
    assert cell(carmel, "eng_ks5_alevel_aps").value == 34.07
    assert carmel.years == {}

    city_girls = record(full, "100001")  # City of London School for Girls, independent
    assert city_girls.fields["school_type"] == "independent"
    assert not [c for c in city_girls.outcomes if c.indicator == "eng_ks4_progress8"]  # NP: missing
    assert city_girls.years == {2019: {"enrolment": 752, "ses_index": None}}  # FSM "NA"


def test_suppressed_cells_stay_suppressed(full):
    jack_tizard = record(full, "100381")  # Jack Tizard School: P8MEA and ATT8SCR are SUPP
    for indicator in ("eng_ks4_progress8", "eng_ks4_attainment8"):
        value = cell(jack_tizard, indicator)
        assert value.suppressed and value.value is None
    assert jack_tizard.fields["phase"] == "special"  # RECTYPE 2
    ickburgh = record(full, "100312")  # Ickburgh School: P8MEA SUPP, ATT8SCR NE (no entries: not stored)
    assert cell(ickburgh, "eng_ks4_progress8").suppressed
    assert not [c for c in ickburgh.outcomes if c.indicator == "eng_ks4_attainment8"]
    assert all(c.value is None for r in full.records for c in r.outcomes if c.suppressed)
    suppressed = sum(1 for r in full.records for c in r.outcomes if c.suppressed)
    assert suppressed > 1000


def test_fields_use_the_shared_codes(full):
    assert {r.fields.get("phase") for r in full.records} <= set(PHASES)
    assert {r.fields.get("school_type") for r in full.records} - {None} <= set(SCHOOL_TYPES)
    assert full.ses_label and full.ses_higher_is_advantaged is False
    assert set(full.indicators) == set(england.INDICATORS)
    assert full.indicators["eng_ks2_reading_progress"].phase == "primary"
    assert full.indicators["eng_ks5_alevel_aps"].phase == "post16"


def test_files_in_reverse_order_give_the_same_records(full):
    reverse = england.parse([real(name) for name in reversed(ALL)], ParseOptions())
    assert reverse.records == full.records
    assert [f.name for f in reverse.files] == list(reversed(ALL))


def test_results_files_parse_fast():
    sources = [real(name) for name in RESULTS]
    start = time.perf_counter()
    result = england.parse(sources, ParseOptions())
    elapsed = time.perf_counter() - start
    assert sum(f.rows for f in result.files) == 24774
    assert elapsed < 2.0, f"KS2+KS4+KS5 took {elapsed:.2f} s"


def test_provisional_ks4_adds_cohorts_and_skips_totals():
    result = england.parse([real(PROVISIONAL), real(KS4), real(LA)], ParseOptions())
    assert result.rejections == []
    provisional = next(f for f in result.files if f.name == PROVISIONAL)
    assert provisional.kind == "ks4_provisional"
    assert (provisional.imported, provisional.skipped) == (5495, 157)
    rules = [s.rule for s in result.skips]
    assert rules.count("england-la-total") == 155 and rules.count("england-national-total") == 2
    haverstock = record(result, "100049")
    attainment = cell(haverstock, "eng_ks4_attainment8")
    assert (attainment.value, attainment.cohort) == (42.4, 199)  # final value; cohort TPUP of the same value
    assert haverstock.fields["district"] == "Camden"  # provisional LEA 202 → LA codes


def test_progress_is_reported_and_monotonic():
    seen: list[int] = []
    england.parse([real(KS4)], ParseOptions(), seen.append)
    assert seen == sorted(seen) and seen[-1] == ROWS[KS4]
    assert len(seen) >= ROWS[KS4] // 1000


def test_year_option_overrides_the_default_year():
    result = england.parse([real(KS5)], ParseOptions(year=2020))
    assert {c.year for r in result.records for c in r.outcomes} == {2020}


# -- damaged copies ------------------------------------------------------------------------------------------


@pytest.fixture()
def ks4_sample() -> list[list[str]]:
    rows = real_rows(KS4)
    return [rows[0], *rows[1:6]]  # header + 5 schools (file rows 2-6)


def test_non_numeric_value_rejects_exactly_that_row(tmp_path, ks4_sample):
    header = ks4_sample[0]
    ks4_sample[3][header.index("ATT8SCR")] = "forty"  # file row 4
    result = england.parse([write(tmp_path / "ks4.csv", ks4_sample)], ParseOptions())
    assert [(r.row, r.column, r.value) for r in result.rejections] == [(4, "ATT8SCR", "forty")]
    assert "not a number" in result.rejections[0].reason
    summary = result.files[0]
    assert (summary.rows, summary.imported, summary.skipped, summary.rejected) == (5, 4, 0, 1)
    assert ("urn", ks4_sample[3][1]) not in {r.key for r in result.records}


def test_missing_required_column_is_reported(tmp_path, ks4_sample):
    drop = ks4_sample[0].index("ATT8SCR")
    rows = [[c for i, c in enumerate(row) if i != drop] for row in ks4_sample]
    result = england.parse([write(tmp_path / "ks4.csv", rows)], ParseOptions())
    assert [(r.row, r.column, r.value, r.reason) for r in result.rejections] == [
        (1, "ATT8SCR", "", "required column is missing")
    ]
    assert result.files[0].kind == "ks4" and result.files[0].imported == 5
    assert not [c for r in result.records for c in r.outcomes if c.indicator == "eng_ks4_attainment8"]


def test_duplicate_urn_is_rejected_on_the_duplicate_row(tmp_path, ks4_sample):
    rows = [*ks4_sample, list(ks4_sample[2])]  # file row 7 repeats file row 3
    result = england.parse([write(tmp_path / "ks4.csv", rows)], ParseOptions())
    urn = ks4_sample[2][1]
    assert [(r.row, r.column, r.value) for r in result.rejections] == [(7, "URN", urn)]
    assert "row 3" in result.rejections[0].reason
    assert result.files[0].rejected == 1 and result.files[0].imported == 5


def test_malformed_urn_and_coordinate_are_rejected(tmp_path, ks4_sample):
    header = ks4_sample[0]
    ks4_sample[1][header.index("URN")] = "10004X"
    ks4_sample[2][header.index("LATITUDE")] = "151.5"
    ks4_sample[4][header.index("LONGITUDE")] = ""  # empty coordinate: missing, not rejected
    result = england.parse([write(tmp_path / "ks4.csv", ks4_sample)], ParseOptions())
    assert [(r.row, r.column) for r in result.rejections] == [(2, "URN"), (3, "LATITUDE")]
    assert result.files[0].imported == 3
    assert "longitude" not in record(result, ks4_sample[4][1]).fields


def test_cp1252_copy_reads_a_non_ascii_name(tmp_path):
    rows = real_rows(KS2)[:200]
    rows[1][rows[0].index("SCHNAME")] = "École Sainte-Thérèse – Café"
    source = write(tmp_path / "ks2.csv", rows, encoding="cp1252")
    result = england.parse([source], ParseOptions())
    assert result.rejections == []
    assert record(result, rows[1][1]).fields["name"] == "École Sainte-Thérèse – Café"


def test_census_rows_need_a_school_from_a_results_file(tmp_path, ks4_sample):
    census = real_rows(CENSUS)
    header = census[0]
    urns = {row[1] for row in ks4_sample[1:]}
    chosen = [row for row in census[1:] if row[0] in urns][:2]
    other = next(row for row in census[1:] if row[0] not in urns and row[0] != "NAT")
    national = census[-1]
    rows = [header, *chosen, other, national]
    result = england.parse(
        [write(tmp_path / "census.csv", rows), write(tmp_path / "ks4.csv", ks4_sample)], ParseOptions()
    )
    assert result.rejections == []
    assert [(s.row, s.rule) for s in result.skips] == [
        (4, "england-census-school-not-in-results"),
        (5, "england-national-total"),
    ]
    summary = next(f for f in result.files if f.kind == "census")
    assert (summary.imported, summary.skipped) == (2, 2)
    for row in chosen:
        years = record(result, row[0]).years[2019]
        assert years["enrolment"] == int(row[header.index("NOR")])


def test_census_alone_imports_nothing(tmp_path):
    rows = real_rows(CENSUS)[:20]
    result = england.parse([write(tmp_path / "census.csv", rows)], ParseOptions())
    assert result.records == []
    assert result.files[0].skipped == 19


def test_unrecognised_file_is_an_error(tmp_path):
    source = write(tmp_path / "other.csv", [["school", "pupils"], ["A", "10"]])
    with pytest.raises(ImportFileError) as caught:
        england.parse([source], ParseOptions())
    assert caught.value.file == "other"
    assert "not a recognised England file" in caught.value.message
    assert "URN" in caught.value.message
