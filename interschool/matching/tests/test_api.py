"""The matching API: starting a run and polling it, its matches with explanations that add up to their
scores, unmatched schools with reasons, a school's ranked candidates, accepting matches as partnership
proposals, errors naming the field, pagination, the request's language, and every route for every role,
for a member of another network (404) and for an anonymous client (401).

Members of network A use a session (``force_login``); members of network B use a personal API token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone, translation

from interschool.config.api import api as ninja_api
from interschool.core.models import Network, Organisation, OrganisationKind, Phase, Role, UrbanRural
from interschool.core.services.tokens import api_token_create
from interschool.matching import parameters, services
from interschool.matching import vocabularies as v
from interschool.matching.models import Match, MatchingRun, PairRule
from interschool.partnerships.models import Partnership
from interschool.registry.models import Classification, ClassificationLabel

ALL = frozenset(Role.values)
READERS = frozenset({Role.ADMIN, Role.COORDINATOR})
MANAGERS = frozenset({Role.ADMIN})


# --- a small region: two leader schools, three supported schools nearby, one far away ---------------------


def _school(
    network: Network,
    name: str,
    at: tuple[float, float],
    *,
    phase: str,
    label: str,
    percentile: float | None = None,
    **fields: Any,
) -> Organisation:
    school = Organisation.objects.create(
        network=network,
        kind=OrganisationKind.SCHOOL,
        name=name,
        latitude=at[0],
        longitude=at[1],
        phase=phase,
        urban_rural=UrbanRural.URBAN,
        enrolment=400,
        ses_index=50.0,
        **fields,
    )
    Classification.objects.create(
        organisation=school,
        network=network,
        label=label,
        percentile=percentile,
        reasons=[] if percentile is not None else [{"code": "not_enough_data"}],
        computed_at=timezone.now(),
    )
    return school


def build_matching_schools(network: Network) -> dict[str, Organisation]:
    """Schools of ``network`` that a vertical run matches, with one school left out for each reason.

    The leaders are secondary schools and the supported ones primary, so the competition rule (same
    phase within 5 km) never applies. Each leader takes one partner: of the three supported schools
    within reach, one goes without (``partners_full``); ``far`` has no school within 30 km and does not
    work online (``no_eligible_partner``); ``unclassified`` has no outcome data (``no_data``).
    """
    leader, supported = ClassificationLabel.LEADER, ClassificationLabel.NEEDS_SUPPORT
    secondary, primary = Phase.SECONDARY, Phase.PRIMARY
    return {
        "alder": _school(
            network, "Alder Academy", (52.0, 0.0), phase=secondary, label=leader, percentile=0.9,
            partner_capacity=1, strengths=["teaching", "leadership"], community="north",
        ),
        "birch": _school(
            network, "Birch High", (52.0, 0.3), phase=secondary, label=leader, percentile=0.8,
            partner_capacity=1, strengths=["careers"], community="south",
        ),
        "cedar": _school(
            network, "Cedar Primary", (52.06, 0.0), phase=primary, label=supported, percentile=0.1,
            needs=["teaching"], community="north",
        ),
        "damson": _school(
            network, "Damson Primary", (52.06, 0.3), phase=primary, label=supported, percentile=0.2,
            needs=["careers"], community="north",
        ),
        "elm": _school(
            network, "Elm Primary", (52.03, 0.15), phase=primary, label=supported, percentile=0.3,
            needs=["leadership"],
        ),
        "far": _school(
            network, "Fir Primary", (54.0, 3.0), phase=primary, label=supported, percentile=0.2,
        ),
        "unclassified": _school(
            network, "Gorse Primary", (52.1, 0.1), phase=primary, label=ClassificationLabel.NONE,
        ),
    }  # fmt: skip


# --- clients and the set-up ---------------------------------------------------------------------------------


def _client(user: Any, **defaults: Any) -> Client:
    client = Client(**defaults)
    client.force_login(user)
    return client


def _token_client(user: Any) -> tuple[Client, dict[str, str]]:
    _token, secret = api_token_create(actor=user, user=user, name="script")
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _send(client: Client, method: str, url: str, body: Any = None, **extra: Any) -> Any:
    if method == "get":
        return client.get(url, body or {}, **extra)
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", **extra)


@dataclass
class Setup:
    """Network A's schools and a finished vertical run of them."""

    world: Any
    schools: dict[str, Organisation]
    run: MatchingRun

    def url(self, template: str = "", slug: str | None = None, run: int | None = None) -> str:
        slug = slug or self.world.a.network.slug
        ids = {"run": run or self.run.pk, "school": self.schools["cedar"].pk}
        return f"/api/v1/networks/{slug}/matching" + template.format(**ids)

    @property
    def admin(self) -> Client:
        return _client(self.world.a.user(Role.ADMIN))

    def get(self, template: str, client: Client | None = None, **params: Any) -> Any:
        response = (client or self.admin).get(self.url(template), params)
        assert response.status_code == 200, response.content
        return response.json()


