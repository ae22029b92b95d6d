"""Network pages: dashboard, organisations, members and invitations, audit log."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from interschool.core import access, selectors
from interschool.core.access import memberships_for_user
from interschool.core.forms import InvitationForm, MemberForm, OrganisationForm
from interschool.core.middleware import SESSION_NETWORK
from interschool.core.models import OrganisationKind, Role
from interschool.core.services import invitations, networks, progress
from interschool.core.services.notifications import inbox_unread
from interschool.core.tasks import export_audit_csv
from interschool.core.views.common import (
    AuthenticatedRequest,
    add_service_errors,
    paginate,
    query_without_page,
)


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    memberships = memberships_for_user(request.user)
    slug = request.session.get(SESSION_NETWORK)
    membership = memberships.filter(network__slug=slug).first() if slug else None
    membership = membership or memberships.order_by("network__name").first()
    if membership is None:
        return render(request, "core/no_network.html")
    return redirect("dashboard", membership.network.slug)


@login_required
def dashboard(request: AuthenticatedRequest, network_slug: str) -> HttpResponse:
    membership = access.network_membership_for_user(request.user, network_slug)
    summary = selectors.network_summary(membership.network)
    context = {
        "membership": membership,
        "network": membership.network,
        "summary": summary,
        "roles": Role,
        "role_rows": [(label, summary.members_by_role[value]) for value, label in Role.choices],
        "kind_rows": [
            (label, summary.organisations_by_kind[value])
            for value, label in OrganisationKind.choices
            if summary.organisations_by_kind[value]
        ],
        "recent_notifications": list(inbox_unread(request.user)[:5]),
        "open_invitations": selectors.open_invitations(membership.network).count()
        if membership.role == Role.ADMIN
        else None,
    }
    return render(request, f"core/dashboard/{membership.role}.html", context)


@login_required
def organisation_edit(
    request: AuthenticatedRequest, network_slug: str, pk: int | None = None
) -> HttpResponse:
    if pk is None:
        membership = access.network_membership_for_user(request.user, network_slug)
        access.require_role(membership, access.CAN_CHANGE_ORGANISATIONS)
        organisation = None
        initial: dict[str, str] = {"kind": OrganisationKind.SCHOOL.value}
    else:
        membership, organisation = access.organisation_get_for_user(
            request.user, network_slug, pk, change=True
        )
        initial = {"kind": organisation.kind, "name": organisation.name, "code": organisation.code}
    form = OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if organisation is None:
                organisation = networks.organisation_create(
                    actor=request.user, network=membership.network, **form.cleaned_data
                )
            else:
                networks.organisation_update(
                    actor=request.user, organisation=organisation, **form.cleaned_data
                )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("organisation_detail", network_slug, organisation.pk)
    return render(
        request,
        "core/organisation_form.html",
        {
            "membership": membership,
            "network": membership.network,
            "organisation": organisation,
            "form": form,
        },
    )


@login_required
def member_list(request: AuthenticatedRequest, network_slug: str) -> HttpResponse:
    membership, members = access.member_list_for_user(request.user, network_slug)
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    if role not in Role.values:
        role = ""
    status = request.GET.get("status", "active")
    active = {"active": True, "inactive": False}.get(status)
    page = paginate(request, selectors.members_filtered(members, q=q, role=role, active=active))
    can_manage = membership.role in access.CAN_MANAGE_MEMBERS
    return render(
        request,
        "core/member_list.html",
        {
            "membership": membership,
            "network": membership.network,
            "page": page,
            "q": q,
            "role": role,
            "status": status,
            "roles": Role.choices,
            "query": query_without_page(request),
            "can_manage": can_manage,
            "invitations": list(selectors.open_invitations(membership.network)) if can_manage else [],
        },
    )


@login_required
def member_invite(request: AuthenticatedRequest, network_slug: str) -> HttpResponse:
    membership, _members = access.member_list_for_user(request.user, network_slug, manage=True)
    form = InvitationForm(request.POST or None, network=membership.network)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitations.invitation_create(
                actor=request.user, network=membership.network, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("member_list", network_slug)
    return render(
        request,
        "core/member_invite.html",
        {
            "membership": membership,
            "network": membership.network,
            "form": form,
        },
    )


@login_required
def member_edit(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    membership, member = access.member_get_for_user(request.user, network_slug, pk, manage=True)
    form = MemberForm(
        request.POST or None,
        network=membership.network,
        initial={"role": member.role, "organisation": member.organisation},
    )
    if request.method == "POST" and form.is_valid():
        try:
            networks.member_update(actor=request.user, membership=member, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("member_list", network_slug)
    return render(
        request,
        "core/member_form.html",
        {
            "membership": membership,
            "network": membership.network,
            "member": member,
            "form": form,
        },
    )


@login_required
def member_set_active(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deactivates or reactivates."""
    membership, member = access.member_get_for_user(request.user, network_slug, pk, manage=True)
    if request.method == "POST":
        active = request.POST.get("active") == "1"
        try:
            networks.member_set_active(actor=request.user, membership=member, active=active)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if active:
                messages.success(request, _("%(name)s is active again.") % {"name": member.user.display_name})
            else:
                messages.success(request, _("%(name)s was deactivated.") % {"name": member.user.display_name})
        return redirect("member_list", network_slug)
    return render(
        request,
        "core/member_confirm_active.html",
        {
            "membership": membership,
            "network": membership.network,
            "member": member,
        },
    )


