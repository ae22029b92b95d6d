"""Recording the audit log: one entry per write, or per bulk run with its counts and input checksum."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import models

from interschool.core.models import AuditEntry, Network, User

# Services take the acting user, or a string naming a system actor ("cli", "system", "worker").
Actor = User | str

SENSITIVE_FIELDS = frozenset({"password", "token_hash", "nonce"})


def actor_user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def actor_label(actor: Actor) -> str:
    return actor.email if isinstance(actor, User) else f"system:{actor}"


def _plain(value: Any) -> Any:
    """Turn a field value into something JSON can hold and a person can read."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Values of ``fields`` on ``instance`` (foreign keys by id) for comparing before and after a change."""
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        values[name] = _plain(getattr(instance, attname))
    return values


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for each field whose value changed; secrets are masked."""
    changes: dict[str, list[Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = ["***", "***"] if name in SENSITIVE_FIELDS else [old, new]
    return changes


def file_checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def audit_record(
    *,
    actor: Actor,
    network: Network | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    changes: Mapping[str, list[Any]] | None = None,
    counts: Mapping[str, int] | None = None,
    checksum: str = "",
) -> AuditEntry:
    """Write one audit entry. Call inside the same transaction as the change it records."""
    if obj is not None and not object_type:
        object_type = obj._meta.label_lower
    return AuditEntry.objects.create(
        network=network,
        actor=actor_user(actor),
        actor_label=actor_label(actor),
        action=action,
        object_type=object_type,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        changes=dict(changes or {}),
        counts=dict(counts or {}),
        checksum=checksum,
    )


def audit_created(
    *, actor: Actor, network: Network | None, obj: models.Model, fields: Iterable[str]
) -> AuditEntry:
    after = snapshot(obj, fields)
    return audit_record(
        actor=actor, network=network, action="create", obj=obj, changes=diff(dict.fromkeys(after), after)
    )


def save_with_audit(
    *,
    actor: Actor,
    network: Network | None,
    instance: models.Model,
    tracked: Iterable[str],
    values: Mapping[str, Any],
    validate: Callable[[], None],
) -> dict[str, list[Any]]:
    """Apply ``values`` to ``instance``, run ``validate``, save, and audit what changed.

    The one way every ``<entity>_update`` service changes a row: ``values`` may only name ``tracked``
    fields; ``validate`` raises ``ValidationError`` (usually ``instance.full_clean`` plus the entity's own
    rules); the audit entry holds each changed field's value before and after. Returns those changes.
    Call it inside the service's transaction.
    """
    tracked = tuple(tracked)
    unknown = set(values) - set(tracked)
    if unknown:
        raise ValueError(f"not {instance._meta.label_lower} fields: {sorted(unknown)}")
    before = snapshot(instance, tracked)
    for name, value in values.items():
        setattr(instance, name, value.strip() if isinstance(value, str) else value)
    validate()
    instance.save()
    changes = diff(before, snapshot(instance, tracked))
    if changes:
        audit_record(actor=actor, network=network, action="update", obj=instance, changes=changes)
    return changes