def finished_run(network: Network, mode: str = "vertical", **values: Any) -> MatchingRun:
    run = services.run_create(actor="test", network=network, mode=mode, parameters=values)
    with translation.override("en"):  # as a worker runs it: no request has chosen a language
        services.run_execute(run)
    run.refresh_from_db()
    assert run.status == v.RunStatus.FINISHED, run.error
    return run


@pytest.fixture
def s(world) -> Setup:
    schools = build_matching_schools(world.a.network)
    return Setup(world=world, schools=schools, run=finished_run(world.a.network))


def _points_add_up(match: dict[str, Any]) -> None:
    lines = match["explanation"]
    codes = [line["component"] for line in lines]
    assert codes == list(match["components"])
    # In the engine's order on every database (PostgreSQL's jsonb does not keep a JSON object's order).
    assert codes == [code for code in v.COMPONENT_LABELS if code in codes]
    assert sum(Decimal(line["points"]) for line in lines) == Decimal(match["score"])
    assert all(line["label"] and line["sentence"] for line in lines)


# --- a run from start to result -----------------------------------------------------------------------------


def test_start_a_run_then_poll_it_to_its_result(world, django_capture_on_commit_callbacks):
    schools = build_matching_schools(world.a.network)
    admin = _client(world.a.user(Role.ADMIN))
    url = f"/api/v1/networks/{world.a.network.slug}/matching/runs"
    body = {
        "mode": "vertical",
        "parameters": {"max_distance_km": 25, "capacity": None},
        "note": " First try ",
    }
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _send(admin, "post", url, body)
        assert response.status_code == 201, response.content
        queued = response.json()
        # The run is queued; it starts only after the request's transaction commits.
        assert queued["status"] == "queued"
        assert queued["progress"] == {"done": 0, "total": 3, "percent": 0, "message": ""}
        assert queued["summary"] == {} and queued["started_at"] is None and queued["error"] == ""
    assert len(callbacks) == 1
    assert queued["mode"] == "vertical" and queued["note"] == "First try"
    assert queued["parameters"] == parameters.defaults() | {"max_distance_km": 25.0}

    run = admin.get(f"{url}/{queued['id']}").json()
    assert run["status"] == "finished", run["error"]
    # "done" stays at the last stage started (2 of 3): progress_finish marks the row done, not its count.
    assert run["progress"] | {"done": 3} == {"done": 3, "total": 3, "percent": 100, "message": "Finished"}
    assert run["started_at"] and run["finished_at"] and run["error"] == ""
    summary = run["summary"]
    assert summary["matches"] == 2 and summary["matched"] == 2
    # The four supported schools, and the two without outcome data (Gorse and network A's own school),
    # which are left out before matching.
    assert summary["unmatched"] == {"no_data": 2, "no_eligible_partner": 1, "partners_full": 1}
    assert summary["participants"] == 6

    matches = admin.get(f"{url}/{queued['id']}/matches").json()
    assert matches["count"] == 2
    leaders = {schools["alder"].pk, schools["birch"].pk}
    for match in matches["items"]:
        _points_add_up(match)
        leader, partner = match["members"]
        assert leader["role"] == "leader" and leader["organisation_id"] in leaders
        assert partner["role"] == "supported"
        assert leader["name"] == Organisation.objects.get(pk=leader["organisation_id"]).name
        assert match["partnership_id"] is None and match["accepted_at"] is None
        assert match["online"] is False and 0 < match["distance_km"] < 25
    assert {m["members"][0]["organisation_id"] for m in matches["items"]} == leaders


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"max_distance_km": -1}, "parameters.max_distance_km"),
        ({"max_distance_km": "far"}, "parameters.max_distance_km"),
        ({"online_allowed": "maybe"}, "parameters.online_allowed"),
        ({"capacity": 1.5}, "parameters.capacity"),
        ({"weight_distance": None}, "parameters.weight_distance"),
        ({"min_group_size": 5, "max_group_size": 3}, "parameters.max_group_size"),
        ({"radius": 10}, "parameters.radius"),
    ],
)
def test_a_bad_parameter_is_422_naming_it(world, values, field):
    response = _send(
        _client(world.a.user(Role.ADMIN)),
        "post",
        f"/api/v1/networks/{world.a.network.slug}/matching/runs",
        {"mode": "vertical", "parameters": values},
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"] == "The request is not valid."
    assert [e["field"] for e in body["errors"]] == [field]
    assert body["errors"][0]["message"]
    assert not MatchingRun.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mode": "diagonal"}, "mode"),
        ({"parameters": {}}, "mode"),
        ({"mode": "vertical", "parameters": [1, 2]}, "parameters"),
        ({"mode": "vertical", "colour": "blue"}, "colour"),
        ({"mode": "vertical", "note": "x" * 201}, "note"),
    ],
)
def test_a_bad_body_is_422_naming_the_field(world, body, field):
    response = _send(
        _client(world.a.user(Role.ADMIN)),
        "post",
        f"/api/v1/networks/{world.a.network.slug}/matching/runs",
        body,
    )
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not MatchingRun.objects.exists()


