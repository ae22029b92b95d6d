"""API conventions: authentication by session or token, list shape, pagination, errors, schema, docs."""

from __future__ import annotations

import pytest
from django.test import Client

from interschool.core.models import Role
from interschool.core.services.tokens import api_token_create, api_token_revoke
from interschool.core.tests.factories import OrganisationFactory


def test_bearer_token_acts_as_its_user_in_all_networks(world):
    from interschool.core.services.networks import member_add

    user = world.a.user(Role.TEACHER)
    member_add(actor="test", network=world.b.network, user=user, role=Role.RESEARCHER)
    _token, secret = api_token_create(actor=user, user=user, name="script")
    client = Client()
    response = client.get("/api/v1/networks", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert sorted(n["slug"] for n in response.json()["items"]) == ["a", "b"]
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").json()["email"] == user.email


def test_token_is_stored_hashed_and_revocation_works(world):
    user = world.a.user(Role.ADMIN)
    token, secret = api_token_create(actor=user, user=user, name="script")
    assert secret not in token.token_hash and len(token.token_hash) == 64
    client = Client()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    api_token_revoke(actor=user, token=token)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer ist_nope_nope").status_code == 401
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}x").status_code == 401


def test_token_of_deactivated_user_is_refused(world):
    user = world.a.user(Role.ADMIN)
    _token, secret = api_token_create(actor=user, user=user, name="script")
    user.is_active = False
    user.save()
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_list_shape_and_pagination(world):
    for i in range(7):
        OrganisationFactory(network=world.a.network, name=f"Extra {i:02d}")
    client = Client()
    client.force_login(world.a.user(Role.ADMIN))
    url = f"/api/v1/networks/{world.a.network.slug}/organisations"
    first = client.get(url, {"page": 1, "page_size": 4}).json()
    second = client.get(url, {"page": 3, "page_size": 4}).json()
    assert set(first) == {"items", "count"}
    assert first["count"] == 9 and len(first["items"]) == 4 and len(second["items"]) == 1
    everything = client.get(url, {"page_size": 500}).json()["items"]
    assert len({o["id"] for o in everything}) == 9


@pytest.mark.parametrize(
    ("params", "field"),
    [({"page": 0}, "page"), ({"page_size": 501}, "page_size"), ({"kind": "castle"}, "kind")],
)
def test_bad_parameters_name_the_field(world, params, field):
    client = Client()
    client.force_login(world.a.user(Role.ADMIN))
    response = client.get(f"/api/v1/networks/{world.a.network.slug}/organisations", params)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] and any(e["field"].endswith(field) for e in body["errors"]), body


def test_service_validation_error_names_the_field(world):
    OrganisationFactory(network=world.a.network, code="TAKEN")
    client = Client()
    client.force_login(world.a.user(Role.ADMIN))
    response = client.patch(
        f"/api/v1/networks/{world.a.network.slug}/organisations/{world.a.school.pk}",
        {"code": "TAKEN"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "code"


def test_session_writes_need_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.a.user(Role.ADMIN))
    response = client.patch(
        f"/api/v1/networks/{world.a.network.slug}/organisations/{world.a.school.pk}",
        {"name": "x"},
        content_type="application/json",
    )
    assert response.status_code in {401, 403}
    world.a.school.refresh_from_db()
    assert world.a.school.name != "x"


@pytest.mark.django_db
def test_schema_and_docs_are_public_and_local():
    client = Client()
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/networks/{slug}/organisations" in paths
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
