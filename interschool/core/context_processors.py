"""Template context for the navigation shown on every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from interschool.core.access import memberships_for_user, remembered_memberships
from interschool.core.middleware import SESSION_NETWORK
from interschool.core.models import User
from interschool.core.services.notifications import inbox_unread


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    context: dict[str, Any] = {"interschool_languages": settings.LANGUAGES}
    if not isinstance(user, User):
        return context
    memberships = remembered_memberships(user)
    if memberships is None:
        memberships = list(memberships_for_user(user).order_by("network__name"))
    resolver = getattr(request, "resolver_match", None)
    slug = (resolver.kwargs.get("network_slug") if resolver else None) or request.session.get(SESSION_NETWORK)
    current = next(
        (m for m in memberships if m.network.slug == slug), memberships[0] if memberships else None
    )
    context.update(
        nav_memberships=memberships,
        nav_membership=current,
        nav_network=current.network if current else None,
        nav_unread=inbox_unread(user).count(),
    )
    return context
