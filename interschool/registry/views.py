"""Registry pages: the school list and profile, imports with their reports, the mapping wizard, settings."""

from __future__ import annotations

import csv
import html
import io
from typing import Any

from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from interschool.core.models import OrganisationKind, OrganisationStatus, Phase, SchoolType, SupportDomain
from interschool.core.views.common import (
    AuthenticatedRequest,
    add_service_errors,
    paginate,
    query_without_page,
)
from interschool.core.views.tables import table_response
from interschool.registry import access, charts, selectors
from interschool.registry.forms import ImportForm, ProfileForm, SettingsForm
from interschool.registry.models import ClassificationLabel, ImportStatus, Indicator, RegistrySettings
from interschool.registry.services import profiles
from interschool.registry.services.imports import (
    RevertError,
    UploadedFile,
    import_create,
    import_requeue,
    import_revert,
)
from interschool.registry.tasks import recompute_network, run_import

EXPORT_COLUMNS = (
    "id",
    "name",
    "kind",
    "identifiers",
    "phase",
    "type",
    "district",
    "community",
    "status",
    "enrolment",
    "ses_index",
    "classification",
    "latitude",
    "longitude",
)
EXPORT_LIMIT = 1_000_000


# --- school list and export ------------------------------------------------------------------------------


@login_required
def school_list(request: AuthenticatedRequest, network_slug: str) -> HttpResponseBase:
    membership, organisations = access.school_list_for_user(request.user, network_slug)
    filters = selectors.SchoolFilters.from_params(request.GET)
    pseudonymous = access.pseudonymous(membership)
    if pseudonymous:
        filters = filters.pseudonymised()
    schools = selectors.schools_filtered(organisations, filters)
    export = request.GET.get("export", "")
    if export in {"csv", "xlsx"}:
        return _export(membership.network, schools, export, pseudonymous)
    page = paginate(request, schools)
    labels = _labels()
    rows = [_row(org, pseudonymous, labels) for org in page.object_list]
    return render(
        request,
        "registry/school_list.html",
        {
            "membership": membership,
            "network": membership.network,
            "page": page,
            "rows": rows,
            "filters": filters,
            "choices": {
                name: _options(values, getattr(filters, name))
                for name, values in selectors.stored_filter_choices(membership.network_id, filters).items()
            },
            "kinds": OrganisationKind.choices,
            "phases": Phase.choices,
            "types": SchoolType.choices,
            "statuses": OrganisationStatus.choices,
            "labels": ClassificationLabel.choices,
            "sorts": _sort_labels(),
            "query": query_without_page(request),
            "export_query": query_without_page(request),
            "pseudonymous": pseudonymous,
            "can_change": membership.role in access.CAN_IMPORT,
        },
    )


def _options(values: list[str], current: str) -> SafeString:
    """A long menu's <option>s built in one go (a template loop over a thousand districts is slow)."""
    parts = []
    for value in values:
        text = html.escape(value)
        selected = " selected" if value == current else ""
        parts.append(f'<option value="{text}"{selected}>{text}</option>')
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped above


def _sort_labels() -> list[tuple[str, str]]:
    return [
        ("name", _("Name A–Z")),
        ("-name", _("Name Z–A")),
        ("-enrolment", _("Largest enrolment")),
        ("enrolment", _("Smallest enrolment")),
        ("ses", _("Lowest socio-economic index")),
        ("-ses", _("Highest socio-economic index")),
        ("district", _("District")),
        ("phase", _("Phase")),
    ]


def _labels() -> dict[str, dict[str, str]]:
    """Display labels of the coded fields, translated once per page rather than once per cell."""
    return {
        "kind": {v: str(label) for v, label in OrganisationKind.choices},
        "phase": {v: str(label) for v, label in Phase.choices},
        "type": {v: str(label) for v, label in SchoolType.choices},
        "status": {v: str(label) for v, label in OrganisationStatus.choices},
        "label": {v: str(label) for v, label in ClassificationLabel.choices},
    }


