"""Top-level URLs: the pages, the API and its documentation."""

from functools import partial

from django.urls import include, path
from ninja.openapi.views import openapi_view

from interschool.config.api import api
from interschool.resources import views as resource_views

urlpatterns = [
    path("api/v1/", api.urls),
    path("api/docs", partial(openapi_view, api=api), name="api_docs"),
    path("n/<slug:network_slug>/", include("interschool.registry.urls")),
    path("n/<slug:network_slug>/partnerships/", include("interschool.partnerships.urls")),
    path("n/<slug:network_slug>/matching/", include("interschool.matching.views")),
    path("n/<slug:network_slug>/resources/", include("interschool.resources.views")),
    path("feeds/<str:token>.ics", resource_views.feed_ics, name="feed_ics"),
    path("", include("interschool.core.urls")),
]