def test_runs_are_listed_newest_first_page_by_page(s):
    later = [
        services.run_create(actor="test", network=s.world.a.network, mode=mode, parameters={}, note=mode)
        for mode in ("clusters", "organisations")
    ]
    services.run_create(actor="test", network=s.world.b.network, mode="vertical", parameters={})
    listed = s.get("/runs")
    assert listed["count"] == 3
    assert [r["id"] for r in listed["items"]] == [later[1].pk, later[0].pk, s.run.pk]
    assert [r["status"] for r in listed["items"]] == ["queued", "queued", "finished"]
    page = s.get("/runs", page=2, page_size=2)
    assert page["count"] == 3 and [r["id"] for r in page["items"]] == [s.run.pk]
    assert page["items"][0]["summary"]["matches"] == 2
    response = s.admin.get(s.url("/runs"), {"page_size": 501})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "page_size"


def test_matches_page_by_page_and_by_school(s):
    first = s.get("/runs/{run}/matches", page_size=1)
    second = s.get("/runs/{run}/matches", page=2, page_size=1)
    assert first["count"] == second["count"] == 2
    assert [first["items"][0]["number"], second["items"][0]["number"]] == [1, 2]
    alder = s.schools["alder"].pk
    with_alder = s.get("/runs/{run}/matches", school=alder)
    assert with_alder["count"] == 1
    assert alder in [m["organisation_id"] for m in with_alder["items"][0]["members"]]
    assert s.get("/runs/{run}/matches", school=s.schools["far"].pk) == {"items": [], "count": 0}


def test_explanations_speak_of_the_pair(s):
    match = s.get("/runs/{run}/matches", school=s.schools["alder"].pk)["items"][0]
    lines = {line["component"]: line for line in match["explanation"]}
    assert lines["same_phase"]["label"] == "Same phase"
    assert lines["same_phase"]["sentence"] == "The schools are in different phases."
    assert Decimal(lines["same_phase"]["points"]) == 0
    assert lines["distance"]["sentence"] == f"{match['distance_km']:.1f} km apart."
    assert Decimal(lines["outcome_gap"]["points"]) > 0
    assert match["components"] == {code: line["points"] for code, line in lines.items()}


