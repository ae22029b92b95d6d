"""The demo network's shared resources: the home school's lab (the owner approves), gym and minibus, a
coach's sessions, with opening hours and a closure; bookings by the teacher's school, one request waiting
for the home school's leader, a weekly series. Built once, through the services, from dates around today."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from interschool.core.models import Membership, Network, Role, User
from interschool.core.services.demo import demo_logins
from interschool.resources import vocabularies as v
from interschool.resources.models import Closure, OpeningHours, Resource
from interschool.resources.recurrence import weekly_rule
from interschool.resources.services.bookings import booking_request
from interschool.resources.services.series import series_create


def _next(weekday: int, weeks: int = 1) -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks)


def demo_resources(network: Network) -> list[Resource]:
    """Create the demo resources and bookings once; a network that already has resources is left alone."""
    if Resource.objects.filter(network=network).exists():
        return []
    emails = {login.role: login.email for login in demo_logins()}
    people = {u.email: u for u in User.objects.filter(email__in=emails.values())}
    homes = {
        m.role: m.organisation
        for m in Membership.objects.filter(network=network, user__in=people.values()).select_related(
            "organisation"
        )
        if m.organisation is not None
    }
    home, visitor = homes[Role.SCHOOL_LEADER], homes[Role.TEACHER]
    teacher = people[emails[Role.TEACHER]]
    zone = network.time_zone
    common = {"network": network, "owner": home, "time_zone": zone, "shared_with_network": True}
    lab = Resource.objects.create(
        name="Science laboratory",
        kind=v.ResourceKind.LABORATORY,
        capacity=28,
        location="Block B, ground floor",
        approval_required=True,
        min_notice_hours=24,
        max_length_minutes=180,
        description="Fume cupboards, 14 benches, a technician on request.",
        **common,
    )
    gym = Resource.objects.create(name="Sports hall", kind=v.ResourceKind.GYM, capacity=60, **common)
    bus = Resource.objects.create(
        name="Minibus (16 seats)", kind=v.ResourceKind.BUS, capacity=16, mode=v.BookingMode.ROTATION, **common
    )
    coach = Resource.objects.create(
        name="Reading coach sessions",
        kind=v.ResourceKind.EXPERTISE,
        capacity=12,
        approval_required=True,
        **common,
    )
    for resource, opens, closes in ((lab, 8, 16), (gym, 8, 20), (bus, 7, 18), (coach, 9, 15)):
        for weekday in range(5):
            OpeningHours.objects.create(
                resource=resource, weekday=weekday, opens=dt.time(opens), closes=dt.time(closes)
            )
    holiday = _next(0, weeks=6)
    Closure.objects.create(
        resource=lab, starts_on=holiday, ends_on=holiday + dt.timedelta(days=4), reason="Half term"
    )

    local = ZoneInfo(zone)

    def at(day: dt.date, hour: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), tzinfo=local)

    booking_request(
        actor=teacher, resource=gym, organisation=visitor, start=at(_next(2), 14), end=at(_next(2), 16),
        purpose="Inter-school netball", headcount=30,
    )  # fmt: skip
    booking_request(
        actor=teacher,
        resource=lab,
        organisation=visitor,
        start=at(_next(3), 10),
        end=at(_next(3), 12),
        purpose="Year 9 titration practical",
        headcount=24,
    )  # fmt: skip  (waits for the home school's leader)
    first = _next(1)
    series_create(
        actor=teacher,
        resource=gym,
        organisation=visitor,
        first_start=dt.datetime.combine(first, dt.time(10)),
        duration=dt.timedelta(hours=1),
        rule=weekly_rule([1], until=first + dt.timedelta(weeks=9)),
        ends_on=first + dt.timedelta(weeks=9),
        purpose="Joint PE lesson",
        headcount=40,
        skip_conflicts=True,
    )
    return [lab, gym, bus, coach]
