"""The agreement PDFs: versions driven through the services, rendered in every language through the pages.

Text is read back with poppler's ``pdftotext`` and fonts with ``pdffonts`` (installed by
``scripts/system-deps.sh``). Translations of the product's own strings may not exist yet, so the
checks in Hebrew and Persian rest on names, digits, the direction of the HTML, Django's own month
names and the embedded fonts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import subprocess
import unicodedata
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from interschool.core.models import AuditEntry, Role
from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import AgreementRendering, AgreementVersion, Partnership
from interschool.partnerships.services import agreements, plan
from interschool.partnerships.services import partnerships as svc
from interschool.partnerships.tests.factories import PartnershipWorld, build_partnership_world, propose
from interschool.registry.access import pseudonym
from interschool.registry.models import Indicator

LANGUAGES = ("en", "ru", "he", "fa", "nl")
READERS = {Role.ADMIN, Role.SCHOOL_LEADER, Role.TEACHER, Role.EXTERNAL_PARTNER, Role.RESEARCHER}
SUMMARY_ONLY = {Role.COORDINATOR}  # not of a member organisation, not a named coordinator
HEBREW = re.compile("[\u0590-\u05ff]")
ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")
BIDI_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
SUMMARY = "Reading together. קוראים יחד. کتابخوانی مشترک."


def pdf_text(data: bytes, tmp_path: Any) -> str:
    path = tmp_path / f"{hashlib.sha256(data).hexdigest()[:12]}.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", out).translate(BIDI_MARKS))


def pdf_fonts(data: bytes, tmp_path: Any) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout


def fonts_for(language: str) -> set[str]:
    out = subprocess.run(
        ["fc-list", f":lang={language}", "family"], check=True, capture_output=True, text=True
    )
    return {family.strip() for line in out.stdout.splitlines() for family in line.split(",")}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@dataclass
class Agreed:
    pw: PartnershipWorld
    partnership: Partnership
    first: AgreementVersion  # the version put to the leaders
    second: AgreementVersion  # the version with the consent record

    @property
    def slug(self) -> str:
        return str(self.pw.nw.network.slug)

    def page(self) -> str:
        return reverse("partnership_agreements", args=[self.slug, self.partnership.pk])

    def pdf(self, number: int, language: str) -> str:
        return reverse("partnership_agreement_pdf", args=[self.slug, self.partnership.pk, number, language])


def _agreed(world: Any, *, consent: bool = True) -> Agreed:
    pw = build_partnership_world(world.a)
    partnership = propose(pw, name="Reading with Second School", review_dates=["2027-03-15"])
    svc.partnership_update(actor=pw.leader_a, partnership=partnership, values={"summary": SUMMARY})
    members = {m.organisation_id: m for m in partnership.members.all()}
    member_a, member_b = members[pw.nw.school.pk], members[pw.school_b.pk]
    svc.person_add(actor=pw.leader_a, member=member_b, user=pw.teacher_b, role=v.PersonRole.COORDINATOR)
    goal = plan.goal_create(
        actor=pw.leader_a,
        partnership=partnership,
        values={"title": "Better reading", "motive": v.Motive.STUDENTS, "horizon": v.Horizon.SHORT},
    )
    plan.activity_create(
        actor=pw.leader_a,
        partnership=partnership,
        values={
            "goal": goal,
            "title": "Reading lessons at Second School",
            "kind": v.ActivityType.JOINT_LESSONS,
            "owner": member_b,
            "starts_on": dt.date(2026, 9, 1),
            "ends_on": dt.date(2027, 6, 30),
        },
    )
    indicator = Indicator.objects.create(
        network=pw.nw.network, code="reading", name="Reading score", unit="%"
    )
    plan.plan_indicator_create(
        actor=pw.leader_a,
        goal=goal,
        values={
            "indicator": indicator,
            "baseline": 41.5,
            "baseline_year": 2025,
            "target": 58,
            "target_year": 2027,
        },
    )
    first = svc.partnership_invite(actor=pw.leader_a, partnership=partnership)
    second = first
    if consent:
        svc.consent_decide(
            actor=pw.leader_a, partnership=partnership, member=member_a, decision=v.Decision.ACCEPTED
        )
        svc.consent_decide(
            actor=pw.leader_b,
            partnership=partnership,
            member=member_b,
            decision=v.Decision.ACCEPTED,
            comment="Agreed by the staff of Second School",
        )
        second = partnership.agreement_versions.get(number=2)
    partnership.refresh_from_db()
    return Agreed(pw=pw, partnership=partnership, first=first, second=second)


@pytest.fixture
def agreed(world):
    return _agreed(world)


@pytest.fixture
def quick_render(monkeypatch):
    """Access tests check who gets a PDF, not its layout: skip the renderer."""
    monkeypatch.setattr(
        agreements, "render_pdf", lambda html: b"%PDF-1.7 " + hashlib.sha256(html.encode()).digest()
    )


# --- the versions the services made ----------------------------------------------------------------------


def test_services_made_the_versions(agreed):
    assert agreed.partnership.state == v.State.ACTIVE
    assert agreed.partnership.consent_version == 1
    assert (agreed.first.number, agreed.first.with_consents) == (1, False)
    assert (agreed.second.number, agreed.second.with_consents) == (2, True)
    assert agreed.second.content["consent_version"] == 1
    assert [c["decision"] for c in agreed.second.content["consents"]] == ["accepted", "accepted"]


# --- the HTML ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "direction"), [("en", "ltr"), ("ru", "ltr"), ("nl", "ltr"), ("he", "rtl"), ("fa", "rtl")]
)
def test_html_direction_and_language(agreed, language, direction):
    html = agreements.agreement_html(
        agreed.second.content, language, number=2, dated=agreed.second.created_at
    )
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert "Second School" in html
    assert 'id="version-number">2<' in html
    assert 'id="consents"' in html
    assert "Draft" not in html


def test_html_labels_every_code(agreed):
    html = agreements.agreement_html(agreed.second.content, "en", number=2)
    for label in (
        "Lead",
        "Supported",
        "External partner",
        "Initiator",
        "Executor",
        "Supporter",
        "High- with low-performing schools",
        "Students",
        "Teaching quality",
        "The schools themselves",
        "Voluntary, started by the schools",
        "Same locality",
        "Blended",
        "Pair",
        "Short term (up to a year)",
        "Joint lessons for pupils",
        "Coordinator",
        "Accepted",
    ):
        assert label in html, label
    for code in ("high_low_federation", "teaching_quality", "joint_lessons", "same_locality"):
        assert code not in html
    # every dimension of the typology has its row, specified or not
    assert html.count('<th scope="row">', html.index('id="typology"')) == len(agreements.TYPOLOGY)


def test_html_version_for_consent_has_no_consent_record(agreed):
    html = agreements.agreement_html(agreed.first.content, "en", number=1)
    assert 'id="consents"' not in html
    assert "asked to accept or decline this version" in html


def test_html_without_number_is_a_draft(agreed):
    from django.utils import translation

    html = agreements.agreement_html(agreed.first.content, "fa")
    assert 'id="draft-banner"' in html
    with translation.override("fa"):
        assert translation.gettext("Draft — not a version for consent") in html
    assert 'dir="rtl"' in html


def test_typed_text_keeps_its_own_direction_in_right_to_left_documents(agreed):
    assert agreements.Text("Second School").dir == "ltr"
    assert agreements.Text("בית ספר שני").dir == "rtl"
    assert agreements.Text("2 کلاس").dir == "rtl"
    assert agreements.Text("2025").dir == "ltr"
    html = agreements.agreement_html(agreed.second.content, "he", number=2)
    assert '<bdi dir="ltr">Second School</bdi>' in html
    assert '<bdi dir="ltr">2 hours a week</bdi>' in html


def test_html_refuses_unknown_language(agreed):
    with pytest.raises(ValueError):
        agreements.agreement_html(agreed.first.content, "xx")


def test_pseudonymised_content_hides_names(agreed):
    network_id = agreed.pw.nw.network.pk
    content = agreements.pseudonymised_content(agreed.second.content, network_id)
    flat = repr(content)
    for name in (
        "Second School",
        "a School",
        "a Museum",
        agreed.pw.leader_a.full_name,
        "Leader B",
        "Teacher B",
    ):
        assert name not in flat, name
    code_b = pseudonym(network_id, agreed.pw.school_b.pk)
    assert content["name"] == f"Reading with {code_b}"
    assert content["consents"][1]["member"] == code_b
    assert content["consents"][1]["comment"] == f"Agreed by the staff of {code_b}"
    assert content["goals"][0]["activities"][0]["owner"] == code_b
    assert agreed.second.content["members"][1]["name"] == "Second School"  # the stored content is untouched


# --- PDFs through the pages ---------------------------------------------------------------------------


def test_english_pdf_holds_the_agreement_and_its_checksum(agreed, tmp_path):
    leader_a = agreed.pw.leader_a
    response = _client(leader_a).get(agreed.pdf(2, "en"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="agreement-reading-with-second-school-v2-en.pdf"'
    )
    data = response.content
    assert data.startswith(b"%PDF-")
    text = pdf_text(data, tmp_path)
    for expected in (
        "Reading with Second School",
        "Network A",
        "Version 2",
        "a School",
        "Second School",
        "a Museum",
        "Lead",
        "Supported",
        "External partner",
        "Initiator",
        "2 hours a week",
        "Two teachers",
        "Exhibits",
        "High- with low-performing schools",
        "Better reading",
        "Joint lessons for pupils",
        "Reading score",
        "41.5 (2025)",
        "58 (2027)",
        "March 15, 2027",
        "Teacher B",
        "Consent record of version 1",
        "Accepted",
        leader_a.full_name,
        "Leader B",
        "Agreed by the staff of Second School",
    ):
        assert expected in text, expected
    rendering = AgreementRendering.objects.get(version=agreed.second, language="en")
    assert rendering.checksum == hashlib.sha256(data).hexdigest()
    assert rendering.size == len(data)
    audit = AuditEntry.objects.get(action="render", object_id=str(rendering.pk))
    assert audit.checksum == rendering.checksum
    assert audit.actor == leader_a

    # the second download serves the stored bytes and records nothing new
    again = _client(agreed.pw.leader_b).get(agreed.pdf(2, "en"))
    assert again.content == data
    assert AgreementRendering.objects.filter(version=agreed.second).count() == 1
    assert AuditEntry.objects.filter(action="render").count() == 1


def test_first_version_is_the_text_for_consent(agreed, tmp_path):
    text = pdf_text(_client(agreed.pw.leader_a).get(agreed.pdf(1, "en")).content, tmp_path)
    assert "Version 1" in text
    assert "asked to accept or decline this version" in text
    assert "Consent record" not in text
    assert "Leader B" not in text


def test_version_renders_its_frozen_content_not_the_live_partnership(agreed, tmp_path):
    svc.partnership_update(
        actor=agreed.pw.leader_a, partnership=agreed.partnership, values={"name": "Renamed later"}
    )
    text = pdf_text(_client(agreed.pw.leader_a).get(agreed.pdf(1, "en")).content, tmp_path)
    assert "Reading with Second School" in text
    assert "Renamed later" not in text


def test_every_language_shares_the_number_with_its_own_checksum(agreed, tmp_path):
    client = _client(agreed.pw.leader_a)
    served = {}
    for language in LANGUAGES:
        response = client.get(agreed.pdf(2, language))
        assert response.status_code == 200, language
        assert response["Content-Disposition"].endswith(f'-v2-{language}.pdf"')
        served[language] = response.content
        text = pdf_text(response.content, tmp_path)
        for expected in (
            "Second School",
            "a Museum",
            "Leader B",
            agreed.pw.leader_a.full_name,
            "2025",
            "2027",
        ):
            assert expected in text, (language, expected)
    renderings = {
        r.language: r for r in AgreementRendering.objects.filter(version__partnership=agreed.partnership)
    }
    assert set(renderings) == set(LANGUAGES)
    assert {r.version.number for r in renderings.values()} == {2}
    assert len({r.checksum for r in renderings.values()}) == len(LANGUAGES)
    for language, rendering in renderings.items():
        assert rendering.checksum == hashlib.sha256(served[language]).hexdigest()


@pytest.mark.parametrize(("language", "script"), [("he", HEBREW), ("fa", ARABIC_SCRIPT)])
def test_right_to_left_pdf_embeds_a_font_for_its_script(agreed, tmp_path, language, script):
    data = _client(agreed.pw.leader_a).get(agreed.pdf(2, language)).content
    text = pdf_text(data, tmp_path)
    assert "Second School" in text
    assert script.search(text)  # the summary and the month names (Django's own catalogue)
    assert "קוראים" in text or language == "fa"
    assert "مشترک" in text or language == "he"
    covering = {family.replace(" ", "-") for family in fonts_for(language)}
    embedded = pdf_fonts(data, tmp_path)
    assert any(f"+{family}" in embedded for family in covering), embedded


# --- the page ----------------------------------------------------------------------------------------------


def test_page_lists_versions_with_consent_and_renderings(agreed):
    _client(agreed.pw.leader_a).get(agreed.pdf(2, "he"))
    rendering = AgreementRendering.objects.get(version=agreed.second, language="he")
    response = _client(agreed.pw.nw.user(Role.TEACHER)).get(agreed.page())
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="version-1"' in html and 'id="version-2"' in html
    assert "The leaders of the member schools consent to version 1." in html
    assert "Holds the consent record of version 1" in html
    assert rendering.checksum in html
    assert agreed.pdf(2, "fa") in html
    assert html.count("Not made yet") == 2 * len(LANGUAGES) - 1


def test_download_form_leads_to_the_chosen_language(agreed):
    client = _client(agreed.pw.leader_a)
    url = reverse("partnership_agreement_download", args=[agreed.slug, agreed.partnership.pk, 2])
    assert client.get(url, {"language": "fa"}).url == agreed.pdf(2, "fa")
    assert client.get(url).url == agreed.pdf(2, "en")  # the user's current language
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="nl").url == agreed.pdf(2, "nl")


def test_unknown_language_or_version_is_404(agreed):
    client = _client(agreed.pw.leader_a)
    assert client.get(agreed.pdf(2, "de")).status_code == 404
    assert client.get(agreed.pdf(9, "en")).status_code == 404


@pytest.mark.parametrize("role", sorted(Role.values))
def test_access_of_every_role(agreed, role, quick_render):
    client = _client(agreed.pw.nw.user(role))
    draft = reverse("partnership_agreement_draft", args=[agreed.slug, agreed.partnership.pk, "en"])
    download = reverse("partnership_agreement_download", args=[agreed.slug, agreed.partnership.pk, 1])
    expected = 200 if role in READERS else 403
    assert client.get(agreed.page()).status_code == expected
    assert client.get(agreed.pdf(1, "en")).status_code == expected
    assert client.get(draft).status_code == expected
    assert client.get(download).status_code == (302 if role in READERS else 403)


@pytest.mark.parametrize("role", sorted(Role.values))
def test_network_b_sees_nothing(world, agreed, role, quick_render):
    client = _client(world.b.user(role))
    draft = reverse("partnership_agreement_draft", args=[agreed.slug, agreed.partnership.pk, "en"])
    download = reverse("partnership_agreement_download", args=[agreed.slug, agreed.partnership.pk, 2])
    for url in (agreed.page(), agreed.pdf(2, "en"), draft, download):
        assert client.get(url).status_code == 404, url
    assert not AgreementRendering.objects.exists()


def test_researcher_pdf_is_pseudonymised_and_not_stored(agreed, tmp_path):
    researcher = agreed.pw.nw.user(Role.RESEARCHER)
    client = _client(researcher)
    page = client.get(agreed.page()).content.decode()
    assert 'id="pseudonymised-note"' in page
    code_b = pseudonym(agreed.pw.nw.network.pk, agreed.pw.school_b.pk)
    assert f"Reading with {code_b}" in page
    # the tabs above the page are not this page's; from its title on, no organisation is named
    page = page[: page.index("<body")] + page[page.index('id="page-title"') :]
    assert "Second School" not in page
    assert agreed.second.created_by_name not in page
    response = client.get(agreed.pdf(2, "en"))
    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="agreement-{agreed.partnership.pk}-v2-en.pdf"'
    )
    text = pdf_text(response.content, tmp_path)
    network_id = agreed.pw.nw.network.pk
    for organisation in (agreed.pw.nw.school, agreed.pw.school_b, agreed.pw.nw.partner):
        assert pseudonym(network_id, organisation.pk) in text
    for name in ("Second School", "a Museum", "Leader B", "Teacher B", agreed.pw.leader_a.full_name):
        assert name not in text, name
    assert not re.search(r"(?<![A-Za-z])a School", text)
    assert "Pseudonymised" in text
    assert "Accepted" in text and "Consent record of version 1" in text
    assert not AgreementRendering.objects.exists()


def test_draft_before_any_version(world, tmp_path):
    pw = build_partnership_world(world.a)
    partnership = propose(pw)
    client = _client(pw.leader_a)
    page = client.get(reverse("partnership_agreements", args=[pw.nw.network.slug, partnership.pk]))
    assert 'id="no-versions"' in page.content.decode()
    response = client.get(
        reverse("partnership_agreement_draft", args=[pw.nw.network.slug, partnership.pk, "he"])
    )
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "טיוטה" in text  # "Draft" in Hebrew
    assert "Second School" in text
    assert HEBREW.search(text)
    assert not AgreementVersion.objects.exists()
    assert not AgreementRendering.objects.exists()


# --- the service -----------------------------------------------------------------------------------------


def test_agreement_pdf_is_stored_once(agreed):
    first = agreements.agreement_pdf(agreed.second, "nl")
    assert agreements.agreement_pdf(agreed.second, "nl").pk == first.pk
    assert bytes(first.pdf).startswith(b"%PDF-")
    with pytest.raises(ValueError):
        agreements.agreement_pdf(agreed.second, "xx")


def test_agreement_pdf_keeps_the_rendering_stored_first_in_a_race(agreed, monkeypatch):
    """Another request stores the same version and language while this one is rendering."""
    render = agreements.render_pdf
    other = {}

    def render_while_another_stores(html: str) -> bytes:
        data = render(html)
        other["rendering"] = AgreementRendering.objects.create(
            version=agreed.second, language="ru", pdf=b"%PDF-other", checksum="0" * 64, size=10
        )
        return data

    monkeypatch.setattr(agreements, "render_pdf", render_while_another_stores)
    rendering = agreements.agreement_pdf(agreed.second, "ru")
    assert rendering.pk == other["rendering"].pk
    assert AgreementRendering.objects.filter(version=agreed.second, language="ru").count() == 1
    assert not AuditEntry.objects.filter(action="render").exists()
