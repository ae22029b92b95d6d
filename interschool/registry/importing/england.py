"""Format ``england``: DfE performance tables (KS2, KS4, KS5 results), the January census and LA codes.

Files are recognised by their header, in any order. Records are keyed by ``("urn", URN)``; every file's rows
for the same URN merge into one record. The LA code list is read first, then the results files (which name the
schools), then the census, whose rows only add enrolment, free-school-meals share and LA name to schools that
a results file of the same import names.
"""

from __future__ import annotations

import gc
import math
import re
from dataclasses import dataclass
from math import isfinite
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
    CellError,
    Errors,
    count_cell,
    parse_coordinate,
    parse_number,
    quick_number,
)

FORMAT = "england"
# The performance tables and census delivered are for 2018/19 (census January 2019); options.year overrides.
DEFAULT_YEAR = 2019
SES_LABEL = "Pupils eligible for free school meals in the last 6 years (%)"
PROGRESS_EVERY = 1000

RULES: dict[str, str] = {
    "england-la-total": (
        "A local-authority total row (RECTYPE 4) of a results file: it describes an LA, not a school."
    ),
    "england-national-total": (
        "An England total row (RECTYPE 5 or 7 in a results file, URN `NAT` in the census): it describes the "
        "country, not a school."
    ),
    "england-census-school-not-in-results": (
        "A census row for a school that no results file of the same import lists: the census has no school "
        "names, so it cannot describe an organisation on its own."
    ),
}

INDICATORS: dict[str, IndicatorDef] = {
    d.code: d
    for d in (
        IndicatorDef(
            "eng_ks2_reading_progress", "KS2 reading progress score", "reading", "score", phase="primary"
        ),
        IndicatorDef(
            "eng_ks2_writing_progress", "KS2 writing progress score", "writing", "score", phase="primary"
        ),
        IndicatorDef("eng_ks2_maths_progress", "KS2 maths progress score", "maths", "score", phase="primary"),
        IndicatorDef("eng_ks4_attainment8", "Attainment 8 score", "", "points", True, "secondary"),
        IndicatorDef("eng_ks4_progress8", "Progress 8 score", "", "score", True, "secondary"),
        IndicatorDef(
            "eng_ks4_eng_maths_grade5",
            "Pupils achieving grade 5 or above in English and maths GCSEs (%)",
            "English and maths",
            "%",
            True,
            "secondary",
        ),
        IndicatorDef(
            "eng_ks4_ebacc_entry", "Pupils entering the English Baccalaureate (%)", "", "%", True, "secondary"
        ),
        IndicatorDef(
            "eng_ks4_ebacc_aps", "English Baccalaureate average point score", "", "points", True, "secondary"
        ),
        IndicatorDef("eng_ks5_alevel_value_added", "A level value added score", "", "score", True, "post16"),
        IndicatorDef(
            "eng_ks5_alevel_aps", "A level average point score per entry", "", "points", True, "post16"
        ),
    )
}

_URN = re.compile(r"^\d{5,7}$")
_LA_CODE = re.compile(r"^\d{3}$")
_SCHTYPE: dict[str, str] = {
    "academy": "charter",
    "maintained school": "public",
    "special school": "public",
    "independent school": "independent",
    "college": "public",
}
# KS4 provisional NFTYPE codes: academies and free schools (incl. UTCs, studio schools, CTCs), maintained
# schools, FE colleges, independent schools; a trailing S marks a special school.
_NFTYPE: dict[str, str] = {
    **dict.fromkeys(("AC", "ACC", "ACS", "ACCS", "F", "FS", "UTC", "SS", "CTC"), "charter"),
    **dict.fromkeys(("CY", "CYS", "VA", "VC", "FD", "FDS", "NMSS", "FESI"), "public"),
    **dict.fromkeys(("IND", "INDSPEC"), "independent"),
}
_NFTYPE_SPECIAL = frozenset({"ACS", "ACCS", "CYS", "FDS", "FS", "NMSS", "INDSPEC"})
_PHASE_COLUMN: dict[str, str] = {
    "primary": "primary",
    "middle deemed primary": "primary",
    "secondary": "secondary",
    "middle deemed secondary": "secondary",
    "post16": "post16",
    "16 plus": "post16",
    "all-through": "all_through",
    "all through": "all_through",
    "special": "special",
}
_NO_FAITH = frozenset({"", "does not apply", "none", "no religious character"})


