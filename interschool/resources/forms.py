"""Forms of the shared-resource pages: a booking in the resource's local time, a decision, the catalogue's
resource, opening hours and closures, and the list's filters."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from interschool.core.models import Organisation
from interschool.partnerships.models import Partnership
from interschool.resources import vocabularies as v
from interschool.resources.models import OpeningHours, Resource
from interschool.resources.services.catalogue import RESOURCE_FIELDS


class BookingForm(forms.Form):
    """Day, start and end as wall-clock times where the resource is; an organisation only for those who
    book for any school."""

    organisation = forms.ModelChoiceField(
        label=_("For"), queryset=Organisation.objects.none(), required=False
    )
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    starts = forms.TimeField(
        label=pgettext_lazy("time of day", "From"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    ends = forms.TimeField(
        label=pgettext_lazy("time of day", "To"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=255)
    headcount = forms.IntegerField(label=_("People"), min_value=1, initial=1)

    def __init__(
        self, *args: Any, organisations: QuerySet[Organisation] | None, time_zone: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone = ZoneInfo(time_zone)
        if organisations is None:
            del self.fields["organisation"]
        else:
            field = self.fields["organisation"]
            field.queryset = organisations  # type: ignore[attr-defined]
            field.required = True

    def range(self) -> tuple[dt.datetime, dt.datetime]:
        day = self.cleaned_data["day"]
        start = dt.datetime.combine(day, self.cleaned_data["starts"], tzinfo=self.time_zone)
        end = dt.datetime.combine(day, self.cleaned_data["ends"], tzinfo=self.time_zone)
        return start, end


class DecisionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


def _label(name: str) -> Any:
    """The model field's name as a form label."""
    return capfirst(Resource._meta.get_field(name).verbose_name)  # type: ignore[union-attr]


