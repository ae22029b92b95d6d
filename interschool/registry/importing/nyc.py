"""Format ``nyc``: NYC DOE school locations, demographic snapshot and High School Quality Reports (SQR).

Files are recognised by their header, in any order. Records are keyed by ``("nyc_location", LOCATION_CODE)``;
the DBN files (demographic snapshot, SQR) give ``LOCATION_CODE = DBN[2:]`` and the DBN itself as the ``dbn``
identifier. Every value carries a rank (file priority, then the most recent school year, then file name and
row), and the best-ranked non-empty value wins, so the records do not depend on the order of the files.
"""

from __future__ import annotations

import gc
import math
import re
from dataclasses import dataclass
from typing import Any

from interschool.registry.importing.reading import PaddedRows, Table, open_table
from interschool.registry.importing.records import (
    ORGANISATION_FIELDS,
    FileSummary,
    ImportFileError,
    IndicatorDef,
    OrgRecord,
    OutcomeCell,
    ParseOptions,
    ParseResult,
    Progress,
    Rejection,
    Skip,
    Source,
    no_progress,
)
from interschool.registry.importing.values import (
    Cell,
    CellError,
    Errors,
    count_cell,
    marker_kind,
    parse_coordinate,
    parse_number,
    school_year_end,
)

FORMAT = "nyc"
SES_LABEL = "Economic Need Index (%)"
PROGRESS_EVERY = 1000

RULES: dict[str, str] = {
    "nyc-not-a-school-location": (
        "A row of the school locations file that is an administrative office, not a school: its location "
        "code is not a borough letter followed by three digits (e.g. K00D, XLDA), or it is a "
        "'District NN Superintendent Office'."
    ),
    "nyc-additional-location-row": (
        "A repeated row of the school locations file, identical to the first row listed for the same "
        "location code."
    ),
}

_RATING = "rating"
_RATING_CODE = "nyc_student_achievement_rating"
INDICATORS: dict[str, IndicatorDef] = {
    d.code: d
    for d in (
        IndicatorDef("nyc_grad_rate_4yr", "4-year graduation rate (%)", "", "%", True, "secondary"),
        IndicatorDef("nyc_grad_rate_6yr", "6-year graduation rate (%)", "", "%", True, "secondary"),
        IndicatorDef(
            "nyc_regents_diploma_4yr",
            "Students earning a Regents diploma within 4 years (%)",
            "",
            "%",
            True,
            "secondary",
        ),
        IndicatorDef(
            "nyc_college_career_prep_index",
            "College and Career Preparatory Course Index (%)",
            "",
            "%",
            True,
            "secondary",
        ),
        IndicatorDef(
            "nyc_postsecondary_6mo",
            "Graduates enrolled in college or other postsecondary education within 6 months (%)",
            "",
            "%",
            True,
            "secondary",
        ),
        IndicatorDef(
            "nyc_postsecondary_18mo",
            "Graduates enrolled in college or other postsecondary education within 18 months (%)",
            "",
            "%",
            True,
            "secondary",
        ),
        IndicatorDef(
            "nyc_credits_10_year1",
            "Students earning 10 or more credits in their first year (%)",
            "",
            "%",
            True,
            "secondary",
        ),
        IndicatorDef("nyc_attendance_rate", "Student attendance rate (%)", "", "%", True, "secondary"),
        IndicatorDef("nyc_chronic_absence", "Students chronically absent (%)", "", "%", False, "secondary"),
        IndicatorDef(
            _RATING_CODE,
            "Student Achievement rating (1 Not Meeting Target … 4 Exceeding Target)",
            "",
            _RATING,
            True,
            "secondary",
        ),
    )
}


@dataclass(frozen=True)
class _Measure:
    """An SQR value and the spellings of its (value column, N-count column) across the years."""

    code: str
    columns: tuple[tuple[str, str], ...]


def _metric(label: str, count: str = "N count") -> tuple[str, str]:
    """The ``Metric Value - …`` column and its ``N count - …`` (or ``N Count - …``) column."""
    return (f"Metric Value - {label}", f"{count} - {label}")


