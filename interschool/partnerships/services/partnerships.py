"""Writes of a partnership's life: propose, change, members and people, invite, consent, pause, end.

Every function runs in one transaction, validates before it writes (``ValidationError`` naming the
field) and writes an audit entry. Notifications go through the Foundation's ``notify`` (in-app now,
e-mail after commit). A partnership becomes active only inside ``consent_decide``, when every member
school has accepted the version its leaders were asked to consent to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from interschool.core.models import Membership, Network, Organisation, OrganisationKind, Role, User
from interschool.core.services.audit import Actor, actor_label, audit_created, audit_record, save_with_audit
from interschool.core.services.notifications import notify
from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import (
    AgreementVersion,
    Consent,
    Partnership,
    PartnershipMember,
    PartnershipPerson,
)
from interschool.partnerships.notification_kinds import CONSENT_REQUEST, PARTNERSHIP_CHANGE

TYPOLOGY_FIELDS = (
    "model",
    "motives",
    "reasons",
    "lead_body",
    "external_parties",
    "issue_focus",
    "initiative",
    "duration",
    "starts_on",
    "ends_on",
    "geography",
    "mode",
    "governance",
    "frequency",
    "follow_up",
    "entry_unit",
)
EDITABLE_FIELDS = ("name", "summary", "review_dates", *TYPOLOGY_FIELDS)
MEMBER_FIELDS = (
    "role",
    "actor_role",
    "engagement",
    "commitment_time",
    "commitment_staff",
    "commitment_resources",
)
# Members and people change only before the partnership is under way; afterwards a new partnership
# (or a new version of the agreement, while invited) records the change.
MEMBERS_CHANGE_IN = frozenset({v.State.PROPOSED, v.State.INVITED})


@dataclass(frozen=True)
class MemberSpec:
    organisation: Organisation
    role: str
    actor_role: str
    engagement: str = v.Engagement.ACTIVE
    commitment_time: str = ""
    commitment_staff: str = ""
    commitment_resources: str = ""

    def values(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in MEMBER_FIELDS}


@dataclass
class Proposal:
    """Everything a proposal needs: the name, the typology and at least two members."""

    name: str
    members: Sequence[MemberSpec]
    model: str
    motives: list[str]
    lead_body: str
    initiative: str
    duration: str
    geography: str
    mode: str
    summary: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # the optional typology fields and review dates


def _today() -> dt.date:
    return timezone.localdate()


def _validate_partnership(partnership: Partnership) -> None:
    partnership.full_clean(exclude=["network", "proposed_by", "approved_by"])
    for value in partnership.review_dates:
        try:
            dt.date.fromisoformat(value)
        except ValueError as error:
            raise ValidationError(
                {"review_dates": _("%(value)s is not a date (YYYY-MM-DD).") % {"value": value}}
            ) from error


def _validate_member(member: PartnershipMember) -> None:
    member.full_clean(exclude=["partnership", "organisation"])
    external = member.organisation.kind != OrganisationKind.SCHOOL
    if external != (member.role == v.MemberRole.EXTERNAL_PARTNER):
        raise ValidationError(
            {
                "role": _("%(name)s: only organisations that are not schools take the external partner role.")
                % {"name": member.organisation.name}
            }
        )


def _refresh_size(partnership: Partnership) -> None:
    schools = partnership.members.filter(organisation__kind=OrganisationKind.SCHOOL).count()
    size = v.size_of(schools)
    if partnership.size != size:
        Partnership.objects.filter(pk=partnership.pk).update(size=size)
        partnership.size = size


def leaders_of(organisation: Organisation) -> list[User]:
    """The active school leaders of ``organisation`` in its network: the people who consent for it."""
    return [
        m.user
        for m in Membership.objects.filter(
            network_id=organisation.network_id,
            organisation=organisation,
            role=Role.SCHOOL_LEADER,
            is_active=True,
            user__is_active=True,
        ).select_related("user")
    ]


def _check_proposer(actor: Actor, network: Network, organisations: Iterable[Organisation]) -> None:
    """A school leader proposes partnerships that include their own school."""
    if not isinstance(actor, User):
        return
    membership = Membership.objects.filter(user=actor, network=network, is_active=True).first()
    if membership is None or membership.role not in (Role.ADMIN, Role.COORDINATOR, Role.SCHOOL_LEADER):
        raise ValidationError(_("Only administrators, coordinators and school leaders propose partnerships."))
    if membership.role == Role.SCHOOL_LEADER and membership.organisation_id not in {
        o.pk for o in organisations
    }:
        raise ValidationError(
            {"members": _("A school leader proposes partnerships that include their own school.")}
        )


@transaction.atomic
def partnership_propose(*, actor: Actor, network: Network, proposal: Proposal) -> Partnership:
    """Create a partnership in the proposed state with its members (used by the pages, API and matching)."""
    organisations = [spec.organisation for spec in proposal.members]
    if len(organisations) < 2:
        raise ValidationError({"members": _("A partnership needs at least two members.")})
    if len({o.pk for o in organisations}) != len(organisations):
        raise ValidationError({"members": _("An organisation is listed twice.")})
    if not any(o.kind == OrganisationKind.SCHOOL for o in organisations):
        raise ValidationError({"members": _("A partnership needs at least one school.")})
    foreign = [o.name for o in organisations if o.network_id != network.pk]
    if foreign:
        raise ValidationError(
            {"members": _("Not in this network: %(names)s.") % {"names": ", ".join(foreign)}}
        )
    _check_proposer(actor, network, organisations)
    unknown = set(proposal.extra) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    partnership = Partnership(
        network=network,
        name=proposal.name.strip(),
        summary=proposal.summary.strip(),
        proposed_by=actor if isinstance(actor, User) else None,
        proposed_on=_today(),
        model=proposal.model,
        motives=list(proposal.motives),
        lead_body=proposal.lead_body,
        initiative=proposal.initiative,
        duration=proposal.duration,
        geography=proposal.geography,
        mode=proposal.mode,
        **proposal.extra,
    )
    _validate_partnership(partnership)
    partnership.save()
    for spec in proposal.members:
        member = PartnershipMember(partnership=partnership, organisation=spec.organisation, **spec.values())
        _validate_member(member)
        member.save()
    _refresh_size(partnership)
    audit_created(actor=actor, network=network, obj=partnership, fields=("name", "state", *TYPOLOGY_FIELDS))
    audit_record(
        actor=actor,
        network=network,
        action="members",
        obj=partnership,
        changes={"members": [[], sorted(o.pk for o in organisations)]},
    )
    return partnership


@transaction.atomic
def partnership_update(
    *, actor: Actor, partnership: Partnership, values: Mapping[str, Any]
) -> dict[str, list[Any]]:
    if partnership.state == v.State.ENDED:
        raise ValidationError(_("An ended partnership cannot be changed."))
    return save_with_audit(
        actor=actor,
        network=partnership.network,
        instance=partnership,
        tracked=EDITABLE_FIELDS,
        values=values,
        validate=lambda: _validate_partnership(partnership),
    )


def _require_members_open(partnership: Partnership) -> None:
    if partnership.state not in MEMBERS_CHANGE_IN:
        raise ValidationError(_("Members change only while the partnership is proposed or invited."))


@transaction.atomic
def member_add(*, actor: Actor, partnership: Partnership, spec: MemberSpec) -> PartnershipMember:
    _require_members_open(partnership)
    if spec.organisation.network_id != partnership.network_id:
        raise ValidationError({"organisation": _("The organisation is not in this network.")})
    if partnership.members.filter(organisation=spec.organisation).exists():
        raise ValidationError(
            {"organisation": _("%(name)s is already a member.") % {"name": spec.organisation.name}}
        )
    member = PartnershipMember(partnership=partnership, organisation=spec.organisation, **spec.values())
    _validate_member(member)
    member.save()
    _refresh_size(partnership)
    audit_created(
        actor=actor, network=partnership.network, obj=member, fields=("organisation", *MEMBER_FIELDS)
    )
    return member


@transaction.atomic
def member_update(
    *, actor: Actor, member: PartnershipMember, values: Mapping[str, Any]
) -> dict[str, list[Any]]:
    partnership = member.partnership
    if partnership.state == v.State.ENDED:
        raise ValidationError(_("An ended partnership cannot be changed."))
    return save_with_audit(
        actor=actor,
        network=partnership.network,
        instance=member,
        tracked=MEMBER_FIELDS,
        values=values,
        validate=lambda: _validate_member(member),
    )


@transaction.atomic
def member_remove(*, actor: Actor, member: PartnershipMember) -> None:
    partnership = member.partnership
    _require_members_open(partnership)
    if partnership.members.count() <= 2:
        raise ValidationError(_("A partnership needs at least two members."))
    if (
        member.organisation.kind == OrganisationKind.SCHOOL
        and not partnership.members.filter(organisation__kind=OrganisationKind.SCHOOL)
        .exclude(pk=member.pk)
        .exists()
    ):
        raise ValidationError(_("A partnership needs at least one school."))
    audit_record(actor=actor, network=partnership.network, action="delete", obj=member)
    member.delete()
    _refresh_size(partnership)


@transaction.atomic
def person_add(*, actor: Actor, member: PartnershipMember, user: User, role: str) -> PartnershipPerson:
    """Name a person of ``member`` (or a network coordinator, who belongs to no organisation) in a role."""
    partnership = member.partnership
    if partnership.state == v.State.ENDED:
        raise ValidationError(_("An ended partnership cannot be changed."))
    memberships = Membership.objects.filter(user=user, network_id=partnership.network_id, is_active=True)
    network_coordinator = memberships.filter(role=Role.COORDINATOR, organisation__isnull=True).exists()
    if not (network_coordinator or memberships.filter(organisation=member.organisation).exists()):
        raise ValidationError(
            {
                "user": _("%(user)s does not belong to %(name)s.")
                % {"user": user, "name": member.organisation.name}
            }
        )
    person = PartnershipPerson(partnership=partnership, member=member, user=user, role=role)
    person.full_clean(exclude=["partnership", "member", "user"])
    if PartnershipPerson.objects.filter(partnership=partnership, user=user, role=role).exists():
        raise ValidationError({"user": _("%(user)s already has this role.") % {"user": user}})
    person.save()
    audit_created(actor=actor, network=partnership.network, obj=person, fields=("user", "role", "member"))
    return person


@transaction.atomic
def person_remove(*, actor: Actor, person: PartnershipPerson) -> None:
    audit_record(actor=actor, network=person.partnership.network, action="delete", obj=person)
    person.delete()


# --- the agreement's content, frozen per version ---------------------------------------------------


def agreement_content(partnership: Partnership) -> dict[str, Any]:
    """The agreement's content as codes and names (labels are translated when a version is rendered)."""
    members = list(partnership.members.select_related("organisation").order_by("pk"))
    people = partnership.people.select_related("user", "member").order_by("role", "pk")
    goals = partnership.goals.prefetch_related(
        "activities__owner__organisation", "indicators__indicator"
    ).all()
    return {
        "name": partnership.name,
        "summary": partnership.summary,
        "network": partnership.network.name,
        "proposed_on": partnership.proposed_on.isoformat(),
        "proposed_by": partnership.proposed_by.full_name if partnership.proposed_by else "",
        "approved_on": partnership.approved_on.isoformat() if partnership.approved_on else "",
        "typology": {name: _plain(getattr(partnership, name)) for name in TYPOLOGY_FIELDS},
        "size": partnership.size,
        "review_dates": list(partnership.review_dates),
        "members": [
            {
                "id": m.pk,
                "organisation_id": m.organisation_id,
                "name": m.organisation.name,
                "kind": m.organisation.kind,
                **{name: getattr(m, name) for name in MEMBER_FIELDS},
            }
            for m in members
        ],
        "people": [
            {"name": p.user.full_name or p.user.email, "role": p.role, "member_id": p.member_id}
            for p in people
        ],
        "goals": [
            {
                "title": g.title,
                "description": g.description,
                "motive": g.motive,
                "horizon": g.horizon,
                "aim": g.aim,
                "activities": [
                    {
                        "title": a.title,
                        "kind": a.kind,
                        "starts_on": a.starts_on.isoformat(),
                        "ends_on": a.ends_on.isoformat() if a.ends_on else "",
                        "owner": a.owner.organisation.name if a.owner else "",
                        "status": a.status,
                    }
                    for a in g.activities.all()
                ],
                "indicators": [
                    {
                        "indicator": i.indicator.name,
                        "baseline": i.baseline,
                        "baseline_year": i.baseline_year,
                        "target": i.target,
                        "target_year": i.target_year,
                    }
                    for i in g.indicators.all()
                ],
            }
            for g in goals
        ],
    }


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def consent_record(partnership: Partnership, version: int) -> list[dict[str, Any]]:
    consents = partnership.consents.filter(version=version).select_related("member__organisation")
    return [
        {
            "member": c.member.organisation.name,
            "decision": c.decision,
            "decided_by": c.decided_by_name,
            "decided_at": c.decided_at.isoformat() if c.decided_at else "",
            "comment": c.comment,
        }
        for c in consents
    ]


