"""The plan and maturity pages for every role and another network's members; plan editing and export.

Pages are fetched with a logged-in test client. Levels (``access.py``): the network admin and the leaders
of member schools edit, a named coordinator edits, teachers and external partners of members read,
researchers read pseudonymised, the network's other members (a coordinator without a member
organisation, the leader of a school outside the partnership) see the summary only: 403 here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from interschool.core.models import Role, User
from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import Assessment, Goal, Partnership, PlanActivity, PlanIndicator
from interschool.partnerships.services import partnerships as partnership_svc
from interschool.partnerships.services import plan as svc
from interschool.partnerships.tests.factories import PartnershipWorld, build_partnership_world, propose
from interschool.registry.access import pseudonym
from interschool.registry.models import Indicator, OutcomeValue

TODAY = timezone.localdate()


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@dataclass
class Plan:
    pw: PartnershipWorld
    partnership: Partnership
    goal: Goal
    long_goal: Goal
    activity: PlanActivity
    target: PlanIndicator
    school_target: PlanIndicator
    indicator: Indicator
    assessment: Assessment
    coordinator: User  # teacher of the second school, named coordinator of the partnership

    @property
    def slug(self) -> str:
        return str(self.pw.nw.network.slug)

    def url(self, template: str, slug: str | None = None) -> str:
        return template.format(
            net=slug or self.slug,
            p=self.partnership.pk,
            goal=self.goal.pk,
            act=self.activity.pk,
            ind=self.target.pk,
            ass=self.assessment.pk,
            file=self.assessment.files.get().pk,
        )

    def user(self, who: str) -> User:
        if who == "named_coordinator":
            return self.coordinator
        if who == "outsider_leader":
            return self.pw.outsider_leader
        return self.pw.nw.user(who)


def make_plan(pw: PartnershipWorld) -> Plan:
    partnership = propose(pw)
    actor = pw.leader_a
    members = {m.organisation_id: m for m in partnership.members.all()}
    partnership_svc.person_add(
        actor=actor, member=members[pw.school_b.pk], user=pw.teacher_b, role=v.PersonRole.COORDINATOR
    )
    goal = svc.goal_create(
        actor=actor,
        partnership=partnership,
        values={
            "title": "Read fluently",
            "motive": v.Motive.STUDENTS,
            "horizon": v.Horizon.SHORT,
            "aim": v.Aim.ACHIEVEMENT,
        },
    )
    long_goal = svc.goal_create(
        actor=actor,
        partnership=partnership,
        values={
            "title": "A shared reading culture",
            "motive": v.Motive.TEACHING_QUALITY,
            "horizon": v.Horizon.LONG,
        },
    )
    activity = svc.activity_create(
        actor=actor,
        partnership=partnership,
        values={
            "goal": goal,
            "title": "Joint reading lessons",
            "kind": v.ActivityType.JOINT_LESSONS,
            "owner": members[pw.nw.school.pk],
            "starts_on": dt.date(2025, 2, 3),
            "ends_on": dt.date(2025, 6, 27),
            "status": v.ActivityStatus.IN_PROGRESS,
            "participants": [v.Participant.TEACHERS, v.Participant.PUPILS],
        },
    )
    indicator = Indicator.objects.create(
        network=pw.nw.network, code="reading", name="Reading score", unit="%"
    )
    OutcomeValue.objects.create(
        organisation=pw.nw.school, indicator=indicator, year=2023, value=48.0, cohort=40
    )
    OutcomeValue.objects.create(
        organisation=pw.nw.school, indicator=indicator, year=2024, value=51.25, cohort=40
    )
    OutcomeValue.objects.create(organisation=pw.school_b, indicator=indicator, year=2024, suppressed=True)
    target = svc.plan_indicator_create(
        actor=actor,
        goal=goal,
        values={
            "indicator": indicator,
            "organisation": None,
            "baseline": 45.0,
            "baseline_year": 2023,
            "target": 60.0,
            "target_year": 2026,
        },
    )
    school_target = svc.plan_indicator_create(
        actor=actor,
        goal=goal,
        values={
            "indicator": indicator,
            "organisation": pw.nw.school,
            "baseline": 48.0,
            "baseline_year": 2023,
            "target": 58.0,
            "target_year": 2023,
        },
    )
    assessment = svc.assessment_create(
        actor=pw.leader_a,
        partnership=partnership,
        values={
            "assessed_on": TODAY,
            "level": 2,
            "evidence": "Lessons started.",
            "links": ["https://example.org/a"],
        },
        activities=[activity],
        files=[svc.Upload("notes.txt", "text/plain", b"minutes of the first meeting")],
    )
    return Plan(
        pw, partnership, goal, long_goal, activity, target, school_target, indicator, assessment, pw.teacher_b
    )


@pytest.fixture
def plan(world) -> Plan:
    return make_plan(build_partnership_world(world.a))


READ_ROLES = {
    Role.ADMIN,
    Role.SCHOOL_LEADER,
    Role.TEACHER,
    Role.EXTERNAL_PARTNER,
    Role.RESEARCHER,
    "named_coordinator",
}
EDIT_ROLES = {Role.ADMIN, Role.SCHOOL_LEADER, "named_coordinator"}
ACTORS = [*Role.values, "named_coordinator", "outsider_leader"]

# (name, url template, the level needed: "read" or "edit")
PAGES = [
    ("plan", "/n/{net}/partnerships/{p}/plan/", "read"),
    ("timeline", "/n/{net}/partnerships/{p}/plan/timeline.svg", "read"),
    ("export xlsx", "/n/{net}/partnerships/{p}/plan/export.xlsx", "read"),
    ("export csv", "/n/{net}/partnerships/{p}/plan/export.csv", "read"),
    ("goal new", "/n/{net}/partnerships/{p}/plan/goals/new/", "edit"),
    ("goal edit", "/n/{net}/partnerships/{p}/plan/goals/{goal}/edit/", "edit"),
    ("goal delete", "/n/{net}/partnerships/{p}/plan/goals/{goal}/delete/", "edit"),
    ("activity new", "/n/{net}/partnerships/{p}/plan/activities/new/", "edit"),
    ("activity edit", "/n/{net}/partnerships/{p}/plan/activities/{act}/edit/", "edit"),
    ("activity delete", "/n/{net}/partnerships/{p}/plan/activities/{act}/delete/", "edit"),
    ("indicator new", "/n/{net}/partnerships/{p}/plan/goals/{goal}/indicators/new/", "edit"),
    ("indicator edit", "/n/{net}/partnerships/{p}/plan/indicators/{ind}/edit/", "edit"),
    ("indicator delete", "/n/{net}/partnerships/{p}/plan/indicators/{ind}/delete/", "edit"),
    ("maturity", "/n/{net}/partnerships/{p}/maturity/", "read"),
    ("trajectory", "/n/{net}/partnerships/{p}/maturity/trajectory.svg", "read"),
    ("evidence file", "/n/{net}/partnerships/{p}/maturity/{ass}/files/{file}", "read"),
    ("assessment new", "/n/{net}/partnerships/{p}/maturity/new/", "edit"),
    ("assessment edit", "/n/{net}/partnerships/{p}/maturity/{ass}/edit/", "edit"),
    ("assessment delete", "/n/{net}/partnerships/{p}/maturity/{ass}/delete/", "edit"),
    ("evidence file delete", "/n/{net}/partnerships/{p}/maturity/{ass}/files/{file}/delete/", "edit"),
]
# Deletes by POST, from the least to the most destructive so that each still finds its object.
DELETES = [
    ("evidence file delete", "/n/{net}/partnerships/{p}/maturity/{ass}/files/{file}/delete/"),
    ("indicator delete", "/n/{net}/partnerships/{p}/plan/indicators/{ind}/delete/"),
    ("assessment delete", "/n/{net}/partnerships/{p}/maturity/{ass}/delete/"),
    ("activity delete", "/n/{net}/partnerships/{p}/plan/activities/{act}/delete/"),
    ("goal delete", "/n/{net}/partnerships/{p}/plan/goals/{goal}/delete/"),
]


def _allowed(who: str, level: str) -> bool:
    return who in (READ_ROLES if level == "read" else EDIT_ROLES)


@pytest.mark.parametrize("who", ACTORS)
def test_every_page_by_role(plan, who):
    client = client_of(plan.user(who))
    for name, template, level in PAGES:
        response = client.get(plan.url(template))
        assert response.status_code == (200 if _allowed(who, level) else 403), (name, who)


@pytest.mark.parametrize("role", Role.values)
def test_every_page_is_404_for_another_network(plan, world, role):
    """A user of network B, at network B's address or at network A's, learns nothing."""
    client = client_of(world.b.user(role))
    for name, template, _level in PAGES:
        assert client.get(plan.url(template)).status_code == 404, (name, role)
        assert client.get(plan.url(template, slug="b")).status_code == 404, (name, role)
    for name, template in DELETES:
        assert client.post(plan.url(template, slug="b")).status_code == 404, (name, role)
    assert Assessment.objects.filter(pk=plan.assessment.pk).exists()


@pytest.mark.parametrize("who", ACTORS)
def test_deletes_by_role(plan, who):
    client = client_of(plan.user(who))
    urls = [(name, plan.url(template)) for name, template in DELETES]
    for name, url in urls:
        response = client.post(url)
        assert response.status_code == (302 if _allowed(who, "edit") else 403), (
            name,
            who,
            response.content[:300],
        )
    gone = _allowed(who, "edit")
    assert Goal.objects.filter(pk=plan.goal.pk).exists() is not gone
    assert PlanActivity.objects.filter(pk=plan.activity.pk).exists() is not gone
    assert Assessment.objects.filter(pk=plan.assessment.pk).exists() is not gone


@pytest.mark.parametrize("who", ACTORS)
def test_creating_needs_edit(plan, who):
    response = client_of(plan.user(who)).post(
        plan.url("/n/{net}/partnerships/{p}/plan/goals/new/"),
        {"title": "Another goal", "motive": "policy", "horizon": "medium"},
    )
    assert response.status_code == (302 if _allowed(who, "edit") else 403), who
    assert Goal.objects.filter(title="Another goal").exists() is _allowed(who, "edit")


def test_delete_asks_first(plan):
    client = client_of(plan.pw.leader_a)
    page = client.get(plan.url("/n/{net}/partnerships/{p}/plan/activities/{act}/delete/")).content.decode()
    assert "Delete the activity “Joint reading lessons”?" in page and 'id="confirm-delete"' in page
    assert PlanActivity.objects.filter(pk=plan.activity.pk).exists()


def test_a_goal_with_activities_is_not_deleted(plan):
    client = client_of(plan.pw.leader_a)
    response = client.post(plan.url("/n/{net}/partnerships/{p}/plan/goals/{goal}/delete/"))
    assert response.status_code == 400
    assert "Move or delete the goal&#x27;s activities first." in response.content.decode()
    assert Goal.objects.filter(pk=plan.goal.pk).exists()
    response = client.post(
        f"/n/{plan.slug}/partnerships/{plan.partnership.pk}/plan/goals/{plan.long_goal.pk}/delete/"
    )
    assert response.status_code == 302 and not Goal.objects.filter(pk=plan.long_goal.pk).exists()


# --- what the plan page shows ---------------------------------------------------------------------------


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_plan_groups_goals_by_horizon_with_activities_and_indicators(plan):
    page = _text(client_of(plan.pw.nw.user(Role.TEACHER)).get(plan.url("/n/{net}/partnerships/{p}/plan/")))
    short = page.index('id="horizon-short"')
    long = page.index('id="horizon-long"')
    assert 'id="horizon-medium"' not in page  # no goal in the medium term
    assert short < page.index("Read fluently", short) < long < page.index("A shared reading culture", short)
    assert "Motive:</span> Students" in page and "Improve school achievement" in page
    assert "Joint lessons for pupils" in page and "In progress" in page and "Teachers, Pupils" in page
    assert "first School" not in page
    assert plan.pw.nw.school.name in page  # the owner
    # Indicators: baseline (year) → target (year); the member-schools one lists each school's latest value.
    assert "45 (2023) → 60 (2026)" in page and "member schools" in page
    assert 'Latest (2024) · a School: <span class="value">51.25</span>' in page
    assert 'Latest (2024) · Second School: <span class="suppressed">' in page
    # The school's own target year (2023) has a value: that one is shown, not the latest.
    assert 'Latest (2023): <span class="value">48</span>' in page
    # Read-only: no editing links.
    assert "/plan/goals/new/" not in page and "/delete/" not in page
    # The timeline is inline.
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and "Joint reading lessons" in page


def test_suppressed_values_never_show_a_number(plan):
    OutcomeValue.objects.filter(organisation=plan.pw.nw.school, year=2023).update(cohort=4)  # a small cohort
    page = _text(client_of(plan.pw.leader_a).get(plan.url("/n/{net}/partnerships/{p}/plan/")))
    assert 'Latest (2023): <span class="suppressed">' in page
    assert ">48<" not in page


def test_editors_see_the_editing_links(plan):
    page = _text(client_of(plan.coordinator).get(plan.url("/n/{net}/partnerships/{p}/plan/")))
    for template in (
        "/plan/goals/new/",
        "/plan/goals/{goal}/edit/",
        "/plan/activities/{act}/delete/",
        "/plan/goals/{goal}/indicators/new/",
        "/plan/indicators/{ind}/edit/",
    ):
        assert plan.url("/n/{net}/partnerships/{p}" + template) in page, template


def test_researchers_see_codes_instead_of_member_names(plan):
    page = _text(client_of(plan.pw.nw.user(Role.RESEARCHER)).get(plan.url("/n/{net}/partnerships/{p}/plan/")))
    network = plan.pw.nw.network.pk
    assert (
        pseudonym(network, plan.pw.nw.school.pk) in page and pseudonym(network, plan.pw.school_b.pk) in page
    )
    assert "Second School" not in page and "a School" not in page


def test_empty_plan_says_so(world):
    pw = build_partnership_world(world.a)
    partnership = propose(pw, name="Empty")
    page = _text(client_of(pw.leader_a).get(f"/n/a/partnerships/{partnership.pk}/plan/"))
    assert 'id="no-goals"' in page and "export.xlsx" not in page
    # Adding an activity first leads to adding a goal.
    response = client_of(pw.leader_a).get(f"/n/a/partnerships/{partnership.pk}/plan/activities/new/")
    assert response.status_code == 302 and response["Location"].endswith("/plan/goals/new/")


def test_goals_are_paginated(plan):
    for n in range(30):
        svc.goal_create(
            actor=plan.pw.leader_a,
            partnership=plan.partnership,
            values={"title": f"Goal number {n}", "motive": "policy", "horizon": "medium"},
        )
    client = client_of(plan.pw.leader_a)
    first = _text(client.get(plan.url("/n/{net}/partnerships/{p}/plan/")))
    second = _text(client.get(plan.url("/n/{net}/partnerships/{p}/plan/?page=2")))
    assert "Page 1 of 2" in first and "Read fluently" in first and "A shared reading culture" not in first
    assert "A shared reading culture" in second  # long term comes last


# --- creating and editing through the pages -------------------------------------------------------------


def test_create_goal_activity_and_indicator(plan):
    client = client_of(plan.coordinator)
    base = plan.url("/n/{net}/partnerships/{p}/plan/")
    response = client.post(
        base + "goals/new/",
        {
            "title": "Teachers learn together",
            "description": "Half-termly.",
            "motive": "teaching_quality",
            "horizon": "medium",
            "aim": "",
        },
    )
    goal = Goal.objects.get(title="Teachers learn together")
    assert response.status_code == 302 and response["Location"] == f"{base}#goal-{goal.pk}"
    assert goal.horizon == "medium" and goal.aim == "" and goal.partnership == plan.partnership

    owner = plan.partnership.members.get(organisation=plan.pw.school_b)
    response = client.post(
        base + "activities/new/",
        {
            "goal": goal.pk,
            "title": "Joint council",
            "kind": "joint_council",
            "owner": owner.pk,
            "starts_on": "2025-09-01",
            "ends_on": "2025-09-01",
            "status": "planned",
            "participants": ["teachers", "leaders"],
            "notes": "",
        },
    )
    activity = PlanActivity.objects.get(title="Joint council")
    assert response.status_code == 302
    assert (
        activity.goal == goal and activity.owner == owner and activity.participants == ["teachers", "leaders"]
    )

    response = client.post(
        base + f"goals/{goal.pk}/indicators/new/",
        {
            "indicator": plan.indicator.pk,
            "organisation": plan.pw.school_b.pk,
            "baseline": "40.5",
            "baseline_year": 2024,
            "target": "50",
            "target_year": 2027,
        },
    )
    target = PlanIndicator.objects.get(goal=goal)
    assert response.status_code == 302
    assert (target.organisation, target.baseline, target.target_year) == (plan.pw.school_b, 40.5, 2027)

    # Editing shows the stored values and saves changes.
    form = client.get(base + f"activities/{activity.pk}/edit/").content.decode()
    assert 'value="2025-09-01"' in form and 'value="leaders" checked' in form
    response = client.post(
        base + f"activities/{activity.pk}/edit/",
        {
            "goal": goal.pk,
            "title": "Joint council",
            "kind": "joint_council",
            "starts_on": "2025-09-01",
            "status": "done",
            "participants": ["teachers"],
        },
    )
    activity.refresh_from_db()
    assert response.status_code == 302 and activity.status == "done" and activity.owner is None


@pytest.mark.parametrize(
    ("template", "data", "field", "message"),
    [
        (
            "activities/new/",
            {
                "goal": "{goal}",
                "title": "Visit",
                "kind": "visits_observations",
                "starts_on": "2025-05-02",
                "ends_on": "2025-05-01",
                "status": "planned",
            },
            "ends_on",
            "The activity ends before it starts.",
        ),
        (
            "activities/new/",
            {
                "goal": "{goal}",
                "title": "Visit",
                "kind": "teleportation",
                "starts_on": "2025-05-02",
                "status": "planned",
            },
            "kind",
            "Select a valid choice.",
        ),
        (
            "activities/new/",
            {
                "goal": "{goal}",
                "title": "",
                "kind": "visits_observations",
                "starts_on": "",
                "status": "planned",
            },
            "starts_on",
            "This field is required.",
        ),
        (
            "goals/{goal}/indicators/new/",
            {
                "indicator": "{indicator}",
                "baseline": "1",
                "baseline_year": "2025",
                "target": "2",
                "target_year": "2024",
            },
            "target_year",
            "The target year is before the baseline year.",
        ),
        (
            "goals/new/",
            {"title": "x", "motive": "greed", "horizon": "short"},
            "motive",
            "Select a valid choice.",
        ),
    ],
)
def test_validation_messages_name_the_field(plan, template, data, field, message):
    client = client_of(plan.pw.leader_a)
    url = plan.url("/n/{net}/partnerships/{p}/plan/" + template)
    data = {k: val.format(goal=plan.goal.pk, indicator=plan.indicator.pk) for k, val in data.items()}
    before = (PlanActivity.objects.count(), PlanIndicator.objects.count(), Goal.objects.count())
    response = client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    error = re.search(rf'id="id_{field}_error">(.*?)</div></div>', page, re.S)
    assert error and message in error.group(1), page[:2000]
    assert (PlanActivity.objects.count(), PlanIndicator.objects.count(), Goal.objects.count()) == before


def test_indicator_choices_are_the_networks_and_the_member_schools(plan, world):
    Indicator.objects.create(network=world.b.network, code="b", name="Network B indicator")
    page = (
        client_of(plan.pw.leader_a)
        .get(plan.url("/n/{net}/partnerships/{p}/plan/goals/{goal}/indicators/new/"))
        .content.decode()
    )
    assert "Reading score" in page and "Network B indicator" not in page
    assert "Second School" in page and "Outsider School" not in page and plan.pw.nw.partner.name not in page


def test_an_outsider_school_is_refused_for_an_indicator(plan):
    response = client_of(plan.pw.leader_a).post(
        plan.url("/n/{net}/partnerships/{p}/plan/goals/{goal}/indicators/new/"),
        {
            "indicator": plan.indicator.pk,
            "organisation": plan.pw.outsider_school.pk,
            "baseline": 1,
            "baseline_year": 2024,
            "target": 2,
            "target_year": 2025,
        },
    )
    assert response.status_code == 200 and 'id="id_organisation_error"' in response.content.decode()


def test_ended_partnership_cannot_be_changed(plan):
    Partnership.objects.filter(pk=plan.partnership.pk).update(state=v.State.ENDED)
    client = client_of(plan.pw.leader_a)
    page = client.get(plan.url("/n/{net}/partnerships/{p}/plan/")).content.decode()
    assert 'id="ended-note"' in page and "/plan/goals/new/" not in page
    response = client.post(
        plan.url("/n/{net}/partnerships/{p}/plan/goals/new/"),
        {"title": "Late", "motive": "policy", "horizon": "short"},
    )
    assert (
        response.status_code == 200 and "An ended partnership cannot be changed." in response.content.decode()
    )
    assert not Goal.objects.filter(title="Late").exists()


# --- export ---------------------------------------------------------------------------------------------


def test_plan_xlsx(plan):
    response = client_of(plan.pw.nw.user(Role.TEACHER)).get(
        plan.url("/n/{net}/partnerships/{p}/plan/export.xlsx")
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Goals", "Activities", "Indicators"]
    goals = list(book["Goals"].values)
    assert goals[0][:5] == ("goal_id", "title", "description", "motive", "motive_label")
    assert [row[1] for row in goals[1:]] == ["Read fluently", "A shared reading culture"]
    assert goals[1][3:7] == ("students", "Students", "short", "Short term (up to a year)")
    header, *rows = book["Activities"].iter_rows(values_only=True)
    activities = [dict(zip(header, row, strict=True)) for row in rows]
    assert len(activities) == 1
    row = activities[0]
    assert row["title"] == "Joint reading lessons" and row["goal"] == "Read fluently"
    assert row["kind"] == "joint_lessons" and row["kind_label"] == "Joint lessons for pupils"
    assert row["starts_on"].date() == dt.date(2025, 2, 3) and row["ends_on"].date() == dt.date(2025, 6, 27)
    assert row["participants"] == "teachers;pupils" and row["owner"] == plan.pw.nw.school.name
    indicators = list(book["Indicators"].values)
    assert indicators[0][3:8] == ("indicator_code", "indicator", "unit", "scope", "school")
    assert {(r[3], r[6], r[7]) for r in indicators[1:]} == {
        ("reading", "member_schools", None),
        ("reading", "school", plan.pw.nw.school.name),
    }


def test_plan_csv_and_pseudonyms_for_researchers(plan):
    response = client_of(plan.pw.nw.user(Role.RESEARCHER)).get(
        plan.url("/n/{net}/partnerships/{p}/plan/export.csv")
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    row = rows[0]
    assert (
        row["goal"] == "Read fluently" and row["goal_horizon"] == "short" and row["goal_motive"] == "students"
    )
    assert (
        row["title"] == "Joint reading lessons"
        and row["starts_on"] == "2025-02-03"
        and row["ends_on"] == "2025-06-27"
    )
    assert row["owner"] == pseudonym(plan.pw.nw.network.pk, plan.pw.nw.school.pk)
    assert plan.pw.nw.school.name not in response.content.decode()
    book = load_workbook(
        io.BytesIO(
            client_of(plan.pw.nw.user(Role.RESEARCHER))
            .get(plan.url("/n/{net}/partnerships/{p}/plan/export.xlsx"))
            .content
        )
    )
    assert plan.pw.nw.school.name not in {c for r in book["Indicators"].values for c in r}


def test_export_keeps_formulas_as_text(plan):
    svc.goal_update(actor=plan.pw.leader_a, goal=plan.goal, values={"title": '=HYPERLINK("http://x")'})
    client = client_of(plan.pw.leader_a)
    book = load_workbook(
        io.BytesIO(client.get(plan.url("/n/{net}/partnerships/{p}/plan/export.xlsx")).content)
    )
    cell = book["Goals"]["B2"]
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s"
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(plan.url("/n/{net}/partnerships/{p}/plan/export.csv")).content.decode())
        )
    )
    assert rows[0]["goal"].startswith("'=")


def test_timeline_svg(plan):
    response = client_of(plan.pw.nw.user(Role.TEACHER)).get(
        plan.url("/n/{net}/partnerships/{p}/plan/timeline.svg")
    )
    assert response["Content-Type"].startswith("image/svg+xml")
    svg = response.content.decode()
    root = ET.fromstring(svg)  # noqa: S314 -- our own output
    assert root.get("role") == "img"
    assert "Joint reading lessons" in svg and "Read fluently" in svg and "In progress" in svg


def test_pages_read_in_a_fixed_number_of_queries(plan):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_of(plan.pw.leader_a)
    urls = [plan.url("/n/{net}/partnerships/{p}/plan/"), plan.url("/n/{net}/partnerships/{p}/maturity/")]

    def counts() -> list[int]:
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    counts()  # the first request of a session also stores the session
    before = counts()
    owner = plan.partnership.members.first()
    for n in range(4):
        goal = svc.goal_create(
            actor=plan.pw.leader_a,
            partnership=plan.partnership,
            values={"title": f"Goal {n}", "motive": "policy", "horizon": ["short", "medium", "long"][n % 3]},
        )
        for m in range(2):
            activity = svc.activity_create(
                actor=plan.pw.leader_a,
                partnership=plan.partnership,
                values={
                    "goal": goal,
                    "title": f"A{n}.{m}",
                    "kind": "joint_council",
                    "owner": owner,
                    "starts_on": TODAY,
                },
            )
        svc.plan_indicator_create(
            actor=plan.pw.leader_a,
            goal=goal,
            values={
                "indicator": plan.indicator,
                "baseline": 1,
                "baseline_year": 2024,
                "target": 2,
                "target_year": 2025,
            },
        )
        svc.assessment_create(
            actor=plan.pw.leader_a,
            partnership=plan.partnership,
            values={"assessed_on": TODAY, "level": 2},
            activities=[activity],
            files=[svc.Upload(f"f{n}.txt", "text/plain", b"x")],
        )
    assert counts() == before