# The first spelling found in a file's header is used. Values are 0–1 fractions, stored as percentages.
SQR_MEASURES: tuple[_Measure, ...] = (
    _Measure(
        "nyc_grad_rate_4yr",
        (
            ("Metric Value - Graduation Rate, 4 year", ""),  # 2014-15
            _metric("4-Year Graduation Rate - All Students"),  # 2018-19, 2020-21 …
            ("val_grad_pct_4_all", "n_grad_pct_4_all"),  # 2019-20
        ),
    ),
    _Measure(
        "nyc_grad_rate_6yr",
        (
            ("Metric Value - Graduation Rate, 6 year", ""),
            _metric("6-Year Graduation Rate - All Students"),
            ("val_grad_pct_6_all", "n_grad_pct_6_all"),
        ),
    ),
    _Measure(
        "nyc_regents_diploma_4yr",
        (
            ("% Attaining Regents Diploma (4 year)", ""),  # 2015-16
            _metric("% Attaining Regents Diploma (4 year)", "N Count"),
            ("val_pct_degree_reg_4yr_all", "n_pct_degree_reg_4yr_all"),
        ),
    ),
    _Measure(
        "nyc_college_career_prep_index",
        (
            _metric("College and Career Preparatory Course Index"),
            _metric("College and Career Preparatory Course Index", "N Count"),
            ("College and Career Preparatory Course Index", ""),  # 2015-16
            ("val_pct_cpci_all", "n_pct_cpci_all"),
        ),
    ),
    _Measure(
        "nyc_postsecondary_6mo",
        (
            ("Metric Value - Postsecondary Enrollment Rate, 6 months After High School", ""),  # 2014-15
            ("Post-secondary Enrollment Rate (6 months)", ""),  # 2015-16
            _metric("Post-secondary Enrollment Rate (6 months)", "N Count"),  # 2016-17
            _metric("Postsecondary Enrollment Rate - 6 Months"),
            ("val_pct_cer_6mo_all", "n_pct_cer_6mo_all"),
        ),
    ),
    _Measure(
        "nyc_postsecondary_18mo",
        (
            ("Metric Value - Postsecondary Enrollment Rate, 18 months After High School", ""),
            ("Post-secondary Enrollment Rate (18 months)", ""),
            _metric("Post-secondary Enrollment Rate (18 months)", "N Count"),
            _metric("Postsecondary Enrollment Rate - 18 Months"),
            ("val_pct_cer_18mo_all", "n_pct_cer_18mo_all"),
        ),
    ),
    _Measure(
        "nyc_credits_10_year1",
        (
            ("Metric Value - Percentage Earning 10+ Credits in First Year", ""),
            _metric("10+ Credits in 1st Year - All Students"),
            ("val_credit_10_pct_yr1", "n_credit_10_pct_yr1"),
        ),
    ),
    _Measure(
        "nyc_attendance_rate",
        (
            _metric("Average Student Attendance", "N Count"),  # additional info, from 2018-19
            ("Student Attendance Rate", ""),  # summary, to 2018-19
            ("Average Student Attendance", ""),  # summary, from 2020-21
            ("val_attendance_hs_all", "n_attendance_hs_all"),
        ),
    ),
    _Measure(
        "nyc_chronic_absence",
        (
            ("Percent of Students Chronically Absent", ""),
            ("val_chronic_absent_hs_all", "n_chronic_absent_hs_all"),
        ),
    ),
    _Measure(_RATING_CODE, (("Student Achievement Rating", ""),)),  # summary
)
SQR_ENROLMENT = ("Enrollment", "enrollment")
SQR_NEED_INDEX = ("Economic Need Index", "eni_hs_pct_912")
_RATINGS: dict[str, float] = {
    "not meeting target": 1.0,
    "approaching target": 2.0,
    "meeting target": 3.0,
    "exceeding target": 4.0,
}

