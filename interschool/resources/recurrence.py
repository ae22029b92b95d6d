"""Recurring bookings: expand an RFC 5545 rule in local wall-clock time into UTC instants.

A booking series is a first start in local wall-clock time (naive, e.g. Monday 09:00), a duration, an
IANA time zone and an RRULE value (``FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270331`` or with ``COUNT``). The rule
is expanded by python-dateutil on the naive local start, so 09:00 stays 09:00 across daylight-saving
changes; each occurrence is then placed in the zone with :mod:`zoneinfo` and converted to UTC.

Wall-clock times the zone skips or repeats follow RFC 5545 (section 3.3.5), which is also what zoneinfo
does with ``fold=0``:

* **gap** (spring forward; 02:30 does not exist in Europe/Amsterdam on 2026-03-29): the time is read
  with the UTC offset *before* the gap, so the occurrence moves forward by the length of the gap
  (02:30 → 03:30 CEST, 01:30Z) and keeps its duration. ``local_start`` is then the wall-clock time it
  really starts (03:30); ``recurrence_id`` stays the time the rule produced (02:30), which is what
  RECURRENCE-ID and EXDATE refer to.
* **overlap** (fall back; 02:30 happens twice): the first one, before the change (``fold=0``).

An occurrence ends ``duration`` after it starts in real (UTC) time, as RFC 5545 section 3.8.5.3 asks
("the same exact duration will apply to all the members"); an occurrence that spans a change therefore
ends an hour earlier or later on the wall clock.

Rules are checked on entry and refused with :class:`RecurrenceError` naming the problem: an unreadable
rule, a part outside RFC 5545, a frequency finer than daily or a time of day in the rule (bookings recur
daily at most, at the time of the first start), a first start that is not the rule's first occurrence,
a series without an end, an unknown time zone, more than ``limit`` occurrences.

Complexity: O(n) for the n occurrences up to the end of the series (or of the window). A rule that can
never match (30 February) is searched until the year 9999 by dateutil, a few seconds at worst.

Examples
--------
>>> from datetime import date, datetime, timedelta
>>> rule = weekly_rule([0], until=date(2026, 4, 6))
>>> rule
'FREQ=WEEKLY;BYDAY=MO;UNTIL=20260406'
>>> series = occurrences(rule, datetime(2026, 3, 23, 9), timedelta(hours=1), "Europe/Amsterdam")
>>> [(o.local_start.strftime("%a %d %H:%M"), o.start.strftime("%H:%MZ")) for o in series]
[('Mon 23 09:00', '08:00Z'), ('Mon 30 09:00', '07:00Z'), ('Mon 06 09:00', '07:00Z')]
>>> rule_for_feed(rule, "Europe/Amsterdam")
'FREQ=WEEKLY;BYDAY=MO;UNTIL=20260406T215959Z'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

DEFAULT_LIMIT = 1000

# Bookings recur daily at most: finer frequencies and a time of day inside the rule are refused.
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_RFC_PARTS = frozenset(
    {
        "FREQ",
        "UNTIL",
        "COUNT",
        "INTERVAL",
        "BYSECOND",
        "BYMINUTE",
        "BYHOUR",
        "BYDAY",
        "BYMONTHDAY",
        "BYYEARDAY",
        "BYWEEKNO",
        "BYMONTH",
        "BYSETPOS",
        "WKST",
    }
)
_TIME_OF_DAY_PARTS = frozenset({"BYSECOND", "BYMINUTE", "BYHOUR"})
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_UNTIL = re.compile(r"(\d{8})(?:T(\d{6})(Z?))?")
_DAY_END = time(23, 59, 59)


class RecurrenceError(ValueError):
    """A recurrence rule, first start, time zone or bound that cannot be used; the message names it."""


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One occurrence of a series.

    ``index`` counts from 0 at the first start, whatever window was asked for. ``local_start`` is the
    naive wall-clock time the occurrence starts; ``start`` and ``end`` are aware UTC instants.
    ``recurrence_id`` is the naive local start the rule produced, the value RECURRENCE-ID and EXDATE
    use; it differs from ``local_start`` only in a daylight-saving gap.
    """

    index: int
    local_start: datetime
    start: datetime
    end: datetime
    recurrence_id: datetime


@dataclass(frozen=True, slots=True)
class _Rule:
    freq: str
    parts: tuple[tuple[str, str], ...]  # every part but UNTIL, FREQ first, in the order given
    until: datetime | None  # aware (UTC) as written with Z, else naive local (a date: 23:59:59 that day)
    count: int | None


def load_time_zone(name: str) -> ZoneInfo:
    """The zone called ``name`` in the IANA database, or :class:`RecurrenceError`.

    >>> load_time_zone("Europe/Amsterdam").key
    'Europe/Amsterdam'
    """
    if not isinstance(name, str) or not name.strip():
        raise RecurrenceError("a time zone name is required (an IANA name such as 'Europe/Amsterdam')")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RecurrenceError(
            f"unknown time zone {name!r} (expected an IANA name such as 'Europe/Amsterdam')"
        ) from exc


