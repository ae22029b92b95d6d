"""The partnerships API: every route for every role and for a member of another network (404), the
lifecycle (propose → invite → consent → active), validation errors naming the field, pagination and
filters, the summary and pseudonymised views, the plan, assessments with evidence files, the log, the
agreement versions and the network's typology counts.

Members of network A use a session (``force_login``); members of network B use a personal API token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from interschool.config.api import api as ninja_api
from interschool.core.models import Membership, Role
from interschool.core.services.tokens import api_token_create
from interschool.partnerships import record
from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import (
    AgreementRendering,
    Assessment,
    EvidenceFile,
    Factor,
    Goal,
    Partnership,
    PartnershipMember,
    PartnershipPerson,
    PlanActivity,
    PlanIndicator,
)
from interschool.partnerships.services import partnerships as svc
from interschool.partnerships.services import plan
from interschool.partnerships.tests.factories import PartnershipWorld, build_partnership_world, propose
from interschool.registry.access import pseudonym
from interschool.registry.models import Indicator

ALL = frozenset(Role.values)
# world.a's users and a partnership of world.a.school, school_b and the museum world.a.partner:
# the teacher (of the school) and the external partner (of the museum) read it, the researcher reads it
# pseudonymised, the coordinator (of no member organisation) sees its summary.
READERS = frozenset({Role.ADMIN, Role.SCHOOL_LEADER, Role.TEACHER, Role.EXTERNAL_PARTNER, Role.RESEARCHER})
EDITORS = frozenset({Role.ADMIN, Role.SCHOOL_LEADER})
ADMINS = frozenset({Role.ADMIN})
PROPOSERS = frozenset({Role.ADMIN, Role.COORDINATOR, Role.SCHOOL_LEADER})
UNPSEUDONYMISED_READERS = READERS - {Role.RESEARCHER}
FILES = object()  # a multipart upload instead of a JSON body


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _token_client(user: Any) -> tuple[Client, dict[str, str]]:
    _token, secret = api_token_create(actor=user, user=user, name="script")
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _send(client: Client, method: str, url: str, body: Any = None, **extra: Any) -> Any:
    if method == "get":
        return client.get(url, body or {}, **extra)
    if method == "delete":
        return client.delete(url, **extra)
    if body is FILES:
        upload = io.BytesIO(b"Notes of the visit.")
        upload.name = "visit.txt"
        return client.post(url, {"files": [upload]}, **extra)
    send = getattr(client, method)
    return send(url, data=json.dumps(body or {}), content_type="application/json", **extra)


@dataclass
class Setup:
    """An invited partnership of network A with one of everything."""

    world: Any
    pw: PartnershipWorld
    partnership: Partnership
    member_a: PartnershipMember
    member_b: PartnershipMember
    museum: PartnershipMember
    goal: Goal
    spare_goal: Goal
    activity: PlanActivity
    indicator: Indicator
    target: PlanIndicator
    assessment: Assessment
    evidence: EvidenceFile
    factor: Factor
    person: PartnershipPerson

    @property
    def ids(self) -> dict[str, int]:
        return {
            "p": self.partnership.pk,
            "member_a": self.member_a.pk,
            "member_b": self.member_b.pk,
            "museum": self.museum.pk,
            "goal": self.goal.pk,
            "spare_goal": self.spare_goal.pk,
            "activity": self.activity.pk,
            "target": self.target.pk,
            "assessment": self.assessment.pk,
            "file": self.evidence.pk,
            "factor": self.factor.pk,
            "person": self.person.pk,
        }

    def url(self, template: str = "", slug: str | None = None) -> str:
        slug = slug or self.world.a.network.slug
        return f"/api/v1/networks/{slug}/partnerships" + template.format(**self.ids)

    def user(self, role: str) -> Any:
        return self.world.a.user(role)


@pytest.fixture
def s(world) -> Setup:
    pw = build_partnership_world(world.a)
    leader = pw.leader_a
    partnership = propose(pw)
    svc.partnership_invite(actor=leader, partnership=partnership)
    members = {m.organisation_id: m for m in partnership.members.all()}
    member_b = members[pw.school_b.pk]
    goal = plan.goal_create(
        actor=leader,
        partnership=partnership,
        values={"title": "Reading for pleasure", "motive": "students", "horizon": "medium"},
    )
    spare_goal = plan.goal_create(
        actor=leader,
        partnership=partnership,
        values={"title": "Shared library", "motive": "economy", "horizon": "long"},
    )
    activity = plan.activity_create(
        actor=leader,
        partnership=partnership,
        values={
            "goal": goal,
            "title": "Joint reading week",
            "kind": "joint_project",
            "owner": member_b,
            "starts_on": dt.date(2024, 3, 1),
            "status": "done",
            "participants": ["teachers", "pupils"],
        },
    )
    indicator = Indicator.objects.create(
        network=world.a.network, code="reading", name="Reading score", unit="%"
    )
    target = plan.plan_indicator_create(
        actor=leader,
        goal=goal,
        values={
            "indicator": indicator,
            "organisation": pw.school_b,
            "baseline": 50.0,
            "baseline_year": 2023,
            "target": 60.0,
            "target_year": 2025,
        },
    )
    assessment = plan.assessment_create(
        actor=leader,
        partnership=partnership,
        values={"assessed_on": dt.date(2024, 6, 1), "level": 3, "evidence": "Minutes of the joint meetings"},
        activities=[activity],
        files=[plan.Upload("minutes.txt", "text/plain", b"Minutes.")],
    )
    factor = plan.factor_create(
        actor=leader,
        partnership=partnership,
        values={"kind": "barrier", "code": "workload", "owner": member_b, "logged_on": dt.date(2024, 5, 1)},
    )
    person = svc.person_add(actor=leader, member=member_b, user=pw.teacher_b, role="contact")
    return Setup(
        world=world,
        pw=pw,
        partnership=partnership,
        member_a=members[world.a.school.pk],
        member_b=member_b,
        museum=members[world.a.partner.pk],
        goal=goal,
        spare_goal=spare_goal,
        activity=activity,
        indicator=indicator,
        target=target,
        assessment=assessment,
        evidence=assessment.files.get(),
        factor=factor,
        person=person,
    )


def _proposal(s: Setup) -> dict[str, Any]:
    return {
        "name": "Science together",
        "summary": "Two schools share their laboratories.",
        "model": "peer_cluster",
        "motives": ["teaching_quality"],
        "lead_body": "schools",
        "initiative": "voluntary",
        "duration": "ongoing",
        "geography": "same_locality",
        "mode": "face_to_face",
        "members": [
            {"organisation_id": s.world.a.school.pk, "role": "lead", "actor_role": "initiator"},
            {"organisation_id": s.pw.school_b.pk, "role": "partner", "actor_role": "executor"},
        ],
    }


def _leader_b_membership(s: Setup) -> int:
    return Membership.objects.get(user=s.pw.leader_b).pk


# (name, method, path, body, roles allowed, status when allowed)
ROUTES: list[tuple[str, str, str, Any, frozenset[str], int]] = [
    ("list", "get", "", None, ALL, 200),
    ("typology", "get", "/typology", None, ALL, 200),
    ("propose", "post", "", _proposal, PROPOSERS, 201),
    ("detail", "get", "/{p}", None, ALL, 200),
    ("patch", "patch", "/{p}", {"summary": "Reading and writing."}, EDITORS, 200),
    ("invite", "post", "/{p}/invite", None, EDITORS, 200),
    ("state", "post", "/{p}/state", {"state": "ended", "note": "The schools merged."}, EDITORS, 200),
    ("approve", "post", "/{p}/approve", None, ADMINS, 200),
    ("members", "get", "/{p}/members", None, READERS, 200),
    (
        "member-add",
        "post",
        "/{p}/members",
        lambda s: {"organisation_id": s.pw.outsider_school.pk, "role": "partner", "actor_role": "supporter"},
        EDITORS,
        201,
    ),
    ("member-patch", "patch", "/{p}/members/{member_b}", {"engagement": "passive"}, EDITORS, 200),
    ("member-delete", "delete", "/{p}/members/{museum}", None, EDITORS, 204),
    ("people", "get", "/{p}/people", None, READERS, 200),
    (
        "person-add",
        "post",
        "/{p}/people",
        lambda s: {
            "member_id": s.member_b.pk,
            "membership_id": _leader_b_membership(s),
            "role": "coordinator",
        },
        EDITORS,
        201,
    ),
    ("person-delete", "delete", "/{p}/people/{person}", None, EDITORS, 204),
    ("consents", "get", "/{p}/consents", None, READERS, 200),
    (
        "consent",
        "post",
        "/{p}/consents/{member_a}",
        {"decision": "accepted"},
        frozenset({Role.SCHOOL_LEADER}),
        200,
    ),
    ("agreement", "get", "/{p}/agreement", None, READERS, 200),
    ("agreement-version", "get", "/{p}/agreement/1", None, READERS, 200),
    ("goals", "get", "/{p}/goals", None, READERS, 200),
    (
        "goal-create",
        "post",
        "/{p}/goals",
        {"title": "Teachers visit each other", "motive": "teaching_quality", "horizon": "short"},
        EDITORS,
        201,
    ),
    ("goal-patch", "patch", "/{p}/goals/{goal}", {"aim": "achievement"}, EDITORS, 200),
    ("goal-delete", "delete", "/{p}/goals/{spare_goal}", None, EDITORS, 204),
    ("activities", "get", "/{p}/activities", None, READERS, 200),
    (
        "activity-create",
        "post",
        "/{p}/activities",
        lambda s: {
            "goal_id": s.goal.pk,
            "title": "Observation visits",
            "kind": "visits_observations",
            "starts_on": "2024-04-01",
            "participants": ["teachers"],
        },
        EDITORS,
        201,
    ),
    ("activity-patch", "patch", "/{p}/activities/{activity}", {"status": "in_progress"}, EDITORS, 200),
    ("activity-delete", "delete", "/{p}/activities/{activity}", None, EDITORS, 204),
    ("indicators", "get", "/{p}/indicators", None, READERS, 200),
    (
        "indicator-create",
        "post",
        "/{p}/indicators",
        lambda s: {
            "goal_id": s.goal.pk,
            "indicator": "reading",
            "baseline": 40,
            "baseline_year": 2023,
            "target": 45,
            "target_year": 2024,
        },
        EDITORS,
        201,
    ),
    ("indicator-patch", "patch", "/{p}/indicators/{target}", {"target": 65}, EDITORS, 200),
    ("indicator-delete", "delete", "/{p}/indicators/{target}", None, EDITORS, 204),
    ("assessments", "get", "/{p}/assessments", None, READERS, 200),
    (
        "assessment-create",
        "post",
        "/{p}/assessments",
        lambda s: {"assessed_on": "2024-07-01", "level": 2, "activity_ids": [s.activity.pk]},
        EDITORS,
        201,
    ),
    ("assessment-patch", "patch", "/{p}/assessments/{assessment}", {"level": 4}, EDITORS, 200),
    ("assessment-delete", "delete", "/{p}/assessments/{assessment}", None, EDITORS, 204),
    ("evidence-upload", "post", "/{p}/assessments/{assessment}/files", FILES, EDITORS, 201),
    (
        "evidence-download",
        "get",
        "/{p}/assessments/{assessment}/files/{file}",
        None,
        UNPSEUDONYMISED_READERS,
        200,
    ),
    ("evidence-delete", "delete", "/{p}/assessments/{assessment}/files/{file}", None, EDITORS, 204),
    ("suggestion", "get", "/{p}/suggestion", {"as_of": "2024-12-31"}, READERS, 200),
    ("factors", "get", "/{p}/factors", None, READERS, 200),
    ("factor-create", "post", "/{p}/factors", {"kind": "facilitator", "code": "mutual_trust"}, EDITORS, 201),
    ("factor-patch", "patch", "/{p}/factors/{factor}", {"status": "resolved"}, EDITORS, 200),
    ("factor-delete", "delete", "/{p}/factors/{factor}", None, EDITORS, 204),
]


def _body(s: Setup, body: Any) -> Any:
    return body(s) if callable(body) else body


@contextmanager
def _undone() -> Iterator[None]:
    """Run requests in a savepoint that is rolled back, so every role starts from the same data."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.mark.parametrize(
    ("name", "method", "path", "body", "allowed", "ok"), ROUTES, ids=[r[0] for r in ROUTES]
)
def test_every_route_by_role_and_from_another_network(s, name, method, path, body, allowed, ok):
    for role in Role.values:
        with _undone():
            # A member of network B, with a token, never reaches network A's partnerships: 404, as if absent.
            outsider, auth = _token_client(s.world.b.user(role))
            response = _send(outsider, method, s.url(path), _body(s, body), **auth)
            assert response.status_code == 404, (name, role, response.content)
            assert response.json() == {"detail": "Not found.", "errors": []}
            if "{p}" in path:  # nor under their own network's address
                own = _send(
                    outsider, method, s.url(path, slug=s.world.b.network.slug), _body(s, body), **auth
                )
                assert own.status_code == 404, (name, role, own.content)

        with _undone():
            response = _send(_client(s.user(role)), method, s.url(path), _body(s, body))
            assert response.status_code == (ok if role in allowed else 403), (name, role, response.content)
            if response.status_code == 403:
                assert response.json()["detail"] and response.json()["errors"] == []
            elif ok == 204:
                assert response.content == b""


