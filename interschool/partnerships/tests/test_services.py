"""The lifecycle through the service functions: propose, invite, consent, activate, pause, end."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from interschool.core.models import AuditEntry, Notification, Role
from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import AgreementVersion, Consent
from interschool.partnerships.services import partnerships as svc
from interschool.partnerships.tests.factories import build_partnership_world, proposal_for, propose


@pytest.fixture
def pw(world):
    return build_partnership_world(world.a)


def _members(partnership):
    return {m.organisation_id: m for m in partnership.members.all()}


def test_propose_records_members_size_and_audit(pw):
    partnership = propose(pw)
    assert partnership.state == v.State.PROPOSED
    assert partnership.size == v.Size.PAIR  # two schools; the museum does not count
    assert partnership.members.count() == 3
    assert AuditEntry.objects.filter(object_type="partnerships.partnership", action="create").exists()


def test_size_follows_members(pw):
    partnership = propose(pw, with_partner=False)
    svc.member_add(
        actor=pw.leader_a,
        partnership=partnership,
        spec=svc.MemberSpec(pw.outsider_school, v.MemberRole.PARTNER, v.ActorRole.EXECUTOR),
    )
    partnership.refresh_from_db()
    assert partnership.size == v.Size.TRIAD


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"motives": []}, "motives"),
        ({"motives": ["policy", "nonsense"]}, "motives"),
        ({"model": "nonsense"}, "model"),
        ({"duration": v.Duration.FIXED_TERM}, "ends_on"),
        ({"review_dates": ["2026-13-01"]}, "review_dates"),
    ],
)
def test_bad_typology_names_the_field(pw, change, field):
    proposal = proposal_for(pw)
    for name, value in change.items():
        if hasattr(proposal, name):
            setattr(proposal, name, value)
        else:
            proposal.extra[name] = value
    with pytest.raises(ValidationError) as caught:
        svc.partnership_propose(actor=pw.leader_a, network=pw.nw.network, proposal=proposal)
    assert field in caught.value.message_dict
    assert not pw.nw.network.partnerships.exists()


def test_leader_proposes_only_with_own_school(pw):
    with pytest.raises(ValidationError) as caught:
        svc.partnership_propose(actor=pw.outsider_leader, network=pw.nw.network, proposal=proposal_for(pw))
    assert "members" in caught.value.message_dict


def test_external_partner_role_only_for_non_schools(pw):
    proposal = proposal_for(pw)
    proposal.members = [
        svc.MemberSpec(pw.nw.school, v.MemberRole.EXTERNAL_PARTNER, v.ActorRole.INITIATOR),
        svc.MemberSpec(pw.school_b, v.MemberRole.PARTNER, v.ActorRole.EXECUTOR),
    ]
    with pytest.raises(ValidationError) as caught:
        svc.partnership_propose(actor=pw.leader_a, network=pw.nw.network, proposal=proposal)
    assert "role" in caught.value.message_dict


def test_invite_asks_every_member_school_and_notifies_leaders(pw):
    partnership = propose(pw)
    version = svc.partnership_invite(actor=pw.leader_a, partnership=partnership)
    partnership.refresh_from_db()
    assert partnership.state == v.State.INVITED
    assert version.number == 1 and partnership.consent_version == 1
    consents = Consent.objects.filter(partnership=partnership)
    assert {c.member.organisation_id for c in consents} == {pw.nw.school.pk, pw.school_b.pk}
    assert Notification.objects.filter(user=pw.leader_b, kind="partnership_consent").count() == 1
    assert Notification.objects.filter(user=pw.leader_a, kind="partnership_consent").count() == 1


def test_active_only_after_every_consent(pw):
    partnership = propose(pw)
    svc.partnership_invite(actor=pw.leader_a, partnership=partnership)
    members = _members(partnership)
    svc.consent_decide(
        actor=pw.leader_a, partnership=partnership, member=members[pw.nw.school.pk], decision="accepted"
    )
    partnership.refresh_from_db()
    assert partnership.state == v.State.INVITED
    with pytest.raises(ValidationError):
        svc.partnership_transition(actor=pw.nw.user(Role.ADMIN), partnership=partnership, to=v.State.ACTIVE)
    partnership.refresh_from_db()
    assert partnership.state == v.State.INVITED
    svc.consent_decide(
        actor=pw.leader_b, partnership=partnership, member=members[pw.school_b.pk], decision="accepted"
    )
    partnership.refresh_from_db()
    assert partnership.state == v.State.ACTIVE and partnership.activated_on is not None
    signed = AgreementVersion.objects.get(partnership=partnership, number=2)
    assert signed.with_consents
    assert {c["member"] for c in signed.content["consents"]} == {pw.nw.school.name, pw.school_b.name}
    assert all(c["decision"] == "accepted" for c in signed.content["consents"])


def test_decline_is_recorded_and_the_proposer_sees_why(pw):
    partnership = propose(pw)
    svc.partnership_invite(actor=pw.leader_a, partnership=partnership)
    member = _members(partnership)[pw.school_b.pk]
    with pytest.raises(ValidationError) as caught:
        svc.consent_decide(actor=pw.leader_b, partnership=partnership, member=member, decision="declined")
    assert "comment" in caught.value.message_dict
    svc.consent_decide(
        actor=pw.leader_b,
        partnership=partnership,
        member=member,
        decision="declined",
        comment="Not this year.",
    )
    partnership.refresh_from_db()
    assert partnership.state == v.State.INVITED
    note = Notification.objects.get(user=pw.leader_a, kind="partnership_change")
    assert note.body == "Not this year."


def test_a_new_version_asks_again(pw):
    partnership = propose(pw)
    svc.partnership_invite(actor=pw.leader_a, partnership=partnership)
    members = _members(partnership)
    svc.consent_decide(
        actor=pw.leader_a, partnership=partnership, member=members[pw.nw.school.pk], decision="accepted"
    )
    svc.partnership_update(actor=pw.leader_a, partnership=partnership, values={"summary": "Changed"})
    svc.partnership_invite(actor=pw.leader_a, partnership=partnership)
    partnership.refresh_from_db()
    assert partnership.consent_version == 2
    svc.consent_decide(
        actor=pw.leader_b, partnership=partnership, member=members[pw.school_b.pk], decision="accepted"
    )
    partnership.refresh_from_db()
    assert partnership.state == v.State.INVITED  # school A's acceptance was for version 1


def test_invite_needs_a_leader_for_every_school(pw):
    partnership = propose(pw)
    pw.leader_b.memberships.update(is_active=False)
    with pytest.raises(ValidationError) as caught:
        svc.partnership_invite(actor=pw.leader_a, partnership=partnership)
    assert pw.school_b.name in str(caught.value)
    partnership.refresh_from_db()
    assert partnership.state == v.State.PROPOSED and not partnership.agreement_versions.exists()


def test_pause_resume_end(pw):
    partnership = propose(pw)
    svc.partnership_invite(actor=pw.leader_a, partnership=partnership)
    for organisation_id, member in _members(partnership).items():
        leader = pw.leader_a if organisation_id == pw.nw.school.pk else pw.leader_b
        if member.organisation.kind == "school":
            svc.consent_decide(actor=leader, partnership=partnership, member=member, decision="accepted")
    with pytest.raises(ValidationError) as caught:
        svc.partnership_transition(actor=pw.leader_a, partnership=partnership, to=v.State.PAUSED)
    assert "note" in caught.value.message_dict
    svc.partnership_transition(actor=pw.leader_a, partnership=partnership, to=v.State.PAUSED, note="Exams")
    svc.partnership_transition(actor=pw.leader_a, partnership=partnership, to=v.State.ACTIVE)
    svc.partnership_transition(actor=pw.leader_a, partnership=partnership, to=v.State.ENDED, note="Done")
    partnership.refresh_from_db()
    assert partnership.state == v.State.ENDED and partnership.ended_on and partnership.paused_on
    with pytest.raises(ValidationError):
        svc.partnership_transition(actor=pw.leader_a, partnership=partnership, to=v.State.ACTIVE)
    with pytest.raises(ValidationError):
        svc.partnership_update(actor=pw.leader_a, partnership=partnership, values={"name": "x"})
    actions = list(
        AuditEntry.objects.filter(object_id=str(partnership.pk), action="state")
        .order_by("pk")
        .values_list("changes", flat=True)
    )
    assert [c["state"] for c in actions] == [["active", "paused"], ["paused", "active"], ["active", "ended"]]


def test_a_network_coordinator_can_be_named_and_then_edits(pw):
    from interschool.partnerships import access

    partnership = propose(pw)
    coordinator = pw.nw.members[Role.COORDINATOR]  # belongs to no organisation
    assert access.access_of(coordinator, partnership).level == access.Level.SUMMARY
    member = partnership.members.first()
    svc.person_add(actor=pw.leader_a, member=member, user=coordinator.user, role=v.PersonRole.COORDINATOR)
    assert access.access_of(coordinator, partnership).level == access.Level.EDIT
    # A teacher of a school that is not a member cannot be named.
    with pytest.raises(ValidationError) as caught:
        svc.person_add(actor=pw.leader_a, member=member, user=pw.outsider_leader, role=v.PersonRole.CONTACT)
    assert "user" in caught.value.message_dict


def test_the_proposer_edits_what_they_proposed(pw):
    from interschool.partnerships import access
    from interschool.partnerships.services.partnerships import partnership_propose

    coordinator = pw.nw.members[Role.COORDINATOR]
    partnership = partnership_propose(
        actor=coordinator.user, network=pw.nw.network, proposal=proposal_for(pw)
    )
    assert access.access_of(coordinator, partnership).level == access.Level.EDIT
    assert access.levels_of(coordinator, [partnership.pk])[partnership.pk] == access.Level.EDIT
