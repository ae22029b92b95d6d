"""The shared-resources API: the catalogue with its filters, a resource's hours, closures and rules, bookings
in a window, booking (a collision is a 409 showing the booking in the way, declared in the OpenAPI schema;
other refusals a 422 naming the field and the rule), series, deciding, cancelling, calendar feeds, and every
route for every role, for a member of another network (404) and for an anonymous client (401)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from interschool.core.models import OrganisationKind, Role
from interschool.core.services.tokens import api_token_create
from interschool.core.tests.factories import MembershipFactory, OrganisationFactory, UserFactory, build_world
from interschool.resources import vocabularies as v
from interschool.resources.models import Booking, CalendarFeed, Closure, OpeningHours, Resource

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
BOOKERS = {Role.ADMIN, Role.COORDINATOR, Role.SCHOOL_LEADER, Role.TEACHER}
ALL_SEEING = {Role.ADMIN, Role.COORDINATOR}
ROLES_SEEING_RIGHTLY = list(Role)  # a member without an organisation sees only network-wide resources


def _monday(weeks: int = 3) -> dt.date:
    """A Monday a few weeks from today, so bookings never start in the past."""
    today = timezone.localdate()
    return today + dt.timedelta(days=7 * weeks - today.weekday())


def at(day: dt.date, hour: int, minute: int = 0) -> str:
    """A wall-clock time in Amsterdam as ISO 8601 with its offset."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=AMSTERDAM).isoformat()


class Setup:
    def __init__(self) -> None:
        self.world = build_world()
        nw = self.nw = self.world.a
        self.slug = nw.network.slug
        self.school_b = OrganisationFactory(network=nw.network, kind=OrganisationKind.SCHOOL, name="School B")
        self.teacher_b = UserFactory(email="teacher.b@a.example.org")
        MembershipFactory(
            user=self.teacher_b, network=nw.network, role=Role.TEACHER, organisation=self.school_b
        )
        self.lab = Resource.objects.create(
            network=nw.network,
            owner=nw.school,
            name="Chemistry lab",
            kind=v.ResourceKind.LABORATORY,
            capacity=30,
            time_zone="Europe/Amsterdam",
            shared_with_network=True,
            max_length_minutes=240,
        )
        for weekday in range(5):
            OpeningHours.objects.create(
                resource=self.lab, weekday=weekday, opens=dt.time(8), closes=dt.time(17)
            )
        self.closed_day = _monday(5)
        Closure.objects.create(
            resource=self.lab, starts_on=self.closed_day, ends_on=self.closed_day, reason="Maintenance"
        )
        # Owned by the museum and shared with nobody: only its own members and those who see all see it.
        self.bus = Resource.objects.create(
            network=nw.network, owner=nw.partner, name="Museum bus", kind=v.ResourceKind.BUS, capacity=40
        )
        self.b_lab = Resource.objects.create(
            network=self.world.b.network,
            owner=self.world.b.school,
            name="B lab",
            kind=v.ResourceKind.LABORATORY,
            shared_with_network=True,
        )

    def url(self, path: str = "", slug: str | None = None) -> str:
        return f"/api/v1/networks/{slug or self.slug}/resources{path}"

    def client(self, role: str = "", user: Any = None) -> Client:
        client = Client()
        client.force_login(user or self.nw.user(role))
        return client

    def book(
        self, client: Client, start: str, end: str, resource: Resource | None = None, **extra: Any
    ) -> Any:
        body = {"start": start, "end": end, "purpose": "Titration", "headcount": 12, **extra}
        return post(client, self.url(f"/{(resource or self.lab).pk}/bookings"), body)


