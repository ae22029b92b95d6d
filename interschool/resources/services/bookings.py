"""Booking a shared resource: the rules, collisions, approval, cancellation and expiry of requests.

Every refusal is a :class:`BookingRefused` (a ``ValidationError``) that names the broken rule and, for a
collision, carries the bookings in the way. Two bookings of one resource that hold their slot (pending or
confirmed) never overlap: the check and the insert run in one write transaction, which on SQLite holds the
database's write lock from its first statement, and on PostgreSQL an exclusion constraint refuses whatever a
concurrent transaction slipped in between (see ``models.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from interschool.core.models import Membership, Organisation, Role, User
from interschool.core.services.audit import Actor, audit_created, audit_record
from interschool.core.services.notifications import notify
from interschool.resources import vocabularies as v
from interschool.resources.models import Booking, BookingSeries, Resource
from interschool.resources.notification_kinds import BOOKING_DECISION, BOOKING_REQUEST

CONSTRAINT = "booking_no_overlap"


class BookingRefused(ValidationError):
    """A booking that cannot be made: ``code`` names the rule, ``conflicts`` the bookings in the way."""

    def __init__(
        self, message: str, *, code: str, field: str = "start", conflicts: Sequence[Booking] = ()
    ) -> None:
        super().__init__({field: [ValidationError(message, code=code)]})
        self.code = code
        self.conflicts = list(conflicts)


def _local(resource: Resource, moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(ZoneInfo(resource.time_zone))


def _shown(resource: Resource, moment: dt.datetime) -> str:
    return formats.date_format(_local(resource, moment).replace(tzinfo=None), "SHORT_DATETIME_FORMAT")


def holding(resource: Resource) -> Q:
    return Q(resource=resource, status__in=v.HOLDING)


def conflicts_of(
    resource: Resource, start: dt.datetime, end: dt.datetime, exclude: int | None = None
) -> list[Booking]:
    """Bookings of ``resource`` holding a slot that overlaps [start, end)."""
    found = Booking.objects.filter(holding(resource), start__lt=end, end__gt=start).select_related(
        "organisation"
    )
    if exclude is not None:
        found = found.exclude(pk=exclude)
    return list(found.order_by("start"))


def conflict_message(resource: Resource, conflicts: Sequence[Booking]) -> str:
    first = conflicts[0]
    return gettext(
        "The resource is already booked from %(start)s to %(end)s by %(organisation)s (booking %(pk)s)."
    ) % {
        "start": _shown(resource, first.start),
        "end": _shown(resource, first.end),
        "organisation": first.organisation.name,
        "pk": first.pk,
    }


def check_rules(
    resource: Resource, start: dt.datetime, end: dt.datetime, headcount: int, *, now: dt.datetime
) -> None:
    """Raise :class:`BookingRefused` if the booking breaks one of the resource's rules."""
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise BookingRefused(gettext("Give the start and end with their time zone."), code="naive")
    if end <= start:
        raise BookingRefused(gettext("The end must come after the start."), code="order", field="end")
    if not resource.active:
        raise BookingRefused(
            gettext("This resource is not open for booking."), code="inactive", field="resource"
        )
    if headcount < 1:
        raise BookingRefused(gettext("At least one person."), code="headcount", field="headcount")
    if headcount > resource.capacity:
        raise BookingRefused(
            gettext("%(count)s people are more than this resource takes (%(capacity)s).")
            % {"count": headcount, "capacity": resource.capacity},
            code="capacity",
            field="headcount",
        )
    if start < now + dt.timedelta(hours=resource.min_notice_hours):
        if start < now:
            raise BookingRefused(gettext("The start has already passed."), code="past")
        raise BookingRefused(
            gettext("Book at least %(hours)s hours ahead.") % {"hours": resource.min_notice_hours},
            code="notice",
        )
    if resource.max_length_minutes and (end - start) > dt.timedelta(minutes=resource.max_length_minutes):
        raise BookingRefused(
            gettext("A booking lasts at most %(minutes)s minutes.")
            % {"minutes": resource.max_length_minutes},
            code="too_long",
            field="end",
        )
    local_start, local_end = _local(resource, start), _local(resource, end)
    closure = resource.closures.filter(
        starts_on__lte=local_end.date(), ends_on__gte=local_start.date()
    ).first()
    if closure is not None:
        raise BookingRefused(
            gettext("The resource is closed from %(start)s to %(end)s%(reason)s.")
            % {
                "start": formats.date_format(closure.starts_on, "SHORT_DATE_FORMAT"),
                "end": formats.date_format(closure.ends_on, "SHORT_DATE_FORMAT"),
                "reason": f" ({closure.reason})" if closure.reason else "",
            },
            code="closure",
        )
    hours = list(resource.opening_hours.all())
    if not hours:
        return  # no opening hours recorded: open at any time
    fits = local_start.date() == local_end.date() and any(
        h.weekday == local_start.weekday() and h.opens <= local_start.time() and local_end.time() <= h.closes
        for h in hours
    )
    if not fits:
        today = [h for h in hours if h.weekday == local_start.weekday()]
        listed = ", ".join(f"{h.opens:%H:%M}–{h.closes:%H:%M}" for h in today)
        raise BookingRefused(
            gettext("Outside opening hours: on that day it opens %(hours)s.") % {"hours": listed}
            if today
            else gettext("Outside opening hours: the resource is closed on that weekday."),
            code="hours",
        )


