"""Bookings in the partnership's record: one member school using another member's resource is shared use.

Registered with :func:`interschool.partnerships.record.register_source` when the app is ready, so the
sharing-continuum suggestion counts confirmed bookings that took place by the date it is asked for:
a booking of staff expertise as shared staff, any other resource as shared facilities and equipment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import F

from interschool.algorithms import continuum
from interschool.partnerships import vocabularies as pv
from interschool.partnerships.models import Partnership
from interschool.partnerships.record import register_source
from interschool.resources import vocabularies as v
from interschool.resources.models import Booking


def booking_activities(partnership: Partnership, as_of: dt.date) -> Iterable[continuum.Activity]:
    members = list(partnership.members.values_list("organisation_id", flat=True))
    rows = (
        Booking.objects.filter(
            status=v.BookingStatus.CONFIRMED,
            organisation_id__in=members,
            resource__owner_id__in=members,
            start__date__lte=as_of,
        )
        .exclude(organisation_id=F("resource__owner_id"))
        .values_list("start", "resource__kind")
    )
    for start, kind in rows:
        activity = (
            pv.ActivityType.SHARED_STAFF
            if kind == v.ResourceKind.EXPERTISE
            else pv.ActivityType.SHARED_FACILITIES
        )
        yield continuum.Activity(start.date(), str(activity), frozenset({str(pv.Participant.TEACHERS)}))


register_source("bookings", booking_activities)
