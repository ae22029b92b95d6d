"""Progress records for background work: written by the task, read by any request while it runs."""

from __future__ import annotations

import uuid

from django.db.models import F

from interschool.core.models import Network, Progress, ProgressStatus, User


def progress_start(
    *, kind: str, network: Network | None = None, user: User | None = None, total: int = 0, message: str = ""
) -> Progress:
    return Progress.objects.create(kind=kind, network=network, user=user, total=total, message=message)


def progress_update(
    progress_id: uuid.UUID | str,
    *,
    done: int | None = None,
    total: int | None = None,
    message: str | None = None,
    advance: int = 0,
) -> None:
    """Update in place with one UPDATE, outside any surrounding transaction's row locks."""
    fields: dict[str, object] = {"status": ProgressStatus.RUNNING}
    if done is not None:
        fields["done"] = done
    elif advance:
        fields["done"] = F("done") + advance
    if total is not None:
        fields["total"] = total
    if message is not None:
        fields["message"] = message[:255]
    Progress.objects.filter(pk=progress_id).update(**fields)


def progress_finish(
    progress_id: uuid.UUID | str, *, message: str = "", result_file: str = "", failed: bool = False
) -> None:
    Progress.objects.filter(pk=progress_id).update(
        status=ProgressStatus.FAILED if failed else ProgressStatus.DONE,
        message=message[:255],
        result_file=result_file,
    )