def may_use(resource: Resource, organisation: Organisation) -> bool:
    """The owner, any organisation of the network when shared with it, or a member of a partnership it is
    shared with."""
    if organisation.network_id != resource.network_id:
        return False
    if organisation.pk == resource.owner_id or resource.shared_with_network:
        return True
    return resource.partnerships.filter(members__organisation=organisation).exists()


def check_request(resource: Resource, organisation: Organisation, purpose: str) -> None:
    """Refuse a booking or series by an organisation the resource is not shared with, or without a purpose."""
    if not may_use(resource, organisation):
        raise BookingRefused(
            gettext("%(organisation)s may not use this resource: it is not shared with it.")
            % {"organisation": organisation.name},
            code="not_shared",
            field="organisation",
        )
    if not purpose.strip():
        raise BookingRefused(gettext("Say what the booking is for."), code="purpose", field="purpose")


def _insert(booking: Booking) -> Booking:
    """Insert unless a holding booking overlaps; the caller holds a write transaction."""
    conflicts = conflicts_of(booking.resource, booking.start, booking.end)
    if conflicts:
        raise BookingRefused(
            conflict_message(booking.resource, conflicts), code="conflict", conflicts=conflicts
        )
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError as error:
        if CONSTRAINT not in str(error):
            raise
        # A concurrent transaction committed an overlapping booking after our check (PostgreSQL).
        conflicts = conflicts_of(booking.resource, booking.start, booking.end)
        raise BookingRefused(
            conflict_message(booking.resource, conflicts)
            if conflicts
            else gettext("The slot was just taken."),
            code="conflict",
            conflicts=conflicts,
        ) from None
    return booking


@transaction.atomic
def booking_request(
    *,
    actor: Actor,
    resource: Resource,
    organisation: Organisation,
    start: dt.datetime,
    end: dt.datetime,
    purpose: str,
    headcount: int = 1,
    now: dt.datetime | None = None,
) -> Booking:
    """Book ``resource`` for ``organisation``: confirmed at once, or pending when the owner approves."""
    now = now or timezone.now()
    check_request(resource, organisation, purpose)
    check_rules(resource, start, end, headcount, now=now)
    pending = resource.approval_required and organisation.pk != resource.owner_id
    booking = _insert(
        Booking(
            resource=resource,
            organisation=organisation,
            booked_by=actor if isinstance(actor, User) else None,
            purpose=purpose.strip()[:255],
            headcount=headcount,
            start=start,
            end=end,
            status=v.BookingStatus.PENDING if pending else v.BookingStatus.CONFIRMED,
            expires_at=now + dt.timedelta(hours=resource.approval_expiry_hours) if pending else None,
        )
    )
    audit_created(
        actor=actor,
        network=resource.network,
        obj=booking,
        fields=("resource", "organisation", "start", "end", "status"),
    )
    if pending:
        transaction.on_commit(lambda: _notify_owner(booking))
        schedule_expiry(booking.expires_at)
    return booking


def schedule_expiry(when: dt.datetime | None) -> None:
    """After commit, queue the expiry task to run when the request expires (where the task backend can
    run tasks later; the expiry is one idempotent UPDATE, so extra runs change nothing)."""
    if when is None:
        return
    from interschool.resources.tasks import expire_booking_requests

    if expire_booking_requests.get_backend().supports_defer:
        deferred = expire_booking_requests.using(run_after=when)
        transaction.on_commit(lambda: deferred.enqueue())


