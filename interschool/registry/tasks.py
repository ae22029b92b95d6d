"""Background work of the registry: imports and the statistics recomputed after them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django_tasks import task

from interschool.core.models import Network, User
from interschool.core.services.audit import Actor
from interschool.registry.models import Import
from interschool.registry.services.imports import import_run
from interschool.registry.services.statistics import registry_recompute


@task()
def run_import(import_id: int, user_id: int | None = None, dry_run: bool = False) -> str:
    run = Import.objects.select_related("network").filter(pk=import_id).first()
    if run is None:
        return "missing"
    user = User.objects.filter(pk=user_id).first() if user_id else None
    actor: Actor = user if user is not None else "worker"
    try:
        run = import_run(run, actor=actor, dry_run=dry_run)
    except ValidationError:
        return "invalid"
    return str(run.status)


@task()
def recompute_network(network_id: int) -> bool:
    network = Network.objects.filter(pk=network_id).first()
    if network is None:
        return False
    registry_recompute(network=network)
    return True
