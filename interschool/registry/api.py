"""Registry API: organisations with their registry record, outcome series and classification; imports."""

import datetime as dt
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile as NinjaFile
from ninja.pagination import paginate

from interschool.core import access as core_access
from interschool.core.api_conventions import ERRORS, PageNumber
from interschool.core.models import (
    Membership,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    Phase,
    SchoolType,
)
from interschool.core.services import networks
from interschool.registry import access, selectors
from interschool.registry.models import ClassificationLabel, Import, ImportFormat
from interschool.registry.services.imports import RevertError, UploadedFile, import_create, import_revert
from interschool.registry.tasks import recompute_network, run_import

router = Router(tags=["registry"])


class IdentifierOut(Schema):
    scheme: str
    value: str


class OrganisationOut(Schema):
    id: int
    code: str
    kind: str
    name: str
    status: str
    phase: str
    school_type: str
    district: str
    community: str
    latitude: float | None
    longitude: float | None
    enrolment: int | None
    enrolment_suppressed: bool
    ses_index: float | None
    classification: str
    created_at: dt.datetime


class OrganisationDetailOut(OrganisationOut):
    identifiers: list[IdentifierOut]
    address: str
    postcode: str
    language: str
    urban_rural: str
    opened_on: dt.date | None
    closed_on: dt.date | None
    predecessors: list[int]
    successors: list[int]
    strengths: list[str]
    needs: list[str]
    offers: list[str]
    explanation: list[str]
    reasons: list[dict[str, Any]]
    classification_indicator: str | None


class PointOut(Schema):
    year: int
    value: float | None
    suppressed: bool
    cohort: int | None
    network_median: float | None


class SeriesOut(Schema):
    indicator: str
    name: str
    subject: str
    unit: str
    higher_is_better: bool
    points: list[PointOut]


class ImportOut(Schema):
    id: int
    format: str
    status: str
    files: list[str]
    summary: dict[str, Any]
    progress: dict[str, Any] | None
    created_at: dt.datetime
    committed_at: dt.datetime | None


class RejectionOut(Schema):
    file: str
    row: int
    column: str
    value: str
    reason: str


def _organisation(org: Organisation, membership: Membership) -> dict[str, Any]:
    pseudonymous = access.pseudonymous(membership)
    classification = selectors.classification_of(org)
    enrolment = selectors.shown_count(org.enrolment)
    return {
        "id": org.pk,
        "code": access.pseudonym(org.network_id, org.pk) if pseudonymous else org.code,
        "kind": org.kind,
        "name": access.pseudonym(org.network_id, org.pk) if pseudonymous else org.name,
        "status": org.status,
        "phase": org.phase,
        "school_type": org.school_type,
        "district": org.district,
        "community": org.community,
        "latitude": access.coarse(org.latitude) if pseudonymous else org.latitude,
        "longitude": access.coarse(org.longitude) if pseudonymous else org.longitude,
        "enrolment": enrolment,
        "enrolment_suppressed": org.enrolment is not None and enrolment is None,
        "ses_index": selectors.shown_ses(org.enrolment, org.ses_index),
        "classification": classification.label if classification else "",
        "created_at": org.created_at,
    }


@router.get(
    "/networks/{slug}/organisations",
    response={200: list[OrganisationOut], **ERRORS},
    summary="Organisations of a network, with registry filters",
)
@paginate(PageNumber)
def organisation_list(
    request: HttpRequest,
    slug: str,
    q: str = "",
    kind: OrganisationKind | None = None,
    phase: Phase | None = None,
    school_type: SchoolType | None = None,
    district: str = "",
    community: str = "",
    status: OrganisationStatus | None = None,
    classification: ClassificationLabel | None = None,
    sort: str = "name",
) -> list[dict[str, Any]]:
    membership, organisations = access.school_list_for_user(request.user, slug)
    if sort not in selectors.SORTS:
        raise ValidationError({"sort": f"use one of {', '.join(selectors.SORTS)}"})
    filters = selectors.SchoolFilters(
        q=q.strip(),
        kind=kind or "",
        phase=phase or "",
        school_type=school_type or "",
        district=district,
        community=community,
        status=status or "",
        classification=classification or "",
        sort=sort,
    )
    if access.pseudonymous(membership):
        filters = filters.pseudonymised()
    schools = selectors.schools_filtered(organisations, filters)
    return _LazyRows(schools, membership)  # type: ignore[return-value]


class _LazyRows:
    """Serialises only the page that the paginator slices out."""

    def __init__(self, queryset: QuerySet[Organisation], membership: Membership) -> None:
        self.queryset = queryset
        self.membership = membership

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [_organisation(o, self.membership) for o in self.queryset[item]]


@router.get(
    "/networks/{slug}/organisations/{pk}",
    response={200: OrganisationDetailOut, **ERRORS},
    summary="One organisation with identifiers and classification",
)
def organisation_detail(request: HttpRequest, slug: str, pk: int) -> dict[str, Any]:
    membership, org = access.school_get_for_user(request.user, slug, pk)
    pseudonymous = access.pseudonymous(membership)
    data = _organisation(org, membership)
    classification = selectors.classification_of(org)
    data.update(
        identifiers=[]
        if pseudonymous
        else [{"scheme": i.scheme, "value": i.value} for i in org.identifiers.all()],
        address="" if pseudonymous else org.address,
        postcode="" if pseudonymous else org.postcode,
        language=org.language,
        urban_rural=org.urban_rural,
        opened_on=org.opened_on,
        closed_on=org.closed_on,
        predecessors=[] if pseudonymous else [p.pk for p in org.predecessors.all()],
        successors=[] if pseudonymous else [p.pk for p in org.successors.all()],
        strengths=org.strengths,
        needs=org.needs,
        offers=org.offers,
        explanation=selectors.explain(classification, org.phase),
        reasons=classification.reasons if classification else [],
        classification_indicator=classification.indicator.code
        if classification and classification.indicator
        else None,
    )
    return data


