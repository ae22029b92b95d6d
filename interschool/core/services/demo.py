"""The demo network: a synthetic region of 200 schools, a few partners and one login per role."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext

from interschool.core.models import Membership, Network, Organisation, OrganisationKind, Role, User
from interschool.core.notification_kinds import SYSTEM
from interschool.core.services.networks import member_add, network_create, organisation_create, user_create
from interschool.core.services.notifications import notify
from interschool.synthetic.region import write_region_csv

DEMO_SLUG = "demo"
DEMO_SCHOOLS = 200
DEMO_SEED = 2024
DEMO_YEARS = 6
ACTOR = "demo"

PARTNERS = (
    (OrganisationKind.AUTHORITY, "Demo Region Education Authority", "AUTH-1", ["assessment", "leadership"]),
    (OrganisationKind.UNIVERSITY, "Riverside University", "UNI-1", ["teaching", "careers"]),
    (OrganisationKind.COLLEGE, "Northgate Technical College", "COL-1", ["teaching", "careers"]),
    (OrganisationKind.MUSEUM, "Museum of Science and Industry", "MUS-1", ["curriculum", "environment"]),
    (OrganisationKind.LIBRARY, "Central Public Library", "LIB-1", ["motivation", "community"]),
    (OrganisationKind.BUSINESS, "Brightworks Engineering Ltd", "BUS-1", ["resources", "careers"]),
    (OrganisationKind.NGO, "Reading Together Foundation", "NGO-1", ["motivation", "community", "social"]),
)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


def demo_logins() -> list[DemoLogin]:
    return [
        DemoLogin(
            role, f"{role.replace('_', '-')}@demo.interschool.test", f"demo-{role.replace('_', '-')}-2026"
        )
        for role in Role.values
    ]


@transaction.atomic
def demo_reset() -> None:
    network = Network.objects.filter(slug=DEMO_SLUG).first()
    if network is not None:
        # Partnerships protect their member organisations, so they go first (imported here, see below).
        from interschool.partnerships.demo import demo_partnerships_delete

        demo_partnerships_delete(network)
        network.delete()
    User.objects.filter(email__in=[login.email for login in demo_logins()]).delete()


@transaction.atomic
def demo_ensure() -> tuple[Network, list[DemoLogin], bool]:
    """Create the demo network if missing and make sure the demo logins work.

    Returns the network, the logins and whether the network was created now.
    """
    network = Network.objects.filter(slug=DEMO_SLUG).first()
    created = network is None
    if network is None:
        network = network_create(
            actor=ACTOR,
            name="Demo Region Network",
            slug=DEMO_SLUG,
            country="GB",
            default_language="en",
            time_zone="Europe/London",
        )
        _load_schools(network)
        for kind, name, code, offers in PARTNERS:
            partner = organisation_create(actor=ACTOR, network=network, kind=kind, name=name, code=code)
            Organisation.objects.filter(pk=partner.pk).update(offers=offers)
    logins = demo_logins()
    schools = list(
        Organisation.objects.filter(network=network, kind=OrganisationKind.SCHOOL).order_by("code")[:2]
    )
    home_of = {
        Role.ADMIN: Organisation.objects.filter(network=network, code="AUTH-1").first(),
        Role.SCHOOL_LEADER: schools[0] if schools else None,
        Role.TEACHER: schools[1] if len(schools) > 1 else None,
        Role.EXTERNAL_PARTNER: Organisation.objects.filter(network=network, code="UNI-1").first(),
    }
    for login in logins:
        user = User.objects.filter(email=login.email).first()
        if user is None:
            user = user_create(
                actor=ACTOR, email=login.email, password=None, full_name=f"Demo {Role(login.role).label}"
            )
        # Demo passwords are known on purpose; they skip the strength rules that protect real accounts.
        user.set_password(login.password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        membership = Membership.objects.filter(user=user, network=network).first()
        if membership is None or not membership.is_active:
            member_add(
                actor=ACTOR,
                network=network,
                user=user,
                role=login.role,
                organisation=home_of.get(Role(login.role)),
            )
            notify(
                user=user,
                kind=SYSTEM.code,
                network=network,
                title=lambda: _welcome_title(network.name),
                body=lambda: _welcome_body(),
            )
    if created:
        # Imported here so that core does not depend on the partnerships app when it is loaded.
        from interschool.matching.demo import demo_matching
        from interschool.partnerships.demo import demo_partnerships
        from interschool.resources.demo import demo_resources

        demo_partnerships(network)
        demo_matching(network)
        demo_resources(network)
    return network, logins, created


def _welcome_title(name: str) -> str:
    return gettext("Welcome to %(network)s") % {"network": name}


def _welcome_body() -> str:
    return gettext("This is a demo network with synthetic schools. Explore freely.")


def _load_schools(network: Network) -> None:
    """Import the synthetic region through the registry's CSV importer, as a network would."""
    from interschool.registry.importing.mapped import CANONICAL_MAPPING
    from interschool.registry.models import ImportStatus
    from interschool.registry.services.imports import UploadedFile, import_create, import_run

    buffer = io.StringIO()
    write_region_csv(buffer, schools=DEMO_SCHOOLS, years=DEMO_YEARS, seed=DEMO_SEED)
    run = import_create(
        actor=ACTOR,
        network=network,
        format="csv",
        files=[UploadedFile("demo-region.csv", buffer.getvalue().encode())],
        mapping=CANONICAL_MAPPING,
    )
    run = import_run(run, actor=ACTOR)
    if run.status != ImportStatus.COMMITTED:
        raise RuntimeError(f"the demo region did not import: {run.rejections[:3] or run.error}")
