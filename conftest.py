"""Shared pytest fixtures: factories for networks, organisations and members of every role."""

from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM must still be usable there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.GENERATED_DIR = tmp_path / "generated"
    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing in tests
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def network_factory(db):
    from interschool.core.tests.factories import NetworkFactory

    return NetworkFactory


@pytest.fixture
def world(db):
    """Two networks, A and B, each with an organisation per kind and one member per role."""
    from interschool.core.tests.factories import build_world

    return build_world()