def test_unmatched_schools_with_their_reasons(s):
    listed = s.get("/runs/{run}/unmatched")
    by_school = {u["organisation_id"]: u for u in listed["items"]}
    assert listed["count"] == 4
    assert by_school[s.schools["far"].pk]["reason"] == "no_eligible_partner"
    # The radius is a float parameter; wording.reason_sentence shows it as "30.0" today, "30" would do.
    assert re.fullmatch(
        r"No eligible partner within 30(\.0)? km, and no online partner\.",
        by_school[s.schools["far"].pk]["sentence"],
    )
    assert by_school[s.schools["unclassified"].pk]["reason"] == "no_data"
    assert by_school[s.world.a.school.pk]["sentence"] == "Not enough outcome data to be classified"
    full = [u for u in listed["items"] if u["reason"] == "partners_full"]
    assert len(full) == 1
    assert full[0]["organisation_id"] in {s.schools[k].pk for k in ("cedar", "damson", "elm")}
    assert full[0]["sentence"] == "Every eligible partner's capacity went to better pairs"
    assert full[0]["name"] == Organisation.objects.get(pk=full[0]["organisation_id"]).name
    only = s.get("/runs/{run}/unmatched", reason="no_data", page_size=1)
    assert only["count"] == 2 and only["items"][0]["reason"] == "no_data"
    response = s.admin.get(s.url("/runs/{run}/unmatched"), {"reason": "bored"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "reason"


def _candidates_url(s: Setup, school: Organisation) -> str:
    return s.url(f"/runs/{{run}}/schools/{school.pk}/candidates")


def test_candidates_of_a_matched_and_of_an_unmatched_school(s):
    leaders = {s.schools["alder"].pk, s.schools["birch"].pk}
    full = s.run.unmatched.get(reason=v.Reason.PARTNERS_FULL).organisation
    matched = next(school for key in ("cedar", "damson", "elm") if (school := s.schools[key]) != full)
    partner = Match.objects.get(run=s.run, members__organisation=matched).members.get(role="leader")

    data = s.admin.get(_candidates_url(s, matched)).json()
    assert data["organisation_id"] == matched.pk and data["name"] == matched.name
    assert data["matches"] == [Match.objects.get(run=s.run, members__organisation=matched).number]
    assert data["reason"] is None and data["reason_sentence"] is None
    candidates = data["candidates"]
    assert [c["rank"] for c in candidates] == [1, 2]
    assert {c["organisation_id"] for c in candidates} == leaders
    assert [c["organisation_id"] for c in candidates if c["matched"]] == [partner.organisation_id]
    assert [Decimal(c["score"]) for c in candidates] == sorted(
        (Decimal(c["score"]) for c in candidates), reverse=True
    )
    for candidate in candidates:
        assert candidate["name"] == Organisation.objects.get(pk=candidate["organisation_id"]).name
        assert sum(Decimal(line["points"]) for line in candidate["explanation"]) == Decimal(
            candidate["score"]
        )
    # The matched candidate's explanation is the match's.
    chosen = next(c for c in candidates if c["matched"])
    match = s.get("/runs/{run}/matches", school=matched.pk)["items"][0]
    assert chosen["score"] == match["score"] and chosen["explanation"] == match["explanation"]

    data = s.admin.get(_candidates_url(s, full), {"limit": 1}).json()
    assert data["matches"] == [] and data["reason"] == "partners_full"
    assert data["reason_sentence"] == "Every eligible partner's capacity went to better pairs"
    assert len(data["candidates"]) == 1 and data["candidates"][0]["matched"] is False

    far = s.admin.get(_candidates_url(s, s.schools["far"])).json()
    assert far["candidates"] == [] and far["reason"] == "no_eligible_partner"


@pytest.mark.parametrize("limit", [0, 101, "many"])
def test_candidates_limit_is_1_to_100(s, limit):
    response = s.admin.get(_candidates_url(s, s.schools["cedar"]), {"limit": limit})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


def test_candidates_of_an_organisation_of_another_network_are_404(s):
    response = s.admin.get(_candidates_url(s, s.world.b.school))
    assert response.status_code == 404
    assert s.admin.get(s.url("/runs/{run}/schools/999999/candidates")).status_code == 404


def test_accept_one_then_all(s):
    url = s.url("/runs/{run}/accept")
    response = _send(s.admin, "post", url, {"matches": [1]})
    assert response.status_code == 200, response.content
    (accepted,) = response.json()
    assert accepted["number"] == 1 and accepted["accepted_at"]
    partnership = Partnership.objects.get(pk=accepted["partnership_id"], network=s.world.a.network)
    assert {m.organisation_id for m in partnership.members.all()} == {
        m["organisation_id"] for m in accepted["members"]
    }
    assert "Proposed by partner matching" in partnership.summary
    pair = sorted(m["organisation_id"] for m in accepted["members"])
    assert PairRule.objects.filter(first_id=pair[0], second_id=pair[1], kind="tie").exists()

    again = _send(s.admin, "post", url, {"matches": [1]})
    assert again.status_code == 422
    assert again.json()["errors"] == [{"field": "matches", "message": "Match 1 is already accepted."}]
    missing = _send(s.admin, "post", url, {"matches": [2, 7]})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "matches"
    assert not Match.objects.get(run=s.run, number=2).accepted_at  # nothing of a refused request is kept

    response = _send(s.admin, "post", url, {"all": True})
    assert response.status_code == 200, response.content
    (rest,) = response.json()
    assert rest["number"] == 2 and rest["partnership_id"] not in (None, accepted["partnership_id"])
    listed = s.get("/runs/{run}/matches")["items"]
    assert [m["partnership_id"] for m in listed] == [accepted["partnership_id"], rest["partnership_id"]]
    none_left = _send(s.admin, "post", url, {"all": True})
    assert none_left.status_code == 422 and none_left.json()["errors"][0]["field"] == "matches"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "matches"),
        ({"matches": []}, "matches"),
        ({"all": False}, "matches"),
        ({"matches": [1], "all": True}, "all"),
        ({"matches": ["first"]}, "matches.0"),
        ({"numbers": [1]}, "numbers"),
    ],
)
def test_a_bad_accept_is_422_naming_the_field(s, body, field):
    response = _send(s.admin, "post", s.url("/runs/{run}/accept"), body)
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not Partnership.objects.exists()