LOCATION_COLUMNS: tuple[str, ...] = (
    *("FISCAL_YEAR", "LOCATION_CODE", "GEOGRAPHICAL_DISTRICT_CODE", "LOCATION_NAME", "MANAGED_BY_NAME"),
    *("PRIMARY_BUILDING_CODE", "PRIMARY_ADDRESS_LINE_1", "STATE_CODE", "LATITUDE", "LONGITUDE"),
    *("COMMUNITY_DISTRICT", "COUNCIL_DISTRICT", "CENSUS_TRACT", "BOROUGH_BLOCK_LOT", "NTA", "NTA_NAME"),
)
LOCATION_REQUIRED: tuple[str, ...] = (
    *("LOCATION_CODE", "LOCATION_NAME", "GEOGRAPHICAL_DISTRICT_CODE", "MANAGED_BY_NAME"),
    *("PRIMARY_ADDRESS_LINE_1", "LATITUDE", "LONGITUDE"),
)
GRADE_COLUMNS: tuple[str, ...] = ("Num_PK", "Num_K", *(f"Num_G{g}" for g in range(1, 13)))
_GRADES: tuple[int, ...] = (-1, 0, *range(1, 13))  # PK = -1, K = 0
DEMOGRAPHIC_COLUMNS: tuple[str, ...] = (
    *("DBN", "School", "Year", "Total Enrollment", *GRADE_COLUMNS, "Female", "Male", "Asian", "Black"),
    *("Hispanic", "Multiple", "White", "Disability", "ELL", "Poverty", "Need_Index"),
)
DEMOGRAPHIC_REQUIRED: tuple[str, ...] = (
    "DBN",
    "School",
    "Year",
    "Total Enrollment",
    *GRADE_COLUMNS,
    "Need_Index",
)
SQR_REQUIRED: tuple[str, ...] = ("School Name",)
# SQR sheets, best first when two sheets of one year give the same value.
SQR_SHEETS: tuple[str, ...] = (
    "student_achievement",
    "summary",
    "additional_info",
    "closing_the_achievement_gap",
)

_DBN = re.compile(r"^\d{2}[MXKQR]\d{3}$")
_LOCATION_CODE = re.compile(r"^[A-Z0-9]{4}$")
_SCHOOL_LOCATION = re.compile(r"^[MXKQR]\d{3}$")
_OFFICE_NAME = re.compile(r"^District \d+ Superintendent Office$", re.IGNORECASE)
_NAME_YEAR = re.compile(r"(?<!\d)(20\d{2})[_-](\d{2})(?!\d)")
_TARGET_YEAR = re.compile(r"Target For (20\d{2})\b")
_MANAGED_BY: dict[str, str] = {"charter": "charter", "doe": "public"}
# DBN district codes that are not geographical: 75 citywide special education, 84 charter schools.
_SPECIAL_DISTRICT = "75"
_CHARTER_DISTRICT = "84"

Rank = tuple[Any, ...]


# ----------------------------------------------------------------------------------------------------------
# Recognition


def _score(header: set[str], columns: tuple[str, ...]) -> float:
    return sum(1 for c in columns if c in header) / len(columns)


def recognise(header: list[str]) -> str | None:
    """``locations``, ``demographics``, ``sqr`` or None."""
    present = set(header)
    if "LOCATION_CODE" in present and _score(present, LOCATION_COLUMNS) >= 0.5:
        return "locations"
    if "DBN" in present and _score(present, DEMOGRAPHIC_COLUMNS) >= 0.5:
        return "demographics"
    if ("DBN" in present or "dbn" in present) and (
        "School Name" in present or any(v in present for m in SQR_MEASURES for v, _n in m.columns)
    ):
        return "sqr"
    return None


def _unrecognised(name: str) -> ImportFileError:
    return ImportFileError(
        name,
        "not a recognised NYC file: expected columns of the school locations file "
        f"({', '.join(LOCATION_REQUIRED)}), of the demographic snapshot "
        f"({', '.join(DEMOGRAPHIC_REQUIRED[:4])}, "
        "Num_PK … Num_G12, Need_Index) or of a High School Quality Report (DBN or dbn, School Name)",
    )


def sqr_year(name: str, header: list[str], options: ParseOptions) -> int:
    """The school year of an SQR file: from its name (``…_2018_19…``), its target columns, or the options."""
    match = _NAME_YEAR.search(name)
    if match:
        year = school_year_end(f"{match.group(1)}-{match.group(2)}")
        if year:
            return year
    for column in header:
        target = _TARGET_YEAR.search(column)
        if target:
            return int(target.group(1))
    if options.year:
        return options.year
    raise ImportFileError(
        name,
        "the school year of this School Quality Report file is not known: name the file with its year "
        "(e.g. nyc_hs_sqr_2018_19_summary.csv) or give the year option",
    )


