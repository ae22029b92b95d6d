"""Recurring bookings on plain data: wall-clock times across daylight-saving changes, gaps, refusals."""

# Naive datetimes in these tests are local wall-clock times, on purpose:
# ruff: noqa: DTZ001

from __future__ import annotations

import doctest
import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interschool.resources import recurrence
from interschool.resources.recurrence import RecurrenceError, occurrences, rule_for_feed, weekly_rule

HOUR = timedelta(hours=1)
ZONES = ["Europe/Amsterdam", "America/New_York", "Asia/Tehran", "Australia/Sydney", "America/Santiago", "UTC"]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def starts(series) -> list[datetime]:
    return [o.start for o in series]


def test_the_module_examples_run():
    failed, _ = doctest.testmod(recurrence)
    assert failed == 0


def test_a_weekly_series_keeps_nine_o_clock_across_the_spring_change_in_amsterdam():
    series = occurrences("FREQ=WEEKLY;BYDAY=MO;COUNT=3", datetime(2026, 3, 16, 9), HOUR, "Europe/Amsterdam")
    assert starts(series) == [utc(2026, 3, 16, 8), utc(2026, 3, 23, 8), utc(2026, 3, 30, 7)]
    assert [o.end for o in series] == [utc(2026, 3, 16, 9), utc(2026, 3, 23, 9), utc(2026, 3, 30, 8)]
    assert [o.local_start for o in series] == [datetime(2026, 3, d, 9) for d in (16, 23, 30)]
    assert [o.recurrence_id for o in series] == [o.local_start for o in series]
    assert [o.index for o in series] == [0, 1, 2]
    assert all(o.start.tzinfo is UTC and o.local_start.tzinfo is None for o in series)


def test_a_weekly_series_keeps_nine_o_clock_across_the_autumn_change_in_amsterdam():
    series = occurrences("FREQ=WEEKLY;COUNT=2", datetime(2026, 10, 19, 9), HOUR, "Europe/Amsterdam")
    assert starts(series) == [utc(2026, 10, 19, 7), utc(2026, 10, 26, 8)]


def test_weekly_rule_on_two_days_across_the_spring_change_in_new_york():
    rule = weekly_rule([0, 2], until=date(2026, 3, 11))
    series = occurrences(rule, datetime(2026, 3, 2, 9), HOUR, "America/New_York")
    assert starts(series) == [
        utc(2026, 3, 2, 14),
        utc(2026, 3, 4, 14),
        utc(2026, 3, 9, 13),
        utc(2026, 3, 11, 13),
    ]


def test_tehran_follows_its_former_daylight_saving_and_its_fixed_offset_since_2023():
    series_2021 = occurrences("FREQ=WEEKLY;COUNT=3", datetime(2021, 3, 13, 8), HOUR, "Asia/Tehran")
    assert starts(series_2021) == [utc(2021, 3, 13, 4, 30), utc(2021, 3, 20, 4, 30), utc(2021, 3, 27, 3, 30)]
    series_2026 = occurrences("FREQ=WEEKLY;COUNT=3", datetime(2026, 3, 14, 8), HOUR, "Asia/Tehran")
    assert starts(series_2026) == [utc(2026, 3, 14, 4, 30), utc(2026, 3, 21, 4, 30), utc(2026, 3, 28, 4, 30)]


def test_a_time_in_the_spring_gap_moves_forward_by_the_gap_and_keeps_its_length():
    series = occurrences("FREQ=WEEKLY;COUNT=3", datetime(2026, 3, 1, 2, 30), HOUR, "America/New_York")
    # 02:30 does not exist on 8 March: read with the offset before the gap (EST), it is 03:30 EDT.
    assert starts(series) == [utc(2026, 3, 1, 7, 30), utc(2026, 3, 8, 7, 30), utc(2026, 3, 15, 6, 30)]
    gap = series[1]
    assert gap.local_start == datetime(2026, 3, 8, 3, 30)
    assert gap.recurrence_id == datetime(2026, 3, 8, 2, 30)
    assert gap.end - gap.start == HOUR
    assert [o.local_start.time() for o in (series[0], series[2])] == [datetime(2026, 1, 1, 2, 30).time()] * 2


