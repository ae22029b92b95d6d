"""Browser tests: Playwright driving Debian's chromium against the live test server.

Every request must stay on the loopback host, every visited page is checked with axe-core (vendored),
and no Content-Security-Policy violation may appear in the console.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/lib/chromium/chromium")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"chromium not found at {CHROMIUM}: run scripts/system-deps.sh (installs Debian's chromium)"
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        # No background connections from the browser itself: this machine's network is closed.
        "args": ["--disable-background-networking", "--disable-component-update", "--no-first-run"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 800}, "locale": "en-GB"}


@pytest.fixture
def context(context):
    """Abort, and fail the test on, any request that leaves the loopback host."""
    external: list[str] = []

    def guard(route):
        url = route.request.url
        if url.startswith(("data:", "blob:", "about:")) or urlsplit(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            external.append(url)
            route.abort()

    context.route("**/*", guard)
    yield context
    assert not external, f"requests to other hosts: {external}"


@pytest.fixture
def page(page):
    """The page, failing the test on any CSP violation or JavaScript error reported in the console."""
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    yield page
    assert not problems, f"console errors: {problems}"


def check_accessibility(page) -> None:
    """Run axe-core on the current page; no serious or critical violation is allowed."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert not bad, f"accessibility violations on {page.url}: {bad}"


@pytest.fixture
def live_world(transactional_db):
    from interschool.core.tests.factories import build_world

    return build_world()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