def test_anonymous_gets_401(s):
    assert Client().get(s.url()).status_code == 401
    assert Client().get(s.url("/{p}")).status_code == 401
    assert _send(Client(), "post", s.url("/{p}/invite")).status_code == 401


def test_session_writes_need_the_csrf_token(s):
    client = Client(enforce_csrf_checks=True)
    client.force_login(s.user(Role.ADMIN))
    response = _send(client, "patch", s.url("/{p}"), {"summary": "Changed"})
    assert response.status_code == 403
    s.partnership.refresh_from_db()
    assert s.partnership.summary == "Two schools read together."


def test_the_list_filters_cover_every_typology_dimension():
    schema = ninja_api.get_openapi_schema()
    operation = schema["paths"]["/api/v1/networks/{slug}/partnerships"]["get"]
    params = {p["name"] for p in operation["parameters"]} - {"slug", "q", "page", "page_size"}
    assert params == set(v.DIMENSIONS)
    motives = next(p for p in operation["parameters"] if p["name"] == "motives")
    assert "`teaching_quality` Teaching quality" in json.dumps(motives)


# --- the lifecycle ------------------------------------------------------------------------------------------


def _state(client: Client, s: Setup, pk: int) -> str:
    return client.get(s.url(f"/{pk}")).json()["state"]