def test_a_first_start_in_the_gap_in_amsterdam():
    (only,) = occurrences("FREQ=DAILY;COUNT=1", datetime(2026, 3, 29, 2, 30), HOUR, "Europe/Amsterdam")
    assert (only.start, only.end) == (utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2, 30))
    assert (only.local_start, only.recurrence_id) == (
        datetime(2026, 3, 29, 3, 30),
        datetime(2026, 3, 29, 2, 30),
    )


def test_an_ambiguous_time_in_the_autumn_overlap_is_the_first_of_the_two():
    series = occurrences("FREQ=WEEKLY;COUNT=3", datetime(2026, 10, 25, 1, 30), HOUR, "America/New_York")
    assert starts(series) == [utc(2026, 10, 25, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 8, 6, 30)]
    assert series[1].local_start == series[1].recurrence_id == datetime(2026, 11, 1, 1, 30)


def test_an_occurrence_spanning_a_change_lasts_its_duration_in_real_time():
    (night,) = occurrences("FREQ=DAILY;COUNT=1", datetime(2026, 3, 29, 1), 2 * HOUR, "Europe/Amsterdam")
    assert night.end - night.start == 2 * HOUR
    assert night.end.astimezone(ZoneInfo("Europe/Amsterdam")).hour == 4  # 01:00 CET + 2 h = 04:00 CEST


def test_until_of_a_rule_includes_that_day_in_every_form():
    first = datetime(2026, 9, 7, 9)
    expected = [utc(2026, 9, 7, 7), utc(2026, 9, 14, 7), utc(2026, 9, 21, 7)]
    for rule in (
        "FREQ=WEEKLY;UNTIL=20260921",
        "FREQ=WEEKLY;UNTIL=20260921T090000",  # local wall-clock time
        "FREQ=WEEKLY;UNTIL=20260921T070000Z",  # UTC, the instant of the last occurrence
        "RRULE:freq=weekly;until=20260921",
    ):
        assert starts(occurrences(rule, first, HOUR, "Europe/Amsterdam")) == expected, rule
    assert (
        starts(occurrences("FREQ=WEEKLY;UNTIL=20260921T065959Z", first, HOUR, "Europe/Amsterdam"))
        == (expected[:2])
    )


def test_the_until_argument_ends_an_open_rule_and_shortens_a_longer_one():
    first = datetime(2026, 9, 7, 9)
    assert len(occurrences("FREQ=DAILY", first, HOUR, "Europe/Amsterdam", until=date(2026, 9, 13))) == 7
    assert len(occurrences("FREQ=DAILY;COUNT=30", first, HOUR, "UTC", until=date(2026, 9, 8))) == 2
    assert len(occurrences("FREQ=DAILY;COUNT=3", first, HOUR, "UTC", until=date(2026, 12, 31))) == 3


def test_a_window_keeps_the_occurrences_overlapping_it_with_their_series_indexes():
    first = datetime(2026, 9, 7, 9)
    window = (utc(2026, 9, 9, 7, 30), utc(2026, 9, 11, 7))  # inside the 9th, up to the 11th's start
    series = occurrences("FREQ=DAILY", first, HOUR, "Europe/Amsterdam", window=window)
    assert [(o.index, o.start) for o in series] == [(2, utc(2026, 9, 9, 7)), (3, utc(2026, 9, 10, 7))]
    bounded = occurrences("FREQ=DAILY;COUNT=3", first, HOUR, "Europe/Amsterdam", window=window)
    assert [o.index for o in bounded] == [2]


