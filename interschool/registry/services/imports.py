"""Imports: validate every row first, then write everything in one short transaction, or nothing.

The flow is ``import_create`` (store the files, make the Import and its Progress) → ``import_run`` (parse,
check the records against the database, write or reject) → optionally ``import_revert``. ``import_run`` is
called by the background task and by the ``interschool import`` command alike. Progress is written with
single UPDATE statements outside the write transaction, so other requests can read it while the work runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from interschool.core.models import Network, Organisation, OrganisationKind, Progress, ProgressStatus
from interschool.core.services.audit import Actor, actor_user, audit_record
from interschool.core.services.progress import progress_finish, progress_start, progress_update
from interschool.registry.importing import formats
from interschool.registry.importing.records import (
    ORGANISATION_FIELDS,
    ImportFileError,
    IndicatorDef,
    OrgRecord,
    ParseOptions,
    ParseResult,
    Rejection,
    Source,
)
from interschool.registry.models import (
    ColumnMapping,
    Identifier,
    Import,
    ImportChange,
    ImportFormat,
    ImportStatus,
    Indicator,
    OrganisationYear,
    OutcomeValue,
    RegistrySettings,
)
from interschool.registry.services.bulk import bulk_insert, bulk_insert_returning, bulk_update_rows

# The report keeps this many rejected and skipped rows; the counts are always complete.
REPORT_LIMIT = 100_000
MAX_FILE_BYTES = 200 * 1024 * 1024
_BATCH = 2000
_TEXT_LIMITS = {
    f.name: f.max_length
    for f in Organisation._meta.concrete_fields
    if f.max_length and f.name in ORGANISATION_FIELDS
}
_CHOICES = {
    name: {value for value, _label in Organisation._meta.get_field(name).choices or []}  # type: ignore[union-attr]
    for name in ("kind", "status", "phase", "school_type", "urban_rural")
}
# Fields written from records; "strengths" etc. are lists, the rest scalars.
_WRITABLE = tuple(f for f in ORGANISATION_FIELDS if f != "kind")


@dataclass
class UploadedFile:
    name: str
    data: bytes


@dataclass
class WriteCounts:
    organisations_created: int = 0
    organisations_updated: int = 0
    values_created: int = 0
    values_updated: int = 0
    years_created: int = 0
    years_updated: int = 0
    identifiers_created: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class _Plan:
    """What the write transaction will do, prepared outside it."""

    new_records: list[OrgRecord] = field(default_factory=list)
    matched: list[tuple[OrgRecord, int]] = field(default_factory=list)


def import_directory(run: Import) -> Path:
    """Where the import's files are kept: a folder of their own (unique even across databases)."""
    if run.files:
        return Path(run.files[0]["path"]).parent
    return Path(settings.DATA_DIR) / "imports" / f"{run.pk}-{uuid.uuid4().hex[:12]}"


@transaction.atomic
def import_create(
    *,
    actor: Actor,
    network: Network,
    format: str,
    files: Sequence[UploadedFile],
    mapping: dict[str, Any] | None = None,
    encoding: str = "",
    delimiter: str = "",
    year: int | None = None,
) -> Import:
    """Store the uploaded files and create the Import with its Progress. Nothing is read yet."""
    if format not in ImportFormat.values:
        raise ValidationError({"format": _("Unknown format “%(format)s”.") % {"format": format}})
    if not files:
        raise ValidationError({"files": _("Choose at least one file.")})
    if delimiter and delimiter not in {",", ";", "\t"}:
        raise ValidationError({"delimiter": _("Use a comma, a semicolon or a tab.")})
    if year is not None and not 1900 <= year <= 2200:
        raise ValidationError({"year": _("Give a year between 1900 and 2200.")})
    for upload in files:
        if len(upload.data) > MAX_FILE_BYTES:
            raise ValidationError({"files": _("%(name)s is larger than 200 MB.") % {"name": upload.name}})
        if not upload.data:
            raise ValidationError({"files": _("%(name)s is empty.") % {"name": upload.name}})
    user = actor_user(actor)
    progress = progress_start(kind="registry.import", network=network, user=user)
    run = Import.objects.create(
        network=network,
        user=user,
        format=format,
        mapping=mapping,
        options={"encoding": encoding, "delimiter": delimiter, "year": year},
        progress=progress,
    )
    folder = import_directory(run)
    folder.mkdir(parents=True, exist_ok=True)
    stored = []
    for index, upload in enumerate(files):
        safe = Path(upload.name).name or f"file-{index}"
        path = folder / f"{index:02d}-{safe}"
        path.write_bytes(upload.data)
        stored.append(
            {
                "name": safe,
                "path": str(path),
                "size": len(upload.data),
                "sha256": hashlib.sha256(upload.data).hexdigest(),
            }
        )
    run.files = stored
    run.save(update_fields=["files"])
    return run