def test_a_queued_run_has_nothing_to_accept_or_explain(s):
    queued = services.run_create(actor="test", network=s.world.a.network, mode="vertical", parameters={})
    response = _send(s.admin, "post", s.url("/runs/{run}/accept", run=queued.pk), {"all": True})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "__all__"
    assert s.get(f"/runs/{queued.pk}/matches") == {"items": [], "count": 0}
    assert s.get(f"/runs/{queued.pk}/schools/{s.schools['cedar'].pk}/candidates")["candidates"] == []


def test_sentences_follow_the_request_language(s):
    def read(language: str) -> tuple[dict[str, Any], dict[str, Any]]:
        client = _client(s.world.a.user(Role.ADMIN), HTTP_ACCEPT_LANGUAGE=language)
        return s.get("/runs/{run}/matches", client), s.get("/runs/{run}", client)

    def distances(matches: dict[str, Any]) -> list[dict[str, Any]]:
        return [next(x for x in m["explanation"] if x["component"] == "distance") for m in matches["items"]]

    with translation.override("en"):  # the middleware activates the request's language in this thread
        (dutch, dutch_run), (english, english_run) = read("nl"), read("en")
    english_lines, dutch_lines = distances(english), distances(dutch)
    for match, in_english, in_dutch in zip(english["items"], english_lines, dutch_lines, strict=True):
        km = f"{match['distance_km']:.1f}"
        assert in_english["sentence"] == f"{km} km apart."
        # Dutch writes a decimal comma (and its own words, once translated); points stay numbers.
        assert km.replace(".", ",") in in_dutch["sentence"] and km not in in_dutch["sentence"]
        assert in_dutch["points"] == in_english["points"]
    # The worker stored its stage in English; each reader gets it in their language.
    assert english_run["progress"]["message"] == "Finished"
    assert dutch_run["progress"]["message"] == "Voltooid"


def test_a_peer_cluster_is_explained_as_a_group(s):
    run = finished_run(s.world.a.network, "clusters", min_group_size=3, max_group_size=5)
    matches = s.get(f"/runs/{run.pk}/matches")["items"]
    assert matches
    for match in matches:
        _points_add_up(match)
        assert {m["role"] for m in match["members"]} == {"peer"}
        assert len(match["members"]) >= 3
        lines = {line["component"]: line for line in match["explanation"]}
        assert "outcome_gap" not in lines
        assert lines["same_phase"]["sentence"].startswith("True of ")
        assert lines["distance"]["sentence"].startswith("The two members furthest apart are ")
    unmatched = {u["organisation_id"]: u["reason"] for u in s.get(f"/runs/{run.pk}/unmatched")["items"]}
    assert unmatched[s.world.a.school.pk] == "no_coordinates"


# --- who may do what ----------------------------------------------------------------------------------------

ROUTES = [
    ("run-start", "post", "/runs", {"mode": "vertical"}, MANAGERS, 201),
    ("runs", "get", "/runs", None, READERS, 200),
    ("run", "get", "/runs/{run}", None, READERS, 200),
    ("matches", "get", "/runs/{run}/matches", None, READERS, 200),
    ("unmatched", "get", "/runs/{run}/unmatched", None, READERS, 200),
    ("candidates", "get", "/runs/{run}/schools/{school}/candidates", None, READERS, 200),
    ("accept", "post", "/runs/{run}/accept", {"matches": [1]}, MANAGERS, 200),
]
ROUTE_IDS = [r[0] for r in ROUTES]


