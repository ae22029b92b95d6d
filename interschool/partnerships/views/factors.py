"""The facilitators and barriers log of a partnership, and the barriers across a network's partnerships."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from interschool.core.models import Role
from interschool.core.views.common import (
    AuthenticatedRequest,
    add_service_errors,
    paginate,
    query_without_page,
)
from interschool.partnerships import selectors
from interschool.partnerships import vocabularies as v
from interschool.partnerships.access import (
    Level,
    PartnershipAccess,
    factor_get_for_user,
    network_overview_for_user,
    partnership_get_for_user,
)
from interschool.partnerships.factor_forms import BARRIER_GROUP_LABELS, FactorForm, initial_of
from interschool.partnerships.models import Factor, PartnershipMember
from interschool.partnerships.services import plan
from interschool.registry.access import pseudonym

MITIGATION_COLUMNS = (
    "partnership",
    "partnership_state",
    "model",
    "barrier",
    "dimension",
    "severity",
    "status",
    "mitigation",
    "owner",
    "logged_on",
)


def _labels(choices: type[Any]) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def _factor_label(kind: str, code: str, facilitators: dict[str, str], barriers: dict[str, str]) -> str:
    return (facilitators if kind == v.FactorKind.FACILITATOR else barriers).get(code, code)


# --- the log of one partnership ------------------------------------------------------------------------


def _can_change(access: PartnershipAccess) -> bool:
    return access.can_edit and access.partnership.state != v.State.ENDED


def _owner_name(access: PartnershipAccess, owner: PartnershipMember | None) -> str:
    if owner is None:
        return ""
    return access.organisation_name(owner.organisation_id, owner.organisation.name)


def _log_row(access: PartnershipAccess, factor: Factor, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    barrier = factor.kind == v.FactorKind.BARRIER
    return {
        "pk": factor.pk,
        "kind": factor.kind,
        "kind_display": labels["kind"].get(factor.kind, factor.kind),
        "label": _factor_label(factor.kind, factor.code, labels["facilitator"], labels["barrier"]),
        "dimension": str(BARRIER_GROUP_LABELS[selectors.barrier_group_of(factor.code)]) if barrier else "",
        "description": factor.description,
        "severity": factor.severity,
        "severity_display": labels["severity"].get(factor.severity, factor.severity),
        "mitigation": factor.mitigation,
        "owner": _owner_name(access, factor.owner),
        "status": factor.status,
        "status_display": labels["status"].get(factor.status, factor.status),
        "logged_on": factor.logged_on,
        "resolved_on": factor.resolved_on,
    }


def _all_labels() -> dict[str, dict[str, str]]:
    """Display labels of the coded fields, translated once per page rather than once per cell."""
    return {
        "kind": _labels(v.FactorKind),
        "facilitator": _labels(v.Facilitator),
        "barrier": _labels(v.Barrier),
        "severity": _labels(v.Severity),
        "status": _labels(v.FactorStatus),
        "state": _labels(v.State),
        "model": _labels(v.Model),
    }


def _page_context(access: PartnershipAccess, **extra: Any) -> dict[str, Any]:
    return {
        "membership": access.membership,
        "network": access.partnership.network,
        "partnership": access.partnership,
        "access": access,
        "active_tab": "factors",
        **extra,
    }


@login_required
def factor_log(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    access = partnership_get_for_user(request.user, network_slug, pk, level=Level.READ)
    kind = request.GET.get("kind", "")
    kind = kind if kind in v.FactorKind.values else ""
    status = request.GET.get("status", "")
    status = status if status in v.FactorStatus.values else ""
    page = paginate(request, selectors.factor_log(access.partnership, kind=kind, status=status))
    labels = _all_labels()
    return render(
        request,
        "partnerships/factors.html",
        _page_context(
            access,
            page=page,
            rows=[_log_row(access, factor, labels) for factor in page.object_list],
            kind=kind,
            status=status,
            kinds=v.FactorKind.choices,
            statuses=v.FactorStatus.choices,
            filtered=bool(kind or status),
            query=query_without_page(request),
            can_change=_can_change(access),
            ended=access.partnership.state == v.State.ENDED,
        ),
    )


def _form(access: PartnershipAccess, data: Any, *, kind: str, initial: dict[str, Any]) -> FactorForm:
    return FactorForm(
        data,
        kind=kind,
        initial=initial,
        members=access.partnership.members.select_related("organisation"),
        member_label=lambda member: _owner_name(access, member),
    )


@login_required
def factor_new(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponseBase:
    access = partnership_get_for_user(request.user, network_slug, pk, level=Level.EDIT)
    form = _form(
        access,
        request.POST or None,
        kind=request.GET.get("kind", ""),
        initial={"logged_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan.factor_create(actor=request.user, partnership=access.partnership, values=form.values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The entry was added to the log."))
            return redirect("partnership_factors", network_slug, access.partnership.pk)
    return render(request, "partnerships/factor_form.html", _page_context(access, form=form, factor=None))


@login_required
def factor_edit(
    request: AuthenticatedRequest, network_slug: str, pk: int, factor_pk: int
) -> HttpResponseBase:
    access, factor = factor_get_for_user(request.user, network_slug, pk, factor_pk, level=Level.EDIT)
    form = _form(
        access, request.POST or None, kind=request.GET.get("kind", factor.kind), initial=initial_of(factor)
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan.factor_update(actor=request.user, factor=factor, values=form.values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The entry was saved."))
            return redirect("partnership_factors", network_slug, access.partnership.pk)
    return render(request, "partnerships/factor_form.html", _page_context(access, form=form, factor=factor))


@login_required
def factor_codes(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    """The factor menu for the kind chosen in the form, swapped in by htmx when the kind changes."""
    access = partnership_get_for_user(request.user, network_slug, pk, level=Level.EDIT)
    form = _form(
        access, None, kind=request.GET.get("kind", ""), initial={"code": request.GET.get("code", "")}
    )
    return render(request, "partnerships/factor_code_select.html", {"form": form})


@login_required
def factor_delete(request: AuthenticatedRequest, network_slug: str, pk: int, factor_pk: int) -> HttpResponse:
    access, factor = factor_get_for_user(request.user, network_slug, pk, factor_pk, level=Level.EDIT)
    if request.method == "POST":
        try:
            plan.factor_delete(actor=request.user, factor=factor)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The entry was deleted."))
        return redirect("partnership_factors", network_slug, access.partnership.pk)
    labels = _all_labels()
    return render(
        request,
        "partnerships/factor_confirm_delete.html",
        _page_context(access, factor=factor, row=_log_row(access, factor, labels)),
    )


# --- barriers across the network -------------------------------------------------------------------------


def _share(count: int, total: int) -> int:
    return round(100 * count / total) if total else 0


def _count_rows(
    counts: list[selectors.FactorCount], labels: dict[str, str], total: int
) -> list[dict[str, Any]]:
    return [
        {
            "code": count.code,
            "label": labels.get(count.code, count.code),
            "partnerships": count.partnerships,
            "entries": count.entries,
            "unresolved": count.unresolved,
            "share": _share(count.partnerships, total),
        }
        for count in counts
    ]


def _network_names(network_id: int, pseudonymous: bool) -> Any:
    def partnership_name(factor: Factor) -> str:
        return selectors.partnership_code(factor.partnership_id) if pseudonymous else factor.partnership.name

    def owner_name(factor: Factor) -> str:
        if factor.owner is None:
            return ""
        organisation = factor.owner.organisation
        return pseudonym(network_id, organisation.pk) if pseudonymous else organisation.name

    return partnership_name, owner_name


@login_required
def network_barriers(request: AuthenticatedRequest, network_slug: str) -> HttpResponseBase:
    membership, partnerships = network_overview_for_user(request.user, network_slug)
    network = membership.network
    pseudonymous = membership.role == Role.RESEARCHER
    filters = selectors.BarrierFilters.from_params(request.GET)
    scoped = selectors.partnerships_filtered(partnerships, filters)
    mitigations = selectors.open_mitigations(scoped, sort=filters.sort)
    partnership_name, owner_name = _network_names(network.pk, pseudonymous)
    labels = _all_labels()
    if request.GET.get("export") == "csv":
        return _mitigations_csv(network.slug, mitigations, partnership_name, owner_name)
    total = scoped.count()
    page = paginate(request, mitigations)
    group_labels = {name: str(label) for name, label in BARRIER_GROUP_LABELS.items()}
    rows = [
        {
            "partnership_pk": factor.partnership_id,
            "partnership": partnership_name(factor),
            "label": labels["barrier"].get(factor.code, factor.code),
            "severity": factor.severity,
            "severity_display": labels["severity"].get(factor.severity, factor.severity),
            "status_display": labels["status"].get(factor.status, factor.status),
            "mitigation": factor.mitigation,
            "owner": owner_name(factor),
            "logged_on": factor.logged_on,
        }
        for factor in page.object_list
    ]
    return render(
        request,
        "partnerships/barriers.html",
        {
            "membership": membership,
            "network": network,
            "filters": filters,
            "states": v.State.choices,
            "models": v.Model.choices,
            "sorts": [
                ("-severity", _("Most severe first")),
                ("severity", _("Least severe first")),
                ("-logged_on", _("Newest first")),
                ("logged_on", _("Oldest first")),
            ],
            "total": total,
            "barriers": _count_rows(
                selectors.factor_frequencies(scoped, v.FactorKind.BARRIER), labels["barrier"], total
            ),
            "groups": _count_rows(selectors.barrier_group_counts(scoped), group_labels, total),
            "facilitators": _count_rows(
                selectors.factor_frequencies(scoped, v.FactorKind.FACILITATOR), labels["facilitator"], total
            ),
            "page": page,
            "rows": rows,
            "query": query_without_page(request),
            "export_query": query_without_page(request),
            "pseudonymous": pseudonymous,
        },
    )


def _csv_text(value: str) -> str:
    """Free text that a spreadsheet would read as a formula is exported with a leading apostrophe."""
    return f"'{value}" if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value


def _mitigations_csv(slug: str, mitigations: Any, partnership_name: Any, owner_name: Any) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(MITIGATION_COLUMNS)
    for factor in mitigations:
        writer.writerow(
            [
                _csv_text(partnership_name(factor)),
                factor.partnership.state,
                factor.partnership.model,
                factor.code,
                selectors.barrier_group_of(factor.code),
                factor.severity,
                factor.status,
                _csv_text(factor.mitigation),
                _csv_text(owner_name(factor)),
                factor.logged_on.isoformat(),
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-open-mitigations.csv"'
    return response


urlpatterns = [
    path("<int:pk>/factors/", factor_log, name="partnership_factors"),
    path("<int:pk>/factors/new/", factor_new, name="factor_new"),
    path("<int:pk>/factors/codes/", factor_codes, name="factor_codes"),
    path("<int:pk>/factors/<int:factor_pk>/", factor_edit, name="factor_edit"),
    path("<int:pk>/factors/<int:factor_pk>/delete/", factor_delete, name="factor_delete"),
    path("barriers/", network_barriers, name="network_barriers"),
]
