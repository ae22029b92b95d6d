"""Writes of the catalogue: resources, their sharing, opening hours and closures.

Every function runs in one transaction, validates before it writes (``ValidationError`` naming the field,
or for opening hours the row) and writes an audit entry.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from interschool.core.models import Network
from interschool.core.services.audit import Actor, audit_created, audit_record, save_with_audit
from interschool.partnerships.models import Partnership
from interschool.resources import vocabularies as v
from interschool.resources.models import Closure, OpeningHours, Resource

RESOURCE_FIELDS = (
    "owner",
    "name",
    "kind",
    "description",
    "location",
    "latitude",
    "longitude",
    "capacity",
    "time_zone",
    "shared_with_network",
    "mode",
    "approval_required",
    "min_notice_hours",
    "max_length_minutes",
    "approval_expiry_hours",
    "active",
)
CLOSURE_FIELDS = ("starts_on", "ends_on", "reason")

Interval = tuple[int, dt.time, dt.time]


def _validate_resource(resource: Resource) -> None:
    errors: dict[str, list[Any]] = {}
    try:
        resource.full_clean()
    except ValidationError as error:
        errors = {name: list(messages) for name, messages in error.message_dict.items()}
    if resource.owner_id is not None and resource.owner.network_id != resource.network_id:
        errors["owner"] = [_("The owner is not in this network.")]
    try:
        zoneinfo.ZoneInfo(resource.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = [_("Unknown time zone “%(name)s”.") % {"name": resource.time_zone}]
    if resource.latitude is not None and not -90 <= resource.latitude <= 90:
        errors["latitude"] = [_("A latitude lies between −90 and 90.")]
    if resource.longitude is not None and not -180 <= resource.longitude <= 180:
        errors["longitude"] = [_("A longitude lies between −180 and 180.")]
    if (resource.latitude is None) != (resource.longitude is None):
        field = "longitude" if resource.longitude is None else "latitude"
        errors.setdefault(field, []).append(_("Give both latitude and longitude, or neither."))
    for name in ("capacity", "approval_expiry_hours", "max_length_minutes"):
        value = getattr(resource, name)
        if value is not None and value < 1:
            errors.setdefault(name, []).append(_("Must be at least 1."))
    if errors:
        raise ValidationError(errors)


def _validate_partnerships(resource: Resource, partnerships: Sequence[Partnership]) -> None:
    """Each partnership is of the resource's network and has its owner as a member."""
    member_of = set(
        Partnership.objects.filter(
            network_id=resource.network_id, members__organisation_id=resource.owner_id
        ).values_list("pk", flat=True)
    )
    wrong = [p.name for p in partnerships if p.pk not in member_of]
    if wrong:
        raise ValidationError(
            {
                "partnerships": _("%(owner)s is not a member of: %(names)s.")
                % {"owner": resource.owner.name, "names": ", ".join(sorted(wrong))}
            }
        )


def _set_partnerships(
    actor: Actor, resource: Resource, partnerships: Iterable[Partnership], *, audit: bool
) -> None:
    partnerships = list(partnerships)
    _validate_partnerships(resource, partnerships)
    before = sorted(resource.partnerships.values_list("pk", flat=True))
    after = sorted({p.pk for p in partnerships})
    if before == after:
        return
    resource.partnerships.set(partnerships)
    if audit:
        audit_record(
            actor=actor,
            network=resource.network,
            action="share",
            obj=resource,
            changes={"partnerships": [before, after]},
        )


@transaction.atomic
def resource_create(*, actor: Actor, network: Network, values: Mapping[str, Any]) -> Resource:
    """A new resource of ``network``; ``values`` holds :data:`RESOURCE_FIELDS` and ``partnerships``."""
    values = dict(values)
    partnerships = list(values.pop("partnerships", []))
    unknown = set(values) - set(RESOURCE_FIELDS)
    if unknown:
        raise ValueError(f"not resource fields: {sorted(unknown)}")
    resource = Resource(
        network=network,
        **{name: value.strip() if isinstance(value, str) else value for name, value in values.items()},
    )
    if "time_zone" not in values:
        resource.time_zone = network.time_zone
    _validate_resource(resource)
    _validate_partnerships(resource, partnerships)
    resource.save()
    resource.partnerships.set(partnerships)
    entry = audit_created(actor=actor, network=network, obj=resource, fields=RESOURCE_FIELDS)
    if partnerships:
        entry.changes["partnerships"] = [None, sorted(p.pk for p in partnerships)]
        entry.save(update_fields=["changes"])
    return resource