def approvers_of(resource: Resource) -> list[User]:
    """The owner's school leaders, or the network's administrators when the owner has none."""
    leaders = [
        m.user
        for m in Membership.objects.filter(
            network=resource.network, organisation=resource.owner, role=Role.SCHOOL_LEADER, is_active=True
        ).select_related("user")
    ]
    if leaders:
        return leaders
    return [
        m.user
        for m in Membership.objects.filter(
            network=resource.network, role=Role.ADMIN, is_active=True
        ).select_related("user")
    ]


def _notify_owner(booking: Booking) -> None:
    resource = booking.resource
    url = reverse("resource_detail", args=[resource.network.slug, resource.pk])
    for user in approvers_of(resource):
        notify(
            user=user,
            kind=BOOKING_REQUEST.code,
            title=lambda: (
                gettext("%(organisation)s asks to book %(resource)s")
                % {"organisation": booking.organisation.name, "resource": resource.name}
            ),
            body=lambda: gettext("Approve or decline the request before it expires."),
            url=url,
            network=resource.network,
        )


@transaction.atomic
def booking_decide(*, actor: Actor, booking: Booking, approve: bool, reason: str = "") -> Booking:
    booking = (
        Booking.objects.select_for_update().select_related("resource", "resource__network").get(pk=booking.pk)
    )
    if booking.status != v.BookingStatus.PENDING:
        raise ValidationError(_("Only a request waiting for approval can be decided."))
    if not approve and not reason.strip():
        raise ValidationError({"reason": _("Say why the request is declined.")})
    before = booking.status
    booking.status = v.BookingStatus.CONFIRMED if approve else v.BookingStatus.DECLINED
    booking.reason = reason.strip()[:255]
    booking.decided_by = actor if isinstance(actor, User) else None
    booking.decided_at = timezone.now()
    booking.expires_at = None
    booking.save(update_fields=["status", "reason", "decided_by", "decided_at", "expires_at", "updated_at"])
    audit_record(
        actor=actor,
        network=booking.resource.network,
        action="decide",
        obj=booking,
        changes={"status": [before, booking.status]},
    )
    transaction.on_commit(lambda: _notify_booker(booking))
    return booking


def _notify_booker(booking: Booking) -> None:
    if booking.booked_by is None:
        return
    resource = booking.resource
    approved = booking.status == v.BookingStatus.CONFIRMED
    notify(
        user=booking.booked_by,
        kind=BOOKING_DECISION.code,
        title=lambda: (
            (
                gettext("Your booking of %(resource)s is approved")
                if approved
                else gettext("Your booking of %(resource)s is declined")
            )
            % {"resource": resource.name}
        ),
        body=booking.reason,
        url=reverse("resource_detail", args=[resource.network.slug, resource.pk]),
        network=resource.network,
    )


@transaction.atomic
def booking_cancel(*, actor: Actor, booking: Booking, reason: str = "") -> Booking:
    booking = (
        Booking.objects.select_for_update().select_related("resource", "resource__network").get(pk=booking.pk)
    )
    if booking.status not in v.HOLDING:
        raise ValidationError(_("This booking is no longer held, so it cannot be cancelled."))
    before = booking.status
    booking.status = v.BookingStatus.CANCELLED
    booking.reason = reason.strip()[:255]
    booking.save(update_fields=["status", "reason", "updated_at"])
    audit_record(
        actor=actor,
        network=booking.resource.network,
        action="cancel",
        obj=booking,
        changes={"status": [before, booking.status]},
    )
    return booking


@transaction.atomic
def series_cancel_from(*, actor: Actor, series: BookingSeries, start: dt.datetime) -> int:
    """Cancel the series' held occurrences from ``start`` on (the rest of the series)."""
    rows = Booking.objects.filter(series=series, status__in=v.HOLDING, start__gte=start)
    count = rows.update(status=v.BookingStatus.CANCELLED, updated_at=timezone.now())
    audit_record(
        actor=actor, network=series.resource.network, action="cancel", obj=series, counts={"bookings": count}
    )
    return count


def expire_requests(now: dt.datetime | None = None) -> int:
    """Free the slots of requests not decided in time; safe to run twice (one UPDATE of pending rows)."""
    now = now or timezone.now()
    return Booking.objects.filter(status=v.BookingStatus.PENDING, expires_at__lte=now).update(
        status=v.BookingStatus.EXPIRED, updated_at=now
    )
