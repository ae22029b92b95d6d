"""Writes to a school's profile (strengths, needs, offers) and to the registry settings."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from interschool.core.models import Organisation, Phase, SupportDomain
from interschool.core.services.audit import Actor, save_with_audit
from interschool.registry.models import RegistrySettings
from interschool.registry.services.statistics import RULE_FIELDS

DOMAIN_FIELDS = ("strengths", "needs", "offers")


def _clean_domains(name: str, value: Any) -> list[str]:
    codes = list(value or [])
    unknown = [c for c in codes if c not in SupportDomain.values]
    if unknown:
        raise ValidationError({name: _("Unknown support domains: %(codes)s") % {"codes": ", ".join(unknown)}})
    order = {code: i for i, code in enumerate(SupportDomain.values)}
    return sorted(set(codes), key=order.__getitem__)


@transaction.atomic
def profile_update(*, actor: Actor, organisation: Organisation, **fields: Any) -> Organisation:
    values = {name: _clean_domains(name, fields[name]) for name in DOMAIN_FIELDS if name in fields}
    unknown = set(fields) - set(DOMAIN_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")

    def validate() -> None:
        strengths = set(values.get("strengths", organisation.strengths) or [])
        needs = set(values.get("needs", organisation.needs) or [])
        if strengths & needs:
            raise ValidationError({"needs": _("A domain cannot be both a strength and a need.")})

    save_with_audit(
        actor=actor,
        network=organisation.network,
        instance=organisation,
        tracked=DOMAIN_FIELDS,
        values=values,
        validate=validate,
    )
    return organisation


@transaction.atomic
def settings_update(*, actor: Actor, settings_row: RegistrySettings, **fields: Any) -> RegistrySettings:
    rules = {name: fields[name] for name in RULE_FIELDS if name in fields and fields[name] is not None}
    indicators = {
        phase: fields[f"indicator_{phase}"] for phase in Phase.values if fields.get(f"indicator_{phase}")
    }
    values: dict[str, Any] = {"rules": rules, "phase_indicators": indicators}
    if "ses_label" in fields:
        values["ses_label"] = fields["ses_label"] or ""

    def validate() -> None:
        if rules.get("leader_min_years", 0) > rules.get("leader_window", 99):
            raise ValidationError(
                {"leader_min_years": _("Cannot be more than the number of years looked at.")}
            )

    save_with_audit(
        actor=actor,
        network=settings_row.network,
        instance=settings_row,
        tracked=("rules", "phase_indicators", "ses_label"),
        values=values,
        validate=validate,
    )
    return settings_row
