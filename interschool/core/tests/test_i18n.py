"""Five languages: complete catalogues, language negotiation, right-to-left pages."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client

from interschool.core.models import Role

LANGUAGES = ["ru", "he", "fa", "nl"]
# Words that are written the same in English and the other language (product names, codes, units).
SAME_AS_ENGLISH = {"Interschool", "Interschool API", "API", "CSV", "OK", "sha256", "—"}
# Words spelled the same in English and in one language.
SAME_IN = {
    "nl": {
        "School",
        "Museum",
        "Status",
        "status",
        "Object",
        "object",
        "postcode",
        "district",
        "District",
        "Tab",
        "code",
        "indicator",
        "import",
        "Import #%(number)s",
        "Import #%(number)s: %(format)s",
        "Open",
        "%(km)s km",
    }
}


def catalogue(code: str) -> polib.POFile:
    return polib.pofile(str(settings.SOURCE_LOCALE_DIR / code / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("code", LANGUAGES)
def test_catalogue_is_complete(code):
    po = catalogue(code)
    assert len(po) > 100, f"{code}: the catalogue is nearly empty"
    problems = []
    allowed = SAME_AS_ENGLISH | SAME_IN.get(code, set())
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if any(not t.strip() for t in translations):
            problems.append(f"empty: {entry.msgid!r}")
        elif not entry.msgid_plural and entry.msgstr == entry.msgid and entry.msgid not in allowed:
            problems.append(f"same as English: {entry.msgid!r}")
    assert not problems, f"{code}: " + "; ".join(problems[:30])


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_catalogues_hold_every_string_of_the_code(tmp_path):
    """Extract the strings again from a copy of the package; each catalogue must contain all of them."""
    copy = tmp_path / "interschool"
    shutil.copytree(
        settings.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("static", "__pycache__", "tests")
    )
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "en", "--no-obsolete", "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "DJANGO_SETTINGS_MODULE": "interschool.config.settings",
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(Path(settings.PACKAGE_DIR).parent),
            "INTERSCHOOL_DATA_DIR": str(tmp_path / "data"),
        },
    )
    extracted = {
        e.msgid for e in polib.pofile(str(copy / "locale" / "en" / "LC_MESSAGES" / "django.po")) if e.msgid
    }
    for code in LANGUAGES:
        present = {e.msgid for e in catalogue(code) if not e.obsolete}
        missing = sorted(extracted - present)
        assert not missing, f"{code}: {len(missing)} strings are not in the catalogue, e.g. {missing[:10]}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "lang", "direction"),
    [
        ("he", "he", "rtl"),
        ("fa-IR,fa;q=0.9", "fa", "rtl"),
        ("ru", "ru", "ltr"),
        ("nl-BE", "nl", "ltr"),
        ("de, en;q=0.5", "en", "ltr"),
    ],
)
def test_anonymous_pages_follow_accept_language(header, lang, direction):
    response = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=header)
    html = response.content.decode()
    assert f'<html lang="{lang}" dir="{direction}">' in html
    assert ("bootstrap.rtl.min.css" in html) == (direction == "rtl")


def test_saved_preference_beats_the_browser_and_network_default_comes_last(world):
    user = world.a.user(Role.TEACHER)
    client = Client()
    client.force_login(user)
    assert '<html lang="ru"' in client.get("/n/a/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    user.language = "fa"
    user.save()
    assert '<html lang="fa" dir="rtl"' in client.get("/n/a/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    user.language = ""
    user.save()
    world.a.network.default_language = "nl"
    world.a.network.save()
    client.get("/n/a/")  # remembers the current network (and its default language) in the session
    assert '<html lang="nl"' in client.get("/notifications/").content.decode()


def test_switcher_saves_the_choice(world):
    user = world.a.user(Role.RESEARCHER)
    client = Client()
    client.force_login(user)
    response = client.post("/language/", {"language": "he", "next": "/n/a/"})
    assert response.status_code == 302 and response["Location"] == "/n/a/"
    user.refresh_from_db()
    assert user.language == "he"
    assert '<html lang="he" dir="rtl"' in client.get("/n/a/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # An outside address is never followed.
    assert client.post("/language/", {"language": "en", "next": "https://evil.example/"})["Location"] == "/"


@pytest.mark.django_db
def test_anonymous_switcher_uses_a_cookie():
    client = Client()
    client.post("/language/", {"language": "fa", "next": "/accounts/login/"})
    assert (
        '<html lang="fa" dir="rtl"'
        in client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


@pytest.mark.parametrize("code", LANGUAGES)
def test_pages_are_really_translated(world, code):
    client = Client()
    client.force_login(world.a.user(Role.ADMIN))
    html = client.get("/n/a/", HTTP_ACCEPT_LANGUAGE=code).content.decode()
    assert "Network administrator dashboard" not in html
    assert "Invite a member" not in html


def test_numbers_follow_the_language(world):
    from interschool.core.tests.factories import OrganisationFactory

    OrganisationFactory.create_batch(1200, network=world.a.network)
    client = Client()
    client.force_login(world.a.user(Role.ADMIN))
    english = client.get("/n/a/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    dutch = client.get("/n/a/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "1,201" in english and "1.201" in dutch