def _new_version(actor: Actor, partnership: Partnership, *, with_consents: bool) -> AgreementVersion:
    last = partnership.agreement_versions.order_by("-number").first()
    content = agreement_content(partnership)
    if with_consents:
        content["consent_version"] = partnership.consent_version
        content["consents"] = consent_record(partnership, partnership.consent_version)
    return AgreementVersion.objects.create(
        partnership=partnership,
        number=(last.number + 1) if last else 1,
        content=content,
        with_consents=with_consents,
        created_by_name=actor.full_name or actor.email if isinstance(actor, User) else actor_label(actor),
    )


# --- invitation, consent and the states ---------------------------------------------------------------


def _url(partnership: Partnership) -> str:
    return reverse("partnership_detail", args=[partnership.network.slug, partnership.pk])


def _lock(partnership: Partnership) -> Partnership:
    """Re-read the partnership row under a lock (PostgreSQL) so that two consents cannot race."""
    locked = Partnership.objects.select_for_update().select_related("network").get(pk=partnership.pk)
    partnership.state = locked.state
    partnership.consent_version = locked.consent_version
    return locked


@transaction.atomic
def partnership_invite(*, actor: Actor, partnership: Partnership) -> AgreementVersion:
    """Freeze the agreement as a new version and ask every member school's leaders to consent to it.

    Inviting again while invited issues a new version: consents to the earlier one no longer count.
    """
    partnership = _lock(partnership)
    if v.State.INVITED not in v.TRANSITIONS[partnership.state]:
        raise ValidationError(
            _("A partnership that is %(state)s cannot be sent for consent.")
            % {"state": partnership.get_state_display()}
        )
    schools = list(
        partnership.members.filter(organisation__kind=OrganisationKind.SCHOOL).select_related("organisation")
    )
    leaders = {m.pk: leaders_of(m.organisation) for m in schools}
    without = [m.organisation.name for m in schools if not leaders[m.pk]]
    if without:
        raise ValidationError(
            _("No school leader in the network can consent for: %(names)s.") % {"names": ", ".join(without)}
        )
    version = _new_version(actor, partnership, with_consents=False)
    before = {"state": partnership.state, "consent_version": partnership.consent_version}
    partnership.state = v.State.INVITED
    partnership.invited_on = _today()
    partnership.consent_version = version.number
    partnership.save(update_fields=["state", "invited_on", "consent_version", "updated_at"])
    for member in schools:
        Consent.objects.create(partnership=partnership, member=member, version=version.number)
    audit_record(
        actor=actor,
        network=partnership.network,
        action="invite",
        obj=partnership,
        changes={
            "state": [before["state"], partnership.state],
            "consent_version": [before["consent_version"], version.number],
        },
    )
    name = partnership.name
    for member in schools:
        for leader in leaders[member.pk]:
            notify(
                user=leader,
                kind=CONSENT_REQUEST.code,
                title=lambda: _("Your consent is asked for the partnership %(name)s") % {"name": name},
                body=lambda: (
                    _("Please read version %(number)s of the agreement and accept or decline it.")
                    % {"number": version.number}
                ),
                url=_url(partnership),
                network=partnership.network,
            )
    return version


