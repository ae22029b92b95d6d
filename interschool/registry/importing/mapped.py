"""The ``csv`` and ``xlsx`` formats: any school file whose columns are described by a JSON mapping.

The mapping (``ParseOptions.mapping``) says which column holds the identifier, the name and every other
organisation field, how coded values translate into Interschool's codes, which columns hold yearly
figures and outcome indicators, which cell texts mean "missing" or "suppressed", and which rows to leave
out. ``docs/importing.md`` is the reference of every key; ``CANONICAL_MAPPING`` reads the canonical school
CSV of ``docs/data-format.md``.
"""

from __future__ import annotations

import codecs
import contextlib
import copy
import dataclasses
import datetime as dt
import gc
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from interschool.registry.importing.reading import open_table
from interschool.registry.importing.records import (
    ORGANISATION_FIELDS,
    ORGANISATION_KINDS,
    PHASES,
    SCHEMES,
    SCHOOL_TYPES,
    STATUSES,
    SUPPORT_DOMAINS,
    URBAN_RURAL,
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
    MISSING_MARKERS,
    SUPPRESSED_MARKERS,
    CellError,
    parse_number,
    school_year_end,
)

MAPPING_VERSION = 1
# Skip rule of a row dropped by one of the mapping's filters: "mapping-filter:<filter name>".
FILTER_RULE = "mapping-filter"
PROGRESS_EVERY = 1000
FORMAT = "mapped"  # the kind of every file in FileSummary
RULES: dict[str, str] = {
    f"{FILTER_RULE}:<name>": (
        'A row left out by the filter called <name> in the mapping\'s "filters" (for example '
        "mapping-filter:open-only for a filter that keeps only open schools)."
    ),
}

TEXT_FIELDS: tuple[str, ...] = ("name", "address", "postcode", "district", "community", "language")
CODE_FIELDS: dict[str, tuple[str, ...]] = {
    "kind": ORGANISATION_KINDS,
    "status": STATUSES,
    "phase": PHASES,
    "school_type": SCHOOL_TYPES,
    "urban_rural": URBAN_RURAL,
}
DATE_FIELDS: tuple[str, ...] = ("opened_on", "closed_on")
COORDINATE_FIELDS: tuple[str, ...] = ("latitude", "longitude")
BOOL_FIELDS: tuple[str, ...] = ("accepts_online",)
INT_FIELDS: tuple[str, ...] = ("partner_capacity",)
LIST_FIELDS: tuple[str, ...] = ("strengths", "needs", "offers")
_CODE_LABELS = {
    "kind": "organisation kind",
    "status": "status",
    "phase": "phase",
    "school_type": "school type",
    "urban_rural": "urban/rural code",
}

DELIMITER_NAMES = {",": ",", ";": ";", "\t": "\t", "comma": ",", "semicolon": ";", "tab": "\t"}
TRUE_WORDS = frozenset({"true", "yes", "y", "t", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "f", "0"})
YEAR_PLACEHOLDER = "{year}"
_YEAR_TEXT = r"(\d{4}(?:[-_/–]?(?:\d{4}|\d{2}))?)"
_FILTER_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")

_TOP_KEYS = (
    "version",
    "description",
    "encoding",
    "delimiter",
    "decimal_comma",
    "markers",
    "identifier",
    "identifiers",
    "fields",
    "annual",
    "indicators",
    "outcomes",
    "filters",
)
_SPEC_KEYS = ("column", "value", "values", "unmapped")


# --------------------------------------------------------------------------------------------------------
# The canonical school CSV.

CANONICAL_MAPPING: dict[str, Any] = {
    "version": 1,
    "description": "The canonical school CSV of docs/data-format.md",
    "markers": {"missing": [""], "suppressed": ["s"], "defaults": False},
    "identifier": {"column": "school_id", "scheme": "network"},
    "fields": {
        "name": "name",
        "kind": {"value": "school"},
        "phase": "phase",
        "school_type": "type",
        "community": "community",
        "district": "district",
        "urban_rural": "urban_rural",
        "latitude": "latitude",
        "longitude": "longitude",
        "accepts_online": "accepts_online",
        "partner_capacity": "capacity",
        "strengths": {"column": "strengths", "separator": ";"},
        "needs": {"column": "needs", "separator": ";"},
    },
    "annual": {
        "year": "latest",
        "enrolment": "enrolment",
        "ses_index": {
            "column": "ses_index",
            "label": "Socio-economic index (0–100)",
            "higher_is_advantaged": True,
        },
    },
    "indicators": {
        "reading_attainment": {
            "name": "Reading attainment",
            "subject": "reading",
            "unit": "%",
            "higher_is_better": True,
        },
        "exam_pass_rate": {
            "name": "Examination pass rate",
            "subject": "examinations",
            "unit": "%",
            "higher_is_better": True,
        },
        "level3_pass_rate": {
            "name": "Level 3 pass rate",
            "subject": "level 3 qualifications",
            "unit": "%",
            "higher_is_better": True,
            "phase": "post16",
        },
        "persistent_absence": {
            "name": "Persistent absence",
            "subject": "attendance",
            "unit": "%",
            "higher_is_better": False,
        },
    },
    "outcomes": [
        {
            "indicator": {"column": "indicator", "unmapped": "reject"},
            "higher_is_better": {"column": "higher_is_better"},
            "column": "outcome_{year}",
            "cohort": "cohort_{year}",
        }
    ],
}


# --------------------------------------------------------------------------------------------------------
# Validation of the mapping itself.


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _spec(raw: object) -> dict[str, Any] | None:
    """A column spec: the short form "COLUMN" means {"column": "COLUMN"}; None when neither."""
    if isinstance(raw, str):
        return {"column": raw}
    if isinstance(raw, dict):
        return raw
    return None


def _is_pattern(name: str) -> bool:
    return YEAR_PLACEHOLDER in name