@functools.cache
def _time_zones() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class ResourceForm(forms.Form):
    """A resource's description, sharing and booking rules; the owner only for those who choose it."""

    owner = forms.ModelChoiceField(label=_label("owner"), queryset=Organisation.objects.none())
    name = forms.CharField(label=_label("name"), max_length=200)
    kind = forms.ChoiceField(label=_label("kind"), choices=v.ResourceKind.choices)
    description = forms.CharField(
        label=_label("description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    location = forms.CharField(label=_label("location"), max_length=255, required=False)
    latitude = forms.FloatField(
        label=_label("latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "dir": "ltr"}),
    )
    longitude = forms.FloatField(
        label=_label("longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "dir": "ltr"}),
    )
    capacity = forms.IntegerField(
        label=_label("capacity"),
        min_value=1,
        initial=1,
        help_text=Resource._meta.get_field("capacity").help_text,
    )
    time_zone = forms.ChoiceField(label=_label("time_zone"), choices=())
    shared_with_network = forms.BooleanField(label=_label("shared_with_network"), required=False)
    partnerships = forms.MultipleChoiceField(
        label=_("Shared with these partnerships"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Partnerships the owner is a member of."),
    )
    mode = forms.ChoiceField(label=_label("mode"), choices=v.BookingMode.choices, initial=v.BookingMode.FREE)
    approval_required = forms.BooleanField(label=_label("approval_required"), required=False)
    min_notice_hours = forms.IntegerField(label=_label("min_notice_hours"), min_value=0, initial=0)
    max_length_minutes = forms.IntegerField(
        label=_label("max_length_minutes"),
        min_value=1,
        required=False,
        help_text=Resource._meta.get_field("max_length_minutes").help_text,
    )
    approval_expiry_hours = forms.IntegerField(
        label=_label("approval_expiry_hours"),
        min_value=1,
        initial=72,
        help_text=Resource._meta.get_field("approval_expiry_hours").help_text,
    )
    active = forms.BooleanField(label=_label("active"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        owners: QuerySet[Organisation] | None,
        partnerships: QuerySet[Partnership],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if owners is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.fields["time_zone"].choices = _time_zones()  # type: ignore[attr-defined]
        self.partnership_rows = list(partnerships)
        if self.partnership_rows:
            self.fields["partnerships"].choices = [  # type: ignore[attr-defined]
                (str(p.pk), p.name) for p in self.partnership_rows
            ]
        else:
            del self.fields["partnerships"]

    @staticmethod
    def initial_of(resource: Resource) -> dict[str, Any]:
        initial = {name: getattr(resource, name) for name in RESOURCE_FORM_FIELDS}
        initial["owner"] = resource.owner_id
        initial["partnerships"] = [str(pk) for pk in resource.partnerships.values_list("pk", flat=True)]
        return initial

    def values(self) -> dict[str, Any]:
        """The cleaned values under the service's field names (``resource_create``/``resource_update``)."""
        values = {name: self.cleaned_data[name] for name in RESOURCE_FORM_FIELDS}
        if "owner" in self.fields:
            values["owner"] = self.cleaned_data["owner"]
        if "partnerships" in self.fields:
            chosen = {int(pk) for pk in self.cleaned_data["partnerships"]}
            values["partnerships"] = [p for p in self.partnership_rows if p.pk in chosen]
        return values


RESOURCE_FORM_FIELDS = tuple(name for name in RESOURCE_FIELDS if name != "owner")  # the owner is chosen apart

HOURS_PER_DAY = 2


class OpeningHoursForm(forms.Form):
    """Up to two intervals for each weekday; a weekday without any is closed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.days: list[dict[str, Any]] = []
        for weekday, day in v.WEEKDAYS:
            slots = []
            for n in range(1, HOURS_PER_DAY + 1):
                names = (f"day{weekday}_opens{n}", f"day{weekday}_closes{n}")
                self.fields[names[0]] = forms.TimeField(
                    label=pgettext_lazy("time of day", "From"),
                    required=False,
                    widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                )
                self.fields[names[1]] = forms.TimeField(
                    label=pgettext_lazy("time of day", "To"),
                    required=False,
                    widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                )
                slots.append((self[names[0]], self[names[1]]))
            self.days.append({"weekday": weekday, "label": day, "slots": slots})

    @staticmethod
    def initial_of(hours: QuerySet[OpeningHours]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        used: dict[int, int] = {}
        for row in hours.order_by("weekday", "opens"):
            n = used[row.weekday] = used.get(row.weekday, 0) + 1
            if n <= HOURS_PER_DAY:
                # As text, so the time inputs show HH:MM whether the form is bound or not.
                initial[f"day{row.weekday}_opens{n}"] = row.opens.strftime("%H:%M")
                initial[f"day{row.weekday}_closes{n}"] = row.closes.strftime("%H:%M")
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for weekday, _day in v.WEEKDAYS:
            for n in range(1, HOURS_PER_DAY + 1):
                opens, closes = f"day{weekday}_opens{n}", f"day{weekday}_closes{n}"
                if opens in self.errors or closes in self.errors:
                    continue
                if (cleaned.get(opens) is None) != (cleaned.get(closes) is None):
                    missing = opens if cleaned.get(opens) is None else closes
                    self.add_error(missing, _("Give both times, or neither."))
        return cleaned

    def intervals(self) -> list[tuple[int, dt.time, dt.time]]:
        rows = []
        for weekday, _day in v.WEEKDAYS:
            for n in range(1, HOURS_PER_DAY + 1):
                opens = self.cleaned_data.get(f"day{weekday}_opens{n}")
                closes = self.cleaned_data.get(f"day{weekday}_closes{n}")
                if opens is not None and closes is not None:
                    rows.append((weekday, opens, closes))
        return rows


class ClosureForm(forms.Form):
    starts_on = forms.DateField(
        label=pgettext_lazy("closure", "From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=pgettext_lazy("closure", "To"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class ResourceFilterForm(forms.Form):
    """Filters of the resource list; a value that is not valid is ignored."""

    q = forms.CharField(label=_("Name"), max_length=200, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All")), *v.ResourceKind.choices], required=False
    )
    owner = forms.ModelChoiceField(
        label=pgettext_lazy("resource", "Owner"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args: Any, owners: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]

    def applied(self) -> dict[str, Any]:
        """The valid, non-empty filters."""
        self.is_valid()
        return {name: value for name, value in getattr(self, "cleaned_data", {}).items() if value}
