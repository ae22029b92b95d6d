"""Managing the catalogue: the services (validation naming fields and rows, audit entries) and the pages
(new resource, edit, opening hours, closures, the list's filters) for every role and another network."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from interschool.core.models import AuditEntry, Role
from interschool.core.tests.factories import build_world
from interschool.partnerships.tests.factories import build_partnership_world, propose
from interschool.resources import vocabularies as v
from interschool.resources.models import Closure, OpeningHours, Resource
from interschool.resources.services import catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    world = build_world()
    nw = world.a
    nw.network.time_zone = "Europe/Amsterdam"
    nw.network.save()
    pw = build_partnership_world(nw)
    partnership = propose(pw)
    lab = catalogue.resource_create(
        actor="cli",
        network=nw.network,
        values={
            "owner": nw.school,
            "name": "Physics lab",
            "kind": v.ResourceKind.LABORATORY,
            "capacity": 20,
            "shared_with_network": True,
        },
    )
    return world, nw, pw, partnership, lab


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# Services


def test_create_defaults_to_the_networks_time_zone_links_partnerships_and_audits(setup):
    _world, nw, _pw, partnership, _lab = setup
    gym = catalogue.resource_create(
        actor=nw.user(Role.ADMIN),
        network=nw.network,
        values={"owner": nw.school, "name": " Gym ", "kind": "gym", "partnerships": [partnership]},
    )
    assert gym.time_zone == "Europe/Amsterdam" and gym.name == "Gym"
    assert list(gym.partnerships.all()) == [partnership]
    entry = AuditEntry.objects.get(action="create", object_type="resources.resource", object_id=str(gym.pk))
    assert entry.changes["name"] == [None, "Gym"]
    assert entry.changes["partnerships"] == [None, [partnership.pk]]
    assert entry.actor_label == "admin@a.example.org"


def test_create_names_each_field_in_error(setup):
    world, nw, _pw, _partnership, _lab = setup
    with pytest.raises(ValidationError) as excinfo:
        catalogue.resource_create(
            actor="cli",
            network=nw.network,
            values={
                "owner": world.b.school,
                "name": "",
                "kind": "castle",
                "time_zone": "Mars/Olympus",
                "latitude": 91.0,
                "capacity": 0,
                "approval_expiry_hours": 0,
            },
        )
    errors = _errors(excinfo)
    assert {"owner", "name", "kind", "time_zone", "latitude", "longitude", "capacity"} <= set(errors)
    assert "approval_expiry_hours" in errors
    assert any("Mars/Olympus" in message for message in errors["time_zone"])
    assert not Resource.objects.filter(kind="castle").exists()


def test_partnerships_must_have_the_owner_as_member(setup):
    _world, nw, pw, partnership, lab = setup
    with pytest.raises(ValidationError) as excinfo:
        catalogue.resource_create(
            actor="cli",
            network=nw.network,
            values={
                "owner": pw.outsider_school,
                "name": "Hall",
                "kind": "hall",
                "partnerships": [partnership],
            },
        )
    assert partnership.name in _errors(excinfo)["partnerships"][0]
    # Moving a shared resource to an owner outside the partnership is refused until it is unlinked.
    catalogue.resource_share(actor="cli", resource=lab, with_network=False, partnerships=[partnership])
    with pytest.raises(ValidationError) as excinfo:
        catalogue.resource_update(actor="cli", resource=lab, values={"owner": pw.outsider_school})
    assert "partnerships" in _errors(excinfo)
    lab.refresh_from_db()
    assert lab.owner == nw.school


def test_update_and_share_audit_what_changed(setup):
    _world, nw, _pw, partnership, lab = setup
    changes = catalogue.resource_update(
        actor=nw.user(Role.COORDINATOR), resource=lab, values={"capacity": 24, "location": "Block B"}
    )
    assert changes == {"capacity": [20, 24], "location": ["", "Block B"]}
    entry = AuditEntry.objects.filter(action="update", object_id=str(lab.pk)).latest("pk")
    assert entry.changes == changes
    changes = catalogue.resource_share(
        actor="cli", resource=lab, with_network=False, partnerships=[partnership]
    )
    assert changes == {"shared_with_network": [True, False], "partnerships": [[], [partnership.pk]]}
    share = AuditEntry.objects.get(action="share", object_id=str(lab.pk))
    assert share.changes == {"partnerships": [[], [partnership.pk]]}
    with pytest.raises(ValidationError) as excinfo:
        catalogue.resource_update(actor="cli", resource=lab, values={"longitude": 200.0, "latitude": 52.0})
    assert set(_errors(excinfo)) == {"longitude"}


def test_opening_hours_replace_all_and_are_audited(setup):
    _world, _nw, _pw, _partnership, lab = setup
    OpeningHours.objects.create(resource=lab, weekday=6, opens=dt.time(10), closes=dt.time(12))
    intervals = [(0, dt.time(8), dt.time(12)), (0, dt.time(13), dt.time(17)), (2, dt.time(9), dt.time(15))]
    catalogue.opening_hours_set(actor="cli", resource=lab, intervals=intervals)
    assert list(lab.opening_hours.values_list("weekday", "opens", "closes")) == intervals
    entry = AuditEntry.objects.get(action="opening_hours", object_id=str(lab.pk))
    assert entry.changes["opening_hours"] == [
        ["6 10:00-12:00"],
        ["0 08:00-12:00", "0 13:00-17:00", "2 09:00-15:00"],
    ]
    # The same hours again change nothing and write no entry; none means open at any time.
    catalogue.opening_hours_set(actor="cli", resource=lab, intervals=intervals)
    assert AuditEntry.objects.filter(action="opening_hours").count() == 1
    catalogue.opening_hours_set(actor="cli", resource=lab, intervals=[])
    assert not lab.opening_hours.exists()


def test_opening_hours_errors_name_the_row(setup):
    _world, _nw, _pw, _partnership, lab = setup
    intervals = [
        (0, dt.time(8), dt.time(16)),
        (0, dt.time(9), dt.time(10)),
        (0, dt.time(11), dt.time(12)),
        (1, dt.time(12), dt.time(9)),
        (1, dt.time(12), dt.time(13)),  # touches nothing wrong: row 4 is invalid on its own
        (9, dt.time(8), dt.time(9)),
    ]
    with pytest.raises(ValidationError) as excinfo:
        catalogue.opening_hours_set(actor="cli", resource=lab, intervals=intervals)
    messages = _errors(excinfo)["opening_hours"]
    assert len(messages) == 4
    assert any(m.startswith("Row 4 (Tuesday 12:00–09:00)") for m in messages)
    assert any(m.startswith("Row 6:") for m in messages)
    assert any(m.startswith("Row 2 (Monday 09:00–10:00) overlaps row 1") for m in messages)
    assert any(m.startswith("Row 3 (Monday 11:00–12:00) overlaps row 1") for m in messages)
    assert not lab.opening_hours.exists()
    # Touching intervals do not overlap.
    catalogue.opening_hours_set(
        actor="cli", resource=lab, intervals=[(4, dt.time(8), dt.time(12)), (4, dt.time(12), dt.time(16))]
    )
    assert lab.opening_hours.count() == 2


def test_closures_are_checked_and_audited(setup):
    _world, _nw, _pw, _partnership, lab = setup
    with pytest.raises(ValidationError) as excinfo:
        catalogue.closure_add(
            actor="cli", resource=lab, starts_on=dt.date(2027, 1, 5), ends_on=dt.date(2027, 1, 4)
        )
    assert set(_errors(excinfo)) == {"ends_on"}
    closure = catalogue.closure_add(
        actor="cli",
        resource=lab,
        starts_on=dt.date(2027, 1, 4),
        ends_on=dt.date(2027, 1, 8),
        reason=" Works ",
    )
    assert closure.reason == "Works"
    created = AuditEntry.objects.get(action="create", object_type="resources.closure")
    assert created.changes["starts_on"] == [None, "2027-01-04"]
    closure_id = closure.pk
    catalogue.closure_delete(actor="cli", closure=closure)
    assert not Closure.objects.exists()
    deleted = AuditEntry.objects.get(action="delete", object_type="resources.closure")
    assert deleted.changes["reason"] == ["Works", None] and deleted.object_id == str(closure_id)


# Pages

MANAGE_PAGES = ("edit/", "hours/", "closures/")

# role -> (new resource page, pages of the lab owned by network A's school)
ROLE_ACCESS = [
    ("admin", 200, 200),
    ("coordinator", 200, 200),
    ("school_leader", 200, 200),
    ("other_leader", 200, 403),
    ("teacher", 403, 403),
    ("external_partner", 403, 403),
    ("researcher", 403, 403),
]


def _user(nw, pw, who):
    return pw.leader_b if who == "other_leader" else nw.user(who)


@pytest.mark.parametrize(("who", "create", "manage"), ROLE_ACCESS)
def test_access_by_role(setup, who, create, manage):
    _world, nw, pw, _partnership, lab = setup
    client = _client(_user(nw, pw, who))
    base = f"/n/{nw.network.slug}/resources/"
    OpeningHours.objects.create(resource=lab, weekday=0, opens=dt.time(8), closes=dt.time(12))
    assert client.get(f"{base}new/").status_code == create
    # Incomplete forms are shown again with their errors; an empty hours form clears the hours.
    assert client.post(f"{base}new/", {"name": "X", "kind": "gym"}).status_code == create
    posted = {"edit/": 200, "hours/": 302, "closures/": 200}
    for page in MANAGE_PAGES:
        assert client.get(f"{base}{lab.pk}/{page}").status_code == manage
        assert client.post(f"{base}{lab.pk}/{page}", {}).status_code == (
            posted[page] if manage == 200 else 403
        )
    assert lab.opening_hours.exists() == (manage != 200)
    closure = catalogue.closure_add(
        actor="cli", resource=lab, starts_on=dt.date(2027, 1, 4), ends_on=dt.date(2027, 1, 4)
    )
    assert client.get(f"{base}{lab.pk}/closures/{closure.pk}/delete/").status_code == manage
    assert client.post(f"{base}{lab.pk}/closures/{closure.pk}/delete/").status_code == (
        302 if manage == 200 else 403
    )
    assert Closure.objects.filter(pk=closure.pk).exists() == (manage != 200)
    detail = client.get(f"{base}{lab.pk}/").content.decode()
    assert ('id="manage-links"' in detail) == (manage == 200)
    listing = client.get(base).content.decode()
    assert ('id="new-resource"' in listing) == (create == 200)
    if create == 403:
        assert Resource.objects.filter(name="X").count() == 0


def test_another_networks_admin_finds_nothing(setup):
    world, nw, _pw, _partnership, lab = setup
    outsider = _client(world.b.user(Role.ADMIN))
    closure = catalogue.closure_add(
        actor="cli", resource=lab, starts_on=dt.date(2027, 1, 4), ends_on=dt.date(2027, 1, 4)
    )
    assert outsider.get(f"/n/{nw.network.slug}/resources/new/").status_code == 404
    for slug in (nw.network.slug, world.b.network.slug):
        for page in (*MANAGE_PAGES, f"closures/{closure.pk}/delete/"):
            assert outsider.get(f"/n/{slug}/resources/{lab.pk}/{page}").status_code == 404
            assert outsider.post(f"/n/{slug}/resources/{lab.pk}/{page}", {}).status_code == 404
    assert Closure.objects.filter(pk=closure.pk).exists()


def _resource_data(**extra):
    return {
        "name": "Chemistry lab",
        "kind": "laboratory",
        "capacity": "16",
        "time_zone": "Europe/Amsterdam",
        "mode": "free",
        "min_notice_hours": "24",
        "approval_expiry_hours": "48",
        "active": "on",
        **extra,
    }


def test_a_school_leader_creates_for_their_own_school(setup):
    _world, nw, pw, partnership, _lab = setup
    client = _client(nw.user(Role.SCHOOL_LEADER))
    page = client.get(f"/n/{nw.network.slug}/resources/new/").content.decode()
    assert 'name="owner"' not in page
    assert 'value="Europe/Amsterdam" selected' in page
    assert partnership.name in page
    response = client.post(
        f"/n/{nw.network.slug}/resources/new/",
        _resource_data(
            owner=str(pw.outsider_school.pk), partnerships=[str(partnership.pk)], latitude="52.37"
        ),
    )
    assert response.status_code == 200
    assert "Give both latitude and longitude" in response.content.decode()
    response = client.post(
        f"/n/{nw.network.slug}/resources/new/",
        _resource_data(
            owner=str(pw.outsider_school.pk),
            partnerships=[str(partnership.pk)],
            latitude="52.37",
            longitude="4.89",
            approval_required="on",
        ),
    )
    resource = Resource.objects.get(name="Chemistry lab")
    assert response.status_code == 302 and response["Location"].endswith(f"/resources/{resource.pk}/")
    assert resource.owner == nw.school and resource.approval_required and resource.min_notice_hours == 24
    assert list(resource.partnerships.all()) == [partnership]
    assert resource.latitude == pytest.approx(52.37)


def test_an_admin_chooses_the_owner_and_errors_name_the_field(setup):
    _world, nw, pw, partnership, _lab = setup
    client = _client(nw.user(Role.ADMIN))
    url = f"/n/{nw.network.slug}/resources/new/"
    assert 'name="owner"' in client.get(url).content.decode()
    response = client.post(
        url, _resource_data(owner=str(pw.outsider_school.pk), partnerships=[str(partnership.pk)])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_partnerships_error"' in page and "Outsider School is not a member" in page
    response = client.post(url, _resource_data(owner=str(pw.outsider_school.pk), capacity="0"))
    assert 'id="id_capacity_error"' in response.content.decode()
    response = client.post(url, _resource_data(owner=str(pw.outsider_school.pk)))
    assert response.status_code == 302
    assert Resource.objects.get(name="Chemistry lab").owner == pw.outsider_school


def test_edit_shows_the_values_and_saves(setup):
    _world, nw, _pw, partnership, lab = setup
    lab.latitude, lab.longitude = 52.5, 4.25
    lab.save()
    client = _client(nw.user(Role.SCHOOL_LEADER))
    url = f"/n/{nw.network.slug}/resources/{lab.pk}/edit/"
    page = client.get(url).content.decode()
    assert 'value="Physics lab"' in page and 'value="52.5"' in page and 'value="4.25"' in page
    response = client.post(
        url,
        _resource_data(
            name="Physics lab 2", partnerships=[str(partnership.pk)], latitude="52.5", longitude="4.25"
        ),
    )
    assert response.status_code == 302
    lab.refresh_from_db()
    assert lab.name == "Physics lab 2" and not lab.shared_with_network
    assert list(lab.partnerships.all()) == [partnership]
    assert AuditEntry.objects.filter(action="update", object_id=str(lab.pk)).exists()


def test_opening_hours_page(setup):
    _world, nw, _pw, _partnership, lab = setup
    OpeningHours.objects.create(resource=lab, weekday=0, opens=dt.time(8), closes=dt.time(12))
    client = _client(nw.user(Role.COORDINATOR))
    url = f"/n/{nw.network.slug}/resources/{lab.pk}/hours/"
    page = client.get(url).content.decode()
    assert 'id="id_day0_opens1"' in page and 'value="08:00"' in page and 'value="12:00"' in page
    response = client.post(
        url,
        {"day0_opens1": "08:00", "day0_closes1": "12:00", "day0_opens2": "11:00", "day0_closes2": "15:00"},
    )
    assert response.status_code == 200
    assert "Row 2 (Monday 11:00–15:00) overlaps row 1" in response.content.decode()
    response = client.post(url, {"day1_opens1": "09:00"})
    assert 'id="id_day1_closes1_error"' in response.content.decode()
    response = client.post(
        url,
        {"day2_opens1": "09:00", "day2_closes1": "12:00", "day2_opens2": "13:00", "day2_closes2": "16:00"},
    )
    assert response.status_code == 302
    assert list(lab.opening_hours.values_list("weekday", "opens", "closes")) == [
        (2, dt.time(9), dt.time(12)),
        (2, dt.time(13), dt.time(16)),
    ]


def test_closures_page_adds_and_deletes_after_confirmation(setup):
    _world, nw, _pw, _partnership, lab = setup
    client = _client(nw.user(Role.SCHOOL_LEADER))
    url = f"/n/{nw.network.slug}/resources/{lab.pk}/closures/"
    assert 'id="empty-state"' in client.get(url).content.decode()
    response = client.post(url, {"starts_on": "2027-01-08", "ends_on": "2027-01-04", "reason": "Works"})
    assert 'id="id_ends_on_error"' in response.content.decode()
    response = client.post(url, {"starts_on": "2027-01-04", "ends_on": "2027-01-08", "reason": "Works"})
    assert response.status_code == 302
    closure = Closure.objects.get(resource=lab)
    page = client.get(url).content.decode()
    assert f'id="closure-{closure.pk}"' in page and "Works" in page
    confirm = client.get(f"{url}{closure.pk}/delete/").content.decode()
    assert 'id="confirm-delete"' in confirm
    assert Closure.objects.filter(pk=closure.pk).exists()
    assert client.post(f"{url}{closure.pk}/delete/").status_code == 302
    assert not Closure.objects.exists()


def test_list_filters_by_kind_owner_and_name_and_keeps_them_across_pages(setup):
    _world, nw, pw, _partnership, _lab = setup
    for n in range(30):
        catalogue.resource_create(
            actor="cli",
            network=nw.network,
            values={
                "owner": pw.school_b,
                "name": f"Bus {n:02}",
                "kind": "bus",
                "shared_with_network": True,
            },
        )
    client = _client(nw.user(Role.TEACHER))
    base = f"/n/{nw.network.slug}/resources/"
    page = client.get(base).content.decode()
    assert 'id="resource-filters"' in page and "Second School" in page
    page = client.get(base, {"kind": "laboratory"}).content.decode()
    assert "Physics lab" in page and "Bus 00" not in page
    page = client.get(base, {"owner": str(pw.school_b.pk)}).content.decode()
    assert "Physics lab" not in page and "Bus 00" in page
    page = client.get(base, {"q": "PHYSICS"}).content.decode()
    assert "Physics lab" in page and "Bus 00" not in page
    page = client.get(base, {"kind": "bus", "page": "2"}).content.decode()
    assert "kind=bus&amp;page=1" in page and "Physics lab" not in page
    page = client.get(base, {"q": "nothing like it"}).content.decode()
    assert "No resource matches these filters." in page
    # Values that are not valid are ignored rather than refused.
    response = client.get(base, {"kind": "castle", "owner": "x"})
    assert response.status_code == 200 and "31 results" in response.content.decode()