@transaction.atomic
def resource_update(*, actor: Actor, resource: Resource, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Change the fields in ``values`` (and the partnerships, when given); returns what changed."""
    values = dict(values)
    partnerships = values.pop("partnerships", None)
    changes = save_with_audit(
        actor=actor,
        network=resource.network,
        instance=resource,
        tracked=RESOURCE_FIELDS,
        values=values,
        validate=lambda: _validate_resource(resource),
    )
    if partnerships is None:
        # The owner may have changed: partnerships it is not a member of must be unlinked explicitly.
        partnerships = list(resource.partnerships.all())
        _validate_partnerships(resource, partnerships)
        return changes
    before = sorted(resource.partnerships.values_list("pk", flat=True))
    _set_partnerships(actor, resource, partnerships, audit=True)
    after = sorted(resource.partnerships.values_list("pk", flat=True))
    if before != after:
        changes["partnerships"] = [before, after]
    return changes


def resource_share(
    *, actor: Actor, resource: Resource, with_network: bool, partnerships: Iterable[Partnership]
) -> dict[str, list[Any]]:
    """Share ``resource`` with the whole network or not, and with these partnerships of its owner."""
    return resource_update(
        actor=actor,
        resource=resource,
        values={"shared_with_network": with_network, "partnerships": list(partnerships)},
    )


def _interval_label(row: int, weekday: int, opens: dt.time, closes: dt.time) -> dict[str, Any]:
    return {
        "row": row,
        "day": dict(v.WEEKDAYS).get(weekday, str(weekday)),
        "opens": opens.strftime("%H:%M"),
        "closes": closes.strftime("%H:%M"),
    }


def _validate_intervals(intervals: Sequence[Interval]) -> None:
    """Each row a weekday with opens before closes; no two rows of one weekday overlap."""
    errors: list[ValidationError] = []
    valid: list[tuple[int, int, dt.time, dt.time]] = []
    for row, (weekday, opens, closes) in enumerate(intervals, start=1):
        if weekday not in dict(v.WEEKDAYS):
            errors.append(
                ValidationError(
                    gettext("Row %(row)s: %(weekday)s is not a weekday (0 = Monday to 6 = Sunday).")
                    % {"row": row, "weekday": weekday},
                    code="weekday",
                )
            )
        elif not opens < closes:
            errors.append(
                ValidationError(
                    gettext("Row %(row)s (%(day)s %(opens)s–%(closes)s): it must open before it closes.")
                    % _interval_label(row, weekday, opens, closes),
                    code="order",
                )
            )
        else:
            valid.append((weekday, row, opens, closes))
    # Against the interval of the same weekday that closes latest so far, so every overlap is named.
    latest: dict[int, tuple[int, dt.time, dt.time]] = {}
    for weekday, row, opens, closes in sorted(valid, key=lambda item: (item[0], item[2], item[1])):
        previous = latest.get(weekday)
        if previous is not None and opens < previous[2]:
            errors.append(
                ValidationError(
                    gettext(
                        "Row %(row)s (%(day)s %(opens)s–%(closes)s) overlaps row %(other)s "
                        "(%(other_opens)s–%(other_closes)s)."
                    )
                    % {
                        **_interval_label(row, weekday, opens, closes),
                        "other": previous[0],
                        "other_opens": previous[1].strftime("%H:%M"),
                        "other_closes": previous[2].strftime("%H:%M"),
                    },
                    code="overlap",
                )
            )
        if previous is None or closes > previous[2]:
            latest[weekday] = (row, opens, closes)
    if errors:
        raise ValidationError({"opening_hours": errors})


def _hours_listed(rows: Iterable[tuple[int, dt.time, dt.time]]) -> list[str]:
    return sorted(f"{weekday} {opens:%H:%M}-{closes:%H:%M}" for weekday, opens, closes in rows)


@transaction.atomic
def opening_hours_set(*, actor: Actor, resource: Resource, intervals: Sequence[Interval]) -> None:
    """Replace every opening interval of ``resource``; none means open at any time."""
    _validate_intervals(intervals)
    before = _hours_listed(resource.opening_hours.values_list("weekday", "opens", "closes"))
    after = _hours_listed(intervals)
    if before == after:
        return
    resource.opening_hours.all().delete()
    rows = [OpeningHours(resource=resource, weekday=w, opens=o, closes=c) for w, o, c in intervals]
    for row in rows:
        row.full_clean()
    OpeningHours.objects.bulk_create(rows)
    audit_record(
        actor=actor,
        network=resource.network,
        action="opening_hours",
        obj=resource,
        changes={"opening_hours": [before, after]},
    )


@transaction.atomic
def closure_add(
    *, actor: Actor, resource: Resource, starts_on: dt.date, ends_on: dt.date, reason: str = ""
) -> Closure:
    closure = Closure(resource=resource, starts_on=starts_on, ends_on=ends_on, reason=reason.strip())
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError({"ends_on": _("A closure ends on or after the day it starts.")})
    closure.full_clean()
    closure.save()
    audit_created(actor=actor, network=resource.network, obj=closure, fields=CLOSURE_FIELDS)
    return closure


@transaction.atomic
def closure_delete(*, actor: Actor, closure: Closure) -> None:
    resource = closure.resource
    audit_record(
        actor=actor,
        network=resource.network,
        action="delete",
        obj=closure,
        changes={
            name: [value, None]
            for name, value in {
                "resource": resource.pk,
                "starts_on": closure.starts_on.isoformat(),
                "ends_on": closure.ends_on.isoformat(),
                "reason": closure.reason,
            }.items()
        },
    )
    closure.delete()