@transaction.atomic
def import_requeue(run: Import, *, mapping: dict[str, Any] | None = None) -> Import:
    """Make an import ready to run again: after the wizard changed its mapping, or to commit it.

    A new mapping clears the earlier report; the progress bar starts over.
    """
    fields = ["status", "updated_at"]
    if mapping is not None:
        run.mapping = mapping
        run.rejections, run.skips, run.summary = [], [], {}
        fields += ["mapping", "rejections", "skips", "summary"]
    run.status = ImportStatus.UPLOADED
    run.save(update_fields=fields)
    if run.progress_id:
        Progress.objects.filter(pk=run.progress_id).update(status=ProgressStatus.PENDING, done=0, message="")
    return run


def mapping_save(*, network: Network, name: str, mapping: dict[str, Any]) -> ColumnMapping:
    """Save (or replace) a named column mapping of the network."""
    saved, _created = ColumnMapping.objects.update_or_create(
        network=network, name=name.strip()[:120], defaults={"mapping": mapping}
    )
    return saved


def import_run(
    run: Import, *, actor: Actor, echo: Callable[[str], None] | None = None, dry_run: bool = False
) -> Import:
    """Validate and, when no row is rejected, write. Returns the Import with its status and report.

    With ``dry_run`` the import stops after validation with the status "validated" (the wizard's
    validate step); running it again without ``dry_run`` commits it.
    """
    if run.format in {ImportFormat.CSV, ImportFormat.XLSX} and not run.mapping:
        raise ValidationError({"mapping": _("The CSV and XLSX formats need a column mapping.")})
    if run.status in {ImportStatus.COMMITTED, ImportStatus.REVERTED}:
        raise ValidationError(_("This import has already been committed."))
    progress_id = run.progress_id
    sources = [Source(f["name"], f["path"]) for f in run.files]
    options = ParseOptions(
        encoding=run.options.get("encoding") or None,
        delimiter=run.options.get("delimiter") or None,
        year=run.options.get("year"),
        mapping=run.mapping,
    )
    Import.objects.filter(pk=run.pk).update(status=ImportStatus.VALIDATING)
    try:
        total = formats.count_rows(sources)
    except ImportFileError as exc:
        return _finish_failed(run, str(exc))
    if progress_id:
        progress_update(progress_id, done=0, total=total, message=_("Validating rows"))

    last_reported = [0]

    def on_progress(rows: int) -> None:
        if rows - last_reported[0] >= 1000 or rows >= total:
            last_reported[0] = rows
            if progress_id:
                progress_update(progress_id, done=min(rows, total))
            if echo:
                echo(_("Validated %(rows)s of about %(total)s rows") % {"rows": rows, "total": total})

    try:
        parsed = formats.parse(run.format, sources, options, on_progress)
    except ImportFileError as exc:
        parsed = ParseResult(rejections=[Rejection(exc.file, exc.row, exc.column, exc.value, exc.message)])
    plan, db_rejections = _check_against_database(run.network, parsed)
    rejections = parsed.rejections + db_rejections
    run.summary = _summary(parsed, rejections)
    run.rejections = [r.__dict__ for r in rejections[:REPORT_LIMIT]]
    run.skips = [s.__dict__ for s in parsed.skips[:REPORT_LIMIT]]
    if rejections:
        run.status = ImportStatus.REJECTED
        run.save(update_fields=["summary", "rejections", "skips", "status", "updated_at"])
        audit_record(
            actor=actor,
            network=run.network,
            action="import-rejected",
            obj=run,
            counts=_audit_counts(run.summary),
            checksum=_checksum(run),
        )
        if progress_id:
            progress_finish(
                progress_id,
                message=_("%(count)s rows rejected: nothing was written.") % {"count": len(rejections)},
                failed=True,
            )
        return run

    if dry_run:
        run.status = ImportStatus.VALIDATED
        run.save(update_fields=["summary", "rejections", "skips", "status", "updated_at"])
        if progress_id:
            progress_finish(
                progress_id,
                message=_("All %(count)s rows are valid: ready to commit.") % {"count": run.summary["rows"]},
            )
        return run

    Import.objects.filter(pk=run.pk).update(status=ImportStatus.WRITING)
    if progress_id:
        progress_update(progress_id, done=total, message=_("Writing"))
    if echo:
        echo(_("All rows are valid; writing"))
    try:
        with transaction.atomic():
            counts = _write(run, parsed, plan)
            run.summary["written"] = counts.as_dict()
            run.status = ImportStatus.COMMITTED
            run.committed_at = timezone.now()
            run.save(update_fields=["summary", "rejections", "skips", "status", "committed_at", "updated_at"])
            audit_record(
                actor=actor,
                network=run.network,
                action="import",
                obj=run,
                counts={**_audit_counts(run.summary), **counts.as_dict()},
                checksum=_checksum(run),
            )
    except Exception as exc:
        _finish_failed(run, f"{type(exc).__name__}: {exc}")
        raise
    if any(run.summary["written"].values()):  # an import that changed nothing leaves statistics as they are
        if progress_id:
            progress_update(progress_id, message=_("Computing statistics and classification"))
        from interschool.registry.services.statistics import registry_recompute

        registry_recompute(network=run.network)
    if progress_id:
        imported = run.summary["imported"]
        progress_finish(progress_id, message=_("%(count)s rows imported.") % {"count": imported})
    return run


