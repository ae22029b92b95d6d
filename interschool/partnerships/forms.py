"""Forms of the partnership pages: the partnership and its typology, members, people, consent, state."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from interschool.core.models import Membership, Organisation
from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import Partnership, PartnershipMember
from interschool.partnerships.services.partnerships import EDITABLE_FIELDS, MemberSpec, Proposal

NOT_CHOSEN = ("", "—")
# The fields ``Proposal`` takes by name; the other editable fields travel in ``Proposal.extra``.
PROPOSAL_FIELDS = (
    "name",
    "summary",
    "model",
    "motives",
    "lead_body",
    "initiative",
    "duration",
    "geography",
    "mode",
)
MEMBER_ROWS_MAX = 50


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _label(name: str) -> Any:
    return cast(models.Field, Partnership._meta.get_field(name)).verbose_name


def _choice(name: str, choices: type[Any], *, required: bool) -> forms.ChoiceField:
    options = [("", _("Choose…")) if required else NOT_CHOSEN, *choices.choices]
    return forms.ChoiceField(label=_label(name), choices=options, required=required)


def _several(
    name: str, choices: type[Any], *, required: bool, help_text: Any = ""
) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_label(name),
        choices=choices.choices,
        required=required,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


class PartnershipForm(forms.Form):
    """The name, summary and typology of a partnership, for proposing and for editing."""

    name = forms.CharField(label=_label("name"), max_length=200)
    summary = forms.CharField(
        label=_label("summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    model = _choice("model", v.Model, required=True)
    motives = _several("motives", v.Motive, required=True, help_text=_("Choose at least one."))
    reasons = _several("reasons", v.Reason, required=False, help_text=_("Optional detail of the motives."))
    lead_body = _choice("lead_body", v.LeadBody, required=True)
    external_parties = _several("external_parties", v.ExternalParty, required=False)
    issue_focus = _choice("issue_focus", v.IssueFocus, required=False)
    initiative = _choice("initiative", v.Initiative, required=True)
    duration = _choice("duration", v.Duration, required=True)
    starts_on = forms.DateField(label=_label("starts_on"), required=False, widget=DateInput())
    ends_on = forms.DateField(
        label=_label("ends_on"),
        required=False,
        widget=DateInput(),
        help_text=_("Needed for a fixed-term partnership."),
    )
    geography = _choice("geography", v.Geography, required=True)
    mode = _choice("mode", v.Mode, required=True)
    governance = _choice("governance", v.Governance, required=False)
    frequency = _choice("frequency", v.Frequency, required=False)
    follow_up = _choice("follow_up", v.FollowUp, required=False)
    entry_unit = _choice("entry_unit", v.EntryUnit, required=False)
    review_dates = forms.CharField(
        label=_label("review_dates"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
        help_text=_(
            "Dates on which the partners review the agreement (YYYY-MM-DD), one per line or with commas."
        ),
    )

    @staticmethod
    def initial_of(partnership: Partnership) -> dict[str, Any]:
        """The form's initial values from a partnership (dates as YYYY-MM-DD for the date inputs)."""
        initial = {name: getattr(partnership, name) for name in EDITABLE_FIELDS}
        for name in ("starts_on", "ends_on"):
            initial[name] = initial[name].isoformat() if initial[name] else ""
        initial["review_dates"] = "\n".join(partnership.review_dates)
        return initial

    def clean_review_dates(self) -> list[str]:
        # Each date is checked by the service, which names the one that is not a date.
        return [part for part in re.split(r"[\s,;]+", self.cleaned_data["review_dates"]) if part]

    def values(self) -> dict[str, Any]:
        """The cleaned values under the service's field names (``partnership_update``)."""
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}

    def proposal(self, members: list[MemberSpec]) -> Proposal:
        values = self.values()
        named = {name: values.pop(name) for name in PROPOSAL_FIELDS}
        return Proposal(members=members, extra=values, **named)


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class MemberForm(forms.Form):
    """A member organisation with its roles and commitments; the organisation only when adding one."""

    organisation = OrganisationChoiceField(label=_("Organisation"), queryset=Organisation.objects.none())
    role = forms.ChoiceField(
        label=pgettext_lazy("member", "Role"), choices=[("", _("Choose…")), *v.MemberRole.choices]
    )
    actor_role = forms.ChoiceField(label=_("Actor role"), choices=[("", _("Choose…")), *v.ActorRole.choices])
    engagement = forms.ChoiceField(
        label=_("Engagement"), choices=v.Engagement.choices, initial=v.Engagement.ACTIVE
    )
    commitment_time = forms.CharField(label=_("Time committed"), max_length=200, required=False)
    commitment_staff = forms.CharField(label=_("Staff committed"), max_length=200, required=False)
    commitment_resources = forms.CharField(label=_("Resources committed"), max_length=200, required=False)

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet[Organisation] | None = None,
        organisation_choices: list[tuple[Any, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        """``organisations``: the ones that may be chosen (none: the organisation is not asked for);
        ``organisation_choices``: their menu, made once for every row of a formset."""
        super().__init__(*args, **kwargs)
        if organisations is None:
            del self.fields["organisation"]
            return
        field = cast(forms.ModelChoiceField, self.fields["organisation"])
        field.queryset = organisations
        if organisation_choices is not None:
            field.choices = organisation_choices

    @staticmethod
    def initial_of(member: PartnershipMember) -> dict[str, Any]:
        return {
            name: getattr(member, name) for name in MemberSpec.__dataclass_fields__ if name != "organisation"
        }

    def spec(self) -> MemberSpec:
        data = self.cleaned_data
        return MemberSpec(
            organisation=data["organisation"],
            **{name: data[name] for name in MemberSpec.__dataclass_fields__ if name != "organisation"},
        )

    def values(self) -> dict[str, Any]:
        """The cleaned values under the service's field names (``member_update``)."""
        return {
            name: self.cleaned_data[name]
            for name in MemberSpec.__dataclass_fields__
            if name != "organisation"
        }


def organisation_choices(organisations: QuerySet[Organisation]) -> list[tuple[Any, str]]:
    """The organisation menu of the member rows, read once however many rows there are."""
    label = OrganisationChoiceField(queryset=organisations).label_from_instance
    return [("", "—"), *((o.pk, label(o)) for o in organisations)]


class BaseMemberFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_few_forms": _("A partnership needs at least two members."),
        "too_many_forms": _("At most %(num)d members can be proposed at once.") % {"num": MEMBER_ROWS_MAX},
    }

    def initial_form_count(self) -> int:
        # Initial values only pre-fill rows: every row is new, so the blank ones beyond two stay optional.
        return super().initial_form_count() if self.is_bound else 0

    def specs(self) -> list[MemberSpec]:
        return [form.spec() for form in self.forms if form.has_changed() and form.cleaned_data]


MemberFormSet = cast(
    type[BaseMemberFormSet],
    forms.formset_factory(
        MemberForm,
        formset=BaseMemberFormSet,
        extra=1,
        min_num=2,
        validate_min=True,
        max_num=MEMBER_ROWS_MAX,
        validate_max=True,
    ),
)


class MembershipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        where = obj.organisation.name if obj.organisation else gettext("network coordinator")
        return f"{obj.user.display_name} — {where}"


class PersonForm(forms.Form):
    """A person of a member organisation and their role in the partnership."""

    membership = MembershipChoiceField(label=_("Person"), queryset=Membership.objects.none())
    role = forms.ChoiceField(label=pgettext_lazy("person", "Role"), choices=v.PersonRole.choices)

    def __init__(self, *args: Any, people: QuerySet[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = people  # type: ignore[attr-defined]


class ConsentForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[(v.Decision.ACCEPTED, _("Accept")), (v.Decision.DECLINED, _("Decline"))]
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when you decline: say why, so the proposer can answer."),
    )


class StateForm(forms.Form):
    to = forms.ChoiceField(
        choices=[
            (v.State.PAUSED, v.State.PAUSED.label),
            (v.State.ACTIVE, v.State.ACTIVE.label),
            (v.State.ENDED, v.State.ENDED.label),
        ],
        widget=forms.HiddenInput,
    )
    note = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed to pause or end; the proposer and the coordinators are told."),
    )