def pending_consents(partnership: Partnership) -> list[Consent]:
    return list(
        partnership.consents.filter(version=partnership.consent_version)
        .exclude(decision=v.Decision.ACCEPTED)
        .select_related("member__organisation")
    )


def _people_to_tell(partnership: Partnership) -> set[User]:
    users: set[User] = set()
    if partnership.proposed_by and partnership.proposed_by.is_active:
        users.add(partnership.proposed_by)
    for person in partnership.people.filter(role=v.PersonRole.COORDINATOR).select_related("user"):
        users.add(person.user)
    return users


@transaction.atomic
def consent_decide(
    *, actor: User, partnership: Partnership, member: PartnershipMember, decision: str, comment: str = ""
) -> Consent:
    """Record a member school leader's decision on the current version; the last acceptance activates.

    The caller has checked that ``actor`` is a leader of ``member`` (``access.can_consent``).
    """
    partnership = _lock(partnership)
    if partnership.state != v.State.INVITED:
        raise ValidationError(_("Consent is given only while the partnership is invited."))
    if decision not in (v.Decision.ACCEPTED, v.Decision.DECLINED):
        raise ValidationError({"decision": _("Choose accept or decline.")})
    comment = comment.strip()
    if decision == v.Decision.DECLINED and not comment:
        raise ValidationError({"comment": _("Say why you decline, so the proposer can answer.")})
    consent = (
        Consent.objects.select_for_update()
        .filter(partnership=partnership, member=member, version=partnership.consent_version)
        .first()
    )
    if consent is None:
        raise ValidationError(_("This member is not asked to consent to the current version."))
    before = consent.decision
    consent.decision = decision
    consent.comment = comment
    consent.decided_by = actor
    consent.decided_by_name = actor.full_name or actor.email
    consent.decided_at = timezone.now()
    consent.save()
    audit_record(
        actor=actor,
        network=partnership.network,
        action="consent",
        obj=partnership,
        changes={f"consent:{member.organisation_id}:v{consent.version}": [before, decision]},
    )
    school, name = member.organisation.name, partnership.name
    if decision == v.Decision.DECLINED:
        for user in _people_to_tell(partnership) - {actor}:
            notify(
                user=user,
                kind=PARTNERSHIP_CHANGE.code,
                title=lambda: (
                    _("%(school)s declined the partnership %(name)s") % {"school": school, "name": name}
                ),
                body=comment,
                url=_url(partnership),
                network=partnership.network,
            )
    elif not pending_consents(partnership):
        _activate(actor, partnership)
    return consent