def _finish_failed(run: Import, message: str) -> Import:
    run.status = ImportStatus.FAILED
    run.error = message
    run.save(update_fields=["status", "error", "updated_at"])
    if run.progress_id:
        progress_finish(run.progress_id, message=message, failed=True)
    return run


def _checksum(run: Import) -> str:
    digest = hashlib.sha256()
    for item in run.files:
        digest.update(item["sha256"].encode())
    return digest.hexdigest()


def _summary(parsed: ParseResult, rejections: list[Rejection]) -> dict[str, Any]:
    rejected_rows = {(r.file, r.row) for r in rejections}
    files = []
    for summary in parsed.files:
        item = dict(summary.__dict__)
        # Rows the database check rejected move from "imported" to "rejected".
        extra = {row for (name, row) in rejected_rows if name == summary.name}
        moved = max(0, len(extra) - summary.rejected)
        item["imported"] = max(0, summary.imported - moved)
        item["rejected"] = summary.rejected + moved
        files.append(item)
    return {
        "files": files,
        "rows": sum(f["rows"] for f in files),
        "imported": sum(f["imported"] for f in files),
        "skipped": sum(f["skipped"] for f in files),
        "rejected": sum(f["rejected"] for f in files) or len(rejected_rows),
        "rejections": len(rejections),
        "organisations": len(parsed.records),
        "indicators": sorted(parsed.indicators),
        "skip_rules": _count_by_rule(parsed),
    }


