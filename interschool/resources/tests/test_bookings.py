"""Booking a shared resource through the service: rules, collisions (also under concurrency, on both
databases), approval, expiry and cancellation."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from interschool.core.models import Notification, OrganisationKind, Role
from interschool.core.tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    build_network_world,
)
from interschool.resources import vocabularies as v
from interschool.resources.models import Booking, Closure, OpeningHours, Resource
from interschool.resources.services.bookings import (
    BookingRefused,
    booking_cancel,
    booking_decide,
    booking_request,
    expire_requests,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2027, 1, 4, 8, 0, tzinfo=dt.UTC)  # a Monday


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A wall-clock time in Amsterdam in January 2027 (day of the month)."""
    return dt.datetime(2027, 1, day, hour, minute, tzinfo=AMSTERDAM)


def make_lab(nw, **fields) -> Resource:
    values = {
        "network": nw.network,
        "owner": nw.school,
        "name": "Chemistry lab",
        "kind": v.ResourceKind.LABORATORY,
        "capacity": 30,
        "time_zone": "Europe/Amsterdam",
        "shared_with_network": True,
        **fields,
    }
    lab = Resource.objects.create(**values)
    for weekday in range(5):
        OpeningHours.objects.create(resource=lab, weekday=weekday, opens=dt.time(8), closes=dt.time(17))
    return lab


@pytest.fixture
def nw(db):
    return build_network_world("r")


@pytest.fixture
def other_school(nw):
    return OrganisationFactory(network=nw.network, kind=OrganisationKind.SCHOOL, name="Second School")


def book(lab, organisation, start, end, **extra):
    return booking_request(
        actor="test",
        resource=lab,
        organisation=organisation,
        start=start,
        end=end,
        purpose="Lesson",
        now=NOW,
        **extra,
    )


def test_a_booking_inside_the_rules_is_confirmed(nw, other_school):
    lab = make_lab(nw)
    booking = book(lab, other_school, at(5, 10), at(5, 11), headcount=25)
    assert booking.status == v.BookingStatus.CONFIRMED and booking.start == at(5, 10)


@pytest.mark.parametrize(
    ("start", "end", "fields", "code"),
    [
        (at(5, 7), at(5, 9), {}, "hours"),  # opens at 8
        (at(5, 16), at(5, 18), {}, "hours"),  # closes at 17
        (at(9, 10), at(9, 11), {}, "hours"),  # Saturday
        (at(5, 10), at(5, 11), {"capacity": 10}, "capacity"),
        (at(4, 10), at(4, 11), {"min_notice_hours": 24}, "notice"),
        (at(5, 9), at(5, 13), {"max_length_minutes": 120}, "too_long"),
        (at(5, 11), at(5, 10), {}, "order"),
        (at(5, 10), at(5, 11), {"active": False}, "inactive"),
    ],
)
def test_a_broken_rule_is_refused_naming_it(nw, other_school, start, end, fields, code):
    lab = make_lab(nw, **fields)
    with pytest.raises(BookingRefused) as refused:
        book(lab, other_school, start, end, headcount=25)
    assert refused.value.code == code
    assert refused.value.messages and not Booking.objects.exists()


def test_a_closure_is_refused_with_its_dates(nw, other_school):
    lab = make_lab(nw)
    Closure.objects.create(
        resource=lab, starts_on=dt.date(2027, 1, 5), ends_on=dt.date(2027, 1, 6), reason="Exams"
    )
    with pytest.raises(BookingRefused) as refused:
        book(lab, other_school, at(6, 10), at(6, 11))
    assert refused.value.code == "closure" and "Exams" in refused.value.messages[0]


def test_an_organisation_the_resource_is_not_shared_with_is_refused(nw, other_school):
    lab = make_lab(nw, shared_with_network=False)
    with pytest.raises(BookingRefused) as refused:
        book(lab, other_school, at(5, 10), at(5, 11))
    assert refused.value.code == "not_shared"
    assert book(lab, nw.school, at(5, 10), at(5, 11)).status == v.BookingStatus.CONFIRMED  # the owner may


def test_an_overlap_is_refused_showing_the_booking_in_the_way(nw, other_school):
    lab = make_lab(nw)
    first = book(lab, nw.school, at(5, 10), at(5, 12))
    with pytest.raises(BookingRefused) as refused:
        book(lab, other_school, at(5, 11), at(5, 13))
    assert refused.value.code == "conflict" and refused.value.conflicts == [first]
    assert f"booking {first.pk}" in refused.value.messages[0] and nw.school.name in refused.value.messages[0]
    # Touching ranges do not overlap; a cancelled booking frees its slot.
    assert book(lab, other_school, at(5, 12), at(5, 13)).status == v.BookingStatus.CONFIRMED
    booking_cancel(actor="test", booking=first)
    assert book(lab, other_school, at(5, 10), at(5, 12)).status == v.BookingStatus.CONFIRMED


