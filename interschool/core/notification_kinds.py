"""The kinds of notification the product sends; domain apps add theirs with ``register_kind``."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NotificationKind:
    code: str
    label: str | Promise
    email_default: bool = True
    digest_default: bool = False


KINDS: dict[str, NotificationKind] = {}


def register_kind(kind: NotificationKind) -> NotificationKind:
    KINDS[kind.code] = kind
    return kind


INVITATION = register_kind(NotificationKind("invitation", _("Invitations and joining a network")))
MEMBERSHIP = register_kind(NotificationKind("membership", _("Changes to my role or membership")))
SYSTEM = register_kind(NotificationKind("system", _("System messages"), email_default=False))
