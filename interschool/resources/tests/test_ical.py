"""Booking feeds, read back with icalendar and expanded by an independent library (recurring_ical_events)."""

# Naive datetimes in these tests are local wall-clock times, on purpose:
# ruff: noqa: DTZ001

from __future__ import annotations

import dataclasses
import doctest
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from interschool.resources import ical
from interschool.resources.ical import CONTENT_TYPE, FeedError, FeedEvent, feed
from interschool.resources.recurrence import occurrences, weekly_rule

NOW = datetime(2026, 8, 20, 10, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
TERM = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
MODIFIED = datetime(2026, 8, 1, 12, tzinfo=UTC)
ZONES = ["Europe/Amsterdam", "America/New_York", "Asia/Tehran", "Australia/Sydney", "America/Santiago", "UTC"]


def series_event(**changes) -> FeedEvent:
    """Science lab, Mondays and Wednesdays 09:00–10:30 in Amsterdam, across the spring change."""
    values = {
        "uid": "booking-42@interschool.example",
        "summary": "Science lab",
        "description": "Year 9 chemistry, joint lesson",
        "location": "Lab 2, Da Vinci College",
        "status": "CONFIRMED",
        "time_zone": "Europe/Amsterdam",
        "local_start": datetime(2026, 3, 2, 9),
        "local_end": datetime(2026, 3, 2, 10, 30),
        "rrule": weekly_rule([0, 2], until=date(2026, 4, 30)),
        "exdates": [datetime(2026, 3, 30, 9), datetime(2026, 4, 8, 9)],
        "sequence": 2,
        "last_modified": MODIFIED,
    }
    return FeedEvent(**{**values, **changes})


def single_event(**changes) -> FeedEvent:
    values = {
        "uid": "booking-7@interschool.example",
        "summary": "Sports hall",
        "time_zone": "America/New_York",
        "local_start": datetime(2026, 11, 2, 14),
        "local_end": datetime(2026, 11, 2, 16),
        "last_modified": MODIFIED,
    }
    return FeedEvent(**{**values, **changes})


def parse(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def expanded(body: bytes, window=TERM) -> list[tuple[str, datetime, datetime]]:
    """Every occurrence the independent library finds in the feed, as (UID, UTC start, UTC end)."""
    found = recurring_ical_events.of(parse(body)).between(*window)
    return sorted(
        (str(e["UID"]), e["DTSTART"].dt.astimezone(UTC), e["DTEND"].dt.astimezone(UTC)) for e in found
    )


def expected(event: FeedEvent) -> list[tuple[str, datetime, datetime]]:
    """The occurrences our own expansion gives, minus the cancelled ones."""
    zone = ZoneInfo(event.time_zone)
    start = event.local_start.replace(tzinfo=zone)
    end = event.local_end.replace(tzinfo=zone)
    if event.rrule is None:
        return [(event.uid, start.astimezone(UTC), end.astimezone(UTC))]
    duration = end.astimezone(UTC) - start.astimezone(UTC)
    series = occurrences(event.rrule, event.local_start, duration, event.time_zone)
    cancelled = set(event.exdates)
    return [(event.uid, o.start, o.end) for o in series if o.recurrence_id not in cancelled]


def test_the_module_example_runs():
    failed, _ = doctest.testmod(ical, optionflags=doctest.ELLIPSIS)
    assert failed == 0


def test_the_feed_is_bytes_with_crlf_lines_folded_to_75_octets():
    long_text = "Gedeelde practicumruimte — " + "ümlauts and more words " * 20
    body = feed("Bookings", [series_event(description=long_text)], now=NOW)
    assert isinstance(body, bytes)
    assert CONTENT_TYPE == "text/calendar; charset=utf-8"
    assert body.endswith(b"\r\n")
    assert body.count(b"\n") == body.count(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # the long description was folded
    event = parse(body).events[0]
    assert str(event["DESCRIPTION"]) == long_text


def test_the_calendar_header():
    calendar = parse(feed("Da Vinci College: lab", [series_event()], now=NOW))
    assert str(calendar["PRODID"]) == "-//Interschool//Interschool//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["X-WR-CALNAME"]) == "Da Vinci College: lab"


def test_a_series_across_the_spring_change_expands_as_our_occurrences_minus_the_cancelled_ones():
    event = series_event()
    found = expanded(feed("Bookings", [event], now=NOW))
    assert found == expected(event)
    assert len(found) == 18 - 2  # 9 Mondays and 9 Wednesdays from 2 March to 29 April, two cancelled
    nine_o_clock = {start.astimezone(ZoneInfo("Europe/Amsterdam")).time() for _, start, _ in found}
    assert nine_o_clock == {datetime(2026, 1, 1, 9).time()}
    instants = [start for _, start, _ in found]
    assert instants[0] == datetime(2026, 3, 2, 8, tzinfo=UTC)  # CET
    assert instants[-1] == datetime(2026, 4, 29, 7, tzinfo=UTC)  # CEST
    assert datetime(2026, 3, 30, 7, tzinfo=UTC) not in instants  # cancelled


def test_the_vevent_properties():
    calendar = parse(feed("Bookings", [series_event()], now=NOW))
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == "booking-42@interschool.example"
    assert vevent["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert vevent["DTSTART"].dt == datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert vevent["DTEND"].params["TZID"] == "Europe/Amsterdam"
    assert vevent["DTEND"].dt == datetime(2026, 3, 2, 10, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
    rrule = vevent["RRULE"]
    assert (rrule["FREQ"], rrule["BYDAY"]) == (["WEEKLY"], ["MO", "WE"])
    assert rrule["UNTIL"] == [datetime(2026, 4, 30, 21, 59, 59, tzinfo=UTC)]  # 23:59:59 CEST, in UTC
    assert vevent["EXDATE"].params["TZID"] == "Europe/Amsterdam"
    assert [d.dt for d in vevent["EXDATE"].dts] == [
        datetime(2026, 3, 30, 9, tzinfo=ZoneInfo("Europe/Amsterdam")),
        datetime(2026, 4, 8, 9, tzinfo=ZoneInfo("Europe/Amsterdam")),
    ]
    assert vevent["SEQUENCE"] == 2
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert vevent["LAST-MODIFIED"].dt == MODIFIED
    assert str(vevent["SUMMARY"]) == "Science lab"
    assert str(vevent["DESCRIPTION"]) == "Year 9 chemistry, joint lesson"
    assert str(vevent["LOCATION"]) == "Lab 2, Da Vinci College"
    assert b"DTSTART;TZID=Europe/Amsterdam:20260302T090000\r\n" in feed("Bookings", [series_event()], now=NOW)


def test_every_vevent_has_the_dtstamp_given_in_utc():
    body = feed("Bookings", [series_event(), single_event()], now=NOW)
    stamps = [vevent["DTSTAMP"].dt for vevent in parse(body).walk("VEVENT")]
    assert stamps == [datetime(2026, 8, 20, 8, 30, tzinfo=UTC)] * 2
    assert body.count(b"DTSTAMP:20260820T083000Z\r\n") == 2


def test_uids_are_stable_and_the_same_input_gives_the_same_bytes():
    events = [series_event(), single_event()]
    first = feed("Bookings", events, now=NOW)
    later = feed("Bookings", events, now=NOW + timedelta(days=3))
    uids = [[str(v["UID"]) for v in parse(body).walk("VEVENT")] for body in (first, later)]
    assert uids[0] == uids[1] == ["booking-42@interschool.example", "booking-7@interschool.example"]
    assert feed("Bookings", events, now=NOW) == first
    assert first != later  # only DTSTAMP differs
    assert first.replace(b"20260820T083000Z", b"20260823T083000Z") == later


def test_one_vtimezone_for_each_tzid_used_covering_the_events():
    events = [
        series_event(),
        single_event(),
        single_event(
            uid="booking-8@interschool.example",
            local_start=datetime(2027, 5, 3, 9),
            local_end=datetime(2027, 5, 3, 10),
        ),
        single_event(uid="booking-9@interschool.example", time_zone="Asia/Tehran"),
    ]
    calendar = parse(feed("Bookings", events, now=NOW))
    tzids = sorted(str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE"))
    assert tzids == ["America/New_York", "Asia/Tehran", "Europe/Amsterdam"]
    assert calendar.get_used_tzids() == set(tzids)
    assert calendar.get_missing_tzids() == set()
    # Every start is placed right by the VTIMEZONE itself, not only by the zone's name (as Outlook does).
    for event in events:
        (vtimezone,) = (tz for tz in calendar.walk("VTIMEZONE") if tz["TZID"] == event.time_zone)
        own = vtimezone.to_tz(lookup_tzid=False)
        for _, start, _ in expected(event):
            local = start.astimezone(ZoneInfo(event.time_zone)).replace(tzinfo=None)
            assert local.replace(tzinfo=own).astimezone(UTC) == start, (event.uid, local)


def test_times_in_utc_are_written_with_a_z_and_need_no_vtimezone():
    event = series_event(time_zone="UTC")
    body = feed("Bookings", [event], now=NOW)
    assert b"DTSTART:20260302T090000Z\r\n" in body
    assert b"EXDATE:20260330T090000Z,20260408T090000Z\r\n" in body
    assert b"VTIMEZONE" not in body
    assert expanded(body) == expected(event)


def test_a_single_event():
    event = single_event()
    body = feed("Bookings", [event], now=NOW)
    (vevent,) = parse(body).walk("VEVENT")
    assert "RRULE" not in vevent
    assert "EXDATE" not in vevent
    assert "DESCRIPTION" not in vevent  # empty texts are left out
    assert expanded(body) == [
        (event.uid, datetime(2026, 11, 2, 19, tzinfo=UTC), datetime(2026, 11, 2, 21, tzinfo=UTC))
    ]


def test_a_series_with_every_occurrence_cancelled_expands_to_nothing():
    event = series_event(rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    every = [
        o.recurrence_id
        for o in occurrences(event.rrule, event.local_start, timedelta(hours=1.5), event.time_zone)
    ]
    assert len(every) == 3
    body = feed("Bookings", [event := dataclasses.replace(event, exdates=every)], now=NOW)
    assert expected(event) == []
    assert expanded(body) == []
    assert len(parse(body).walk("VEVENT")) == 1


def test_a_cancelled_series_says_so_with_a_higher_sequence():
    body = feed("Bookings", [series_event(status="CANCELLED", sequence=3)], now=NOW)
    (vevent,) = parse(body).walk("VEVENT")
    assert (str(vevent["STATUS"]), vevent["SEQUENCE"]) == ("CANCELLED", 3)


def test_the_dst_gap_start_is_written_as_given_and_read_back_as_the_same_instant():
    # 02:30 does not exist in Amsterdam on 29 March 2026: both expansions read it as 03:30 CEST (01:30Z).
    event = series_event(
        local_start=datetime(2026, 3, 22, 2, 30),
        local_end=datetime(2026, 3, 22, 3, 30),
        rrule="FREQ=WEEKLY;COUNT=3",
        exdates=[],
    )
    body = feed("Bookings", [event], now=NOW)
    ours = expected(event)
    assert [start for _, start, _ in ours] == [
        datetime(2026, 3, 22, 1, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC) + timedelta(days=7),
    ]
    assert ours[1][2] - ours[1][1] == timedelta(hours=1)  # the exact duration (RFC 5545 3.8.5.3)
    # recurring_ical_events adds the duration on the wall clock, so only the starts are compared here.
    assert [start for _, start, _ in expanded(body)] == [start for _, start, _ in ours]
    # Cancelling the occurrence in the gap uses the time the rule produced (its RECURRENCE-ID).
    cancelled = dataclasses.replace(event, exdates=[datetime(2026, 3, 29, 2, 30)])
    remaining = [start for _, start, _ in expanded(feed("Bookings", [cancelled], now=NOW))]
    assert remaining == [ours[0][1], ours[2][1]]


def test_texts_are_escaped_and_read_back_unchanged():
    summary = "Lab; chemistry, physics\nand a backslash \\ — ü"
    (vevent,) = parse(feed("Bookings", [single_event(summary=summary, location="A, B; C")], now=NOW)).walk(
        "VEVENT"
    )
    assert str(vevent["SUMMARY"]) == summary
    assert str(vevent["LOCATION"]) == "A, B; C"


def test_an_empty_feed_is_a_valid_calendar():
    calendar = parse(feed("Nothing booked", [], now=NOW))
    assert calendar.walk("VEVENT") == []
    assert calendar.walk("VTIMEZONE") == []
    assert str(calendar["X-WR-CALNAME"]) == "Nothing booked"


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([series_event(), single_event(uid="booking-42@interschool.example")], "used by two events"),
        ([single_event(uid=" ")], "needs a UID"),
        ([single_event(status="MAYBE")], "status 'MAYBE'"),
        ([single_event(sequence=-1)], "sequence"),
        ([single_event(last_modified=datetime(2026, 8, 1))], "last_modified must be an aware"),
        ([single_event(local_start=datetime(2026, 11, 2, 14, tzinfo=UTC))], "local_start must be a naive"),
        ([single_event(local_end=datetime(2026, 11, 2, 13))], "ends .* before it starts"),
        ([single_event(time_zone="Europe/Atlantis")], "booking-7@interschool.example: unknown time zone"),
        ([single_event(exdates=[datetime(2026, 11, 9, 14)])], "need a recurrence rule"),
        ([series_event(exdates=[datetime(2026, 3, 9, 9, tzinfo=UTC)])], "naive local starts"),
        ([series_event(rrule="FREQ=HOURLY;COUNT=3")], "booking-42@interschool.example: .*at most daily"),
        ([series_event(rrule="FREQ=WEEKLY;BYDAY=MO")], "has no end"),
        ([series_event(rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=3")], "not an occurrence"),
        (["booking-1"], "FeedEvent objects"),
    ],
)
def test_events_that_cannot_be_written_are_refused_naming_the_event(events, message):
    with pytest.raises(FeedError, match=message):
        feed("Bookings", events, now=NOW)


def test_now_must_be_aware():
    with pytest.raises(FeedError, match="now must be an aware datetime"):
        feed("Bookings", [single_event()], now=datetime(2026, 8, 20, 10))


@st.composite
def weekly_events(draw, uid: str):
    zone = draw(st.sampled_from(ZONES))
    first_day = draw(st.dates(date(2020, 1, 1), date(2027, 12, 31)))
    # Daytime bookings never span a daylight-saving change in these zones, so ends compare too.
    local_start = datetime.combine(first_day, datetime.min.time()).replace(
        hour=draw(st.integers(7, 17)), minute=draw(st.sampled_from([0, 15, 30, 45]))
    )
    local_end = local_start + timedelta(minutes=draw(st.integers(15, 240)))
    weekdays = draw(st.sets(st.integers(0, 6), max_size=6)) | {first_day.weekday()}
    byday = ",".join(("MO", "TU", "WE", "TH", "FR", "SA", "SU")[d] for d in sorted(weekdays))
    interval = draw(st.integers(1, 3))
    ending = draw(
        st.one_of(
            st.integers(1, 60).map(lambda n: f"COUNT={n}"),
            st.integers(0, 366).map(lambda n: f"UNTIL={first_day + timedelta(days=n):%Y%m%d}"),
        )
    )
    rule = f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={byday};{ending}"
    duration = local_end.replace(tzinfo=ZoneInfo(zone)) - local_start.replace(tzinfo=ZoneInfo(zone))
    series = occurrences(rule, local_start, duration, zone)
    cancelled = draw(st.lists(st.sampled_from([o.recurrence_id for o in series]), unique=True))
    return FeedEvent(
        uid=uid,
        summary="Booking",
        time_zone=zone,
        local_start=local_start,
        local_end=local_end,
        rrule=rule,
        exdates=cancelled,
        last_modified=MODIFIED,
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 10_000), min_size=1, max_size=3, unique=True).flatmap(
        lambda ids: st.tuples(*(weekly_events(f"booking-{i}@interschool.example") for i in ids))
    )
)
def test_random_weekly_series_expand_in_the_feed_exactly_as_our_occurrences(events):
    body = feed("Bookings", list(events), now=NOW)
    window = (datetime(2019, 12, 1, tzinfo=UTC), datetime(2036, 1, 1, tzinfo=UTC))
    assert expanded(body, window) == sorted(item for event in events for item in expected(event))
    calendar = parse(body)
    assert calendar.get_missing_tzids() == set()
    tzids = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    assert tzids == calendar.get_used_tzids() == {event.time_zone for event in events} - {"UTC"}


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    first_day=st.dates(date(2020, 1, 1), date(2027, 12, 31)),
    minute_of_day=st.one_of(st.integers(0, 4 * 4), st.integers(0, 24 * 4 - 1)),  # often the small hours
    count=st.integers(1, 60),
)
def test_starts_at_any_time_of_day_including_gaps_and_overlaps_agree(zone, first_day, minute_of_day, count):
    local_start = datetime.combine(first_day, datetime.min.time()) + timedelta(minutes=15 * minute_of_day)
    event = FeedEvent(
        uid="booking-1@interschool.example",
        summary="Night booking",
        time_zone=zone,
        local_start=local_start,
        local_end=local_start + timedelta(hours=5),
        rrule=f"FREQ=WEEKLY;COUNT={count}",
        last_modified=MODIFIED,
    )
    window = (datetime(2019, 12, 1, tzinfo=UTC), datetime(2036, 1, 1, tzinfo=UTC))
    found = [start for _, start, _ in expanded(feed("Bookings", [event], now=NOW), window)]
    assert found == [start for _, start, _ in expected(event)]
