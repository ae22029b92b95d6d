"""Request middleware: the active language and the current network."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import get_supported_language_variant, parse_accept_lang_header

from interschool.core.access import remember_memberships
from interschool.core.models import User

SESSION_NETWORK = "interschool_network"
SESSION_NETWORK_LANGUAGE = "interschool_network_language"


def _supported(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return get_supported_language_variant(code)
    except LookupError:
        return None


def language_for_request(request: HttpRequest) -> str:
    """The user's saved preference, else the switcher's cookie, else Accept-Language, else the network's.

    The network's default language is remembered in the session from the last network page.
    """
    user = getattr(request, "user", None)
    if isinstance(user, User) and user.language and (code := _supported(user.language)):
        return code
    if code := _supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)):
        return code
    for accept, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if accept != "*" and (code := _supported(accept)):
            return code
    if hasattr(request, "session") and (code := _supported(request.session.get(SESSION_NETWORK_LANGUAGE))):
        return code
    return settings.LANGUAGE_CODE


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_for_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        return response


class CurrentNetworkMiddleware:
    """Remembers the network of the last network page so that other pages (inbox, account) can link back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: dict[str, Any]
    ) -> None:
        slug = view_kwargs.get("network_slug")
        if not slug or not request.user.is_authenticated:
            return
        membership = next((m for m in remember_memberships(request.user) if m.network.slug == slug), None)
        if membership is None:
            return
        remembered = (request.session.get(SESSION_NETWORK), request.session.get(SESSION_NETWORK_LANGUAGE))
        if remembered != (slug, membership.network.default_language):
            request.session[SESSION_NETWORK] = slug
            request.session[SESSION_NETWORK_LANGUAGE] = membership.network.default_language
