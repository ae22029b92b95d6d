"""Background work through the real database-backed worker: e-mail tasks and a task reporting progress."""

from __future__ import annotations

import csv
import io
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from interschool.core.models import AuditEntry, Notification, Progress, ProgressStatus, Role
from interschool.core.services.notifications import notify

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _run_worker() -> None:
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0, queue_name="*")


@pytest.mark.django_db(transaction=True)
def test_notification_email_goes_through_the_worker(settings):
    # Transactional: the worker closes connections between tasks, which a test wrapped in one
    # transaction would not survive; and on_commit must really fire.
    from django_tasks_db.models import DBTaskResult

    from interschool.core.tests.factories import build_network_world

    settings.TASKS = DB_TASKS
    nw = build_network_world("m")
    user = nw.user(Role.TEACHER)
    notification = notify(user=user, kind="membership", title="Your role changed", network=nw.network)
    assert notification is not None and len(mail.outbox) == 0
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    _run_worker()
    assert [m.subject for m in mail.outbox] == ["Your role changed"]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    # Safe to run twice: a second run of the same task sends nothing more.
    from interschool.core.tasks import send_notification_email

    assert send_notification_email.call(notification.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_export_reports_progress_while_running(settings):
    """A worker thread runs the export while another connection reads its progress, as a page would."""
    from interschool.cli import start_worker_thread
    from interschool.core.tests.factories import build_network_world

    settings.TASKS = DB_TASKS
    nw = build_network_world("p")
    admin = nw.user(Role.ADMIN)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                network=nw.network,
                actor_label="system:test",
                action="probe" if i % 2 else "other",
                object_type="core.organisation",
                object_id=str(i),
            )
            for i in range(1200)
        ]
    )
    client = Client()
    client.force_login(admin)
    response = client.post("/n/p/audit/export/", {"action": "probe"})
    assert response.status_code == 302
    progress = Progress.objects.get()
    assert response["Location"] == f"/progress/{progress.pk}/"
    assert "Waiting" in client.get(response["Location"]).content.decode()
    thread, worker = start_worker_thread(interval=0.05)
    seen = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            progress.refresh_from_db()
            seen.add(progress.status)
            if progress.finished:
                break
            time.sleep(0.02)
    finally:
        worker.running = False
        thread.join(timeout=10)
    assert progress.status == ProgressStatus.DONE, progress.message
    assert progress.total == 600 and progress.percent == 100
    page = client.get(f"/progress/{progress.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "progress-download" in page and "<html" not in page
    download = client.get(f"/progress/{progress.pk}/download/")
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert rows[0][:3] == ["time", "actor", "action"]
    assert len(rows) == 601 and {r[2] for r in rows[1:]} == {"probe"}


def test_digest_gathers_notifications_once(world, settings):
    from interschool.core.services.notifications import notification_preferences_set
    from interschool.core.tasks import send_daily_digests

    user = world.a.user(Role.COORDINATOR)
    notification_preferences_set(user=user, kind="membership", in_app=True, email=False, digest=True)
    for i in range(3):
        notify(user=user, kind="membership", title=f"Change {i}")
    assert len(mail.outbox) == 0
    assert send_daily_digests.call() == 1
    assert len(mail.outbox) == 1 and "3" in mail.outbox[0].subject
    assert all(f"Change {i}" in mail.outbox[0].body for i in range(3))
    assert send_daily_digests.call() == 0
    assert Notification.objects.filter(user=user, digested_at__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_worker_command_runs_queued_tasks_and_digests_can_be_queued(settings, capsys):
    from django_tasks_db.models import DBTaskResult

    from interschool.cli import main
    from interschool.core.services.notifications import notification_preferences_set
    from interschool.core.tests.factories import build_network_world

    settings.TASKS = DB_TASKS
    nw = build_network_world("w")
    user = nw.user(Role.RESEARCHER)
    notification_preferences_set(user=user, kind="system", in_app=True, email=False, digest=True)
    notify(user=user, kind="system", title="Maintenance tonight")
    call_command("send_digests")
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    assert main(["worker", "--batch"]) == 0
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert [m.to for m in mail.outbox] == [[user.email]] and "Maintenance tonight" in mail.outbox[0].body
