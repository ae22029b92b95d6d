"""Calendar feeds: secret addresses serving bookings as iCalendar, created, listed and revoked by users.

A feed of a resource lists its held bookings; a feed of an organisation lists the bookings it made and the
bookings of the resources it owns. A series is one event with its rule, its cancelled or skipped
occurrences as EXDATE; a single booking is one event. UIDs are stable: ``booking-<id>@<host>`` and
``series-<id>@<host>``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from interschool.core.models import Organisation, User
from interschool.core.services.audit import Actor, audit_created, audit_record
from interschool.resources import vocabularies as v
from interschool.resources.ical import FeedEvent, feed
from interschool.resources.models import Booking, BookingSeries, CalendarFeed, Resource
from interschool.resources.recurrence import rule_for_feed

UID_HOST = "interschool"
STATUS = {v.BookingStatus.PENDING: "TENTATIVE", v.BookingStatus.CONFIRMED: "CONFIRMED"}


@transaction.atomic
def feed_create(
    *, actor: User, resource: Resource | None = None, organisation: Organisation | None = None
) -> CalendarFeed:
    if (resource is None) == (organisation is None):
        raise ValidationError(_("A feed is of one resource or of one organisation."))
    network_id = resource.network_id if resource is not None else organisation.network_id  # type: ignore[union-attr]
    row = CalendarFeed.objects.create(
        network_id=network_id,
        resource=resource,
        organisation=organisation,
        token=secrets.token_urlsafe(32),
        created_by=actor,
    )
    audit_created(actor=actor, network=row.network, obj=row, fields=("resource", "organisation"))
    return row


@transaction.atomic
def feed_revoke(*, actor: Actor, row: CalendarFeed) -> CalendarFeed:
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=actor, network=row.network, action="revoke", obj=row)
    return row


def feed_bookings(row: CalendarFeed) -> QuerySet[Booking]:
    if row.resource_id is not None:
        scope = Q(resource_id=row.resource_id)
    else:
        scope = Q(organisation_id=row.organisation_id) | Q(resource__owner_id=row.organisation_id)
    return Booking.objects.filter(scope).select_related("resource", "organisation", "series")


def _local(moment: dt.datetime, zone: str) -> dt.datetime:
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def feed_events(bookings: Iterable[Booking]) -> list[FeedEvent]:
    singles: list[Booking] = []
    series: dict[int, list[Booking]] = {}
    for booking in bookings:
        if booking.series_id is not None:
            series.setdefault(booking.series_id, []).append(booking)
        elif booking.status in v.HOLDING:
            singles.append(booking)
    events = [
        FeedEvent(
            uid=f"booking-{b.pk}@{UID_HOST}",
            summary=f"{b.resource.name}: {b.organisation.name}",
            description=b.purpose,
            location=b.resource.location,
            status=STATUS[v.BookingStatus(b.status)],  # type: ignore[arg-type]
            time_zone=b.resource.time_zone,
            local_start=_local(b.start, b.resource.time_zone),
            local_end=_local(b.end, b.resource.time_zone),
            last_modified=b.updated_at,
        )
        for b in singles
    ]
    for rows in series.values():
        rows.sort(key=lambda b: b.start)
        one: BookingSeries = rows[0].series  # type: ignore[assignment]
        held = [b for b in rows if b.status in v.HOLDING]
        if not held:
            continue
        first_local = dt.datetime.fromisoformat(one.local_start)
        gone = [_local(b.start, one.time_zone) for b in rows if b.status not in v.HOLDING]
        skipped = [dt.datetime.fromisoformat(s) for s in one.skipped]
        events.append(
            FeedEvent(
                uid=f"series-{one.pk}@{UID_HOST}",
                summary=f"{rows[0].resource.name}: {rows[0].organisation.name}",
                description=one.purpose,
                location=rows[0].resource.location,
                status="CONFIRMED"
                if any(b.status == v.BookingStatus.CONFIRMED for b in held)
                else "TENTATIVE",
                time_zone=one.time_zone,
                local_start=first_local,
                local_end=first_local + dt.timedelta(minutes=one.duration_minutes),
                rrule=rule_for_feed(one.rule, one.time_zone),
                exdates=sorted({*gone, *skipped}),
                sequence=0,
                last_modified=max(b.updated_at for b in rows),
            )
        )
    return events


def feed_body(row: CalendarFeed, now: dt.datetime | None = None) -> bytes:
    name = row.resource.name if row.resource is not None else row.organisation.name  # type: ignore[union-attr]
    return feed(name, feed_events(feed_bookings(row)), now=now or timezone.now())