@login_required
@require_POST
def invitation_revoke(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    _membership, invitation = access.invitation_get_for_user(request.user, network_slug, pk)
    invitations.invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email})
    return redirect("member_list", network_slug)


AUDIT_FILTERS = ("actor", "action", "object_type", "since", "until")


def _audit_filters(request: HttpRequest) -> dict[str, str]:
    filters = {name: request.GET.get(name, "").strip() for name in AUDIT_FILTERS}
    for name in ("since", "until"):
        value = filters[name]
        if value:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                filters[name] = ""
    return filters


@login_required
def audit_list(request: AuthenticatedRequest, network_slug: str) -> HttpResponse:
    membership, entries = access.audit_list_for_user(request.user, network_slug)
    filters = _audit_filters(request)
    page = paginate(request, selectors.audit_entries_filtered(entries, filters), per_page=50)
    return render(
        request,
        "core/audit_list.html",
        {
            "membership": membership,
            "network": membership.network,
            "page": page,
            "filters": filters,
            "facets": selectors.audit_facets(entries),
            "query": query_without_page(request),
        },
    )


@login_required
@require_POST
def audit_export(request: AuthenticatedRequest, network_slug: str) -> HttpResponse:
    membership, _entries = access.audit_list_for_user(request.user, network_slug)
    filters = {name: request.POST.get(name, "").strip() for name in AUDIT_FILTERS}
    record = progress.progress_start(
        kind="audit_export", network=membership.network, user=request.user, message=""
    )
    export_audit_csv.enqueue(str(record.pk), membership.network.pk, filters)
    return redirect("progress_detail", record.pk)


@login_required
def progress_detail(request: AuthenticatedRequest, pk: str) -> HttpResponse:
    record = access.progress_get_for_user(request.user, pk)
    template = "core/_progress.html" if request.headers.get("HX-Request") else "core/progress.html"
    return render(request, template, {"progress": record})


@login_required
def progress_download(request: AuthenticatedRequest, pk: str) -> FileResponse:
    record = access.progress_get_for_user(request.user, pk)
    if not record.result_file:
        raise Http404
    path = (settings.GENERATED_DIR / record.result_file).resolve()
    if settings.GENERATED_DIR.resolve() not in path.parents or not path.exists():
        raise Http404
    filename = f"{record.kind}-{record.created_at:%Y%m%d-%H%M}.csv"
    return FileResponse(
        open(path, "rb"),
        as_attachment=True,
        filename=filename,
        content_type="text/csv; charset=utf-8",
    )
