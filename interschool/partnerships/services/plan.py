"""Writes of the action plan (goals, activities, indicators), maturity assessments and the factor log.

Each change is validated (``full_clean`` plus the model's own rules, errors naming the field), saved
and audited in one transaction. Nothing here changes an ended partnership.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from interschool.core.models import User
from interschool.core.services.audit import Actor, audit_created, audit_record, file_checksum, save_with_audit
from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import (
    Assessment,
    EvidenceFile,
    Factor,
    Goal,
    Partnership,
    PlanActivity,
    PlanIndicator,
)
from interschool.partnerships.record import suggestion_as_json, suggestion_for

GOAL_FIELDS = ("title", "description", "motive", "horizon", "aim", "position")
ACTIVITY_FIELDS = (
    "goal",
    "title",
    "kind",
    "owner",
    "starts_on",
    "ends_on",
    "status",
    "participants",
    "notes",
)
INDICATOR_FIELDS = ("indicator", "organisation", "baseline", "baseline_year", "target", "target_year")
ASSESSMENT_FIELDS = ("assessed_on", "level", "evidence", "links")
FACTOR_FIELDS = (
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
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "text/plain",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
    }
)


def _open(partnership: Partnership) -> None:
    if partnership.state == v.State.ENDED:
        raise ValidationError(_("An ended partnership cannot be changed."))


def _validator(instance: models.Model, exclude: Sequence[str]):  # type: ignore[no-untyped-def]
    return lambda: instance.full_clean(exclude=list(exclude))


def _create(
    actor: Actor,
    partnership: Partnership,
    instance: models.Model,
    fields: Sequence[str],
    exclude: Sequence[str],
) -> None:
    _open(partnership)
    instance.full_clean(exclude=list(exclude))
    instance.save()
    audit_created(actor=actor, network=partnership.network, obj=instance, fields=fields)


def _update(
    actor: Actor,
    partnership: Partnership,
    instance: models.Model,
    fields: Sequence[str],
    values: Mapping[str, Any],
    exclude: Sequence[str],
) -> dict[str, list[Any]]:
    _open(partnership)
    return save_with_audit(
        actor=actor,
        network=partnership.network,
        instance=instance,
        tracked=fields,
        values=values,
        validate=_validator(instance, exclude),
    )


def _delete(actor: Actor, partnership: Partnership, instance: models.Model) -> None:
    _open(partnership)
    audit_record(actor=actor, network=partnership.network, action="delete", obj=instance)
    instance.delete()


# --- goals, activities, indicators -----------------------------------------------------------------------


@transaction.atomic
def goal_create(*, actor: Actor, partnership: Partnership, values: Mapping[str, Any]) -> Goal:
    values = dict(values)
    values.setdefault("position", (partnership.goals.aggregate(m=models.Max("position"))["m"] or 0) + 1)
    goal = Goal(partnership=partnership, **_known(values, GOAL_FIELDS))
    _create(actor, partnership, goal, GOAL_FIELDS, ["partnership"])
    return goal


@transaction.atomic
def goal_update(*, actor: Actor, goal: Goal, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    return _update(actor, goal.partnership, goal, GOAL_FIELDS, values, ["partnership"])


@transaction.atomic
def goal_delete(*, actor: Actor, goal: Goal) -> None:
    if goal.activities.exists():
        raise ValidationError(_("Move or delete the goal's activities first."))
    _delete(actor, goal.partnership, goal)


@transaction.atomic
def activity_create(*, actor: Actor, partnership: Partnership, values: Mapping[str, Any]) -> PlanActivity:
    activity = PlanActivity(partnership=partnership, **_known(values, ACTIVITY_FIELDS))
    _create(actor, partnership, activity, ACTIVITY_FIELDS, ["partnership"])
    return activity


@transaction.atomic
def activity_update(
    *, actor: Actor, activity: PlanActivity, values: Mapping[str, Any]
) -> dict[str, list[Any]]:
    return _update(actor, activity.partnership, activity, ACTIVITY_FIELDS, values, ["partnership"])


@transaction.atomic
def activity_delete(*, actor: Actor, activity: PlanActivity) -> None:
    _delete(actor, activity.partnership, activity)


@transaction.atomic
def plan_indicator_create(*, actor: Actor, goal: Goal, values: Mapping[str, Any]) -> PlanIndicator:
    target = PlanIndicator(goal=goal, **_known(values, INDICATOR_FIELDS))
    _check_indicator_school(goal.partnership, target)
    _create(actor, goal.partnership, target, INDICATOR_FIELDS, ["goal"])
    return target


@transaction.atomic
def plan_indicator_update(
    *, actor: Actor, target: PlanIndicator, values: Mapping[str, Any]
) -> dict[str, list[Any]]:
    partnership = target.goal.partnership
    for name, value in values.items():
        if name == "organisation":
            target.organisation = value
    _check_indicator_school(partnership, target)
    return _update(actor, partnership, target, INDICATOR_FIELDS, values, ["goal"])


def _check_indicator_school(partnership: Partnership, target: PlanIndicator) -> None:
    if (
        target.organisation_id
        and not partnership.members.filter(organisation_id=target.organisation_id).exists()
    ):
        raise ValidationError({"organisation": _("The school is not a member of this partnership.")})


@transaction.atomic
def plan_indicator_delete(*, actor: Actor, target: PlanIndicator) -> None:
    _delete(actor, target.goal.partnership, target)


def _known(values: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    unknown = set(values) - set(fields)
    if unknown:
        raise ValidationError(_("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    return {name: value.strip() if isinstance(value, str) else value for name, value in values.items()}


# --- maturity assessments ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    name: str
    content_type: str
    content: bytes


def _check_upload(upload: Upload) -> None:
    if len(upload.content) > EVIDENCE_MAX_BYTES:
        raise ValidationError({"files": _("%(name)s is larger than 10 MB.") % {"name": upload.name}})
    if upload.content_type not in EVIDENCE_TYPES:
        raise ValidationError(
            {
                "files": _("%(name)s: files of type %(type)s are not accepted.")
                % {"name": upload.name, "type": upload.content_type}
            }
        )


@transaction.atomic
def assessment_create(
    *,
    actor: Actor,
    partnership: Partnership,
    values: Mapping[str, Any],
    activities: Sequence[PlanActivity] = (),
    files: Sequence[Upload] = (),
) -> Assessment:
    """An assessed level with its evidence, and beside it the level the record suggested on that date."""
    values = _known(values, ASSESSMENT_FIELDS)
    assessed_on = values.get("assessed_on") or timezone.localdate()
    if isinstance(assessed_on, dt.date) and assessed_on > timezone.localdate():
        raise ValidationError({"assessed_on": _("An assessment cannot be dated in the future.")})
    suggestion = suggestion_for(partnership, assessed_on)
    assessment = Assessment(
        partnership=partnership,
        assessed_by=actor if isinstance(actor, User) else None,
        assessed_by_name=(actor.full_name or actor.email) if isinstance(actor, User) else str(actor),
        suggested_level=suggestion.level,
        suggestion=suggestion_as_json(suggestion),
        **(values | {"assessed_on": assessed_on}),
    )
    _check_links(assessment.links)
    _check_activities(partnership, activities)
    for upload in files:
        _check_upload(upload)
    _create(
        actor,
        partnership,
        assessment,
        ("assessed_on", "level", "suggested_level", "evidence"),
        ["partnership"],
    )
    assessment.activities.set(activities)
    for upload in files:
        _add_file(assessment, upload)
    return assessment


def _check_links(links: Any) -> None:
    if not isinstance(links, list) or not all(
        isinstance(link, str) and link.startswith(("https://", "http://")) for link in links
    ):
        raise ValidationError({"links": _("Links must be web addresses starting with http:// or https://.")})


def _check_activities(partnership: Partnership, activities: Sequence[PlanActivity]) -> None:
    if any(a.partnership_id != partnership.pk for a in activities):
        raise ValidationError({"activities": _("An activity belongs to another partnership.")})


def _add_file(assessment: Assessment, upload: Upload) -> EvidenceFile:
    return EvidenceFile.objects.create(
        assessment=assessment,
        name=upload.name[:255],
        content_type=upload.content_type,
        content=upload.content,
        size=len(upload.content),
        checksum=file_checksum(upload.content),
    )


@transaction.atomic
def assessment_update(
    *,
    actor: Actor,
    assessment: Assessment,
    values: Mapping[str, Any],
    activities: Sequence[PlanActivity] | None = None,
    files: Sequence[Upload] = (),
) -> dict[str, list[Any]]:
    """Change the assessed level or its evidence; the suggestion stays the one of the assessment date."""
    partnership = assessment.partnership
    if "links" in values:
        _check_links(values["links"])
    if activities is not None:
        _check_activities(partnership, activities)
    for upload in files:
        _check_upload(upload)
    if isinstance(values.get("assessed_on"), dt.date) and values["assessed_on"] > timezone.localdate():
        raise ValidationError({"assessed_on": _("An assessment cannot be dated in the future.")})
    if "assessed_on" in values and values["assessed_on"] != assessment.assessed_on:
        suggestion = suggestion_for(partnership, values["assessed_on"])
        assessment.suggested_level = suggestion.level
        assessment.suggestion = suggestion_as_json(suggestion)
    changes = _update(actor, partnership, assessment, ASSESSMENT_FIELDS, values, ["partnership"])
    if activities is not None:
        assessment.activities.set(activities)
    for upload in files:
        _add_file(assessment, upload)
    return changes


@transaction.atomic
def assessment_delete(*, actor: Actor, assessment: Assessment) -> None:
    _delete(actor, assessment.partnership, assessment)


@transaction.atomic
def evidence_file_delete(*, actor: Actor, file: EvidenceFile) -> None:
    _delete(actor, file.assessment.partnership, file)


# --- facilitators and barriers ----------------------------------------------------------------------------


@transaction.atomic
def factor_create(*, actor: Actor, partnership: Partnership, values: Mapping[str, Any]) -> Factor:
    values = _known(values, FACTOR_FIELDS)
    values.setdefault("logged_on", timezone.localdate())
    factor = Factor(partnership=partnership, **values)
    _resolved_date(factor)
    _create(actor, partnership, factor, FACTOR_FIELDS, ["partnership"])
    return factor


@transaction.atomic
def factor_update(*, actor: Actor, factor: Factor, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    values = dict(values)
    if values.get("status") == v.FactorStatus.RESOLVED and not (
        values.get("resolved_on") or factor.resolved_on
    ):
        values["resolved_on"] = timezone.localdate()
    if values.get("status") in (v.FactorStatus.OPEN, v.FactorStatus.MITIGATING):
        values["resolved_on"] = None
    return _update(actor, factor.partnership, factor, FACTOR_FIELDS, values, ["partnership"])


def _resolved_date(factor: Factor) -> None:
    if factor.status == v.FactorStatus.RESOLVED and not factor.resolved_on:
        factor.resolved_on = timezone.localdate()


@transaction.atomic
def factor_delete(*, actor: Actor, factor: Factor) -> None:
    _delete(actor, factor.partnership, factor)
