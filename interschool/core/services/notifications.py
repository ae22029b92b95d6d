"""Notifications: one mechanism for the whole product (in-app inbox, e-mail by a background task, digest)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise

from interschool.core.models import Network, Notification, NotificationPreference, User
from interschool.core.notification_kinds import KINDS

Text = str | Promise | Callable[[], str]


def _render(text: Text) -> str:
    return text() if callable(text) else str(text)


def preference_for(user: User, kind: str) -> NotificationPreference:
    """The user's saved preference for ``kind``, or the kind's defaults (not saved)."""
    saved = NotificationPreference.objects.filter(user=user, kind=kind).first()
    if saved is not None:
        return saved
    default = KINDS.get(kind)
    return NotificationPreference(
        user=user,
        kind=kind,
        in_app=True,
        email=default.email_default if default else False,
        digest=default.digest_default if default else False,
    )


def recipient_language(user: User, network: Network | None) -> str:
    return user.language or (network.default_language if network else "") or "en"


def notify(
    *, user: User, kind: str, title: Text, body: Text = "", url: str = "", network: Network | None = None
) -> Notification | None:
    """Notify ``user``. Texts are rendered in the recipient's language; e-mail goes out after commit.

    ``title`` and ``body`` may be lazy strings or callables so that they are translated for the
    recipient, not for whoever triggered the notification.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if not user.is_active:
        return None
    pref = preference_for(user, kind)
    if not (pref.in_app or pref.email or pref.digest):
        return None
    with translation.override(recipient_language(user, network)):
        rendered_title, rendered_body = _render(title)[:255], _render(body)
    notification = Notification.objects.create(
        user=user,
        network=network,
        kind=kind,
        title=rendered_title,
        body=rendered_body,
        url=url,
        in_app=pref.in_app,
        wants_digest=pref.digest,
    )
    if pref.email:
        from interschool.core.tasks import send_notification_email

        transaction.on_commit(lambda: send_notification_email.enqueue(notification.pk))
    return notification


def notification_preferences_set(*, user: User, kind: str, in_app: bool, email: bool, digest: bool) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"in_app": in_app, "email": email, "digest": digest}
    )


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return inbox_unread(user).update(read_at=timezone.now())


def inbox(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user, in_app=True).select_related("network")


def inbox_unread(user: User) -> QuerySet[Notification]:
    return inbox(user).filter(read_at__isnull=True)