def _count_by_rule(parsed: ParseResult) -> dict[str, int]:
    counts: dict[str, int] = {}
    for skip in parsed.skips:
        counts[skip.rule] = counts.get(skip.rule, 0) + 1
    return counts


def _audit_counts(summary: dict[str, Any]) -> dict[str, int]:
    return {k: summary[k] for k in ("rows", "imported", "skipped", "rejected", "organisations")}


# --- checks against what the network already holds -----------------------------------------------------


def _identifier_map(network: Network) -> dict[tuple[str, str], int]:
    return {
        (scheme, value): org_id
        for scheme, value, org_id in Identifier.objects.filter(network=network).values_list(
            "scheme", "value", "organisation_id"
        )
    }


def _check_against_database(network: Network, parsed: ParseResult) -> tuple[_Plan, list[Rejection]]:
    """Match records to organisations by identifier and reject what the database makes impossible."""
    known = _identifier_map(network)
    plan = _Plan()
    rejections: list[Rejection] = []
    claimed: dict[tuple[str, str], OrgRecord] = {}
    for record in parsed.records:
        problems = _field_problems(record)
        org_id = known.get(record.key)
        for scheme, value in record.identifiers.items():
            other = known.get((scheme, value))
            if other is not None and org_id is not None and other != org_id:
                problems.append(
                    (
                        scheme,
                        value,
                        _("this %(scheme)s already belongs to another organisation") % {"scheme": scheme},
                    )
                )
            elif other is not None and org_id is None:
                org_id = other  # known by another of its identifiers
            first = claimed.get((scheme, value))
            if first is not None and first is not record:
                problems.append(
                    (
                        scheme,
                        value,
                        _("duplicate identifier: also given in %(file)s row %(row)s")
                        % {"file": first.file, "row": first.row},
                    )
                )
            claimed[(scheme, value)] = record
        if org_id is None and not record.fields.get("name"):
            problems.append(("name", "", _("a new organisation needs a name")))
        if (
            record.predecessor
            and record.predecessor not in known
            and not any(r.key == record.predecessor for r in parsed.records)
        ):
            problems.append(("predecessor", record.predecessor[1], _("no organisation has this identifier")))
        if problems:
            rejections.extend(
                Rejection(record.file, record.row, column, value, reason)
                for column, value, reason in problems
            )
        elif org_id is None:
            plan.new_records.append(record)
        else:
            plan.matched.append((record, org_id))
    return plan, rejections


def _field_problems(record: OrgRecord) -> list[tuple[str, str, str]]:
    problems = []
    for name, value in record.fields.items():
        if name not in ORGANISATION_FIELDS:
            problems.append((name, str(value), _("not an organisation field")))
            continue
        if value is None or value == "":
            continue
        if name in _CHOICES and value not in _CHOICES[name]:
            problems.append(
                (name, str(value), _("not one of %(values)s") % {"values": ", ".join(sorted(_CHOICES[name]))})
            )
        limit = _TEXT_LIMITS.get(name)
        if limit and isinstance(value, str) and len(value) > limit:
            problems.append((name, value[:40], _("longer than %(limit)s characters") % {"limit": limit}))
    return problems


# --- the write transaction -----------------------------------------------------------------------------


