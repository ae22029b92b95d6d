"""Build RFC 5545 calendar feeds (``.ics``) of bookings from plain data, with the icalendar library.

Each :class:`FeedEvent` becomes one VEVENT: DTSTART and DTEND carry the event's TZID (local wall-clock
times, so a weekly 09:00 stays 09:00 across daylight-saving changes in every client), RRULE is written
with UNTIL in UTC as RFC 5545 requires beside a TZID (``recurrence.rule_for_feed``), cancelled
occurrences go in one EXDATE with the same TZID. The calendar holds one VTIMEZONE per TZID used
(none for UTC, which is written with a Z), generated from the zoneinfo database by icalendar
(``Timezone.from_tzinfo``) for the whole years the zone's events span (first start to last
occurrence), so clients that read VTIMEZONE rather than the TZID's name (Outlook) place every
occurrence right.

Everything is checked first and refused with :class:`FeedError` naming the event; nothing here reads
Django or the models, so the feed is built and tested on plain data.

Complexity: O(n) for the n occurrences of all series (each series is expanded once to check it and to
find the span its time zone must cover); a VTIMEZONE is built once per zone and span of years and then
cached.

Examples
--------
>>> from datetime import UTC, datetime
>>> event = FeedEvent(
...     uid="booking-42@interschool.example",
...     summary="Science lab",
...     time_zone="Europe/Amsterdam",
...     local_start=datetime(2026, 3, 23, 9),
...     local_end=datetime(2026, 3, 23, 10),
...     rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=3",
...     exdates=[datetime(2026, 3, 30, 9)],
...     last_modified=datetime(2026, 3, 1, tzinfo=UTC),
... )
>>> body = feed("Bookings", [event], now=datetime(2026, 3, 2, 12, tzinfo=UTC))
>>> print(body.decode().replace("\\r\\n", "\\n"))  # doctest: +ELLIPSIS
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Interschool//Interschool//EN
CALSCALE:GREGORIAN
NAME:Bookings
X-WR-CALNAME:Bookings
BEGIN:VTIMEZONE
TZID:Europe/Amsterdam
...
END:VTIMEZONE
BEGIN:VEVENT
SUMMARY:Science lab
DTSTART;TZID=Europe/Amsterdam:20260323T090000
DTEND;TZID=Europe/Amsterdam:20260323T100000
DTSTAMP:20260302T120000Z
UID:booking-42@interschool.example
SEQUENCE:0
RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO
EXDATE;TZID=Europe/Amsterdam:20260330T090000
LAST-MODIFIED:20260301T000000Z
STATUS:CONFIRMED
END:VEVENT
END:VCALENDAR
<BLANKLINE>
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vRecur

from interschool.resources.recurrence import RecurrenceError, load_time_zone, occurrences, rule_for_feed

CONTENT_TYPE = "text/calendar; charset=utf-8"
PRODID = "-//Interschool//Interschool//EN"
STATUSES = ("CONFIRMED", "TENTATIVE", "CANCELLED")

Status = Literal["CONFIRMED", "TENTATIVE", "CANCELLED"]


class FeedError(ValueError):
    """An event that cannot go into a feed; the message names it by UID."""


@dataclass(frozen=True, kw_only=True)
class FeedEvent:
    """One booking or booking series as the feed shows it.

    ``uid`` must stay the same for the same booking from one feed to the next (``booking-42@host``);
    ``sequence`` goes up each time the booking changes in a way attendees should notice. Times are naive
    wall-clock times in ``time_zone``; ``exdates`` are the local starts of cancelled occurrences (their
    ``Occurrence.recurrence_id``). ``last_modified`` is aware.
    """

    uid: str
    summary: str
    description: str = ""
    location: str = ""
    status: Status = "CONFIRMED"
    time_zone: str
    local_start: datetime
    local_end: datetime
    rrule: str | None = None
    exdates: Sequence[datetime] = field(default_factory=tuple)
    sequence: int = 0
    last_modified: datetime


def feed(name: str, events: Iterable[FeedEvent], *, now: datetime) -> bytes:
    """The calendar ``name`` with ``events``, as the bytes of an ``.ics`` file (CRLF, folded lines).

    ``now`` (aware) is written as every event's DTSTAMP, so the same input gives the same bytes.
    """
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise FeedError(f"now must be an aware datetime, got {now!r}")
    events = list(events)
    spans: dict[str, tuple[int, int]] = {}  # time zone → first and last year its events touch
    seen: set[str] = set()
    for event in events:
        first_year, last_year = _check_event(event)
        if event.uid in seen:
            raise FeedError(f"{event.uid}: the UID is used by two events of the feed")
        seen.add(event.uid)
        known = spans.get(event.time_zone, (first_year, last_year))
        spans[event.time_zone] = (min(known[0], first_year), max(known[1], last_year))

    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.calendar_name = name  # NAME (RFC 7986) and X-WR-CALNAME, which most clients read
    stamp = now.astimezone(UTC)
    for event in events:
        calendar.add_component(_vevent(event, stamp))
    # Only zones some property names with TZID: icalendar writes UTC times with a Z and no TZID.
    used = calendar.get_used_tzids()
    calendar.subcomponents[:0] = [
        Timezone.from_ical(_vtimezone(time_zone, *spans[time_zone]))
        for time_zone in sorted(spans.keys() & used)
    ]
    return calendar.to_ical()


def _vevent(event: FeedEvent, stamp: datetime) -> Event:
    zone = ZoneInfo(event.time_zone)
    vevent = Event()
    vevent.add("summary", event.summary)
    vevent.add("dtstart", event.local_start.replace(tzinfo=zone))
    vevent.add("dtend", event.local_end.replace(tzinfo=zone))
    vevent.add("dtstamp", stamp)
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    if event.rrule is not None:
        vevent.add("rrule", vRecur.from_ical(rule_for_feed(event.rrule, event.time_zone)))
    if event.exdates:
        vevent.add("exdate", [d.replace(tzinfo=zone) for d in sorted(set(event.exdates))])
    vevent.add("status", event.status)
    vevent.add("last-modified", event.last_modified.astimezone(UTC))
    if event.description:
        vevent.add("description", event.description)
    if event.location:
        vevent.add("location", event.location)
    return vevent


def _check_event(event: FeedEvent) -> tuple[int, int]:
    """Refuse what cannot be written; return the first and last year the event touches, locally."""
    if not isinstance(event, FeedEvent):
        raise FeedError(f"a feed takes FeedEvent objects, got {event!r}")
    uid = event.uid
    if not isinstance(uid, str) or not uid.strip():
        raise FeedError(f"every event needs a UID, got {uid!r}")
    if event.status not in STATUSES:
        raise FeedError(f"{uid}: the status {event.status!r} is not one of {', '.join(STATUSES)}")
    if isinstance(event.sequence, bool) or not isinstance(event.sequence, int) or event.sequence < 0:
        raise FeedError(f"{uid}: the sequence must be a non-negative integer, got {event.sequence!r}")
    if not isinstance(event.last_modified, datetime) or event.last_modified.utcoffset() is None:
        raise FeedError(f"{uid}: last_modified must be an aware datetime, got {event.last_modified!r}")
    for label, moment in (("local_start", event.local_start), ("local_end", event.local_end)):
        if not isinstance(moment, datetime) or moment.tzinfo is not None or moment.microsecond:
            raise FeedError(f"{uid}: {label} must be a naive wall-clock datetime in whole seconds")
    for exdate in event.exdates:
        if not isinstance(exdate, datetime) or exdate.tzinfo is not None:
            raise FeedError(f"{uid}: cancelled occurrences must be naive local starts, got {exdate!r}")
    if event.exdates and event.rrule is None:
        raise FeedError(f"{uid}: cancelled occurrences (EXDATE) need a recurrence rule")
    try:
        zone = load_time_zone(event.time_zone)
        start = event.local_start.replace(tzinfo=zone).astimezone(UTC)
        end = event.local_end.replace(tzinfo=zone).astimezone(UTC)
        if end <= start:
            raise FeedError(
                f"{uid}: the event ends ({event.local_end}) before it starts ({event.local_start})"
            )
        last_end = end
        if event.rrule is not None:
            # Checks the rule against the first start and finds where the series ends.
            series = occurrences(event.rrule, event.local_start, end - start, event.time_zone)
            last_end = series[-1].end
    except RecurrenceError as exc:
        raise FeedError(f"{uid}: {exc}") from exc
    return event.local_start.year, last_end.astimezone(zone).year


@functools.lru_cache(maxsize=64)
def _vtimezone(time_zone: str, first_year: int, last_year: int) -> bytes:
    """The VTIMEZONE of ``time_zone`` over whole years, serialised so the cache holds nothing mutable."""
    component = Timezone.from_tzinfo(
        ZoneInfo(time_zone),
        tzid=time_zone,
        first_date=date(first_year, 1, 1),
        last_date=date(last_year + 1, 1, 1),
    )
    return component.to_ical()
