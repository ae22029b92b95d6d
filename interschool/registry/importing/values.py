"""Cell values: numbers in their published spellings, and the markers of missing and suppressed values."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# Markers that mean "withheld because the group is small": stored as suppressed, never as a number.
SUPPRESSED_MARKERS: frozenset[str] = frozenset({"s", "supp", "n<15", "<15", "n<10", "<10", "n<5", "<5", "*"})
# Markers that mean "no value": stored as missing.
MISSING_MARKERS: frozenset[str] = frozenset(
    {"", "na", "n/a", "no data", ".", "z", "ne", "np", "lowcov", "-", "x", "..", "-999", "null", "none"}
)
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_TOP_CODED = re.compile(r"^[<>]\s*(\d+(?:[.,]\d+)?)\s*%?$")


class CellError(ValueError):
    """A cell that should hold a number and does not; the message is shown to the user."""


@dataclass(frozen=True)
class Cell:
    value: float | None
    suppressed: bool = False

    @property
    def missing(self) -> bool:
        return self.value is None and not self.suppressed


MISSING = Cell(None)
SUPPRESSED = Cell(None, suppressed=True)


def marker_kind(
    text: str, *, missing: frozenset[str] | None = None, suppressed: frozenset[str] | None = None
) -> str | None:
    """ "missing", "suppressed" or None when the text is not a marker."""
    key = text.strip().lower()
    if key in (SUPPRESSED_MARKERS if suppressed is None else suppressed):
        return "suppressed"
    if key in (MISSING_MARKERS if missing is None else missing):
        return "missing"
    return None


def parse_number(
    text: str,
    *,
    decimal_comma: bool = False,
    percent_scale: float = 1.0,
    missing: frozenset[str] | None = None,
    suppressed: frozenset[str] | None = None,
) -> Cell:
    """Parse a published number: ``43%`` → 43, ``1,5`` → 1.5 with ``decimal_comma``, markers → their kind.

    ``percent_scale`` multiplies plain numbers (100 turns the fraction 0.43 into 43). Raises CellError.
    """
    kind = marker_kind(text, missing=missing, suppressed=suppressed)
    if kind == "suppressed":
        return SUPPRESSED
    if kind == "missing":
        return MISSING
    raw = text.strip().replace("\u00a0", "").replace(" ", "")
    top = _TOP_CODED.match(raw)
    if top:  # top- or bottom-coded such as "> 95%": the bound is kept
        return Cell(float(top.group(1).replace(",", ".")))
    scale = percent_scale
    if raw.endswith("%"):
        raw = raw[:-1]
        scale = 1.0
    if decimal_comma:
        raw = raw.replace(".", "").replace(",", ".") if "," in raw else raw
    elif "," in raw and "." not in raw and re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", raw):
        raw = raw.replace(",", "")  # thousands separators: 1,234
    if not _NUMBER.match(raw) or ("," in raw):
        raise CellError(f"{text.strip()!r} is not a number")
    number = float(raw) * scale
    if not math.isfinite(number):
        raise CellError(f"{text.strip()!r} is not a finite number")
    return Cell(round(number, 10))


def parse_int(text: str, **kwargs: object) -> Cell:
    cell = parse_number(text, **kwargs)  # type: ignore[arg-type]
    if cell.value is not None and not float(cell.value).is_integer():
        raise CellError(f"{text.strip()!r} is not a whole number")
    return cell


def parse_coordinate(text: str, *, axis: str) -> float | None:
    """A WGS84 latitude or longitude, or None when empty; raises CellError when out of range."""
    cell = parse_number(text, suppressed=frozenset())
    if cell.value is None:
        return None
    limit = 90.0 if axis == "latitude" else 180.0
    if not -limit <= cell.value <= limit:
        raise CellError(f"{text.strip()!r} is outside −{limit:g}…{limit:g}")
    return cell.value


def school_year_end(text: str) -> int | None:
    """``2014-15``, ``2014-2015``, ``20142015`` or ``2015`` → 2015: a school year is named by its end year."""
    raw = text.strip()
    if re.fullmatch(r"\d{4}", raw):
        return int(raw)
    match = re.fullmatch(r"(\d{4})\s*[-/–]\s*(\d{2}|\d{4})", raw) or re.fullmatch(r"(\d{4})(\d{4})", raw)
    if not match:
        return None
    start = int(match.group(1))
    end = match.group(2)
    end_year = int(end) if len(end) == 4 else (start // 100) * 100 + int(end)
    if end_year < start:
        end_year += 100
    return end_year if end_year == start + 1 else None


# (column, value, reason) of each problem found in one row, collected by the format parsers.
Errors = list[tuple[str, str, str]]


def quick_number(text: str) -> Cell:
    """``parse_number`` with a fast path for the plain numbers that most cells hold. Raises CellError."""
    try:
        value = float(text)
    except ValueError:
        return parse_number(text)
    if not math.isfinite(value) or "_" in text:
        return parse_number(text)  # "nan", "inf", "1_000": parse_number says why they are not numbers
    return Cell(value)


def count_cell(text: str, column: str, errors: Errors) -> int | None:
    """A count (a whole number ≥ 0), None when missing or suppressed; a problem goes into ``errors``."""
    try:
        count = int(text)  # the fast path: most cells are plain whole numbers
    except ValueError:
        pass
    else:
        if count >= 0 and "_" not in text:
            return count
    try:
        cell = quick_number(text)
    except CellError as exc:
        errors.append((column, text.strip(), str(exc)))
        return None
    if cell.value is None:
        return None
    if not float(cell.value).is_integer() or cell.value < 0:
        errors.append((column, text.strip(), f"{text.strip()!r} is not a count"))
        return None
    return int(cell.value)