def _org_values(record: OrgRecord) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for year in sorted(record.years):  # the latest yearly figures, kept on the organisation
        for name in ("enrolment", "ses_index"):
            if record.years[year].get(name) is not None:
                values[name] = record.years[year][name]
    for name in _WRITABLE:
        if name in record.fields and record.fields[name] is not None and record.fields[name] != "":
            value = record.fields[name]
            values[name] = sorted(set(value)) if isinstance(value, list | tuple) else value
    return values


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _write(run: Import, parsed: ParseResult, plan: _Plan) -> WriteCounts:
    network = run.network
    counts = WriteCounts()
    changes: list[ImportChange] = []

    # Organisations: create the new ones, update the fields that changed on the matched ones.
    new_ids = _insert_organisations(network, plan.new_records)
    counts.organisations_created = len(new_ids)
    org_of: dict[tuple[str, str], int] = {}
    for record, org_id in zip(plan.new_records, new_ids, strict=True):
        org_of[record.key] = org_id
        changes.append(ImportChange(run=run, model="organisation", object_id=org_id, before=None))
    matched_ids = [org_id for _record, org_id in plan.matched]
    existing = {
        row["pk"]: row
        for row in Organisation.objects.filter(pk__in=matched_ids).values(
            "pk", *_WRITABLE, "enrolment", "ses_index"
        )
    }
    updated: dict[frozenset[str], list[list[Any]]] = {}
    for record, org_id in plan.matched:
        org_of[record.key] = org_id
        current = existing[org_id]
        values = _org_values(record)
        before = {name: _plain(current[name]) for name, v in values.items() if current[name] != v}
        if before:
            updated.setdefault(frozenset(before), []).append([org_id, *(values[n] for n in sorted(before))])
            changes.append(ImportChange(run=run, model="organisation", object_id=org_id, before=before))
    for names, rows in updated.items():
        bulk_update_rows(Organisation, sorted(names), rows)
    counts.organisations_updated = sum(len(rows) for rows in updated.values())

    # Identifiers: every scheme a record names, added when missing.
    known = _identifier_map(network)
    new_identifiers: list[tuple[Any, ...]] = []
    for record in parsed.records:
        org_id = org_of[record.key]
        for scheme, value in [record.key, *record.identifiers.items()]:
            if (scheme, value) not in known:
                known[(scheme, value)] = org_id
                new_identifiers.append((network.pk, org_id, scheme, value, run.pk))
    counts.identifiers_created = bulk_insert(
        Identifier, ("network", "organisation", "scheme", "value", "created_by_import"), new_identifiers
    )
    # Predecessor links.
    for record in parsed.records:
        if record.predecessor:
            predecessor_id = known.get(record.predecessor)
            if predecessor_id:
                Organisation.predecessors.through.objects.get_or_create(
                    from_organisation_id=org_of[record.key], to_organisation_id=predecessor_id
                )

    indicators = _upsert_indicators(network, parsed.indicators.values(), run, changes)
    _write_outcomes(run, parsed.records, org_of, indicators, counts, changes)
    _write_years(run, parsed.records, org_of, counts, changes)
    if parsed.ses_label:
        settings_row, _created = RegistrySettings.objects.get_or_create(network=network)
        if settings_row.ses_label != parsed.ses_label:
            changes.append(
                ImportChange(
                    run=run,
                    model="settings",
                    object_id=settings_row.pk,
                    before={
                        "ses_label": settings_row.ses_label,
                        "ses_higher_is_advantaged": settings_row.ses_higher_is_advantaged,
                    },
                )
            )
            settings_row.ses_label = parsed.ses_label
            if parsed.ses_higher_is_advantaged is not None:
                settings_row.ses_higher_is_advantaged = parsed.ses_higher_is_advantaged
            settings_row.save()
    bulk_insert(
        ImportChange,
        ("run", "model", "object_id", "before"),
        ((run.pk, c.model, c.object_id, c.before) for c in changes),
    )
    return counts


_ORG_COLUMNS = tuple(
    f.name
    for f in Organisation._meta.concrete_fields
    if not f.primary_key and f.name not in {"network", "created_at", "updated_at"}
)


def _insert_organisations(network: Network, records: list[OrgRecord]) -> list[int]:
    now = timezone.now()
    defaults = {f.name: f.get_default() for f in Organisation._meta.concrete_fields if f.name in _ORG_COLUMNS}
    rows = []
    for record in records:
        values = {**defaults, **_org_values(record)}
        values["kind"] = record.fields.get("kind") or OrganisationKind.SCHOOL
        if record.scheme == "network":  # the network's own code doubles as the display identifier
            values["code"] = record.identifier
        rows.append([network.pk, now, now, *(values[name] for name in _ORG_COLUMNS)])
    return bulk_insert_returning(Organisation, ("network", "created_at", "updated_at", *_ORG_COLUMNS), rows)