def test_lifecycle_propose_invite_consent_activate(s):
    leader_a, leader_b = _client(s.pw.leader_a), _client(s.pw.leader_b)
    admin = _client(s.user(Role.ADMIN))
    body = _proposal(s) | {"review_dates": ["2025-01-15"], "governance": "shared"}
    response = _send(leader_a, "post", s.url(), body)
    assert response.status_code == 201, response.content
    created = response.json()
    pk = created["id"]
    assert (created["state"], created["access"], created["size"]) == ("proposed", "edit", "pair")
    assert created["proposed_by"] == s.pw.leader_a.full_name
    assert (created["review_dates"], created["governance"]) == (["2025-01-15"], "shared")
    assert [(m["organisation"], m["role"], m["actor_role"]) for m in created["members"]] == [
        (s.world.a.school.name, "lead", "initiator"),
        ("Second School", "partner", "executor"),
    ]

    invited = _send(leader_a, "post", s.url(f"/{pk}/invite"))
    assert invited.status_code == 200 and invited.json()["number"] == 1
    consents = leader_a.get(s.url(f"/{pk}/consents")).json()
    assert consents["count"] == 2 and {c["decision"] for c in consents["items"]} == {"pending"}
    members = {m["organisation_id"]: m["id"] for m in created["members"]}

    # The leader of school B consents for school B only.
    other = _send(
        leader_b, "post", s.url(f"/{pk}/consents/{members[s.world.a.school.pk]}"), {"decision": "accepted"}
    )
    assert other.status_code == 403
    first = _send(
        leader_b, "post", s.url(f"/{pk}/consents/{members[s.pw.school_b.pk]}"), {"decision": "accepted"}
    )
    assert first.status_code == 200 and first.json()["decided_by"] == s.pw.leader_b.full_name
    assert _state(leader_a, s, pk) == "invited"

    refused = _send(admin, "post", s.url(f"/{pk}/state"), {"state": "active"})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["state"]
    assert _state(leader_a, s, pk) == "invited"

    last = _send(
        leader_a, "post", s.url(f"/{pk}/consents/{members[s.world.a.school.pk]}"), {"decision": "accepted"}
    )
    assert last.status_code == 200
    detail = leader_a.get(s.url(f"/{pk}")).json()
    assert detail["state"] == "active" and detail["activated_on"] == timezone.localdate().isoformat()
    assert {c["decision"] for c in detail["consents"]} == {"accepted"}
    versions = leader_a.get(s.url(f"/{pk}/agreement")).json()
    assert [(i["number"], i["with_consents"]) for i in versions["items"]] == [(1, False), (2, True)]
    signed = leader_a.get(s.url(f"/{pk}/agreement/2")).json()
    assert {c["member"] for c in signed["content"]["consents"]} == {s.world.a.school.name, "Second School"}

    paused = _send(leader_a, "post", s.url(f"/{pk}/state"), {"state": "paused", "note": "Exams"})
    assert paused.status_code == 200 and paused.json()["state"] == "paused"
    assert paused.json()["state_note"] == "Exams"
    assert _send(leader_a, "post", s.url(f"/{pk}/state"), {"state": "active"}).json()["state"] == "active"
    approved = _send(admin, "post", s.url(f"/{pk}/approve"))
    assert approved.status_code == 200 and approved.json()["approved_by"] == s.user(Role.ADMIN).full_name
    again = _send(admin, "post", s.url(f"/{pk}/approve"))
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "__all__"