def sqr_sheet(name: str) -> str:
    lowered = name.lower()
    for sheet in SQR_SHEETS:
        if sheet in lowered:
            return sheet
    return ""


# ----------------------------------------------------------------------------------------------------------
# Merging


class _Acc:
    __slots__ = ("cells", "code", "fields", "identifiers", "origin", "years")

    def __init__(self, code: str) -> None:
        self.code = code
        self.fields: dict[str, tuple[Rank, Any]] = {}
        self.identifiers: dict[str, tuple[Rank, str]] = {}
        self.years: dict[tuple[int, str], tuple[Rank, Any]] = {}
        self.cells: dict[tuple[str, int], tuple[Rank, OutcomeCell]] = {}
        self.origin: tuple[Rank, str, int] | None = None

    def put(self, name: str, value: Any, rank: Rank) -> None:
        if value is None or value == "":
            return
        old = self.fields.get(name)
        if old is None or rank < old[0]:
            self.fields[name] = (rank, value)

    def put_identifier(self, scheme: str, value: str, rank: Rank) -> None:
        old = self.identifiers.get(scheme)
        if old is None or rank < old[0]:
            self.identifiers[scheme] = (rank, value)

    def put_year(self, year: int, name: str, value: Any, rank: Rank) -> None:
        if value is None:
            return
        old = self.years.get((year, name))
        if old is None or rank < old[0]:
            self.years[(year, name)] = (rank, value)

    def put_cell(self, cell: OutcomeCell, rank: Rank) -> None:
        key = (cell.indicator, cell.year)
        old = self.cells.get(key)
        if old is None:
            self.cells[key] = (rank, cell)
            return
        best_rank, best = (rank, cell) if rank < old[0] else old
        other = old[1] if best is cell else cell
        if best.cohort is None and other.cohort is not None and best.value == other.value:
            best = OutcomeCell(best.indicator, best.year, best.value, other.cohort, best.suppressed)
        self.cells[key] = (best_rank, best)

    def touch(self, rank: Rank, file: str, row: int) -> None:
        if self.origin is None or rank < self.origin[0]:
            self.origin = (rank, file, row)


def _record(acc: _Acc) -> OrgRecord:
    origin = acc.origin or ((), "", 0)
    found = {name: value for name, (_rank, value) in acc.fields.items()}
    found["status"] = "open"
    fields = {name: found[name] for name in ORGANISATION_FIELDS if name in found}
    years: dict[int, dict[str, Any]] = {}
    for (year, name), (_rank, value) in sorted(acc.years.items()):
        years.setdefault(year, {"enrolment": None, "ses_index": None})[name] = value
    return OrgRecord(
        scheme="nyc_location",
        identifier=acc.code,
        file=origin[1],
        row=origin[2],
        identifiers={scheme: value for scheme, (_rank, value) in acc.identifiers.items()},
        fields=fields,
        years=years,
        outcomes=[cell for _key, (_rank, cell) in sorted(acc.cells.items())],
    )


def grades_phase(grades: list[int]) -> str | None:
    """The phase of a school serving these grades (PK = -1, K = 0, 1 … 12)."""
    if not grades:
        return None
    low, high = min(grades), max(grades)
    if low >= 9:
        return "secondary"
    if low >= 5:
        return "middle" if high <= 8 else "secondary"  # 6-8 (5-8) middle; 6-12 secondary
    if high <= 6:
        return "primary"  # PK-5, K-5, K-6, pre-K centres
    return "all_through"  # K-8, K-12


# ----------------------------------------------------------------------------------------------------------


