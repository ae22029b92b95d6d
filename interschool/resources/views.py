"""The shared-resource pages, under /n/<network_slug>/resources/: the catalogue with its filters, a resource
with its bookings and the booking form, requests waiting for a decision, and managing the catalogue (new
resource, edit, opening hours, closures)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from interschool.core.access import AnyUser, network_membership_for_user
from interschool.core.models import Membership, Network, Organisation
from interschool.core.views.common import (
    AuthenticatedRequest,
    add_service_errors,
    paginate,
    query_without_page,
)
from interschool.partnerships.models import Partnership
from interschool.resources import access
from interschool.resources import vocabularies as v
from interschool.resources.forms import (
    BookingForm,
    ClosureForm,
    DecisionForm,
    OpeningHoursForm,
    ResourceFilterForm,
    ResourceForm,
)
from interschool.resources.ical import CONTENT_TYPE
from interschool.resources.models import Booking, CalendarFeed, Closure, Resource
from interschool.resources.services import bookings as service
from interschool.resources.services import catalogue
from interschool.resources.services import feeds as feed_service


@login_required
def resource_list(request: AuthenticatedRequest, network_slug: str) -> HttpResponseBase:
    membership, resources = access.resource_list_for_user(request.user, network_slug)
    _m, approvals = access.approvals_for_user(request.user, network_slug)
    owners = Organisation.objects.filter(pk__in=resources.values("owner_id")).order_by("name")
    filters = ResourceFilterForm(request.GET, owners=owners)
    applied = filters.applied()
    if "q" in applied:
        resources = resources.filter(name__icontains=applied["q"])
    if "kind" in applied:
        resources = resources.filter(kind=applied["kind"])
    if "owner" in applied:
        resources = resources.filter(owner=applied["owner"])
    return render(
        request,
        "resources/resource_list.html",
        {
            "membership": membership,
            "network": membership.network,
            "page": paginate(request, resources),
            "query": query_without_page(request),
            "filters": filters,
            "filtered": bool(applied),
            "approvals": approvals.count(),
            "can_create": access.can_create_resource(membership),
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
            "can_manage": access.can_manage_resource(membership, resource),
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


def _owner_partnerships(network: Network, owner: Organisation | None) -> QuerySet[Partnership]:
    """Partnerships a resource may be shared with: the owner's, or the network's while no owner is fixed."""
    rows = Partnership.objects.filter(network=network)
    if owner is not None:
        rows = rows.filter(members__organisation=owner).distinct()
    return rows.order_by("name", "pk")


def _managed(user: AnyUser, network_slug: str, pk: int) -> tuple[Membership, Resource]:
    """A resource the user sees (404 otherwise) and may manage (403 otherwise)."""
    membership, resource = access.resource_get_for_user(user, network_slug, pk)
    if not access.can_manage_resource(membership, resource):
        raise PermissionDenied
    return membership, resource


@login_required
def resource_create(request: AuthenticatedRequest, network_slug: str) -> HttpResponseBase:
    membership = network_membership_for_user(request.user, network_slug)
    if not access.can_create_resource(membership):
        raise PermissionDenied
    network = membership.network
    chooses_owner = membership.role in access.ALL_SEEING
    owners = Organisation.objects.filter(network=network).order_by("name") if chooses_owner else None
    form = ResourceForm(
        request.POST if request.method == "POST" else None,
        owners=owners,
        partnerships=_owner_partnerships(network, None if chooses_owner else membership.organisation),
        initial={"time_zone": network.time_zone},
    )
    if request.method == "POST" and form.is_valid():
        values = form.values()
        if not chooses_owner:
            values["owner"] = membership.organisation
        try:
            resource = catalogue.resource_create(actor=request.user, network=network, values=values)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The resource is in the catalogue."))
            return redirect("resource_detail", network_slug, resource.pk)
    return render(
        request,
        "resources/resource_form.html",
        {"membership": membership, "network": network, "form": form, "resource": None},
    )


@login_required
def resource_edit(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponseBase:
    membership, resource = _managed(request.user, network_slug, pk)
    network = membership.network
    chooses_owner = membership.role in access.ALL_SEEING
    form = ResourceForm(
        request.POST if request.method == "POST" else None,
        owners=Organisation.objects.filter(network=network).order_by("name") if chooses_owner else None,
        partnerships=_owner_partnerships(network, resource.owner),
        initial=ResourceForm.initial_of(resource),
    )
    if request.method == "POST" and form.is_valid():
        try:
            catalogue.resource_update(actor=request.user, resource=resource, values=form.values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("resource_detail", network_slug, resource.pk)
    return render(
        request,
        "resources/resource_form.html",
        {"membership": membership, "network": network, "form": form, "resource": resource},
    )


@login_required
def resource_hours(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponseBase:
    membership, resource = _managed(request.user, network_slug, pk)
    hours = resource.opening_hours.all()
    form = OpeningHoursForm(
        request.POST if request.method == "POST" else None, initial=OpeningHoursForm.initial_of(hours)
    )
    if request.method == "POST" and form.is_valid():
        try:
            catalogue.opening_hours_set(actor=request.user, resource=resource, intervals=form.intervals())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The opening hours are saved."))
            return redirect("resource_detail", network_slug, resource.pk)
    per_day = [row.weekday for row in hours]
    return render(
        request,
        "resources/resource_hours.html",
        {
            "membership": membership,
            "network": membership.network,
            "resource": resource,
            "form": form,
            "more_than_shown": any(per_day.count(day) > 2 for day in set(per_day)),
        },
    )


@login_required
def resource_closures(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponseBase:
    membership, resource = _managed(request.user, network_slug, pk)
    form = ClosureForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            catalogue.closure_add(actor=request.user, resource=resource, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The closure is added."))
            return redirect("resource_closures", network_slug, resource.pk)
    return render(
        request,
        "resources/resource_closures.html",
        {
            "membership": membership,
            "network": membership.network,
            "resource": resource,
            "closures": resource.closures.all(),
            "form": form,
        },
    )


@login_required
def closure_delete(
    request: AuthenticatedRequest, network_slug: str, pk: int, closure_pk: int
) -> HttpResponseBase:
    membership, resource = _managed(request.user, network_slug, pk)
    closure = Closure.objects.filter(resource=resource, pk=closure_pk).select_related("resource").first()
    if closure is None:
        raise Http404
    if request.method == "POST":
        catalogue.closure_delete(actor=request.user, closure=closure)
        messages.success(request, _("The closure is deleted."))
        return redirect("resource_closures", network_slug, resource.pk)
    return render(
        request,
        "resources/closure_confirm_delete.html",
        {"membership": membership, "network": membership.network, "resource": resource, "closure": closure},
    )


urlpatterns = [
    path("", resource_list, name="resource_list"),
    path("requests/", approvals, name="resource_approvals"),
    path("<int:pk>/", resource_detail, name="resource_detail"),
    path("bookings/<int:pk>/decide/", booking_decide, name="booking_decide"),
    path("bookings/<int:pk>/cancel/", booking_cancel, name="booking_cancel"),
    path("feeds/", feeds, name="resource_feeds"),
    path("new/", resource_create, name="resource_create"),
    path("<int:pk>/edit/", resource_edit, name="resource_edit"),
    path("<int:pk>/hours/", resource_hours, name="resource_hours"),
    path("<int:pk>/closures/", resource_closures, name="resource_closures"),
    path("<int:pk>/closures/<int:closure_pk>/delete/", closure_delete, name="resource_closure_delete"),
]