@contextmanager
def _undone() -> Iterator[None]:
    """Run requests in a savepoint that is rolled back, so every role starts from the same data."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "method", "path", "body", "allowed", "ok"), ROUTES, ids=ROUTE_IDS)
def test_every_route_by_role(s, role, name, method, path, body, allowed, ok):
    with _undone():
        response = _send(_client(s.world.a.user(role)), method, s.url(path), body)
    assert response.status_code == (ok if role in allowed else 403), (name, role, response.content)
    if response.status_code == 403:
        assert response.json() == {"detail": "Your role in this network does not allow this.", "errors": []}


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "method", "path", "body", "allowed", "ok"), ROUTES, ids=ROUTE_IDS)
def test_every_route_from_another_network(s, role, name, method, path, body, allowed, ok):
    outsider, auth = _token_client(s.world.b.user(role))
    with _undone():
        response = _send(outsider, method, s.url(path), body, **auth)
    # Network A does not exist for a member of network B.
    assert response.status_code == 404, (name, role, response.content)
    assert response.json() == {"detail": "Not found.", "errors": []}
    if "{run}" in path:
        # Nor does network A's run under network B's address: 404 for B's readers, 403 before any lookup
        # for roles that may not read matching at all.
        with _undone():
            own = _send(outsider, method, s.url(path, slug=s.world.b.network.slug), body, **auth)
        assert own.status_code == (404 if role in allowed else 403), (name, role, own.content)
    assert MatchingRun.objects.filter(network=s.world.b.network).count() == 0


@pytest.mark.parametrize(("name", "method", "path", "body", "allowed", "ok"), ROUTES, ids=ROUTE_IDS)
def test_every_route_needs_credentials(s, name, method, path, body, allowed, ok):
    response = _send(Client(), method, s.url(path), body)
    assert response.status_code == 401, (name, response.content)
    assert response.json()["detail"].startswith("Authentication required")
    bad_token = _send(Client(), method, s.url(path), body, HTTP_AUTHORIZATION="Bearer ist_nope_nope")
    assert bad_token.status_code == 401


def test_a_token_starts_a_run_and_a_session_needs_the_csrf_token(s, django_capture_on_commit_callbacks):
    client = Client(enforce_csrf_checks=True)
    client.force_login(s.world.a.user(Role.ADMIN))
    refused = _send(client, "post", s.url("/runs"), {"mode": "vertical"})
    assert refused.status_code == 403
    token_client, auth = _token_client(s.world.a.user(Role.ADMIN))
    with django_capture_on_commit_callbacks(execute=True):
        started = _send(token_client, "post", s.url("/runs"), {"mode": "clusters"}, **auth)
    assert started.status_code == 201, started.content
    assert MatchingRun.objects.get(pk=started.json()["id"]).status == v.RunStatus.FINISHED
    assert MatchingRun.objects.count() == 2


def test_the_schema_lists_codes_and_parameters_without_replacing_other_schemas():
    schema = ninja_api.get_openapi_schema()
    components = schema["components"]["schemas"]
    run_in = components["MatchingRunIn"]["properties"]
    assert run_in["mode"]["enum"] == ["vertical", "clusters", "organisations"]
    assert "`vertical` Leader and supported schools" in run_in["mode"]["description"]
    assert all(f"`{name}`" in run_in["parameters"]["description"] for name in parameters.BY_NAME)
    # The matching vocabularies share names (Reason, MemberRole) with the partnerships' ones.
    assert "actor_role" in components["MemberOut"]["properties"]
    assert "pupil_care" in components["Reason"]["enum"]
    assert "lead" in components["MemberRole"]["enum"]


def test_a_token_users_saved_language_wins_over_the_browsers(s):
    admin = s.world.a.user(Role.ADMIN)
    admin.language = "nl"
    admin.save(update_fields=["language"])
    client, headers = _token_client(admin)
    with translation.override("en"):
        run = client.get(s.url("/runs/{run}"), HTTP_ACCEPT_LANGUAGE="en", **headers).json()
    assert run["progress"]["message"] == "Voltooid"
