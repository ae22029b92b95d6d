"""The facilitators and barriers log and the network barriers page, for every role; counts on a fixed log."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from interschool.core.models import Role
from interschool.core.views.common import add_service_errors
from interschool.partnerships import vocabularies as v
from interschool.partnerships.factor_forms import FactorForm
from interschool.partnerships.models import Factor, Partnership
from interschool.partnerships.services import partnerships as lifecycle
from interschool.partnerships.services import plan
from interschool.partnerships.tests.factories import PartnershipWorld, build_partnership_world, proposal_for
from interschool.registry.access import pseudonym

ALL = set(Role.values)
# The partnership of ``build_partnership_world``: world A's school and a second school, with the museum.
# Its leader edits; teacher, museum staff and researcher read; the coordinator of no member sees a summary.
READERS = {Role.ADMIN, Role.SCHOOL_LEADER, Role.TEACHER, Role.EXTERNAL_PARTNER, Role.RESEARCHER}
EDITORS = {Role.ADMIN, Role.SCHOOL_LEADER}
DAY = dt.date(2025, 3, 1)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _partnership(pw: PartnershipWorld, name: str, model: str) -> Partnership:
    proposal = proposal_for(pw, name=name)
    proposal.model = model
    return lifecycle.partnership_propose(actor=pw.leader_a, network=pw.nw.network, proposal=proposal)


def _member(partnership: Partnership, organisation: Any) -> Any:
    return partnership.members.get(organisation=organisation)


def _log(partnership: Partnership, kind: str, code: str, days: int = 0, **values: Any) -> Factor:
    return plan.factor_create(
        actor="test",
        partnership=partnership,
        values={"kind": kind, "code": code, "logged_on": DAY + dt.timedelta(days=days), **values},
    )


def _barrier(partnership: Partnership, code: str, days: int = 0, **values: Any) -> Factor:
    return _log(partnership, v.FactorKind.BARRIER, code, days, **values)


def _facilitator(partnership: Partnership, code: str) -> Factor:
    return _log(partnership, v.FactorKind.FACILITATOR, code)


@dataclass
class Log:
    """Three partnerships of network A with a hand-made log, and one of network B.

    ``reading`` (high-low federation, proposed), ``science`` (subject hub, proposed) and ``old`` (high-low
    federation, ended after its entries were logged). Numbers the tests expect are written in the tests.
    """

    pw: PartnershipWorld
    reading: Partnership
    science: Partnership
    old: Partnership
    foreign: Partnership
    reading_workload: Factor

    @property
    def slug(self) -> str:
        return str(self.pw.nw.network.slug)

    def url(self, template: str) -> str:
        factor = self.reading_workload
        return template.format(net=self.slug, p=self.reading.pk, f=factor.pk)


@pytest.fixture
def log(world) -> Log:
    pw = build_partnership_world(world.a)
    reading = _partnership(pw, "Reading together", v.Model.HIGH_LOW_FEDERATION)
    science = _partnership(pw, "Science hub", v.Model.SUBJECT_HUB)
    old = _partnership(pw, "Old exchange", v.Model.HIGH_LOW_FEDERATION)
    severity = v.Severity
    status = v.FactorStatus
    reading_workload = _barrier(
        reading,
        "workload",
        days=0,
        severity=severity.HIGH,
        mitigation="Cover lessons by the partner",
        owner=_member(reading, pw.school_b),
        description="Teachers cannot leave class",
    )
    _barrier(reading, "competition", days=1, status=status.RESOLVED, mitigation="Agreed intake rules")
    _barrier(
        reading,
        "lack_of_funds",
        days=2,
        severity=severity.LOW,
        status=status.MITIGATING,
        mitigation="Grant bid",
    )
    _facilitator(reading, "shared_vision")
    _facilitator(reading, "mutual_trust")
    _barrier(science, "workload", days=3, status=status.MITIGATING, mitigation="Shared timetable")
    _barrier(science, "workload", days=4)  # a second entry of the same barrier, without mitigation
    _barrier(science, "no_shared_vision", days=5)
    _facilitator(science, "shared_vision")
    _barrier(old, "workload", days=6, severity=severity.HIGH, mitigation="Staff rota")
    _barrier(old, "power_relations", days=7, mitigation="Rotating chair")
    _barrier(old, "unclear_roles", days=8)
    _facilitator(old, "funding")
    lifecycle.partnership_transition(
        actor=world.a.user(Role.ADMIN), partnership=old, to=v.State.ENDED, note="Done"
    )
    pw_b = build_partnership_world(world.b)
    foreign = _partnership(pw_b, "Foreign pair", v.Model.HIGH_LOW_FEDERATION)
    _barrier(foreign, "workload", mitigation="Foreign mitigation", severity=severity.HIGH)
    _facilitator(foreign, "shared_vision")
    return Log(pw, reading, science, old, foreign, reading_workload)


def _counts(html: str, table: str) -> dict[str, tuple[int, ...]]:
    """code → the numbers of a count table (partnerships, then entries still open if shown)."""
    section = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-code="([a-z_]+)">(.*?)</tr>', section, re.S)
    return {
        code: tuple(int(n) for n in re.findall(r'data-count="[a-z]+">(\d+)<', cells)) for code, cells in rows
    }


def _section(html: str, element_id: str, end: str = "</table>") -> str:
    return html.split(f'id="{element_id}"', 1)[1].split(end, 1)[0]


# --- every view for every role -------------------------------------------------------------------------


@dataclass
class Pages:
    """One partnership of network A with one barrier entry: the addresses of every view."""

    pw: PartnershipWorld
    reading: Partnership
    reading_workload: Factor

    @property
    def slug(self) -> str:
        return str(self.pw.nw.network.slug)

    def url(self, template: str) -> str:
        return template.format(net=self.slug, p=self.reading.pk, f=self.reading_workload.pk)


@pytest.fixture
def pages(world) -> Pages:
    pw = build_partnership_world(world.a)
    reading = _partnership(pw, "Reading together", v.Model.HIGH_LOW_FEDERATION)
    entry = _barrier(reading, "workload", mitigation="Cover lessons", owner=_member(reading, pw.school_b))
    return Pages(pw, reading, entry)


PAGES = [
    ("log", "/n/{net}/partnerships/{p}/factors/", READERS),
    ("log filtered", "/n/{net}/partnerships/{p}/factors/?kind=barrier&status=open&page=1", READERS),
    ("new", "/n/{net}/partnerships/{p}/factors/new/?kind=barrier", EDITORS),
    ("codes", "/n/{net}/partnerships/{p}/factors/codes/?kind=facilitator", EDITORS),
    ("edit", "/n/{net}/partnerships/{p}/factors/{f}/", EDITORS),
    ("delete", "/n/{net}/partnerships/{p}/factors/{f}/delete/", EDITORS),
    ("barriers", "/n/{net}/partnerships/barriers/", ALL),
    (
        "barriers filtered",
        "/n/{net}/partnerships/barriers/?state=proposed&model=subject_hub&sort=logged_on",
        ALL,
    ),
    ("barriers csv", "/n/{net}/partnerships/barriers/?export=csv", ALL),
]

NEW_ENTRY = {
    "kind": "facilitator",
    "code": "collegiality",
    "description": "",
    "severity": "low",
    "mitigation": "",
    "owner": "",
    "status": "open",
    "logged_on": "2025-04-01",
    "resolved_on": "",
}
EDITED_ENTRY = NEW_ENTRY | {
    "kind": "barrier",
    "code": "workload",
    "status": "resolved",
    "mitigation": "Cover",
}
POSTS = [
    ("new", "/n/{net}/partnerships/{p}/factors/new/", NEW_ENTRY, EDITORS),
    ("edit", "/n/{net}/partnerships/{p}/factors/{f}/", EDITED_ENTRY, EDITORS),
    ("delete", "/n/{net}/partnerships/{p}/factors/{f}/delete/", {}, EDITORS),
]


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "template", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_pages_by_role(pages, role, name, template, allowed):
    response = _client(pages.pw.nw.user(role)).get(pages.url(template))
    assert response.status_code == (200 if role in allowed else 403), (name, role)


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "template", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_pages_of_another_network_are_404(pages, role, name, template, allowed, world):
    response = _client(world.b.user(role)).get(pages.url(template))
    assert response.status_code == 404, (name, role)


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "template", "data", "allowed"), POSTS, ids=[p[0] for p in POSTS])
def test_posts_by_role(pages, role, name, template, data, allowed):
    before = Factor.objects.count()
    response = _client(pages.pw.nw.user(role)).post(pages.url(template), data)
    if role in allowed:
        assert response.status_code == 302, (name, role, response.content[:800])
        assert response["Location"] == f"/n/{pages.slug}/partnerships/{pages.reading.pk}/factors/"
        expected = {"new": before + 1, "edit": before, "delete": before - 1}[name]
        assert Factor.objects.count() == expected
    else:
        assert response.status_code == 403, (name, role)
        assert Factor.objects.count() == before


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "template", "data", "allowed"), POSTS, ids=[p[0] for p in POSTS])
def test_posts_from_another_network_are_404(pages, role, name, template, data, allowed, world):
    before = list(Factor.objects.order_by("pk").values_list("pk", "code", "status"))
    response = _client(world.b.user(role)).post(pages.url(template), data)
    assert response.status_code == 404, (name, role)
    assert list(Factor.objects.order_by("pk").values_list("pk", "code", "status")) == before


@pytest.mark.parametrize("role", Role.values)
def test_network_a_objects_under_network_b_are_404(pages, role, world):
    client = _client(world.b.user(role))
    b = world.b.network.slug
    for path in (
        f"/n/{b}/partnerships/{pages.reading.pk}/factors/",
        f"/n/{b}/partnerships/{pages.reading.pk}/factors/new/",
        f"/n/{b}/partnerships/{pages.reading.pk}/factors/{pages.reading_workload.pk}/",
        f"/n/{b}/partnerships/{pages.reading.pk}/factors/{pages.reading_workload.pk}/delete/",
    ):
        assert client.get(path).status_code == 404, (path, role)


def test_network_a_entry_under_a_network_b_partnership_is_404(log, world):
    """Network B's administrator edits B's partnership, yet an entry of network A is not found there."""
    client = _client(world.b.user(Role.ADMIN))
    url = f"/n/{world.b.network.slug}/partnerships/{log.foreign.pk}/factors/{log.reading_workload.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url + "delete/").status_code == 404
    assert Factor.objects.filter(pk=log.reading_workload.pk).exists()


def test_an_entry_of_another_partnership_is_404(log):
    client = _client(log.pw.leader_a)
    science_entry = log.science.factors.first()
    assert science_entry is not None
    url = f"/n/{log.slug}/partnerships/{log.reading.pk}/factors/{science_entry.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url + "delete/").status_code == 404
    assert Factor.objects.filter(pk=science_entry.pk).exists()


# --- the log page ---------------------------------------------------------------------------------------


def test_log_lists_the_partnerships_entries_and_filters(log):
    client = _client(log.pw.nw.user(Role.TEACHER))
    html = client.get(log.url("/n/{net}/partnerships/{p}/factors/")).content.decode()
    table = _section(html, "factor-table")
    assert "Heavy workload" in table and "Cover lessons by the partner" in table
    assert "Second School" in table  # the owner, by name
    assert "Shared vision and goals" in table
    assert "Shared timetable" not in table  # another partnership's entry
    assert f'href="/n/a/partnerships/{log.reading.pk}/factors/new/' not in html  # a reader adds nothing
    html = client.get(log.url("/n/{net}/partnerships/{p}/factors/?kind=barrier&status=open")).content.decode()
    table = _section(html, "factor-table")
    assert "Heavy workload" in table
    assert "Competition between schools" not in table  # resolved
    assert "Lack of funds" not in table  # being mitigated
    assert "Shared vision and goals" not in table  # a facilitator


def test_log_empty_states(log):
    client = _client(log.pw.leader_a)
    empty = _partnership(log.pw, "New pair", v.Model.TWIN_SCHOOLS)
    html = client.get(f"/n/{log.slug}/partnerships/{empty.pk}/factors/").content.decode()
    assert 'id="empty-state"' in html and "Nothing is logged yet" in html
    assert f"/n/{log.slug}/partnerships/{empty.pk}/factors/new/?kind=barrier" in html
    html = client.get(
        log.url("/n/{net}/partnerships/{p}/factors/?status=resolved&kind=facilitator")
    ).content.decode()
    assert "No entry matches these filters." in html


def test_editors_see_the_actions(log):
    html = _client(log.pw.leader_a).get(log.url("/n/{net}/partnerships/{p}/factors/")).content.decode()
    assert log.url("/n/{net}/partnerships/{p}/factors/{f}/delete/") in html
    assert log.url("/n/{net}/partnerships/{p}/factors/{f}/") in html


def test_researcher_sees_owners_as_codes_on_the_log(log):
    html = (
        _client(log.pw.nw.user(Role.RESEARCHER))
        .get(log.url("/n/{net}/partnerships/{p}/factors/"))
        .content.decode()
    )
    table = _section(html, "factor-table")
    assert pseudonym(log.pw.nw.network.pk, log.pw.school_b.pk) in table
    assert "Second School" not in html
    assert 'id="pseudonymised-note"' in html


def test_an_ended_partnerships_log_is_read_only(log):
    client = _client(log.pw.leader_a)
    html = client.get(f"/n/{log.slug}/partnerships/{log.old.pk}/factors/").content.decode()
    assert 'id="ended-note"' in html and 'id="add-barrier"' not in html
    response = client.post(f"/n/{log.slug}/partnerships/{log.old.pk}/factors/new/", NEW_ENTRY)
    assert response.status_code == 200
    assert "An ended partnership cannot be changed." in response.content.decode()
    assert log.old.factors.count() == 4


# --- the form offers the codes of the chosen kind -------------------------------------------------------


def _options(html: str) -> set[str]:
    select = html.split('name="code"', 1)[1].split("</select>", 1)[0]
    return set(re.findall(r'<option value="([a-z_]+)"', select))


def test_form_offers_only_codes_of_the_chosen_kind(log):
    client = _client(log.pw.leader_a)
    html = client.get(log.url("/n/{net}/partnerships/{p}/factors/new/?kind=facilitator")).content.decode()
    assert _options(html) == set(v.Facilitator.values)
    html = client.get(log.url("/n/{net}/partnerships/{p}/factors/new/?kind=barrier")).content.decode()
    assert _options(html) == set(v.Barrier.values)
    assert '<optgroup label="Power and autonomy">' in html and '<optgroup label="Other obstacles">' in html
    # The menu htmx swaps in when the kind changes keeps a code that fits the new kind.
    fragment = client.get(log.url("/n/{net}/partnerships/{p}/factors/codes/?kind=facilitator&code=funding"))
    assert _options(fragment.content.decode()) == set(v.Facilitator.values)
    assert '<option value="funding" selected>' in fragment.content.decode()


def test_edit_form_offers_the_codes_of_the_entrys_kind(log):
    html = _client(log.pw.leader_a).get(log.url("/n/{net}/partnerships/{p}/factors/{f}/")).content.decode()
    assert _options(html) == set(v.Barrier.values)
    assert '<option value="workload" selected>' in html
    assert "Cover lessons by the partner" in html


def test_a_barrier_code_posted_as_a_facilitator_is_an_error_on_the_field(log):
    client = _client(log.pw.leader_a)
    response = client.post(
        log.url("/n/{net}/partnerships/{p}/factors/new/"), NEW_ENTRY | {"code": "workload"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    error = html.split('id="id_code_error"', 1)[1].split("</div></div>", 1)[0]
    assert "workload" in error
    assert _options(html) == set(v.Facilitator.values)  # the menu now offers the facilitators
    assert not log.reading.factors.filter(code="workload", kind="facilitator").exists()


def test_service_rejects_a_barrier_code_with_kind_facilitator(log):
    with pytest.raises(ValidationError) as caught:
        _facilitator(log.reading, "workload")
    assert "code" in caught.value.message_dict
    factor = log.reading_workload
    with pytest.raises(ValidationError) as caught:
        plan.factor_update(actor="test", factor=factor, values={"kind": v.FactorKind.FACILITATOR})
    assert "code" in caught.value.message_dict


def test_service_error_is_shown_next_to_the_field(log):
    """An owner from another partnership passes no menu, but the service's error names the field."""
    form = FactorForm(
        NEW_ENTRY,
        kind="facilitator",
        members=log.reading.members.all(),
        member_label=lambda member: member.organisation.name,
    )
    assert form.is_valid(), form.errors
    values = form.values() | {"owner": _member(log.science, log.pw.school_b)}
    with pytest.raises(ValidationError) as caught:
        plan.factor_create(actor="test", partnership=log.reading, values=values)
    add_service_errors(form, caught.value)
    assert form.errors["owner"] == ["The owner is not a member of this partnership."]


