"""Queue the daily notification digest; run it once a day (cron, systemd timer, or a scheduler)."""

from typing import Any

from django.core.management.base import BaseCommand

from interschool.core.tasks import send_daily_digests


class Command(BaseCommand):
    help = "Queue the daily digest e-mail for every user who asked for one (a worker sends them)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--now", action="store_true", help="send in this process instead of queueing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            sent = send_daily_digests.call()
            self.stdout.write(f"sent {sent} digests")
        else:
            result = send_daily_digests.enqueue()
            self.stdout.write(f"queued digest task {result.id}")