def test_approval_holds_the_slot_then_decides_and_notifies(nw, other_school):
    lab = make_lab(nw, approval_required=True)
    teacher = UserFactory(email="teacher.second@r.example.org")
    MembershipFactory(user=teacher, network=nw.network, role=Role.TEACHER, organisation=other_school)
    request = booking_request(
        actor=teacher,
        resource=lab,
        organisation=other_school,
        start=at(5, 10),
        end=at(5, 11),
        purpose="Lab",
        now=NOW,
    )
    assert request.status == v.BookingStatus.PENDING and request.expires_at == NOW + dt.timedelta(hours=72)
    with pytest.raises(BookingRefused):  # a pending request holds its slot
        book(lab, nw.school, at(5, 10, 30), at(5, 11, 30))
    with pytest.raises(ValidationError):
        booking_decide(actor="test", booking=request, approve=False, reason="")  # a reason is needed
    decided = booking_decide(actor=nw.user(Role.SCHOOL_LEADER), booking=request, approve=True)
    assert decided.status == v.BookingStatus.CONFIRMED and decided.expires_at is None
    with pytest.raises(ValidationError):
        booking_decide(actor="test", booking=request, approve=True)  # decided once


def test_the_owner_is_notified_of_a_request(nw, other_school, django_capture_on_commit_callbacks):
    lab = make_lab(nw, approval_required=True)
    with django_capture_on_commit_callbacks(execute=True):
        book(lab, other_school, at(5, 10), at(5, 11))
    leader = nw.user(Role.SCHOOL_LEADER)
    assert Notification.objects.filter(user=leader, kind="booking_request").count() == 1


def test_expired_requests_free_their_slot_and_expiry_is_safe_to_repeat(nw, other_school):
    lab = make_lab(nw, approval_required=True, approval_expiry_hours=1)
    request = book(lab, other_school, at(5, 10), at(5, 11))
    assert expire_requests(NOW) == 0
    later = NOW + dt.timedelta(hours=2)
    assert expire_requests(later) == 1 and expire_requests(later) == 0
    request.refresh_from_db()
    assert request.status == v.BookingStatus.EXPIRED
    assert book(lab, nw.school, at(5, 10), at(5, 11)).status == v.BookingStatus.CONFIRMED


def overlapping_pairs() -> int:
    """Pairs of holding bookings of one resource that overlap, counted by SQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT COUNT(*) FROM resources_booking a JOIN resources_booking b
              ON a.resource_id = b.resource_id AND a.id < b.id
             AND a.start < b."end" AND b.start < a."end"
             WHERE a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed')
            """
        )
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_requests_one_wins_each_conflicting_set():
    """Threads with their own connections book overlapping slots at once; exactly one of each set wins."""
    nw = build_network_world("c")
    lab = make_lab(nw)
    schools = [
        OrganisationFactory(network=nw.network, kind=OrganisationKind.SCHOOL, name=f"School {n}")
        for n in range(8)
    ]
    # Two conflicting sets: 8 requests for 10:00–11:00 (some shifted by minutes), 8 for 14:00–15:00.
    wanted = [(at(5, 10, n * 5), at(5, 11, n * 5)) for n in range(4)] * 2 + [(at(5, 14), at(5, 15))] * 8
    barrier = threading.Barrier(len(wanted))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(n: int, start: dt.datetime, end: dt.datetime) -> None:
        try:
            barrier.wait()
            book(lab, schools[n % len(schools)], start, end)
            result = "booked"
        except BookingRefused as refusal:
            result = f"refused:{refusal.code}:{len(refusal.conflicts)}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(n, s, e)) for n, (s, e) in enumerate(wanted)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == len(wanted)
    assert outcomes.count("booked") == 2, outcomes
    refusals = [o for o in outcomes if o != "booked"]
    assert all(o.startswith("refused:conflict:") for o in refusals), refusals
    assert all(not o.endswith(":0") for o in refusals), "a refusal shows the booking in the way"
    assert overlapping_pairs() == 0
    assert Booking.objects.filter(resource=lab, status=v.BookingStatus.CONFIRMED).count() == 2


def test_postgresql_itself_refuses_an_overlap_the_service_did_not_check(nw, other_school):
    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL; SQLite relies on the write lock")
    from django.db import IntegrityError, transaction

    lab = make_lab(nw)
    book(lab, nw.school, at(5, 10), at(5, 12))
    fields = {
        "resource": lab,
        "organisation": other_school,
        "purpose": "x",
        "status": v.BookingStatus.PENDING,
    }
    with pytest.raises(IntegrityError, match="booking_no_overlap"), transaction.atomic():
        Booking.objects.create(start=at(5, 11), end=at(5, 13), **fields)
    # Bookings that no longer hold their slot do not count.
    Booking.objects.create(start=at(5, 11), end=at(5, 13), **{**fields, "status": v.BookingStatus.DECLINED})


def test_a_request_queues_its_expiry_for_when_it_expires(
    nw, other_school, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    lab = make_lab(nw, approval_required=True, approval_expiry_hours=5)
    with django_capture_on_commit_callbacks(execute=True):
        request = book(lab, other_school, at(5, 10), at(5, 11))
    queued = DBTaskResult.objects.filter(task_path__endswith="expire_booking_requests")
    assert [q.run_after for q in queued] == [request.expires_at] == [NOW + dt.timedelta(hours=5)]