class _Checker:
    """Collects the errors of a mapping, each prefixed with its JSON path, and the columns it names."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.columns: list[tuple[str, str]] = []  # (path, column name or {year} pattern)
        self.has_pattern = False

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path or '(mapping)'}: {message}")

    def keys(self, obj: dict[str, Any], allowed: Iterable[str], path: str) -> None:
        allowed = tuple(allowed)
        for key in obj:
            if key not in allowed:
                self.error(_join(path, key), f"unknown key; expected one of {', '.join(allowed)}")

    def column(self, value: object, path: str, *, pattern: str = "no") -> str | None:
        """``pattern``: "no" (a plain column), "may" or "must" (contain {year} exactly once)."""
        if not isinstance(value, str) or not value.strip():
            self.error(path, "must be a column name (a non-empty string)")
            return None
        count = value.count(YEAR_PLACEHOLDER)
        if count and pattern == "no":
            self.error(path, f"{YEAR_PLACEHOLDER} is not allowed here")
            return None
        if count > 1:
            self.error(path, f"{YEAR_PLACEHOLDER} may appear only once")
            return None
        if pattern == "must" and not count:
            self.error(path, f"must contain {YEAR_PLACEHOLDER}")
            return None
        if count:
            self.has_pattern = True
        self.columns.append((path, value))
        return value

    def regex(self, value: object, path: str) -> None:
        if not isinstance(value, str):
            self.error(path, "must be a regular expression (a string)")
            return
        try:
            re.compile(value)
        except re.error as exc:
            self.error(path, f"not a valid regular expression ({exc})")

    def boolean(self, obj: dict[str, Any], key: str, path: str) -> None:
        if key in obj and not isinstance(obj[key], bool):
            self.error(_join(path, key), "must be true or false")

    def strings(self, value: object, path: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(path, "must be a list of strings")
            return []
        return list(value)


def validate_mapping(mapping: dict[str, Any], header: list[str] | None = None) -> list[str]:
    """Return the errors of a mapping (each naming its JSON path), or an empty list when it is fine.

    With ``header``, also check that every column the mapping names is in the file.
    """
    check = _Checker()
    if not isinstance(mapping, dict):
        return ["(mapping): must be a JSON object"]
    check.keys(mapping, _TOP_KEYS, "")
    if mapping.get("version") != MAPPING_VERSION:
        check.error("version", f"must be {MAPPING_VERSION}")
    if "description" in mapping and not isinstance(mapping["description"], str):
        check.error("description", "must be a string")
    if "encoding" in mapping:
        enc = mapping["encoding"]
        try:
            text_encoding = getattr(
                codecs.lookup(enc if isinstance(enc, str) else ""), "_is_text_encoding", True
            )
        except LookupError:
            text_encoding = False
        if not text_encoding:
            check.error("encoding", f"unknown encoding {enc!r}")
    delimiter = mapping.get("delimiter", ",")
    if not isinstance(delimiter, str) or delimiter not in DELIMITER_NAMES:
        check.error("delimiter", 'must be ",", ";", "\\t", "comma", "semicolon" or "tab"')
    check.boolean(mapping, "decimal_comma", "")
    _check_markers(check, mapping.get("markers"))
    _check_identifier(check, mapping.get("identifier"), "identifier", required=True)
    extra = mapping.get("identifiers", [])
    if not isinstance(extra, list):
        check.error("identifiers", "must be a list")
    else:
        primary = mapping.get("identifier")
        schemes = (
            {primary["scheme"]}
            if isinstance(primary, dict) and isinstance(primary.get("scheme"), str)
            else set()
        )
        for i, item in enumerate(extra):
            path = _join("identifiers", i)
            _check_identifier(check, item, path, required=False)
            scheme = item.get("scheme") if isinstance(item, dict) else None
            if not isinstance(scheme, str):
                continue
            if scheme in schemes:
                check.error(_join(path, "scheme"), f"scheme {scheme!r} is already used by another identifier")
            schemes.add(scheme)
    _check_fields(check, mapping.get("fields"))
    indicators = _check_indicators(check, mapping.get("indicators", {}))
    _check_annual(check, mapping.get("annual"))
    _check_outcomes(check, mapping.get("outcomes", []), indicators)
    _check_filters(check, mapping.get("filters", []))
    if not check.has_pattern:
        for path, year in _year_specs(mapping):
            if year == "latest":
                check.error(path, f'"latest" needs a column pattern with {YEAR_PLACEHOLDER}')
    if header is not None:
        columns = _Columns(header)
        for path, name in check.columns:
            if _is_pattern(name):
                if not columns.pattern(name):
                    check.error(path, f"no column matches {name!r} in the file")
            elif columns.find(name) is None:
                check.error(path, f"no column {name!r} in the file")
    return check.errors


def _year_specs(mapping: dict[str, Any]) -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    annual = mapping.get("annual")
    entries = annual if isinstance(annual, list) else [annual] if isinstance(annual, dict) else []
    for i, entry in enumerate(entries):
        if isinstance(entry, dict) and "year" in entry:
            base = _join("annual", i) if isinstance(annual, list) else "annual"
            found.append((_join(base, "year"), entry["year"]))
    outcomes = mapping.get("outcomes")
    for i, entry in enumerate(outcomes if isinstance(outcomes, list) else []):
        if isinstance(entry, dict) and "year" in entry:
            found.append((_join(_join("outcomes", i), "year"), entry["year"]))
    return found


def _check_markers(check: _Checker, markers: object) -> None:
    if markers is None:
        return
    if not isinstance(markers, dict):
        check.error("markers", "must be an object")
        return
    check.keys(markers, ("missing", "suppressed", "defaults"), "markers")
    missing = {m.strip().lower() for m in check.strings(markers.get("missing", []), "markers.missing")}
    suppressed = {
        m.strip().lower() for m in check.strings(markers.get("suppressed", []), "markers.suppressed")
    }
    check.boolean(markers, "defaults", "markers")
    both = sorted(missing & suppressed)
    if both:
        check.error("markers", f"{', '.join(map(repr, both))} cannot mean both missing and suppressed")


def _check_identifier(check: _Checker, spec: object, path: str, *, required: bool) -> None:
    if spec is None and required:
        check.error(path, "required: the column that identifies each organisation")
        return
    if not isinstance(spec, dict):
        check.error(path, 'must be an object such as {"column": "SCHOOL_ID", "scheme": "national"}')
        return
    check.keys(spec, ("column", "scheme", "pattern", "pad"), path)
    check.column(spec.get("column"), _join(path, "column"))
    if spec.get("scheme") not in SCHEMES:
        check.error(_join(path, "scheme"), f"must be one of {', '.join(SCHEMES)}")
    if "pattern" in spec:
        check.regex(spec["pattern"], _join(path, "pattern"))
    pad = spec.get("pad")
    if pad is not None and (isinstance(pad, bool) or not isinstance(pad, int) or not 1 <= pad <= 64):
        check.error(_join(path, "pad"), "must be a whole number from 1 to 64")


def _field_keys(name: str) -> tuple[str, ...]:
    if name in DATE_FIELDS:
        return ("column", "value", "format")
    if name in COORDINATE_FIELDS or name in INT_FIELDS:
        return ("column", "value", "scale", "decimal_comma")
    if name in LIST_FIELDS:
        return (*_SPEC_KEYS, "separator")
    return _SPEC_KEYS


def _check_fields(check: _Checker, fields: object) -> None:
    if not isinstance(fields, dict):
        check.error("fields", 'required: an object of organisation fields, at least {"name": "COLUMN"}')
        return
    if "name" not in fields:
        check.error("fields.name", "required: the column of the organisation's name")
    for name, raw in fields.items():
        path = _join("fields", name)
        if name not in ORGANISATION_FIELDS:
            check.error(path, f"unknown field; expected one of {', '.join(ORGANISATION_FIELDS)}")
            continue
        spec = _spec(raw)
        if spec is None:
            check.error(path, 'must be a column name or an object such as {"column": "..."}')
            continue
        check.keys(spec, _field_keys(name), path)
        if ("column" in spec) == ("value" in spec):
            check.error(path, 'needs exactly one of "column" and "value"')
        elif "column" in spec:
            check.column(spec["column"], _join(path, "column"))
        elif name == "name":
            check.error(_join(path, "value"), "the name must come from a column")
        else:
            _check_constant(check, name, spec["value"], _join(path, "value"))
        _check_value_map(check, name, spec, path)
        if name in DATE_FIELDS and "format" in spec:
            formats = spec["format"] if isinstance(spec["format"], list) else [spec["format"]]
            if not formats or not all(isinstance(f, str) and "%" in f for f in formats):
                check.error(
                    _join(path, "format"), 'must be a date format such as "%d/%m/%Y", or a list of them'
                )
        if name in LIST_FIELDS and "separator" in spec:
            sep = spec["separator"]
            if not isinstance(sep, str) or not sep:
                check.error(_join(path, "separator"), "must be a non-empty string")
        _check_number_keys(check, spec, path)


def _check_number_keys(check: _Checker, spec: dict[str, Any], path: str) -> None:
    if "scale" in spec:
        scale = spec["scale"]
        if isinstance(scale, bool) or not isinstance(scale, int | float) or scale <= 0:
            check.error(
                _join(path, "scale"), "must be a positive number (100 turns fractions into percentages)"
            )
    check.boolean(spec, "decimal_comma", path)


def _check_constant(check: _Checker, name: str, value: object, path: str) -> None:
    if name in CODE_FIELDS:
        if value not in CODE_FIELDS[name]:
            check.error(path, f"must be one of {', '.join(CODE_FIELDS[name])}")
    elif name in BOOL_FIELDS:
        if not isinstance(value, bool):
            check.error(path, "must be true or false")
    elif name in LIST_FIELDS:
        if not isinstance(value, list) or not all(v in SUPPORT_DOMAINS for v in value):
            check.error(path, f"must be a list of support domains ({', '.join(SUPPORT_DOMAINS)})")
    elif name in INT_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            check.error(path, "must be a whole number ≥ 0")
    elif name in COORDINATE_FIELDS:
        limit = 90 if name == "latitude" else 180
        if isinstance(value, bool) or not isinstance(value, int | float) or not -limit <= value <= limit:
            check.error(path, f"must be a number from −{limit} to {limit}")
    elif name in DATE_FIELDS:
        try:
            dt.date.fromisoformat(value if isinstance(value, str) else "")
        except ValueError:
            check.error(path, "must be a date written YYYY-MM-DD")
    elif not isinstance(value, str):
        check.error(path, "must be a string")


def _check_value_map(check: _Checker, name: str, spec: dict[str, Any], path: str) -> None:
    unmapped = spec.get("unmapped")
    allowed_policies = ("reject", "missing", "keep") if name in TEXT_FIELDS else ("reject", "missing")
    if unmapped is not None and unmapped not in allowed_policies:
        check.error(_join(path, "unmapped"), f"must be {' or '.join(map(repr, allowed_policies))}")
    if "values" not in spec:
        return
    values = spec["values"]
    vpath = _join(path, "values")
    if "column" not in spec:
        check.error(vpath, 'a value map needs a "column"')
    if not isinstance(values, dict):
        check.error(vpath, 'must be an object such as {"TEXT IN FILE": "code"}')
        return
    for key, target in values.items():
        if target is None:
            continue
        if name in CODE_FIELDS:
            if target not in CODE_FIELDS[name]:
                check.error(vpath, f"{key!r} maps to unknown {_CODE_LABELS[name]} {target!r}")
        elif name in LIST_FIELDS:
            if target not in SUPPORT_DOMAINS:
                check.error(vpath, f"{key!r} maps to unknown support domain {target!r}")
        elif name in BOOL_FIELDS:
            if not isinstance(target, bool):
                check.error(vpath, f"{key!r} must map to true, false or null")
        elif not isinstance(target, str):
            check.error(vpath, f"{key!r} must map to a string or null")


def _check_year(check: _Checker, entry: dict[str, Any], path: str, *, patterned: bool) -> None:
    ypath = _join(path, "year")
    if "year" not in entry:
        if not patterned:
            check.error(
                ypath,
                f'required unless the columns contain {YEAR_PLACEHOLDER}: a year, "option", '
                '"latest" or {"column": "..."}',
            )
        return
    year = entry["year"]
    if patterned:
        check.error(
            ypath, f"not allowed when the columns contain {YEAR_PLACEHOLDER}: the year comes from them"
        )
    elif isinstance(year, dict):
        check.keys(year, ("column",), ypath)
        check.column(year.get("column"), _join(ypath, "column"))
    elif isinstance(year, bool) or (
        not (isinstance(year, int) and 1900 <= year <= 2200)
        and year
        not in (
            "option",
            "latest",
        )
    ):
        check.error(ypath, 'must be a year such as 2024, "option" (--year), "latest" or {"column": "..."}')


def _check_annual(check: _Checker, annual: object) -> None:
    if annual is None:
        return
    entries = annual if isinstance(annual, list) else [annual]
    for i, entry in enumerate(entries):
        path = _join("annual", i) if isinstance(annual, list) else "annual"
        if not isinstance(entry, dict):
            check.error(path, "must be an object with enrolment and/or ses_index")
            continue
        check.keys(entry, ("year", "enrolment", "ses_index"), path)
        if "enrolment" not in entry and "ses_index" not in entry:
            check.error(path, 'needs "enrolment" or "ses_index"')
        patterned: set[bool] = set()
        for measure in ("enrolment", "ses_index"):
            if measure not in entry:
                continue
            mpath = _join(path, measure)
            spec = _spec(entry[measure])
            if spec is None:
                check.error(mpath, 'must be a column name or an object such as {"column": "..."}')
                continue
            extra = ("label", "higher_is_advantaged") if measure == "ses_index" else ()
            check.keys(spec, ("column", "scale", "decimal_comma", *extra), mpath)
            name = check.column(spec.get("column"), _join(mpath, "column"), pattern="may")
            if name is not None:
                patterned.add(_is_pattern(name))
            _check_number_keys(check, spec, mpath)
            if "label" in spec and not isinstance(spec["label"], str):
                check.error(_join(mpath, "label"), "must be a string")
            check.boolean(spec, "higher_is_advantaged", mpath)
        if len(patterned) > 1:
            check.error(path, f"either all or none of the columns must contain {YEAR_PLACEHOLDER}")
        _check_year(check, entry, path, patterned=True in patterned)


def _check_indicator_def(check: _Checker, spec: dict[str, Any], path: str, *, inline: bool) -> None:
    keys = ("name", "subject", "unit", "higher_is_better", "phase")
    check.keys(spec, ("code", *keys) if inline else keys, path)
    for key in ("name", "subject", "unit"):
        if key in spec and not isinstance(spec[key], str):
            check.error(_join(path, key), "must be a string")
    check.boolean(spec, "higher_is_better", path)
    if spec.get("phase", "") not in ("", *PHASES):
        check.error(_join(path, "phase"), f"must be one of {', '.join(PHASES)} (or empty for any)")


def _check_indicators(check: _Checker, indicators: object) -> dict[str, Any]:
    if not isinstance(indicators, dict):
        check.error("indicators", "must be an object of indicator code → definition")
        return {}
    for code, spec in indicators.items():
        path = _join("indicators", code)
        if not code.strip():
            check.error(path, "the code must not be empty")
        if not isinstance(spec, dict):
            check.error(path, 'must be an object such as {"name": "...", "unit": "%"}')
            continue
        _check_indicator_def(check, spec, path, inline=False)
    return indicators


def _check_outcomes(check: _Checker, outcomes: object, indicators: dict[str, Any]) -> None:
    if not isinstance(outcomes, list):
        check.error("outcomes", "must be a list")
        return
    keys = ("indicator", "higher_is_better", "column", "cohort", "year", "scale", "decimal_comma")
    for i, entry in enumerate(outcomes):
        path = _join("outcomes", i)
        if not isinstance(entry, dict):
            check.error(path, "must be an object")
            continue
        check.keys(entry, keys, path)
        ipath = _join(path, "indicator")
        indicator = entry.get("indicator")
        from_column = isinstance(indicator, dict) and "column" in indicator
        if isinstance(indicator, str):
            if indicator not in indicators:
                check.error(ipath, f"{indicator!r} is not defined under indicators")
        elif isinstance(indicator, dict) and "code" in indicator:
            if not isinstance(indicator["code"], str) or not indicator["code"].strip():
                check.error(_join(ipath, "code"), "must be a non-empty string")
            _check_indicator_def(check, indicator, ipath, inline=True)
        elif from_column:
            assert isinstance(indicator, dict)  # noqa: S101 - narrowed above
            check.keys(indicator, ("column", "values", "unmapped"), ipath)
            check.column(indicator["column"], _join(ipath, "column"))
            values = indicator.get("values", {})
            if not isinstance(values, dict) or not all(
                v is None or isinstance(v, str) for v in values.values()
            ):
                check.error(_join(ipath, "values"), "must be an object of text → indicator code (or null)")
            if indicator.get("unmapped", "keep") not in ("reject", "missing", "keep"):
                check.error(_join(ipath, "unmapped"), "must be 'reject', 'missing' or 'keep'")
        else:
            check.error(ipath, 'required: a code defined under indicators, {"code": ...} or {"column": ...}')
        if "higher_is_better" in entry:
            hib = entry["higher_is_better"]
            hpath = _join(path, "higher_is_better")
            if not from_column:
                check.error(hpath, "belongs in the indicator's definition")
            elif isinstance(hib, dict):
                check.keys(hib, ("column",), hpath)
                check.column(hib.get("column"), _join(hpath, "column"))
            elif not isinstance(hib, bool):
                check.error(hpath, 'must be true, false or {"column": "..."}')
        column = check.column(entry.get("column"), _join(path, "column"), pattern="may")
        patterned = column is not None and _is_pattern(column)
        if "cohort" in entry:
            check.column(entry["cohort"], _join(path, "cohort"), pattern="must" if patterned else "no")
        _check_number_keys(check, entry, path)
        _check_year(check, entry, path, patterned=patterned)


def _check_filters(check: _Checker, filters: object) -> None:
    if not isinstance(filters, list):
        check.error("filters", "must be a list")
        return
    names: set[str] = set()
    tests = ("keep", "drop", "keep_matching", "drop_matching")
    for i, spec in enumerate(filters):
        path = _join("filters", i)
        if not isinstance(spec, dict):
            check.error(path, "must be an object")
            continue
        check.keys(spec, ("name", "column", *tests, "ignore_case"), path)
        name = spec.get("name")
        if not isinstance(name, str) or not _FILTER_NAME.match(name):
            check.error(_join(path, "name"), "required: lower-case letters, digits, '-' and '_'")
        elif name in names:
            check.error(_join(path, "name"), f"{name!r} is used by another filter")
        else:
            names.add(name)
        check.column(spec.get("column"), _join(path, "column"))
        present = [t for t in tests if t in spec]
        if len(present) != 1:
            check.error(path, f"needs exactly one of {', '.join(tests)}")
        for test in present:
            if test.endswith("_matching"):
                check.regex(spec[test], _join(path, test))
            else:
                check.strings(spec[test], _join(path, test))
        check.boolean(spec, "ignore_case", path)


# --------------------------------------------------------------------------------------------------------
# Columns of one file.


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    before, after = pattern.split(YEAR_PLACEHOLDER)
    return re.compile(re.escape(before.strip()) + _YEAR_TEXT + re.escape(after.strip()), re.IGNORECASE)


def _year_of(text: str) -> int | None:
    digits = re.sub(r"\D", "", text)
    if len(digits) == 4:
        return int(digits)
    return school_year_end(f"{digits[:4]}-{digits[4:]}")


class _Columns:
    """Find a mapped column in a header: exactly, else the one column that differs only in case."""

    def __init__(self, header: Sequence[str]) -> None:
        self.header = [h.strip() for h in header]
        self.exact: dict[str, int] = {}
        self.folded: dict[str, list[int]] = {}
        for i, name in enumerate(self.header):
            self.exact.setdefault(name, i)
            self.folded.setdefault(name.casefold(), []).append(i)

    def find(self, name: str) -> int | None:
        name = name.strip()
        if name in self.exact:
            return self.exact[name]
        hits = self.folded.get(name.casefold(), [])
        return hits[0] if len(hits) == 1 else None

    def pattern(self, pattern: str) -> dict[int, int]:
        """Year → column index of the columns that match a {year} pattern (first column per year)."""
        regex = _pattern_regex(pattern)
        found: dict[int, int] = {}
        for i, name in enumerate(self.header):
            match = regex.fullmatch(name)
            year = _year_of(match.group(1)) if match else None
            if year is not None:
                found.setdefault(year, i)
        return found


# --------------------------------------------------------------------------------------------------------
# Cell converters: text → value, raising _Bad with the reason when the cell cannot be right.


class _Bad(Exception):
    """The reason a row is rejected; the caller knows the column and the cell."""


_NOT_MAPPED = object()
_SUPPRESSED = object()  # what a number converter returns for a suppressed marker
_LEAVE_OUT = object()  # an indicator code whose values the mapping leaves out


@dataclass(frozen=True)
class _Markers:
    missing: frozenset[str]
    suppressed: frozenset[str]


class _ValueMap:
    def __init__(self, values: dict[str, Any] | None) -> None:
        values = values or {}
        self.exact = {k.strip(): v for k, v in values.items()}
        self.folded = {k.strip().casefold(): v for k, v in reversed(list(values.items()))}

    def get(self, raw: str) -> Any:
        if raw in self.exact:
            return self.exact[raw]
        return self.folded.get(raw.casefold(), _NOT_MAPPED)


Converter = Callable[[str], Any]
_MEMO_LIMIT = 50_000
_UNSEEN = object()


def _memo(convert: Converter) -> Converter:
    """Remember a converter's results by cell text: files repeat codes and numbers on many rows.

    Only results are remembered (a cell that raises _Bad is converted again), at most _MEMO_LIMIT texts.
    """
    cache: dict[str, Any] = {}
    get = cache.get

    def cached(text: str) -> Any:
        value = get(text, _UNSEEN)
        if value is _UNSEEN:
            value = convert(text)
            if len(cache) < _MEMO_LIMIT:
                cache[text] = value
        return value

    return cached


def _memo_list(convert: Converter) -> Converter:
    """Like _memo, for converters that return lists: every row gets its own list."""
    cached = _memo(convert)

    def fresh(text: str) -> Any:
        value = cached(text)
        return list(value) if value is not None else None

    return fresh


def _code_key(raw: str) -> str:
    return raw.lower().replace("-", "_").replace(" ", "_")


def _text_converter(spec: dict[str, Any], markers: _Markers, *, required: bool = False) -> Converter:
    vmap = _ValueMap(spec.get("values"))
    has_map = bool(vmap.exact)
    unmapped = spec.get("unmapped", "keep")
    missing = markers.missing

    def convert(text: str) -> Any:
        raw = text.strip()
        if has_map:
            hit = vmap.get(raw)
            if hit is not _NOT_MAPPED:
                value = hit
            elif raw.lower() in missing:
                value = None
            elif unmapped == "keep":
                value = " ".join(raw.split())
            elif unmapped == "missing":
                value = None
            else:
                raise _Bad(f"{raw!r} is not in the value map")
        elif not raw or raw.lower() in missing:
            value = None
        else:
            value = " ".join(raw.split())  # newlines and runs of spaces inside a cell become one space
        if value is None and required:
            raise _Bad("the name is empty")
        return value

    return convert


def _code_converter(
    spec: dict[str, Any], markers: _Markers, allowed: tuple[str, ...], label: str
) -> Converter:
    vmap = _ValueMap(spec.get("values"))
    has_map = bool(vmap.exact)
    unmapped = spec.get("unmapped", "reject")
    codes = frozenset(allowed)
    missing = markers.missing

    def convert(text: str) -> Any:
        raw = text.strip()
        if has_map:
            hit = vmap.get(raw)
            if hit is not _NOT_MAPPED:
                return hit
        key = _code_key(raw)
        if key in codes:
            return key
        if raw.lower() in missing or unmapped == "missing":
            return None
        hint = "in the value map or " if has_map else ""
        raise _Bad(f"{raw!r} is not {hint}a {label} ({', '.join(allowed)})")

    return convert


def _bool_converter(spec: dict[str, Any], markers: _Markers) -> Converter:
    vmap = _ValueMap(spec.get("values"))
    has_map = bool(vmap.exact)
    unmapped = spec.get("unmapped", "reject")
    missing = markers.missing

    def convert(text: str) -> Any:
        raw = text.strip()
        if has_map:
            hit = vmap.get(raw)
            if hit is not _NOT_MAPPED:
                return hit
        low = raw.lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
        if low in missing or unmapped == "missing":
            return None
        raise _Bad(f"{raw!r} is not true or false")

    return convert


def _list_converter(spec: dict[str, Any], markers: _Markers) -> Converter:
    vmap = _ValueMap(spec.get("values"))
    has_map = bool(vmap.exact)
    unmapped = spec.get("unmapped", "reject")
    separator = spec.get("separator", ";")
    codes = frozenset(SUPPORT_DOMAINS)
    missing = markers.missing

    def convert(text: str) -> Any:
        raw = text.strip()
        if not raw:
            return []  # an empty list cell lists nothing
        if raw.lower() in missing:
            return None
        found: list[Any] = []
        for part in raw.split(separator):
            item = part.strip()
            if not item:
                continue
            code = vmap.get(item) if has_map else _NOT_MAPPED
            if code is _NOT_MAPPED:
                key = _code_key(item)
                if key in codes:
                    code = key
                elif unmapped == "missing":
                    code = None
                else:
                    raise _Bad(f"{item!r} is not a support domain ({', '.join(SUPPORT_DOMAINS)})")
            if code is not None and code not in found:
                found.append(code)
        return found

    return convert


def _date_converter(spec: dict[str, Any], markers: _Markers) -> Converter:
    given = spec.get("format", [])
    formats = [given] if isinstance(given, str) else list(given)
    if "%Y-%m-%d" not in formats:
        formats.append("%Y-%m-%d")  # ISO dates (and XLSX date cells) are always understood
    missing = markers.missing

    def convert(text: str) -> Any:
        raw = text.strip()
        if not raw or raw.lower() in missing:
            return None
        for fmt in formats:
            try:
                return dt.datetime.strptime(raw, fmt).date()  # noqa: DTZ007 - a calendar date, no time zone
            except ValueError:
                continue
        raise _Bad(f"{raw!r} is not a date written {' or '.join(formats)}")

    return convert


def _number_converter(spec: dict[str, Any], markers: _Markers, decimal_comma: bool) -> Callable[[str], Any]:
    """Text → float, None (missing) or _SUPPRESSED; raises _Bad for text that is not a number."""
    comma = bool(spec.get("decimal_comma", decimal_comma))
    scale = float(spec.get("scale", 1.0))
    missing = markers.missing
    suppressed = markers.suppressed
    empty: frozenset[str] = frozenset()

    def convert(text: str) -> Any:
        raw = text.strip()
        low = raw.lower()
        if low in missing:
            return None
        if low in suppressed:
            return _SUPPRESSED
        if raw.replace(".", "", 1).isdigit() or (raw[:1] == "-" and raw[1:].replace(".", "", 1).isdigit()):
            try:  # the common case, a plain decimal number, without the regular expressions of parse_number
                return float(raw) if scale == 1.0 else round(float(raw) * scale, 10)
            except ValueError:
                pass
        try:
            return parse_number(
                raw, decimal_comma=comma, percent_scale=scale, missing=empty, suppressed=empty
            ).value
        except CellError as exc:
            raise _Bad(str(exc)) from None

    return convert


def _whole_converter(spec: dict[str, Any], markers: _Markers, decimal_comma: bool) -> Converter:
    """A count ≥ 0; suppressed and missing cells are None."""
    number = _number_converter(spec, markers, decimal_comma)

    def convert(text: str) -> Any:
        value = number(text)
        if value is None or value is _SUPPRESSED:
            return None
        if not float(value).is_integer():
            raise _Bad(f"{text.strip()!r} is not a whole number")
        if value < 0:
            raise _Bad(f"{text.strip()!r} is negative")
        return int(value)

    return convert


def _float_converter(spec: dict[str, Any], markers: _Markers, decimal_comma: bool) -> Converter:
    number = _number_converter(spec, markers, decimal_comma)

    def convert(text: str) -> Any:
        value = number(text)
        return None if value is _SUPPRESSED else value

    return convert


def _coordinate_converter(
    spec: dict[str, Any], markers: _Markers, decimal_comma: bool, axis: str
) -> Converter:
    number = _float_converter(spec, markers, decimal_comma)
    limit = 90.0 if axis == "latitude" else 180.0

    def convert(text: str) -> Any:
        value = number(text)
        if value is not None and not -limit <= value <= limit:
            raise _Bad(f"{text.strip()!r} is outside −{limit:g}…{limit:g}")
        return value

    return convert


def _identifier_converter(spec: dict[str, Any], markers: _Markers, *, required: bool) -> Converter:
    pattern = re.compile(spec["pattern"]) if "pattern" in spec else None
    pad = spec.get("pad")
    missing = markers.missing

    def convert(text: str) -> Any:
        raw = text.strip()
        if not raw or raw.lower() in missing:
            if required:
                raise _Bad("the identifier is empty" if not raw else f"the identifier is missing ({raw!r})")
            return None
        if pad and raw.isdigit() and len(raw) < pad:
            raw = raw.zfill(pad)
        if pattern is not None and not pattern.fullmatch(raw):
            raise _Bad(f"{raw!r} does not match the identifier pattern {pattern.pattern}")
        return raw

    return convert


def _field_converter(name: str, spec: dict[str, Any], markers: _Markers, decimal_comma: bool) -> Converter:
    if name in TEXT_FIELDS:
        return _text_converter(spec, markers, required=name == "name")
    if name in CODE_FIELDS:
        return _memo(_code_converter(spec, markers, CODE_FIELDS[name], _CODE_LABELS[name]))
    if name in DATE_FIELDS:
        return _memo(_date_converter(spec, markers))
    if name in COORDINATE_FIELDS:
        return _coordinate_converter(spec, markers, decimal_comma, name)
    if name in BOOL_FIELDS:
        return _memo(_bool_converter(spec, markers))
    if name in INT_FIELDS:
        return _memo(_whole_converter(spec, markers, decimal_comma))
    return _memo_list(_list_converter(spec, markers))


def _year_converter(text: str) -> int | None:
    raw = text.strip()
    if not raw:
        return None
    year = school_year_end(raw.replace("_", "-"))
    if year is None and re.fullmatch(r"\d{4}\.0", raw):  # a year cell of a spreadsheet read as a number
        year = int(raw[:4])
    if year is None:
        raise _Bad(f"{raw!r} is not a year")
    return year


# --------------------------------------------------------------------------------------------------------
# The compiled mapping, and the mapping bound to one file's header.


@dataclass
class _Filter:
    name: str
    column: str
    keep: Callable[[str], bool]


@dataclass
class _Annual:
    year: object  # int, "option", "latest", ("column", name) or None for {year} patterns
    enrolment: str | None
    ses_index: str | None
    enrolment_convert: Converter | None
    ses_convert: Converter | None


@dataclass
class _Outcome:
    code: str | None  # a fixed indicator code, or None when it comes from a column
    code_column: str | None
    code_convert: Converter | None
    hib: bool | None
    hib_column: str | None
    column: str
    cohort: str | None
    year: object  # like _Annual.year
    convert: Converter

    @property
    def year_column(self) -> str:
        return self.year[1] if isinstance(self.year, tuple) else ""


@dataclass
class _Plan:
    markers: _Markers
    encoding: str | None
    delimiter: str | None
    identifier: tuple[str, str, Converter]  # column, scheme, converter
    identifiers: list[tuple[str, str, Converter]]
    fields: list[tuple[str, str, Converter]]  # field, column, converter
    constants: dict[str, Any]
    annual: list[_Annual]
    outcomes: list[_Outcome]
    indicators: dict[str, IndicatorDef]
    explicit_hib: set[str]  # indicators whose direction the mapping states
    filters: list[_Filter]
    ses_label: str = ""
    ses_higher_is_advantaged: bool | None = None


def _make_filter(spec: dict[str, Any]) -> _Filter:
    flags = re.IGNORECASE if spec.get("ignore_case") else 0
    fold = (lambda s: s.casefold()) if spec.get("ignore_case") else (lambda s: s)
    keep: Callable[[str], bool]
    if "keep" in spec:
        allowed = frozenset(fold(v.strip()) for v in spec["keep"])
        keep = lambda text: fold(text) in allowed  # noqa: E731
    elif "drop" in spec:
        dropped = frozenset(fold(v.strip()) for v in spec["drop"])
        keep = lambda text: fold(text) not in dropped  # noqa: E731
    elif "keep_matching" in spec:
        regex = re.compile(spec["keep_matching"], flags)
        keep = lambda text: regex.search(text) is not None  # noqa: E731
    else:
        regex = re.compile(spec["drop_matching"], flags)
        keep = lambda text: regex.search(text) is None  # noqa: E731
    return _Filter(spec["name"], spec["column"], keep)


def _year_spec(entry: dict[str, Any]) -> object:
    year = entry.get("year")
    if isinstance(year, dict):
        return ("column", year["column"])
    return year


def _compile(mapping: dict[str, Any]) -> _Plan:
    raw_markers = mapping.get("markers") or {}
    defaults = raw_markers.get("defaults", True)
    missing = {m.strip().lower() for m in raw_markers.get("missing", [])} | {""}
    suppressed = {m.strip().lower() for m in raw_markers.get("suppressed", [])}
    if defaults:
        missing |= MISSING_MARKERS - suppressed
        suppressed |= SUPPRESSED_MARKERS - missing
    markers = _Markers(frozenset(missing), frozenset(suppressed))
    comma = bool(mapping.get("decimal_comma", False))

    ident = mapping["identifier"]
    identifier = (ident["column"], ident["scheme"], _identifier_converter(ident, markers, required=True))
    identifiers = [
        (spec["column"], spec["scheme"], _identifier_converter(spec, markers, required=False))
        for spec in mapping.get("identifiers", [])
    ]
    fields: list[tuple[str, str, Converter]] = []
    constants: dict[str, Any] = {}
    for name, raw in mapping["fields"].items():
        spec = _spec(raw)
        assert spec is not None  # noqa: S101 - validated
        if "value" in spec:
            value = spec["value"]
            constants[name] = dt.date.fromisoformat(value) if name in DATE_FIELDS else value
        else:
            fields.append((name, spec["column"], _field_converter(name, spec, markers, comma)))

    plan = _Plan(
        markers=markers,
        encoding=mapping.get("encoding"),
        delimiter=DELIMITER_NAMES.get(mapping.get("delimiter", "")),
        identifier=identifier,
        identifiers=identifiers,
        fields=fields,
        constants=constants,
        annual=[],
        outcomes=[],
        indicators={},
        explicit_hib=set(),
        filters=[_make_filter(spec) for spec in mapping.get("filters", [])],
    )
    annual = mapping.get("annual")
    for entry in annual if isinstance(annual, list) else [annual] if annual else []:
        enrolment = _spec(entry.get("enrolment"))
        ses = _spec(entry.get("ses_index"))
        plan.annual.append(
            _Annual(
                year=_year_spec(entry),
                enrolment=enrolment["column"] if enrolment else None,
                ses_index=ses["column"] if ses else None,
                enrolment_convert=_memo(_whole_converter(enrolment, markers, comma)) if enrolment else None,
                ses_convert=_memo(_float_converter(ses, markers, comma)) if ses else None,
            )
        )
        if ses and not plan.ses_label and ses.get("label"):
            plan.ses_label = ses["label"]
            plan.ses_higher_is_advantaged = ses.get("higher_is_advantaged")

    for known, definition in mapping.get("indicators", {}).items():
        plan.indicators[known] = _indicator_def(known, definition)
        if "higher_is_better" in definition:
            plan.explicit_hib.add(known)
    for entry in mapping.get("outcomes", []):
        indicator = entry["indicator"]
        code = None
        code_column = None
        code_convert = None
        if isinstance(indicator, str):
            code = indicator
        elif "code" in indicator:
            code = indicator["code"]
            plan.indicators[code] = _indicator_def(code, indicator)
            plan.explicit_hib.add(code)
        else:
            code_column = indicator["column"]
            code_convert = _memo(_indicator_code_converter(indicator, markers, plan.indicators))
        hib = entry.get("higher_is_better")
        plan.outcomes.append(
            _Outcome(
                code=code,
                code_column=code_column,
                code_convert=code_convert,
                hib=hib if isinstance(hib, bool) else None,
                hib_column=hib["column"] if isinstance(hib, dict) else None,
                column=entry["column"],
                cohort=entry.get("cohort"),
                year=_year_spec(entry),
                convert=_memo(_number_converter(entry, markers, comma)),
            )
        )
    return plan


def _indicator_def(code: str, spec: dict[str, Any]) -> IndicatorDef:
    return IndicatorDef(
        code=code,
        name=spec.get("name") or code,
        subject=spec.get("subject", ""),
        unit=spec.get("unit", ""),
        higher_is_better=spec.get("higher_is_better", True),
        phase=spec.get("phase", ""),
    )


def _indicator_code_converter(
    spec: dict[str, Any], markers: _Markers, known: dict[str, IndicatorDef]
) -> Converter:
    vmap = _ValueMap(spec.get("values"))
    has_map = bool(vmap.exact)
    unmapped = spec.get("unmapped", "keep")
    missing = markers.missing

    def convert(text: str) -> Any:
        raw = text.strip()
        if has_map:
            hit = vmap.get(raw)
            if hit is not _NOT_MAPPED:
                return _LEAVE_OUT if hit is None else hit
        if raw in known:
            return raw
        if not raw or raw.lower() in missing:
            return None
        if unmapped == "keep":
            return raw
        if unmapped == "missing":
            return _LEAVE_OUT
        raise _Bad(f"{raw!r} is not a known indicator ({', '.join(known)})")

    return convert


@dataclass
class _BoundOutcome:
    spec: _Outcome
    code_index: int
    hib_index: int
    year_index: int  # a per-row year column, or -1
    # (year or None for a per-row year, value column index, value column, cohort index or -1, cohort column)
    cells: list[tuple[int | None, int, str, int, str]] = field(default_factory=list)


@dataclass
class _BoundAnnual:
    year_index: int
    year_column: str
    # (year or None for a per-row year, enrolment index or -1, ses index or -1)
    cells: list[tuple[int | None, int, int]] = field(default_factory=list)


@dataclass
class _Bound:
    identifier: int
    identifiers: list[tuple[int, str, str, Converter]]
    fields: list[tuple[str, int, str, Converter]]
    filters: list[tuple[int, _Filter]]
    annual: list[_BoundAnnual]
    outcomes: list[_BoundOutcome]


def _bind(plan: _Plan, header: list[str], year_option: int | None) -> tuple[_Bound | None, list[str]]:
    """Resolve the mapping's columns in a header: the bound plan, or None and the missing columns."""
    columns = _Columns(header)
    missing: list[str] = []

    def index(name: str) -> int:
        found = columns.find(name)
        if found is None:
            if name not in missing:
                missing.append(name)
            return -1
        return found

    identifier = index(plan.identifier[0])
    identifiers = [(index(col), col, scheme, conv) for col, scheme, conv in plan.identifiers]
    fields = [(name, index(col), col, conv) for name, col, conv in plan.fields]
    filters = [(index(f.column), f) for f in plan.filters]

    patterns: dict[str, dict[int, int]] = {}

    def expand(pattern: str) -> dict[int, int]:
        if pattern not in patterns:
            patterns[pattern] = columns.pattern(pattern)
            if not patterns[pattern] and pattern not in missing:
                missing.append(pattern)
        return patterns[pattern]

    for outcome_spec in plan.outcomes:  # expand every pattern first: "latest" is the latest year of them all
        if _is_pattern(outcome_spec.column):
            expand(outcome_spec.column)
            if outcome_spec.cohort:
                expand(outcome_spec.cohort)
    for annual_spec in plan.annual:
        for col in (annual_spec.enrolment, annual_spec.ses_index):
            if col and _is_pattern(col):
                expand(col)
    pattern_years = [year for found in patterns.values() for year in found]
    latest = year_option if year_option is not None else max(pattern_years, default=None)

    def fixed_year(year: object) -> tuple[int | None, int, str]:
        """(year, per-row year column index, its name) of a year spec."""
        if isinstance(year, tuple):
            return None, index(year[1]), year[1]
        if year == "option":
            return year_option, -1, ""
        if year == "latest":
            return latest, -1, ""
        return (year if isinstance(year, int) else None), -1, ""

    outcomes: list[_BoundOutcome] = []
    for spec in plan.outcomes:
        bound = _BoundOutcome(
            spec,
            code_index=index(spec.code_column) if spec.code_column else -1,
            hib_index=index(spec.hib_column) if spec.hib_column else -1,
            year_index=-1,
        )
        if _is_pattern(spec.column):
            cohorts = expand(spec.cohort) if spec.cohort else {}
            for year, col_index in sorted(expand(spec.column).items()):
                cohort_index = -1
                cohort_name = ""
                if spec.cohort:
                    cohort_name = spec.cohort.replace(YEAR_PLACEHOLDER, str(year))
                    if year in cohorts:
                        cohort_index = cohorts[year]
                        cohort_name = columns.header[cohort_index]
                    elif cohorts and cohort_name not in missing:
                        missing.append(cohort_name)
                bound.cells.append((year, col_index, columns.header[col_index], cohort_index, cohort_name))
        else:
            fixed, bound.year_index, _ = fixed_year(spec.year)
            cohort_index = index(spec.cohort) if spec.cohort else -1
            bound.cells.append((fixed, index(spec.column), spec.column, cohort_index, spec.cohort or ""))
        outcomes.append(bound)

    annual: list[_BoundAnnual] = []
    for annual_spec in plan.annual:
        if annual_spec.year is None:  # {year} patterns
            enrol = expand(annual_spec.enrolment) if annual_spec.enrolment else {}
            ses = expand(annual_spec.ses_index) if annual_spec.ses_index else {}
            cells: list[tuple[int | None, int, int]] = [
                (y, enrol.get(y, -1), ses.get(y, -1)) for y in sorted({*enrol, *ses})
            ]
            annual.append(_BoundAnnual(-1, "", cells))
        else:
            fixed, year_index, year_column = fixed_year(annual_spec.year)
            enrol_index = index(annual_spec.enrolment) if annual_spec.enrolment else -1
            ses_index = index(annual_spec.ses_index) if annual_spec.ses_index else -1
            annual.append(_BoundAnnual(year_index, year_column, [(fixed, enrol_index, ses_index)]))

    if missing:
        return None, missing
    return _Bound(identifier, identifiers, fields, filters, annual, outcomes), []