def test_decline_needs_a_comment_and_the_proposer_sees_it(s):
    leader_b = _client(s.pw.leader_b)
    url = s.url("/{p}/consents/{member_b}")
    silent = _send(leader_b, "post", url, {"decision": "declined"})
    assert silent.status_code == 422
    assert [e["field"] for e in silent.json()["errors"]] == ["comment"]
    declined = _send(leader_b, "post", url, {"decision": "declined", "comment": "Not this school year."})
    assert declined.status_code == 200 and declined.json()["decision"] == "declined"

    proposer = _client(s.pw.leader_a)  # proposed the partnership in the fixture
    detail = proposer.get(s.url("/{p}")).json()
    assert detail["state"] == "invited"
    mine = next(c for c in detail["consents"] if c["member_id"] == s.member_b.pk)
    assert (mine["decision"], mine["comment"], mine["decided_by"]) == (
        "declined",
        "Not this school year.",
        s.pw.leader_b.full_name,
    )
    listed = proposer.get(s.url("/{p}/consents")).json()["items"]
    assert {(c["organisation"], c["decision"], c["comment"]) for c in listed} == {
        (s.world.a.school.name, "pending", ""),
        ("Second School", "declined", "Not this school year."),
    }
    bad = _send(leader_b, "post", url, {"decision": "maybe"})
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["decision"]


@pytest.mark.parametrize("user", ["admin", "teacher_b", "outsider_leader", "coordinator"])
def test_only_a_leader_of_the_member_school_consents(s, user):
    actor = {
        "admin": s.user(Role.ADMIN),
        "teacher_b": s.pw.teacher_b,
        "outsider_leader": s.pw.outsider_leader,
        "coordinator": s.user(Role.COORDINATOR),
    }[user]
    response = _send(_client(actor), "post", s.url("/{p}/consents/{member_b}"), {"decision": "accepted"})
    assert response.status_code == 403
    assert s.partnership.consents.get(member=s.member_b).decision == "pending"


# --- validation errors name the field ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"motives": ["students", "adventure"]}, "motives.1"),
        ({"motives": []}, "motives"),
        ({"model": "castle"}, "model"),
        ({"starts_on": "2025-09-01", "ends_on": "2025-06-30"}, "ends_on"),
        ({"duration": "fixed_term"}, "ends_on"),
        ({"review_dates": ["2025-02-30"]}, "review_dates.0"),
        ({"colour": "blue"}, "colour"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_proposals_are_422_naming_the_field(s, change, field):
    response = _send(_client(s.pw.leader_a), "post", s.url(), _proposal(s) | change)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"] and {e["field"] for e in body["errors"]} == {field}, body
    assert not Partnership.objects.filter(name="Science together").exists()


def test_a_member_of_another_network_is_422_without_revealing_it(s):
    foreign = s.world.b.school
    body = _proposal(s)
    body["members"][1]["organisation_id"] = foreign.pk
    response = _send(_client(s.user(Role.ADMIN)), "post", s.url(), body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["members.1.organisation_id"]
    assert foreign.name not in response.content.decode()
    added = _send(
        _client(s.user(Role.ADMIN)),
        "post",
        s.url("/{p}/members"),
        {"organisation_id": foreign.pk, "role": "partner", "actor_role": "executor"},
    )
    assert added.status_code == 422 and [e["field"] for e in added.json()["errors"]] == ["organisation_id"]
    assert foreign.name not in added.content.decode()


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("patch", "/{p}", {"ends_on": "2020-01-01", "starts_on": "2021-01-01"}, "ends_on"),
        ("patch", "/{p}", {"lead_body": "king"}, "lead_body"),
        (
            "post",
            "/{p}/members",
            {"organisation_id": 0, "role": "partner", "actor_role": "executor"},
            "organisation_id",
        ),
        ("patch", "/{p}/members/{member_a}", {"role": "external_partner"}, "role"),
        ("post", "/{p}/people", {"member_id": 0, "membership_id": 0, "role": "contact"}, "member_id"),
        ("post", "/{p}/state", {"state": "paused", "note": ""}, "state"),
        ("post", "/{p}/goals", {"title": "x", "motive": "fun", "horizon": "short"}, "motive"),
        (
            "post",
            "/{p}/activities",
            {"goal_id": 0, "title": "x", "kind": "joint_project", "starts_on": "2024-01-01"},
            "goal_id",
        ),
        ("patch", "/{p}/activities/{activity}", {"ends_on": "2023-01-01"}, "ends_on"),
        ("patch", "/{p}/activities/{activity}", {"participants": ["robots"]}, "participants.0"),
        ("patch", "/{p}/activities/{activity}", {"owner_id": 0}, "owner_id"),
        ("patch", "/{p}/indicators/{target}", {"indicator": "nothing"}, "indicator"),
        ("patch", "/{p}/indicators/{target}", {"target_year": 2000}, "target_year"),
        ("patch", "/{p}/assessments/{assessment}", {"links": ["ftp://example.org"]}, "links"),
        ("post", "/{p}/assessments", {"assessed_on": "2999-01-01", "level": 2}, "assessed_on"),
        ("post", "/{p}/assessments", {"level": 7}, "level"),
        ("post", "/{p}/assessments", {"level": 2, "activity_ids": [0]}, "activity_ids"),
        ("post", "/{p}/factors", {"kind": "facilitator", "code": "workload"}, "code"),
        ("get", "/{p}/suggestion", {"as_of": "yesterday"}, "as_of"),
        ("get", "", {"model": "castle"}, "model"),
        ("get", "", {"page_size": 0}, "page_size"),
    ],
)
def test_bad_input_is_422_naming_the_field(s, method, path, body, field):
    response = _send(_client(s.user(Role.ADMIN)), method, s.url(path), body)
    assert response.status_code == 422, response.content
    assert [e["field"] for e in response.json()["errors"]] == [field], response.json()


