"""The typology page: counts per value of every dimension on a hand-made network of eight partnerships.

Every expected number below was counted by hand from the table in ``EIGHT`` (not computed by the code
under test). The page accepts the list's filters, so counts can be cross-filtered.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client

from interschool.core.models import Role
from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import Partnership
from interschool.partnerships.services import partnerships as svc
from interschool.partnerships.services.partnerships import MemberSpec, Proposal
from interschool.partnerships.tests.factories import PartnershipWorld, build_partnership_world

# name, model, motives, external parties, governance, state, with the outsider school (a triad)
EIGHT = [
    ("P1", "peer_cluster", ["students"], [], "shared", "active", False),
    ("P2", "peer_cluster", ["students", "policy"], ["ngo"], "", "active", True),
    ("P3", "twin_schools", ["teaching_quality"], ["ngo", "academic_team"], "lead_school", "proposed", False),
    ("P4", "peer_cluster", ["policy"], [], "", "ended", False),
    (
        "P5",
        "hub_and_spoke",
        ["students", "economy", "teaching_quality"],
        ["local_authority"],
        "shared",
        "invited",
        True,
    ),
    ("P6", "twin_schools", ["students"], [], "shared", "paused", False),
    ("P7", "subject_hub", ["economy"], ["academic_team"], "", "proposed", False),
    ("P8", "peer_cluster", ["teaching_quality", "students"], [], "lead_school", "active", False),
]


def _make(
    pw: PartnershipWorld,
    name: str,
    model: str,
    motives: list[str],
    parties: list[str],
    governance: str,
    state: str,
    triad: bool,
) -> Partnership:
    members = [
        MemberSpec(pw.nw.school, v.MemberRole.LEAD, v.ActorRole.INITIATOR),
        MemberSpec(pw.school_b, v.MemberRole.PARTNER, v.ActorRole.EXECUTOR),
    ]
    if triad:
        members.append(MemberSpec(pw.outsider_school, v.MemberRole.PARTNER, v.ActorRole.EXECUTOR))
    admin = pw.nw.user(Role.ADMIN)
    partnership = svc.partnership_propose(
        actor=admin,
        network=pw.nw.network,
        proposal=Proposal(
            name=name,
            members=members,
            model=model,
            motives=motives,
            lead_body=v.LeadBody.SCHOOLS,
            initiative=v.Initiative.VOLUNTARY,
            duration=v.Duration.ONGOING,
            geography=v.Geography.SAME_LOCALITY,
            mode=v.Mode.BLENDED,
            extra={"external_parties": parties, "governance": governance},
        ),
    )
    if state in ("invited", "active", "paused"):
        svc.partnership_invite(actor=admin, partnership=partnership)
    if state in ("active", "paused"):
        leaders = {
            pw.nw.school.pk: pw.leader_a,
            pw.school_b.pk: pw.leader_b,
            pw.outsider_school.pk: pw.outsider_leader,
        }
        for member in partnership.members.all():
            svc.consent_decide(
                actor=leaders[member.organisation_id],
                partnership=partnership,
                member=member,
                decision="accepted",
            )
    if state in ("paused", "ended"):
        svc.partnership_transition(actor=admin, partnership=partnership, to=state, note="For the test")
    partnership.refresh_from_db()
    assert partnership.state == state
    return partnership


@pytest.fixture
def eight(world) -> PartnershipWorld:
    pw = build_partnership_world(world.a)
    for row in EIGHT:
        _make(pw, *row)
    return pw


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(pw: PartnershipWorld, role: str = Role.TEACHER, **params: str) -> str:
    response = _client(pw.nw.user(role)).get(f"/n/{pw.nw.network.slug}/partnerships/typology/", params)
    assert response.status_code == 200
    return response.content.decode()


ROW = re.compile(
    r'<tr data-code="([^"]+)"[^>]*>.*?<td class="text-end count">(?:<a href="([^"]*)"[^>]*>)?(\d+)', re.S
)


def _table(page: str, dimension: str) -> dict[str, tuple[int, str]]:
    """Each value's count and link (empty when the count is 0) in one dimension's table."""
    table = page.split(f'id="counts-{dimension}"')[1].split("</table>")[0]
    return {code: (int(count), html.unescape(url)) for code, url, count in ROW.findall(table)}


def _counts(page: str, dimension: str) -> dict[str, int]:
    return {code: count for code, (count, _url) in _table(page, dimension).items()}


def _zeros(choices: Any, **counts: int) -> dict[str, int]:
    """Every value of a vocabulary at 0 except the ones given."""
    return {**dict.fromkeys(choices.values, 0), **counts}


def test_counts_of_every_value_with_zeros_and_not_set(eight):
    page = _page(eight)
    assert "8 partnerships are counted." in page
    assert _counts(page, "model") == _zeros(
        v.Model, peer_cluster=4, twin_schools=2, hub_and_spoke=1, subject_hub=1
    )
    # Several motives count once each: 5 + 2 + 3 + 2 = 12 for 8 partnerships.
    assert _counts(page, "motives") == {"policy": 2, "students": 5, "economy": 2, "teaching_quality": 3}
    assert _counts(page, "external_parties") == {
        "local_authority": 1,
        "ministry_unit": 0,
        "ngo": 2,
        "academic_team": 2,
        "_none": 4,
    }
    assert _counts(page, "governance") == _zeros(v.Governance, shared=3, lead_school=2, _none=3)
    assert _counts(page, "state") == {"proposed": 2, "invited": 1, "active": 3, "paused": 1, "ended": 1}
    assert _counts(page, "size") == _zeros(v.Size, pair=6, triad=2)
    assert _counts(page, "mode") == {"face_to_face": 0, "online": 0, "blended": 8}
    assert _counts(page, "frequency") == _zeros(v.Frequency, _none=8)
    # Required dimensions have no "not set" row.
    assert "_none" not in _counts(page, "model") and "_none" not in _counts(page, "motives")
    # Every dimension of the typology has its table.
    assert all(f'id="counts-{name}"' in page for name in v.DIMENSIONS)


def test_counts_among_active_partnerships_only(eight):
    page = _page(eight, state="active")  # P1, P2, P8
    assert "3 partnerships are counted." in page
    assert _counts(page, "model") == _zeros(v.Model, peer_cluster=3)
    assert _counts(page, "motives") == {"policy": 1, "students": 3, "economy": 0, "teaching_quality": 1}
    assert _counts(page, "governance") == _zeros(v.Governance, shared=1, lead_school=1, _none=1)
    assert _counts(page, "size") == _zeros(v.Size, pair=2, triad=1)
    assert _counts(page, "state") == {"proposed": 0, "invited": 0, "active": 3, "paused": 0, "ended": 0}


def test_counts_among_partnerships_holding_a_motive_and_without_external_parties(eight):
    students = _page(eight, motives="students")  # P1, P2, P5, P6, P8
    assert "5 partnerships are counted." in students
    assert _counts(students, "model") == _zeros(v.Model, peer_cluster=3, twin_schools=1, hub_and_spoke=1)
    assert _counts(students, "state") == {"proposed": 0, "invited": 1, "active": 3, "paused": 1, "ended": 0}
    without = _page(eight, external_parties="_none")  # P1, P4, P6, P8
    assert _counts(without, "model") == _zeros(v.Model, peer_cluster=3, twin_schools=1)
    assert _counts(without, "motives") == {"policy": 1, "students": 3, "economy": 0, "teaching_quality": 1}
    both = _page(eight, motives="economy", governance="_none")  # P7 only
    assert _counts(both, "model") == _zeros(v.Model, subject_hub=1)
    assert "1 partnership is counted." in both


def test_each_count_links_to_the_list_with_the_same_filters(eight):
    page = _page(eight, state="active")
    count, url = _table(page, "model")["peer_cluster"]
    assert count == 3
    assert url == f"/n/{eight.nw.network.slug}/partnerships/?state=active&model=peer_cluster"
    assert _table(page, "model")["twin_schools"] == (0, "")  # no link to an empty list
    listed = _client(eight.nw.user(Role.TEACHER)).get(url).content.decode()
    assert _names(listed) == ["P1", "P2", "P8"]
    _count, not_set = _table(page, "governance")["_none"]
    assert _names(_client(eight.nw.user(Role.TEACHER)).get(not_set).content.decode()) == ["P2"]
    _count, ngo = _table(_page(eight), "external_parties")["ngo"]
    assert _names(_client(eight.nw.user(Role.TEACHER)).get(ngo).content.decode()) == ["P2", "P3"]


def _names(page: str) -> list[str]:
    return re.findall(r'<td><a href="/n/[^/]+/partnerships/\d+/">([^<]+)</a>', page)


def test_the_list_filters_list_valued_fields_by_containment(eight):
    client = _client(eight.nw.user(Role.ADMIN))
    url = f"/n/{eight.nw.network.slug}/partnerships/"
    assert _names(client.get(url, {"motives": "teaching_quality"}).content.decode()) == ["P3", "P5", "P8"]
    assert _names(client.get(url, {"motives": "economy", "state": "proposed"}).content.decode()) == ["P7"]
    assert _names(client.get(url, {"external_parties": "academic_team"}).content.decode()) == ["P3", "P7"]
    assert _names(client.get(url, {"external_parties": "_none", "size": "pair"}).content.decode()) == [
        "P1",
        "P4",
        "P6",
        "P8",
    ]
    assert _names(client.get(url, {"size": "triad", "governance": "shared"}).content.decode()) == ["P5"]


def test_active_filters_are_shown_and_cleared(eight):
    page = _page(eight, state="active", motives="students", model="nonsense")
    active = page.split('id="active-filters"')[1].split("</div>")[0]
    assert "State: Active" in active and "Motives: Students" in active and "nonsense" not in active
    clear = re.search(r'href="([^"]+)" id="clear-filters"', active)
    assert clear and clear.group(1) == f"/n/{eight.nw.network.slug}/partnerships/typology/"
    remove_state = html.unescape(re.findall(r'href="([^"]+)">State: Active', active)[0])
    assert remove_state == f"/n/{eight.nw.network.slug}/partnerships/typology/?motives=students"
    assert 'id="active-filters"' not in _page(eight)
    assert "No partnership matches these filters." in _page(eight, state="paused", model="peer_cluster")


@pytest.mark.parametrize("role", Role.values)
def test_every_member_sees_the_same_counts(eight, role):
    page = _page(eight, role)
    assert _counts(page, "state") == {"proposed": 2, "invited": 1, "active": 3, "paused": 1, "ended": 1}
    assert "Second School" not in page.split('<main id="main"')[1]


def test_the_counts_are_for_one_network(eight, world):
    b = _client(world.b.user(Role.ADMIN)).get(f"/n/{world.b.network.slug}/partnerships/typology/")
    assert b.status_code == 200 and "0 partnerships are counted." in b.content.decode()
    assert (
        _client(world.b.user(Role.ADMIN)).get(f"/n/{world.a.network.slug}/partnerships/typology/").status_code
        == 404
    )