def post(client: Client, url: str, body: Any, **extra: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", **extra)


@pytest.fixture
def s() -> Setup:
    return Setup()


def _fields(response: Any) -> dict[str, str | None]:
    return {e["field"]: e.get("code") for e in response.json()["errors"]}


# --- the catalogue -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES_SEEING_RIGHTLY)
def test_every_role_lists_what_its_organisation_may_use(s, role):
    response = s.client(role).get(s.url())
    assert response.status_code == 200
    names = {r["name"] for r in response.json()["items"]}
    # The museum's bus is shared with nobody: its own external partner and those who see all see it.
    sees_bus = role in ALL_SEEING or role == Role.EXTERNAL_PARTNER
    assert names == ({"Chemistry lab", "Museum bus"} if sees_bus else {"Chemistry lab"})
    assert response.json()["count"] == len(names)


def test_the_list_filters_by_kind_and_owner(s):
    admin = s.client(Role.ADMIN)
    assert [r["name"] for r in admin.get(s.url(), {"kind": "bus"}).json()["items"]] == ["Museum bus"]
    owned = admin.get(s.url(), {"owner": s.nw.school.pk}).json()
    assert [r["name"] for r in owned["items"]] == ["Chemistry lab"] and owned["count"] == 1
    item = owned["items"][0]
    assert item["kind"] == "laboratory" and item["type"] == "material" and item["owner"] == s.nw.school.name
    refused = admin.get(s.url(), {"kind": "spaceship"})
    assert refused.status_code == 422 and "kind" in _fields(refused)
    paged = admin.get(s.url(), {"page_size": 1, "page": 2}).json()
    assert paged["count"] == 2 and len(paged["items"]) == 1


def test_a_resource_with_hours_closures_and_rules(s):
    body = s.client(Role.TEACHER).get(s.url(f"/{s.lab.pk}")).json()
    assert len(body["opening_hours"]) == 5
    assert body["opening_hours"][0] == {"weekday": 0, "opens": "08:00:00", "closes": "17:00:00"}
    assert body["closures"] == [
        {"starts_on": s.closed_day.isoformat(), "ends_on": s.closed_day.isoformat(), "reason": "Maintenance"}
    ]
    assert body["rules"] == {
        "capacity": 30,
        "min_notice_hours": 0,
        "max_length_minutes": 240,
        "approval_required": False,
        "approval_expiry_hours": 72,
        "mode": "free",
    }


@pytest.mark.parametrize("role", ROLES_SEEING_RIGHTLY)
def test_a_resource_not_shared_with_the_users_organisation_is_not_found(s, role):
    response = s.client(role).get(s.url(f"/{s.bus.pk}"))
    assert response.status_code == (200 if role in ALL_SEEING or role == Role.EXTERNAL_PARTNER else 404)


# --- booking -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_who_may_book(s, role):
    day = _monday()
    extra = {"organisation_id": s.nw.school.pk} if role in ALL_SEEING else {}
    response = s.book(s.client(role), at(day, 10), at(day, 11), **extra)
    if role in BOOKERS:
        assert response.status_code == 201, response.content
        booking = Booking.objects.get(pk=response.json()["id"])
        assert booking.organisation == s.nw.school and booking.booked_by == s.nw.user(role)
    else:
        assert response.status_code == 403
        assert not Booking.objects.exists()


def test_a_booking_comes_back_in_the_resources_time(s):
    day = _monday()
    response = s.book(s.client(user=s.teacher_b), at(day, 10), at(day, 11, 30))
    assert response.status_code == 201
    body = response.json()
    assert body["organisation_id"] == s.school_b.pk and body["organisation"] == "School B"
    assert body["status"] == "confirmed" and body["headcount"] == 12 and body["series_id"] is None
    assert dt.datetime.fromisoformat(body["start"]) == dt.datetime.fromisoformat(at(day, 10))
    assert body["start"] == at(day, 10)
    booking = Booking.objects.get(pk=body["id"])
    assert booking.start == dt.datetime.fromisoformat(at(day, 10))


def test_a_collision_is_a_409_showing_the_booking_in_the_way(s):
    day = _monday()
    first = s.book(s.client(user=s.teacher_b), at(day, 10), at(day, 11)).json()
    response = s.book(s.client(Role.TEACHER), at(day, 10, 30), at(day, 11, 30))
    assert response.status_code == 409
    body = response.json()
    assert "School B" in body["detail"] and str(first["id"]) in body["detail"]
    assert body["errors"] == [{"field": "start", "message": body["detail"], "code": "conflict"}]
    assert body["conflicts"] == [
        {
            "id": first["id"],
            "start": at(day, 10),
            "end": at(day, 11),
            "organisation_id": s.school_b.pk,
            "organisation": "School B",
            "status": "confirmed",
        }
    ]
    assert Booking.objects.count() == 1
    # Touching ranges do not overlap.
    assert s.book(s.client(Role.TEACHER), at(day, 11), at(day, 12)).status_code == 201


def test_the_409_is_declared_in_the_openapi_schema(s):
    schema = Client().get("/api/v1/openapi.json").json()
    responses = schema["paths"]["/api/v1/networks/{slug}/resources/{pk}/bookings"]["post"]["responses"]
    assert responses["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/CollisionOut")
    collision = schema["components"]["schemas"]["CollisionOut"]
    assert {"detail", "errors", "conflicts"} <= set(collision["properties"])
    conflict = schema["components"]["schemas"]["ConflictOut"]
    assert {"id", "start", "end", "organisation_id", "organisation", "status"} <= set(conflict["properties"])
    assert "201" in responses and "422" in responses and "403" in responses
    series = schema["paths"]["/api/v1/networks/{slug}/resources/{pk}/series"]["post"]["responses"]
    assert series["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/SeriesRefusedOut")


@pytest.mark.parametrize(
    ("start", "end", "extra", "field", "code"),
    [
        ((0, 7), (0, 8), {}, "start", "hours"),  # before opening
        ((5, 10), (5, 11), {}, "start", "hours"),  # Saturday
        ((0, 10), (0, 15), {}, "end", "too_long"),
        ((0, 11), (0, 10), {}, "end", "order"),
        ((0, 10), (0, 11), {"headcount": 31}, "headcount", "capacity"),
        ((0, 10), (0, 11), {"purpose": "  "}, "purpose", "purpose"),
    ],
)
def test_refused_rules_are_a_422_naming_the_field_and_the_rule(s, start, end, extra, field, code):
    day = _monday()
    response = s.book(
        s.client(Role.TEACHER),
        at(day + dt.timedelta(days=start[0]), start[1]),
        at(day + dt.timedelta(days=end[0]), end[1]),
        **extra,
    )
    assert response.status_code == 422, response.content
    assert _fields(response) == {field: code}
    assert response.json()["detail"] == response.json()["errors"][0]["message"]


def test_a_closure_and_the_past_are_refused(s):
    teacher = s.client(Role.TEACHER)
    closed = s.book(teacher, at(s.closed_day, 10), at(s.closed_day, 11))
    assert closed.status_code == 422 and _fields(closed) == {"start": "closure"}
    assert "Maintenance" in closed.json()["detail"]
    gone = _monday(-2)
    past = s.book(teacher, at(gone, 10), at(gone, 11))
    assert past.status_code == 422 and _fields(past) == {"start": "past"}


def test_times_without_an_offset_and_unknown_fields_are_refused(s):
    day = _monday()
    teacher = s.client(Role.TEACHER)
    naive = s.book(teacher, f"{day}T10:00:00", at(day, 11))
    assert naive.status_code == 422 and "start" in _fields(naive)
    unknown = s.book(teacher, at(day, 10), at(day, 11), colour="red")
    assert unknown.status_code == 422 and "colour" in _fields(unknown)
    missing = post(teacher, s.url(f"/{s.lab.pk}/bookings"), {"start": at(day, 10)})
    assert missing.status_code == 422 and {"end", "purpose"} <= set(_fields(missing))


def test_the_organisation_booked_for(s):
    day = _monday()
    # Administrators and coordinators choose any organisation of the network, and must choose one.
    admin = s.client(Role.ADMIN)
    none = s.book(admin, at(day, 10), at(day, 11))
    assert none.status_code == 422 and _fields(none) == {"organisation_id": None}
    foreign = s.book(admin, at(day, 10), at(day, 11), organisation_id=s.world.b.school.pk)
    assert foreign.status_code == 422 and _fields(foreign) == {"organisation_id": None}
    assert s.world.b.school.name not in foreign.content.decode()
    for_b = s.book(admin, at(day, 10), at(day, 11), organisation_id=s.school_b.pk)
    assert for_b.status_code == 201 and for_b.json()["organisation_id"] == s.school_b.pk
    # Others book for their own organisation only.
    teacher = s.client(Role.TEACHER)
    other = s.book(teacher, at(day, 12), at(day, 13), organisation_id=s.school_b.pk)
    assert other.status_code == 403
    own = s.book(teacher, at(day, 12), at(day, 13), organisation_id=s.nw.school.pk)
    assert own.status_code == 201
    # A resource not shared with the organisation: refused naming organisation_id.
    not_shared = s.book(admin, at(day, 10), at(day, 11), resource=s.bus, organisation_id=s.school_b.pk)
    assert not_shared.status_code == 422 and _fields(not_shared) == {"organisation_id": "not_shared"}


def test_bookings_in_a_window(s):
    day = _monday()
    teacher = s.client(Role.TEACHER)
    ids = [s.book(teacher, at(day, h), at(day, h + 1)).json()["id"] for h in (9, 11, 14)]
    Booking.objects.filter(pk=ids[2]).update(status=v.BookingStatus.CANCELLED)
    url = s.url(f"/{s.lab.pk}/bookings")
    everything = s.client(Role.RESEARCHER).get(url).json()
    assert [b["id"] for b in everything["items"]] == ids[:2] and everything["count"] == 2
    window = teacher.get(url, {"start": at(day, 10), "end": at(day, 16)}).json()
    assert [b["id"] for b in window["items"]] == [ids[1]]
    touching = teacher.get(url, {"start": at(day, 10), "end": at(day, 11)}).json()
    assert touching["count"] == 0
    backwards = teacher.get(url, {"start": at(day, 12), "end": at(day, 10)})
    assert backwards.status_code == 422 and "end" in _fields(backwards)
    naive = teacher.get(url, {"start": f"{day}T10:00:00"})
    assert naive.status_code == 422 and "start" in _fields(naive)


# --- series ------------------------------------------------------------------------------------------------


def _series(s: Setup, client: Client, **extra: Any) -> Any:
    day = _monday()
    body = {
        "first_start": f"{day}T09:00:00",
        "duration_minutes": 60,
        "rule": "FREQ=WEEKLY;BYDAY=MO;COUNT=2",
        "ends_on": (day + dt.timedelta(days=60)).isoformat(),
        "purpose": "Weekly practical",
        "headcount": 10,
        **extra,
    }
    return post(client, s.url(f"/{s.lab.pk}/series"), body)


def test_a_series_is_booked_whole(s):
    response = _series(s, s.client(Role.TEACHER))
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["bookings"]) == 2 and body["skipped"] == []
    assert all(b["series_id"] == body["id"] for b in body["bookings"])
    assert {b["start"][11:16] for b in body["bookings"]} == {"09:00"}