@dataclass(frozen=True)
class _Kind:
    code: str
    label: str
    key: str
    columns: tuple[str, ...]  # the documented header
    required: tuple[str, ...]  # the columns this parser reads; missing ones are reported on row 1
    phase: str = ""
    # (column, indicator, cohort column or "") of the outcome values
    outcomes: tuple[tuple[str, str, str], ...] = ()


_SCHOOL_COLS = ("RECTYPE", "URN", "SCHNAME", "PCODE", "PCODE2", "TOWN")
_AUTHOR_COLS = ("OFSTEDRATING", "INSPECTIONDT", "WEB", "SCHTYPE")
_PLACE_COLS = ("RELIGION", "LATITUDE", "LONGITUDE", "PHASE")
_RESULT_REQUIRED = (
    *("RECTYPE", "URN", "SCHNAME", "PCODE", "TOWN"),
    *("SCHTYPE", "RELIGION", "LATITUDE", "LONGITUDE"),
)

KS2 = _Kind(
    "ks2",
    "KS2 results",
    "URN",
    (
        *_SCHOOL_COLS,
        *("READPROG", "READPROG_DESCR", "WRITPROG", "WRITPROG_DESCR", "MATPROG", "MATPROG_DESCR"),
        *_AUTHOR_COLS,
        "GENDER",
        *_PLACE_COLS,
    ),
    (*_RESULT_REQUIRED, "READPROG", "WRITPROG", "MATPROG"),
    phase="primary",
    outcomes=(
        ("READPROG", "eng_ks2_reading_progress", ""),
        ("WRITPROG", "eng_ks2_writing_progress", ""),
        ("MATPROG", "eng_ks2_maths_progress", ""),
    ),
)
KS4 = _Kind(
    "ks4",
    "KS4 results",
    "URN",
    (
        *_SCHOOL_COLS,
        *("P8MEA", "P8_BANDING", "ATT8SCR", "PTL2BASICS_95", "PTEBACC_E_PTQ_EE", "EBACCAPS"),
        *_AUTHOR_COLS,
        "GRAMMAR",
        "GENDER",
        *_PLACE_COLS,
    ),
    (*_RESULT_REQUIRED, "P8MEA", "ATT8SCR", "PTL2BASICS_95", "PTEBACC_E_PTQ_EE", "EBACCAPS"),
    phase="secondary",
    outcomes=(
        ("ATT8SCR", "eng_ks4_attainment8", ""),
        ("P8MEA", "eng_ks4_progress8", ""),
        ("PTL2BASICS_95", "eng_ks4_eng_maths_grade5", ""),
        ("PTEBACC_E_PTQ_EE", "eng_ks4_ebacc_entry", ""),
        ("EBACCAPS", "eng_ks4_ebacc_aps", ""),
    ),
)
KS5 = _Kind(
    "ks5",
    "KS5 results",
    "URN",
    (
        *_SCHOOL_COLS,
        *("VA_INS_ALEV", "PROGRESS_BAND_ALEV", "TALLPPE_ALEV_1618", "TALLPPEGRD_ALEV_1618"),
        *_AUTHOR_COLS,
        "GRAMMAR",
        "GENDER",
        *_PLACE_COLS,
    ),
    (*_RESULT_REQUIRED, "VA_INS_ALEV", "TALLPPE_ALEV_1618"),
    phase="post16",
    outcomes=(
        ("VA_INS_ALEV", "eng_ks5_alevel_value_added", ""),
        ("TALLPPE_ALEV_1618", "eng_ks5_alevel_aps", ""),
    ),
)
KS4_PROVISIONAL = _Kind(
    "ks4_provisional",
    "KS4 provisional results",
    "URN",
    (
        *("RECTYPE", "LEA", "ESTAB", "URN", "SCHNAME", "ICLOSE", "NFTYPE", "TPUP", "ATT8SCR", "P8PUP"),
        *("TP8ADJ", "P8MEA", "P8CILOW", "P8CIUPP", "P8MEA_ORIG", "P8CILOW_ORIG", "P8CIUPP_ORIG"),
        *("PTL2BASICS_94", "PTL2BASICS_95", "EBACCAPS", "PTEBACC_E_PTQ_EE", "PTEBACC_94", "PTEBACC_95"),
        *("PT5EM_94", "P8_BANDING"),
    ),
    (
        *("RECTYPE", "LEA", "URN", "SCHNAME", "NFTYPE", "TPUP", "ATT8SCR", "P8PUP", "P8MEA"),
        *("PTL2BASICS_95", "EBACCAPS", "PTEBACC_E_PTQ_EE"),
    ),
    phase="secondary",
    outcomes=(
        ("ATT8SCR", "eng_ks4_attainment8", "TPUP"),
        ("P8MEA", "eng_ks4_progress8", "P8PUP"),
        ("PTL2BASICS_95", "eng_ks4_eng_maths_grade5", "TPUP"),
        ("PTEBACC_E_PTQ_EE", "eng_ks4_ebacc_entry", "TPUP"),
        ("EBACCAPS", "eng_ks4_ebacc_aps", "TPUP"),
    ),
)
LA_CODES = _Kind(
    "la_codes", "LA codes", "LEA", ("LEA", "LA Name", "REGION", "REGION NAME"), ("LEA", "LA Name")
)
CENSUS = _Kind(
    "census",
    "school census",
    "URN",
    (
        *("URN", "LA", "ESTAB", "SCHOOLTYPE", "NOR", "NORG", "NORB", "PNORG", "PNORB", "TSENELSE"),
        *("PSENELSE", "TSENELK", "PSENELK", "NUMEAL", "NUMENGFL", "NUMUNCFL", "PNUMEAL", "PNUMENGFL"),
        *("PNUMUNCFL", "NUMFSM", "NUMFSMEVER", "PNUMFSMEVER"),
    ),
    ("URN", "LA", "NOR", "PNUMFSMEVER"),
)
KINDS: tuple[_Kind, ...] = (KS4, KS2, KS5, KS4_PROVISIONAL, LA_CODES, CENSUS)
# The order in which files are read: the LA names first (a lookup), then the results files, the best first
# (the first value found wins), then the census, whose rows only apply to schools of the results files.
_ORDER: tuple[_Kind, ...] = (LA_CODES, KS4, KS2, KS5, KS4_PROVISIONAL, CENSUS)
_RESULT_KINDS = (KS4, KS2, KS5, KS4_PROVISIONAL)