def _upsert_indicators(
    network: Network, definitions: Iterable[IndicatorDef], run: Import, changes: list[ImportChange]
) -> dict[str, int]:
    existing = {i.code: i for i in Indicator.objects.filter(network=network)}
    ids = {}
    for definition in definitions:
        indicator = existing.get(definition.code)
        values = {
            "name": definition.name[:200],
            "subject": definition.subject[:100],
            "unit": definition.unit[:20],
            "higher_is_better": definition.higher_is_better,
            "phase": definition.phase,
        }
        if indicator is None:
            indicator = Indicator.objects.create(network=network, code=definition.code, **values)
            changes.append(ImportChange(run=run, model="indicator", object_id=indicator.pk, before=None))
        else:
            before = {k: getattr(indicator, k) for k, v in values.items() if getattr(indicator, k) != v}
            if before:
                for k in before:
                    setattr(indicator, k, values[k])
                indicator.save(update_fields=list(before))
                changes.append(
                    ImportChange(run=run, model="indicator", object_id=indicator.pk, before=before)
                )
        ids[definition.code] = indicator.pk
    return ids


def _write_outcomes(
    run: Import,
    records: list[OrgRecord],
    org_of: dict[tuple[str, str], int],
    indicators: dict[str, int],
    counts: WriteCounts,
    changes: list[ImportChange],
) -> None:
    existing = {
        (org, ind, year): (pk, value, cohort, suppressed)
        for pk, org, ind, year, value, cohort, suppressed in OutcomeValue.objects.filter(
            indicator_id__in=list(indicators.values())
        ).values_list("pk", "organisation_id", "indicator_id", "year", "value", "cohort", "suppressed")
    }
    creates: list[tuple[Any, ...]] = []
    updates: list[list[Any]] = []
    for record in records:
        org_id = org_of[record.key]
        for cell in record.outcomes:
            key = (org_id, indicators[cell.indicator], cell.year)
            value = None if cell.suppressed else cell.value
            current = existing.get(key)
            if current is None:
                creates.append((org_id, key[1], cell.year, value, cell.cohort, cell.suppressed, run.pk))
                existing[key] = (0, value, cell.cohort, cell.suppressed)
            elif current[1:] != (value, cell.cohort, cell.suppressed) and current[0]:
                pk = current[0]
                changes.append(
                    ImportChange(
                        run=run,
                        model="outcome",
                        object_id=pk,
                        before={"value": current[1], "cohort": current[2], "suppressed": current[3]},
                    )
                )
                updates.append([pk, value, cell.cohort, cell.suppressed])
    bulk_insert(
        OutcomeValue,
        ("organisation", "indicator", "year", "value", "cohort", "suppressed", "created_by_import"),
        creates,
    )
    bulk_update_rows(OutcomeValue, ("value", "cohort", "suppressed"), updates)
    counts.values_created = len(creates)
    counts.values_updated = len(updates)