def test_created_entry_is_saved_as_posted(log):
    client = _client(log.pw.leader_a)
    owner = _member(log.reading, log.pw.nw.school)
    data = NEW_ENTRY | {
        "kind": "barrier",
        "code": "transport",
        "severity": "high",
        "mitigation": "Shared bus",
        "owner": str(owner.pk),
        "description": "Pupils need a bus",
    }
    assert client.post(log.url("/n/{net}/partnerships/{p}/factors/new/"), data).status_code == 302
    entry = log.reading.factors.get(code="transport")
    assert (entry.kind, entry.severity, entry.mitigation, entry.owner, entry.status, entry.logged_on) == (
        "barrier",
        "high",
        "Shared bus",
        owner,
        "open",
        dt.date(2025, 4, 1),
    )


def test_resolved_before_logged_is_refused(log):
    client = _client(log.pw.leader_a)
    response = client.post(
        log.url("/n/{net}/partnerships/{p}/factors/{f}/"),
        EDITED_ENTRY | {"logged_on": "2025-04-01", "resolved_on": "2025-03-01"},
    )
    assert response.status_code == 200
    assert "The entry is resolved before it was logged." in response.content.decode()
    log.reading_workload.refresh_from_db()
    assert log.reading_workload.status == v.FactorStatus.OPEN