class _Parser(PaddedRows):
    def __init__(self, options: ParseOptions, progress: Progress) -> None:
        self.options = options
        self.progress = progress
        self.result = ParseResult(ses_label=SES_LABEL, ses_higher_is_advantaged=False)
        self.accs: dict[str, _Acc] = {}
        self.read = 0

    # -- plumbing

    def index(self, table: Table, required: tuple[str, ...], summary: FileSummary) -> dict[str, int]:
        """Column positions; a missing required column is reported and points at the empty last cell."""
        positions: dict[str, int] = {}
        for i, name in enumerate(table.header):
            positions.setdefault(name, i)
        for column in required:
            if column not in positions:
                self.result.rejections.append(
                    Rejection(summary.name, 1, column, "", "required column is missing")
                )
                positions[column] = len(table.header)
        return positions

    def reject(self, summary: FileSummary, row: int, errors: Errors) -> None:
        summary.rejected += 1
        for column, value, reason in errors:
            self.result.rejections.append(Rejection(summary.name, row, column, value, reason))

    def skip(self, summary: FileSummary, row: int, rule: str) -> None:
        summary.skipped += 1
        self.result.skips.append(Skip(summary.name, row, rule))

    def acc(self, code: str) -> _Acc:
        acc = self.accs.get(code)
        if acc is None:
            acc = self.accs[code] = _Acc(code)
        return acc

    # -- files

    def locations(self, table: Table, summary: FileSummary) -> None:
        col = self.index(table, LOCATION_REQUIRED, summary)
        i_code, i_name, i_district = (
            col["LOCATION_CODE"],
            col["LOCATION_NAME"],
            col["GEOGRAPHICAL_DISTRICT_CODE"],
        )
        i_managed, i_address = col["MANAGED_BY_NAME"], col["PRIMARY_ADDRESS_LINE_1"]
        i_lat, i_lon = col["LATITUDE"], col["LONGITUDE"]
        first: dict[str, tuple[int, list[str]]] = {}
        file = summary.name
        for number, cells in self.rows(table, summary):
            code = cells[i_code].strip().upper()
            name = cells[i_name].strip()
            errors: Errors = []
            if not _LOCATION_CODE.match(code):
                errors.append(
                    ("LOCATION_CODE", cells[i_code].strip(), "not a location code (4 letters or digits)")
                )
                self.reject(summary, number, errors)
                continue
            if not _SCHOOL_LOCATION.match(code) or _OFFICE_NAME.match(name):
                self.skip(summary, number, "nyc-not-a-school-location")
                continue
            earlier = first.get(code)
            if earlier is not None:
                if earlier[1] == cells:
                    self.skip(summary, number, "nyc-additional-location-row")
                else:
                    errors.append(
                        (
                            "LOCATION_CODE",
                            code,
                            f"duplicate location code with different values: already on row {earlier[0]}",
                        )
                    )
                    self.reject(summary, number, errors)
                continue
            first[code] = (number, cells)
            district = _district_number(cells[i_district], "GEOGRAPHICAL_DISTRICT_CODE", errors)
            lat = _coordinate(cells[i_lat], "LATITUDE", errors)
            lon = _coordinate(cells[i_lon], "LONGITUDE", errors)
            if not name and i_name < len(table.header):
                errors.append(("LOCATION_NAME", "", "the school name is empty"))
            if errors:
                self.reject(summary, number, errors)
                continue
            summary.imported += 1
            acc = self.acc(code)
            rank: Rank = (0, 0, file, number)
            acc.touch(rank, file, number)
            acc.put("name", name, rank)
            acc.put("address", " ".join(cells[i_address].split()), rank)
            acc.put("district", district, rank)
            acc.put("latitude", lat, rank)
            acc.put("longitude", lon, rank)
            acc.put("school_type", _MANAGED_BY.get(cells[i_managed].strip().lower()), rank)

    def demographics(self, table: Table, summary: FileSummary) -> None:
        col = self.index(table, DEMOGRAPHIC_REQUIRED, summary)
        i_dbn, i_name, i_year = col["DBN"], col["School"], col["Year"]
        i_enrol, i_need = col["Total Enrollment"], col["Need_Index"]
        grade_columns = [(col[c], c, g) for c, g in zip(GRADE_COLUMNS, _GRADES, strict=True)]
        seen: dict[tuple[str, int], tuple[int, str]] = {}
        file = summary.name
        for number, cells in self.rows(table, summary):
            errors: Errors = []
            dbn = cells[i_dbn].strip().upper()
            if not _DBN.match(dbn):
                errors.append(
                    ("DBN", cells[i_dbn].strip(), "not a DBN (district, borough letter, number: 01M015)")
                )
            year_text = cells[i_year].strip()
            year = school_year_end(year_text)
            if year is None:
                errors.append(("Year", year_text, "not a school year (e.g. 2014-15)"))
            elif not errors:
                _check_duplicate(seen, (dbn[2:], year), dbn, number, errors)
            enrolment = count_cell(cells[i_enrol], "Total Enrollment", errors)
            need = _fraction(cells[i_need], "Need_Index", errors)
            grades = []
            for i, column, grade in grade_columns:
                if count_cell(cells[i], column, errors):
                    grades.append(grade)
            if errors or year is None:
                self.reject(summary, number, errors)
                continue
            summary.imported += 1
            acc = self.acc(dbn[2:])
            rank: Rank = (2, -year, file, number)
            acc.touch(rank, file, number)
            acc.put("name", cells[i_name].strip(), rank)
            self.dbn_fields(acc, dbn, year, rank)
            acc.put("phase", grades_phase(grades), (0, -year, file, number))
            acc.put_year(year, "enrolment", enrolment, (0, file, number))
            acc.put_year(year, "ses_index", need, (0, file, number))

    def dbn_fields(self, acc: _Acc, dbn: str, year: int, rank: Rank) -> None:
        """What a DBN says: the identifier, the district (or charter / special education district)."""
        acc.put_identifier("dbn", dbn, (-year, *rank))
        district = dbn[:2]
        later = (1, -year, *rank[2:])  # after the locations file
        acc.put("district", f"District {district}", later)
        acc.put("school_type", "charter" if district == _CHARTER_DISTRICT else "public", later)
        if district == _SPECIAL_DISTRICT:
            acc.put("phase", "special", (-1, -year, *rank[2:]))

    def sqr(self, table: Table, summary: FileSummary, year: int) -> None:
        col = self.index(table, SQR_REQUIRED, summary)
        i_dbn = col["DBN"] if "DBN" in col else col["dbn"]
        i_name = col["School Name"]
        measures: list[tuple[str, int, str, int | None, str]] = []
        for measure in SQR_MEASURES:
            for value_column, count_column in measure.columns:
                if value_column in col:
                    i_count = col.get(count_column) if count_column else None
                    measures.append((measure.code, col[value_column], value_column, i_count, count_column))
                    break
        i_enrol = next((col[c] for c in SQR_ENROLMENT if c in col), None)
        need_column = next((c for c in SQR_NEED_INDEX if c in col), "")
        i_need = col.get(need_column)
        sheet = sqr_sheet(summary.name)
        priority = SQR_SHEETS.index(sheet) if sheet else len(SQR_SHEETS)
        seen: dict[tuple[str, int], tuple[int, str]] = {}
        file = summary.name
        dbn_column = table.header[i_dbn]
        for number, cells in self.rows(table, summary):
            errors: Errors = []
            dbn = cells[i_dbn].strip().upper()
            if not _DBN.match(dbn):
                errors.append(
                    (dbn_column, cells[i_dbn].strip(), "not a DBN (district, borough letter, number: 01M015)")
                )
            else:
                _check_duplicate(seen, (dbn[2:], year), dbn, number, errors, dbn_column)
            outcomes: list[OutcomeCell] = []
            for code, i, column, i_count, count_column in measures:
                text = cells[i]
                if code == _RATING_CODE:
                    rating = text.strip().lower()
                    marker = marker_kind(text)
                    if rating in _RATINGS:
                        outcomes.append(OutcomeCell(code, year, _RATINGS[rating]))
                    elif marker == "suppressed":
                        outcomes.append(OutcomeCell(code, year, None, suppressed=True))
                    elif marker is None:
                        errors.append((column, text.strip(), "not a rating (Not Meeting … Exceeding Target)"))
                    continue
                cell = _percent_cell(text, column, errors)
                if cell is None or (cell.value is None and not cell.suppressed):
                    continue
                cohort = count_cell(cells[i_count], count_column, errors) if i_count is not None else None
                outcomes.append(OutcomeCell(code, year, cell.value, cohort, cell.suppressed))
            enrolment = (
                count_cell(cells[i_enrol], table.header[i_enrol], errors) if i_enrol is not None else None
            )
            need = _fraction(cells[i_need], need_column, errors) if i_need is not None else None
            if errors:
                self.reject(summary, number, errors)
                continue
            summary.imported += 1
            acc = self.acc(dbn[2:])
            rank: Rank = (1, -year, file, number)
            acc.touch(rank, file, number)
            acc.put("name", cells[i_name].strip(), rank)
            self.dbn_fields(acc, dbn, year, rank)
            acc.put("phase", "secondary", rank)
            acc.put_year(year, "enrolment", enrolment, (1, file, number))
            acc.put_year(year, "ses_index", need, (1, file, number))
            cell_rank: Rank = (priority, file, number)
            for outcome in outcomes:
                acc.put_cell(outcome, cell_rank)

    # -- driver

    def run(self, sources: list[Source]) -> ParseResult:
        opened: list[tuple[Table, str, FileSummary, int]] = []
        for source in sources:
            table = open_table(source, encoding=self.options.encoding, delimiter=self.options.delimiter)
            kind = recognise(table.header)
            if kind is None:
                raise _unrecognised(source.name)
            year = sqr_year(source.name, table.header, self.options) if kind == "sqr" else 0
            label = kind
            if kind == "sqr":
                sheet = sqr_sheet(source.name)
                label = f"sqr_{sheet}" if sheet else "sqr"
            summary = FileSummary(source.name, label)
            self.result.files.append(summary)
            opened.append((table, kind, summary, year))
        # A fixed reading order (and ranks on every value) keep the records independent of the files' order.
        order = {"locations": 0, "sqr": 1, "demographics": 2}
        opened.sort(key=lambda item: (order[item[1]], item[2].name))
        for table, kind, summary, year in opened:
            if kind == "locations":
                self.locations(table, summary)
            elif kind == "demographics":
                self.demographics(table, summary)
            else:
                self.sqr(table, summary, year)
        self.progress(self.read)
        records = [_record(self.accs[code]) for code in sorted(self.accs)]
        self.result.records = records
        used = {cell.indicator for record in records for cell in record.outcomes}
        self.result.indicators = {code: d for code, d in INDICATORS.items() if code in used}
        return self.result


