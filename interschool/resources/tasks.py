"""Background work of shared resources: requests not decided in time free their slots."""

from __future__ import annotations

from django_tasks import task

from interschool.resources.services.bookings import expire_requests


@task()
def expire_booking_requests() -> int:
    return expire_requests()