# --------------------------------------------------------------------------------------------------------
# Parsing.


def _needs_year_option(mapping: dict[str, Any]) -> str | None:
    for path, year in _year_specs(mapping):
        if year == "option":
            return path
    return None


def parse(sources: Sequence[Source], options: ParseOptions, progress: Progress = no_progress) -> ParseResult:
    """Read ``sources`` with the column mapping of ``options.mapping``; see docs/importing.md."""
    mapping = options.mapping
    if mapping is None:
        raise ImportFileError("", "the csv and xlsx formats need a column mapping (--mapping FILE)")
    errors = validate_mapping(mapping)
    if errors:
        raise ImportFileError("", "the mapping is not valid: " + "; ".join(errors))
    path = _needs_year_option(mapping)
    if path is not None and options.year is None:
        raise ImportFileError("", f'the mapping takes the year from --year ({path} is "option"); give --year')
    plan = _compile(mapping)
    with _cyclic_gc_paused():
        return _Parser(plan, options, progress).run(sources)


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while records pile up: it would rescan them again and again.

    Parsing creates millions of small objects and no garbage cycles worth collecting early; pausing the
    collector makes a large import about a third faster. Its previous state is restored afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Parser:
    def __init__(self, plan: _Plan, options: ParseOptions, progress: Progress) -> None:
        self.plan = plan
        self.options = options
        self.progress = progress
        self.result = ParseResult(
            ses_label=plan.ses_label, ses_higher_is_advantaged=plan.ses_higher_is_advantaged
        )
        self.seen: dict[tuple[str, str], tuple[str, int]] = {}
        # indicator code → (file, row) of the row that set its direction (None: the mapping states it)
        self.direction_from: dict[str, tuple[str, int] | None] = {code: None for code in plan.explicit_hib}
        self.total = 0
        self.cohort_convert = _memo(_whole_converter({}, plan.markers, False))
        self.bool_convert = _memo(_bool_converter({}, plan.markers))
        for spec in plan.outcomes:
            if spec.code is not None:
                self.result.indicators[spec.code] = plan.indicators[spec.code]

    def run(self, sources: Sequence[Source]) -> ParseResult:
        for source in sources:
            self._file(source)
        self.progress(self.total)
        return self.result

    def _file(self, source: Source) -> None:
        plan = self.plan
        table = open_table(
            source,
            encoding=self.options.encoding or plan.encoding,
            delimiter=self.options.delimiter or plan.delimiter,
        )
        summary = FileSummary(name=source.name, kind=FORMAT)
        self.result.files.append(summary)
        bound, missing = _bind(plan, table.header, self.options.year)
        if bound is None:
            for column in missing:
                self.result.rejections.append(
                    Rejection(source.name, 1, column, "", "required column is missing")
                )
            return
        name = source.name
        rejections = self.result.rejections
        skips = self.result.skips
        records = self.result.records
        seen = self.seen
        id_index = bound.identifier
        id_column, scheme, id_convert = plan.identifier
        constants = plan.constants
        field_plan = bound.fields
        filters = bound.filters
        extra_ids = bound.identifiers
        has_series = bool(bound.annual or bound.outcomes)
        imported = skipped = rejected = rows = 0
        for number, cells in table.rows:
            rows += 1
            self.total += 1
            if self.total % PROGRESS_EVERY == 0:
                self.progress(self.total)
            width = len(cells)
            drop = None
            for f_index, flt in filters:
                if not flt.keep(cells[f_index].strip() if f_index < width else ""):
                    drop = flt.name
                    break
            if drop is not None:
                skips.append(Skip(name, number, f"{FILTER_RULE}:{drop}"))
                skipped += 1
                continue
            column = id_column
            text = cells[id_index] if id_index < width else ""
            try:
                identifier = id_convert(text)
                first = seen.get((scheme, identifier))
                if first is not None:
                    where = f"row {first[1]}" if first[0] == name else f"row {first[1]} of {first[0]}"
                    raise _Bad(f"duplicate identifier: row {number} repeats {identifier!r} of {where}")
                seen[(scheme, identifier)] = (name, number)
                values = dict(constants)
                for field_name, index, field_column, convert in field_plan:
                    column = field_column
                    text = cells[index] if index < width else ""
                    values[field_name] = convert(text)
                ids: dict[str, str] = {}
                for index, id_col, other_scheme, convert in extra_ids:
                    column = id_col
                    text = cells[index] if index < width else ""
                    value = convert(text)
                    if value is not None:
                        ids[other_scheme] = value
                record = OrgRecord(scheme, identifier, name, number, identifiers=ids, fields=values)
                if has_series:
                    self._series(record, cells, bound)
            except _RowBad as bad:
                rejections.append(Rejection(name, number, bad.column, bad.value, str(bad)))
                rejected += 1
                continue
            except _Bad as bad:
                rejections.append(Rejection(name, number, column, text.strip(), str(bad)))
                rejected += 1
                continue
            records.append(record)
            imported += 1
        summary.rows = rows
        summary.imported = imported
        summary.skipped = skipped
        summary.rejected = rejected

    def _series(self, record: OrgRecord, cells: list[str], bound: _Bound) -> None:
        """Yearly figures and outcomes of one row; raises _RowBad (with its column) for a bad cell."""
        width = len(cells)
        column = ""
        text = ""
        try:
            for annual, spec in zip(bound.annual, self.plan.annual, strict=True):
                row_year = None
                if annual.year_index >= 0:
                    column = annual.year_column
                    text = cells[annual.year_index] if annual.year_index < width else ""
                    row_year = _year_converter(text)
                for year, enrol_index, ses_index in annual.cells:
                    enrolment = ses = None
                    if enrol_index >= 0 and spec.enrolment_convert is not None:
                        column = spec.enrolment or ""
                        text = cells[enrol_index] if enrol_index < width else ""
                        enrolment = spec.enrolment_convert(text)
                    if ses_index >= 0 and spec.ses_convert is not None:
                        column = spec.ses_index or ""
                        text = cells[ses_index] if ses_index < width else ""
                        ses = spec.ses_convert(text)
                    the_year = year if annual.year_index < 0 else row_year
                    if the_year is None:
                        if enrolment is None and ses is None:
                            continue
                        column = annual.year_column
                        text = cells[annual.year_index] if annual.year_index < width else ""
                        raise _Bad("the year is missing")
                    entry = record.years.setdefault(the_year, {})
                    if enrol_index >= 0:
                        entry["enrolment"] = enrolment
                    if ses_index >= 0:
                        entry["ses_index"] = ses
            if bound.outcomes:
                self._outcomes(record, cells, bound)
        except _RowBad:
            raise
        except _Bad as bad:
            raise _RowBad(column, text.strip(), str(bad)) from None

    def _outcomes(self, record: OrgRecord, cells: list[str], bound: _Bound) -> None:
        width = len(cells)
        column = ""
        text = ""
        # Indicator definitions and directions learnt from this row count only once the row is accepted.
        new_defs: dict[str, IndicatorDef] = {}
        new_directions: dict[str, tuple[str, int]] = {}
        taken: set[tuple[str, int]] = set()
        # One {year} pattern gives distinct years; only several entries or a year column can repeat one.
        check_taken = len(bound.outcomes) > 1 or bound.outcomes[0].year_index >= 0
        cohort_convert = self.cohort_convert
        outcomes = record.outcomes
        try:
            for outcome in bound.outcomes:
                spec = outcome.spec
                code = spec.code
                code_text = ""
                if spec.code_convert is not None:
                    column = spec.code_column or ""
                    text = code_text = cells[outcome.code_index] if outcome.code_index < width else ""
                    code = spec.code_convert(text)
                    if code is _LEAVE_OUT:
                        continue  # an indicator the mapping leaves out
                row_year = None
                if outcome.year_index >= 0:
                    column = spec.year_column
                    text = cells[outcome.year_index] if outcome.year_index < width else ""
                    row_year = _year_converter(text)
                convert = spec.convert
                for year, value_index, value_column, cohort_index, cohort_column in outcome.cells:
                    column = value_column
                    text = cells[value_index] if value_index < width else ""
                    value = convert(text)
                    if value is None:
                        continue
                    the_year = year if outcome.year_index < 0 else row_year
                    if the_year is None:
                        raise _Bad("the outcome has no year")
                    if code is None:
                        column = spec.code_column or ""
                        text = code_text
                        raise _Bad("no indicator code for the outcome values")
                    if check_taken:
                        if (code, the_year) in taken:
                            raise _Bad(f"a second value for {code!r} in {the_year}")
                        taken.add((code, the_year))
                    cohort = None
                    if cohort_index >= 0:
                        column = cohort_column
                        text = cells[cohort_index] if cohort_index < width else ""
                        cohort = cohort_convert(text)
                    # A value on a small cohort is kept as the file gives it: pages, the API and exports
                    # show it as suppressed (the small-numbers rule of docs/importing.md).
                    if value is _SUPPRESSED:
                        outcomes.append(OutcomeCell(code, the_year, None, cohort, True))
                    else:
                        outcomes.append(OutcomeCell(code, the_year, value, cohort))
                if code is None:
                    continue
                definition = new_defs.get(code) or self.result.indicators.get(code)
                if definition is None:
                    definition = self.plan.indicators.get(code) or IndicatorDef(code=code, name=code)
                    new_defs[code] = definition
                hib = spec.hib
                if hib is None and outcome.hib_index >= 0:
                    column = spec.hib_column or ""
                    text = cells[outcome.hib_index] if outcome.hib_index < width else ""
                    hib = self.bool_convert(text)
                if hib is None:
                    continue
                if code in new_directions or code in self.direction_from:
                    if definition.higher_is_better != hib:
                        source = new_directions.get(code, self.direction_from.get(code))
                        said = "the mapping" if source is None else f"row {source[1]} of {source[0]}"
                        direction = "higher" if definition.higher_is_better else "lower"
                        column = spec.hib_column or "higher_is_better"
                        text = text if spec.hib_column else str(hib).lower()
                        raise _Bad(f"for {code!r}, {said} says {direction} is better")
                else:  # the first row naming an indicator the mapping does not describe sets its direction
                    new_defs[code] = dataclasses.replace(definition, higher_is_better=hib)
                    new_directions[code] = (record.file, record.row)
        except _Bad as bad:
            raise _RowBad(column, text.strip(), str(bad)) from None
        if new_defs:
            self.result.indicators.update(new_defs)
            self.direction_from.update(new_directions)


