"""The shared-resource pages through the HTTP client: booking, refusal with the booking in the way,
approval, cancellation, and access for every role and another network."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from interschool.core.models import OrganisationKind, Role
from interschool.core.tests.factories import MembershipFactory, OrganisationFactory, UserFactory, build_world
from interschool.resources import vocabularies as v
from interschool.resources.models import Booking, OpeningHours, Resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    world = build_world()
    nw = world.a
    school_b = OrganisationFactory(network=nw.network, kind=OrganisationKind.SCHOOL, name="School B")
    teacher_b = UserFactory(email="teacher.b@a.example.org")
    MembershipFactory(user=teacher_b, network=nw.network, role=Role.TEACHER, organisation=school_b)
    lab = Resource.objects.create(
        network=nw.network,
        owner=nw.school,
        name="Physics lab",
        kind=v.ResourceKind.LABORATORY,
        capacity=20,
        time_zone="Asia/Tehran",
        shared_with_network=True,
        approval_required=True,
    )
    for weekday in range(7):
        OpeningHours.objects.create(resource=lab, weekday=weekday, opens=dt.time(8), closes=dt.time(16))
    return world, nw, school_b, teacher_b, lab


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _day() -> str:
    return (timezone.localdate() + dt.timedelta(days=14)).isoformat()


def _book(client, nw, lab, starts="10:00", ends="11:00", **extra):
    data = {"day": _day(), "starts": starts, "ends": ends, "purpose": "Optics", "headcount": "12", **extra}
    return client.post(f"/n/{nw.network.slug}/resources/{lab.pk}/", data)


def test_teacher_requests_leader_approves_then_an_overlap_is_refused_showing_it(setup):
    _world, nw, school_b, teacher_b, lab = setup
    response = _book(_client(teacher_b), nw, lab)
    assert response.status_code == 302
    request = Booking.objects.get(resource=lab)
    assert request.status == v.BookingStatus.PENDING and request.organisation == school_b
    # Times are the resource's wall-clock time (Tehran, UTC+03:30).
    assert request.start.astimezone(dt.UTC).strftime("%H:%M") == "06:30"
    leader = _client(nw.user(Role.SCHOOL_LEADER))
    page = leader.get(f"/n/{nw.network.slug}/resources/requests/").content.decode()
    assert f'id="request-{request.pk}"' in page
    leader.post(f"/n/{nw.network.slug}/resources/bookings/{request.pk}/decide/", {"decision": "approve"})
    request.refresh_from_db()
    assert request.status == v.BookingStatus.CONFIRMED
    response = _book(_client(nw.user(Role.TEACHER)), nw, lab, starts="10:30", ends="11:30")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="conflicts"' in page and "School B" in page and str(request.pk) in page
    assert Booking.objects.filter(resource=lab).count() == 1


def test_declining_needs_a_reason(setup):
    _world, nw, _school_b, teacher_b, lab = setup
    _book(_client(teacher_b), nw, lab)
    request = Booking.objects.get(resource=lab)
    leader = _client(nw.user(Role.SCHOOL_LEADER))
    leader.post(f"/n/{nw.network.slug}/resources/bookings/{request.pk}/decide/", {"decision": "decline"})
    request.refresh_from_db()
    assert request.status == v.BookingStatus.PENDING
    leader.post(
        f"/n/{nw.network.slug}/resources/bookings/{request.pk}/decide/",
        {"decision": "decline", "reason": "Exams"},
    )
    request.refresh_from_db()
    assert request.status == v.BookingStatus.DECLINED and request.reason == "Exams"


@pytest.mark.parametrize("role", [Role.TEACHER, Role.EXTERNAL_PARTNER, Role.RESEARCHER, Role.COORDINATOR])
def test_only_the_owners_leaders_and_admins_decide(setup, role):
    _world, nw, _school_b, teacher_b, lab = setup
    _book(_client(teacher_b), nw, lab)
    request = Booking.objects.get(resource=lab)
    response = _client(nw.user(role)).post(
        f"/n/{nw.network.slug}/resources/bookings/{request.pk}/decide/", {"decision": "approve"}
    )
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == v.BookingStatus.PENDING


@pytest.mark.parametrize(
    ("role", "sees", "books"),
    [
        (Role.ADMIN, 200, True),
        (Role.COORDINATOR, 200, True),
        (Role.SCHOOL_LEADER, 200, True),
        (Role.TEACHER, 200, True),
        (Role.EXTERNAL_PARTNER, 200, False),
        (Role.RESEARCHER, 200, False),
    ],
)
def test_access_by_role(setup, role, sees, books):
    _world, nw, _school_b, _teacher_b, lab = setup
    client = _client(nw.user(role))
    page = client.get(f"/n/{nw.network.slug}/resources/{lab.pk}/")
    assert page.status_code == sees
    assert ('id="booking-form"' in page.content.decode()) == books
    extra = {"organisation": str(nw.school.pk)} if role in (Role.ADMIN, Role.COORDINATOR) else {}
    response = _book(client, nw, lab, **extra)
    assert response.status_code == (302 if books else 403)


def test_another_networks_users_find_nothing(setup):
    world, nw, _school_b, teacher_b, lab = setup
    _book(_client(teacher_b), nw, lab)
    booking = Booking.objects.get(resource=lab)
    outsider = _client(world.b.user(Role.ADMIN))
    assert outsider.get(f"/n/{nw.network.slug}/resources/").status_code == 404
    assert outsider.get(f"/n/{world.b.network.slug}/resources/{lab.pk}/").status_code == 404
    response = outsider.post(
        f"/n/{world.b.network.slug}/resources/bookings/{booking.pk}/decide/", {"decision": "approve"}
    )
    assert response.status_code == 404


def test_the_booker_cancels(setup):
    _world, nw, _school_b, teacher_b, lab = setup
    client = _client(teacher_b)
    _book(client, nw, lab)
    booking = Booking.objects.get(resource=lab)
    assert (
        _client(nw.user(Role.RESEARCHER))
        .post(f"/n/{nw.network.slug}/resources/bookings/{booking.pk}/cancel/")
        .status_code
        == 403
    )
    client.post(f"/n/{nw.network.slug}/resources/bookings/{booking.pk}/cancel/")
    booking.refresh_from_db()
    assert booking.status == v.BookingStatus.CANCELLED
