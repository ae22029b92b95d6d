"""Background work of matching: a run reads the registry, matches and stores its result."""

from __future__ import annotations

from django_tasks import task

from interschool.matching.models import MatchingRun
from interschool.matching.services import run_execute


@task()
def execute_run(run_id: int) -> str:
    run = MatchingRun.objects.select_related("network").filter(pk=run_id).first()
    if run is None:
        return "missing"
    return str(run_execute(run).status)
