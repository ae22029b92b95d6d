"""The maturity page: the suggestion from the record in words, assessments with evidence, the trajectory."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from interschool.algorithms import continuum
from interschool.core.models import Role, User
from interschool.partnerships import vocabularies as v
from interschool.partnerships import wording
from interschool.partnerships.models import Assessment, EvidenceFile, Partnership, PlanActivity
from interschool.partnerships.services import plan as svc
from interschool.partnerships.tests.factories import PartnershipWorld, build_partnership_world, propose


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def pw(world) -> PartnershipWorld:
    return build_partnership_world(world.a)


@pytest.fixture
def partnership(pw) -> Partnership:
    return propose(pw)


def _goal(pw: PartnershipWorld, partnership: Partnership) -> Any:
    return svc.goal_create(
        actor=pw.leader_a,
        partnership=partnership,
        values={"title": "Teach together", "motive": "teaching_quality", "horizon": "short"},
    )


def _activities(
    pw: PartnershipWorld, partnership: Partnership, participants: list[str]
) -> list[PlanActivity]:
    """Three planned activities spread over 70 days before today: at least two calendar months."""
    goal = _goal(pw, partnership)
    today = timezone.localdate()
    return [
        svc.activity_create(
            actor=pw.leader_a,
            partnership=partnership,
            values={
                "goal": goal,
                "title": f"Professional development {n}",
                "kind": v.ActivityType.JOINT_PROFESSIONAL_DEVELOPMENT,
                "starts_on": today - dt.timedelta(days=days),
                "status": v.ActivityStatus.PLANNED,
                "participants": participants,
            },
        )
        for n, days in enumerate((80, 45, 10), start=1)
    ]


def _suggested(client: Client, partnership: Partnership) -> tuple[int, str]:
    page = text_of(client.get(f"/n/a/partnerships/{partnership.pk}/maturity/"))
    match = re.search(r'id="suggested-level" data-level="(\d)">([^<]*)<', page)
    assert match, page[:3000]
    return int(match.group(1)), page


def _mark_done(client: Client, partnership: Partnership, activity: PlanActivity) -> None:
    url = f"/n/a/partnerships/{partnership.pk}/plan/activities/{activity.pk}/edit/"
    data = {
        "goal": activity.goal_id,
        "title": activity.title,
        "kind": activity.kind,
        "starts_on": activity.starts_on.isoformat(),
        "status": "done",
        "participants": activity.participants,
    }
    assert client.post(url, data).status_code == 302


def test_suggestion_climbs_as_activities_are_done(pw, partnership):
    activities = _activities(pw, partnership, ["teachers"])
    client = client_of(pw.leader_a)
    level, page = _suggested(client, partnership)
    assert level == 1 and "Level 1: Isolated" in page
    assert "No activity has taken place in the period yet." in page  # what level 2 needs

    _mark_done(client, partnership, activities[0])
    level, page = _suggested(client, partnership)
    assert level == 2 and "Limited partnership" in page
    assert "What level 3 (Low-frequency partnership) still needs" in page
    assert "1 of the 3 activities needed took place." in page
    assert "Activities took place in 1 of the 2 months needed." in page

    for activity in activities[1:]:
        _mark_done(client, partnership, activity)
    level, page = _suggested(client, partnership)
    assert level == 3 and "Low-frequency partnership" in page
    assert "Teachers took part." in page
    assert "3 activities took place (at least 3 are needed)." in page
    assert "Pupils took part in 0 of the 3 months needed." in page  # what level 4 needs


def test_without_teachers_the_same_record_stays_at_level_2(pw, partnership):
    activities = _activities(pw, partnership, ["pupils"])
    client = client_of(pw.leader_a)
    for activity in activities:
        _mark_done(client, partnership, activity)
    level, page = _suggested(client, partnership)
    assert level == 2
    missing = re.search(r'id="suggestion-missing">(.*?)</ul>', page).group(1)
    assert missing == "<li>Teachers have not taken part yet.</li>"


def test_create_an_assessment_with_evidence(pw, partnership):
    activities = _activities(pw, partnership, ["teachers"])
    client = client_of(pw.leader_a)
    for activity in activities:
        _mark_done(client, partnership, activity)
    today = timezone.localdate()
    form = client.get(f"/n/a/partnerships/{partnership.pk}/maturity/new/").content.decode()
    assert "The record suggests level 3 (Low-frequency partnership) today." in form
    response = client.post(
        f"/n/a/partnerships/{partnership.pk}/maturity/new/",
        {
            "assessed_on": today.isoformat(),
            "level": "2",
            "evidence": "Meetings are still irregular.",
            "links": "https://example.org/minutes\n\n  http://example.org/photos  ",
            "activities": [str(activities[0].pk), str(activities[2].pk)],
            "files": [
                SimpleUploadedFile("minutes.txt", b"We met.", content_type="text/plain"),
                SimpleUploadedFile("scores.csv", b"a,b\n1,2\n", content_type="text/csv"),
            ],
        },
    )
    assert (
        response.status_code == 302
        and response["Location"] == f"/n/a/partnerships/{partnership.pk}/maturity/"
    )
    assessment = Assessment.objects.get(partnership=partnership)
    assert (assessment.level, assessment.suggested_level) == (2, 3)
    assert assessment.links == ["https://example.org/minutes", "http://example.org/photos"]
    assert set(assessment.activities.all()) == {activities[0], activities[2]}
    assert sorted(f.name for f in assessment.files.all()) == ["minutes.txt", "scores.csv"]
    assert assessment.assessed_by == pw.leader_a

    page = text_of(client.get(f"/n/a/partnerships/{partnership.pk}/maturity/"))
    card = page[page.index(f'id="assessment-{assessment.pk}"') :]
    assert 'class="col-sm-9 assessed-level" data-level="2">2 · Limited partnership' in card
    assert 'class="col-sm-9 suggested-level" data-level="3">3 · Low-frequency partnership' in card
    assert "Meetings are still irregular." in card and 'href="https://example.org/minutes"' in card
    assert "Professional development 1" in card and "Professional development 2" not in card
    minutes = assessment.files.get(name="minutes.txt")
    assert f"/maturity/{assessment.pk}/files/{minutes.pk}" in card
    assert pw.leader_a.full_name in card
    # The trajectory shows both series at the assessment's date.
    svg = page[page.index('<svg xmlns="http://www.w3.org/2000/svg"') : page.index("</svg>") + 6]
    assert f'class="point assessed" data-on="{today.isoformat()}" data-level="2"' in svg
    assert f'class="point suggested" data-on="{today.isoformat()}" data-level="3"' in svg


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"assessed_on": "2999-01-01"}, "assessed_on", "An assessment cannot be dated in the future."),
        (
            {"links": "ftp://example.org/x"},
            "links",
            "Links must be web addresses starting with http:// or https://.",
        ),
        ({"level": "7"}, "level", "Select a valid choice."),
        (
            {"files": [SimpleUploadedFile("tool.exe", b"MZ", content_type="application/x-msdownload")]},
            "files",
            "tool.exe: files of type application/x-msdownload are not accepted.",
        ),
    ],
)
def test_assessment_errors_name_the_field(pw, partnership, change, field, message):
    data = {
        "assessed_on": timezone.localdate().isoformat(),
        "level": "2",
        "evidence": "",
        "links": "",
    } | change
    response = client_of(pw.leader_a).post(f"/n/a/partnerships/{partnership.pk}/maturity/new/", data)
    assert response.status_code == 200
    error = re.search(rf'id="id_{field}_error">(.*?)</div></div>', response.content.decode(), re.S)
    assert error and message in error.group(1)
    assert not Assessment.objects.exists() and not EvidenceFile.objects.exists()


def test_an_activity_of_another_partnership_is_not_offered(pw, partnership):
    other = propose(pw, name="Other")
    foreign = _activities(pw, other, ["teachers"])[0]
    response = client_of(pw.leader_a).post(
        f"/n/a/partnerships/{partnership.pk}/maturity/new/",
        {"assessed_on": timezone.localdate().isoformat(), "level": "1", "activities": [str(foreign.pk)]},
    )
    assert response.status_code == 200 and 'id="id_activities_error"' in response.content.decode()
    assert not Assessment.objects.exists()


@pytest.fixture
def assessed(pw, partnership) -> Assessment:
    return svc.assessment_create(
        actor=pw.leader_a,
        partnership=partnership,
        values={"assessed_on": dt.date(2025, 3, 1), "level": 1, "evidence": "First look."},
        files=[svc.Upload('<b>report</b> "final".pdf', "application/pdf", b"%PDF-1.4 test")],
    )


def test_edit_an_assessment_and_its_files(pw, partnership, assessed):
    client = client_of(pw.leader_a)
    url = f"/n/a/partnerships/{partnership.pk}/maturity/{assessed.pk}/edit/"
    form = client.get(url).content.decode()
    assert 'value="2025-03-01"' in form and "First look." in form and 'id="attached-files"' in form
    response = client.post(
        url,
        {
            "assessed_on": "2025-03-01",
            "level": "3",
            "evidence": "Looked again.",
            "links": "https://example.org/x",
            "files": [SimpleUploadedFile("photo.png", b"\x89PNG", content_type="image/png")],
        },
    )
    assert response.status_code == 302
    assessed.refresh_from_db()
    assert (assessed.level, assessed.evidence, assessed.links) == (
        3,
        "Looked again.",
        ["https://example.org/x"],
    )
    assert assessed.files.count() == 2
    old = assessed.files.get(content_type="application/pdf")
    delete = f"/n/a/partnerships/{partnership.pk}/maturity/{assessed.pk}/files/{old.pk}/delete/"
    assert "Delete the evidence file" in client.get(delete).content.decode()
    assert client.post(delete).status_code == 302
    assert list(assessed.files.values_list("name", flat=True)) == ["photo.png"]


def test_evidence_file_download(pw, partnership, assessed, world):
    file = assessed.files.get()
    url = f"/n/a/partnerships/{partnership.pk}/maturity/{assessed.pk}/files/{file.pk}"
    response = client_of(pw.nw.user(Role.TEACHER)).get(url)
    assert response.status_code == 200 and response.content == b"%PDF-1.4 test"
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'attachment; filename="<b>report</b> \\"final\\".pdf"'
    # A file under another assessment's address is not found.
    other = svc.assessment_create(
        actor=pw.leader_a, partnership=partnership, values={"assessed_on": dt.date(2025, 4, 1), "level": 1}
    )
    wrong = f"/n/a/partnerships/{partnership.pk}/maturity/{other.pk}/files/{file.pk}"
    assert client_of(pw.leader_a).get(wrong).status_code == 404
    assert client_of(pw.outsider_leader).get(url).status_code == 403
    assert client_of(world.b.user(Role.ADMIN)).get(url).status_code == 404


def test_researchers_do_not_see_who_assessed(pw, partnership, assessed):
    page = text_of(
        client_of(pw.nw.user(Role.RESEARCHER)).get(f"/n/a/partnerships/{partnership.pk}/maturity/")
    )
    assert "First look." in page and 'id="pseudonymised-note"' in page
    assert "assessed-by" not in page and pw.leader_a.full_name not in page
    page = text_of(client_of(pw.nw.user(Role.TEACHER)).get(f"/n/a/partnerships/{partnership.pk}/maturity/"))
    assert pw.leader_a.full_name in page and "/maturity/new/" not in page


def test_empty_maturity_page(pw, partnership):
    page = text_of(client_of(pw.leader_a).get(f"/n/a/partnerships/{partnership.pk}/maturity/"))
    assert 'id="no-assessments"' in page and 'id="add-assessment"' in page
    assert 'data-level="1">Level 1: Isolated' in page


def test_assessments_are_paginated_newest_first(pw, partnership):
    for day in range(1, 28):
        svc.assessment_create(
            actor=pw.leader_a,
            partnership=partnership,
            values={"assessed_on": dt.date(2025, 2, day), "level": 1},
        )
    client = client_of(pw.leader_a)
    first = text_of(client.get(f"/n/a/partnerships/{partnership.pk}/maturity/"))
    second = text_of(client.get(f"/n/a/partnerships/{partnership.pk}/maturity/?page=2"))
    assert (
        "Page 1 of 2" in first and 'datetime="2025-02-27"' in first and 'datetime="2025-02-01"' not in first
    )
    assert 'datetime="2025-02-01"' in second
    # The chart still shows every assessment.
    assert first.count('class="point assessed"') == 27


def test_delete_an_assessment(pw, partnership, assessed):
    client = client_of(pw.leader_a)
    url = f"/n/a/partnerships/{partnership.pk}/maturity/{assessed.pk}/delete/"
    assert "Delete the assessment of" in client.get(url).content.decode()
    assert Assessment.objects.filter(pk=assessed.pk).exists()
    assert client.post(url).status_code == 302
    assert not Assessment.objects.filter(pk=assessed.pk).exists() and not EvidenceFile.objects.exists()


def test_trajectory_svg(pw, partnership, assessed):
    response = client_of(pw.nw.user(Role.EXTERNAL_PARTNER)).get(
        f"/n/a/partnerships/{partnership.pk}/maturity/trajectory.svg"
    )
    assert response["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(response.content)  # noqa: S314 -- our own output
    ns = {"svg": "http://www.w3.org/2000/svg"}
    points = {(g.get("class"), g.get("data-on")) for g in root.iterfind(".//svg:g[@data-on]", ns)}
    today = timezone.localdate().isoformat()
    assert points == {
        ("point assessed", "2025-03-01"),
        ("point suggested", "2025-03-01"),
        ("point suggested", today),
    }


# --- wording ---------------------------------------------------------------------------------------------


def _every_reason() -> list[continuum.Reason]:
    """Every reason ``continuum._conditions`` can produce, met and not met."""
    features = continuum.Features(
        activities=2,
        active_months=1,
        teachers=False,
        leaders=True,
        authority=False,
        pupil_months=2,
        forum_months=0,
        knowledge=1,
        resource_kinds=1,
        first_day=dt.date(2025, 1, 1),
        last_day=dt.date(2025, 12, 31),
    )
    reasons = []
    lenient = continuum.Thresholds(**dict.fromkeys(vars(continuum.Thresholds()), 1))
    flipped = dataclasses.replace(features, teachers=True, leaders=False, authority=True, forum_months=3)
    for thresholds in (continuum.Thresholds(), lenient):
        for flip in (features, flipped):
            for level_reasons in continuum._conditions(flip, thresholds).values():
                reasons.extend(level_reasons)
    return reasons


def test_wording_covers_every_reason_code():
    reasons = _every_reason()
    codes = {r.code for r in reasons}
    assert codes == set(wording.SENTENCES)
    assert {(r.code, r.met) for r in reasons} == {(code, met) for code in codes for met in (True, False)}
    for reason in reasons:
        stored = {
            "level": reason.level,
            "code": reason.code,
            "met": reason.met,
            "numbers": dict(reason.numbers),
        }
        sentence = wording.reason_sentence(stored)
        assert sentence and "Condition" not in sentence, stored
        if "count" in reason.numbers and not (reason.code == "activities" and reason.numbers["count"] == 0):
            assert str(reason.numbers["count"]) in sentence and str(reason.numbers["needed"]) in sentence, (
                sentence
            )


def test_wording_examples():
    assert (
        wording.reason_sentence({"code": "pupil_months", "met": False, "numbers": {"count": 2, "needed": 3}})
        == "Pupils took part in 2 of the 3 months needed."
    )
    assert (
        wording.reason_sentence({"code": "authority", "met": True, "numbers": {}})
        == "The authority took part."
    )
    assert wording.reason_sentence({"code": "teachers", "met": False}) == "Teachers have not taken part yet."
    # A code from an older record still reads as a sentence.
    assert wording.reason_sentence(
        {"code": "mystery", "met": False, "numbers": {"count": 1, "needed": 4}}
    ) == ("Condition “mystery”: 1 of 4.")


def test_explain_words_a_stored_suggestion():
    record = [
        continuum.Activity(
            dt.date(2025, m, 10), "joint_lessons", frozenset({"teachers", "pupils", "leaders"})
        )
        for m in range(1, 11)
    ] + [
        continuum.Activity(dt.date(2025, m, 12), "joint_council", frozenset({"teachers"}))
        for m in range(1, 5)
    ]
    from interschool.partnerships.record import suggestion_as_json

    suggestion = continuum.suggest_level(record, as_of=dt.date(2025, 12, 31))
    explanation = wording.explain(suggestion_as_json(suggestion))
    assert explanation.level == 4 and explanation.label == "Sustained, regular collaboration"
    assert explanation.next_level == 5 and explanation.next_label == "Culture of collegiality"
    # Each condition once, as the highest level met asks it.
    assert "Activities took place in 10 months (at least 6 months are needed)." in explanation.met
    assert not any(
        "at least 2 months are needed" in s and s.startswith("Activities") for s in explanation.met
    )
    assert explanation.missing == [
        "0 of the 2 activities producing or sharing joint knowledge needed took place."
    ]
    assert "2025" in explanation.period
    top = wording.explain({"level": 6, "reasons": [], "missing": []})
    assert top.next_level is None and top.label == "Symbiotic partnership"


def test_an_edit_cannot_date_an_assessment_in_the_future(pw, partnership, assessed):
    response = client_of(pw.leader_a).post(
        f"/n/a/partnerships/{partnership.pk}/maturity/{assessed.pk}/edit/",
        {"assessed_on": "2999-01-01", "level": "1"},
    )
    assert response.status_code == 200 and 'id="id_assessed_on_error"' in response.content.decode()
    assessed.refresh_from_db()
    assert assessed.assessed_on == dt.date(2025, 3, 1)


def test_changing_the_date_recomputes_the_suggestion(pw, partnership, assessed):
    activities = _activities(pw, partnership, ["teachers"])
    for activity in activities:
        svc.activity_update(actor=pw.leader_a, activity=activity, values={"status": "done"})
    today = timezone.localdate()
    response = client_of(pw.leader_a).post(
        f"/n/a/partnerships/{partnership.pk}/maturity/{assessed.pk}/edit/",
        {"assessed_on": today.isoformat(), "level": "3"},
    )
    assert response.status_code == 302
    assessed.refresh_from_db()
    assert assessed.suggested_level == 3 and assessed.suggestion["level"] == 3