def _row(org: Any, pseudonymous: bool, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    classification = selectors.classification_of(org)
    return {
        "pk": org.pk,
        "name": access.pseudonym(org.network_id, org.pk) if pseudonymous else org.name,
        "code": "" if pseudonymous else org.code,
        "kind": labels["kind"].get(org.kind, org.kind),
        "phase": labels["phase"].get(org.phase, org.phase),
        "type": labels["type"].get(org.school_type, org.school_type),
        "district": org.district,
        "community": org.community,
        "status": labels["status"].get(org.status, org.status),
        "status_code": org.status,
        "enrolment": selectors.shown_count(org.enrolment),
        "enrolment_suppressed": org.enrolment is not None and selectors.shown_count(org.enrolment) is None,
        "ses_index": selectors.shown_ses(org.enrolment, org.ses_index),
        "label": classification.label if classification else "",
        "label_display": labels["label"].get(classification.label, "") if classification else "",
    }


def _export(network: Any, schools: Any, kind: str, pseudonymous: bool) -> HttpResponseBase:
    ids_needed = not pseudonymous

    def rows() -> Any:
        yield list(EXPORT_COLUMNS)
        batch: list[Any] = []
        for org in schools.iterator(chunk_size=2000):
            batch.append(org)
            if len(batch) == 2000:
                yield from _export_rows(batch, pseudonymous, ids_needed)
                batch = []
        yield from _export_rows(batch, pseudonymous, ids_needed)

    return table_response(rows(), filename=f"{network.slug}-schools", kind=kind, sheet="schools")


def _export_rows(batch: list[Any], pseudonymous: bool, with_ids: bool) -> Any:
    identifiers = selectors.identifiers_by_org([o.pk for o in batch]) if with_ids else {}
    for org in batch:
        classification = selectors.classification_of(org)
        enrolment = selectors.shown_count(org.enrolment)
        yield [
            access.pseudonym(org.network_id, org.pk) if pseudonymous else org.pk,
            "" if pseudonymous else org.name,
            org.kind,
            "" if pseudonymous else ";".join(f"{i.scheme}:{i.value}" for i in identifiers.get(org.pk, [])),
            org.phase,
            org.school_type,
            org.district,
            org.community,
            org.status,
            "suppressed" if org.enrolment is not None and enrolment is None else _blank(enrolment),
            _blank(selectors.shown_ses(org.enrolment, org.ses_index)),
            classification.label if classification else "",
            _blank(access.coarse(org.latitude) if pseudonymous else org.latitude),
            _blank(access.coarse(org.longitude) if pseudonymous else org.longitude),
        ]


def _blank(value: Any) -> Any:
    return "" if value is None else value


# --- profile ------------------------------------------------------------------------------------------


@login_required
def school_detail(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    membership, organisation = access.school_get_for_user(request.user, network_slug, pk, with_settings=True)
    network = membership.network
    pseudonymous = access.pseudonymous(membership)
    settings_row = _registry_settings(organisation)
    classification = selectors.classification_of(organisation)
    predecessors, successors = ([], []) if pseudonymous else selectors.related_organisations(organisation)
    series = selectors.outcome_series(organisation)
    lat, lon = organisation.latitude, organisation.longitude
    if pseudonymous:
        lat, lon = access.coarse(lat), access.coarse(lon)
    map_svg = ""
    if settings_row and settings_row.base_map:
        base = charts.BaseMap(**settings_row.base_map)
        map_svg = charts.render_map(
            base,
            highlight=(lat, lon) if lat is not None and lon is not None else None,
            title=_("Schools of the network; this school is highlighted"),
        )
    context = {
        "membership": membership,
        "network": network,
        "organisation": organisation,
        "display_name": access.pseudonym(network.pk, organisation.pk) if pseudonymous else organisation.name,
        "pseudonymous": pseudonymous,
        "latitude": lat,
        "longitude": lon,
        "identifiers": [] if pseudonymous else list(organisation.identifiers.all()),
        "predecessors": predecessors,
        "successors": successors,
        "classification": classification,
        "explanation": selectors.explain(classification, organisation.phase),
        "series": series,
        "years": selectors.yearly_figures(organisation),
        "ses_label": settings_row.ses_label if settings_row and settings_row.ses_label else "",
        "map_svg": map_svg,
        "strengths": _domains(organisation.strengths),
        "needs": _domains(organisation.needs),
        "offers": _domains(organisation.offers),
        "can_edit": access.can_edit_profile(membership, organisation),
        "can_change": membership.role in access.CAN_IMPORT,
    }
    return render(request, "registry/school_detail.html", context)


def _registry_settings(organisation: Any) -> RegistrySettings | None:
    try:
        return organisation.network.registry_settings
    except RegistrySettings.DoesNotExist:
        return None


def _domains(codes: list[str]) -> list[str]:
    labels = dict(SupportDomain.choices)
    return [str(labels.get(code, code)) for code in codes or []]


@login_required
@csp_update({"style-src": ["'self'", "'unsafe-inline'"]})  # type: ignore[arg-type]
def school_chart(
    request: AuthenticatedRequest, network_slug: str, pk: int, indicator_pk: int
) -> HttpResponse:
    """One indicator's chart as an SVG image (served as an image, so its inline styles stay contained)."""
    membership, organisation = access.school_get_for_user(request.user, network_slug, pk)
    indicator = Indicator.objects.filter(network=membership.network, pk=indicator_pk).first()
    if indicator is None:
        raise Http404
    series = next((s for s in selectors.outcome_series(organisation) if s.indicator.pk == indicator.pk), None)
    if series is None:
        raise Http404
    svg = charts.indicator_chart(
        title=indicator.name,
        years=series.years,
        school=[p.value for p in series.points],
        median=[p.median for p in series.points],
        school_label=_("This school"),
        median_label=_("Network median (%(phase)s)")
        % {"phase": organisation.get_phase_display() or _("all phases")},
        unit=indicator.unit,
        suppressed_years=series.suppressed_years,
        higher_is_better=indicator.higher_is_better,
        rtl=get_language_bidi(),
    )
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=60"
    return response


@login_required
def school_edit(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    membership, organisation = access.school_get_for_user(request.user, network_slug, pk, edit_profile=True)
    form = ProfileForm(
        request.POST or None,
        initial={
            "strengths": organisation.strengths,
            "needs": organisation.needs,
            "offers": organisation.offers,
        },
        is_school=organisation.kind == OrganisationKind.SCHOOL,
    )
    if request.method == "POST" and form.is_valid():
        try:
            profiles.profile_update(actor=request.user, organisation=organisation, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved. The classification is recomputed in the background."))
            transaction.on_commit(lambda: recompute_network.enqueue(membership.network_id))
            return redirect("organisation_detail", network_slug, organisation.pk)
    return render(
        request,
        "registry/school_form.html",
        {"membership": membership, "network": membership.network, "organisation": organisation, "form": form},
    )


# --- imports ------------------------------------------------------------------------------------------


@login_required
def import_list(request: AuthenticatedRequest, network_slug: str) -> HttpResponse:
    membership, imports = access.import_list_for_user(request.user, network_slug)
    _membership, mappings = access.mapping_list_for_user(request.user, network_slug)
    form = ImportForm(request.POST or None, request.FILES or None, mappings=mappings)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        uploads = [UploadedFile(f.name or "upload", f.read()) for f in request.FILES.getlist("files")]
        try:
            run = import_create(
                actor=request.user,
                network=membership.network,
                format=data["format"],
                files=uploads,
                mapping=data["mapping_json"],
                encoding=data["encoding"],
                delimiter=data["delimiter"],
                year=data["year"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            user_id = request.user.pk
            transaction.on_commit(lambda: run_import.enqueue(run.pk, user_id))
            return redirect("import_detail", network_slug, run.pk)
    return render(
        request,
        "registry/import_list.html",
        {
            "membership": membership,
            "network": membership.network,
            "page": paginate(request, imports),
            "form": form,
            "query": "",
        },
    )


@login_required
def import_detail(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    membership, run = access.import_get_for_user(request.user, network_slug, pk)
    rejections = paginate(request, run.rejections, 50) if run.rejections else None
    return render(
        request,
        "registry/import_detail.html",
        {
            "membership": membership,
            "network": membership.network,
            "run": run,
            "progress": run.progress,
            "rejections": rejections,
            "skip_rules": sorted((run.summary or {}).get("skip_rules", {}).items()),
            "can_revert": membership.role in access.CAN_REVERT_IMPORTS
            and run.status == ImportStatus.COMMITTED,
            "finished": run.status
            in {
                ImportStatus.COMMITTED,
                ImportStatus.REJECTED,
                ImportStatus.FAILED,
                ImportStatus.REVERTED,
                ImportStatus.VALIDATED,
            },
            "query": "",
        },
    )


@login_required
def import_status(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    """The import's status box, polled by the page while the import runs."""
    membership, run = access.import_get_for_user(request.user, network_slug, pk)
    response = render(
        request,
        "registry/_import_status.html",
        {"network": membership.network, "run": run, "progress": run.progress},
    )
    if run.status not in {ImportStatus.UPLOADED, ImportStatus.VALIDATING, ImportStatus.WRITING}:
        # Only a page that is still waiting polls; reload it to show the whole report.
        response["HX-Refresh"] = "true"
    return response


@login_required
def import_report(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    """Every rejected and skipped row as CSV."""
    _membership, run = access.import_get_for_user(request.user, network_slug, pk)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["outcome", "file", "row", "column", "value", "reason_or_rule"])
    for item in run.rejections:
        writer.writerow(
            ["rejected", item["file"], item["row"], item["column"], item["value"], item["reason"]]
        )
    for item in run.skips:
        writer.writerow(["skipped", item["file"], item["row"], "", "", item["rule"]])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-report.csv"'
    return response


@login_required
@require_POST
def import_commit(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    _membership, run = access.import_get_for_user(request.user, network_slug, pk)
    if run.status != ImportStatus.VALIDATED:
        messages.error(request, _("Only a validated import can be committed."))
        return redirect("import_detail", network_slug, run.pk)
    import_requeue(run)
    user_id = request.user.pk
    transaction.on_commit(lambda: run_import.enqueue(run.pk, user_id))
    return redirect("import_detail", network_slug, run.pk)


@login_required
def import_revert_view(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    membership, run = access.import_get_for_user(request.user, network_slug, pk, revert=True)
    if request.method == "POST":
        try:
            import_revert(actor=request.user, run=run)
        except RevertError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The import was reverted."))
            transaction.on_commit(lambda: recompute_network.enqueue(membership.network_id))
        return redirect("import_detail", network_slug, run.pk)
    return render(
        request,
        "registry/import_confirm_revert.html",
        {"membership": membership, "network": membership.network, "run": run},
    )


# --- settings -----------------------------------------------------------------------------------------


@login_required
def registry_settings(request: AuthenticatedRequest, network_slug: str) -> HttpResponse:
    change = request.method == "POST"
    membership = access.settings_for_user(request.user, network_slug, change=change)
    network = membership.network
    settings_row, _created = RegistrySettings.objects.get_or_create(network=network)
    indicators = list(Indicator.objects.filter(network=network).order_by("name"))
    form = SettingsForm(request.POST or None, settings_row=settings_row, indicators=indicators)
    if change and form.is_valid():
        try:
            profiles.settings_update(actor=request.user, settings_row=settings_row, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            transaction.on_commit(lambda: recompute_network.enqueue(network.pk))
            messages.success(request, _("Saved. The classification is being recomputed."))
            return redirect("registry_settings", network_slug)
    return render(
        request,
        "registry/settings.html",
        {
            "membership": membership,
            "network": network,
            "form": form,
            "can_change": membership.role in access.CAN_CHANGE_SETTINGS,
            "settings_row": settings_row,
        },
    )
