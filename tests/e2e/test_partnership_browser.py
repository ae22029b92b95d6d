"""A partnership's lifecycle in a real browser: two school leaders, each in their own browser context.

Leader A proposes a partnership with leader B's school and sends it for consent; leader B accepts in
another context; leader A accepts; the partnership becomes active; leader A downloads the agreement in
English and in Hebrew, and the PDFs' text (pdftotext) holds the schools, their roles and the consent record.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from interschool.core.models import Role
from interschool.partnerships.models import Partnership
from interschool.partnerships.tests.factories import build_partnership_world
from tests.e2e.conftest import check_accessibility
from tests.e2e.test_browser import log_in


def _new_page(browser: Browser, browser_context_args: dict) -> Page:
    context = browser.new_context(**browser_context_args)
    return context.new_page()


def _pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def _download(page: Page, link_selector: str, target: Path) -> Path:
    with page.expect_download() as download:
        page.locator(link_selector).click()
    download.value.save_as(target)
    return target


def test_two_leaders_consent_then_agreement_pdfs(
    page: Page, browser: Browser, browser_context_args, live_server, live_world, artifacts, tmp_path
):
    pw = build_partnership_world(live_world.a)
    base = live_server.url
    leader_a = pw.nw.user(Role.SCHOOL_LEADER)

    # Leader A proposes, in the first context.
    log_in(page, base, leader_a.email)
    page.goto(f"{base}/n/a/partnerships/")
    check_accessibility(page)
    page.locator("#propose-link").click()
    page.fill("#id_name", "Browser reading partnership")
    page.select_option("#id_model", "high_low_federation")
    page.check("input[name=motives][value=students]")
    page.check("input[name=motives][value=teaching_quality]")
    page.select_option("#id_lead_body", "schools")
    page.select_option("#id_initiative", "voluntary")
    page.select_option("#id_duration", "ongoing")
    page.select_option("#id_geography", "same_locality")
    page.select_option("#id_mode", "blended")
    page.select_option("#id_members-0-organisation", str(pw.nw.school.pk))
    page.select_option("#id_members-0-role", "lead")
    page.select_option("#id_members-0-actor_role", "initiator")
    page.fill("#id_members-0-commitment_time", "Two hours a week")
    if page.locator("#id_members-1-organisation").count() == 0:
        page.locator("#add-member").click()
    page.select_option("#id_members-1-organisation", str(pw.school_b.pk))
    page.select_option("#id_members-1-role", "supported")
    page.select_option("#id_members-1-actor_role", "executor")
    check_accessibility(page)
    page.locator("#propose-form button[type=submit]:not([name])").click()
    expect(page.locator("#state-badge")).to_have_text("Proposed")
    partnership = Partnership.objects.get(name="Browser reading partnership")
    detail = f"{base}/n/a/partnerships/{partnership.pk}/"
    expect(page).to_have_url(detail)
    check_accessibility(page)

    # Send for consent.
    page.locator("#invite-button").click()
    expect(page.locator("#state-badge")).to_have_text("Invited")
    expect(page.locator("#state-banner")).to_contain_text(pw.school_b.name)

    # Leader B, in a second browser context, sees the request and accepts with a comment.
    page_b = _new_page(browser, browser_context_args)
    log_in(page_b, base, pw.leader_b.email)
    page_b.goto(detail)
    form_b = page_b.locator(".consent-form")
    expect(form_b).to_have_count(1)  # only their own school's consent
    form_b.locator("textarea").fill("We agree to the plan.")
    form_b.get_by_role("button", name=f"Accept for {pw.school_b.name}").click()
    expect(page_b.locator("#state-badge")).to_have_text("Invited")  # still waiting for school A
    check_accessibility(page_b)

    # Leader A accepts last: the partnership becomes active.
    page.reload()
    page.locator(".consent-form").get_by_role("button", name=f"Accept for {pw.nw.school.name}").click()
    expect(page.locator("#state-badge")).to_have_text("Active")
    page.screenshot(path=artifacts / "partnership-active-en.png", full_page=True)
    page_b.reload()
    expect(page_b.locator("#state-badge")).to_have_text("Active")

    # The agreement: version 2 carries the consent record; download it in English and in Hebrew.
    page.goto(f"{detail}agreement/")
    check_accessibility(page)
    english = _download(page, "a.agreement-pdf[href$='/2/en.pdf']", tmp_path / "agreement-en.pdf")
    hebrew = _download(page, "a.agreement-pdf[href$='/2/he.pdf']", tmp_path / "agreement-he.pdf")
    for path in (english, hebrew):
        text = _pdf_text(path)
        assert pw.nw.school.name in text and pw.school_b.name in text
        assert leader_a.full_name in text and pw.leader_b.full_name in text  # who consented
        assert "We agree to the plan." in text
    english_text = _pdf_text(english)
    assert "Accepted" in english_text and "Lead" in english_text and "Supported" in english_text
    assert "Two hours a week" in english_text
    # Keep the first page of the Hebrew agreement as an image to look at.
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(hebrew), str(artifacts / "agreement-he")],
        check=True,
    )

    # Leader B's page in Hebrew lays out right to left.
    pw.leader_b.language = "he"
    pw.leader_b.save(update_fields=["language"])
    page_b.goto(detail)
    expect(page_b.locator("html")).to_have_attribute("dir", "rtl")
    check_accessibility(page_b)
    page_b.screenshot(path=artifacts / "partnership-active-he.png", full_page=True)
    page_b.context.close()