def weekly_rule(weekdays: Sequence[int], until: date) -> str:
    """The rule of a series every week on ``weekdays`` (0 = Monday … 6 = Sunday) up to ``until``.

    ``until`` is a local date and includes that day's occurrences.

    >>> weekly_rule([2, 0], until=date(2027, 3, 31))
    'FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270331'
    """
    days = set(weekdays)
    if not days:
        raise RecurrenceError("a weekly rule needs at least one weekday")
    if not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days):
        raise RecurrenceError(f"weekdays must be 0 (Monday) to 6 (Sunday), got {sorted(days, key=str)}")
    if isinstance(until, datetime) or not isinstance(until, date):
        raise RecurrenceError(f"until must be a date, got {until!r}")
    byday = ",".join(_WEEKDAYS[d] for d in sorted(days))
    return f"FREQ=WEEKLY;BYDAY={byday};UNTIL={until:%Y%m%d}"


def rule_for_feed(rule: str, time_zone: str) -> str:
    """``rule`` checked and written as an iCalendar feed needs it: FREQ first, UNTIL in UTC.

    RFC 5545 requires UNTIL in UTC when DTSTART has a TZID: a date (``UNTIL=20270331``) becomes the
    last second of that local day, a local date-time is placed in ``time_zone``.
    """
    parsed = _parse_rule(rule)
    zone = load_time_zone(time_zone)
    parts = list(parsed.parts)
    if parsed.until is not None:
        parts.append(("UNTIL", f"{_until_utc(parsed.until, zone):%Y%m%dT%H%M%SZ}"))
    return ";".join(f"{name}={value}" for name, value in parts)


