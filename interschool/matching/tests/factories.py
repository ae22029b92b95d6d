"""A small matching network on top of the two-network world: schools a few km apart, organisations, and
the registry's classification, built the same way every time.

Network A's school (``nw.school``, led by the world's school leader) becomes the leader school "Oak".
Besides a main area of schools within 15 km of each other there is

* a remote area 50 km south (leader "fir" with room for one, two supported schools "spruce" and
  "larch" that only it can reach, so one of them is always left out because its partner is full),
* "rowan", a supported school 105 km north that works online (paired online or not at all),
* "yew", a supported school 110 km east that does not work online (no eligible partner),
* "holly", a supported school without coordinates that does not work online,
* "maple", a school without a label for want of data (reason ``not_enough_data``),
* "linden", a school without a label for another reason (it takes no part in vertical matching),
* a university and a museum with offers, a library without coordinates (works online), and the world's
  museum, which offers nothing,
* two that never take part (``outside``): "poplar", a closed leader school next to "oak", and "council",
  an education authority offering teaching.

Every school has a school leader (``leaders``) so that accepting a match notifies someone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from interschool.core.models import (
    Network,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    Phase,
    Role,
    SupportDomain,
    UrbanRural,
    User,
)
from interschool.core.tests.factories import (
    MembershipFactory,
    NetworkWorld,
    OrganisationFactory,
    UserFactory,
    build_network_world,
)
from interschool.registry.models import Classification, ClassificationLabel

LEADER, SUPPORT, NONE = (
    ClassificationLabel.LEADER,
    ClassificationLabel.NEEDS_SUPPORT,
    ClassificationLabel.NONE,
)
T, A, L, M = (
    SupportDomain.TEACHING,
    SupportDomain.ASSESSMENT,
    SupportDomain.LEADERSHIP,
    SupportDomain.MOTIVATION,
)
C, CU, CA = SupportDomain.COMMUNITY, SupportDomain.CURRICULUM, SupportDomain.CAREERS
ENV, SOC = SupportDomain.ENVIRONMENT, SupportDomain.SOCIAL
URBAN, RURAL = UrbanRural.URBAN, UrbanRural.RURAL

NOT_ENOUGH_DATA = [{"code": "not_enough_data", "years": [], "numbers": {}}]
REASONS = {
    LEADER: [{"code": "top_years", "years": [2021, 2022, 2023], "numbers": {"count": 3, "needed": 3}}],
    SUPPORT: [{"code": "bottom_latest", "years": [2023], "numbers": {}}],
    NONE: [{"code": "top_years_insufficient", "years": [2023], "numbers": {"count": 1, "needed": 3}}],
}


@dataclass(frozen=True)
class SchoolSpec:
    key: str
    phase: str
    latitude: float | None
    longitude: float | None
    label: str | None  # None: no classification row at all
    percentile: float | None
    strengths: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    capacity: int | None = None
    online: bool = False
    enrolment: int | None = None
    ses_index: float | None = None
    community: str = ""
    setting: str = ""
    district: str = ""
    reasons: list[dict[str, Any]] | None = None  # None: the label's usual reason


# key, phase, latitude, longitude, label, percentile, strengths, needs, capacity, online,
#     enrolment, socio-economic index, community, setting, district[, reasons]
SCHOOLS: tuple[SchoolSpec, ...] = (
    # the main area: three leaders, four supported schools, two without a label
    SchoolSpec("oak", Phase.SECONDARY, 52.000, -1.000, LEADER, 0.95, (T, L), (), 2, True,
               950, 42.0, "north", URBAN, "Oakham"),
    SchoolSpec("elm", Phase.PRIMARY, 52.030, -0.960, LEADER, 0.90, (A, CA), (M,), 1, False,
               320, 55.0, "south", RURAL, "Leigh"),
    SchoolSpec("ash", Phase.SECONDARY, 52.090, -1.080, LEADER, 0.82, (M, C, T), (), None, True,
               1100, 61.0, "north", URBAN, "Oakham"),
    SchoolSpec("birch", Phase.PRIMARY, 52.010, -0.990, SUPPORT, 0.10, (), (T,), None, False,
               240, 35.0, "north", URBAN, "Oakham"),
    SchoolSpec("cedar", Phase.PRIMARY, 52.020, -1.030, SUPPORT, 0.15, (C,), (L, T), None, False,
               280, 38.0, "south", URBAN, "Leigh"),
    SchoolSpec("hazel", Phase.SECONDARY, 52.050, -1.050, SUPPORT, 0.20, (CA,), (A,), None, False,
               780, 50.0, "south", RURAL, "Leigh"),
    SchoolSpec("willow", Phase.PRIMARY, 52.080, -0.900, SUPPORT, 0.05, (), (CA,), None, True,
               150, 70.0, "", RURAL, ""),
    SchoolSpec("maple", Phase.SPECIAL, 52.040, -1.010, NONE, None, (ENV,), (SOC,), None, False,
               90, 45.0, "north", URBAN, "Oakham", NOT_ENOUGH_DATA),
    SchoolSpec("linden", Phase.MIDDLE, 52.060, -0.970, NONE, 0.50, (T, A), (CU,), None, True,
               500, None, "south", "", "Leigh"),
    # far away: online, not online, without coordinates
    SchoolSpec("rowan", Phase.SECONDARY, 52.950, -1.000, SUPPORT, 0.25, (), (T, M), None, True,
               600, 48.0, "north", RURAL, "Northdale"),
    SchoolSpec("yew", Phase.PRIMARY, 52.000, 0.600, SUPPORT, 0.30, (), (CU,), None, False,
               210, 52.0, "east", RURAL, "Eastmoor"),
    SchoolSpec("holly", Phase.PRIMARY, None, None, SUPPORT, 0.12, (), (T,), None, False,
               200, 40.0, "north", URBAN, "Oakham"),
    # the remote area 50 km south: one leader with room for one, two supported schools
    SchoolSpec("fir", Phase.SECONDARY, 51.550, -1.000, LEADER, 0.88, (T, L), (), 1, False,
               700, 58.0, "south", RURAL, "Southwold"),
    SchoolSpec("spruce", Phase.PRIMARY, 51.560, -1.010, SUPPORT, 0.18, (), (T,), None, False,
               260, 47.0, "south", RURAL, "Southwold"),
    SchoolSpec("larch", Phase.PRIMARY, 51.545, -0.985, SUPPORT, 0.22, (), (L,), None, False,
               230, 53.0, "north", RURAL, "Southwold"),
)  # fmt: skip


@dataclass(frozen=True)
class OrganisationSpec:
    key: str
    kind: str
    latitude: float | None
    longitude: float | None
    offers: tuple[str, ...]
    capacity: int | None


ORGANISATIONS: tuple[OrganisationSpec, ...] = (
    OrganisationSpec("university", OrganisationKind.UNIVERSITY, 52.020, -1.000, (T, L, A), 2),
    OrganisationSpec("museum", OrganisationKind.MUSEUM, 52.060, -1.020, (C, CU, M), 1),
    OrganisationSpec("library", OrganisationKind.LIBRARY, None, None, (CA,), 3),
)


@dataclass
class MatchingWorld:
    nw: NetworkWorld
    schools: dict[str, Organisation] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    leaders: dict[str, User] = field(default_factory=dict)  # school key → its school leader
    outside: dict[str, Organisation] = field(default_factory=dict)  # closed, or of a kind never matched

    @property
    def network(self) -> Network:
        return self.nw.network

    @property
    def admin(self) -> User:
        return self.nw.user(Role.ADMIN)

    def key_of(self, pk: int | str) -> str:
        """The key of an organisation of the world by primary key (as stored or as an engine id)."""
        for key, org in (*self.schools.items(), *self.organisations.items(), *self.outside.items()):
            if org.pk == int(pk):
                return key
        raise KeyError(pk)

    def org(self, key: str) -> Organisation:
        """The school or organisation of the world called ``key``."""
        return self.schools.get(key) or self.organisations.get(key) or self.outside[key]

    def pk(self, key: str) -> int:
        return self.org(key).pk


def build_matching_world(nw: NetworkWorld) -> MatchingWorld:
    """Add the schools, organisations, classification and school leaders of the module docstring to
    ``nw``; its own school becomes "oak" and keeps its members."""
    world = MatchingWorld(nw=nw)
    slug = nw.network.slug
    now = timezone.now()
    for spec in SCHOOLS:
        values = {
            "name": f"{spec.key.title()} {spec.phase.replace('_', ' ').title()} School",
            "phase": spec.phase,
            "latitude": spec.latitude,
            "longitude": spec.longitude,
            "strengths": list(spec.strengths),
            "needs": list(spec.needs),
            "partner_capacity": spec.capacity,
            "accepts_online": spec.online,
            "enrolment": spec.enrolment,
            "ses_index": spec.ses_index,
            "community": spec.community,
            "urban_rural": spec.setting,
            "district": spec.district,
        }
        if spec.key == "oak":
            school = nw.school
            for name, value in values.items():
                setattr(school, name, value)
            school.save()
            world.leaders["oak"] = nw.user(Role.SCHOOL_LEADER)
        else:
            school = OrganisationFactory(
                network=nw.network, kind=OrganisationKind.SCHOOL, code=f"{slug}-{spec.key}", **values
            )
            leader = UserFactory(email=f"leader.{spec.key}@{slug}.example.org")
            MembershipFactory(user=leader, network=nw.network, role=Role.SCHOOL_LEADER, organisation=school)
            world.leaders[spec.key] = leader
        world.schools[spec.key] = school
        if spec.label is not None:
            Classification.objects.create(
                organisation=school,
                network=nw.network,
                label=spec.label,
                percentile=spec.percentile,
                reasons=spec.reasons
                if spec.reasons is not None
                else REASONS[ClassificationLabel(spec.label)],
                computed_at=now,
            )
    for org_spec in ORGANISATIONS:
        world.organisations[org_spec.key] = OrganisationFactory(
            network=nw.network,
            kind=org_spec.kind,
            name=f"{org_spec.key.title()} of {slug.upper()}",
            code=f"{slug}-{org_spec.key}",
            latitude=org_spec.latitude,
            longitude=org_spec.longitude,
            offers=list(org_spec.offers),
            partner_capacity=org_spec.capacity,
        )
    world.organisations["world_museum"] = nw.partner  # offers nothing: never matched
    world.outside["poplar"] = poplar = OrganisationFactory(
        network=nw.network,
        kind=OrganisationKind.SCHOOL,
        name="Poplar Secondary School (closed)",
        code=f"{slug}-poplar",
        status=OrganisationStatus.CLOSED,
        phase=Phase.SECONDARY,
        latitude=52.005,
        longitude=-1.005,
        strengths=[T, L],
        needs=[A],
        partner_capacity=3,
        accepts_online=True,
        enrolment=800,
    )
    Classification.objects.create(
        organisation=poplar,
        network=nw.network,
        label=LEADER,
        percentile=0.99,
        reasons=REASONS[LEADER],
        computed_at=now,
    )
    world.outside["council"] = OrganisationFactory(
        network=nw.network,
        kind=OrganisationKind.AUTHORITY,
        name=f"Council of {slug.upper()}",
        code=f"{slug}-council",
        latitude=52.015,
        longitude=-1.0,
        offers=[T, L, A, CA],
        partner_capacity=5,
    )
    return world


def build_matching_network(slug: str = "m") -> MatchingWorld:
    """A network of its own (with a member of every role) holding the matching world."""
    return build_matching_world(build_network_world(slug))
