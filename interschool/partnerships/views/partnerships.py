"""Stub: filled in by its owner."""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path


def _stub(request: HttpRequest, network_slug: str, **kwargs: object) -> HttpResponse:
    raise Http404


urlpatterns = [
    path("", _stub, name="partnership_list"),
    path("<int:pk>/", _stub, name="partnership_detail"),
    path("typology/", _stub, name="partnership_typology"),
]
