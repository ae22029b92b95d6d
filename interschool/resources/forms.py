"""Forms of the shared-resource pages: a booking in the resource's local time, and a decision."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from interschool.core.models import Organisation


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
