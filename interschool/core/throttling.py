"""How repeated log-in failures are counted: per e-mail address (case-insensitive) and client address."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def login_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    for source in (credentials or {}, getattr(request, "POST", {})):
        for key in ("username", "email"):
            value = source.get(key)
            if value:
                return str(value).strip().lower()
    return None