def test_a_goal_of_another_partnership_is_refused(s):
    other = propose(s.pw, name="Another partnership")
    foreign_goal = plan.goal_create(
        actor=s.pw.leader_a,
        partnership=other,
        values={"title": "Other", "motive": "policy", "horizon": "short"},
    )
    response = _send(
        _client(s.pw.leader_a), "patch", s.url("/{p}/activities/{activity}"), {"goal_id": foreign_goal.pk}
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "goal_id"
    # Objects of another partnership are not found under this one.
    assert (
        _client(s.pw.leader_a)
        .patch(s.url(f"/{{p}}/goals/{foreign_goal.pk}"), data="{}", content_type="application/json")
        .status_code
        == 404
    )


# --- lists, filters, pagination, summaries ------------------------------------------------------------------


def test_pagination_and_filters(s):
    propose(s.pw, name="Art together", with_partner=False)
    ended = propose(s.pw, name="Chess club", with_partner=False)
    svc.partnership_transition(actor=s.pw.leader_a, partnership=ended, to="ended", note="Finished")
    Partnership.objects.filter(pk=ended.pk).update(
        motives=["policy"], external_parties=["ngo"], model="twin_schools"
    )
    client = _client(s.user(Role.TEACHER))
    first = client.get(s.url(), {"page_size": 2}).json()
    second = client.get(s.url(), {"page_size": 2, "page": 2}).json()
    assert first["count"] == second["count"] == 3
    assert [i["name"] for i in first["items"] + second["items"]] == [
        "Art together",
        "Chess club",
        "Reading together",
    ]

    def names(**params: str) -> list[str]:
        response = client.get(s.url(), params)
        assert response.status_code == 200, response.content
        return [i["name"] for i in response.json()["items"]]

    assert names(state="ended") == ["Chess club"]
    assert names(state="invited") == ["Reading together"]
    assert names(motives="policy") == ["Chess club"]
    assert names(motives="students") == ["Art together", "Reading together"]
    assert names(external_parties="ngo") == ["Chess club"]
    assert names(model="twin_schools", state="ended") == ["Chess club"]
    assert names(model="twin_schools", state="active") == []
    assert names(size="pair") == ["Art together", "Chess club", "Reading together"]
    assert names(q="CHESS") == ["Chess club"]


def test_summary_only_for_partnerships_the_user_cannot_read(s):
    coordinator = s.user(Role.COORDINATOR)
    client = _client(coordinator)
    item = client.get(s.url()).json()["items"][0]
    assert item["access"] == "summary"
    assert set(item) == {"id", "access", "name", "state", "member_count", "size", *svc.TYPOLOGY_FIELDS}
    assert (item["member_count"], item["motives"], item["model"]) == (
        3,
        ["students", "teaching_quality"],
        "high_low_federation",
    )
    detail = client.get(s.url("/{p}")).json()
    assert detail["access"] == "summary" and "members" not in detail and "summary" not in detail
    for path in ("/{p}/members", "/{p}/goals", "/{p}/consents", "/{p}/agreement"):
        assert client.get(s.url(path)).status_code == 403

    # Named a coordinator of the partnership, the same user edits it.
    Membership.objects.filter(user=coordinator).update(organisation=s.pw.school_b)
    svc.person_add(actor=s.pw.leader_a, member=s.member_b, user=coordinator, role="coordinator")
    Membership.objects.filter(user=coordinator).update(organisation=None)
    item = client.get(s.url()).json()["items"][0]
    assert item["access"] == "edit" and len(item["members"]) == 3
    assert client.get(s.url("/{p}")).json()["can"]["edit"] is True


def test_full_detail_for_a_reader(s):
    detail = _client(s.user(Role.TEACHER)).get(s.url("/{p}")).json()
    assert detail["access"] == "read"
    assert detail["can"] == {"edit": False, "approve": False, "consent_for": []}
    assert detail["consent_version"] == 1 and detail["invited_on"] == timezone.localdate().isoformat()
    assert detail["people"] == [
        {
            "id": s.person.pk,
            "member_id": s.member_b.pk,
            "role": "contact",
            "membership_id": Membership.objects.get(user=s.pw.teacher_b).pk,
            "name": s.pw.teacher_b.full_name,
        }
    ]
    museum = next(m for m in detail["members"] if m["id"] == s.museum.pk)
    assert (museum["organisation"], museum["kind"], museum["role"], museum["commitment_resources"]) == (
        s.world.a.partner.name,
        "museum",
        "external_partner",
        "Exhibits",
    )
    leader = _client(s.pw.leader_a).get(s.url("/{p}")).json()
    assert leader["can"] == {"edit": True, "approve": False, "consent_for": [s.member_a.pk]}


# --- researchers --------------------------------------------------------------------------------------------


def test_researchers_get_codes_and_no_names(s):
    network = s.world.a.network
    Partnership.objects.filter(pk=s.partnership.pk).update(
        name="Reading with Second School", summary="Second School and its neighbour read together."
    )
    svc.consent_decide(
        actor=s.pw.leader_b,
        partnership=s.partnership,
        member=s.member_b,
        decision="declined",
        comment="Second School has no time this year.",
    )
    client = _client(s.user(Role.RESEARCHER))
    code_b = pseudonym(network.pk, s.pw.school_b.pk)
    detail = client.get(s.url("/{p}")).json()
    assert detail["access"] == "read"
    assert {m["organisation"] for m in detail["members"]} == {
        pseudonym(network.pk, s.world.a.school.pk),
        code_b,
        pseudonym(network.pk, s.world.a.partner.pk),
    }
    assert detail["name"] == f"Reading with {code_b}"
    assert detail["summary"].startswith(code_b)
    assert (detail["proposed_by"], detail["approved_by"]) == (None, None)
    assert detail["people"] == [
        {
            "id": s.person.pk,
            "member_id": s.member_b.pk,
            "role": "contact",
            "membership_id": None,
            "name": None,
        }
    ]
    declined = next(c for c in detail["consents"] if c["member_id"] == s.member_b.pk)
    assert (declined["decided_by"], declined["comment"]) == (None, f"{code_b} has no time this year.")

    bodies = [detail]
    for path in (
        "",
        "/{p}/members",
        "/{p}/people",
        "/{p}/consents",
        "/{p}/agreement",
        "/{p}/agreement/1",
        "/{p}/activities",
        "/{p}/indicators",
        "/{p}/assessments",
        "/{p}/factors",
    ):
        response = client.get(s.url(path))
        assert response.status_code == 200, (path, response.content)
        bodies.append(response.json())
    text = json.dumps(bodies)
    secrets = [
        "Second School",
        s.world.a.school.name,
        s.world.a.partner.name,
        s.pw.leader_a.full_name,
        s.pw.leader_b.full_name,
        s.pw.teacher_b.full_name,
        s.pw.leader_a.email,
    ]
    for secret in secrets:
        assert secret not in text, secret
    assert code_b in text
    assert client.get(s.url("/{p}/activities")).json()["items"][0]["owner"] == code_b
    assert client.get(s.url("/{p}/factors")).json()["items"][0]["owner"] == code_b
    assert client.get(s.url("/{p}/indicators")).json()["items"][0]["organisation"] == code_b
    assert client.get(s.url("/{p}/assessments")).json()["items"][0]["assessed_by"] is None


# --- members and people -------------------------------------------------------------------------------------


def test_members_and_people(s):
    client = _client(s.pw.leader_a)
    added = _send(
        client,
        "post",
        s.url("/{p}/members"),
        {
            "organisation_id": s.pw.outsider_school.pk,
            "role": "partner",
            "actor_role": "supporter",
            "engagement": "passive",
            "commitment_time": "One afternoon a month",
        },
    )
    assert added.status_code == 201, added.content
    member = added.json()
    assert (member["organisation"], member["engagement"], member["commitment_time"]) == (
        "Outsider School",
        "passive",
        "One afternoon a month",
    )
    assert client.get(s.url("/{p}")).json()["size"] == "triad"
    twice = _send(
        client,
        "post",
        s.url("/{p}/members"),
        {"organisation_id": s.pw.outsider_school.pk, "role": "partner", "actor_role": "supporter"},
    )
    assert twice.status_code == 422 and twice.json()["errors"][0]["field"] == "organisation_id"
    patched = _send(
        client, "patch", s.url(f"/{{p}}/members/{member['id']}"), {"commitment_staff": "One teacher"}
    )
    assert patched.status_code == 200 and patched.json()["commitment_staff"] == "One teacher"
    assert _send(client, "delete", s.url(f"/{{p}}/members/{member['id']}")).status_code == 204
    listed = client.get(s.url("/{p}/members")).json()
    assert listed["count"] == 3 and [m["id"] for m in listed["items"]] == [
        s.member_a.pk,
        s.member_b.pk,
        s.museum.pk,
    ]

    person = _send(
        client,
        "post",
        s.url("/{p}/people"),
        {"member_id": s.member_b.pk, "membership_id": _leader_b_membership(s), "role": "coordinator"},
    )
    assert person.status_code == 201, person.content
    assert (person.json()["name"], person.json()["role"]) == (s.pw.leader_b.full_name, "coordinator")
    # Someone who does not belong to the member organisation cannot be its contact.
    teacher_a = Membership.objects.get(user=s.user(Role.TEACHER)).pk
    wrong = _send(
        client,
        "post",
        s.url("/{p}/people"),
        {"member_id": s.member_b.pk, "membership_id": teacher_a, "role": "contact"},
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "membership_id"
    foreign = Membership.objects.get(user=s.world.b.user(Role.TEACHER)).pk
    other_network = _send(
        client,
        "post",
        s.url("/{p}/people"),
        {"member_id": s.member_b.pk, "membership_id": foreign, "role": "contact"},
    )
    assert other_network.status_code == 422 and other_network.json()["errors"][0]["field"] == "membership_id"
    assert _send(client, "delete", s.url(f"/{{p}}/people/{person.json()['id']}")).status_code == 204
    assert [p["id"] for p in client.get(s.url("/{p}/people")).json()["items"]] == [s.person.pk]

    # Once active, members no longer change.
    for member_pk, leader in ((s.member_a.pk, s.pw.leader_a), (s.member_b.pk, s.pw.leader_b)):
        _send(_client(leader), "post", s.url(f"/{{p}}/consents/{member_pk}"), {"decision": "accepted"})
    assert client.get(s.url("/{p}")).json()["state"] == "active"
    late = _send(client, "delete", s.url("/{p}/members/{museum}"))
    assert late.status_code == 422 and late.json()["errors"][0]["field"] == "__all__"


def test_patch_changes_only_what_is_sent(s):
    client = _client(s.pw.leader_a)
    response = _send(
        client,
        "patch",
        s.url("/{p}"),
        {
            "name": "Reading and writing",
            "external_parties": ["ngo", "academic_team"],
            "review_dates": ["2025-03-01"],
        },
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["name"], data["external_parties"], data["review_dates"]) == (
        "Reading and writing",
        ["ngo", "academic_team"],
        ["2025-03-01"],
    )
    assert data["summary"] == "Two schools read together." and data["motives"] == [
        "students",
        "teaching_quality",
    ]
    s.partnership.refresh_from_db()
    assert s.partnership.external_parties == ["ngo", "academic_team"]
    assert s.partnership.review_dates == ["2025-03-01"]


# --- the plan, assessments and the log ----------------------------------------------------------------------


def test_goals_activities_and_indicators(s):
    client = _client(s.pw.leader_a)
    goal = _send(
        client,
        "post",
        s.url("/{p}/goals"),
        {
            "title": "Teachers visit each other",
            "motive": "teaching_quality",
            "horizon": "short",
            "aim": "achievement",
        },
    ).json()
    assert (goal["position"], goal["aim"]) == (3, "achievement")
    goals = client.get(s.url("/{p}/goals")).json()
    assert [g["title"] for g in goals["items"]] == [
        "Reading for pleasure",
        "Shared library",
        "Teachers visit each other",
    ]
    assert (
        _send(client, "patch", s.url(f"/{{p}}/goals/{goal['id']}"), {"position": 0}).json()["position"] == 0
    )
    assert client.get(s.url("/{p}/goals")).json()["items"][0]["id"] == goal["id"]

    activity = _send(
        client,
        "post",
        s.url("/{p}/activities"),
        {
            "goal_id": goal["id"],
            "title": "Observation visits",
            "kind": "visits_observations",
            "owner_id": s.member_a.pk,
            "starts_on": "2024-04-01",
            "ends_on": "2024-04-30",
            "participants": ["teachers"],
        },
    )
    assert activity.status_code == 201, activity.content
    data = activity.json()
    assert (data["owner"], data["status"], data["participants"]) == (
        s.world.a.school.name,
        "planned",
        ["teachers"],
    )
    # A goal with activities is not deleted.
    kept = _send(client, "delete", s.url(f"/{{p}}/goals/{goal['id']}"))
    assert kept.status_code == 422
    assert client.get(s.url("/{p}/activities"), {"goal": goal["id"]}).json()["count"] == 1
    assert client.get(s.url("/{p}/activities"), {"status": "done"}).json()["items"][0]["id"] == s.activity.pk
    moved = _send(
        client, "patch", s.url(f"/{{p}}/activities/{data['id']}"), {"goal_id": s.goal.pk, "owner_id": None}
    )
    assert moved.status_code == 200 and (moved.json()["goal_id"], moved.json()["owner"]) == (s.goal.pk, None)
    assert _send(client, "delete", s.url(f"/{{p}}/goals/{goal['id']}")).status_code == 204

    target = _send(
        client,
        "post",
        s.url("/{p}/indicators"),
        {
            "goal_id": s.goal.pk,
            "indicator": "reading",
            "organisation_id": s.world.a.school.pk,
            "baseline": 40,
            "baseline_year": 2023,
            "target": 45,
            "target_year": 2024,
        },
    )
    assert target.status_code == 201, target.content
    assert (target.json()["indicator_name"], target.json()["organisation"]) == (
        "Reading score",
        s.world.a.school.name,
    )
    outsider = _send(
        client,
        "patch",
        s.url(f"/{{p}}/indicators/{target.json()['id']}"),
        {"organisation_id": s.pw.outsider_school.pk},
    )
    assert outsider.status_code == 422 and outsider.json()["errors"][0]["field"] == "organisation_id"
    listed = client.get(s.url("/{p}/indicators"), {"goal": s.goal.pk}).json()
    assert [(t["baseline"], t["target"]) for t in listed["items"]] == [(50.0, 60.0), (40.0, 45.0)]


def test_assessments_with_evidence_files_and_the_suggestion(s):
    client = _client(s.pw.leader_a)
    response = _send(
        client,
        "post",
        s.url("/{p}/assessments"),
        {
            "assessed_on": "2024-12-31",
            "level": 4,
            "evidence": "Meeting notes",
            "links": ["https://example.org/notes"],
            "activity_ids": [s.activity.pk],
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    expected = record.suggestion_as_json(record.suggestion_for(s.partnership, dt.date(2024, 12, 31)))
    assert created["suggestion"] == json.loads(json.dumps(expected))
    assert created["suggested_level"] == expected["level"]
    assert (created["level"], created["activity_ids"], created["assessed_by"]) == (
        4,
        [s.activity.pk],
        s.pw.leader_a.full_name,
    )

    upload = io.BytesIO(b"%PDF-1.4 minutes")
    upload.name = "minutes.pdf"
    with_file = client.post(s.url(f"/{{p}}/assessments/{created['id']}/files"), {"files": [upload]})
    assert with_file.status_code == 201, with_file.content
    (evidence,) = with_file.json()["files"]
    assert (evidence["name"], evidence["content_type"], evidence["size"]) == (
        "minutes.pdf",
        "application/pdf",
        16,
    )
    assert evidence["checksum"] == hashlib.sha256(b"%PDF-1.4 minutes").hexdigest()
    download = client.get(s.url(f"/{{p}}/assessments/{created['id']}/files/{evidence['id']}"))
    assert download.status_code == 200 and download.content == b"%PDF-1.4 minutes"
    assert download["Content-Type"] == "application/pdf"
    bad = io.BytesIO(b"MZ")
    bad.name = "tool.exe"
    refused = client.post(s.url(f"/{{p}}/assessments/{created['id']}/files"), {"files": [bad]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "files"

    # Changing the date takes the suggestion of the new date.
    moved = _send(
        client, "patch", s.url(f"/{{p}}/assessments/{created['id']}"), {"assessed_on": "2024-01-01"}
    )
    assert moved.status_code == 200
    assert moved.json()["suggestion"]["features"]["activities"] == 0
    listed = client.get(s.url("/{p}/assessments")).json()
    assert [a["assessed_on"] for a in listed["items"]] == ["2024-06-01", "2024-01-01"]

    suggestion = client.get(s.url("/{p}/suggestion"), {"as_of": "2024-12-31"}).json()
    assert suggestion == json.loads(json.dumps(expected))
    assert suggestion["features"]["activities"] == 1
    before = client.get(s.url("/{p}/suggestion"), {"as_of": "2024-02-01"}).json()
    assert before["features"]["activities"] == 0
    assert client.get(s.url("/{p}/suggestion")).status_code == 200  # today by default


def test_researchers_do_not_download_evidence_files(s):
    response = _client(s.user(Role.RESEARCHER)).get(s.url("/{p}/assessments/{assessment}/files/{file}"))
    assert response.status_code == 403


def test_factor_log(s):
    client = _client(s.pw.leader_a)
    created = _send(
        client,
        "post",
        s.url("/{p}/factors"),
        {
            "kind": "facilitator",
            "code": "mutual_trust",
            "severity": "high",
            "owner_id": s.member_a.pk,
            "logged_on": "2024-06-01",
        },
    )
    assert created.status_code == 201, created.content
    factor = created.json()
    assert (factor["code"], factor["owner"], factor["status"]) == (
        "mutual_trust",
        s.world.a.school.name,
        "open",
    )
    resolved = _send(client, "patch", s.url(f"/{{p}}/factors/{factor['id']}"), {"status": "resolved"}).json()
    assert resolved["resolved_on"] == timezone.localdate().isoformat()
    assert [f["code"] for f in client.get(s.url("/{p}/factors")).json()["items"]] == [
        "mutual_trust",
        "workload",
    ]
    assert [f["code"] for f in client.get(s.url("/{p}/factors"), {"kind": "barrier"}).json()["items"]] == [
        "workload"
    ]
    assert client.get(s.url("/{p}/factors"), {"status": "resolved"}).json()["count"] == 1
    wrong_owner = _send(client, "patch", s.url(f"/{{p}}/factors/{factor['id']}"), {"owner_id": 0})
    assert wrong_owner.status_code == 422 and wrong_owner.json()["errors"][0]["field"] == "owner_id"


def test_nothing_changes_once_ended(s):
    client = _client(s.pw.leader_a)
    assert _send(client, "post", s.url("/{p}/state"), {"state": "ended", "note": "Merged"}).status_code == 200
    for method, path, body in (
        ("patch", "/{p}", {"name": "Renamed"}),
        ("post", "/{p}/goals", {"title": "Late", "motive": "policy", "horizon": "short"}),
        ("patch", "/{p}/factors/{factor}", {"severity": "low"}),
    ):
        response = _send(client, method, s.url(path), body)
        assert response.status_code == 422, (path, response.content)
        assert response.json()["errors"][0]["message"]


# --- agreement versions and their PDFs ----------------------------------------------------------------------


def test_agreement_pdf_by_role(s):
    pytest.importorskip("interschool.partnerships.services.agreements")
    url = s.url("/{p}/agreement/1/en.pdf")
    pdfs = {}
    for role in Role.values:
        response = _client(s.user(role)).get(url)
        assert response.status_code == (200 if role in READERS else 403), (role, response.content[:200])
        if response.status_code == 200:
            assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
            pdfs[role] = response.content
        outsider, auth = _token_client(s.world.b.user(role))
        assert outsider.get(url, **auth).status_code == 404
    # One stored PDF, the members' document, served the same to every member; the researcher's
    # pseudonymised document is rendered on request and never stored.
    rendering = AgreementRendering.objects.get(version__partnership=s.partnership)
    assert {hashlib.sha256(pdfs[role]).hexdigest() for role in UNPSEUDONYMISED_READERS} == {
        rendering.checksum
    }
    assert pdfs[Role.RESEARCHER] != pdfs[Role.ADMIN]
    listed = _client(s.pw.leader_a).get(s.url("/{p}/agreement")).json()["items"]
    assert [(r["language"], r["checksum"], r["size"]) for r in listed[0]["renderings"]] == [
        ("en", rendering.checksum, rendering.size)
    ]
    bad = _client(s.pw.leader_a).get(s.url("/{p}/agreement/1/xx.pdf"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "language"
    assert _client(s.pw.leader_a).get(s.url("/{p}/agreement/9/en.pdf")).status_code == 404


# --- the network's typology counts --------------------------------------------------------------------------


def test_typology_counts(s):
    other = propose(s.pw, name="Art together", with_partner=False)
    Partnership.objects.filter(pk=other.pk).update(
        motives=["students", "policy"], external_parties=["ngo"], model="twin_schools", governance="shared"
    )
    response = _client(s.user(Role.COORDINATOR)).get(s.url("/typology"))
    assert response.status_code == 200
    data = response.json()
    assert data["total"] == 2
    dimensions = data["dimensions"]
    assert set(dimensions) == set(v.DIMENSIONS)
    for name, (_label, choices, _multiple) in v.DIMENSIONS.items():
        assert set(choices.values) <= set(dimensions[name]), name
    assert dimensions["motives"] == {"policy": 1, "students": 2, "economy": 0, "teaching_quality": 1}
    assert dimensions["model"]["twin_schools"] == 1 and dimensions["model"]["high_low_federation"] == 1
    assert dimensions["model"]["peer_cluster"] == 0
    assert dimensions["external_parties"]["ngo"] == 1 and dimensions["external_parties"]["_none"] == 1
    assert dimensions["governance"]["shared"] == 1 and dimensions["governance"]["_none"] == 1
    assert (
        dimensions["state"]["invited"],
        dimensions["state"]["proposed"],
        dimensions["state"]["active"],
    ) == (1, 1, 0)