def recognise(header: list[str]) -> _Kind | None:
    """The kind whose documented columns the header holds most of (at least half, its key included)."""
    present = set(header)
    best: _Kind | None = None
    best_score = 0.5
    for kind in KINDS:
        if kind.key not in present:
            continue
        score = sum(1 for c in kind.columns if c in present) / len(kind.columns)
        if score >= best_score and (best is None or score > best_score):
            best, best_score = kind, score
    return best


def _unrecognised(name: str) -> ImportFileError:
    expected = "; ".join(f"{k.label} ({', '.join(k.required)})" for k in KINDS)
    return ImportFileError(name, f"not a recognised England file: expected columns of one of: {expected}")


# ----------------------------------------------------------------------------------------------------------
# Merging. Files are processed in a fixed order (_ORDER; files of one kind by name), so "the first value
# written wins" gives the same records whatever the order in which the files were given.


class _Acc:
    __slots__ = ("cells", "fields", "file", "identifier", "la_name", "phases", "row", "years")

    def __init__(self, identifier: str, file: str, row: int) -> None:
        self.identifier = identifier
        self.file = file  # the first (highest-priority) row that described the school
        self.row = row
        self.fields: dict[str, Any] = {}
        self.cells: dict[tuple[str, int], OutcomeCell] = {}
        self.phases: set[str] = set()
        self.years: dict[int, dict[str, Any]] = {}
        self.la_name = ""

    def put_cell(self, cell: OutcomeCell) -> None:
        key = (cell.indicator, cell.year)
        old = self.cells.get(key)
        if old is None:
            self.cells[key] = cell
        elif old.cohort is None and cell.cohort is not None and old.value == cell.value:
            self.cells[key] = OutcomeCell(old.indicator, old.year, old.value, cell.cohort, old.suppressed)