def _activate(actor: Actor, partnership: Partnership) -> None:
    partnership.state = v.State.ACTIVE
    partnership.activated_on = _today()
    partnership.save(update_fields=["state", "activated_on", "updated_at"])
    version = _new_version(actor, partnership, with_consents=True)
    audit_record(
        actor=actor,
        network=partnership.network,
        action="activate",
        obj=partnership,
        changes={"state": [v.State.INVITED, v.State.ACTIVE], "agreement_version": [None, version.number]},
    )
    name = partnership.name
    users = _people_to_tell(partnership) | {
        leader
        for m in partnership.members.select_related("organisation")
        for leader in leaders_of(m.organisation)
    }
    for user in users:
        notify(
            user=user,
            kind=PARTNERSHIP_CHANGE.code,
            title=lambda: _("The partnership %(name)s is active") % {"name": name},
            body=lambda: (
                _(
                    "Every member school consented. "
                    "Version %(number)s of the agreement holds the consent record."
                )
                % {"number": version.number}
            ),
            url=_url(partnership),
            network=partnership.network,
        )


STATE_DATE = {v.State.PAUSED: "paused_on", v.State.ENDED: "ended_on", v.State.ACTIVE: "activated_on"}


@transaction.atomic
def partnership_transition(*, actor: Actor, partnership: Partnership, to: str, note: str = "") -> Partnership:
    """Pause, resume or end a partnership. Activation is never asked for here: it follows the consents."""
    partnership = _lock(partnership)
    allowed = v.TRANSITIONS[partnership.state] - {v.State.INVITED}
    if to not in allowed:
        raise ValidationError(
            {
                "state": _("A partnership that is %(state)s cannot become %(to)s.")
                % {
                    "state": partnership.get_state_display(),
                    "to": v.State(to).label if to in v.State.values else to,
                }
            }
        )
    if to == v.State.ACTIVE and pending_consents(partnership):
        raise ValidationError(
            {"state": _("Every member school must consent before the partnership is active.")}
        )
    note = note.strip()
    if to in (v.State.PAUSED, v.State.ENDED) and not note:
        raise ValidationError({"note": _("Give the reason.")})
    before = partnership.state
    partnership.state = to
    partnership.state_note = note
    date_field = STATE_DATE[v.State(to)]
    if to != v.State.ACTIVE:
        setattr(partnership, date_field, _today())
    partnership.save(update_fields=["state", "state_note", date_field, "updated_at"])
    audit_record(
        actor=actor,
        network=partnership.network,
        action="state",
        obj=partnership,
        changes={"state": [before, to], "state_note": ["", note]},
    )
    name, label = partnership.name, v.State(to).label
    for user in _people_to_tell(partnership) - ({actor} if isinstance(actor, User) else set()):
        notify(
            user=user,
            kind=PARTNERSHIP_CHANGE.code,
            title=lambda: _("The partnership %(name)s is now %(state)s") % {"name": name, "state": label},
            body=note,
            url=_url(partnership),
            network=partnership.network,
        )
    return partnership


@transaction.atomic
def partnership_approve(*, actor: User, partnership: Partnership) -> Partnership:
    """A network administrator's approval, shown on the partnership and its agreement."""
    if partnership.approved_on:
        raise ValidationError(_("The partnership is already approved."))
    if partnership.state == v.State.ENDED:
        raise ValidationError(_("An ended partnership cannot be changed."))
    partnership.approved_by = actor
    partnership.approved_on = _today()
    partnership.save(update_fields=["approved_by", "approved_on", "updated_at"])
    audit_record(
        actor=actor,
        network=partnership.network,
        action="approve",
        obj=partnership,
        changes={"approved_on": [None, partnership.approved_on.isoformat()]},
    )
    return partnership
