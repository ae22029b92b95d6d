"""Every role and a member of another network against every page and API route of the core app."""

from __future__ import annotations

import pytest
from django.test import Client

from interschool.core.models import Role

ALL = set(Role.values)
SEE_MEMBERS = {Role.ADMIN, Role.COORDINATOR, Role.SCHOOL_LEADER}
ADMIN = {Role.ADMIN}

# (name, url template, roles allowed; the others get 403). {net} is network A's slug, {org} its school,
# {member} the teacher's membership.
PAGES = [
    ("dashboard", "/n/{net}/", ALL),
    ("organisations", "/n/{net}/organisations/", ALL),
    ("organisation", "/n/{net}/organisations/{org}/", ALL),
    ("organisation edit", "/n/{net}/organisations/{org}/edit/", ADMIN),
    ("organisation create", "/n/{net}/organisations/new/", ADMIN),
    ("members", "/n/{net}/members/", SEE_MEMBERS),
    ("invite", "/n/{net}/members/invite/", ADMIN),
    ("member edit", "/n/{net}/members/{member}/", ADMIN),
    ("member deactivate", "/n/{net}/members/{member}/active/", ADMIN),
    ("audit", "/n/{net}/audit/", ADMIN),
]

API = [
    ("network", "/api/v1/networks/{net}", ALL),
    ("organisations", "/api/v1/networks/{net}/organisations", ALL),
    ("organisation", "/api/v1/networks/{net}/organisations/{org}", ALL),
    ("members", "/api/v1/networks/{net}/members", SEE_MEMBERS),
    ("member", "/api/v1/networks/{net}/members/{member}", SEE_MEMBERS),
]


def _url(template: str, nw) -> str:
    return template.format(net=nw.network.slug, org=nw.school.pk, member=nw.members[Role.TEACHER].pk)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "template", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_pages_by_role(world, role, name, template, allowed):
    client = _client(world.a.user(role))
    response = client.get(_url(template, world.a))
    assert response.status_code == (200 if role in allowed else 403), (name, role)


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "template", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_pages_of_another_network_are_404(world, role, name, template, allowed):
    """A member of network B, whatever their role, sees nothing of network A."""
    client = _client(world.b.user(role))
    assert client.get(_url(template, world.a)).status_code == 404


@pytest.mark.parametrize("role", Role.values)
def test_foreign_object_through_own_network_is_404(world, role):
    """Putting network A's organisation id under network B's address does not reveal it either."""
    client = _client(world.b.user(role))
    b = world.b.network.slug
    assert client.get(f"/n/{b}/organisations/{world.a.school.pk}/").status_code == 404
    assert client.get(f"/api/v1/networks/{b}/organisations/{world.a.school.pk}").status_code == 404


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "template", "allowed"), API, ids=[a[0] for a in API])
def test_api_by_role(world, role, name, template, allowed):
    client = _client(world.a.user(role))
    response = client.get(_url(template, world.a))
    assert response.status_code == (200 if role in allowed else 403), (name, role, response.content)
    if response.status_code == 403:
        assert response.json()["detail"]


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "template", "allowed"), API, ids=[a[0] for a in API])
def test_api_of_another_network_is_404(world, role, name, template, allowed):
    client = _client(world.b.user(role))
    response = client.get(_url(template, world.a))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": []}


@pytest.mark.parametrize("role", Role.values)
def test_api_organisation_change_only_for_administrators(world, role):
    client = _client(world.a.user(role))
    url = _url("/api/v1/networks/{net}/organisations/{org}", world.a)
    response = client.patch(url, {"name": "Renamed School"}, content_type="application/json")
    assert response.status_code == (200 if role == Role.ADMIN else 403)
    world.a.school.refresh_from_db()
    assert (world.a.school.name == "Renamed School") == (role == Role.ADMIN)


@pytest.mark.parametrize("role", Role.values)
def test_lists_never_show_another_network(world, role):
    client = _client(world.a.user(role))
    page = client.get(f"/n/{world.a.network.slug}/organisations/").content.decode()
    # Researchers see the registry pseudonymised: a stable code instead of the name.
    shown = world.a.school.name if role != Role.RESEARCHER else f"/organisations/{world.a.school.pk}/"
    assert shown in page
    assert world.b.school.name not in page
    data = client.get(f"/api/v1/networks/{world.a.network.slug}/organisations").json()
    assert data["count"] == 2
    assert {item["id"] for item in data["items"]} == {world.a.school.pk, world.a.partner.pk}
    networks = client.get("/api/v1/networks").json()
    assert [n["slug"] for n in networks["items"]] == [world.a.network.slug]


def test_search_never_finds_another_network(world):
    client = _client(world.a.user(Role.ADMIN))
    page = client.get(
        f"/n/{world.a.network.slug}/organisations/", {"q": world.b.school.code}
    ).content.decode()
    assert world.b.school.name not in page
    data = client.get(f"/api/v1/networks/{world.a.network.slug}/organisations", {"q": "School"}).json()
    assert [i["name"] for i in data["items"]] == [world.a.school.name]


def test_deactivated_member_loses_access(world):
    from interschool.core.services.networks import member_set_active

    teacher = world.a.members[Role.TEACHER]
    member_set_active(actor=world.a.user(Role.ADMIN), membership=teacher, active=False)
    client = _client(teacher.user)
    assert client.get(f"/n/{world.a.network.slug}/").status_code == 404
    assert client.get(f"/api/v1/networks/{world.a.network.slug}").status_code == 404


def test_anonymous_is_sent_to_login_or_gets_401(world):
    client = Client()
    response = client.get(f"/n/{world.a.network.slug}/organisations/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.get(f"/api/v1/networks/{world.a.network.slug}/organisations")
    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.parametrize("role", Role.values)
def test_other_users_private_objects_are_404(world, role):
    """Notifications, tokens and progress records belong to one user only."""
    from interschool.core.services.notifications import notify
    from interschool.core.services.progress import progress_start
    from interschool.core.services.tokens import api_token_create

    owner = world.a.user(Role.ADMIN)
    notification = notify(user=owner, kind="system", title="hello")
    token, _secret = api_token_create(actor=owner, user=owner, name="x")
    progress = progress_start(kind="audit_export", network=world.a.network, user=owner)
    intruder = world.b.user(role) if role == Role.ADMIN else world.a.user(role)
    client = _client(intruder)
    assert client.post(f"/notifications/{notification.pk}/open/").status_code == 404
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert client.get(f"/progress/{progress.pk}/").status_code == 404
    token.refresh_from_db()
    assert token.is_active
