"""Forms of the action plan and maturity pages: they parse input; the plan services validate and write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from interschool.core.models import Organisation, OrganisationKind
from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import Goal, Partnership, PartnershipMember, PlanActivity
from interschool.partnerships.services.plan import Upload
from interschool.registry.models import Indicator


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def as_initial(values: Mapping[str, Any]) -> dict[str, Any]:
    """Initial values as the browser sends them: ISO dates and plain numbers, whatever the language."""
    initial: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, dt.date):
            initial[name] = value.isoformat()
        elif isinstance(value, float):
            initial[name] = repr(value)
        elif isinstance(value, list | tuple):
            initial[name] = [str(item) for item in value]
        elif value is None:
            initial[name] = ""
        else:
            initial[name] = str(value)
    return initial


def _blank(label: str) -> list[tuple[str, str]]:
    return [("", label)]


class GoalForm(forms.Form):
    title = forms.CharField(label=_("Goal"), max_length=300)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    motive = forms.ChoiceField(label=_("Motive"), choices=v.Motive.choices)
    horizon = forms.ChoiceField(
        label=_("Horizon"),
        choices=v.Horizon.choices,
        help_text=_("Short: up to a year; medium: one to three years; long: over three years."),
    )
    aim = forms.ChoiceField(label=_("Aim"), choices=[], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["aim"].choices = _blank(str(_("— none —"))) + list(v.Aim.choices)  # type: ignore[attr-defined]


class _MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.organisation.name)


class ActivityForm(forms.Form):
    goal = forms.ModelChoiceField(label=_("Goal"), queryset=Goal.objects.none(), empty_label=None)
    title = forms.CharField(label=_("Activity"), max_length=300)
    kind = forms.ChoiceField(label=_("Type"), choices=v.ActivityType.choices)
    owner = _MemberChoice(
        label=_("Owner"),
        queryset=PartnershipMember.objects.none(),
        required=False,
        empty_label=_("— no owner —"),
        help_text=_("The member organisation responsible for the activity."),
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput())
    ends_on = forms.DateField(
        label=_("Ends on"), widget=DateInput(), required=False, help_text=_("Empty for a one-day activity.")
    )
    status = forms.ChoiceField(label=_("Status"), choices=v.ActivityStatus.choices)
    participants = forms.MultipleChoiceField(
        label=_("Who takes part"),
        choices=v.Participant.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only activities that took place count towards the suggested level on the continuum."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, partnership: Partnership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["goal"].queryset = partnership.goals.all()  # type: ignore[attr-defined]
        self.fields["owner"].queryset = partnership.members.select_related("organisation")  # type: ignore[attr-defined]


class IndicatorForm(forms.Form):
    indicator = forms.ModelChoiceField(
        label=_("Indicator"), queryset=Indicator.objects.none(), empty_label=None
    )
    organisation = forms.ModelChoiceField(
        label=_("School"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Member schools"),
        help_text=_("Empty: across the member schools."),
    )
    baseline = forms.FloatField(label=_("Baseline"))
    baseline_year = forms.IntegerField(label=_("Baseline year"), min_value=1900, max_value=2200)
    target = forms.FloatField(label=_("Target"))
    target_year = forms.IntegerField(label=_("Target year"), min_value=1900, max_value=2200)

    def __init__(self, *args: Any, partnership: Partnership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = Indicator.objects.filter(  # type: ignore[attr-defined]
            network_id=partnership.network_id
        ).order_by("name", "code")
        self.fields["organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            partnership_memberships__partnership=partnership, kind=OrganisationKind.SCHOOL
        ).order_by("name")


def member_schools(partnership: Partnership) -> Iterable[PartnershipMember]:
    return partnership.members.filter(organisation__kind=OrganisationKind.SCHOOL).select_related(
        "organisation"
    )


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(label=_("Assessed on"), widget=DateInput())
    level = forms.TypedChoiceField(label=_("Level on the sharing continuum"), choices=[], coerce=int)
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What shows this level: what happened, who took part, what changed."),
    )
    links = forms.CharField(
        label=_("Links"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "ltr"}),
        help_text=_("One web address per line, starting with https:// or http://."),
    )
    activities = forms.MultipleChoiceField(
        label=_("Plan activities"),
        required=False,
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The activities of the action plan this assessment rests on."),
    )
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("Evidence files"),
        required=False,
        help_text=_("PDF, images, text, CSV, spreadsheets or documents; up to 10 MB each."),
    )

    def __init__(self, *args: Any, activities: Iterable[PlanActivity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [  # type: ignore[attr-defined]
            (value, f"{value} · {label}") for value, label in v.ContinuumLevel.choices
        ]
        self._activities = {str(a.pk): a for a in activities}
        self.fields["activities"].choices = [  # type: ignore[attr-defined]
            (pk, f"{a.title} ({a.starts_on.isoformat()})") for pk, a in self._activities.items()
        ]

    def clean_links(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("links", "").splitlines() if line.strip()]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data[name] for name in ("assessed_on", "level", "evidence", "links")}

    def chosen_activities(self) -> list[PlanActivity]:
        return [self._activities[pk] for pk in self.cleaned_data.get("activities", [])]

    def uploads(self) -> list[Upload]:
        files: list[UploadedFile] = self.cleaned_data.get("files") or []
        return [
            Upload(name=f.name or "evidence", content_type=f.content_type or "", content=f.read())
            for f in files
        ]
