"""The form of an entry in a partnership's facilitators and barriers log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import Factor, PartnershipMember
from interschool.partnerships.selectors import BARRIER_GROUP_ORDER, barrier_group_of

# The barrier dimensions of the typology (``BARRIER_GROUPS``) and the rest.
BARRIER_GROUP_LABELS: dict[str, Any] = {
    "power": _("Power and autonomy"),
    "resources": _("Resources and time"),
    "vision": _("Shared vision"),
    "technical": _("Technical and practical obstacles"),
    "other": _("Other obstacles"),
}

Option = tuple[str, Any]


def code_groups(kind: str) -> list[tuple[Any, list[Option]]]:
    """The codes a form offers for ``kind``: facilitators as one list, barriers by dimension."""
    if kind != v.FactorKind.BARRIER:
        return [(None, list(v.Facilitator.choices))]
    groups: dict[str, list[Option]] = {name: [] for name in BARRIER_GROUP_ORDER}
    for code, label in v.Barrier.choices:
        groups[barrier_group_of(code)].append((code, label))
    return [(BARRIER_GROUP_LABELS[name], options) for name, options in groups.items() if options]


def _code_choices(kind: str) -> list[Any]:
    groups = code_groups(kind)
    if groups[0][0] is None:
        return [("", "—"), *groups[0][1]]
    return [("", "—"), *groups]


class FactorForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=v.FactorKind.choices, widget=forms.RadioSelect)
    code = forms.ChoiceField(label=_("Factor"))
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How the factor shows in this partnership."),
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=v.Severity.choices, initial=v.Severity.MEDIUM)
    mitigation = forms.CharField(
        label=_("Mitigation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For a barrier: what the partners do about it."),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=PartnershipMember.objects.none(),
        required=False,
        empty_label="—",
        help_text=_("The member organisation that follows it up."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=v.FactorStatus.choices, initial=v.FactorStatus.OPEN)
    logged_on = forms.DateField(
        label=_("Logged on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    resolved_on = forms.DateField(
        label=_("Resolved on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Left empty, a resolved entry gets today's date."),
    )

    def __init__(
        self,
        *args: Any,
        kind: str,
        members: QuerySet[PartnershipMember],
        member_label: Callable[[PartnershipMember], str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The codes follow the kind submitted, else the kind asked for; barriers when neither is known.
        submitted = self.data.get("kind") if self.is_bound else None
        chosen = next((k for k in (submitted, kind) if k in v.FactorKind.values), v.FactorKind.BARRIER)
        self.chosen_kind: str = chosen
        self.initial["kind"] = chosen
        self.fields["code"].choices = _code_choices(self.chosen_kind)  # type: ignore[attr-defined]
        owner = self.fields["owner"]
        owner.queryset = members  # type: ignore[attr-defined]
        owner.label_from_instance = member_label  # type: ignore[attr-defined]

    @property
    def code_groups(self) -> list[tuple[Any, list[Option]]]:
        return code_groups(self.chosen_kind)

    @property
    def owner_options(self) -> list[tuple[int | str, str]]:
        """The owner menu: no owner, then each member organisation (as a code in the pseudonymised view)."""
        field = self.fields["owner"]
        members = [(m.pk, field.label_from_instance(m)) for m in field.queryset]  # type: ignore[attr-defined]
        return [("", "—"), *members]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        logged: dt.date | None = data.get("logged_on")
        resolved: dt.date | None = data.get("resolved_on")
        if logged and resolved and resolved < logged:
            self.add_error("resolved_on", _("The entry is resolved before it was logged."))
        return data

    def values(self) -> dict[str, Any]:
        """The cleaned entry as the values ``factor_create`` and ``factor_update`` take."""
        return {name: self.cleaned_data[name] for name in FACTOR_FORM_FIELDS}


FACTOR_FORM_FIELDS = (
    "kind",
    "code",
    "description",
    "severity",
    "mitigation",
    "owner",
    "status",
    "logged_on",
    "resolved_on",
)


def initial_of(factor: Factor) -> dict[str, Any]:
    return {name: getattr(factor, name) for name in FACTOR_FORM_FIELDS if name != "owner"} | {
        "owner": factor.owner_id
    }