def test_delete_asks_first(log):
    client = _client(log.pw.leader_a)
    html = client.get(log.url("/n/{net}/partnerships/{p}/factors/{f}/delete/")).content.decode()
    assert 'id="confirm-delete"' in html and "Heavy workload" in html
    assert Factor.objects.filter(pk=log.reading_workload.pk).exists()
    client.post(log.url("/n/{net}/partnerships/{p}/factors/{f}/delete/"))
    assert not Factor.objects.filter(pk=log.reading_workload.pk).exists()


# --- the network barriers page ------------------------------------------------------------------------


def test_barrier_counts_across_the_network(log):
    html = _client(log.pw.nw.user(Role.TEACHER)).get(f"/n/{log.slug}/partnerships/barriers/").content.decode()
    # (partnerships reporting, entries still open); network B's workload entry is not counted.
    assert _counts(html, "barrier-counts") == {
        "workload": (3, 4),
        "lack_of_funds": (1, 1),
        "no_shared_vision": (1, 1),
        "power_relations": (1, 1),
        "unclear_roles": (1, 1),
        "competition": (1, 0),
    }
    assert next(iter(_counts(html, "barrier-counts"))) == "workload"
    assert _counts(html, "barrier-groups") == {
        "power": (2, 1),
        "resources": (3, 5),
        "vision": (1, 1),
        "technical": (0, 0),
        "other": (1, 1),
    }
    assert _counts(html, "facilitator-counts") == {
        "shared_vision": (2,),
        "mutual_trust": (1,),
        "funding": (1,),
    }
    assert "What the logs of 3 partnerships report." in html