def _check_duplicate(
    seen: dict[tuple[str, int], tuple[int, str]],
    key: tuple[str, int],
    dbn: str,
    row: int,
    errors: Errors,
    column: str = "DBN",
) -> None:
    """One row per school and year: a second row for the same location code and year is rejected."""
    earlier = seen.get(key)
    if earlier is None:
        seen[key] = (row, dbn)
    elif earlier[1] == dbn:
        errors.append((column, dbn, f"duplicate DBN for the same year: already on row {earlier[0]}"))
    else:
        errors.append(
            (column, dbn, f"same location code as DBN {earlier[1]} on row {earlier[0]} for the same year")
        )


def _percent_cell(text: str, column: str, errors: Errors) -> Cell | None:
    """A 0–1 fraction (or ``43%``) as a percentage cell; None when rejected."""
    try:
        fraction = float(text)  # the fast path: most cells are plain fractions
    except ValueError:
        fraction = math.nan
    if 0 <= fraction <= 1 and "_" not in text:
        return Cell(round(fraction * 100, 10))
    try:
        cell = parse_number(text, percent_scale=100.0)
    except CellError as exc:
        errors.append((column, text.strip(), str(exc)))
        return None
    if cell.value is not None and not 0 <= cell.value <= 100:
        errors.append((column, text.strip(), f"{text.strip()!r} is not a fraction (0–1) or a percentage"))
        return None
    return cell


def _fraction(text: str, column: str, errors: Errors) -> float | None:
    cell = _percent_cell(text, column, errors)
    return cell.value if cell is not None else None


def _district_number(text: str, column: str, errors: Errors) -> str | None:
    number = count_cell(text, column, errors)
    return f"District {number:02d}" if number else None  # 0 = not known


def _coordinate(text: str, column: str, errors: Errors) -> float | None:
    try:
        return parse_coordinate(text, axis=column.lower())
    except CellError as exc:
        errors.append((column, text.strip(), str(exc)))
        return None


def parse(sources: list[Source], options: ParseOptions, progress: Progress = no_progress) -> ParseResult:
    """Parse NYC DOE files (any order) into one record per school location; see the module docstring."""
    collecting = gc.isenabled()
    gc.disable()  # the parse builds many small objects and no cycles: skip the collector's repeated scans
    try:
        return _Parser(options, progress).run(sources)
    finally:
        if collecting:
            gc.enable()


__all__ = ["FORMAT", "INDICATORS", "RULES", "SQR_MEASURES", "grades_phase", "parse", "recognise"]
