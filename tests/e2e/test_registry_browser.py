"""The registry in a real browser: the mapping wizard end to end, then a school profile with its chart."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from interschool.core.models import Role
from tests.e2e.conftest import check_accessibility
from tests.e2e.test_browser import log_in

FIXTURE = Path(__file__).resolve().parents[2] / "interschool" / "registry" / "tests" / "fixtures"


@pytest.fixture
def worker(transactional_db):
    """A background worker in this process, as `interschool serve` runs one."""
    from interschool.cli import start_worker_thread

    thread, running = start_worker_thread(interval=0.2)
    yield running
    running.running = False
    thread.join(timeout=10)


@pytest.mark.parametrize("language", ["en", "he"])
def test_wizard_import_then_profile_chart(page: Page, live_server, live_world, worker, artifacts, language):
    admin = live_world.a.user(Role.ADMIN)
    admin.language = language
    admin.save(update_fields=["language"])
    base = live_server.url
    log_in(page, base, admin.email)
    expect(page.locator("html")).to_have_attribute("lang", language)

    # 1. Upload.
    page.goto(f"{base}/n/a/imports/wizard/")
    check_accessibility(page)
    page.set_input_files("input[name=file]", str(FIXTURE / "state_schools.csv"))
    page.locator("#wizard-upload button[type=submit]").click()
    page.wait_for_url("**/mapping/")

    # 2. Preview and map: a layout the product has never seen, mapped with the form alone.
    expect(page.locator("#preview")).to_contain_text("Alder Valley High School")
    check_accessibility(page)
    page.select_option("select[name=identifier_column]", "SCHOOL_ID")
    page.select_option("select[name=identifier_scheme]", "national")
    page.fill("input[name=identifier_pattern]", r"\d{7}")
    page.select_option("select[name=name_column]", "SCHOOL_NAME")
    page.select_option("select[name=latitude_column]", "LAT")
    page.select_option("select[name=longitude_column]", "LON")
    page.select_option("select[name=district_column]", "DISTRICT_NAME")
    page.select_option("select[name=phase_column]", "LEVEL_")
    page.fill(
        "textarea[name=phase_values]", "ELEMENTARY = primary\nMIDDLE = middle\nHIGH = secondary\nOTHER ="
    )
    page.select_option("select[name=keep_column]", "STATUS")
    page.fill("input[name=keep_values]", "Open, OPEN")
    page.fill("input[name=year]", "2023")
    page.select_option("select[name=enrolment_column]", "ENROLL")
    page.check("input[name=outcome_columns][value=PCT_PROFICIENT_2023]")
    page.check("input[name=outcome_fraction]")
    page.fill("input[name=outcome_unit]", "%")
    page.fill("input[name=missing_markers]", "-999")
    page.locator("#validate").click()

    # 3. Validate: the progress bar runs to the end, every row is valid.
    page.wait_for_url("**/imports/*/")
    expect(page.locator("#import-progress-bar")).to_be_visible()
    expect(page.locator("#import-validated")).to_be_visible(timeout=30_000)
    expect(page.locator("#import-progress-bar")).to_have_attribute("data-progress", "100")
    check_accessibility(page)

    # 4. Commit, and watch it finish.
    page.locator("#commit-import").click()
    expect(page.locator("#import-done")).to_be_visible(timeout=30_000)
    expect(page.locator("#import-progress-bar")).to_have_attribute("data-progress", "100")
    expect(page.locator("#import-summary")).to_contain_text("state_schools.csv")
    page.screenshot(path=artifacts / f"import-done-{language}.png", full_page=True)

    # The registry lists the new schools; open a profile and see its chart.
    page.goto(f"{base}/n/a/organisations/?q=0100013")
    page.locator("#school-table a", has_text="Alder Valley High School").click()
    expect(page.locator("#profile-title")).to_have_text("Alder Valley High School")
    chart = page.locator("img.chart").first
    expect(chart).to_be_visible()
    # The chart is an SVG image of its own: wait until the browser has loaded and decoded it.
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=chart.element_handle())
    expect(page.locator("#identifiers")).to_contain_text("0100013")
    expect(page.locator("#network-map svg")).to_be_visible()
    if language == "he":
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
    check_accessibility(page)
    page.screenshot(path=artifacts / f"profile-{language}.png", full_page=True)