def test_a_series_in_the_way_of_a_booking_is_a_409_listing_every_problem(s):
    second = _monday() + dt.timedelta(days=7)
    taken_id = s.book(s.client(user=s.teacher_b), at(second, 9, 30), at(second, 10)).json()["id"]
    teacher = s.client(Role.TEACHER)
    response = _series(s, teacher)
    assert response.status_code == 409
    body = response.json()
    assert body["errors"][0]["field"] == "first_start"
    assert body["problems"] == [
        {
            "local_start": f"{second}T09:00:00",
            "code": "conflict",
            "message": body["problems"][0]["message"],
            "conflicts": [
                {
                    "id": taken_id,
                    "start": at(second, 9, 30),
                    "end": at(second, 10),
                    "organisation_id": s.school_b.pk,
                    "organisation": "School B",
                    "status": "confirmed",
                }
            ],
        }
    ]
    assert Booking.objects.filter(series__isnull=False).count() == 0
    skipped = _series(s, teacher, skip_conflicts=True)
    assert skipped.status_code == 201
    assert len(skipped.json()["bookings"]) == 1
    assert [p["code"] for p in skipped.json()["skipped"]] == ["conflict"]


def test_a_series_breaking_rules_only_is_a_422_and_bad_input_names_the_field(s):
    teacher = s.client(Role.TEACHER)
    # The third occurrence falls on the closed day (two weeks after the first).
    closed = _series(s, teacher, rule="FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    assert closed.status_code == 422
    assert [p["code"] for p in closed.json()["problems"]] == ["closure"]
    bad_rule = _series(s, teacher, rule="FREQ=SOMETIMES")
    assert bad_rule.status_code == 422 and "rule" in _fields(bad_rule)
    aware = _series(s, teacher, first_start=f"{_monday()}T09:00:00+01:00")
    assert aware.status_code == 422 and "first_start" in _fields(aware)
    assert _series(s, s.client(Role.RESEARCHER)).status_code == 403


# --- deciding and cancelling -------------------------------------------------------------------------------


@pytest.fixture
def request_pending(s) -> dict[str, Any]:
    Resource.objects.filter(pk=s.lab.pk).update(approval_required=True)
    day = _monday()
    response = s.book(s.client(user=s.teacher_b), at(day, 10), at(day, 11))
    assert response.status_code == 201 and response.json()["status"] == "pending"
    return response.json()


@pytest.mark.parametrize("role", list(Role))
def test_only_the_owners_leaders_and_administrators_decide(s, request_pending, role):
    url = s.url(f"/bookings/{request_pending['id']}/decide")
    response = post(s.client(role), url, {"approve": True})
    if role in {Role.ADMIN, Role.SCHOOL_LEADER}:
        assert response.status_code == 200 and response.json()["status"] == "confirmed"
    else:
        assert response.status_code == 403
        assert Booking.objects.get(pk=request_pending["id"]).status == v.BookingStatus.PENDING


def test_declining_needs_a_reason_and_a_decided_request_is_not_decided_again(s, request_pending):
    url = s.url(f"/bookings/{request_pending['id']}/decide")
    leader = s.client(Role.SCHOOL_LEADER)
    refused = post(leader, url, {"approve": False})
    assert refused.status_code == 422 and _fields(refused) == {"reason": None}
    declined = post(leader, url, {"approve": False, "reason": "Exams"})
    assert declined.status_code == 200
    assert declined.json()["status"] == "declined" and declined.json()["reason"] == "Exams"
    again = post(leader, url, {"approve": True})
    assert again.status_code == 422 and _fields(again) == {"__all__": None}


@pytest.mark.parametrize("role", list(Role))
def test_who_may_cancel(s, role):
    day = _monday()
    booked = s.book(s.client(user=s.teacher_b), at(day, 10), at(day, 11)).json()
    response = post(s.client(role), s.url(f"/bookings/{booked['id']}/cancel"), {"reason": "Trip"})
    # The owner's leader decides on the resource; a teacher of the owner did not book it.
    if role in {Role.ADMIN, Role.COORDINATOR, Role.SCHOOL_LEADER}:
        assert response.status_code == 200
        assert response.json()["status"] == "cancelled" and response.json()["reason"] == "Trip"
    else:
        assert response.status_code == 403


def test_whoever_booked_cancels_once(s):
    day = _monday()
    booked = s.book(s.client(user=s.teacher_b), at(day, 10), at(day, 11)).json()
    url = s.url(f"/bookings/{booked['id']}/cancel")
    assert post(s.client(user=s.teacher_b), url, {}).status_code == 200
    again = post(s.client(user=s.teacher_b), url, {})
    assert again.status_code == 422 and _fields(again) == {"__all__": None}


def test_a_booking_of_a_resource_the_user_does_not_see_is_not_found(s):
    day = _monday()
    admin = s.client(Role.ADMIN)
    bus = s.book(admin, at(day, 10), at(day, 11), resource=s.bus, organisation_id=s.nw.partner.pk).json()
    response = post(s.client(Role.TEACHER), s.url(f"/bookings/{bus['id']}/cancel"), {})
    assert response.status_code == 404


# --- calendar feeds ----------------------------------------------------------------------------------------


def test_feeds_are_created_listed_and_revoked(s):
    teacher = s.client(Role.TEACHER)
    one = post(teacher, s.url("/feeds"), {"resource_id": s.lab.pk})
    assert one.status_code == 201
    url = one.json()["url"]
    assert url.startswith("http://testserver/feeds/") and url.endswith(".ics")
    assert one.json()["resource"] == "Chemistry lab" and one.json()["organisation_id"] is None
    mine = post(teacher, s.url("/feeds"), {"organisation": True})
    assert mine.status_code == 201 and mine.json()["organisation_id"] == s.nw.school.pk
    assert Client().get(url.removeprefix("http://testserver")).status_code == 200
    listed = teacher.get(s.url("/feeds")).json()
    assert listed["count"] == 2 and {f["url"] for f in listed["items"]} == {url, mine.json()["url"]}
    # Only the creator sees and revokes a feed.
    assert s.client(Role.SCHOOL_LEADER).get(s.url("/feeds")).json()["count"] == 0
    assert s.client(Role.ADMIN).delete(s.url(f"/feeds/{one.json()['id']}")).status_code == 404
    revoked = teacher.delete(s.url(f"/feeds/{one.json()['id']}"))
    assert revoked.status_code == 204 and revoked.content == b""
    assert CalendarFeed.objects.get(pk=one.json()["id"]).revoked_at is not None
    assert Client().get(url.removeprefix("http://testserver")).status_code == 404
    assert teacher.get(s.url("/feeds")).json()["count"] == 1


def test_a_feed_needs_one_subject_the_user_may_see(s):
    teacher = s.client(Role.TEACHER)
    neither = post(teacher, s.url("/feeds"), {})
    assert neither.status_code == 422 and "resource_id" in _fields(neither)
    both = post(teacher, s.url("/feeds"), {"resource_id": s.lab.pk, "organisation": True})
    assert both.status_code == 422
    unseen = post(teacher, s.url("/feeds"), {"resource_id": s.bus.pk})
    assert unseen.status_code == 422 and _fields(unseen) == {"resource_id": None}
    foreign = post(teacher, s.url("/feeds"), {"resource_id": s.b_lab.pk})
    assert foreign.status_code == 422
    no_school = post(s.client(Role.RESEARCHER), s.url("/feeds"), {"organisation": True})
    assert no_school.status_code == 422 and _fields(no_school) == {"organisation": None}
    assert not CalendarFeed.objects.exists()


# --- another network and anonymous clients -----------------------------------------------------------------


def _every_route(s: Setup, booking_id: int, feed_id: int, slug: str | None = None) -> list[tuple[str, str]]:
    pk = s.lab.pk
    return [
        ("get", s.url("", slug)),
        ("get", s.url(f"/{pk}", slug)),
        ("get", s.url(f"/{pk}/bookings", slug)),
        ("post", s.url(f"/{pk}/bookings", slug)),
        ("post", s.url(f"/{pk}/series", slug)),
        ("post", s.url(f"/bookings/{booking_id}/decide", slug)),
        ("post", s.url(f"/bookings/{booking_id}/cancel", slug)),
        ("get", s.url("/feeds", slug)),
        ("post", s.url("/feeds", slug)),
        ("delete", s.url(f"/feeds/{feed_id}", slug)),
    ]


def _objects(s: Setup) -> tuple[int, int]:
    day = _monday()
    booking = s.book(s.client(Role.TEACHER), at(day, 10), at(day, 11)).json()["id"]
    feed = post(s.client(Role.TEACHER), s.url("/feeds"), {"resource_id": s.lab.pk}).json()["id"]
    return booking, feed


def _call(client: Client, method: str, url: str, body: dict[str, Any], **extra: Any) -> Any:
    if method == "get":
        return client.get(url, **extra)
    if method == "delete":
        return client.delete(url, **extra)
    return post(client, url, body, **extra)


def _valid_body(s: Setup, url: str) -> dict[str, Any]:
    day = _monday()
    if url.endswith("/bookings"):
        return {"start": at(day, 12), "end": at(day, 13), "purpose": "x", "organisation_id": s.nw.school.pk}
    if url.endswith("/series"):
        return {
            "first_start": f"{day}T14:00:00",
            "duration_minutes": 30,
            "rule": "FREQ=WEEKLY;BYDAY=MO;COUNT=1",
            "ends_on": (day + dt.timedelta(days=7)).isoformat(),
            "purpose": "x",
            "organisation_id": s.nw.school.pk,
        }
    if url.endswith("/decide"):
        return {"approve": True}
    if url.endswith("/feeds"):
        return {"resource_id": s.lab.pk}
    return {}


@pytest.mark.parametrize("role", list(Role))
def test_another_networks_users_find_nothing(s, role):
    booking, feed = _objects(s)
    outsider = s.world.b.user(role)
    _token, secret = api_token_create(actor=outsider, user=outsider, name="script")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    # In network A's address, and network A's objects in network B's address.
    for slug in (s.slug, s.world.b.network.slug):
        for method, url in _every_route(s, booking, feed, slug):
            if slug != s.slug and url.endswith(("/resources", "/feeds")):
                continue  # network B's own lists answer, without A's objects (below)
            response = _call(Client(), method, url, _valid_body(s, url), **headers)
            assert response.status_code == 404, (method, url, response.content)
    own = Client().get(s.url("", s.world.b.network.slug), **headers).json()
    assert [r["name"] for r in own["items"]] == ["B lab"]
    feeds = Client().get(s.url("/feeds", s.world.b.network.slug), **headers).json()
    assert feeds["count"] == 0
    assert Booking.objects.filter(resource=s.lab).count() == 1
    assert CalendarFeed.objects.filter(revoked_at__isnull=True).count() == 1


def test_anonymous_clients_are_refused(s):
    booking, feed = _objects(s)
    for method, url in _every_route(s, booking, feed):
        response = _call(Client(), method, url, _valid_body(s, url))
        assert response.status_code == 401, (method, url)
