"""Bookings between member schools count as shared use in the partnership's record."""

from __future__ import annotations

import datetime as dt

import pytest

from interschool.core.tests.factories import build_network_world
from interschool.partnerships.record import record_of
from interschool.partnerships.tests.factories import build_partnership_world, propose
from interschool.resources import vocabularies as v
from interschool.resources.models import Booking, Resource

pytestmark = pytest.mark.django_db


def _booking(resource, organisation, day, status=v.BookingStatus.CONFIRMED):
    start = dt.datetime(2026, 3, day, 10, tzinfo=dt.UTC)
    return Booking.objects.create(
        resource=resource,
        organisation=organisation,
        purpose="Lab",
        start=start,
        end=start + dt.timedelta(hours=1),
        status=status,
    )


def test_member_bookings_of_a_members_resource_are_shared_use():
    pw = build_partnership_world(build_network_world("rec"))
    partnership = propose(pw)
    owner, user = pw.nw.school, pw.school_b
    lab = Resource.objects.create(
        network=pw.nw.network, owner=owner, name="Lab", kind=v.ResourceKind.LABORATORY
    )
    expert = Resource.objects.create(
        network=pw.nw.network, owner=owner, name="Coach", kind=v.ResourceKind.EXPERTISE
    )
    _booking(lab, user, 2)
    _booking(expert, user, 3)
    _booking(lab, owner, 4)  # the owner using its own lab is not sharing
    _booking(lab, user, 5, status=v.BookingStatus.CANCELLED)  # did not take place
    _booking(lab, pw.outsider_school, 6)  # not a member
    _booking(lab, user, 20)  # after the date asked for
    kinds = sorted(
        (a.on.day, a.kind)
        for a in record_of(partnership, dt.date(2026, 3, 10))
        if a.kind.startswith("shared")
    )
    assert kinds == [(2, "shared_facilities"), (3, "shared_staff")]
