"""The REST API: one NinjaAPI under /api/v1/, conventions in docs/api.md, routers from the domain apps."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

import interschool
from interschool.core.api import router as core_router
from interschool.core.api_conventions import SessionAuth, TokenAuth
from interschool.matching.api import router as matching_router
from interschool.partnerships.api import router as partnerships_router
from interschool.registry.api import router as registry_router
from interschool.resources.api import router as resources_router

api = NinjaAPI(
    title="Interschool API",
    version="1",
    description="The REST API of Interschool. Conventions: see docs/api.md in the source.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api-v1",
    docs_url="/docs",
)


def _error(
    request: HttpRequest, status: int, detail: str, errors: list[dict[str, str]] | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        loc = [
            str(part)
            for part in error.get("loc", ())
            if part not in {"body", "query", "path", "payload", "form", "file"}
        ]
        errors.append({"field": ".".join(loc) or "__all__", "message": str(error.get("msg", "invalid"))})
    return _error(request, 422, "The request is not valid.", errors)


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [
            {"field": field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"field": "__all__", "message": message} for message in exc.messages]
    return _error(request, 422, "The request is not valid.", errors)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "Authentication required: log in or send 'Authorization: Bearer <token>'.")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "Not found.")


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, "Your role in this network does not allow this.")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc))


class Version(Schema):
    name: str
    version: str


@api.get("/version", auth=None, response=Version, tags=["meta"], summary="Product name and version")
def version(request: HttpRequest) -> dict[str, str]:
    return {"name": "Interschool", "version": interschool.__version__}


api.add_router("/", core_router)
api.add_router("/", registry_router)
api.add_router("/", partnerships_router)
api.add_router("/", matching_router)
api.add_router("/", resources_router)