def test_barrier_counts_follow_the_filters(log):
    client = _client(log.pw.nw.user(Role.TEACHER))
    html = client.get(f"/n/{log.slug}/partnerships/barriers/?state=ended").content.decode()
    assert _counts(html, "barrier-counts") == {
        "workload": (1, 1),
        "power_relations": (1, 1),
        "unclear_roles": (1, 1),
    }
    assert _counts(html, "facilitator-counts") == {"funding": (1,)}
    mitigations = _section(html, "mitigation-table")
    assert "Staff rota" in mitigations and "Rotating chair" in mitigations
    assert "Shared timetable" not in mitigations
    html = client.get(f"/n/{log.slug}/partnerships/barriers/?model=subject_hub").content.decode()
    assert _counts(html, "barrier-counts") == {"workload": (1, 2), "no_shared_vision": (1, 1)}
    html = client.get(f"/n/{log.slug}/partnerships/barriers/?model=twin_schools").content.decode()
    assert (
        'id="barriers-empty"' in html
        and 'id="facilitators-empty"' in html
        and 'id="mitigations-empty"' in html
    )
    assert _counts(html, "barrier-groups")["resources"] == (0, 0)


def _mitigation_order(html: str) -> list[str]:
    table = _section(html, "mitigation-table")
    return re.findall(r'<td class="mitigation">(.*?)</td>', table)