class _RowBad(_Bad):
    """A bad cell found while reading a row's series: carries its own column and value."""

    def __init__(self, column: str, value: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.value = value


# --------------------------------------------------------------------------------------------------------
# Suggestions for the wizard.

_SUGGEST_ID: tuple[tuple[str, str], ...] = (
    ("urn", "urn"),
    ("dbn", "dbn"),
    ("ncessch", "nces"),
    ("ncesid", "nces"),
    ("ncesschoolid", "nces"),
    ("nces", "nces"),
    ("schoolid", "network"),
    ("schoolcode", "network"),
    ("schoolnumber", "network"),
    ("id", "network"),
    ("code", "network"),
)
_SUGGEST_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name", "schoolname", "establishmentname", "schname", "school", "locationname", "instname"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng", "long"),
    "phase": ("phase", "phaseofeducation", "phaseofeducationname", "level", "schoollevel", "schlevel"),
    "school_type": ("type", "schooltype", "typeofestablishment", "typeofestablishmentname", "governance"),
    "status": ("status", "schoolstatus", "establishmentstatus", "establishmentstatusname", "statusname"),
    "address": ("address", "street", "streetaddress", "address1", "primaryaddressline1"),
    "postcode": ("postcode", "zip", "zipcode", "postalcode", "postal"),
    "district": ("district", "town", "city", "locality", "districtname"),
    "community": ("community",),
    "language": ("language", "languageofinstruction"),
    "urban_rural": ("urbanrural", "urbanicity", "urbanruralname"),
    "opened_on": ("opendate", "openedon", "opened", "opendate1"),
    "closed_on": ("closedate", "closedon", "closed"),
    "accepts_online": ("acceptsonline", "online"),
    "partner_capacity": ("capacity", "partnercapacity"),
    "strengths": ("strengths",),
    "needs": ("needs",),
    "offers": ("offers",),
}
_SUGGEST_ENROLMENT = (
    "enrolment",
    "enrollment",
    "enrol",
    "enroll",
    "totalenrollment",
    "numberofpupils",
    "pupils",
)
_SUGGEST_SES = ("sesindex", "ses", "economicneedindex", "percentfsm", "fsmpercent", "pctfsm")


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def suggest_mapping(header: list[str]) -> dict[str, Any]:
    """A first guess at a mapping for a header, to be corrected in the wizard (it may not validate)."""
    canonical_fixed = {"school_id", "name", "phase", "type", "indicator", "higher_is_better"}
    stripped = [h.strip() for h in header]
    if canonical_fixed <= set(stripped) and any(h.startswith("outcome_") for h in stripped):
        return copy.deepcopy(CANONICAL_MAPPING)
    by_norm: dict[str, str] = {}
    for name in stripped:
        by_norm.setdefault(_norm(name), name)
    used: set[str] = set()

    def pick(candidates: Iterable[str]) -> str | None:
        for candidate in candidates:
            name = by_norm.get(candidate)
            if name is not None and name not in used:
                used.add(name)
                return name
        return None

    mapping: dict[str, Any] = {"version": MAPPING_VERSION}
    for candidate, scheme in _SUGGEST_ID:
        column = pick([candidate])
        if column is not None:
            mapping["identifier"] = {"column": column, "scheme": scheme}
            break
    else:
        mapping["identifier"] = {"column": stripped[0] if stripped else "", "scheme": "network"}
        used.add(mapping["identifier"]["column"])
    primary_scheme = mapping["identifier"]["scheme"]
    extra: list[dict[str, str]] = []
    for candidate, scheme in _SUGGEST_ID[:6]:
        column = pick([candidate])
        if column is not None and scheme != primary_scheme and all(e["scheme"] != scheme for e in extra):
            extra.append({"column": column, "scheme": scheme})
    if extra:
        mapping["identifiers"] = extra
    fields: dict[str, Any] = {}
    for field_name, candidates in _SUGGEST_FIELDS.items():
        column = pick(candidates)
        if column is None:
            continue
        fields[field_name] = {"column": column, "separator": ";"} if field_name in LIST_FIELDS else column
    fields.setdefault("name", "")
    mapping["fields"] = fields
    enrolment = pick(_SUGGEST_ENROLMENT)
    ses = pick(_SUGGEST_SES)
    if enrolment or ses:
        annual: dict[str, Any] = {"year": "option"}
        if enrolment:
            annual["enrolment"] = enrolment
        if ses:
            annual["ses_index"] = ses
        mapping["annual"] = annual
    return mapping