def test_the_limit_applies_to_the_result():
    first = datetime(2026, 9, 7, 9)
    assert len(occurrences("FREQ=DAILY;COUNT=5", first, HOUR, "UTC", limit=5)) == 5
    with pytest.raises(RecurrenceError, match="more than 4 occurrences"):
        occurrences("FREQ=DAILY;COUNT=5", first, HOUR, "UTC", limit=4)
    window = (utc(2026, 9, 8), utc(2026, 9, 10))
    assert len(occurrences("FREQ=DAILY;COUNT=5000", first, HOUR, "UTC", window=window, limit=2)) == 2
    with pytest.raises(RecurrenceError, match="more than 1000 occurrences"):
        occurrences("FREQ=DAILY;UNTIL=20300101", first, HOUR, "UTC")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("", "one RRULE value"),
        ("WEEKLY", "not NAME=VALUE"),
        ("FREQ=WEEKLY;;COUNT=2", "not NAME=VALUE"),
        ("FREQ=WEEKLY;COUNT=2\nRRULE:FREQ=DAILY", "one RRULE value"),
        ("FREQ=WEEKLY;FOO=1;COUNT=2", "unknown part FOO"),
        ("BYDAY=MO;COUNT=2", "no FREQ"),
        ("FREQ=WEEKLY;BYDAY=XX;COUNT=2", "cannot be read"),
        ("FREQ=FORTNIGHTLY;COUNT=2", "FORTNIGHTLY"),
        ("FREQ=WEEKLY;COUNT=2;COUNT=3", "COUNT twice"),
        ("FREQ=WEEKLY;COUNT=0", "COUNT=0"),
        ("FREQ=WEEKLY;COUNT=two", "COUNT=TWO"),
        ("FREQ=WEEKLY;INTERVAL=0;COUNT=2", "INTERVAL=0"),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20261231", "both COUNT and UNTIL"),
        ("FREQ=WEEKLY;UNTIL=2026-12-31", "UNTIL=2026-12-31"),
        ("FREQ=WEEKLY;UNTIL=20261331", "UNTIL=20261331"),
        ("FREQ=HOURLY;COUNT=2", "at most daily"),
        ("FREQ=MINUTELY;COUNT=2", "at most daily"),
        ("FREQ=SECONDLY;COUNT=2", "at most daily"),
        ("FREQ=DAILY;BYHOUR=9,15;COUNT=2", "sets BYHOUR"),
        ("FREQ=WEEKLY", "has no end"),
        ("FREQ=WEEKLY;BYDAY=TU;COUNT=2", "not an occurrence"),
        ("FREQ=WEEKLY;UNTIL=20260901", "ends before the first start"),
        ("FREQ=WEEKLY;UNTIL=20260907T065959Z", "ends before the first start"),
    ],
)
def test_unusable_rules_are_refused_with_the_reason(rule, message):
    with pytest.raises(RecurrenceError, match=message):
        occurrences(rule, datetime(2026, 9, 7, 9), HOUR, "Europe/Amsterdam")  # a Monday


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "unknown time zone 'Mars/Olympus_Mons'"),
        ({"time_zone": "../../etc/passwd"}, "unknown time zone"),
        ({"time_zone": ""}, "time zone name is required"),
        ({"first_start": datetime(2026, 9, 7, 9, tzinfo=UTC)}, "naive local wall-clock"),
        ({"first_start": datetime(2026, 9, 7, 9, 0, 0, 5)}, "whole seconds"),
        ({"first_start": date(2026, 9, 7)}, "must be a datetime"),
        ({"duration": timedelta(0)}, "positive timedelta"),
        ({"until": datetime(2026, 9, 20)}, "until must be a date"),
        ({"window": (datetime(2026, 9, 1), datetime(2026, 9, 30))}, "aware datetimes"),
        ({"window": (utc(2026, 9, 30), utc(2026, 9, 1))}, "start before it ends"),
        ({"limit": 0}, "limit must be a positive integer"),
    ],
)
def test_unusable_arguments_are_refused_with_the_reason(changes, message):
    arguments = {
        "rule": "FREQ=WEEKLY;COUNT=3",
        "first_start": datetime(2026, 9, 7, 9),
        "duration": HOUR,
        "time_zone": "Europe/Amsterdam",
        **changes,
    }
    with pytest.raises(RecurrenceError, match=message):
        occurrences(**arguments)


