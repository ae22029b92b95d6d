"""Booking a shared resource in a real browser, in English and in Persian.

A teacher of school B requests school A's lab; school A's leader approves it in another context; a second
request for an overlapping slot is refused, and the page shows the first booking in the way.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from interschool.core.models import OrganisationKind, Role
from interschool.core.tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from interschool.resources import vocabularies as v
from interschool.resources.models import Booking, OpeningHours, Resource
from tests.e2e.conftest import check_accessibility
from tests.e2e.test_browser import log_in


@pytest.mark.parametrize("language", ["en", "fa"])
def test_request_approve_then_overlap_refused(
    page: Page, browser: Browser, browser_context_args, live_server, live_world, artifacts, language
):
    nw = live_world.a
    school_b = OrganisationFactory(network=nw.network, kind=OrganisationKind.SCHOOL, name="Birch Primary")
    teacher_b = UserFactory(email=f"teacher.b.{language}@a.example.org", language=language)
    MembershipFactory(user=teacher_b, network=nw.network, role=Role.TEACHER, organisation=school_b)
    leader_a = nw.user(Role.SCHOOL_LEADER)
    leader_a.language = language
    leader_a.save(update_fields=["language"])
    lab = Resource.objects.create(
        network=nw.network,
        owner=nw.school,
        name="Chemistry lab",
        kind=v.ResourceKind.LABORATORY,
        capacity=24,
        time_zone="Asia/Tehran",
        shared_with_network=True,
        approval_required=True,
    )
    for weekday in range(7):
        OpeningHours.objects.create(resource=lab, weekday=weekday, opens=dt.time(8), closes=dt.time(16))
    day = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    base = live_server.url

    # 1. The teacher of school B requests the lab.
    log_in(page, base, str(teacher_b.email))
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    page.goto(f"{base}/n/a/resources/")
    check_accessibility(page)
    page.locator("#resource-table a", has_text="Chemistry lab").click()
    page.fill("#id_day", day)
    page.fill("#id_starts", "10:00")
    page.fill("#id_ends", "11:30")
    page.fill("#id_purpose", "Titration practical")
    page.fill("#id_headcount", "20")
    check_accessibility(page)
    page.locator("#book-button").click()
    request = Booking.objects.get(resource=lab)
    expect(page.locator(f"#booking-{request.pk}")).to_have_attribute("data-status", v.BookingStatus.PENDING)

    # 2. School A's leader approves it, in another context.
    context = browser.new_context(**browser_context_args)
    leader_page = context.new_page()
    log_in(leader_page, base, leader_a.email)
    leader_page.goto(f"{base}/n/a/resources/requests/")
    check_accessibility(leader_page)
    leader_page.locator(f"#request-{request.pk} .approve-button").click()
    expect(leader_page.locator("#empty-state")).to_be_visible()
    request.refresh_from_db()
    assert request.status == v.BookingStatus.CONFIRMED
    leader_page.screenshot(path=artifacts / f"resources-approved-{language}.png", full_page=True)
    context.close()

    # 3. A second, overlapping request is refused, showing the first booking.
    page.goto(f"{base}/n/a/resources/{lab.pk}/")
    expect(page.locator(f"#booking-{request.pk}")).to_have_attribute("data-status", v.BookingStatus.CONFIRMED)
    page.fill("#id_day", day)
    page.fill("#id_starts", "11:00")
    page.fill("#id_ends", "12:00")
    page.fill("#id_purpose", "Second group")
    page.fill("#id_headcount", "10")
    page.locator("#book-button").click()
    conflicts = page.locator("#conflicts")
    expect(conflicts).to_be_visible()
    expect(conflicts).to_contain_text("Birch Primary")
    expect(conflicts).to_contain_text(str(request.pk))
    assert Booking.objects.filter(resource=lab).count() == 1
    check_accessibility(page)
    page.screenshot(path=artifacts / f"resources-refused-{language}.png", full_page=True)
