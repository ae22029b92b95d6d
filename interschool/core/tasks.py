"""Background tasks of the core app. Each one is safe to run twice."""

from __future__ import annotations

import csv
import json
import uuid

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from interschool.core.models import AuditEntry, Invitation, Notification, User
from interschool.core.selectors import audit_entries_filtered
from interschool.core.services.progress import progress_finish, progress_update

AUDIT_CSV_COLUMNS = (
    "time",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object",
    "changes",
    "counts",
    "checksum",
)


@task()
def send_notification_email(notification_id: int) -> bool:
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("user", "network")
            .filter(pk=notification_id, emailed_at=None)
            .first()
        )
        if notification is None:
            return False
        user = notification.user
        language = user.language or (notification.network.default_language if notification.network else "en")
        with translation.override(language):
            body = render_to_string(
                "core/email/notification.txt",
                {
                    "notification": notification,
                    "site_url": settings.SITE_URL,
                },
            )
        send_mail(notification.title, body, None, [user.email])
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


@task()
def send_invitation_email(invitation_id: int) -> bool:
    from interschool.core.services.invitations import INVITATION_SUBJECT, invitation_url

    invitation = (
        Invitation.objects.select_related("network", "organisation", "invited_by")
        .filter(pk=invitation_id, accepted_at=None, revoked_at=None)
        .first()
    )
    if invitation is None:
        return False
    existing = User.objects.filter(email=invitation.email).first()
    language = (existing.language if existing else "") or invitation.network.default_language
    with translation.override(language):
        subject = str(INVITATION_SUBJECT) % {"network": invitation.network.name}
        body = render_to_string(
            "core/email/invitation.txt",
            {
                "invitation": invitation,
                "url": invitation_url(invitation),
                "valid_days": settings.INVITATION_VALID_DAYS,
            },
        )
    send_mail(subject, body, None, [invitation.email])
    return True


@task()
def send_daily_digests() -> int:
    """One e-mail per user gathering the notifications they asked to receive as a digest."""
    sent = 0
    user_ids = (
        Notification.objects.filter(wants_digest=True, digested_at=None)
        .values_list("user_id", flat=True)
        .distinct()
    )
    for user in User.objects.filter(pk__in=list(user_ids), is_active=True):
        with transaction.atomic():
            items = list(
                Notification.objects.select_for_update()
                .filter(user=user, wants_digest=True, digested_at=None)
                .order_by("created_at")
            )
            if not items:
                continue
            with translation.override(user.language or "en"):
                subject = _("Your Interschool digest: %(count)d new notifications") % {"count": len(items)}
                body = render_to_string(
                    "core/email/digest.txt", {"items": items, "site_url": settings.SITE_URL}
                )
            send_mail(subject, body, None, [user.email])
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(digested_at=timezone.now())
            sent += 1
    return sent


@task()
def export_audit_csv(progress_id: str, network_id: int, filters: dict[str, str]) -> str:
    """Write the network's audit log (with the page's filters) to a CSV file, reporting progress."""
    entries = audit_entries_filtered(AuditEntry.objects.filter(network_id=network_id), filters)
    total = entries.count()
    progress_update(progress_id, done=0, total=total, message="")
    out_dir = settings.GENERATED_DIR / "exports"
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"audit-{uuid.uuid4().hex}.csv"
    try:
        with open(out_dir / name, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(AUDIT_CSV_COLUMNS)
            for index, entry in enumerate(entries.iterator(chunk_size=1000), start=1):
                writer.writerow(audit_csv_row(entry))
                if index % 500 == 0:
                    progress_update(progress_id, done=index)
    except Exception:
        progress_finish(progress_id, failed=True, message="export failed")
        raise
    progress_finish(progress_id, result_file=f"exports/{name}", message=f"{total}")
    return name


def audit_csv_row(entry: AuditEntry) -> list[str]:
    return [
        entry.created_at.isoformat(),
        entry.actor_label,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.object_repr,
        json.dumps(entry.changes, ensure_ascii=False, sort_keys=True),
        json.dumps(entry.counts, sort_keys=True),
        entry.checksum,
    ]
