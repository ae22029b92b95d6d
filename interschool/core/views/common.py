"""Small pieces every page view uses: pagination and turning service errors into form errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from interschool.core.models import User


class AuthenticatedRequest(HttpRequest):
    """The request of a view behind ``login_required``: its user is a real, active user."""

    user: User


PAGE_SIZE = 25


def paginate(
    request: HttpRequest, queryset: QuerySet[Any] | Sequence[Any], per_page: int = PAGE_SIZE
) -> Page[Any]:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, on the named field when it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