def _combine_phase(phases: set[str]) -> str | None:
    if "special" in phases:
        return "special"
    if "all_through" in phases or ("primary" in phases and ("secondary" in phases or "post16" in phases)):
        return "all_through"
    for phase in ("primary", "middle", "secondary", "post16"):
        if phase in phases:
            return phase
    return None


def _record(acc: _Acc) -> OrgRecord:
    found = acc.fields
    if acc.la_name:
        found["district"] = acc.la_name
    phase = _combine_phase(acc.phases)
    if phase:
        found["phase"] = phase
    found["status"] = "open"
    fields = {name: found[name] for name in ORGANISATION_FIELDS if name in found}
    cells = acc.cells
    return OrgRecord(
        scheme="urn",
        identifier=acc.identifier,
        file=acc.file,
        row=acc.row,
        fields=fields,
        years=acc.years,
        outcomes=[cells[key] for key in sorted(cells)],
    )


# ----------------------------------------------------------------------------------------------------------


class _Parser(PaddedRows):
    def __init__(self, options: ParseOptions, progress: Progress) -> None:
        self.options = options
        self.progress = progress
        self.year = options.year or DEFAULT_YEAR
        self.result = ParseResult(ses_label=SES_LABEL, ses_higher_is_advantaged=False)
        self.accs: dict[str, _Acc] = {}
        self.la_names: dict[str, str] = {}
        self.read = 0

    # -- plumbing

    def index(self, table: Table, kind: _Kind, summary: FileSummary) -> dict[str, int]:
        """Column positions; a missing column points at the always-empty cell after the last column."""
        positions: dict[str, int] = {}
        for i, name in enumerate(table.header):
            positions.setdefault(name, i)
        blank = len(table.header)
        for column in (*kind.required, *kind.columns):
            if column not in positions:
                if column in kind.required:
                    self.result.rejections.append(
                        Rejection(summary.name, 1, column, "", "required column is missing")
                    )
                positions[column] = blank
        return positions

    def reject(self, summary: FileSummary, row: int, errors: Errors) -> None:
        summary.rejected += 1
        for column, value, reason in errors:
            self.result.rejections.append(Rejection(summary.name, row, column, value, reason))

    def skip(self, summary: FileSummary, row: int, rule: str) -> None:
        summary.skipped += 1
        self.result.skips.append(Skip(summary.name, row, rule))

    # -- files

    def results(self, table: Table, kind: _Kind, summary: FileSummary) -> None:
        col = self.index(table, kind, summary)
        i_rectype, i_urn, i_name = col["RECTYPE"], col["URN"], col["SCHNAME"]
        i_pcode, i_town, i_schtype = col.get("PCODE"), col.get("TOWN"), col.get("SCHTYPE")
        i_religion, i_phase = col.get("RELIGION"), col.get("PHASE")
        i_lat, i_lon = col.get("LATITUDE"), col.get("LONGITUDE")
        i_lea, i_nftype = col.get("LEA"), col.get("NFTYPE")
        measures = [
            (col[c], c, code, col[n] if n else None, n, INDICATORS[code].unit == "%")
            for c, code, n in kind.outcomes
        ]
        seen: dict[str, int] = {}
        accs = self.accs
        la_names = self.la_names
        year = self.year
        file = summary.name
        for number, cells in self.rows(table, summary):
            rectype = cells[i_rectype].strip()
            if rectype == "4":
                self.skip(summary, number, "england-la-total")
                continue
            if rectype == "5" or rectype == "7":
                self.skip(summary, number, "england-national-total")
                continue
            errors: Errors = []
            if rectype not in ("1", "2", ""):
                errors.append(("RECTYPE", rectype, "not a known record type (1 school, 2 special school)"))
            urn = cells[i_urn].strip()
            if not _URN.match(urn):
                errors.append(("URN", urn, "not a URN (a 6-digit number)"))
            elif urn in seen:
                errors.append(("URN", urn, f"duplicate URN: already on row {seen[urn]}"))
            else:
                seen[urn] = number
            lat = _coordinate(cells[i_lat], "LATITUDE", errors) if i_lat is not None else None
            lon = _coordinate(cells[i_lon], "LONGITUDE", errors) if i_lon is not None else None
            values: list[OutcomeCell] = []
            for i, column, code, i_n, n_column, percent in measures:
                text = cells[i]
                value: float | None
                try:
                    figure = float(text)
                except ValueError:
                    figure = math.nan
                if isfinite(figure) and "_" not in text:
                    value, suppressed = figure, False
                else:
                    try:
                        cell = parse_number(text)
                    except CellError as exc:
                        errors.append((column, text.strip(), str(exc)))
                        continue
                    value, suppressed = cell.value, cell.suppressed
                    if value is None and not suppressed:
                        continue  # missing values are not stored
                if percent and value is not None and not 0 <= value <= 100:
                    errors.append((column, text.strip(), f"{text.strip()!r} is not a percentage (0–100)"))
                    continue
                cohort = count_cell(cells[i_n], n_column, errors) if i_n is not None else None
                values.append(OutcomeCell(code, year, value, cohort, suppressed))
            if errors:
                self.reject(summary, number, errors)
                continue
            summary.imported += 1
            acc = accs.get(urn)
            if acc is None:
                acc = accs[urn] = _Acc(urn, file, number)
            fields = acc.fields
            _put(fields, "name", cells[i_name])
            if i_pcode is not None:
                _put(fields, "postcode", cells[i_pcode])
            if i_town is not None:
                _put(fields, "district", cells[i_town])  # the LA name, when known, replaces it
            if lat is not None:
                fields.setdefault("latitude", lat)
            if lon is not None:
                fields.setdefault("longitude", lon)
            phases = acc.phases
            if rectype == "2":
                phases.add("special")
            if i_schtype is not None:
                schtype = cells[i_schtype].strip().lower()
                school_type = _SCHTYPE.get(schtype)
                if school_type:
                    fields.setdefault("school_type", school_type)
                if schtype == "special school":
                    phases.add("special")
            if i_religion is not None:
                religion = cells[i_religion].strip()
                if religion.lower() not in _NO_FAITH:
                    fields.setdefault("community", religion)
            phase = _PHASE_COLUMN.get(cells[i_phase].strip().lower()) if i_phase is not None else None
            phases.add(phase or kind.phase)
            if i_nftype is not None:
                nftype = cells[i_nftype].strip().upper()
                school_type = _NFTYPE.get(nftype)
                if school_type:
                    fields.setdefault("school_type", school_type)
                if nftype in _NFTYPE_SPECIAL:
                    phases.add("special")
            if i_lea is not None and not acc.la_name:
                acc.la_name = la_names.get(cells[i_lea].strip(), "")
            for outcome in values:
                acc.put_cell(outcome)

    def la_codes(self, table: Table, kind: _Kind, summary: FileSummary) -> None:
        col = self.index(table, kind, summary)
        i_code, i_name = col["LEA"], col["LA Name"]
        name_missing = i_name == len(table.header)
        seen: dict[str, int] = {}
        for number, cells in self.rows(table, summary):
            code = cells[i_code].strip()
            la_name = cells[i_name].strip()
            errors: Errors = []
            if not _LA_CODE.match(code):
                errors.append(("LEA", code, "not an LA code (3 digits)"))
            elif code in seen:
                errors.append(("LEA", code, f"duplicate LA code: already on row {seen[code]}"))
            else:
                seen[code] = number
            if not la_name and not name_missing:
                errors.append(("LA Name", "", "the LA name is empty"))
            if errors:
                self.reject(summary, number, errors)
                continue
            summary.imported += 1
            if la_name:
                self.la_names[code] = la_name

    def census(self, table: Table, kind: _Kind, summary: FileSummary) -> None:
        col = self.index(table, kind, summary)
        i_urn, i_la, i_nor, i_fsm = col["URN"], col["LA"], col["NOR"], col["PNUMFSMEVER"]
        seen: dict[str, int] = {}
        accs = self.accs
        la_names = self.la_names
        year = self.year
        for number, cells in self.rows(table, summary):
            urn = cells[i_urn].strip()
            if urn.upper() == "NAT":
                self.skip(summary, number, "england-national-total")
                continue
            errors: Errors = []
            if not _URN.match(urn):
                errors.append(("URN", urn, "not a URN (a 6-digit number)"))
            elif urn in seen:
                errors.append(("URN", urn, f"duplicate URN: already on row {seen[urn]}"))
            else:
                seen[urn] = number
            la = cells[i_la].strip()
            if la and not _LA_CODE.match(la):
                errors.append(("LA", la, "not an LA code (3 digits)"))
            enrolment = count_cell(cells[i_nor], "NOR", errors)
            ses = _percent(cells[i_fsm], "PNUMFSMEVER", errors)
            if errors:
                self.reject(summary, number, errors)
                continue
            acc = accs.get(urn)
            if acc is None:
                self.skip(summary, number, "england-census-school-not-in-results")
                continue
            summary.imported += 1
            la_name = la_names.get(la)
            if la_name:
                acc.la_name = la_name
            if enrolment is None and ses is None:
                continue
            entry = acc.years.setdefault(year, {"enrolment": None, "ses_index": None})
            if entry["enrolment"] is None:
                entry["enrolment"] = enrolment
            if entry["ses_index"] is None:
                entry["ses_index"] = ses

    # -- driver

    def run(self, sources: list[Source]) -> ParseResult:
        opened: list[tuple[Table, _Kind, FileSummary]] = []
        for source in sources:
            table = open_table(source, encoding=self.options.encoding, delimiter=self.options.delimiter)
            kind = recognise(table.header)
            if kind is None:
                raise _unrecognised(source.name)
            summary = FileSummary(source.name, kind.code)
            self.result.files.append(summary)
            opened.append((table, kind, summary))
        order = {kind.code: i for i, kind in enumerate(_ORDER)}
        opened.sort(key=lambda t: (order[t[1].code], t[2].name))
        for table, kind, summary in opened:
            if kind in _RESULT_KINDS:
                self.results(table, kind, summary)
            elif kind is LA_CODES:
                self.la_codes(table, kind, summary)
            else:
                self.census(table, kind, summary)
        self.progress(self.read)
        records = [_record(self.accs[urn]) for urn in sorted(self.accs)]
        self.result.records = records
        used = {cell.indicator for record in records for cell in record.outcomes}
        self.result.indicators = {code: d for code, d in INDICATORS.items() if code in used}
        return self.result