def occurrences(
    rule: str,
    first_start: datetime,
    duration: timedelta,
    time_zone: str,
    until: date | None = None,
    window: tuple[datetime, datetime] | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[Occurrence]:
    """The occurrences of a series, in order.

    Parameters
    ----------
    rule
        An RFC 5545 RRULE value (an ``RRULE:`` prefix is accepted), DAILY to YEARLY. ``first_start``
        must be its first occurrence.
    first_start
        The first start in local wall-clock time (naive, whole seconds).
    duration
        How long each occurrence lasts in real time (positive).
    time_zone
        The IANA zone the wall-clock times are in.
    until
        A local date after which the series stops (inclusive), besides the rule's own end.
    window
        Aware ``(start, end)``: only the occurrences overlapping it (``end > window start`` and
        ``start < window end``); the indexes stay those of the whole series.
    limit
        Refuse (:class:`RecurrenceError`) a result of more than ``limit`` occurrences. Without a
        window that is the whole series.

    A rule without COUNT or UNTIL needs ``until`` or ``window``.
    """
    parsed = _parse_rule(rule)
    zone = load_time_zone(time_zone)
    _check_first_start(first_start)
    if not isinstance(duration, timedelta) or duration <= timedelta(0):
        raise RecurrenceError(f"the duration must be a positive timedelta, got {duration!r}")
    if isinstance(until, datetime) or (until is not None and not isinstance(until, date)):
        raise RecurrenceError(f"until must be a date, got {until!r}")
    window_start, window_end = _check_window(window)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise RecurrenceError(f"limit must be a positive integer, got {limit!r}")
    if parsed.count is None and parsed.until is None and until is None and window is None:
        raise RecurrenceError(
            f"the rule {rule!r} has no end (COUNT or UNTIL) and neither until nor a window was given"
        )

    rule_end = None if parsed.until is None else _until_utc(parsed.until, zone)
    expansion = rrulestr(";".join(f"{n}={v}" for n, v in parsed.parts), dtstart=first_start)
    first = next(iter(expansion), None)
    if first is None:
        raise RecurrenceError(f"the rule {rule!r} has no occurrence from {first_start:%Y-%m-%d}")
    if first != first_start:
        raise RecurrenceError(
            f"the first start {first_start:%Y-%m-%d %H:%M} is not an occurrence of {rule!r} "
            f"(its first occurrence would be {first:%Y-%m-%d %H:%M})"
        )
    if rule_end is not None and _to_utc(first_start, zone) > rule_end:
        raise RecurrenceError(f"the rule {rule!r} ends before the first start {first_start:%Y-%m-%d %H:%M}")

    result: list[Occurrence] = []
    for index, nominal in enumerate(expansion):
        start = _to_utc(nominal, zone)
        if (
            (until is not None and nominal.date() > until)
            or (rule_end is not None and start > rule_end)
            or (window_end is not None and start >= window_end)
        ):
            break
        end = start + duration
        if window_start is not None and end <= window_start:
            continue
        if len(result) == limit:
            raise RecurrenceError(f"the rule {rule!r} gives more than {limit} occurrences")
        local_start = start.astimezone(zone).replace(tzinfo=None, fold=0)
        result.append(Occurrence(index, local_start, start, end, recurrence_id=nominal))
    return result


def _parse_rule(rule: str) -> _Rule:
    if not isinstance(rule, str):
        raise RecurrenceError(f"the recurrence rule must be a string, got {rule!r}")
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if not text or any(c in text for c in "\r\n"):
        raise RecurrenceError(f"the recurrence rule {rule!r} must be one RRULE value such as 'FREQ=WEEKLY'")
    seen: dict[str, str] = {}
    for piece in text.upper().split(";"):
        name, equals, value = piece.partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not name or not value:
            raise RecurrenceError(f"the recurrence rule {rule!r} cannot be read: {piece!r} is not NAME=VALUE")
        if name not in _RFC_PARTS:
            raise RecurrenceError(f"the recurrence rule {rule!r} has an unknown part {name}")
        if name in seen:
            raise RecurrenceError(f"the recurrence rule {rule!r} gives {name} twice")
        seen[name] = value
    freq = seen.pop("FREQ", None)
    if freq is None:
        raise RecurrenceError(f"the recurrence rule {rule!r} has no FREQ")
    if freq not in FREQUENCIES:
        raise RecurrenceError(
            f"the recurrence rule {rule!r} repeats {freq}: bookings recur at most daily "
            f"({', '.join(FREQUENCIES)})"
        )
    if time_parts := sorted(_TIME_OF_DAY_PARTS & seen.keys()):
        raise RecurrenceError(
            f"the recurrence rule {rule!r} sets {', '.join(time_parts)}: the time of day is the first start's"
        )
    if "COUNT" in seen and "UNTIL" in seen:
        raise RecurrenceError(f"the recurrence rule {rule!r} has both COUNT and UNTIL (RFC 5545 allows one)")
    count = _positive(rule, seen, "COUNT")
    _positive(rule, seen, "INTERVAL")
    until = _parse_until(rule, seen.pop("UNTIL")) if "UNTIL" in seen else None
    parts = (("FREQ", freq), *seen.items())
    try:  # dateutil reads the BY* lists; its errors name the part
        rrulestr(";".join(f"{n}={v}" for n, v in parts), dtstart=datetime(2000, 1, 1))  # noqa: DTZ001
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise RecurrenceError(f"the recurrence rule {rule!r} cannot be read: {exc}") from exc
    return _Rule(freq, parts, until, count)


def _positive(rule: str, parts: dict[str, str], name: str) -> int | None:
    if name not in parts:
        return None
    value = parts[name]
    if not value.isdigit() or int(value) < 1:
        raise RecurrenceError(
            f"the recurrence rule {rule!r} has {name}={value}: a positive integer is needed"
        )
    return int(value)


def _parse_until(rule: str, value: str) -> datetime:
    match = _UNTIL.fullmatch(value)
    try:
        if match is None:
            raise ValueError(value)
        if match[2] is None:
            day = datetime.strptime(match[1], "%Y%m%d").date()  # noqa: DTZ007 - a local date
            return datetime.combine(day, _DAY_END)
        moment = datetime.strptime(match[1] + match[2], "%Y%m%d%H%M%S")  # noqa: DTZ007 - zone decided below
    except ValueError as exc:
        raise RecurrenceError(
            f"the recurrence rule {rule!r} has UNTIL={value}: expected YYYYMMDD or YYYYMMDDTHHMMSSZ"
        ) from exc
    return moment.replace(tzinfo=UTC) if match[3] else moment


def _until_utc(until: datetime, zone: ZoneInfo) -> datetime:
    return until if until.tzinfo is not None else _to_utc(until, zone)


def _check_first_start(first_start: datetime) -> None:
    if not isinstance(first_start, datetime):
        raise RecurrenceError(f"the first start must be a datetime, got {first_start!r}")
    if first_start.tzinfo is not None:
        raise RecurrenceError(
            f"the first start must be naive local wall-clock time, got {first_start.isoformat()}"
        )
    if first_start.microsecond:
        raise RecurrenceError(f"the first start must be in whole seconds, got {first_start.isoformat()}")


def _check_window(window: tuple[datetime, datetime] | None) -> tuple[datetime | None, datetime | None]:
    if window is None:
        return None, None
    try:
        start, end = window
    except (TypeError, ValueError) as exc:
        raise RecurrenceError(f"the window must be a (start, end) pair, got {window!r}") from exc
    for bound in (start, end):
        if not isinstance(bound, datetime) or bound.utcoffset() is None:
            raise RecurrenceError(f"the window's bounds must be aware datetimes, got {bound!r}")
    if not start < end:
        raise RecurrenceError(f"the window must start before it ends, got {start} to {end}")
    return start, end


def _to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    # fold=0: in a gap the offset before the change, in an overlap the first of the two (RFC 5545 3.3.5).
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)
