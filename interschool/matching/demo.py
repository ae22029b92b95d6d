"""The demo network's finished matching run: leader schools with schools needing support, default
parameters, run by the demo administrator, so the matching pages have a result to show at once."""

from __future__ import annotations

from interschool.core.models import Network, User
from interschool.core.services.demo import ACTOR, demo_logins
from interschool.matching import vocabularies as v
from interschool.matching.models import MatchingRun
from interschool.matching.services import run_create, run_execute


def demo_matching(network: Network) -> MatchingRun | None:
    """Create and execute the demo run once; a network that already has runs is left alone."""
    if MatchingRun.objects.filter(network=network).exists():
        return None
    admin_email = next(login.email for login in demo_logins() if login.role == "admin")
    admin = User.objects.filter(email=admin_email).first()
    run = run_create(
        actor=admin or ACTOR,
        network=network,
        mode=v.RunMode.VERTICAL,
        parameters={},
        note="",
    )
    return run_execute(run)
