"""Forms of the core pages. They parse and validate input; services do the writing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from interschool.core.models import Network, Organisation, OrganisationKind, Role
from interschool.core.notification_kinds import KINDS


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


def _organisation_field(network: Network, required: bool = False) -> OrganisationChoiceField:
    return OrganisationChoiceField(
        queryset=Organisation.objects.filter(network=network).order_by("name"),
        required=required,
        label=_("Organisation"),
        empty_label=_("— none —"),
        help_text=_("Required for school leaders, teachers and external partners."),
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = _organisation_field(network)


class MemberForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args: Any, network: Network, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"] = _organisation_field(network)


class OrganisationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganisationKind.choices)
    name = forms.CharField(label=_("Name"), max_length=255)
    code = forms.CharField(label=_("Identifier"), max_length=64, required=False)


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Follow my browser"))] + [(code, name) for code, name in settings.LANGUAGES],
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("Say what the token is for, e.g. “nightly export script”."),
    )


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords do not match."))
        return data


class NotificationPreferencesForm(forms.Form):
    """Three check boxes per notification kind: in the app, e-mail at once, daily digest."""

    CHANNELS = (("in_app", _("In the app")), ("email", _("E-mail at once")), ("digest", _("Daily digest")))

    def __init__(self, *args: Any, initial_prefs: dict[str, dict[str, bool]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, kind in KINDS.items():
            for channel, label in self.CHANNELS:
                self.fields[f"{code}__{channel}"] = forms.BooleanField(
                    required=False, label=f"{kind.label}: {label}", initial=initial_prefs[code][channel]
                )

    def rows(self) -> list[tuple[str, Any, list[Any]]]:
        return [
            (code, kind.label, [self[f"{code}__{channel}"] for channel, _label in self.CHANNELS])
            for code, kind in KINDS.items()
        ]
