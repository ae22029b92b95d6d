"""Security basics: CSP, CSRF, login throttling, secure cookies and the deployment check."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.test import Client

from interschool.core.models import Role
from interschool.core.tests.factories import PASSWORD


@pytest.mark.django_db
def test_content_security_policy_allows_only_this_site():
    response = Client().get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "http" not in policy.replace("'self'", "")
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_pages_load_nothing_from_another_host():
    html = Client().get("/accounts/login/").content.decode()
    assert "https://" not in html and "http://" not in html and "//cdn" not in html


def test_login_is_throttled_after_repeated_failures(world, settings):
    email = world.a.user(Role.TEACHER).email
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/accounts/login/", {"username": email, "password": "wrong-password"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"username": email, "password": "wrong-password"})
    assert response.status_code == 429
    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed" in response.content.decode()


def test_login_succeeds_with_the_right_password(world):
    response = Client().post(
        "/accounts/login/", {"username": world.a.user(Role.TEACHER).email, "password": PASSWORD}
    )
    assert response.status_code == 302


def test_forms_need_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.a.user(Role.ADMIN))
    response = client.post("/n/a/organisations/new/", {"kind": "school", "name": "X"})
    assert response.status_code == 403


def test_password_reset_mail(world, django_capture_on_commit_callbacks):
    from django.core import mail

    email = world.a.user(Role.TEACHER).email
    response = Client().post("/accounts/password_reset/", {"email": email})
    assert response.status_code == 302
    assert mail.outbox and "/accounts/reset/" in mail.outbox[0].body


def test_deploy_check_with_production_settings(tmp_path):
    base = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}}
    env = {
        **base,
        "INTERSCHOOL_DATA_DIR": str(tmp_path),
        "DEBUG": "0",
        "SECRET_KEY": "x7#" + "k" * 20 + "Qz9$" + "m" * 30 + "Vb2%pL0r",
        "INTERSCHOOL_HTTPS": "1",
        "ALLOWED_HOSTS": "interschool.example.org",
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env={**env, "DJANGO_SETTINGS_MODULE": "interschool.config.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secure_cookies_follow_https_setting(tmp_path):
    code = "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    env = {
        **os.environ,
        "INTERSCHOOL_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "interschool.config.settings",
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**env, "INTERSCHOOL_HTTPS": "1"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.split() == ["True", "True"]
