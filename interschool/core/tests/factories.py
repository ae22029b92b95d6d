"""factory-boy factories and a two-network world with a member of every role in each."""

from __future__ import annotations

from dataclasses import dataclass, field

import factory

from interschool.core.models import Membership, Network, Organisation, OrganisationKind, Role, User

PASSWORD = "correct-horse-battery-42"


class NetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Network

    name = factory.Sequence(lambda n: f"Network {n}")
    slug = factory.Sequence(lambda n: f"network-{n}")
    country = "GB"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    network = factory.SubFactory(NetworkFactory)
    kind = OrganisationKind.SCHOOL
    name = factory.Sequence(lambda n: f"School {n}")
    code = factory.Sequence(lambda n: f"S{n:05d}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    network = factory.SubFactory(NetworkFactory)
    role = Role.TEACHER


ORGANISATION_OF_ROLE = {
    Role.SCHOOL_LEADER: "school",
    Role.TEACHER: "school",
    Role.EXTERNAL_PARTNER: "partner",
    Role.ADMIN: None,
    Role.COORDINATOR: None,
    Role.RESEARCHER: None,
}


@dataclass
class NetworkWorld:
    network: Network
    school: Organisation
    partner: Organisation
    members: dict[str, Membership] = field(default_factory=dict)

    def user(self, role: str) -> User:
        return self.members[role].user


@dataclass
class World:
    a: NetworkWorld
    b: NetworkWorld


def build_network_world(slug: str) -> NetworkWorld:
    network = NetworkFactory(slug=slug, name=f"Network {slug.upper()}")
    school = OrganisationFactory(network=network, kind=OrganisationKind.SCHOOL, name=f"{slug} School")
    partner = OrganisationFactory(network=network, kind=OrganisationKind.MUSEUM, name=f"{slug} Museum")
    nw = NetworkWorld(network=network, school=school, partner=partner)
    for role in Role.values:
        org = {"school": school, "partner": partner, None: None}[ORGANISATION_OF_ROLE[Role(role)]]
        user = UserFactory(email=f"{role}@{slug}.example.org")
        nw.members[role] = MembershipFactory(user=user, network=network, role=role, organisation=org)
    return nw


def build_world() -> World:
    return World(a=build_network_world("a"), b=build_network_world("b"))
