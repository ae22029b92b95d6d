"""Calendar feeds at secret addresses: what they serve equals the stored bookings, expanded by an
independent library; revoked addresses stop working."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
import recurring_ical_events
from django.test import Client

from interschool.core.models import OrganisationKind, Role
from interschool.core.tests.factories import OrganisationFactory, build_world
from interschool.resources import vocabularies as v
from interschool.resources.models import Booking, CalendarFeed
from interschool.resources.recurrence import weekly_rule
from interschool.resources.services.bookings import booking_cancel, booking_request
from interschool.resources.services.series import series_create
from interschool.resources.tests.test_bookings import AMSTERDAM, make_lab

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def setup():
    world = build_world()
    nw = world.a
    lab = make_lab(nw)
    school = OrganisationFactory(network=nw.network, kind=OrganisationKind.SCHOOL, name="Partner School")
    series, _plan = series_create(
        actor="test",
        resource=lab,
        organisation=school,
        first_start=dt.datetime(2027, 3, 8, 9, 0),  # noqa: DTZ001  (wall-clock time in Amsterdam)
        duration=dt.timedelta(hours=1),
        rule=weekly_rule([0], until=dt.date(2027, 4, 12)),
        ends_on=dt.date(2027, 4, 12),
        purpose="Weekly practical",
        now=NOW,
    )
    cancelled = Booking.objects.filter(series=series).order_by("start")[2]
    booking_cancel(actor="test", booking=cancelled)
    single = booking_request(
        actor="test",
        resource=lab,
        organisation=nw.school,
        start=dt.datetime(2027, 3, 10, 14, tzinfo=AMSTERDAM),
        end=dt.datetime(2027, 3, 10, 15, tzinfo=AMSTERDAM),
        purpose="Open day",
        now=NOW,
    )
    return world, nw, lab, series, single


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_feed_expands_to_exactly_the_held_bookings(setup):
    _world, nw, lab, _series, _single = setup
    client = _client(nw.user(Role.TEACHER))
    client.post(f"/n/{nw.network.slug}/resources/feeds/", {"resource": str(lab.pk)})
    row = CalendarFeed.objects.get()
    response = Client().get(f"/feeds/{row.token}.ics")
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    assert {str(e["UID"]) for e in calendar.walk("VEVENT")} == {
        f"series-{_series.pk}@interschool",
        f"booking-{_single.pk}@interschool",
    }
    assert all("DTSTAMP" in e for e in calendar.walk("VEVENT")) and calendar.walk("VTIMEZONE")
    expanded = recurring_ical_events.of(calendar).between(dt.date(2027, 1, 1), dt.date(2028, 1, 1))
    served = sorted((e["DTSTART"].dt.astimezone(dt.UTC), e["DTEND"].dt.astimezone(dt.UTC)) for e in expanded)
    stored = sorted(
        (b.start.astimezone(dt.UTC), b.end.astimezone(dt.UTC))
        for b in Booking.objects.filter(resource=lab, status__in=v.HOLDING)
    )
    assert served == stored and len(stored) == 6  # five weekly occurrences (one cancelled) and the open day
    # The same address serves the same events again (stable UIDs).
    again = icalendar.Calendar.from_ical(Client().get(f"/feeds/{row.token}.ics").content)
    assert [str(e["UID"]) for e in again.walk("VEVENT")] == [str(e["UID"]) for e in calendar.walk("VEVENT")]


def test_an_organisation_feed_and_revoking(setup):
    _world, nw, _lab, _series, single = setup
    leader = _client(nw.user(Role.SCHOOL_LEADER))
    leader.post(f"/n/{nw.network.slug}/resources/feeds/", {"organisation": "1"})
    row = CalendarFeed.objects.get()
    assert row.organisation == nw.school
    page = leader.get(f"/n/{nw.network.slug}/resources/feeds/").content.decode()
    assert f"feeds/{row.token}.ics" in page
    body = Client().get(f"/feeds/{row.token}.ics").content.decode()
    assert f"booking-{single.pk}@interschool" in body  # its own booking and those of its lab
    leader.post(f"/n/{nw.network.slug}/resources/feeds/", {"revoke": str(row.pk)})
    assert Client().get(f"/feeds/{row.token}.ics").status_code == 404
    assert Client().get("/feeds/not-a-token.ics").status_code == 404


def test_only_the_creator_revokes_and_other_networks_see_nothing(setup):
    world, nw, lab, _series, _single = setup
    _client(nw.user(Role.TEACHER)).post(f"/n/{nw.network.slug}/resources/feeds/", {"resource": str(lab.pk)})
    row = CalendarFeed.objects.get()
    assert (
        _client(nw.user(Role.ADMIN))
        .post(f"/n/{nw.network.slug}/resources/feeds/", {"revoke": str(row.pk)})
        .status_code
        == 404
    )
    outsider = _client(world.b.user(Role.ADMIN))
    assert (
        outsider.post(f"/n/{world.b.network.slug}/resources/feeds/", {"resource": str(lab.pk)}).status_code
        == 404
    )
    row.refresh_from_db()
    assert row.revoked_at is None