def test_open_mitigations_sorted_by_severity_and_date(log):
    client = _client(log.pw.nw.user(Role.TEACHER))
    html = client.get(f"/n/{log.slug}/partnerships/barriers/").content.decode()
    # High first (newest first within a severity), then medium, then low.
    assert _mitigation_order(html) == [
        "Staff rota",
        "Cover lessons by the partner",
        "Rotating chair",
        "Shared timetable",
        "Grant bid",
    ]
    html = client.get(f"/n/{log.slug}/partnerships/barriers/?sort=logged_on").content.decode()
    assert _mitigation_order(html) == [
        "Cover lessons by the partner",
        "Grant bid",
        "Shared timetable",
        "Staff rota",
        "Rotating chair",
    ]
    assert "Agreed intake rules" not in html  # resolved
    assert "Foreign mitigation" not in html  # network B


def test_open_mitigations_are_paginated(log):
    for day in range(30):
        _barrier(log.science, "transport", days=10 + day, mitigation=f"Bus plan {day}")
    client = _client(log.pw.nw.user(Role.TEACHER))
    first = client.get(f"/n/{log.slug}/partnerships/barriers/?sort=-logged_on").content.decode()
    second = client.get(f"/n/{log.slug}/partnerships/barriers/?sort=-logged_on&page=2").content.decode()
    assert "35 results" in first
    assert "Bus plan 29" in first and "Bus plan 29" not in second
    assert "Grant bid" in second and "Grant bid" not in first
    assert "sort=-logged_on&amp;page=2" in first