def _put(fields: dict[str, Any], name: str, text: str) -> None:
    text = text.strip()
    if text and name not in fields:
        fields[name] = text


def _coordinate(text: str, column: str, errors: Errors) -> float | None:
    axis = column.lower()
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if isfinite(value) and "_" not in text and -_LIMITS[axis] <= value <= _LIMITS[axis]:
        return value
    try:
        return parse_coordinate(text, axis=axis)
    except CellError as exc:
        errors.append((column, text.strip(), str(exc)))
        return None


_LIMITS = {"latitude": 90.0, "longitude": 180.0}


def _percent(text: str, column: str, errors: Errors) -> float | None:
    try:
        cell = quick_number(text)
    except CellError as exc:
        errors.append((column, text.strip(), str(exc)))
        return None
    if cell.value is not None and not 0 <= cell.value <= 100:
        errors.append((column, text.strip(), f"{text.strip()!r} is not a percentage (0–100)"))
        return None
    return cell.value


def parse(sources: list[Source], options: ParseOptions, progress: Progress = no_progress) -> ParseResult:
    """Parse England DfE files (any order) into one record per URN; see the module docstring."""
    collecting = gc.isenabled()
    gc.disable()  # the parse builds many small objects and no cycles: skip the collector's repeated scans
    try:
        return _Parser(options, progress).run(sources)
    finally:
        if collecting:
            gc.enable()


__all__ = ["FORMAT", "INDICATORS", "RULES", "parse", "recognise"]
