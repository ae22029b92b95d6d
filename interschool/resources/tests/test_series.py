# ruff: noqa: DTZ001  (naive datetimes here are wall-clock times where the resource is, on purpose)
"""Recurring bookings: a conflict in the middle saves nothing and is listed; skipping saves the rest;
occurrences keep their wall-clock time across a daylight-saving change; cancelling one or the rest."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from interschool.core.models import OrganisationKind
from interschool.core.tests.factories import OrganisationFactory, build_network_world
from interschool.resources import vocabularies as v
from interschool.resources.models import Booking, BookingSeries
from interschool.resources.recurrence import weekly_rule
from interschool.resources.services.bookings import booking_cancel, booking_request, series_cancel_from
from interschool.resources.services.series import SeriesRefused, series_create, series_plan
from interschool.resources.tests.test_bookings import AMSTERDAM, make_lab

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)
MONDAYS = weekly_rule([0], until=dt.date(2027, 4, 12))  # 8, 15, 22, 29 March; 5, 12 April (DST on 28 March)


@pytest.fixture
def setup():
    nw = build_network_world("s")
    lab = make_lab(nw)
    school = OrganisationFactory(network=nw.network, kind=OrganisationKind.SCHOOL, name="Partner School")
    return nw, lab, school


def create(lab, school, **extra):
    values = {
        "actor": "test",
        "resource": lab,
        "organisation": school,
        "first_start": dt.datetime(2027, 3, 8, 9, 0),
        "duration": dt.timedelta(hours=1),
        "rule": MONDAYS,
        "ends_on": dt.date(2027, 4, 12),
        "purpose": "Weekly practical",
        "now": NOW,
        **extra,
    }
    return series_create(**values)


def test_occurrences_keep_nine_oclock_across_the_change(setup):
    _nw, lab, school = setup
    series, plan = create(lab, school)
    starts = [b.start for b in Booking.objects.filter(series=series).order_by("start")]
    assert [s.astimezone(AMSTERDAM).strftime("%d %H:%M") for s in starts] == [
        "08 09:00", "15 09:00", "22 09:00", "29 09:00", "05 09:00", "12 09:00"
    ]  # fmt: skip
    assert [s.astimezone(dt.UTC).hour for s in starts] == [8, 8, 8, 7, 7, 7]
    assert not plan.problems and series.skipped == []


def test_a_conflict_in_the_middle_saves_nothing_and_is_listed(setup):
    nw, lab, school = setup
    blocker = booking_request(
        actor="test",
        resource=lab,
        organisation=nw.school,
        start=dt.datetime(2027, 3, 22, 9, 30, tzinfo=AMSTERDAM),
        end=dt.datetime(2027, 3, 22, 10, 30, tzinfo=AMSTERDAM),
        purpose="Exam",
        now=NOW,
    )
    with pytest.raises(SeriesRefused) as refused:
        create(lab, school)
    problems = refused.value.plan.problems
    assert [p.occurrence.local_start.day for p in problems] == [22]
    assert problems[0].conflicts == [blocker] and problems[0].code == "conflict"
    assert not BookingSeries.objects.exists() and Booking.objects.filter(series__isnull=False).count() == 0
    # Asked explicitly, the rest is saved and the skipped day recorded.
    series, _plan = create(lab, school, skip_conflicts=True)
    days = sorted(b.start.astimezone(AMSTERDAM).day for b in Booking.objects.filter(series=series))
    assert days == [5, 8, 12, 15, 29] and series.skipped == ["2027-03-22T09:00:00"]


def test_rule_breaks_are_listed_like_conflicts(setup):
    _nw, lab, _school = setup
    lab.closures.create(starts_on=dt.date(2027, 4, 5), ends_on=dt.date(2027, 4, 9), reason="Easter")
    plan = series_plan(
        lab,
        first_start=dt.datetime(2027, 3, 8, 9),
        duration=dt.timedelta(hours=1),
        rule=MONDAYS,
        ends_on=dt.date(2027, 4, 12),
        headcount=1,
        now=NOW,
    )
    assert [(p.occurrence.local_start.day, p.code) for p in plan.problems] == [(5, "closure")]
    assert len(plan.bookable) == 5


def test_a_bad_rule_names_the_rule_field(setup):
    _nw, lab, school = setup
    with pytest.raises(ValidationError) as error:
        create(lab, school, rule="FREQ=HOURLY;COUNT=3")
    assert "rule" in error.value.message_dict


def test_cancel_one_occurrence_or_the_rest(setup):
    _nw, lab, school = setup
    series, _plan = create(lab, school)
    bookings = list(Booking.objects.filter(series=series).order_by("start"))
    booking_cancel(actor="test", booking=bookings[1])
    assert series_cancel_from(actor="test", series=series, start=bookings[3].start) == 3
    statuses = [b.status for b in Booking.objects.filter(series=series).order_by("start")]
    assert statuses == [
        v.BookingStatus.CONFIRMED,
        v.BookingStatus.CANCELLED,
        v.BookingStatus.CONFIRMED,
        v.BookingStatus.CANCELLED,
        v.BookingStatus.CANCELLED,
        v.BookingStatus.CANCELLED,
    ]
