"""The mapping wizard: upload a file, preview it, map its columns, validate, commit.

The wizard writes the same JSON mapping that ``interschool import --mapping`` reads (docs/importing.md);
the validate step is a dry run of the import, and committing runs it for real.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interschool.core.models import Phase, SchoolType
from interschool.core.views.common import AuthenticatedRequest, add_service_errors
from interschool.registry import access
from interschool.registry.importing.mapped import CANONICAL_MAPPING, suggest_mapping, validate_mapping
from interschool.registry.importing.reading import ENCODINGS, open_table
from interschool.registry.importing.records import ImportFileError, Source
from interschool.registry.models import IdentifierScheme, Import, ImportFormat, ImportStatus
from interschool.registry.services.imports import UploadedFile, import_create, import_requeue, mapping_save
from interschool.registry.tasks import run_import

PREVIEW_ROWS = 8
_LINE = re.compile(r"^\s*(.+?)\s*(?:=|→|->)\s*(\S*)\s*$")


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("School file"), help_text=gettext_lazy("CSV (also .csv.gz) or XLSX.")
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("Encoding"),
        required=False,
        choices=[("", gettext_lazy("Detect"))] + [(e, e) for e in ENCODINGS],
    )
    delimiter = forms.ChoiceField(
        label=gettext_lazy("Delimiter"),
        required=False,
        choices=[
            ("", gettext_lazy("Detect")),
            (",", gettext_lazy("Comma")),
            (";", gettext_lazy("Semicolon")),
            ("\t", gettext_lazy("Tab")),
        ],
    )


@login_required
def wizard_upload(request: AuthenticatedRequest, network_slug: str) -> HttpResponse:
    membership, _imports = access.import_list_for_user(request.user, network_slug)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        is_xlsx = data[:4] == b"PK\x03\x04"
        try:
            run = import_create(
                actor=request.user,
                network=membership.network,
                format=ImportFormat.XLSX if is_xlsx else ImportFormat.CSV,
                files=[UploadedFile(upload.name, data)],
                encoding=form.cleaned_data["encoding"],
                delimiter=form.cleaned_data["delimiter"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("import_mapping", network_slug, run.pk)
    return render(
        request,
        "registry/wizard_upload.html",
        {"membership": membership, "network": membership.network, "form": form},
    )


def _column_field(header: list[str], label: Any, required: bool = False) -> forms.ChoiceField:
    choices = [("", _("— none —"))] + [(h, h) for h in header if h]
    return forms.ChoiceField(label=label, choices=choices, required=required)


def _values_field(label: Any, help_text: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "ltr"}),
        help_text=help_text,
    )


def _unmapped_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("A value not in the list"),
        choices=[("reject", _("rejects the row")), ("missing", _("is stored as missing"))],
        initial="reject",
    )


class MappingForm(forms.Form):
    """The column mapping as a form; ``mapping()`` turns it into the JSON of docs/importing.md."""

    def __init__(self, *args: Any, header: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header = header
        codes = lambda choices: ", ".join(value for value, _label in choices)  # noqa: E731
        f = self.fields
        f["identifier_column"] = _column_field(header, _("Identifier column"), required=True)
        f["identifier_scheme"] = forms.ChoiceField(
            label=_("Identifier scheme"), choices=IdentifierScheme.choices, initial=IdentifierScheme.NATIONAL
        )
        f["identifier_pattern"] = forms.CharField(
            label=_("Identifier pattern (regular expression, optional)"),
            required=False,
            help_text=_("For example \\d{7} for seven digits; other identifiers are rejected."),
        )
        f["name_column"] = _column_field(header, _("Name column"), required=True)
        for name, label in (
            ("latitude", _("Latitude column")),
            ("longitude", _("Longitude column")),
            ("address", _("Address column")),
            ("postcode", _("Postcode column")),
            ("district", _("District column")),
            ("community", _("Community column")),
            ("language", _("Language of instruction column")),
        ):
            f[f"{name}_column"] = _column_field(header, label)
        f["phase_column"] = _column_field(header, _("Phase column"))
        f["phase_values"] = _values_field(
            _("Phase values"),
            _("One per line: the text in the file = a phase code (%(codes)s); an empty code means missing.")
            % {"codes": codes(Phase.choices)},
        )
        f["phase_unmapped"] = _unmapped_field()
        f["school_type_column"] = _column_field(header, _("Type column"))
        f["school_type_values"] = _values_field(
            _("Type values"),
            _("One per line: the text in the file = a type code (%(codes)s).")
            % {"codes": codes(SchoolType.choices)},
        )
        f["school_type_unmapped"] = _unmapped_field()
        f["status_column"] = _column_field(header, _("Status column"))
        f["status_values"] = _values_field(
            _("Status values"), _("One per line: the text in the file = open, closed or proposed.")
        )
        f["keep_column"] = _column_field(header, _("Keep only rows whose column…"))
        f["keep_values"] = forms.CharField(
            label=_("…has one of these values (comma-separated)"), required=False
        )
        f["year"] = forms.IntegerField(
            label=_("Year of the data"),
            required=False,
            min_value=1900,
            max_value=2200,
            help_text=_("Needed for enrolment, the socio-economic index and outcomes."),
        )
        f["enrolment_column"] = _column_field(header, _("Enrolment column"))
        f["ses_column"] = _column_field(header, _("Socio-economic index column"))
        f["ses_label"] = forms.CharField(label=_("Name of the socio-economic index"), required=False)
        f["outcome_columns"] = forms.MultipleChoiceField(
            label=_("Outcome indicator columns"),
            choices=[(h, h) for h in header if h],
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        f["outcome_unit"] = forms.CharField(label=_("Unit of the outcomes"), required=False, max_length=20)
        f["outcome_fraction"] = forms.BooleanField(
            label=_("Outcomes are fractions from 0 to 1: store them as percentages"), required=False
        )
        f["outcome_higher_is_better"] = forms.BooleanField(
            label=_("A higher outcome is better"), required=False, initial=True
        )
        f["missing_markers"] = forms.CharField(
            label=_("Texts that mean “missing” (comma-separated)"),
            required=False,
            help_text=_("In addition to the usual ones (empty, NA, N/A, …). For example -999."),
        )
        f["suppressed_markers"] = forms.CharField(
            label=_("Texts that mean “suppressed” (comma-separated)"),
            required=False,
            help_text=_("In addition to the usual ones (s, SUPP, N<15, …)."),
        )
        f["decimal_comma"] = forms.BooleanField(label=_("Numbers use a decimal comma"), required=False)
        f["save_as"] = forms.CharField(
            label=_("Save this mapping as (optional)"), required=False, max_length=120
        )
        f["advanced"] = forms.CharField(
            label=_("Or paste a whole mapping (JSON); it replaces everything above"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 4, "dir": "ltr"}),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("advanced"):
            try:
                mapping = json.loads(data["advanced"])
            except json.JSONDecodeError as error:
                self.add_error("advanced", _("This is not valid JSON: %(error)s") % {"error": error})
                return data
            if not isinstance(mapping, dict):
                self.add_error("advanced", _("The mapping must be a JSON object."))
                return data
        else:
            try:
                mapping = self._build(data)
            except ValidationError as error:
                add_service_errors(self, error)
                return data
        for problem in validate_mapping(mapping, self.header):
            self.add_error("advanced" if data.get("advanced") else None, problem)
        data["mapping"] = mapping
        return data

    def _build(self, data: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {"name": data["name_column"]}
        for name in ("latitude", "longitude", "address", "postcode", "district", "community", "language"):
            if data.get(f"{name}_column"):
                fields[name] = data[f"{name}_column"]
        for name in ("phase", "school_type", "status"):
            column = data.get(f"{name}_column")
            if not column:
                continue
            spec: dict[str, Any] = {"column": column}
            values = _value_lines(data.get(f"{name}_values", ""), f"{name}_values")
            if values:
                spec["values"] = values
                spec["unmapped"] = data.get(f"{name}_unmapped") or "reject"
            fields[name] = spec
        identifier: dict[str, Any] = {
            "column": data["identifier_column"],
            "scheme": data["identifier_scheme"],
        }
        if data.get("identifier_pattern"):
            identifier["pattern"] = data["identifier_pattern"]
        mapping: dict[str, Any] = {"version": 1, "identifier": identifier, "fields": fields}
        missing = _split(data.get("missing_markers", ""))
        suppressed = _split(data.get("suppressed_markers", ""))
        if missing or suppressed:
            mapping["markers"] = {"missing": missing, "suppressed": suppressed, "defaults": True}
        if data.get("decimal_comma"):
            mapping["decimal_comma"] = True
        year = data.get("year")
        needs_year = data.get("enrolment_column") or data.get("ses_column") or data.get("outcome_columns")
        if needs_year and not year:
            raise ValidationError({"year": _("Give the year of the enrolment, index and outcome columns.")})
        annual: dict[str, Any] = {}
        if data.get("enrolment_column"):
            annual["enrolment"] = data["enrolment_column"]
        if data.get("ses_column"):
            annual["ses_index"] = {"column": data["ses_column"], "label": data.get("ses_label") or ""}
        if annual:
            mapping["annual"] = {"year": year, **annual}
        outcomes = []
        for column in data.get("outcome_columns") or []:
            code = re.sub(r"[^a-z0-9]+", "_", column.lower()).strip("_") or "indicator"
            outcomes.append(
                {
                    "indicator": {
                        "code": code,
                        "name": column,
                        "unit": data.get("outcome_unit") or "",
                        "higher_is_better": bool(data.get("outcome_higher_is_better")),
                    },
                    "column": column,
                    "year": year,
                    **({"scale": 100} if data.get("outcome_fraction") else {}),
                }
            )
        if outcomes:
            mapping["outcomes"] = outcomes
        if data.get("keep_column"):
            keep = _split(data.get("keep_values", ""))
            if not keep:
                raise ValidationError({"keep_values": _("Give the values of the rows to keep.")})
            mapping["filters"] = [{"name": "keep", "column": data["keep_column"], "keep": keep}]
        return mapping


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _value_lines(text: str, field: str) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if not match:
            raise ValidationError({field: _("Line %(number)s: write TEXT = code.") % {"number": number}})
        values[match.group(1)] = match.group(2) or None
    return values


def _initial(mapping: dict[str, Any]) -> dict[str, Any]:
    """Form values from a (suggested or earlier) mapping; keys the form does not know stay out."""
    initial: dict[str, Any] = {}
    identifier = mapping.get("identifier") or {}
    if isinstance(identifier, dict):
        initial["identifier_column"] = identifier.get("column", "")
        initial["identifier_scheme"] = identifier.get("scheme", IdentifierScheme.NATIONAL)
        initial["identifier_pattern"] = identifier.get("pattern", "")
    for name, spec in (mapping.get("fields") or {}).items():
        column = spec if isinstance(spec, str) else (spec or {}).get("column", "")
        initial[f"{name}_column"] = column
        if isinstance(spec, dict) and spec.get("values"):
            initial[f"{name}_values"] = "\n".join(f"{k} = {v or ''}" for k, v in spec["values"].items())
            initial[f"{name}_unmapped"] = spec.get("unmapped", "reject")
    annual = mapping.get("annual")
    if isinstance(annual, dict):
        if isinstance(annual.get("year"), int):
            initial["year"] = annual["year"]
        enrolment = annual.get("enrolment")
        initial["enrolment_column"] = (
            enrolment if isinstance(enrolment, str) else (enrolment or {}).get("column")
        )
        ses = annual.get("ses_index")
        initial["ses_column"] = ses if isinstance(ses, str) else (ses or {}).get("column")
    outcomes = [o for o in mapping.get("outcomes") or [] if isinstance(o, dict)]
    if outcomes:
        initial["outcome_columns"] = [o.get("column") for o in outcomes]
        initial["outcome_fraction"] = outcomes[0].get("scale") == 100
        if isinstance(outcomes[0].get("year"), int):
            initial.setdefault("year", outcomes[0]["year"])
    markers = mapping.get("markers") or {}
    if isinstance(markers, dict):
        initial["missing_markers"] = ", ".join(m for m in markers.get("missing", []) if m)
        initial["suppressed_markers"] = ", ".join(m for m in markers.get("suppressed", []) if m)
    filters = mapping.get("filters") or []
    if filters and isinstance(filters[0], dict) and "keep" in filters[0]:
        initial["keep_column"] = filters[0].get("column", "")
        initial["keep_values"] = ", ".join(filters[0]["keep"])
    initial["outcome_higher_is_better"] = True
    return {k: v for k, v in initial.items() if v not in (None, "")}


def _expressible(mapping: dict[str, Any]) -> bool:
    """Whether the form can show this mapping without losing parts of it (else it goes in "advanced")."""
    text = json.dumps(mapping)
    annual = mapping.get("annual")
    return not (
        "{year}" in text
        or mapping.get("identifiers")
        or mapping.get("indicators")
        or (isinstance(annual, dict) and not isinstance(annual.get("year"), int))
        or isinstance(annual, list)
        or any(
            isinstance(o, dict) and "column" in (o.get("indicator") or {})
            for o in mapping.get("outcomes") or []
        )
    )


def _preview(run: Import) -> tuple[list[str], list[list[str]], str]:
    item = run.files[0]
    table = open_table(
        Source(item["name"], item["path"]),
        encoding=run.options.get("encoding") or None,
        delimiter=run.options.get("delimiter") or None,
    )
    rows = [cells for _number, cells in itertools.islice(table.rows, PREVIEW_ROWS)]
    return table.header, rows, table.encoding


@login_required
def wizard_mapping(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    membership, run = access.import_get_for_user(request.user, network_slug, pk)
    if run.format not in {ImportFormat.CSV, ImportFormat.XLSX} or run.status in {
        ImportStatus.COMMITTED,
        ImportStatus.REVERTED,
        ImportStatus.VALIDATING,
        ImportStatus.WRITING,
    }:
        messages.info(request, _("This import's mapping can no longer be changed."))
        return redirect("import_detail", network_slug, run.pk)
    try:
        header, rows, encoding = _preview(run)
    except (ImportFileError, OSError) as error:
        messages.error(request, str(getattr(error, "message", error)))
        return redirect("import_wizard", network_slug)
    _membership, saved = access.mapping_list_for_user(request.user, network_slug)
    chosen = saved.filter(pk=request.GET.get("saved") or 0).first() if request.GET.get("saved") else None
    start = chosen.mapping if chosen else run.mapping or suggest_mapping(header)
    initial = _initial(start)
    chosen_or_known = chosen is not None or run.mapping or start == CANONICAL_MAPPING
    if chosen_or_known and not _expressible(start):
        initial["advanced"] = json.dumps(start, indent=2, ensure_ascii=False)
    form = MappingForm(request.POST or None, header=header, initial=initial)
    if request.method == "POST" and form.is_valid():
        mapping = form.cleaned_data["mapping"]
        with transaction.atomic():
            import_requeue(run, mapping=mapping)
            if form.cleaned_data.get("save_as"):
                try:
                    with transaction.atomic():
                        mapping_save(
                            network=membership.network, name=form.cleaned_data["save_as"], mapping=mapping
                        )
                except IntegrityError:
                    messages.warning(request, _("The mapping could not be saved under that name."))
            user_id = request.user.pk
            transaction.on_commit(lambda: run_import.enqueue(run.pk, user_id, True))
        return redirect("import_detail", network_slug, run.pk)
    return render(
        request,
        "registry/wizard_mapping.html",
        {
            "membership": membership,
            "network": membership.network,
            "run": run,
            "form": form,
            "header": header,
            "rows": rows,
            "encoding": encoding,
            "file_name": Path(run.files[0]["name"]).name,
            "saved": list(saved),
            "mapping_json": json.dumps(start, indent=2, ensure_ascii=False),
        },
    )
