"""The partnership pages for every role, for a member of another network, and the life of a partnership.

The partnership ``mine`` has network A's school, the second school and the museum as members, so A's
school leader edits it, A's teacher and external partner read it in full and A's coordinator (who
belongs to no organisation) sees its summary. ``theirs`` has the second school and the outsider school
only: A's school users see its summary. Pages are fetched with a logged-in test client.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from interschool.core.models import Role
from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import Consent, Partnership, PartnershipMember, PartnershipPerson
from interschool.partnerships.services import partnerships as svc
from interschool.partnerships.services.partnerships import MemberSpec, Proposal
from interschool.partnerships.tests.factories import PartnershipWorld, build_partnership_world, propose
from interschool.registry.access import pseudonym

ALL = set(Role.values)
PROPOSERS = {Role.ADMIN, Role.COORDINATOR, Role.SCHOOL_LEADER}
# The level of each role of network A on the two partnerships.
EDIT_MINE = {Role.ADMIN, Role.SCHOOL_LEADER}
READ_MINE = {Role.ADMIN, Role.SCHOOL_LEADER, Role.TEACHER, Role.EXTERNAL_PARTNER, Role.RESEARCHER}
EDIT_THEIRS = {Role.ADMIN}
READ_THEIRS = {Role.ADMIN, Role.RESEARCHER}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@dataclass
class Pages:
    world: Any
    pw: PartnershipWorld
    mine: Partnership
    theirs: Partnership

    @property
    def slug(self) -> str:
        return str(self.pw.nw.network.slug)

    def user(self, role: str) -> Any:
        return self.pw.nw.user(role)

    def b_user(self, role: str) -> Any:
        return self.world.b.user(role)

    def member(self, partnership: Partnership, organisation: Any) -> PartnershipMember:
        return partnership.members.get(organisation=organisation)

    def url(self, template: str, partnership: Partnership | None = None, slug: str | None = None) -> str:
        partnership = partnership or self.mine
        museum = self.member(self.mine, self.pw.nw.partner) if partnership == self.mine else None
        return template.format(
            net=slug or self.slug,
            pk=partnership.pk,
            member=(museum or partnership.members.order_by("pk").last()).pk,  # type: ignore[union-attr]
            person=partnership.people.first().pk,  # type: ignore[union-attr]
        )


@pytest.fixture
def pages(world) -> Pages:
    pw = build_partnership_world(world.a)
    mine = propose(pw, name="Reading together")
    theirs = svc.partnership_propose(
        actor=pw.leader_b,
        network=pw.nw.network,
        proposal=Proposal(
            name="Science twins",
            members=[
                MemberSpec(pw.school_b, v.MemberRole.LEAD, v.ActorRole.INITIATOR, commitment_time="Fridays"),
                MemberSpec(pw.outsider_school, v.MemberRole.PARTNER, v.ActorRole.EXECUTOR),
            ],
            model=v.Model.TWIN_SCHOOLS,
            motives=[v.Motive.TEACHING_QUALITY],
            lead_body=v.LeadBody.SCHOOLS,
            initiative=v.Initiative.VOLUNTARY,
            duration=v.Duration.ONGOING,
            geography=v.Geography.SAME_LOCALITY,
            mode=v.Mode.ONLINE,
        ),
    )
    for partnership in (mine, theirs):
        svc.person_add(
            actor=pw.leader_b,
            member=partnership.members.get(organisation=pw.school_b),
            user=pw.teacher_b,
            role=v.PersonRole.CONTACT,
        )
    return Pages(world=world, pw=pw, mine=mine, theirs=theirs)


# (name, url template, roles allowed on ``mine``, roles allowed on ``theirs``; the others get 403)
PAGES = [
    ("list", "/n/{net}/partnerships/", ALL, ALL),
    ("list filtered", "/n/{net}/partnerships/?state=proposed&motives=students&q=read&page=1", ALL, ALL),
    ("export csv", "/n/{net}/partnerships/?export=csv", ALL, ALL),
    ("export xlsx", "/n/{net}/partnerships/?export=xlsx", ALL, ALL),
    ("typology", "/n/{net}/partnerships/typology/?state=proposed", ALL, ALL),
    ("propose", "/n/{net}/partnerships/propose/", PROPOSERS, PROPOSERS),
    ("member row", "/n/{net}/partnerships/propose/member-row/?members-TOTAL_FORMS=3", PROPOSERS, PROPOSERS),
    ("detail", "/n/{net}/partnerships/{pk}/", ALL, ALL),
    ("edit", "/n/{net}/partnerships/{pk}/edit/", EDIT_MINE, EDIT_THEIRS),
    ("member add", "/n/{net}/partnerships/{pk}/members/add/", EDIT_MINE, EDIT_THEIRS),
    ("member edit", "/n/{net}/partnerships/{pk}/members/{member}/edit/", EDIT_MINE, EDIT_THEIRS),
    ("member remove", "/n/{net}/partnerships/{pk}/members/{member}/remove/", EDIT_MINE, EDIT_THEIRS),
    ("person add", "/n/{net}/partnerships/{pk}/people/add/", EDIT_MINE, EDIT_THEIRS),
    ("end", "/n/{net}/partnerships/{pk}/state/?to=ended", EDIT_MINE, EDIT_THEIRS),
]


@pytest.mark.parametrize(("name", "template", "mine", "theirs"), PAGES, ids=[p[0] for p in PAGES])
def test_pages_by_role(pages, name, template, mine, theirs):
    for role in Role.values:
        client = _client(pages.user(role))
        for partnership, allowed in ((pages.mine, mine), (pages.theirs, theirs)):
            response = client.get(pages.url(template, partnership))
            assert response.status_code == (200 if role in allowed else 403), (name, role, partnership.name)


@pytest.mark.parametrize(("name", "template", "mine", "theirs"), PAGES, ids=[p[0] for p in PAGES])
def test_pages_of_another_network_are_404(pages, name, template, mine, theirs):
    """Network B's users get a 404 under A's address; A's partnership under B's address is a 404 too."""
    for role in Role.values:
        client = _client(pages.b_user(role))
        assert client.get(pages.url(template)).status_code == 404, (name, role)
        if "{pk}" in template:
            other = pages.url(template, slug=pages.world.b.network.slug)
            assert client.get(other).status_code == 404, (name, role, other)


# (name, url template, form data, roles allowed on ``mine``; allowed roles are redirected, others get 403)
POSTS = [
    ("invite", "/n/{net}/partnerships/{pk}/invite/", {}, EDIT_MINE),
    ("approve", "/n/{net}/partnerships/{pk}/approve/", {}, {Role.ADMIN}),
    ("end", "/n/{net}/partnerships/{pk}/state/", {"to": "ended", "note": "No longer needed"}, EDIT_MINE),
    ("member remove", "/n/{net}/partnerships/{pk}/members/{member}/remove/", {}, EDIT_MINE),
    ("person remove", "/n/{net}/partnerships/{pk}/people/{person}/remove/", {}, EDIT_MINE),
    (
        "member edit",
        "/n/{net}/partnerships/{pk}/members/{member}/edit/",
        {
            "role": "external_partner",
            "actor_role": "supporter",
            "engagement": "passive",
            "commitment_time": "1 day",
        },
        EDIT_MINE,
    ),
]


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "template", "data", "allowed"), POSTS, ids=[p[0] for p in POSTS])
def test_posts_by_role(pages, role, name, template, data, allowed):
    if role != Role.ADMIN:  # on ``theirs`` only administrators act
        assert _client(pages.user(role)).post(pages.url(template, pages.theirs), data).status_code == 403
    url = pages.url(template)
    response = _client(pages.user(role)).post(url, data)
    assert response.status_code == (302 if role in allowed else 403), (name, role, response.content[:300])
    if role in allowed:
        assert response["Location"] == f"/n/{pages.slug}/partnerships/{pages.mine.pk}/"
        messages = _client(pages.user(role)).get(response["Location"]).content.decode()
        assert "alert-danger" not in messages.split('id="state-banner"')[0], (name, role)


@pytest.mark.parametrize(("name", "template", "data", "allowed"), POSTS, ids=[p[0] for p in POSTS])
def test_posts_from_another_network_are_404(pages, name, template, data, allowed):
    for role in Role.values:
        client = _client(pages.b_user(role))
        assert client.post(pages.url(template), data).status_code == 404, (name, role)
        assert client.post(pages.url(template, slug=pages.world.b.network.slug), data).status_code == 404
    pages.mine.refresh_from_db()
    assert pages.mine.state == v.State.PROPOSED and pages.mine.approved_on is None
    assert pages.mine.members.count() == 3 and pages.mine.people.count() == 1


@pytest.mark.parametrize("role", Role.values)
def test_only_a_leader_of_the_member_school_consents(pages, role):
    svc.partnership_invite(actor=pages.pw.leader_a, partnership=pages.mine)
    school_a = pages.member(pages.mine, pages.pw.nw.school)
    url = f"/n/{pages.slug}/partnerships/{pages.mine.pk}/consent/{school_a.pk}/"
    data = {f"consent-{school_a.pk}-decision": "accepted"}
    response = _client(pages.user(role)).post(url, data)
    assert response.status_code == (302 if role == Role.SCHOOL_LEADER else 403), role
    decision = Consent.objects.get(member=school_a, version=1).decision
    assert decision == (v.Decision.ACCEPTED if role == Role.SCHOOL_LEADER else v.Decision.PENDING)
    assert _client(pages.b_user(role)).post(url, data).status_code == 404
    # Nobody consents for the second school but its own leader.
    school_b = pages.member(pages.mine, pages.pw.school_b)
    url_b = f"/n/{pages.slug}/partnerships/{pages.mine.pk}/consent/{school_b.pk}/"
    assert (
        _client(pages.user(role)).post(url_b, {f"consent-{school_b.pk}-decision": "accepted"}).status_code
        == 403
    )


def test_the_museum_is_not_asked_to_consent(pages):
    svc.partnership_invite(actor=pages.pw.leader_a, partnership=pages.mine)
    museum = pages.member(pages.mine, pages.pw.nw.partner)
    url = f"/n/{pages.slug}/partnerships/{pages.mine.pk}/consent/{museum.pk}/"
    response = _client(pages.user(Role.EXTERNAL_PARTNER)).post(
        url, {f"consent-{museum.pk}-decision": "accepted"}
    )
    assert response.status_code == 403


# --- what each level sees -----------------------------------------------------------------------------------


def _detail(pages: Pages, user: Any, partnership: Partnership | None = None) -> str:
    partnership = partnership or pages.mine
    response = _client(user).get(f"/n/{pages.slug}/partnerships/{partnership.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _main(html: str) -> str:
    """The page without the navigation bar (which names the user)."""
    return html.split('<main id="main"', 1)[1]


def test_summary_users_see_name_state_typology_and_member_count_only(pages):
    for user, partnership in (
        (pages.user(Role.COORDINATOR), pages.mine),
        (pages.user(Role.TEACHER), pages.theirs),
        (pages.user(Role.EXTERNAL_PARTNER), pages.theirs),
        (pages.pw.outsider_leader, pages.mine),
    ):
        page = _main(_detail(pages, user, partnership))
        assert partnership.name in page
        assert 'id="state-badge"' in page and "Proposed" in page
        assert f'id="members-count">{partnership.members.count()}<' in page
        model = v.Model(partnership.model).label
        assert str(model) in page
        for secret in (
            "2 hours a week",
            "Two teachers",
            "Fridays",
            pages.pw.school_b.name,
            pages.pw.outsider_school.name,
            pages.pw.teacher_b.full_name,
            'id="member-table"',
            'id="consent"',
            'id="people"',
            "Two schools read together.",  # the summary text
        ):
            assert secret not in page, (user, secret)
        assert "/plan/" not in page and "/agreement/" not in page  # tabs the user may not read are hidden


def test_readers_see_members_commitments_people_and_dates(pages):
    page = _main(_detail(pages, pages.user(Role.TEACHER)))
    for shown in (
        pages.pw.nw.school.name,
        pages.pw.school_b.name,
        pages.pw.nw.partner.name,
        "2 hours a week",
        "Two teachers",
        "Exhibits",
        "Initiator",
        "Supported",
        pages.pw.teacher_b.full_name,
        "Two schools read together.",
        'id="state-dates"',
        "Not yet sent to the member schools for consent.",
        f"/n/{pages.slug}/partnerships/{pages.mine.pk}/plan/",
        f"/n/{pages.slug}/partnerships/{pages.mine.pk}/agreement/",
    ):
        assert shown in page, shown
    # A reader changes nothing: no edit links, no actions.
    for action in ('id="edit-link"', 'id="add-member"', 'id="invite-button"', "/members/", 'id="actions"'):
        assert action not in page, action


def test_researchers_see_codes_and_no_names(pages):
    svc.partnership_invite(actor=pages.pw.leader_a, partnership=pages.mine)
    member_b = pages.member(pages.mine, pages.pw.school_b)
    svc.consent_decide(
        actor=pages.pw.leader_b,
        partnership=pages.mine,
        member=member_b,
        decision="declined",
        comment="Not now",
    )
    network_id = pages.pw.nw.network.pk
    page = _main(_detail(pages, pages.user(Role.RESEARCHER)))
    for organisation in (pages.pw.nw.school, pages.pw.school_b, pages.pw.nw.partner):
        assert pseudonym(network_id, organisation.pk) in page
        assert organisation.name not in page
    for person in (pages.pw.teacher_b, pages.pw.leader_b, pages.pw.leader_a):
        assert person.full_name not in page and person.email not in page
    assert "2 hours a week" in page and "Not now" in page and 'id="pseudonymised-note"' in page
    listed = _main(
        _client(pages.user(Role.RESEARCHER)).get(f"/n/{pages.slug}/partnerships/").content.decode()
    )
    assert pseudonym(network_id, pages.pw.school_b.pk) in listed and pages.pw.school_b.name not in listed


def test_editors_see_the_actions_that_apply(pages):
    page = _main(_detail(pages, pages.pw.leader_a))
    assert 'id="edit-link"' in page and 'id="add-member"' in page and 'id="add-person"' in page
    assert ">Send for consent<" in page and 'id="state-end"' in page
    assert 'id="state-pause"' not in page and 'id="approve-button"' not in page
    admin = _main(_detail(pages, pages.user(Role.ADMIN)))
    assert 'id="approve-button"' in admin
    svc.partnership_invite(actor=pages.pw.leader_a, partnership=pages.mine)
    page = _main(_detail(pages, pages.pw.leader_a))
    assert "Send a new version for consent" in page and "data-confirm" in page
    # Only the school leader's own school gets a consent form.
    forms = re.findall(r'action="/n/[^/]+/partnerships/\d+/consent/(\d+)/"', page)
    assert forms == [str(pages.member(pages.mine, pages.pw.nw.school).pk)]
    assert re.findall(r'consent/(\d+)/"', _detail(pages, pages.pw.leader_b)) == [
        str(pages.member(pages.mine, pages.pw.school_b).pk)
    ]
    assert "/consent/" not in _detail(pages, pages.user(Role.ADMIN))


def test_the_list_shows_member_names_only_to_readers(pages):
    url = f"/n/{pages.slug}/partnerships/"
    page = _main(_client(pages.user(Role.TEACHER)).get(url).content.decode())
    assert "Reading together" in page and "Science twins" in page
    rows = _rows(page)
    assert pages.pw.school_b.name in rows["Reading together"]
    assert pages.pw.school_b.name not in rows["Science twins"] and pages.pw.outsider_school.name not in page
    coordinator = _rows(_main(_client(pages.user(Role.COORDINATOR)).get(url).content.decode()))
    assert all(pages.pw.school_b.name not in row for row in coordinator.values())
    assert 'id="propose-link"' in _client(pages.user(Role.COORDINATOR)).get(url).content.decode()
    assert 'id="propose-link"' not in _client(pages.user(Role.TEACHER)).get(url).content.decode()


def _rows(page: str) -> dict[str, str]:
    """Each list row's HTML by the partnership's name."""
    rows = {}
    for row in page.split("<tr>")[2:]:
        name = re.search(r'/partnerships/\d+/">([^<]+)</a>', row)
        if name:
            rows[name.group(1)] = row.split("</tr>")[0]
    return rows


# --- the list: filters, search, pagination, exports ---------------------------------------------------------


def test_list_filters_search_empty_state_and_pagination(pages):
    client = _client(pages.user(Role.ADMIN))
    url = f"/n/{pages.slug}/partnerships/"
    assert list(_rows(client.get(url, {"model": "twin_schools"}).content.decode())) == ["Science twins"]
    assert list(_rows(client.get(url, {"motives": "students"}).content.decode())) == ["Reading together"]
    assert list(_rows(client.get(url, {"q": "TWIN"}).content.decode())) == ["Science twins"]
    assert list(_rows(client.get(url, {"governance": "_none", "mode": "online"}).content.decode())) == [
        "Science twins"
    ]
    empty = client.get(url, {"state": "active"}).content.decode()
    assert 'id="empty-state"' in empty and "No partnership matches these filters." in empty
    assert 'id="active-filters"' in empty and 'id="clear-filters"' in empty
    # Unknown values are ignored, never an error.
    assert len(_rows(client.get(url, {"state": "castle", "model": "x", "page": "y"}).content.decode())) == 2
    for n in range(26):
        propose(pages.pw, name=f"Extra {n:02d}", with_partner=False)
    first = _rows(client.get(url).content.decode())
    second = _rows(client.get(url, {"page": 2}).content.decode())
    assert len(first) == 25 and len(second) == 3 and not set(first) & set(second)
    assert "page=2" in client.get(url, {"state": "proposed"}).content.decode()


def test_an_empty_network_has_an_empty_state(pages):
    Partnership.objects.all().delete()
    page = _client(pages.user(Role.SCHOOL_LEADER)).get(f"/n/{pages.slug}/partnerships/").content.decode()
    assert "No partnership has been proposed in this network yet." in page
    assert f'href="/n/{pages.slug}/partnerships/propose/"' in page


def _csv(response: Any) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def _xlsx(response: Any) -> list[dict[str, Any]]:
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return [dict(zip([str(c) for c in rows[0]], r, strict=True)) for r in rows[1:]]


def test_exports_have_codes_and_labels_and_follow_the_filters(pages):
    client = _client(pages.user(Role.TEACHER))
    url = f"/n/{pages.slug}/partnerships/"
    response = client.get(url, {"export": "csv"})
    assert response["Content-Disposition"] == f'attachment; filename="{pages.slug}-partnerships.csv"'
    rows = {r["name"]: r for r in _csv(response)}
    assert set(rows) == {"Reading together", "Science twins"}
    reading = rows["Reading together"]
    assert (reading["model"], reading["model_label"]) == (
        "high_low_federation",
        "High- with low-performing schools",
    )
    assert reading["motives"] == "students;teaching_quality"
    assert reading["motives_label"] == "Students; Teaching quality"
    assert (reading["state"], reading["state_label"], reading["size"], reading["size_label"]) == (
        "proposed",
        "Proposed",
        "pair",
        "Pair",
    )
    assert (
        reading["members_count"] == "3" and reading["governance"] == "" and reading["governance_label"] == ""
    )
    assert (
        reading["members"]
        == f"{pages.pw.nw.school.name}; {pages.pw.school_b.name}; {pages.pw.nw.partner.name}"
    )
    assert reading["proposed_on"] == pages.mine.proposed_on.isoformat()
    twins = rows["Science twins"]  # the teacher's school is not a member: the summary only
    assert twins["members"] == "" and twins["proposed_on"] == "" and twins["members_count"] == "2"
    assert twins["model"] == "twin_schools" and twins["mode_label"] == "Online"

    filtered = _csv(client.get(url, {"export": "csv", "model": "twin_schools"}))
    assert [r["name"] for r in filtered] == ["Science twins"]
    xlsx = _xlsx(client.get(url, {"export": "xlsx", "motives": "students"}))
    assert [r["name"] for r in xlsx] == ["Reading together"]
    assert xlsx[0]["members_count"] == 3 and xlsx[0]["motives"] == "students;teaching_quality"
    assert xlsx[0]["proposed_on"].date() == pages.mine.proposed_on


def test_researchers_export_codes(pages):
    client = _client(pages.user(Role.RESEARCHER))
    network_id = pages.pw.nw.network.pk
    rows = {r["name"]: r for r in _csv(client.get(f"/n/{pages.slug}/partnerships/", {"export": "csv"}))}
    assert rows["Science twins"]["members"] == "; ".join(
        pseudonym(network_id, o.pk) for o in (pages.pw.school_b, pages.pw.outsider_school)
    )
    xlsx = _xlsx(client.get(f"/n/{pages.slug}/partnerships/", {"export": "xlsx"}))
    names = " ".join(str(value) for row in xlsx for value in row.values())
    for organisation in (
        pages.pw.nw.school,
        pages.pw.school_b,
        pages.pw.outsider_school,
        pages.pw.nw.partner,
    ):
        assert organisation.name not in names
        assert pseudonym(network_id, organisation.pk) in names


# --- proposing ----------------------------------------------------------------------------------------------


def _proposal_data(pages: Pages, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Maths circle",
        "summary": "Pupils solve problems together.",
        "model": "peer_cluster",
        "motives": ["students", "teaching_quality"],
        "reasons": ["co_creation"],
        "lead_body": "schools",
        "external_parties": ["academic_team"],
        "issue_focus": "pedagogical",
        "initiative": "voluntary",
        "duration": "fixed_term",
        "starts_on": "2026-09-01",
        "ends_on": "2027-07-15",
        "geography": "same_locality",
        "mode": "face_to_face",
        "governance": "shared",
        "frequency": "monthly",
        "follow_up": "permanent",
        "entry_unit": "collective",
        "review_dates": "2027-01-15\n2027-06-30",
        "members-TOTAL_FORMS": "3",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "2",
        "members-MAX_NUM_FORMS": "50",
    }
    rows = [
        (pages.pw.nw.school.pk, "lead", "initiator", "active", "3 hours a month"),
        (pages.pw.school_b.pk, "partner", "executor", "active", ""),
        ("", "", "", "active", ""),
    ]
    for index, (organisation, role, actor_role, engagement, time) in enumerate(rows):
        data.update(
            {
                f"members-{index}-organisation": organisation,
                f"members-{index}-role": role,
                f"members-{index}-actor_role": actor_role,
                f"members-{index}-engagement": engagement,
                f"members-{index}-commitment_time": time,
                f"members-{index}-commitment_staff": "",
                f"members-{index}-commitment_resources": "",
            }
        )
    data.update(changes)
    return data


def test_propose_form_prefills_the_leaders_school(pages):
    page = _client(pages.pw.leader_a).get(f"/n/{pages.slug}/partnerships/propose/").content.decode()
    row = page.split('id="member-row-1"')[1].split("</tr>")[0]
    assert f'<option value="{pages.pw.nw.school.pk}" selected>' in row
    assert '<option value="lead" selected>' in row
    assert f'<option value="{pages.world.b.school.pk}"' not in page  # only the network's organisations
    assert 'name="members-TOTAL_FORMS" value="3"' in page.replace(' id="id_members-TOTAL_FORMS"', "")


def test_propose_creates_a_partnership_with_every_field(pages):
    response = _client(pages.pw.leader_a).post(
        f"/n/{pages.slug}/partnerships/propose/", _proposal_data(pages)
    )
    assert response.status_code == 302
    partnership = Partnership.objects.get(name="Maths circle")
    assert response["Location"] == f"/n/{pages.slug}/partnerships/{partnership.pk}/"
    assert partnership.state == v.State.PROPOSED and partnership.proposed_by == pages.pw.leader_a
    assert partnership.motives == ["students", "teaching_quality"] and partnership.reasons == ["co_creation"]
    assert partnership.external_parties == ["academic_team"] and partnership.governance == "shared"
    assert partnership.review_dates == ["2027-01-15", "2027-06-30"]
    assert str(partnership.ends_on) == "2027-07-15" and partnership.entry_unit == "collective"
    members = {m.organisation_id: m for m in partnership.members.all()}
    assert set(members) == {pages.pw.nw.school.pk, pages.pw.school_b.pk}
    assert members[pages.pw.nw.school.pk].commitment_time == "3 hours a month"
    assert members[pages.pw.school_b.pk].role == "partner"


@pytest.mark.parametrize(
    ("changes", "where", "message"),
    [
        ({"motives": []}, "id_motives_error", "This field is required."),
        ({"ends_on": ""}, "id_ends_on_error", "A fixed-term partnership needs a planned end."),
        ({"ends_on": "2026-01-01"}, "id_ends_on_error", "The planned end is before the start."),
        ({"review_dates": "2027-01-15, 2027-13-01"}, "id_review_dates_error", "2027-13-01 is not a date"),
        (
            {"members-1-organisation": "", "members-1-role": "", "members-1-actor_role": ""},
            "member-errors",
            "A partnership needs at least two members.",
        ),
        ({"members-1-organisation": "SELF"}, "member-errors", "An organisation is listed twice."),
        (
            {"members-1-organisation": "MUSEUM"},
            "id_members-1-role_error",
            "only organisations that are not schools",
        ),
    ],
)
def test_propose_shows_errors_where_they_belong(pages, changes, where, message):
    replacements = {"SELF": pages.pw.nw.school.pk, "MUSEUM": pages.pw.nw.partner.pk}
    changes = {
        k: replacements.get(value, value) if isinstance(value, str) else value for k, value in changes.items()
    }
    response = _client(pages.pw.leader_a).post(
        f"/n/{pages.slug}/partnerships/propose/", _proposal_data(pages, **changes)
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="{where}"' in page, where
    assert message in page.split(f'id="{where}"')[1][:600], (where, message)
    assert not Partnership.objects.filter(name="Maths circle").exists()
    assert 'value="Maths circle"' in page  # what was typed is kept


def test_a_leader_proposes_only_with_their_own_school(pages):
    data = _proposal_data(pages, **{"members-0-organisation": pages.pw.outsider_school.pk})
    page = _client(pages.pw.leader_a).post(f"/n/{pages.slug}/partnerships/propose/", data).content.decode()
    assert (
        "A school leader proposes partnerships that include their own school."
        in page.split('id="member-errors"')[1]
    )
    assert not Partnership.objects.filter(name="Maths circle").exists()


def test_another_member_row_keeps_what_was_typed(pages):
    client = _client(pages.pw.leader_a)
    data = _proposal_data(pages, name="Half typed", add_member="1", motives=[])
    page = client.post(f"/n/{pages.slug}/partnerships/propose/", data).content.decode()
    assert 'value="Half typed"' in page and 'id="member-row-4"' in page and 'id="member-row-5"' not in page
    assert "is-invalid" not in page and "This field is required." not in page
    assert (
        f'<option value="{pages.pw.school_b.pk}" selected>'
        in page.split('id="member-row-2"')[1].split("</tr>")[0]
    )
    assert not Partnership.objects.filter(name="Half typed").exists()
    # With scripts, one row comes back on its own with the new number of rows.
    row = client.get(f"/n/{pages.slug}/partnerships/propose/member-row/", {"members-TOTAL_FORMS": "3"})
    html = row.content.decode()
    assert 'id="member-row-4"' in html and 'name="members-3-organisation"' in html
    assert 'hx-swap-oob="true"' in html and 'value="4"' in html
    assert (
        client.get(
            f"/n/{pages.slug}/partnerships/propose/member-row/", {"members-TOTAL_FORMS": "x"}
        ).status_code
        == 404
    )


# --- changing members, people and the typology --------------------------------------------------------------


def test_edit_typology_member_and_people(pages):
    client = _client(pages.pw.leader_a)
    base = f"/n/{pages.slug}/partnerships/{pages.mine.pk}"
    form = client.get(f"{base}/edit/").content.decode()
    assert 'value="Reading together"' in form and '<option value="high_low_federation" selected>' in form
    data = _proposal_data(pages, name="Reading together again", duration="ongoing", ends_on="")
    assert client.post(f"{base}/edit/", data).status_code == 302
    pages.mine.refresh_from_db()
    assert pages.mine.name == "Reading together again" and pages.mine.model == "peer_cluster"
    bad = client.post(f"{base}/edit/", {**data, "duration": "fixed_term"}).content.decode()
    assert "A fixed-term partnership needs a planned end." in bad.split('id="id_ends_on_error"')[1]

    add = client.post(
        f"{base}/members/add/",
        {
            "organisation": pages.pw.outsider_school.pk,
            "role": "partner",
            "actor_role": "executor",
            "engagement": "passive",
        },
    )
    assert add.status_code == 302
    pages.mine.refresh_from_db()
    assert pages.mine.size == v.Size.TRIAD
    page = client.get(f"{base}/members/add/").content.decode()
    assert f'value="{pages.pw.outsider_school.pk}"' not in page  # members are not offered again

    museum = pages.member(pages.mine, pages.pw.nw.partner)
    wrong = client.post(
        f"{base}/members/{museum.pk}/edit/",
        {"role": "partner", "actor_role": "supporter", "engagement": "active"},
    ).content.decode()
    assert "only organisations that are not schools" in wrong.split('id="id_role_error"')[1]

    person = client.post(
        f"{base}/people/add/",
        {"membership": pages.pw.leader_b.memberships.get().pk, "role": "coordinator"},
    )
    assert person.status_code == 302
    assert PartnershipPerson.objects.filter(
        partnership=pages.mine, user=pages.pw.leader_b, role="coordinator"
    ).exists()
    again = client.post(
        f"{base}/people/add/", {"membership": pages.pw.leader_b.memberships.get().pk, "role": "coordinator"}
    ).content.decode()
    assert "already has this role" in again.split('id="id_membership_error"')[1]
    outsider = client.post(
        f"{base}/people/add/", {"membership": pages.world.b.members[Role.TEACHER].pk, "role": "contact"}
    ).content.decode()
    assert 'id="id_membership_error"' in outsider  # a person of another network is not a choice

    confirm = client.get(f"{base}/members/{museum.pk}/remove/").content.decode()
    assert f"Remove {pages.pw.nw.partner.name} from the partnership?" in confirm
    assert client.post(f"{base}/members/{museum.pk}/remove/").status_code == 302
    assert not pages.mine.members.filter(pk=museum.pk).exists()


def test_members_are_not_added_once_the_partnership_is_under_way(pages):
    _activate(pages)
    client = _client(pages.pw.leader_a)
    base = f"/n/{pages.slug}/partnerships/{pages.mine.pk}"
    page = client.get(f"{base}/").content.decode()
    assert (
        'id="add-member"' not in page
        and "/remove/" not in page.split('id="member-table"')[1].split("</table>")[0]
    )
    response = client.post(
        f"{base}/members/add/",
        {
            "organisation": pages.pw.outsider_school.pk,
            "role": "partner",
            "actor_role": "executor",
            "engagement": "active",
        },
    )
    assert "Members change only while the partnership is proposed or invited." in response.content.decode()
    museum = pages.member(pages.mine, pages.pw.nw.partner)
    client.post(f"{base}/members/{museum.pk}/remove/")
    assert pages.mine.members.filter(pk=museum.pk).exists()


def _activate(pages: Pages) -> None:
    svc.partnership_invite(actor=pages.pw.leader_a, partnership=pages.mine)
    for leader, school in ((pages.pw.leader_a, pages.pw.nw.school), (pages.pw.leader_b, pages.pw.school_b)):
        svc.consent_decide(
            actor=leader, partnership=pages.mine, member=pages.member(pages.mine, school), decision="accepted"
        )
    pages.mine.refresh_from_db()
    assert pages.mine.state == v.State.ACTIVE


# --- the life of a partnership through the pages ------------------------------------------------------------


def _consent(
    client: Client, pages: Pages, partnership: Partnership, school: Any, decision: str, comment: str = ""
) -> Any:
    member = partnership.members.get(organisation=school)
    return client.post(
        f"/n/{pages.slug}/partnerships/{partnership.pk}/consent/{member.pk}/",
        {f"consent-{member.pk}-decision": decision, f"consent-{member.pk}-comment": comment},
    )


def test_propose_invite_decline_new_version_consent_pause_end(pages):
    leader_a, leader_b = _client(pages.pw.leader_a), _client(pages.pw.leader_b)
    assert leader_a.post(f"/n/{pages.slug}/partnerships/propose/", _proposal_data(pages)).status_code == 302
    partnership = Partnership.objects.get(name="Maths circle")
    base = f"/n/{pages.slug}/partnerships/{partnership.pk}"
    assert "have not been asked to consent yet" in leader_a.get(f"{base}/").content.decode()

    assert leader_a.post(f"{base}/invite/").status_code == 302
    page = leader_a.get(f"{base}/").content.decode()
    assert "Version 1 of the agreement was sent to the member schools&#x27; leaders for consent." in page
    banner = page.split('id="state-banner">')[1].split("</div>")[0]
    assert f"Waiting for 2 of 2 schools: {pages.pw.nw.school.name}, {pages.pw.school_b.name}." in banner

    # Declining needs a reason; the reason reaches the proposer's page.
    response = _consent(leader_b, pages, partnership, pages.pw.school_b, "declined")
    assert response.status_code == 200
    assert "Say why you decline" in response.content.decode().split('-comment_error">')[1]
    assert (
        Consent.objects.get(member__organisation=pages.pw.school_b, version=1).decision == v.Decision.PENDING
    )
    assert (
        _consent(leader_b, pages, partnership, pages.pw.school_b, "declined", "Too little time").status_code
        == 302
    )
    page = leader_a.get(f"{base}/").content.decode()
    assert "Too little time" in page and f"By {pages.pw.leader_b.full_name}" in page
    banner = page.split('id="state-banner">')[1].split("</div>")[0]
    assert f"Declined by {pages.pw.school_b.name}" in banner and "alert-warning" in page

    # One acceptance is not enough; asking for the active state through the pages changes nothing.
    assert _consent(leader_a, pages, partnership, pages.pw.nw.school, "accepted").status_code == 302
    response = leader_a.post(f"{base}/state/", {"to": "active", "note": ""})
    assert response.status_code == 200
    assert "cannot become Active" in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.state == v.State.INVITED

    # A new version asks again; the decline on version 1 stays visible.
    assert leader_a.post(f"{base}/invite/").status_code == 302
    partnership.refresh_from_db()
    assert partnership.consent_version == 2
    page = leader_a.get(f"{base}/").content.decode()
    assert (
        "Waiting for 2 of 2 schools" in page and "Too little time" in page.split('id="earlier-consents"')[1]
    )
    assert _consent(leader_a, pages, partnership, pages.pw.nw.school, "accepted").status_code == 302
    partnership.refresh_from_db()
    assert partnership.state == v.State.INVITED  # one consent only
    assert "Waiting for 1 of 2 schools: Second School." in leader_a.get(f"{base}/").content.decode()
    response = _consent(leader_b, pages, partnership, pages.pw.school_b, "accepted")
    partnership.refresh_from_db()
    assert partnership.state == v.State.ACTIVE
    page = leader_b.get(response["Location"]).content.decode()
    assert "Every member school consented: the partnership is active." in page and "Active since" in page

    # Approve, pause with a reason, resume, end after confirming.
    assert _client(pages.user(Role.ADMIN)).post(f"{base}/approve/").status_code == 302
    partnership.refresh_from_db()
    assert partnership.approved_by == pages.user(Role.ADMIN)
    assert (
        "Give the reason." in leader_a.post(f"{base}/state/", {"to": "paused", "note": ""}).content.decode()
    )
    assert leader_a.post(f"{base}/state/", {"to": "paused", "note": "Exams"}).status_code == 302
    partnership.refresh_from_db()
    assert partnership.state == v.State.PAUSED
    assert "Exams" in leader_b.get(f"{base}/").content.decode()
    assert 'id="state-resume"' in leader_a.get(f"{base}/").content.decode()
    assert leader_a.post(f"{base}/state/", {"to": "active", "note": ""}).status_code == 302
    confirm = leader_a.get(f"{base}/state/", {"to": "ended"}).content.decode()
    assert f"End {partnership.name}?" in confirm and 'name="note"' in confirm
    assert leader_a.post(f"{base}/state/", {"to": "ended", "note": "Goals reached"}).status_code == 302
    partnership.refresh_from_db()
    assert partnership.state == v.State.ENDED and partnership.state_note == "Goals reached"
    page = leader_a.get(f"{base}/").content.decode()
    assert 'id="actions"' not in page and 'id="edit-link"' not in page


def test_consent_alone_never_activates_a_partnership_with_a_pending_school(pages):
    svc.partnership_invite(actor=pages.pw.leader_a, partnership=pages.mine)
    client = _client(pages.pw.leader_a)
    base = f"/n/{pages.slug}/partnerships/{pages.mine.pk}"
    for attempt in (
        lambda: _consent(client, pages, pages.mine, pages.pw.nw.school, "accepted"),
        lambda: _consent(client, pages, pages.mine, pages.pw.nw.school, "accepted"),  # twice changes nothing
        lambda: client.post(f"{base}/state/", {"to": "active"}),
        lambda: _client(pages.user(Role.ADMIN)).post(f"{base}/state/", {"to": "active"}),
        lambda: _consent(client, pages, pages.mine, pages.pw.school_b, "accepted"),  # not A's school: 403
    ):
        attempt()
        pages.mine.refresh_from_db()
        assert pages.mine.state == v.State.INVITED
    assert (
        Consent.objects.get(member__organisation=pages.pw.school_b, version=1).decision == v.Decision.PENDING
    )


def test_bad_state_requests(pages):
    client = _client(pages.pw.leader_a)
    base = f"/n/{pages.slug}/partnerships/{pages.mine.pk}"
    assert client.get(f"{base}/state/", {"to": "invited"}).status_code == 404
    assert client.get(f"{base}/state/").status_code == 404
    assert client.get(f"{base}/invite/").status_code == 405
    assert client.get(f"{base}/approve/").status_code == 405
    response = client.post(f"{base}/state/", {"to": "paused", "note": "x"})
    assert "cannot become Paused" in response.content.decode()
    admin = _client(pages.user(Role.ADMIN))
    admin.post(f"{base}/approve/")
    follow = admin.post(f"{base}/approve/", follow=True).content.decode()
    assert "already approved" in follow


def test_a_named_coordinator_edits_and_the_list_knows_it(pages):
    svc.person_add(
        actor=pages.pw.leader_b,
        member=pages.theirs.members.get(organisation=pages.pw.school_b),
        user=pages.pw.teacher_b,
        role=v.PersonRole.COORDINATOR,
    )
    client = _client(pages.pw.teacher_b)
    assert client.get(f"/n/{pages.slug}/partnerships/{pages.theirs.pk}/edit/").status_code == 200
    assert 'id="edit-link"' in _detail(pages, pages.pw.teacher_b, pages.theirs)
    assert (
        client.get(f"/n/{pages.slug}/partnerships/{pages.mine.pk}/edit/").status_code == 403
    )  # a contact only


def test_list_levels_agree_with_the_access_helper(pages):
    """The list's per-row levels (two queries for a page) give what the partnership's own helper gives."""
    from interschool.core.models import Membership
    from interschool.partnerships import access

    svc.person_add(
        actor=pages.pw.leader_b,
        member=pages.theirs.members.get(organisation=pages.pw.school_b),
        user=pages.pw.teacher_b,
        role=v.PersonRole.COORDINATOR,
    )
    ids = [pages.mine.pk, pages.theirs.pk]
    for membership in Membership.objects.filter(network=pages.pw.nw.network).select_related("network"):
        levels = access.levels_of(membership, ids)
        for partnership in (pages.mine, pages.theirs):
            expected = access.partnership_get_for_user(membership.user, pages.slug, partnership.pk).level
            assert levels[partnership.pk] == expected, (membership.role, membership.user, partnership.name)


@pytest.mark.parametrize("role", Role.values)
def test_every_member_has_the_partnerships_link(pages, role):
    page = _client(pages.user(role)).get(f"/n/{pages.slug}/organisations/").content.decode()
    nav = page.split('id="main-nav"')[1].split("</nav>")[0]
    assert f'<a class="nav-link" href="/n/{pages.slug}/partnerships/">Partnerships</a>' in nav


def test_large_ids_are_not_written_with_thousand_separators(pages):
    """Option values and anchors carry ids as digits alone, whatever the language's number format."""
    from interschool.core.tests.factories import OrganisationFactory

    big = OrganisationFactory(pk=1234567, network=pages.pw.nw.network, name="Big Id School")
    for language in ("en", "ru", "nl"):
        pages.pw.leader_a.language = language
        pages.pw.leader_a.save(update_fields=["language"])
        page = _client(pages.pw.leader_a).get(f"/n/{pages.slug}/partnerships/propose/").content.decode()
        assert f'<option value="{big.pk}"' in page, language