def _write_years(
    run: Import,
    records: list[OrgRecord],
    org_of: dict[tuple[str, str], int],
    counts: WriteCounts,
    changes: list[ImportChange],
) -> None:
    org_ids = set(org_of.values())
    existing = {
        (org, year): (pk, enrolment, ses)
        for pk, org, year, enrolment, ses in OrganisationYear.objects.filter(
            organisation__network=run.network
        ).values_list("pk", "organisation_id", "year", "enrolment", "ses_index")
        if org in org_ids
    }
    creates: list[tuple[Any, ...]] = []
    updates: list[list[Any]] = []
    for record in records:
        org_id = org_of[record.key]
        for year, figures in record.years.items():
            enrolment = figures.get("enrolment")
            ses = figures.get("ses_index")
            current = existing.get((org_id, year))
            if current is None:
                if enrolment is None and ses is None:
                    continue
                creates.append((org_id, year, enrolment, ses, run.pk))
                existing[(org_id, year)] = (0, enrolment, ses)
                continue
            # A file that does not give a figure leaves the stored one alone.
            new = (
                current[1] if enrolment is None else enrolment,
                current[2] if ses is None else ses,
            )
            if new != current[1:] and current[0]:
                changes.append(
                    ImportChange(
                        run=run,
                        model="year",
                        object_id=current[0],
                        before={"enrolment": current[1], "ses_index": current[2]},
                    )
                )
                updates.append([current[0], new[0], new[1]])
                existing[(org_id, year)] = (current[0], *new)
    bulk_insert(
        OrganisationYear, ("organisation", "year", "enrolment", "ses_index", "created_by_import"), creates
    )
    bulk_update_rows(OrganisationYear, ("enrolment", "ses_index"), updates)
    counts.years_created = len(creates)
    counts.years_updated = len(updates)


# --- revert --------------------------------------------------------------------------------------------


class RevertError(Exception):
    pass


@transaction.atomic
def import_revert(*, actor: Actor, run: Import) -> Import:
    """Undo a committed import as a whole: the network returns to the state before it."""
    run = Import.objects.select_for_update().get(pk=run.pk)
    if run.status != ImportStatus.COMMITTED:
        raise RevertError(_("Only a committed import can be reverted."))
    later = (
        Import.objects.filter(network=run.network, status=ImportStatus.COMMITTED)
        .filter(Q(committed_at__gt=run.committed_at) | Q(committed_at=run.committed_at, pk__gt=run.pk))
        .first()
    )
    if later is not None:
        raise RevertError(
            _("Import #%(later)s was committed after this one: revert it first.") % {"later": later.pk}
        )
    created_orgs = list(
        run.changes.filter(model="organisation", before__isnull=True).values_list("object_id", flat=True)
    )
    from interschool.core.models import Membership

    in_use = Membership.objects.filter(organisation_id__in=created_orgs).count()
    if in_use:
        raise RevertError(
            _("%(count)s members belong to organisations this import created: move them first.")
            % {"count": in_use}
        )
    OutcomeValue.objects.filter(created_by_import=run).delete()
    OrganisationYear.objects.filter(created_by_import=run).delete()
    Identifier.objects.filter(created_by_import=run).delete()
    restorers: dict[str, Callable[[int, dict[str, Any]], None]] = {
        "organisation": lambda pk, before: _restore(Organisation, pk, before),
        "outcome": lambda pk, before: _restore(OutcomeValue, pk, before),
        "year": lambda pk, before: _restore(OrganisationYear, pk, before),
        "indicator": lambda pk, before: _restore(Indicator, pk, before),
        "settings": lambda pk, before: _restore(RegistrySettings, pk, before),
    }
    for change in run.changes.exclude(before__isnull=True).order_by("-pk"):
        restorers[change.model](change.object_id, change.before or {})
    Organisation.objects.filter(pk__in=created_orgs).delete()
    created_indicators = run.changes.filter(model="indicator", before__isnull=True).values_list(
        "object_id", flat=True
    )
    Indicator.objects.filter(pk__in=list(created_indicators), values__isnull=True).delete()
    run.status = ImportStatus.REVERTED
    run.reverted_at = timezone.now()
    run.save(update_fields=["status", "reverted_at", "updated_at"])
    audit_record(actor=actor, network=run.network, action="import-revert", obj=run)
    return run


def _restore(model: Any, pk: int, before: dict[str, Any]) -> None:
    values = dict(before)
    for name in ("opened_on", "closed_on"):
        if isinstance(values.get(name), str):
            values[name] = dt.date.fromisoformat(values[name])
    model.objects.filter(pk=pk).update(**values)


def import_delete_files(run: Import) -> None:
    shutil.rmtree(import_directory(run), ignore_errors=True)
