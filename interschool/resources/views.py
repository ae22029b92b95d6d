"""The shared-resource pages, under /n/<network_slug>/resources/: the catalogue, a resource with its
bookings and the booking form, requests waiting for a decision."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from interschool.core.models import Organisation
from interschool.core.views.common import AuthenticatedRequest, paginate
from interschool.resources import access
from interschool.resources import vocabularies as v
from interschool.resources.forms import BookingForm, DecisionForm
from interschool.resources.ical import CONTENT_TYPE
from interschool.resources.models import Booking, CalendarFeed
from interschool.resources.services import bookings as service
from interschool.resources.services import feeds as feed_service


@login_required
def resource_list(request: AuthenticatedRequest, network_slug: str) -> HttpResponseBase:
    membership, resources = access.resource_list_for_user(request.user, network_slug)
    _m, approvals = access.approvals_for_user(request.user, network_slug)
    return render(
        request,
        "resources/resource_list.html",
        {
            "membership": membership,
            "network": membership.network,
            "page": paginate(request, resources),
            "approvals": approvals.count(),
        },
    )


@login_required
def resource_detail(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponseBase:
    membership, resource = access.resource_get_for_user(request.user, network_slug, pk)
    any_school = membership.role in access.ALL_SEEING
    form = None
    conflicts: list[Booking] = []
    if access.can_book(membership):
        organisations = (
            Organisation.objects.filter(network=membership.network).order_by("name") if any_school else None
        )
        form = BookingForm(request.POST or None, organisations=organisations, time_zone=resource.time_zone)
        if request.method == "POST" and form.is_valid():
            organisation = form.cleaned_data["organisation"] if any_school else membership.organisation
            if organisation is None:
                raise PermissionDenied
            start, end = form.range()
            try:
                booking = service.booking_request(
                    actor=request.user,
                    resource=resource,
                    organisation=organisation,
                    start=start,
                    end=end,
                    purpose=form.cleaned_data["purpose"],
                    headcount=form.cleaned_data["headcount"],
                )
            except service.BookingRefused as refusal:
                conflicts = refusal.conflicts
                form.add_error(None, refusal.messages)
            else:
                messages.success(
                    request,
                    _("Requested: the owner decides.")
                    if booking.status == v.BookingStatus.PENDING
                    else _("Booked."),
                )
                return redirect("resource_detail", network_slug, resource.pk)
    elif request.method == "POST":
        raise PermissionDenied
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
            "form": form,
            "conflicts": conflicts,
            "can_approve": access.can_approve(membership, resource),
        },
    )


@login_required
def approvals(request: AuthenticatedRequest, network_slug: str) -> HttpResponseBase:
    membership, pending = access.approvals_for_user(request.user, network_slug)
    return render(
        request,
        "resources/approvals.html",
        {
            "membership": membership,
            "network": membership.network,
            "page": paginate(request, pending),
            "form": DecisionForm(),
        },
    )


@login_required
@require_POST
def booking_decide(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponseBase:
    membership, booking = access.booking_get_for_user(request.user, network_slug, pk)
    if not access.can_approve(membership, booking.resource):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    approve = request.POST.get("decision") == "approve"
    try:
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        service.booking_decide(actor=request.user, booking=booking, approve=approve, reason=reason)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Approved.") if approve else _("Declined."))
    return redirect("resource_approvals", network_slug)


@login_required
@require_POST
def booking_cancel(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponseBase:
    membership, booking = access.booking_get_for_user(request.user, network_slug, pk)
    if not access.can_cancel(membership, booking):
        raise PermissionDenied
    try:
        service.booking_cancel(actor=request.user, booking=booking, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The booking is cancelled."))
    return redirect("resource_detail", network_slug, booking.resource_id)


@login_required
def feeds(request: AuthenticatedRequest, network_slug: str) -> HttpResponseBase:
    """The user's calendar feeds: create one for a resource they see or for their organisation; revoke."""
    membership, resources = access.resource_list_for_user(request.user, network_slug)
    if request.method == "POST":
        if request.POST.get("revoke"):
            row = access.feed_get_for_user(request.user, network_slug, int(request.POST["revoke"]))
            feed_service.feed_revoke(actor=request.user, row=row)
            messages.success(request, _("The feed address no longer works."))
        elif request.POST.get("resource"):
            resource = resources.filter(pk=request.POST["resource"]).first()
            if resource is None:
                raise Http404
            feed_service.feed_create(actor=request.user, resource=resource)
            messages.success(request, _("A new feed address is ready."))
        elif membership.organisation is not None:
            feed_service.feed_create(actor=request.user, organisation=membership.organisation)
            messages.success(request, _("A new feed address is ready."))
        return redirect("resource_feeds", network_slug)
    rows = CalendarFeed.objects.filter(
        network=membership.network, created_by=request.user, revoked_at__isnull=True
    )
    return render(
        request,
        "resources/feeds.html",
        {
            "membership": membership,
            "network": membership.network,
            "rows": rows.select_related("resource", "organisation"),
            "resources": resources.order_by("name"),
            "base": request.build_absolute_uri("/"),
        },
    )


def feed_ics(request: HttpRequest, token: str) -> HttpResponseBase:
    """The feed behind a secret address; no login, so calendar clients can read it."""
    row = (
        CalendarFeed.objects.filter(token=token, revoked_at__isnull=True)
        .select_related("resource", "organisation")
        .first()
    )
    if row is None:
        raise Http404
    CalendarFeed.objects.filter(pk=row.pk).update(last_read_at=timezone.now())
    response = HttpResponse(feed_service.feed_body(row), content_type=CONTENT_TYPE)
    response["Cache-Control"] = "private, max-age=300"
    return response


urlpatterns = [
    path("", resource_list, name="resource_list"),
    path("requests/", approvals, name="resource_approvals"),
    path("<int:pk>/", resource_detail, name="resource_detail"),
    path("bookings/<int:pk>/decide/", booking_decide, name="booking_decide"),
    path("bookings/<int:pk>/cancel/", booking_cancel, name="booking_cancel"),
    path("feeds/", feeds, name="resource_feeds"),
]
