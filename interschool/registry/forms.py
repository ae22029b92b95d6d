"""Forms of the registry pages."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from interschool.core.models import Phase, SupportDomain
from interschool.registry.importing.reading import ENCODINGS
from interschool.registry.models import ColumnMapping, ImportFormat, Indicator, RegistrySettings


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class ImportForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=ImportFormat.choices)
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("Files"),
        help_text=_("CSV (also .csv.gz) or XLSX; several files at once for NYC and England."),
    )
    saved_mapping = forms.ModelChoiceField(
        label=_("Saved column mapping"), queryset=ColumnMapping.objects.none(), required=False
    )
    mapping = forms.CharField(
        label=_("Column mapping (JSON)"),
        widget=forms.Textarea(attrs={"rows": 4, "dir": "ltr"}),
        required=False,
        help_text=_("For CSV and XLSX: a saved mapping, or paste one (see the import guide)."),
    )
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        required=False,
        choices=[("", _("Detect"))] + [(e, e) for e in ENCODINGS],
    )
    delimiter = forms.ChoiceField(
        label=_("Delimiter"),
        required=False,
        choices=[("", _("Detect")), (",", _("Comma")), (";", _("Semicolon")), ("\t", _("Tab"))],
    )
    year = forms.IntegerField(
        label=_("Year of the data"),
        required=False,
        min_value=1900,
        max_value=2200,
        help_text=_("Only when the files do not say; a school year is named by the year it ends."),
    )

    def __init__(self, *args: Any, mappings: QuerySet[ColumnMapping], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["saved_mapping"].queryset = mappings  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        mapping: dict[str, Any] | None = None
        if data.get("mapping"):
            try:
                mapping = json.loads(data["mapping"])
            except json.JSONDecodeError as error:
                self.add_error("mapping", _("This is not valid JSON: %(error)s") % {"error": error})
            else:
                if not isinstance(mapping, dict):
                    self.add_error("mapping", _("The mapping must be a JSON object."))
                    mapping = None
        elif data.get("saved_mapping"):
            mapping = data["saved_mapping"].mapping
        needs_mapping = data.get("format") in {ImportFormat.CSV, ImportFormat.XLSX} and mapping is None
        if needs_mapping and not self.has_error("mapping"):
            self.add_error(
                "mapping",
                _("Choose a saved mapping or paste one; the mapping wizard makes one for a new layout."),
            )
        if mapping is not None:
            from interschool.registry.importing.mapped import validate_mapping

            for problem in validate_mapping(mapping):
                self.add_error("mapping", problem)
        data["mapping_json"] = mapping
        return data


def _domain_field(label: Any, help_text: Any = "") -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=SupportDomain.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


class ProfileForm(forms.Form):
    strengths = _domain_field(_("Strengths"), _("What the school can help others with."))
    needs = _domain_field(_("Needs"), _("What the school wants help with."))
    offers = _domain_field(_("Support offered"), _("What a partner organisation offers schools."))

    def __init__(self, *args: Any, is_school: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if is_school:
            del self.fields["offers"]
        else:
            del self.fields["strengths"]
            del self.fields["needs"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        both = set(data.get("strengths") or []) & set(data.get("needs") or [])
        if both:
            labels = dict(SupportDomain.choices)
            self.add_error(
                "needs",
                _("A domain cannot be both a strength and a need: %(domains)s")
                % {"domains": ", ".join(str(labels[d]) for d in sorted(both))},
            )
        return data


class SettingsForm(forms.Form):
    leader_top_percent = forms.FloatField(label=_("Leader: top percentage"), min_value=1, max_value=50)
    leader_min_years = forms.IntegerField(
        label=_("Leader: years in the top needed"), min_value=1, max_value=20
    )
    leader_window = forms.IntegerField(
        label=_("Leader: out of the last … years with data"), min_value=1, max_value=20
    )
    leader_requires_strength = forms.BooleanField(label=_("Leader: must declare a strength"), required=False)
    support_bottom_percent = forms.FloatField(
        label=_("Needs support: bottom percentage"), min_value=1, max_value=50
    )
    support_recent_years = forms.IntegerField(
        label=_("Needs support: years in the bottom needed"), min_value=1, max_value=20
    )
    support_recent_window = forms.IntegerField(
        label=_("Needs support: out of the last … years"), min_value=1, max_value=20
    )
    trend_window = forms.IntegerField(
        label=_("Falling trend: over the last … years"), min_value=2, max_value=20
    )
    trend_threshold_sd = forms.FloatField(
        label=_("Falling trend: standard deviations a year"), min_value=0.01, max_value=5
    )
    ses_label = forms.CharField(label=_("Name of the socio-economic index"), required=False, max_length=120)

    def __init__(
        self, *args: Any, settings_row: RegistrySettings, indicators: list[Indicator], **kwargs: Any
    ) -> None:
        from interschool.registry.services.statistics import rules_for

        rules = rules_for(settings_row)
        initial = {name: getattr(rules, name) for name in self.base_fields if hasattr(rules, name)}
        initial["ses_label"] = settings_row.ses_label
        for phase, _label in Phase.choices:
            initial[f"indicator_{phase}"] = (settings_row.phase_indicators or {}).get(phase, "")
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        choices = [("", _("Automatic: the indicator most schools report"))] + [
            (i.code, f"{i.name} ({i.code})") for i in indicators
        ]
        for phase, label in Phase.choices:
            self.fields[f"indicator_{phase}"] = forms.ChoiceField(
                label=_("Indicator for %(phase)s schools") % {"phase": str(label).lower()},
                choices=choices,
                required=False,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("leader_min_years", 0) > data.get("leader_window", 99):
            self.add_error("leader_min_years", _("Cannot be more than the number of years looked at."))
        if data.get("support_recent_years", 0) > data.get("support_recent_window", 99):
            self.add_error("support_recent_years", _("Cannot be more than the number of years looked at."))
        return data
