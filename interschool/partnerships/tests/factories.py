"""Test data for partnerships: a second school with its own leader and teacher, and ready proposals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interschool.core.models import Membership, Organisation, OrganisationKind, Role, User
from interschool.core.tests.factories import MembershipFactory, NetworkWorld, OrganisationFactory, UserFactory
from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import Partnership
from interschool.partnerships.services.partnerships import MemberSpec, Proposal, partnership_propose


@dataclass
class PartnershipWorld:
    """Network A of ``world`` plus a second school (``school_b``) with a leader and a teacher.

    ``world.a.school`` (leader ``world.a.user("school_leader")``) and ``school_b`` (leader
    ``leader_b``) are the member schools; the museum ``world.a.partner`` is the external partner;
    ``outsider_leader`` leads a third school of the same network that is not a member.
    """

    nw: NetworkWorld
    school_b: Organisation
    leader_b: User
    teacher_b: User
    outsider_school: Organisation
    outsider_leader: User

    @property
    def leader_a(self) -> User:
        return self.nw.user(Role.SCHOOL_LEADER)


def _member(nw: NetworkWorld, organisation: Organisation, role: str, email: str) -> User:
    user = UserFactory(email=email, full_name=email.split("@")[0].replace(".", " ").title())
    MembershipFactory(user=user, network=nw.network, role=role, organisation=organisation)
    return user


def build_partnership_world(nw: NetworkWorld) -> PartnershipWorld:
    school_b = OrganisationFactory(network=nw.network, kind=OrganisationKind.SCHOOL, name="Second School")
    outsider = OrganisationFactory(network=nw.network, kind=OrganisationKind.SCHOOL, name="Outsider School")
    return PartnershipWorld(
        nw=nw,
        school_b=school_b,
        leader_b=_member(nw, school_b, Role.SCHOOL_LEADER, f"leader.b@{nw.network.slug}.example.org"),
        teacher_b=_member(nw, school_b, Role.TEACHER, f"teacher.b@{nw.network.slug}.example.org"),
        outsider_school=outsider,
        outsider_leader=_member(
            nw, outsider, Role.SCHOOL_LEADER, f"leader.out@{nw.network.slug}.example.org"
        ),
    )


def proposal_for(
    pw: PartnershipWorld, *, name: str = "Reading together", with_partner: bool = True, **extra: Any
) -> Proposal:
    members = [
        MemberSpec(pw.nw.school, v.MemberRole.LEAD, v.ActorRole.INITIATOR, commitment_time="2 hours a week"),
        MemberSpec(
            pw.school_b, v.MemberRole.SUPPORTED, v.ActorRole.EXECUTOR, commitment_staff="Two teachers"
        ),
    ]
    if with_partner:
        members.append(
            MemberSpec(
                pw.nw.partner,
                v.MemberRole.EXTERNAL_PARTNER,
                v.ActorRole.SUPPORTER,
                commitment_resources="Exhibits",
            )
        )
    return Proposal(
        name=name,
        members=members,
        model=v.Model.HIGH_LOW_FEDERATION,
        motives=[v.Motive.STUDENTS, v.Motive.TEACHING_QUALITY],
        lead_body=v.LeadBody.SCHOOLS,
        initiative=v.Initiative.VOLUNTARY,
        duration=v.Duration.ONGOING,
        geography=v.Geography.SAME_LOCALITY,
        mode=v.Mode.BLENDED,
        summary="Two schools read together.",
        extra=extra,
    )


def propose(pw: PartnershipWorld, **kwargs: Any) -> Partnership:
    return partnership_propose(actor=pw.leader_a, network=pw.nw.network, proposal=proposal_for(pw, **kwargs))


def membership_of(user: User) -> Membership:
    return Membership.objects.get(user=user)
