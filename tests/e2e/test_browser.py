"""Log in as each role, switch to right-to-left languages, and invite a teacher, in a real browser."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from interschool.core.models import Role
from interschool.core.tests.factories import PASSWORD
from tests.e2e.conftest import check_accessibility

HEADINGS = {
    Role.ADMIN: "Network administrator dashboard",
    Role.COORDINATOR: "Coordinator dashboard",
    Role.SCHOOL_LEADER: "School leader dashboard",
    Role.TEACHER: "Teacher dashboard",
    Role.EXTERNAL_PARTNER: "External partner dashboard",
    Role.RESEARCHER: "Researcher dashboard",
}


def log_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("role", Role.values)
def test_each_role_sees_its_dashboard(page: Page, live_server, live_world, role):
    page.goto(live_server.url)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    check_accessibility(page)
    log_in(page, live_server.url, live_world.a.user(role).email)
    expect(page.locator("#dashboard-title")).to_have_text(HEADINGS[Role(role)])
    expect(page.locator("#count-schools")).to_have_text("1")
    check_accessibility(page)
    for link in ("Organisations",):
        page.get_by_role("link", name=link, exact=True).first.click()
        check_accessibility(page)


@pytest.mark.parametrize("language", ["he", "fa"])
def test_right_to_left_languages(page: Page, live_server, live_world, artifacts, language):
    log_in(page, live_server.url, live_world.a.user(Role.ADMIN).email)
    page.select_option("#language-select", language)  # the switcher submits itself on change
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert page.viewport_size is not None
    width = page.viewport_size["width"]
    brand = page.locator(".navbar-brand").bounding_box()
    assert brand is not None and brand["x"] >= width / 2, f"navigation starts at x={brand} of {width}"
    nav_links = page.locator("#nav-items .navbar-nav .nav-link").first.bounding_box()
    assert nav_links is not None and nav_links["x"] >= width / 2
    page.screenshot(path=artifacts / f"dashboard-{language}.png", full_page=True)
    check_accessibility(page)
    page.goto(f"{live_server.url}/n/a/members/")
    check_accessibility(page)
    page.screenshot(path=artifacts / f"members-{language}.png", full_page=True)


def test_administrator_invites_a_teacher(page: Page, live_server, live_world, browser):
    log_in(page, live_server.url, live_world.a.user(Role.ADMIN).email)
    page.get_by_role("link", name="Invite a member").first.click()
    check_accessibility(page)
    page.get_by_label("E-mail address").fill("new.teacher@example.org")
    page.get_by_label("Role").select_option(Role.TEACHER.value)
    page.get_by_label("Organisation").select_option(label=f"{live_world.a.school.name} (School)")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invitation sent to new.teacher@example.org")).to_be_visible()
    check_accessibility(page)

    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/invitation/" in line)
    path = link[link.index("/invitation/") :]

    teacher = browser.new_page()
    try:
        teacher.goto(f"{live_server.url}{path}")
        check_accessibility(teacher)
        teacher.get_by_label("Full name").fill("Nora Teacher")
        teacher.locator("#id_password1").fill("a-long-password-1")
        teacher.get_by_label("Password again").fill("a-long-password-1")
        teacher.get_by_role("button", name="Join").click()
        expect(teacher.locator("#dashboard-title")).to_have_text(HEADINGS[Role.TEACHER])
        expect(teacher.locator("#unread-count")).to_contain_text("1")
        teacher.locator("#inbox-link").click()
        expect(teacher.locator("#notifications")).to_contain_text("Welcome to Network A")
        check_accessibility(teacher)
        # Log out and in again with the new password.
        teacher.locator("#account-menu").click()
        teacher.get_by_role("button", name="Log out").click()
        log_in(teacher, live_server.url, "new.teacher@example.org", "a-long-password-1")
        expect(teacher.locator("#dashboard-title")).to_have_text(HEADINGS[Role.TEACHER])
    finally:
        teacher.close()
    # The administrator is told that the invitation was accepted.
    page.goto(f"{live_server.url}/notifications/")
    expect(page.locator("#notifications")).to_contain_text("accepted your invitation")


def test_api_docs_work_offline(page: Page, live_server, live_world):
    page.goto(f"{live_server.url}/api/docs")
    expect(page.get_by_text("Interschool API").first).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
