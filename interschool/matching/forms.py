"""Forms of the matching pages: a run's mode and what-if parameters, school choices, pair rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from interschool.core.models import Network, Organisation
from interschool.matching import parameters as params
from interschool.matching import vocabularies as v


def _field(p: params.Parameter) -> forms.Field:
    if p.kind is bool:
        return forms.BooleanField(label=p.label, required=False, help_text=p.help)
    attrs = {"step": "any" if p.kind is float else "1"}
    if p.low is not None:
        attrs["min"] = f"{p.low:g}"
    if p.high is not None:
        attrs["max"] = f"{p.high:g}"
    if p.kind is float:
        return forms.FloatField(
            label=p.label,
            required=not p.optional,
            help_text=p.help,
            min_value=p.low,
            max_value=p.high,
            widget=forms.NumberInput(attrs=attrs),
            localize=False,
        )
    return forms.IntegerField(
        label=p.label,
        required=not p.optional,
        help_text=p.help,
        min_value=None if p.low is None else int(p.low),
        max_value=None if p.high is None else int(p.high),
        widget=forms.NumberInput(attrs=attrs),
    )


class RunForm(forms.Form):
    """Mode, note and every parameter, prefilled with the defaults (or another run's parameters)."""

    mode = forms.ChoiceField(label=pgettext_lazy("matching run", "Mode"), choices=v.RunMode.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=200,
        help_text=_("What this run tries, for example “closeness counts double”."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for p in params.ALL:
            self.fields[p.name] = _field(p)
            self.fields[p.name].initial = self.initial.get(p.name, p.default)

    def rule_fields(self) -> list[forms.BoundField]:
        return [self[p.name] for p in params.RULES]

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[p.name] for p in params.WEIGHTS]

    def parameters(self) -> dict[str, Any]:
        return {p.name: self.cleaned_data.get(p.name) for p in params.ALL}


class OrganisationLookupField(forms.CharField):
    """An organisation of the network given by its code or its exact name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 255)
        kwargs.setdefault("help_text", _("The organisation's code or its exact name."))
        super().__init__(*args, **kwargs)
        self.network: Network | None = None

    def clean(self, value: Any) -> Organisation:
        text = super().clean(value).strip()
        found = list(
            Organisation.objects.filter(Q(code=text) | Q(name__iexact=text), network=self.network)[:2]
        )
        if not found:
            raise forms.ValidationError(
                _("No organisation of this network has the code or name “%(text)s”.") % {"text": text}
            )
        if len(found) > 1:
            raise forms.ValidationError(
                _("Several organisations are called “%(text)s”; give the code.") % {"text": text}
            )
        return found[0]


class SchoolChoiceForm(forms.Form):
    organisation = OrganisationLookupField(label=_("School or organisation"))
    choice = forms.ChoiceField(label=_("Choice"), choices=v.SchoolChoice.choices)

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].network = network  # type: ignore[attr-defined]


class PairRuleForm(forms.Form):
    first = OrganisationLookupField(label=_("First"))
    second = OrganisationLookupField(label=_("Second"))
    kind = forms.ChoiceField(label=_("Kind"), choices=v.PairKind.choices)
    value = forms.FloatField(
        label=_("Value of the tie"),
        initial=1.0,
        min_value=-1,
        max_value=1,
        required=False,
        localize=False,
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "-1", "max": "1"}),
        help_text=_("From −1 (a bad experience) to 1 (a good one); only for earlier ties."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("first", "second"):
            self.fields[name].network = network  # type: ignore[attr-defined]
