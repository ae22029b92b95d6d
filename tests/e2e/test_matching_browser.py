"""Partner matching in a real browser, on the demo network, in English and in Russian.

The administrator starts a run and watches its progress (a background worker runs it), starts a second
run from the first with the closeness weight changed, compares the two side by side, opens a school's
ranked candidates with their explanations and accepts a pair; the two schools' leaders, each in their
own browser context, find the notification and the partnership proposal.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from interschool.core.models import Organisation, Role, User
from interschool.core.services.networks import member_add, user_create
from interschool.core.tests.factories import PASSWORD
from interschool.matching.models import Match, MatchingRun
from tests.e2e.conftest import check_accessibility
from tests.e2e.test_browser import log_in

LABELS = {
    "en": {"finished": "Finished", "compare": "Two runs side by side", "why": "Why this partner"},
    "ru": {"finished": "Готово", "compare": "Два запуска рядом", "why": "Почему этот партнёр"},
}


@pytest.fixture
def background_worker(transactional_db, settings):
    """Runs go through the database queue and a worker thread, as `interschool serve` runs them."""
    from interschool.cli import start_worker_thread

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    thread, worker = start_worker_thread(interval=0.2)
    yield worker
    worker.running = False
    thread.join(timeout=10)


def _leader_for(network, organisation: Organisation, email: str) -> User:
    user = user_create(actor="test", email=email, password=PASSWORD, full_name=f"Leader, {organisation.name}")
    member_add(actor="test", network=network, user=user, role=Role.SCHOOL_LEADER, organisation=organisation)
    return user


def _wait_finished(page: Page) -> None:
    expect(page.locator("#run-finished")).to_be_visible(timeout=60_000)
    expect(page.locator("#run-metrics")).to_be_visible()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_run_compare_explain_accept(
    page: Page, browser: Browser, browser_context_args, live_server, background_worker, artifacts, language
):
    from interschool.core.services.demo import demo_ensure, demo_logins

    network, _logins, _created = demo_ensure()
    admin_login = next(login for login in demo_logins() if login.role == Role.ADMIN)
    admin = User.objects.get(email=admin_login.email)
    admin.language = language
    admin.save(update_fields=["language"])
    assert MatchingRun.objects.filter(network=network, status="finished").exists()  # the demo's own run
    base = live_server.url
    log_in(page, base, admin.email, admin_login.password)
    expect(page.locator("html")).to_have_attribute("lang", language)

    # 1. A run with the default parameters; the page shows its progress until it has finished.
    page.goto(f"{base}/n/demo/matching/")
    check_accessibility(page)
    page.locator("#new-run-link").click()
    page.fill("#id_note", "defaults")
    check_accessibility(page)
    page.locator("#start-run").click()
    page.wait_for_url("**/matching/*/")
    expect(page.locator("#run-status")).to_be_visible()
    _wait_finished(page)
    first = MatchingRun.objects.filter(network=network, note="defaults").get()
    assert first.status == "finished" and first.progress is not None and first.progress.status == "done"
    check_accessibility(page)

    # 2. A second run from the first, with closeness worth three times as much.
    page.locator("#rerun-link").click()
    expect(page.locator("#id_weight_distance")).to_have_value("2.0")
    page.fill("#id_weight_distance", "6")
    page.fill("#id_note", "closeness x3")
    page.locator("#start-run").click()
    page.wait_for_url(f"**/matching/{first.pk + 1}/")
    _wait_finished(page)
    second = MatchingRun.objects.get(pk=first.pk + 1)
    assert second.parameters["weight_distance"] == 6.0

    # 3. The two runs side by side.
    page.select_option("#compare-a", str(first.pk))
    page.locator("#compare-button").click()
    expect(page.locator("#page-title")).to_have_text(LABELS[language]["compare"])
    rows = page.locator("#compare-table tbody tr[data-metric=mean_distance_km] td")
    expect(rows).to_have_count(2)
    assert rows.nth(0).inner_text() != rows.nth(1).inner_text()  # closeness weighs more: pairs are nearer
    expect(page.locator("#changed-parameters")).to_contain_text("6")
    expect(page.locator("#only-a")).to_be_visible()
    check_accessibility(page)
    page.screenshot(path=artifacts / f"matching-compare-{language}.png", full_page=True)

    # 4. A school's ranked candidates with the explanation of every component.
    page.goto(f"{base}/n/demo/matching/{second.pk}/")
    match = Match.objects.filter(run=second).order_by("number").first()
    assert match is not None
    supported = match.members.get(role="supported").organisation
    leader_school = match.members.get(role="leader").organisation
    page.locator(f"#match-{match.number} a", has_text=supported.name).click()
    expect(page.locator("#own-match")).to_contain_text(leader_school.name)
    candidates = page.locator("#candidate-list > li")
    expect(candidates.first).to_be_visible()
    expect(page.locator(".explanation-table caption").first).to_have_text(LABELS[language]["why"])
    expect(candidates.first.locator(".explanation-table tbody tr")).to_have_count(9)
    check_accessibility(page)
    page.screenshot(path=artifacts / f"matching-candidates-{language}.png", full_page=True)

    # 5. The administrator accepts the pair; the two leaders are notified and find the proposal.
    leaders = [
        _leader_for(network, leader_school, f"matched-leader-{language}@example.test"),
        _leader_for(network, supported, f"matched-supported-{language}@example.test"),
    ]
    page.goto(f"{base}/n/demo/matching/{second.pk}/")
    page.locator(f"#match-{match.number} .accept-button").click()
    expect(page.locator(f"#match-{match.number} .accepted-link")).to_be_visible()
    match.refresh_from_db()
    assert match.partnership is not None
    check_accessibility(page)
    page.screenshot(path=artifacts / f"matching-accepted-{language}.png", full_page=True)

    for leader in leaders:
        context = browser.new_context(**browser_context_args)
        leader_page = context.new_page()
        log_in(leader_page, base, leader.email)
        leader_page.goto(f"{base}/notifications/")
        notice = leader_page.locator("#notifications li").first
        expect(notice).to_contain_text(match.partnership.name)
        leader_page.goto(f"{base}/n/demo/partnerships/")
        link = leader_page.locator("#partnership-table a", has_text=match.partnership.name)
        expect(link).to_be_visible()
        link.click()
        expect(leader_page.locator("main")).to_contain_text(match.partnership.summary.splitlines()[0])
        check_accessibility(leader_page)
        context.close()
