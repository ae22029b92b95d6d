"""Recurring bookings: plan a series, list every occurrence that cannot be booked, and save the series
whole — or, when the user explicitly asks, without the listed occurrences.

Occurrences keep their local wall-clock time across daylight-saving changes (``recurrence.py``). The plan
and the save run in one write transaction, so what was listed is what is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from interschool.core.models import Organisation, User
from interschool.core.services.audit import Actor, audit_record
from interschool.resources import vocabularies as v
from interschool.resources.models import Booking, BookingSeries, Resource
from interschool.resources.recurrence import Occurrence, RecurrenceError, occurrences
from interschool.resources.services.bookings import (
    CONSTRAINT,
    BookingRefused,
    check_request,
    check_rules,
    conflicts_of,
    schedule_expiry,
)


@dataclass
class Problem:
    occurrence: Occurrence
    message: str
    code: str
    conflicts: list[Booking] = field(default_factory=list)


@dataclass
class SeriesPlan:
    occurrences: list[Occurrence]
    problems: list[Problem]

    @property
    def bookable(self) -> list[Occurrence]:
        refused = {p.occurrence.index for p in self.problems}
        return [o for o in self.occurrences if o.index not in refused]


class SeriesRefused(ValidationError):
    """The series cannot be saved whole; ``plan.problems`` lists every occurrence in the way."""

    def __init__(self, plan: SeriesPlan) -> None:
        super().__init__(
            gettext("%(count)s of %(total)s occurrences cannot be booked; nothing was saved.")
            % {"count": len(plan.problems), "total": len(plan.occurrences)},
            code="series_conflicts",
        )
        self.plan = plan


def series_plan(
    resource: Resource,
    *,
    first_start: dt.datetime,
    duration: dt.timedelta,
    rule: str,
    ends_on: dt.date,
    headcount: int,
    now: dt.datetime | None = None,
) -> SeriesPlan:
    """Every occurrence of the series, and those that break a rule or collide with a held booking."""
    now = now or timezone.now()
    try:
        found = occurrences(rule, first_start, duration, resource.time_zone, until=ends_on)
    except RecurrenceError as error:
        raise ValidationError({"rule": [str(error)]}) from None
    if not found:
        raise ValidationError({"rule": [gettext("The rule gives no occurrence before the last day.")]})
    problems = []
    for occurrence in found:
        try:
            check_rules(resource, occurrence.start, occurrence.end, headcount, now=now)
        except BookingRefused as refusal:
            problems.append(Problem(occurrence, refusal.messages[0], str(refusal.code)))
            continue
        conflicts = conflicts_of(resource, occurrence.start, occurrence.end)
        if conflicts:
            problems.append(Problem(occurrence, gettext("Already booked."), "conflict", conflicts))
    return SeriesPlan(found, problems)


@transaction.atomic
def series_create(
    *,
    actor: Actor,
    resource: Resource,
    organisation: Organisation,
    first_start: dt.datetime,
    duration: dt.timedelta,
    rule: str,
    ends_on: dt.date,
    purpose: str,
    headcount: int = 1,
    skip_conflicts: bool = False,
    now: dt.datetime | None = None,
) -> tuple[BookingSeries, SeriesPlan]:
    """Save the series whole, or raise :class:`SeriesRefused` listing the occurrences in the way; with
    ``skip_conflicts`` save the others and record the skipped ones on the series."""
    now = now or timezone.now()
    check_request(resource, organisation, purpose)
    plan = series_plan(
        resource,
        first_start=first_start,
        duration=duration,
        rule=rule,
        ends_on=ends_on,
        headcount=headcount,
        now=now,
    )
    if plan.problems and not skip_conflicts:
        raise SeriesRefused(plan)
    if not plan.bookable:
        raise SeriesRefused(plan)
    pending = resource.approval_required and organisation.pk != resource.owner_id
    user = actor if isinstance(actor, User) else None
    series = BookingSeries.objects.create(
        resource=resource,
        organisation=organisation,
        booked_by=user,
        purpose=purpose.strip()[:255],
        headcount=headcount,
        rule=rule,
        local_start=first_start.replace(tzinfo=None).isoformat(timespec="seconds"),
        duration_minutes=int(duration.total_seconds() // 60),
        time_zone=resource.time_zone,
        ends_on=ends_on,
        skipped=[p.occurrence.recurrence_id.isoformat(timespec="seconds") for p in plan.problems],
    )
    status = v.BookingStatus.PENDING if pending else v.BookingStatus.CONFIRMED
    expires = now + dt.timedelta(hours=resource.approval_expiry_hours) if pending else None
    for occurrence in plan.bookable:
        booking = Booking(
            resource=resource,
            organisation=organisation,
            booked_by=user,
            purpose=series.purpose,
            headcount=headcount,
            start=occurrence.start,
            end=occurrence.end,
            status=status,
            series=series,
            occurrence=occurrence.index,
            expires_at=expires,
        )
        try:
            with transaction.atomic():
                booking.save()
        except IntegrityError as error:  # PostgreSQL: a concurrent booking took the slot after the plan
            if CONSTRAINT not in str(error):
                raise
            raise SeriesRefused(
                SeriesPlan(
                    plan.occurrences,
                    [*plan.problems, Problem(occurrence, gettext("Already booked."), "conflict")],
                )
            ) from None
    schedule_expiry(expires)
    audit_record(
        actor=actor,
        network=resource.network,
        action="create",
        obj=series,
        counts={"bookings": len(plan.bookable), "skipped": len(plan.problems)},
    )
    return series, plan
