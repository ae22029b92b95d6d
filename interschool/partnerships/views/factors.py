"""Stub: filled in by its owner."""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path


def _stub(request: HttpRequest, network_slug: str, **kwargs: object) -> HttpResponse:
    raise Http404


urlpatterns = [
    path("<int:pk>/factors/", _stub, name="partnership_factors"),
    path("barriers/", _stub, name="network_barriers"),
]