def test_a_recurrence_error_is_a_value_error():
    assert issubclass(RecurrenceError, ValueError)


def test_weekly_rule_sorts_and_checks_its_weekdays():
    assert weekly_rule([6, 0, 0, 4], date(2027, 3, 31)) == "FREQ=WEEKLY;BYDAY=MO,FR,SU;UNTIL=20270331"
    for weekdays in ([], [7], [-1], [True]):
        with pytest.raises(RecurrenceError, match="weekday"):
            weekly_rule(weekdays, date(2027, 3, 31))
    with pytest.raises(RecurrenceError, match="until must be a date"):
        weekly_rule([0], datetime(2027, 3, 31))


def test_rule_for_feed_writes_until_in_utc():
    zone = "Europe/Amsterdam"
    assert rule_for_feed("FREQ=WEEKLY;UNTIL=20270331;BYDAY=MO,WE", zone) == (
        "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270331T215959Z"  # 23:59:59 CEST that day
    )
    assert rule_for_feed("FREQ=WEEKLY;UNTIL=20270101", zone).endswith("UNTIL=20270101T225959Z")  # CET
    assert rule_for_feed("BYDAY=MO;FREQ=WEEKLY;UNTIL=20270331T090000", zone) == (
        "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270331T070000Z"
    )
    assert rule_for_feed("FREQ=WEEKLY;UNTIL=20270331T070000Z", "Asia/Tokyo").endswith(
        "UNTIL=20270331T070000Z"
    )
    assert (
        rule_for_feed("rrule:freq=monthly;bymonthday=-1;count=4", zone)
        == "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=4"
    )
    with pytest.raises(RecurrenceError, match="at most daily"):
        rule_for_feed("FREQ=HOURLY;COUNT=3", zone)


def test_monthly_and_daily_rules_with_an_interval():
    last_days = occurrences("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3", datetime(2027, 1, 31, 13), HOUR, "UTC")
    assert [o.local_start.date() for o in last_days] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
    ]
    every_other = occurrences("FREQ=DAILY;INTERVAL=2;COUNT=3", datetime(2027, 1, 1, 8), HOUR, "UTC")
    assert [o.local_start.day for o in every_other] == [1, 3, 5]


@st.composite
def weekly_series(draw):
    zone = draw(st.sampled_from(ZONES))
    first_day = draw(st.dates(date(2020, 1, 1), date(2027, 12, 31)))
    first_start = datetime.combine(first_day, datetime.min.time()).replace(
        hour=draw(st.integers(0, 23)), minute=draw(st.sampled_from([0, 15, 30, 45]))
    )
    weekdays = draw(st.sets(st.integers(0, 6), max_size=6)) | {first_day.weekday()}
    last_day = first_day + timedelta(days=draw(st.integers(0, 366)))
    return zone, first_start, sorted(weekdays), last_day


@settings(max_examples=150, deadline=None)
@given(weekly_series())
def test_weekly_series_match_a_day_by_day_walk_in_local_time(series):
    """Brute force: walk the days, keep those on the weekdays, place the first start's time in the zone."""
    zone, first_start, weekdays, last_day = series
    found = occurrences(weekly_rule(weekdays, last_day), first_start, HOUR, zone)
    days = (first_start.date() + timedelta(days=n) for n in range((last_day - first_start.date()).days + 1))
    expected = [datetime.combine(day, first_start.time()) for day in days if day.weekday() in weekdays]
    assert [o.recurrence_id for o in found] == expected
    assert [o.index for o in found] == list(range(len(expected)))
    for o in found:
        assert o.start == o.recurrence_id.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
        assert o.end - o.start == HOUR
        assert o.local_start.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC) == o.start
        # The wall-clock time moves only where the zone skips it.
        assert o.local_start == o.recurrence_id or o.local_start > o.recurrence_id
    assert all(a.start < b.start for a, b in itertools.pairwise(found))
