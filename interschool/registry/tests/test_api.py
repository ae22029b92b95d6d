"""The registry API: organisations with filters, one organisation, outcome series, imports and revert.

Every route for every role and for a member of another network (404). Requests are authenticated with a
session (``force_login``; unsafe methods with the CSRF token) or with a personal API token.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from interschool.core.models import Organisation, Phase, Role
from interschool.core.services.tokens import api_token_create
from interschool.core.tests.factories import OrganisationFactory
from interschool.registry import access
from interschool.registry.models import (
    Classification,
    ClassificationLabel,
    Identifier,
    Import,
    ImportStatus,
    Indicator,
    OrganisationYear,
    OutcomeValue,
)
from interschool.registry.services.imports import UploadedFile, import_create, import_run
from interschool.registry.services.statistics import registry_recompute

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STATE_CSV = FIXTURES / "state_schools.csv"
STATE_MAPPING = FIXTURES / "state_schools.mapping.json"
INDICATOR = "state_test_proficient"

ALL = set(Role.values)
IMPORTERS = {Role.ADMIN, Role.COORDINATOR}


def _client(user: Any, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def state_mapping() -> dict[str, Any]:
    return json.loads(STATE_MAPPING.read_text(encoding="utf-8"))


def state_bytes(change: dict[tuple[int, int], str] | None = None) -> bytes:
    rows = list(csv.reader(io.StringIO(STATE_CSV.read_text(encoding="utf-8"))))
    for (row, column), value in (change or {}).items():
        rows[row][column] = value
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


def import_state(network: Any, data: bytes | None = None) -> Import:
    upload = UploadedFile("state_schools.csv", data or STATE_CSV.read_bytes())
    run = import_create(actor="test", network=network, format="csv", files=[upload], mapping=state_mapping())
    return import_run(run, actor="test")


@dataclass
class Registry:
    world: Any
    run: Import
    alder: Organisation

    @property
    def slug(self) -> str:
        return str(self.world.a.network.slug)

    def url(self, template: str) -> str:
        return f"/api/v1/networks/{self.slug}" + template.format(org=self.alder.pk, run=self.run.pk)


def by_identifier(network: Any, value: str) -> Organisation:
    return Identifier.objects.get(network=network, value=value).organisation


@pytest.fixture
def reg(world) -> Registry:
    run = import_state(world.a.network)
    assert run.status == ImportStatus.COMMITTED
    return Registry(world=world, run=run, alder=by_identifier(world.a.network, "0100011"))


READS = [
    ("organisations", "/organisations", ALL),
    ("organisation", "/organisations/{org}", ALL),
    ("outcomes", "/organisations/{org}/outcomes", ALL),
    ("imports", "/imports", IMPORTERS),
    ("import", "/imports/{run}", IMPORTERS),
    ("rejections", "/imports/{run}/rejections", IMPORTERS),
]


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "template", "allowed"), READS, ids=[r[0] for r in READS])
def test_reads_by_role(reg, role, name, template, allowed):
    response = _client(reg.world.a.user(role)).get(reg.url(template))
    assert response.status_code == (200 if role in allowed else 403), (name, role, response.content)
    if response.status_code == 403:
        assert response.json()["detail"]


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "template", "allowed"), READS, ids=[r[0] for r in READS])
def test_reads_of_another_network_are_404(reg, role, name, template, allowed):
    response = _client(reg.world.b.user(role)).get(reg.url(template))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": []}


@pytest.mark.parametrize("role", Role.values)
def test_objects_of_network_a_under_network_b_are_404(reg, role):
    client = _client(reg.world.b.user(role))
    b = f"/api/v1/networks/{reg.world.b.network.slug}"
    for path in (f"/organisations/{reg.alder.pk}", f"/organisations/{reg.alder.pk}/outcomes"):
        assert client.get(b + path).status_code == 404
    for path in (f"/imports/{reg.run.pk}", f"/imports/{reg.run.pk}/rejections"):
        assert client.get(b + path).status_code == 404


def test_anonymous_gets_401(reg):
    assert Client().get(reg.url("/organisations")).status_code == 401
    assert Client().post(reg.url("/imports/{run}/revert")).status_code == 401


# --- organisations ------------------------------------------------------------------------------------------


def _ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def test_organisation_filters(reg):
    network = reg.world.a.network
    client = _client(reg.world.a.user(Role.TEACHER))
    url = reg.url("/organisations")
    orgs = Organisation.objects.filter(network=network)
    assert _ids(client.get(url, {"page_size": 500})) == set(orgs.values_list("pk", flat=True))
    assert _ids(client.get(url, {"phase": "middle"})) == set(
        orgs.filter(phase="middle").values_list("pk", flat=True)
    )
    assert len(_ids(client.get(url, {"phase": "middle"}))) == 6
    OrganisationFactory(network=network, name="Charter Academy", school_type="charter")
    charter = _ids(client.get(url, {"school_type": "charter"}))
    assert charter == set(orgs.filter(name="Charter Academy").values_list("pk", flat=True))
    dunmore = client.get(url, {"district": "Dunmore", "sort": "-enrolment"}).json()
    assert dunmore["count"] == 5
    assert [i["name"] for i in dunmore["items"]][:2] == ["Dunmore High School", "Dunmore Middle School"]
    OrganisationFactory(network=network, name="Closed School", status="closed")
    assert [i["name"] for i in client.get(url, {"status": "closed"}).json()["items"]] == ["Closed School"]
    assert _ids(client.get(url, {"kind": "museum"})) == {reg.world.a.partner.pk}
    # q: by name (any case, part of it) and by an identifier's exact value.
    assert _ids(client.get(url, {"q": "riverBEND"})) == {by_identifier(network, "0300034").pk}
    assert _ids(client.get(url, {"q": "0300034"})) == {by_identifier(network, "0300034").pk}
    assert _ids(client.get(url, {"q": "0300"})) == set()  # identifiers match exactly
    leader = by_identifier(network, "0500053")
    Classification.objects.filter(organisation=leader).update(label=ClassificationLabel.LEADER)
    assert _ids(client.get(url, {"classification": "leader"})) == {leader.pk}
    needs = set(
        Classification.objects.filter(network=network, label="needs_support").values_list(
            "organisation", flat=True
        )
    )
    assert needs and _ids(client.get(url, {"classification": "needs_support"})) == needs


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"phase": "kindergarten"}, "phase"),
        ({"school_type": "boarding"}, "school_type"),
        ({"status": "sleeping"}, "status"),
        ({"classification": "star"}, "classification"),
        ({"kind": "castle"}, "kind"),
        ({"sort": "height"}, "sort"),
        ({"page_size": 0}, "page_size"),
    ],
)
def test_bad_filter_values_are_422_naming_the_parameter(reg, params, field):
    response = _client(reg.world.a.user(Role.ADMIN)).get(reg.url("/organisations"), params)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] and [e["field"] for e in body["errors"]] == [field], body


def test_one_organisation_with_identifiers_classification_and_explanation(reg):
    client = _client(reg.world.a.user(Role.COORDINATOR))
    data = client.get(reg.url("/organisations/{org}")).json()
    assert data["name"] == "Alder Valley Elementary School"
    assert data["identifiers"] == [{"scheme": "national", "value": "0100011"}]
    assert (data["latitude"], data["longitude"]) == (44.21034, -72.5152)
    assert (data["address"], data["postcode"], data["opened_on"]) == ("12 Mill Road", "05301", "1962-09-01")
    assert (data["enrolment"], data["enrolment_suppressed"], data["phase"]) == (312, False, "primary")
    classification = Classification.objects.get(organisation=reg.alder)
    assert data["classification"] == classification.label
    assert data["classification_indicator"] == INDICATOR
    assert data["reasons"] == classification.reasons and data["reasons"]
    assert data["explanation"] and "Proficient in the state test" in data["explanation"][0]
    # A school in the bottom of the latest year: the explanation names the year.
    bottom = Classification.objects.filter(
        organisation__network=reg.world.a.network, label="needs_support"
    ).first()
    assert bottom is not None
    detail = client.get(f"/api/v1/networks/{reg.slug}/organisations/{bottom.organisation_id}").json()
    assert detail["classification"] == "needs_support"
    assert "2023" in detail["explanation"][0] and "Proficient in the state test" in detail["explanation"][0]


def test_outcome_series_with_suppressed_points(reg):
    network = reg.world.a.network
    client = _client(reg.world.a.user(Role.TEACHER))
    indicator = Indicator.objects.get(network=network, code=INDICATOR)
    OutcomeValue.objects.create(organisation=reg.alder, indicator=indicator, year=2021, value=60.5, cohort=40)
    registry_recompute(network=network)
    series = client.get(reg.url("/organisations/{org}/outcomes")).json()
    assert [s["indicator"] for s in series] == [INDICATOR]
    assert (series[0]["unit"], series[0]["higher_is_better"]) == ("%", True)
    points = series[0]["points"]
    assert [(p["year"], p["value"], p["suppressed"], p["cohort"]) for p in points] == [
        (2021, 60.5, False, 40),
        (2022, None, False, None),  # a gap: the school has no value that year
        (2023, 63.4, False, 48),
    ] or [(p["year"], p["value"], p["suppressed"], p["cohort"]) for p in points] == [
        (2021, 60.5, False, 40),
        (2023, 63.4, False, 48),
    ]
    assert points[-1]["network_median"] is not None

    pine = by_identifier(network, "0200025")  # "*" in the file, 7 tested
    stony = by_identifier(network, "0400044")  # 0.500 with 8 tested: the small-numbers rule
    for school in (pine, stony):
        url = f"/api/v1/networks/{reg.slug}/organisations/{school.pk}/outcomes"
        point = client.get(url).json()[0]["points"][0]
        assert (point["year"], point["value"], point["suppressed"], point["cohort"]) == (
            2023,
            None,
            True,
            None,
        )


def test_small_enrolment_is_suppressed(reg):
    network = reg.world.a.network
    tiny = OrganisationFactory(network=network, name="Tiny School", phase=Phase.PRIMARY)
    OrganisationYear.objects.create(organisation=tiny, year=2023, enrolment=7, ses_index=42.0)
    registry_recompute(network=network)
    client = _client(reg.world.a.user(Role.ADMIN))
    data = client.get(f"/api/v1/networks/{reg.slug}/organisations/{tiny.pk}").json()
    assert (data["enrolment"], data["enrolment_suppressed"], data["ses_index"]) == (None, True, None)
    listed = client.get(reg.url("/organisations"), {"q": "Tiny"}).json()["items"][0]
    assert (listed["enrolment"], listed["enrolment_suppressed"], listed["ses_index"]) == (None, True, None)


def test_researchers_see_pseudonyms(reg):
    network = reg.world.a.network
    client = _client(reg.world.a.user(Role.RESEARCHER))
    code = access.pseudonym(network.pk, reg.alder.pk)
    items = client.get(reg.url("/organisations"), {"page_size": 500}).json()["items"]
    names = {i["name"] for i in items}
    assert all(n.startswith("ORG-") for n in names) and code in names
    alder = next(i for i in items if i["id"] == reg.alder.pk)
    assert (alder["code"], alder["latitude"], alder["longitude"]) == (code, 44.2, -72.5)
    data = client.get(reg.url("/organisations/{org}")).json()
    assert (data["name"], data["code"], data["identifiers"], data["address"], data["postcode"]) == (
        code,
        code,
        [],
        "",
        "",
    )
    assert (data["latitude"], data["longitude"]) == (44.2, -72.5)
    body = json.dumps(data) + json.dumps(items)
    for secret in ("Alder Valley Elementary", "0100011", "12 Mill Road", "44.21034"):
        assert secret not in body
    # Searching by name or identifier does not single a school out.
    everything = client.get(reg.url("/organisations"), {"page_size": 500}).json()["count"]
    for q in ("Alder Valley Elementary School", "0100011"):
        assert client.get(reg.url("/organisations"), {"q": q}).json()["count"] == everything
    outcomes = client.get(reg.url("/organisations/{org}/outcomes")).json()
    assert outcomes[0]["points"][-1]["value"] == 63.4  # outcomes are not personal


# --- imports ------------------------------------------------------------------------------------------------


def _upload(client: Client, slug: str, data: bytes, **extra: Any) -> Any:
    upload = io.BytesIO(data)
    upload.name = "state_schools.csv"
    return client.post(
        f"/api/v1/networks/{slug}/imports",
        {"format": "csv", "files": [upload], "mapping": json.dumps(state_mapping())},
        **extra,
    )


def test_upload_with_a_token_runs_the_import(world, django_capture_on_commit_callbacks):
    user = world.a.user(Role.COORDINATOR)
    _token, secret = api_token_create(actor=user, user=user, name="script")
    client = Client(enforce_csrf_checks=True)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, world.a.network.slug, STATE_CSV.read_bytes(), **auth)
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["format"], body["files"]) == ("csv", ["state_schools.csv"])
    status = client.get(f"/api/v1/networks/{world.a.network.slug}/imports/{body['id']}", **auth).json()
    assert status["status"] == "committed"
    assert status["summary"]["imported"] == 29 and status["summary"]["written"]["organisations_created"] == 29
    assert status["progress"]["status"] == "done" and status["progress"]["percent"] == 100
    assert Import.objects.get(pk=body["id"]).user == user
    listing = client.get(f"/api/v1/networks/{world.a.network.slug}/imports", **auth).json()
    assert [i["id"] for i in listing["items"]] == [body["id"]] and listing["count"] == 1


def test_upload_with_a_session_needs_the_csrf_token(world, django_capture_on_commit_callbacks):
    client = _client(world.a.user(Role.ADMIN), enforce_csrf_checks=True)
    slug = world.a.network.slug
    assert _upload(client, slug, STATE_CSV.read_bytes()).status_code == 403
    assert not Import.objects.exists()
    client.get(f"/n/{slug}/organisations/")  # any page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, slug, STATE_CSV.read_bytes(), HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 202, response.content
    assert Import.objects.get().status == ImportStatus.COMMITTED


@pytest.mark.parametrize("role", Role.values)
def test_upload_by_role_and_from_another_network(world, role, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(_client(world.a.user(role)), world.a.network.slug, STATE_CSV.read_bytes())
    assert response.status_code == (202 if role in IMPORTERS else 403)
    outsider = _upload(_client(world.b.user(role)), world.a.network.slug, STATE_CSV.read_bytes())
    assert outsider.status_code == 404
    assert Import.objects.count() == (1 if role in IMPORTERS else 0)


def test_upload_with_bad_input_is_422(world):
    client = _client(world.a.user(Role.ADMIN))
    url = f"/api/v1/networks/{world.a.network.slug}/imports"
    upload = io.BytesIO(STATE_CSV.read_bytes())
    upload.name = "state_schools.csv"
    response = client.post(url, {"format": "csv", "files": [upload], "mapping": "{not json"})
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["mapping"]
    upload.seek(0)
    response = client.post(url, {"format": "pdf", "files": [upload]})
    assert response.status_code == 422 and "format" in [e["field"] for e in response.json()["errors"]]
    upload.seek(0)
    response = client.post(url, {"format": "csv", "files": [upload]})  # csv without a mapping
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["mapping"]
    upload.seek(0)
    broken = {**state_mapping(), "identifier": {"column": "SCHOOL_ID"}}
    response = client.post(url, {"format": "csv", "files": [upload], "mapping": json.dumps(broken)})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "mapping"
    assert "scheme" in response.json()["errors"][0]["message"]
    assert not Import.objects.exists()


def test_rejections_are_listed_page_by_page(world, django_capture_on_commit_callbacks):
    client = _client(world.a.user(Role.COORDINATOR))
    slug = world.a.network.slug
    damaged = state_bytes({(3, 8): "many", (14, 8): "abc", (20, 0): "0200024"})
    with django_capture_on_commit_callbacks(execute=True):
        run_id = _upload(client, slug, damaged).json()["id"]
    status = client.get(f"/api/v1/networks/{slug}/imports/{run_id}").json()
    assert status["status"] == "rejected" and status["summary"]["rejected"] == 3
    url = f"/api/v1/networks/{slug}/imports/{run_id}/rejections"
    first = client.get(url, {"page_size": 2}).json()
    second = client.get(url, {"page_size": 2, "page": 2}).json()
    assert first["count"] == second["count"] == 3
    rows = first["items"] + second["items"]
    assert [(r["file"], r["row"], r["column"], r["value"]) for r in rows] == [
        ("state_schools.csv", 4, "ENROLL", "many"),
        ("state_schools.csv", 15, "ENROLL", "abc"),
        ("state_schools.csv", 21, "SCHOOL_ID", "0200024"),
    ]
    assert not Organisation.objects.filter(network=world.a.network, identifiers__isnull=False).exists()


@pytest.mark.parametrize("role", Role.values)
def test_revert_only_for_administrators(reg, role):
    response = _client(reg.world.a.user(role)).post(reg.url("/imports/{run}/revert"))
    assert response.status_code == (200 if role == Role.ADMIN else 403), response.content
    reg.run.refresh_from_db()
    assert reg.run.status == (ImportStatus.REVERTED if role == Role.ADMIN else ImportStatus.COMMITTED)
    assert Identifier.objects.filter(network=reg.world.a.network).exists() == (role != Role.ADMIN)
    outsider = _client(reg.world.b.user(role)).post(reg.url("/imports/{run}/revert"))
    assert outsider.status_code == 404


def test_revert_refused_is_409(reg, django_capture_on_commit_callbacks):
    client = _client(reg.world.a.user(Role.ADMIN))
    newer = import_state(reg.world.a.network, state_bytes({(1, 11): "0.650"}))
    assert newer.status == ImportStatus.COMMITTED
    response = client.post(reg.url("/imports/{run}/revert"))
    assert response.status_code == 409
    assert f"#{newer.pk}" in response.json()["detail"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/networks/{reg.slug}/imports/{newer.pk}/revert")
    assert response.status_code == 200 and response.json()["status"] == "reverted"
    assert OutcomeValue.objects.get(organisation=reg.alder).value == 63.4
    assert client.post(f"/api/v1/networks/{reg.slug}/imports/{newer.pk}/revert").status_code == 409
    assert client.post(reg.url("/imports/{run}/revert")).status_code == 200
