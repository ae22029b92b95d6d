"""API conventions shared by every router: authentication, the error shape, pagination (see docs/api.md)."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import translation
from ninja import Schema
from ninja.pagination import PaginationBase
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import Field

from interschool.core.middleware import language_for_request
from interschool.core.models import User
from interschool.core.services.tokens import api_token_authenticate


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` with a personal API token."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
            # The language middleware ran before the token was read: the user's own language wins now.
            language = language_for_request(request)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return user


class SessionAuth(APIKeyCookie):
    """The browser session; unsafe methods need the CSRF token, as on every page."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if isinstance(user, User) and user.is_active:
            return user
        return None


class ErrorItem(Schema):
    field: str
    message: str


class Error(Schema):
    detail: str
    errors: list[ErrorItem] = []


class PageNumber(PaginationBase):
    """``page`` and ``page_size`` in, ``{"items": [...], "count": N}`` out."""

    class Input(Schema):
        page: int = Field(1, ge=1, description="Page number, from 1.")
        page_size: int = Field(50, ge=1, le=500, description="Items per page, at most 500.")

    class Output(Schema):
        items: list[Any]
        count: int

    def paginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        offset = (pagination.page - 1) * pagination.page_size
        return {
            "items": queryset[offset : offset + pagination.page_size],
            "count": self._items_count(queryset),
        }


ERRORS: dict[int, type[Schema]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class PagedRows:
    """A queryset the paginator counts and slices, serialising only the page it takes."""

    def __init__(
        self, queryset: QuerySet[Any], serialise: Callable[[list[Any]], list[dict[str, Any]]]
    ) -> None:
        self.queryset = queryset
        self.serialise = serialise

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return self.serialise(list(self.queryset[item]))