def test_resolved_entries_drop_out_of_open_mitigations(log):
    client = _client(log.pw.nw.user(Role.COORDINATOR))
    url = f"/n/{log.slug}/partnerships/barriers/"
    assert "Cover lessons by the partner" in _section(client.get(url).content.decode(), "mitigation-table")
    plan.factor_update(actor="test", factor=log.reading_workload, values={"status": v.FactorStatus.RESOLVED})
    log.reading_workload.refresh_from_db()
    assert log.reading_workload.resolved_on is not None
    html = client.get(url).content.decode()
    assert "Cover lessons by the partner" not in html
    assert len(_mitigation_order(html)) == 4
    assert _counts(html, "barrier-counts")["workload"] == (3, 3)


def test_names_for_members_and_codes_for_researchers(log):
    url = f"/n/{log.slug}/partnerships/barriers/"
    html = _client(log.pw.nw.user(Role.TEACHER)).get(url).content.decode()
    mitigations = _section(html, "mitigation-table")
    assert "Reading together" in mitigations and "Old exchange" in mitigations
    assert "Second School" in mitigations

    html = _client(log.pw.nw.user(Role.RESEARCHER)).get(url).content.decode()
    assert 'id="pseudonymised-note"' in html
    for name in ("Reading together", "Science hub", "Old exchange", "Second School", "a School", "a Museum"):
        assert name not in html, name
    mitigations = _section(html, "mitigation-table")
    assert f"P-{log.reading.pk}" in mitigations and f"P-{log.old.pk}" in mitigations
    assert pseudonym(log.pw.nw.network.pk, log.pw.school_b.pk) in mitigations


def _csv(response: Any) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_open_mitigations_export(log):
    client = _client(log.pw.nw.user(Role.TEACHER))
    response = client.get(f"/n/{log.slug}/partnerships/barriers/?export=csv")
    assert response["Content-Disposition"] == 'attachment; filename="a-open-mitigations.csv"'
    rows = _csv(response)
    assert [row["mitigation"] for row in rows] == [
        "Staff rota",
        "Cover lessons by the partner",
        "Rotating chair",
        "Shared timetable",
        "Grant bid",
    ]
    cover = rows[1]
    assert cover == {
        "partnership": "Reading together",
        "partnership_state": "proposed",
        "model": "high_low_federation",
        "barrier": "workload",
        "dimension": "resources",
        "severity": "high",
        "status": "open",
        "mitigation": "Cover lessons by the partner",
        "owner": "Second School",
        "logged_on": "2025-03-01",
    }
    rows = _csv(client.get(f"/n/{log.slug}/partnerships/barriers/?export=csv&state=ended&sort=logged_on"))
    assert [(row["partnership"], row["barrier"], row["status"]) for row in rows] == [
        ("Old exchange", "workload", "open"),
        ("Old exchange", "power_relations", "open"),
    ]


def test_researchers_export_codes(log):
    rows = _csv(
        _client(log.pw.nw.user(Role.RESEARCHER)).get(f"/n/{log.slug}/partnerships/barriers/?export=csv")
    )
    assert {row["partnership"] for row in rows} == {f"P-{p.pk}" for p in (log.reading, log.science, log.old)}
    assert [row["owner"] for row in rows if row["barrier"] == "workload" and row["severity"] == "high"] == [
        "",
        pseudonym(log.pw.nw.network.pk, log.pw.school_b.pk),
    ]


def test_formula_like_text_is_exported_as_text(log):
    _barrier(log.science, "transport", mitigation="=HYPERLINK(1)")
    rows = _csv(_client(log.pw.leader_a).get(f"/n/{log.slug}/partnerships/barriers/?export=csv"))
    assert "'=HYPERLINK(1)" in [row["mitigation"] for row in rows]