@router.get(
    "/networks/{slug}/organisations/{pk}/outcomes",
    response={200: list[SeriesOut], **ERRORS},
    summary="Outcome series of one organisation, with the network median of its phase",
)
def organisation_outcomes(request: HttpRequest, slug: str, pk: int) -> list[dict[str, Any]]:
    _membership, org = access.school_get_for_user(request.user, slug, pk)
    return [
        {
            "indicator": s.indicator.code,
            "name": s.indicator.name,
            "subject": s.indicator.subject,
            "unit": s.indicator.unit,
            "higher_is_better": s.indicator.higher_is_better,
            "points": [
                {
                    "year": p.year,
                    "value": p.value,
                    "suppressed": p.suppressed,
                    "cohort": p.cohort,
                    "network_median": p.median,
                }
                for p in s.points
            ],
        }
        for s in selectors.outcome_series(org)
    ]


class OrganisationPatch(Schema):
    kind: OrganisationKind | None = None
    name: str | None = None
    code: str | None = None


@router.patch(
    "/networks/{slug}/organisations/{pk}",
    response={200: OrganisationDetailOut, **ERRORS},
    summary="Change an organisation's kind, name or code (network administrators)",
)
def organisation_patch(
    request: HttpRequest, slug: str, pk: int, payload: OrganisationPatch
) -> dict[str, Any]:
    _membership, organisation = core_access.organisation_get_for_user(request.user, slug, pk, change=True)
    fields = payload.dict(exclude_unset=True, exclude_none=True)
    networks.organisation_update(actor=request.user, organisation=organisation, **fields)  # type: ignore[arg-type]
    return organisation_detail(request, slug, pk)


def _import_out(run: Import) -> dict[str, Any]:
    progress = run.progress
    return {
        "id": run.pk,
        "format": run.format,
        "status": run.status,
        "files": [f["name"] for f in run.files],
        "summary": run.summary,
        "progress": None
        if progress is None
        else {
            "status": progress.status,
            "done": progress.done,
            "total": progress.total,
            "percent": progress.percent,
            "message": progress.message,
        },
        "created_at": run.created_at,
        "committed_at": run.committed_at,
    }


@router.post(
    "/networks/{slug}/imports",
    response={202: ImportOut, **ERRORS},
    summary="Upload files and start an import (administrators and coordinators)",
)
def import_start(
    request: HttpRequest,
    slug: str,
    format: Form[ImportFormat],
    files: File[list[NinjaFile]],
    mapping: Form[str] = "",
    encoding: Form[str] = "",
    delimiter: Form[str] = "",
    year: Form[int | None] = None,
) -> tuple[int, dict[str, Any]]:
    membership, _imports = access.import_list_for_user(request.user, slug)
    parsed_mapping = None
    if mapping:
        try:
            parsed_mapping = json.loads(mapping)
        except json.JSONDecodeError as error:
            raise ValidationError({"mapping": f"not valid JSON ({error})"}) from error
        from interschool.registry.importing.mapped import validate_mapping

        problems = validate_mapping(parsed_mapping) if isinstance(parsed_mapping, dict) else ["not an object"]
        if problems:
            raise ValidationError({"mapping": problems})
    elif format in {ImportFormat.CSV, ImportFormat.XLSX}:
        # Without it the import could never run: refuse it now rather than leave it waiting.
        raise ValidationError(
            {"mapping": "the csv and xlsx formats need a column mapping (docs/importing.md)"}
        )
    run = import_create(
        actor=request.user,  # type: ignore[arg-type]
        network=membership.network,
        format=format,
        files=[UploadedFile(f.name or "upload", f.read()) for f in files],
        mapping=parsed_mapping,
        encoding=encoding,
        delimiter=delimiter,
        year=year,
    )
    user_id = request.user.pk
    transaction.on_commit(lambda: run_import.enqueue(run.pk, user_id))
    return 202, _import_out(run)


@router.get(
    "/networks/{slug}/imports",
    response={200: list[ImportOut], **ERRORS},
    summary="Imports of a network (administrators and coordinators)",
)
@paginate(PageNumber)
def import_list(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    _membership, imports = access.import_list_for_user(request.user, slug)
    return [_import_out(run) for run in imports.select_related("progress")]


@router.get(
    "/networks/{slug}/imports/{pk}",
    response={200: ImportOut, **ERRORS},
    summary="One import: status, progress and summary",
)
def import_detail(request: HttpRequest, slug: str, pk: int) -> dict[str, Any]:
    return _import_out(access.import_get_for_user(request.user, slug, pk)[1])


@router.get(
    "/networks/{slug}/imports/{pk}/rejections",
    response={200: list[RejectionOut], **ERRORS},
    summary="Every rejected row of an import",
)
@paginate(PageNumber)
def import_rejections(request: HttpRequest, slug: str, pk: int) -> list[dict[str, Any]]:
    return list(access.import_get_for_user(request.user, slug, pk)[1].rejections)


@router.post(
    "/networks/{slug}/imports/{pk}/revert",
    response={200: ImportOut, **ERRORS},
    summary="Revert a committed import as a whole (network administrators)",
)
def import_revert_route(request: HttpRequest, slug: str, pk: int) -> dict[str, Any]:
    membership, run = access.import_get_for_user(request.user, slug, pk, revert=True)
    try:
        run = import_revert(actor=request.user, run=run)  # type: ignore[arg-type]
    except RevertError as error:
        raise HttpError(409, str(error)) from error
    network_id = membership.network_id
    transaction.on_commit(lambda: recompute_network.enqueue(network_id))
    return _import_out(run)
