"""The shared-resource pages, under /n/<network_slug>/resources/."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBase
from django.shortcuts import render
from django.urls import path

from interschool.core.views.common import AuthenticatedRequest, paginate
from interschool.resources import access
from interschool.resources import vocabularies as v
from interschool.resources.models import Booking


@login_required
def resource_list(request: AuthenticatedRequest, network_slug: str) -> HttpResponseBase:
    membership, resources = access.resource_list_for_user(request.user, network_slug)
    return render(
        request,
        "resources/resource_list.html",
        {"membership": membership, "network": membership.network, "page": paginate(request, resources)},
    )


@login_required
def resource_detail(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponseBase:
    membership, resource = access.resource_get_for_user(request.user, network_slug, pk)
    bookings = Booking.objects.filter(resource=resource, status__in=v.HOLDING).select_related("organisation")
    return render(
        request,
        "resources/resource_detail.html",
        {
            "membership": membership,
            "network": membership.network,
            "resource": resource,
            "hours": resource.opening_hours.all(),
            "closures": resource.closures.all(),
            "page": paginate(request, bookings),
        },
    )


urlpatterns = [
    path("", resource_list, name="resource_list"),
    path("<int:pk>/", resource_detail, name="resource_detail"),
]
