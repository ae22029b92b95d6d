"""Partnerships API: partnerships and their lifecycle, members, people, consent, agreement versions, the
action plan, maturity assessments, the factor log and the typology counts of a network.

Every route gets its objects through ``access.py`` and changes them only through the services, so the
API enforces the same rules as the pages. Vocabulary values travel as their codes; each field's
description in the OpenAPI schema lists the codes it accepts with their English labels.
"""

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Choices, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile as NinjaFile
from ninja.pagination import paginate
from pydantic import ConfigDict, Field, RootModel

from interschool.core import access as core_access
from interschool.core.api_conventions import ERRORS, PagedRows, PageNumber
from interschool.core.models import Membership, Organisation, OrganisationKind, User
from interschool.partnerships import access, listing, record
from interschool.partnerships import vocabularies as v
from interschool.partnerships.access import Level, PartnershipAccess, members_of
from interschool.partnerships.models import (
    AgreementRendering,
    AgreementVersion,
    Assessment,
    Consent,
    EvidenceFile,
    Factor,
    Goal,
    Partnership,
    PartnershipMember,
    PartnershipPerson,
    PlanActivity,
    PlanIndicator,
)
from interschool.partnerships.pseudonyms import organisation_codes, replacer
from interschool.partnerships.services import partnerships as services
from interschool.partnerships.services import plan
from interschool.registry import access as registry_access
from interschool.registry.models import Indicator

router = Router(tags=["partnerships"])

BASE = "/networks/{slug}/partnerships"
ONE = BASE + "/{pk}"
WITHHELD = "[…]"
NO_CONTENT: dict[int, None] = {204: None}


# --- vocabularies as codes ---------------------------------------------------------------------------------


def _codes(choices: type[Choices], about: str) -> str:
    """A field description listing every code of ``choices`` with its English label."""
    with translation.override("en"):
        listed = "; ".join(f"`{value}` {label}" for value, label in choices.choices)
    return f"{about} Codes: {listed}."


def _blank(about: str) -> str:
    return f"{about} An empty string when not given."


StateCode = Annotated[v.State, Field(description=_codes(v.State, "State of the partnership."))]
MemberRoleCode = Annotated[
    v.MemberRole,
    Field(
        description=_codes(
            v.MemberRole,
            "Role of the member; only organisations that are not schools take `external_partner`.",
        )
    ),
]
ActorRoleCode = Annotated[v.ActorRole, Field(description=_codes(v.ActorRole, "Actor role of the member."))]
EngagementCode = Annotated[v.Engagement, Field(description=_codes(v.Engagement, "Engagement of the member."))]
PersonRoleCode = Annotated[v.PersonRole, Field(description=_codes(v.PersonRole, "Role of the person."))]
ModelCode = Annotated[v.Model, Field(description=_codes(v.Model, "Partnership model."))]
MotiveCode = Annotated[v.Motive, Field(description=_codes(v.Motive, "Motive."))]
ReasonCode = Annotated[v.Reason, Field(description=_codes(v.Reason, "Reason (task, relation, growth)."))]
LeadBodyCode = Annotated[v.LeadBody, Field(description=_codes(v.LeadBody, "Lead body."))]
ExternalPartyCode = Annotated[v.ExternalParty, Field(description=_codes(v.ExternalParty, "External party."))]
IssueFocusCode = Annotated[
    v.IssueFocus | Literal[""], Field(description=_blank(_codes(v.IssueFocus, "Issue focus.")))
]
InitiativeCode = Annotated[v.Initiative, Field(description=_codes(v.Initiative, "Initiative."))]
DurationCode = Annotated[
    v.Duration,
    Field(description=_codes(v.Duration, "Planned duration; `fixed_term` needs `ends_on`.")),
]
GeographyCode = Annotated[v.Geography, Field(description=_codes(v.Geography, "Geography."))]
ModeCode = Annotated[v.Mode, Field(description=_codes(v.Mode, "Mode of working together."))]
SizeCode = Annotated[
    v.Size, Field(description=_codes(v.Size, "Size, derived from the number of member schools."))
]
GovernanceCode = Annotated[
    v.Governance | Literal[""], Field(description=_blank(_codes(v.Governance, "Governance.")))
]
FrequencyCode = Annotated[
    v.Frequency | Literal[""], Field(description=_blank(_codes(v.Frequency, "Frequency of contact.")))
]
FollowUpCode = Annotated[
    v.FollowUp | Literal[""], Field(description=_blank(_codes(v.FollowUp, "Follow-up structure.")))
]
EntryUnitCode = Annotated[v.EntryUnit | Literal[""], Field(description=_blank(_codes(v.EntryUnit, "Entry.")))]
DecisionCode = Annotated[v.Decision, Field(description=_codes(v.Decision, "Decision on the agreement."))]
AimCode = Annotated[v.Aim | Literal[""], Field(description=_blank(_codes(v.Aim, "Aim of the goal.")))]
HorizonCode = Annotated[v.Horizon, Field(description=_codes(v.Horizon, "Horizon of the goal."))]
ActivityTypeCode = Annotated[v.ActivityType, Field(description=_codes(v.ActivityType, "Activity type."))]
ActivityStatusCode = Annotated[
    v.ActivityStatus, Field(description=_codes(v.ActivityStatus, "Status of the activity."))
]
ParticipantCode = Annotated[v.Participant, Field(description=_codes(v.Participant, "Who takes part."))]
LevelCode = Annotated[
    v.ContinuumLevel, Field(description=_codes(v.ContinuumLevel, "Level on the sharing continuum."))
]
FactorKindCode = Annotated[v.FactorKind, Field(description=_codes(v.FactorKind, "Kind of factor."))]
FactorCode = Annotated[
    v.Facilitator | v.Barrier,
    Field(
        description=_codes(v.Facilitator, "A facilitator's code when `kind` is `facilitator`.")
        + " "
        + _codes(v.Barrier, "A barrier's code when `kind` is `barrier`.")
    ),
]
SeverityCode = Annotated[v.Severity, Field(description=_codes(v.Severity, "Severity."))]
FactorStatusCode = Annotated[
    v.FactorStatus, Field(description=_codes(v.FactorStatus, "Status of the factor."))
]
AccessCode = Annotated[
    Literal["read", "edit", "admin"],
    Field(
        description="What the user may do: `read`, `edit` (also the plan and the log), `admin` (also "
        "approve)."
    ),
]
SummaryCode = Annotated[
    Literal["summary"],
    Field(description="The user sees this partnership's summary only: name, state, typology, member count."),
]


def _plain(value: Any) -> Any:
    """Codes as plain strings (and numbers) for the services and the JSON fields."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _values(payload: Schema, *, leave_out: Iterable[str] = ()) -> dict[str, Any]:
    """The fields the client sent, as plain values."""
    sent = payload.model_dump(exclude_unset=True, exclude=set(leave_out))
    return {name: _plain(value) for name, value in sent.items()}


@contextmanager
def _fields(**names: str) -> Iterator[None]:
    """Let a service's ``ValidationError`` name the field as the API calls it (``goal`` → ``goal_id``)."""
    try:
        yield
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError({names.get(f, f): errors for f, errors in error.error_dict.items()}) from error


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # the API's authentication always sets a user
        raise Http404
    return user


# --- what a user is shown ----------------------------------------------------------------------------------


class _Shown:
    """How one user sees one partnership's objects.

    Researchers get organisations as their stable codes (``access.organisation_name``), no people's names,
    and those names taken out of free text (the name, summary, titles, notes and comments).
    """

    def __init__(self, grant: PartnershipAccess, people: Iterable[str] = ()) -> None:
        self.grant = grant
        self.pseudonymous = grant.pseudonymous
        self.text: Callable[[str], str] = replacer({})
        if self.pseudonymous:
            members = ((m.organisation_id, m.organisation.name) for m in members_of(grant.partnership))
            self.text = replacer(
                {
                    **{name: WITHHELD for name in people if len(name) > 2},
                    **organisation_codes(grant.membership.network_id, members),
                }
            )

    def organisation(self, organisation_id: int, name: str) -> str:
        return self.grant.organisation_name(organisation_id, name)

    def person(self, name: str) -> str | None:
        return None if self.pseudonymous else name


def _people_names(partnership_ids: Sequence[int]) -> dict[int, set[str]]:
    """Names of the people each partnership records (people, proposer, approver, deciders, assessors)."""
    names: dict[int, set[str]] = {pk: set() for pk in partnership_ids}
    for pk, full_name, email in PartnershipPerson.objects.filter(
        partnership_id__in=partnership_ids
    ).values_list("partnership_id", "user__full_name", "user__email"):
        names[pk] |= {full_name, email}
    for pk, *users in Partnership.objects.filter(pk__in=partnership_ids).values_list(
        "pk", "proposed_by__full_name", "proposed_by__email", "approved_by__full_name", "approved_by__email"
    ):
        names[pk] |= {name for name in users if name}
    for pk, name in Consent.objects.filter(partnership_id__in=partnership_ids).values_list(
        "partnership_id", "decided_by_name"
    ):
        names[pk].add(name)
    for pk, name in Assessment.objects.filter(partnership_id__in=partnership_ids).values_list(
        "partnership_id", "assessed_by_name"
    ):
        names[pk].add(name)
    return {pk: {name for name in found if name} for pk, found in names.items()}


def _shown(grant: PartnershipAccess) -> _Shown:
    people = _people_names([grant.partnership.pk])[grant.partnership.pk] if grant.pseudonymous else set()
    return _Shown(grant, people)


# --- schemas -----------------------------------------------------------------------------------------------


class Body(Schema):
    """A request body: a field the API does not know is an error naming it, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class MemberOut(Schema):
    id: int
    organisation_id: int
    organisation: str = Field(description="The organisation's name; for researchers its code (`ORG-…`).")
    kind: OrganisationKind
    role: MemberRoleCode
    actor_role: ActorRoleCode
    engagement: EngagementCode
    commitment_time: str
    commitment_staff: str
    commitment_resources: str
    joined_on: dt.date


class PersonOut(Schema):
    id: int
    member_id: int
    role: PersonRoleCode
    membership_id: int | None = Field(
        description="The person's membership in the network; null for researchers."
    )
    name: str | None = Field(description="The person's name; null for researchers.")


class ConsentOut(Schema):
    member_id: int
    organisation_id: int
    organisation: str
    version: int
    decision: DecisionCode
    comment: str
    decided_by: str | None = Field(description="Who decided; null for researchers.")
    decided_at: dt.datetime | None


class AllowedOut(Schema):
    edit: bool
    approve: bool
    consent_for: list[int] = Field(
        description="Members whose consent this user gives (a leader of the school)."
    )


class _Common(Schema):
    id: int
    name: str
    state: StateCode
    member_count: int
    size: SizeCode
    model: ModelCode
    motives: list[MotiveCode]
    reasons: list[ReasonCode]
    lead_body: LeadBodyCode
    external_parties: list[ExternalPartyCode]
    issue_focus: IssueFocusCode
    initiative: InitiativeCode
    duration: DurationCode
    starts_on: dt.date | None
    ends_on: dt.date | None
    geography: GeographyCode
    mode: ModeCode
    governance: GovernanceCode
    frequency: FrequencyCode
    follow_up: FollowUpCode
    entry_unit: EntryUnitCode


class PartnershipSummaryOut(_Common):
    access: SummaryCode


class PartnershipOut(_Common):
    access: AccessCode
    summary: str
    proposed_on: dt.date
    invited_on: dt.date | None
    activated_on: dt.date | None
    paused_on: dt.date | None
    ended_on: dt.date | None
    approved_on: dt.date | None
    members: list[MemberOut]


class PartnershipDetailOut(PartnershipOut):
    state_note: str
    review_dates: list[dt.date]
    consent_version: int = Field(description="The agreement version the leaders are asked to consent to.")
    proposed_by: str | None = Field(description="Who proposed it; null for researchers.")
    approved_by: str | None = Field(description="Who approved it; null for researchers.")
    people: list[PersonOut]
    consents: list[ConsentOut] = Field(description="Decisions on the current version.")
    can: AllowedOut
    created_at: dt.datetime
    updated_at: dt.datetime


class PartnershipItem(
    RootModel[Annotated[PartnershipOut | PartnershipSummaryOut, Field(discriminator="access")]]
):
    """A list item: the partnership for users who may read it, its summary for the others."""


PartnershipDetail = Annotated[PartnershipDetailOut | PartnershipSummaryOut, Field(discriminator="access")]


class PartnershipQuery(Schema):
    q: str = Field("", description="A part of the name.")
    state: StateCode | None = None
    model: ModelCode | None = None
    motives: MotiveCode | None = Field(None, description="Partnerships with this motive among theirs.")
    lead_body: LeadBodyCode | None = None
    external_parties: ExternalPartyCode | None = Field(
        None, description="Partnerships with this external party."
    )
    initiative: InitiativeCode | None = None
    duration: DurationCode | None = None
    geography: GeographyCode | None = None
    mode: ModeCode | None = None
    size: SizeCode | None = None
    governance: Annotated[v.Governance, Field(description=_codes(v.Governance, "Governance."))] | None = None
    frequency: Annotated[v.Frequency, Field(description=_codes(v.Frequency, "Frequency."))] | None = None


class MemberIn(Body):
    organisation_id: int = Field(description="An organisation of the network (`GET …/organisations`).")
    role: MemberRoleCode
    actor_role: ActorRoleCode
    engagement: EngagementCode = v.Engagement.ACTIVE
    commitment_time: str = ""
    commitment_staff: str = ""
    commitment_resources: str = ""


class MemberPatch(Body):
    role: MemberRoleCode | None = None
    actor_role: ActorRoleCode | None = None
    engagement: EngagementCode | None = None
    commitment_time: str | None = None
    commitment_staff: str | None = None
    commitment_resources: str | None = None


class _TypologyIn(Body):
    reasons: list[ReasonCode] = []
    external_parties: list[ExternalPartyCode] = []
    issue_focus: IssueFocusCode = ""
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    governance: GovernanceCode = ""
    frequency: FrequencyCode = ""
    follow_up: FollowUpCode = ""
    entry_unit: EntryUnitCode = ""
    review_dates: list[dt.date] = []


class PartnershipIn(_TypologyIn):
    name: str
    summary: str = ""
    model: ModelCode
    motives: list[MotiveCode] = Field(description="At least one motive.")
    lead_body: LeadBodyCode
    initiative: InitiativeCode
    duration: DurationCode
    geography: GeographyCode
    mode: ModeCode
    members: list[MemberIn] = Field(description="At least two organisations, at least one of them a school.")


class PartnershipPatch(Body):
    name: str | None = None
    summary: str | None = None
    model: ModelCode | None = None
    motives: list[MotiveCode] | None = None
    reasons: list[ReasonCode] | None = None
    lead_body: LeadBodyCode | None = None
    external_parties: list[ExternalPartyCode] | None = None
    issue_focus: IssueFocusCode | None = None
    initiative: InitiativeCode | None = None
    duration: DurationCode | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    geography: GeographyCode | None = None
    mode: ModeCode | None = None
    governance: GovernanceCode | None = None
    frequency: FrequencyCode | None = None
    follow_up: FollowUpCode | None = None
    entry_unit: EntryUnitCode | None = None
    review_dates: list[dt.date] | None = None


class PersonIn(Body):
    member_id: int = Field(description="The member organisation the person belongs to.")
    membership_id: int = Field(description="The person's membership (`GET /networks/{slug}/members`).")
    role: PersonRoleCode


class ConsentIn(Body):
    decision: Literal["accepted", "declined"]
    comment: str = Field("", description="Why the school declines: required when declining.")


class StateIn(Body):
    state: Literal["paused", "active", "ended"] = Field(
        description="`paused` and `ended` need a `note`; `active` resumes a paused partnership (a "
        "partnership becomes active the first time only through the last consent)."
    )
    note: str = ""


class RenderingOut(Schema):
    language: str
    checksum: str = Field(description="SHA-256 of the PDF.")
    size: int
    created_at: dt.datetime


class AgreementVersionOut(Schema):
    number: int
    created_at: dt.datetime
    created_by: str | None = Field(description="Null for researchers.")
    with_consents: bool = Field(
        description="Whether the version holds the consent record (made on activation)."
    )
    renderings: list[RenderingOut] = Field(description="PDFs stored so far, one per language.")


class AgreementVersionDetailOut(AgreementVersionOut):
    content: dict[str, Any] = Field(
        description="The frozen content (codes and names); for researchers pseudonymised."
    )


class GoalOut(Schema):
    id: int
    title: str
    description: str
    motive: MotiveCode
    horizon: HorizonCode
    aim: AimCode
    position: int


class GoalIn(Body):
    title: str
    description: str = ""
    motive: MotiveCode
    horizon: HorizonCode
    aim: AimCode = ""
    position: int | None = Field(
        None, ge=0, description="Order among the goals; after the last when left out."
    )


class GoalPatch(Body):
    title: str | None = None
    description: str | None = None
    motive: MotiveCode | None = None
    horizon: HorizonCode | None = None
    aim: AimCode | None = None
    position: int | None = Field(None, ge=0)


class ActivityOut(Schema):
    id: int
    goal_id: int
    title: str
    kind: ActivityTypeCode
    owner_id: int | None = Field(description="The member that owns the activity.")
    owner: str | None
    starts_on: dt.date
    ends_on: dt.date | None
    status: ActivityStatusCode
    participants: list[ParticipantCode]
    notes: str


class ActivityIn(Body):
    goal_id: int
    title: str
    kind: ActivityTypeCode
    owner_id: int | None = Field(None, description="A member of this partnership.")
    starts_on: dt.date
    ends_on: dt.date | None = None
    status: ActivityStatusCode = v.ActivityStatus.PLANNED
    participants: list[ParticipantCode] = []
    notes: str = ""


class ActivityPatch(Body):
    goal_id: int | None = None
    title: str | None = None
    kind: ActivityTypeCode | None = None
    owner_id: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    status: ActivityStatusCode | None = None
    participants: list[ParticipantCode] | None = None
    notes: str | None = None


class PlanIndicatorOut(Schema):
    id: int
    goal_id: int
    indicator: str = Field(description="The registry indicator's code.")
    indicator_name: str
    organisation_id: int | None = Field(description="A member school; null: across the member schools.")
    organisation: str | None
    baseline: float
    baseline_year: int
    target: float
    target_year: int


class PlanIndicatorIn(Body):
    goal_id: int
    indicator: str = Field(description="The code of a registry indicator of the network.")
    organisation_id: int | None = None
    baseline: float
    baseline_year: int
    target: float
    target_year: int


class PlanIndicatorPatch(Body):
    indicator: str | None = None
    organisation_id: int | None = None
    baseline: float | None = None
    baseline_year: int | None = None
    target: float | None = None
    target_year: int | None = None


class EvidenceFileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    checksum: str


class ReasonOut(Schema):
    level: int
    code: str
    met: bool
    numbers: dict[str, Any]


class SuggestionOut(Schema):
    level: LevelCode
    features: dict[str, Any]
    reasons: list[ReasonOut]
    missing: list[ReasonOut] = Field(description="What the next level lacks.")


class AssessmentOut(Schema):
    id: int
    assessed_on: dt.date
    level: LevelCode
    evidence: str
    links: list[str]
    activity_ids: list[int]
    suggested_level: LevelCode
    suggestion: dict[str, Any] = Field(
        description="The suggestion on the assessment date, kept as it was then."
    )
    assessed_by: str | None = Field(description="Null for researchers.")
    files: list[EvidenceFileOut]


class AssessmentIn(Body):
    assessed_on: dt.date | None = Field(None, description="Today when left out; never in the future.")
    level: LevelCode
    evidence: str = ""
    links: list[str] = []
    activity_ids: list[int] = Field([], description="Activities of this partnership the level rests on.")


class AssessmentPatch(Body):
    assessed_on: dt.date | None = None
    level: LevelCode | None = None
    evidence: str | None = None
    links: list[str] | None = None
    activity_ids: list[int] | None = None


class FactorOut(Schema):
    id: int
    kind: FactorKindCode
    code: FactorCode
    description: str
    severity: SeverityCode
    mitigation: str
    owner_id: int | None
    owner: str | None
    status: FactorStatusCode
    logged_on: dt.date
    resolved_on: dt.date | None


class FactorIn(Body):
    kind: FactorKindCode
    code: FactorCode
    description: str = ""
    severity: SeverityCode = v.Severity.MEDIUM
    mitigation: str = ""
    owner_id: int | None = Field(None, description="A member of this partnership.")
    status: FactorStatusCode = v.FactorStatus.OPEN
    logged_on: dt.date | None = Field(None, description="Today when left out.")
    resolved_on: dt.date | None = None


class FactorPatch(Body):
    kind: FactorKindCode | None = None
    code: FactorCode | None = None
    description: str | None = None
    severity: SeverityCode | None = None
    mitigation: str | None = None
    owner_id: int | None = None
    status: FactorStatusCode | None = None
    logged_on: dt.date | None = None
    resolved_on: dt.date | None = None


class TypologyOut(Schema):
    total: int = Field(description="Partnerships of the network.")
    dimensions: dict[str, dict[str, int]] = Field(
        description="For each dimension (`model`, `motives`, …, `state`) the number of partnerships holding "
        "each code, zeros included; `_none` counts those where an optional dimension is not set. A "
        "partnership counts once for each value of a list-valued dimension (`motives`, `external_parties`)."
    )


# --- serialisation ----------------------------------------------------------------------------------------

TYPOLOGY = ("size", *services.TYPOLOGY_FIELDS)
# The fields of ``services.Proposal`` itself; the other typology fields travel in its ``extra``.
PROPOSAL_FIELDS = frozenset(
    {"name", "summary", "model", "motives", "lead_body", "initiative", "duration", "geography", "mode"}
)


def _common(grant: PartnershipAccess, shown: _Shown) -> dict[str, Any]:
    p = grant.partnership
    return {
        "id": p.pk,
        "name": shown.text(p.name),
        "state": p.state,
        "member_count": len(members_of(p)),
        **{name: getattr(p, name) for name in TYPOLOGY},
    }


def _member(member: PartnershipMember, shown: _Shown) -> dict[str, Any]:
    return {
        "id": member.pk,
        "organisation_id": member.organisation_id,
        "organisation": shown.organisation(member.organisation_id, member.organisation.name),
        "kind": member.organisation.kind,
        **{name: getattr(member, name) for name in services.MEMBER_FIELDS},
        "joined_on": member.joined_on,
    }


def _partnership(grant: PartnershipAccess, shown: _Shown) -> dict[str, Any]:
    """A list item: the summary for users who may not read the partnership, the partnership otherwise."""
    data = _common(grant, shown)
    if not grant.can_read:
        return data | {"access": "summary"}
    p = grant.partnership
    return data | {
        "access": grant.level.name.lower(),
        "summary": shown.text(p.summary),
        "proposed_on": p.proposed_on,
        "invited_on": p.invited_on,
        "activated_on": p.activated_on,
        "paused_on": p.paused_on,
        "ended_on": p.ended_on,
        "approved_on": p.approved_on,
        "members": [_member(m, shown) for m in members_of(p)],
    }


def _person_name(user: User | None) -> str:
    return (user.full_name or user.email) if user is not None else ""


def _people(grant: PartnershipAccess, shown: _Shown) -> list[dict[str, Any]]:
    people = list(grant.partnership.people.select_related("user").order_by("role", "pk"))
    memberships = dict(
        Membership.objects.filter(
            network_id=grant.membership.network_id, user_id__in=[person.user_id for person in people]
        ).values_list("user_id", "pk")
    )
    return [
        {
            "id": person.pk,
            "member_id": person.member_id,
            "role": person.role,
            "membership_id": None if shown.pseudonymous else memberships.get(person.user_id),
            "name": shown.person(_person_name(person.user)),
        }
        for person in people
    ]


def _consent(consent: Consent, shown: _Shown) -> dict[str, Any]:
    organisation = consent.member.organisation
    return {
        "member_id": consent.member_id,
        "organisation_id": organisation.pk,
        "organisation": shown.organisation(organisation.pk, organisation.name),
        "version": consent.version,
        "decision": consent.decision,
        "comment": shown.text(consent.comment),
        "decided_by": shown.person(consent.decided_by_name),
        "decided_at": consent.decided_at,
    }


def _current_consents(partnership: Partnership) -> QuerySet[Consent]:
    return partnership.consents.filter(version=partnership.consent_version).select_related(
        "member__organisation"
    )


def _detail(grant: PartnershipAccess) -> dict[str, Any]:
    shown = _shown(grant)
    data = _partnership(grant, shown)
    if not grant.can_read:
        return data
    p = grant.partnership
    return data | {
        "state_note": shown.text(p.state_note),
        "review_dates": list(p.review_dates),
        "consent_version": p.consent_version,
        "proposed_by": shown.person(_person_name(p.proposed_by)),
        "approved_by": shown.person(_person_name(p.approved_by)),
        "people": _people(grant, shown),
        "consents": [_consent(c, shown) for c in _current_consents(p)],
        "can": {
            "edit": grant.can_edit,
            "approve": grant.can_approve,
            "consent_for": [m.pk for m in members_of(p) if grant.can_consent(m)],
        },
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


def _fresh(request: HttpRequest, slug: str, pk: int) -> dict[str, Any]:
    """The partnership as the user sees it after a change (read again through the access helper)."""
    return _detail(access.partnership_get_for_user(request.user, slug, pk))


# --- partnerships ------------------------------------------------------------------------------------------


@router.get(
    BASE,
    response={200: list[PartnershipItem], **ERRORS},
    summary="Partnerships of a network, filtered by state and typology (members of the network)",
)
@paginate(PageNumber)
def partnership_list(request: HttpRequest, slug: str, filters: Query[PartnershipQuery]) -> Any:
    membership, partnerships = access.partnership_list_for_user(request.user, slug)
    values = {
        name: _plain(value) for name, value in filters.model_dump(exclude={"q"}).items() if value is not None
    }
    chosen = listing.PartnershipFilters(q=filters.q.strip()[: listing.SEARCH_MAX], values=values)
    rows = (
        listing.partnerships_listed(partnerships, chosen)
        .select_related("proposed_by", "approved_by")
        .prefetch_related("members__organisation")
    )
    pseudonymous = registry_access.pseudonymous(membership)

    def serialise(page: list[Partnership]) -> list[dict[str, Any]]:
        ids = [p.pk for p in page]
        levels = access.levels_of(membership, ids)
        people = _people_names(ids) if pseudonymous else {}
        items = []
        for p in page:
            grant = PartnershipAccess(membership, p, levels[p.pk], pseudonymous=pseudonymous)
            items.append(_partnership(grant, _Shown(grant, people.get(p.pk, ()))))
        return items

    return PagedRows(rows, serialise)


@router.get(
    BASE + "/typology",
    response={200: TypologyOut, **ERRORS},
    summary="How many partnerships of the network hold each value of each typology dimension",
)
def typology(request: HttpRequest, slug: str) -> dict[str, Any]:
    _membership, partnerships = access.network_overview_for_user(request.user, slug)
    return {
        "total": partnerships.count(),
        "dimensions": {
            counts.name: {row.code: row.count for row in counts.rows}
            for counts in listing.typology_counts(partnerships)
        },
    }


def _organisations(request: HttpRequest, slug: str, ids: Sequence[int]) -> dict[int, Organisation]:
    _membership, organisations = core_access.organisation_list_for_user(request.user, slug)
    return {o.pk: o for o in organisations.filter(pk__in=ids)}


@router.post(
    BASE,
    response={201: PartnershipDetail, **ERRORS},
    summary="Propose a partnership (administrators, coordinators, school leaders with their own school)",
)
def partnership_propose(request: HttpRequest, slug: str, payload: PartnershipIn) -> Status[dict[str, Any]]:
    membership, _partnerships = access.partnership_list_for_user(request.user, slug)
    access.require_can_propose(membership)
    found = _organisations(request, slug, [m.organisation_id for m in payload.members])
    missing = {
        f"members.{index}.organisation_id": "There is no organisation with this id in the network."
        for index, m in enumerate(payload.members)
        if m.organisation_id not in found
    }
    if missing:
        raise ValidationError(missing)
    members = [
        services.MemberSpec(found[m.organisation_id], **_values(m, leave_out={"organisation_id"}))
        for m in payload.members
    ]
    body = _values(payload, leave_out={"members"})
    extra = {name: body.pop(name) for name in list(body) if name not in PROPOSAL_FIELDS}
    if "review_dates" in extra:
        extra["review_dates"] = [day.isoformat() for day in extra["review_dates"]]
    proposal = services.Proposal(members=members, extra=extra, **body)
    partnership = services.partnership_propose(
        actor=_user(request), network=membership.network, proposal=proposal
    )
    return Status(201, _fresh(request, slug, partnership.pk))


@router.get(
    ONE,
    response={200: PartnershipDetail, **ERRORS},
    summary="One partnership: in full for its members, researchers and administrators, a summary for others",
)
def partnership_detail(request: HttpRequest, slug: str, pk: int) -> dict[str, Any]:
    return _detail(access.partnership_get_for_user(request.user, slug, pk))


@router.patch(
    ONE,
    response={200: PartnershipDetail, **ERRORS},
    summary="Change the name, summary, typology or review dates (editors)",
)
def partnership_patch(request: HttpRequest, slug: str, pk: int, payload: PartnershipPatch) -> dict[str, Any]:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.EDIT)
    values = _values(payload)
    if values.get("review_dates") is not None:
        values["review_dates"] = [day.isoformat() for day in values["review_dates"]]
    services.partnership_update(actor=_user(request), partnership=grant.partnership, values=values)
    return _fresh(request, slug, pk)


@router.post(
    ONE + "/invite",
    response={200: AgreementVersionOut, **ERRORS},
    summary="Freeze the agreement as a new version; ask each member school's leaders to consent (editors)",
)
def partnership_invite(request: HttpRequest, slug: str, pk: int) -> dict[str, Any]:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.EDIT)
    version = services.partnership_invite(actor=_user(request), partnership=grant.partnership)
    return _version(version, _Shown(grant), renderings=[])


@router.post(
    ONE + "/state",
    response={200: PartnershipDetail, **ERRORS},
    summary="Pause, resume or end a partnership (editors)",
)
def partnership_state(request: HttpRequest, slug: str, pk: int, payload: StateIn) -> dict[str, Any]:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.EDIT)
    services.partnership_transition(
        actor=_user(request), partnership=grant.partnership, to=payload.state, note=payload.note
    )
    return _fresh(request, slug, pk)


@router.post(
    ONE + "/approve",
    response={200: PartnershipDetail, **ERRORS},
    summary="Approve a partnership (network administrators)",
)
def partnership_approve(request: HttpRequest, slug: str, pk: int) -> dict[str, Any]:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.ADMIN)
    services.partnership_approve(actor=_user(request), partnership=grant.partnership)
    return _fresh(request, slug, pk)


# --- members and people ------------------------------------------------------------------------------------


@router.get(ONE + "/members", response={200: list[MemberOut], **ERRORS}, summary="Members of a partnership")
@paginate(PageNumber)
def member_list(request: HttpRequest, slug: str, pk: int) -> Any:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.READ)
    shown = _Shown(grant)
    rows = grant.partnership.members.select_related("organisation").order_by("pk")
    return PagedRows(rows, lambda page: [_member(m, shown) for m in page])


@router.post(
    ONE + "/members",
    response={201: MemberOut, **ERRORS},
    summary="Add a member while the partnership is proposed or invited (editors)",
)
def member_add(request: HttpRequest, slug: str, pk: int, payload: MemberIn) -> Status[dict[str, Any]]:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.EDIT)
    organisation = _organisations(request, slug, [payload.organisation_id]).get(payload.organisation_id)
    if organisation is None:
        raise ValidationError({"organisation_id": "There is no organisation with this id in the network."})
    spec = services.MemberSpec(organisation, **_values(payload, leave_out={"organisation_id"}))
    with _fields(organisation="organisation_id"):
        member = services.member_add(actor=_user(request), partnership=grant.partnership, spec=spec)
    return Status(201, _member(member, _Shown(grant)))


@router.patch(
    ONE + "/members/{member_id}",
    response={200: MemberOut, **ERRORS},
    summary="Change a member's role, actor role, engagement or commitments (editors)",
)
def member_patch(
    request: HttpRequest, slug: str, pk: int, member_id: int, payload: MemberPatch
) -> dict[str, Any]:
    grant, member = access.member_get_for_user(request.user, slug, pk, member_id, level=Level.EDIT)
    services.member_update(actor=_user(request), member=member, values=_values(payload))
    return _member(member, _Shown(grant))


@router.delete(
    ONE + "/members/{member_id}",
    response={**NO_CONTENT, **ERRORS},
    summary="Remove a member while the partnership is proposed or invited (editors)",
)
def member_delete(request: HttpRequest, slug: str, pk: int, member_id: int) -> Status[None]:
    _grant, member = access.member_get_for_user(request.user, slug, pk, member_id, level=Level.EDIT)
    services.member_remove(actor=_user(request), member=member)
    return Status(204, None)


@router.get(ONE + "/people", response={200: list[PersonOut], **ERRORS}, summary="Coordinators and contacts")
@paginate(PageNumber)
def person_list(request: HttpRequest, slug: str, pk: int) -> list[dict[str, Any]]:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.READ)
    return _people(grant, _Shown(grant))


@router.post(
    ONE + "/people",
    response={201: PersonOut, **ERRORS},
    summary="Name a coordinator or contact from a member organisation (editors)",
)
def person_add(request: HttpRequest, slug: str, pk: int, payload: PersonIn) -> Status[dict[str, Any]]:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.EDIT)
    member = grant.partnership.members.select_related("organisation").filter(pk=payload.member_id).first()
    if member is None:
        raise ValidationError({"member_id": "There is no member with this id in the partnership."})
    membership = (
        Membership.objects.filter(
            network_id=grant.membership.network_id, pk=payload.membership_id, is_active=True
        )
        .select_related("user")
        .first()
    )
    if membership is None:
        raise ValidationError({"membership_id": "There is no active member of the network with this id."})
    with _fields(user="membership_id", role="role"):
        person = services.person_add(
            actor=_user(request), member=member, user=membership.user, role=_plain(payload.role)
        )
    shown = _Shown(grant)
    return Status(
        201,
        {
            "id": person.pk,
            "member_id": member.pk,
            "role": person.role,
            "membership_id": membership.pk,
            "name": shown.person(_person_name(membership.user)),
        },
    )


@router.delete(
    ONE + "/people/{person_id}",
    response={**NO_CONTENT, **ERRORS},
    summary="Remove a coordinator or contact (editors)",
)
def person_delete(request: HttpRequest, slug: str, pk: int, person_id: int) -> Status[None]:
    _grant, person = access.person_get_for_user(request.user, slug, pk, person_id, level=Level.EDIT)
    services.person_remove(actor=_user(request), person=person)
    return Status(204, None)


# --- consent ------------------------------------------------------------------------------------------------


@router.get(
    ONE + "/consents",
    response={200: list[ConsentOut], **ERRORS},
    summary="Decisions of the member schools on the version they are asked to consent to",
)
@paginate(PageNumber)
def consent_list(request: HttpRequest, slug: str, pk: int) -> Any:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.READ)
    shown = _shown(grant)
    return PagedRows(_current_consents(grant.partnership), lambda page: [_consent(c, shown) for c in page])


@router.post(
    ONE + "/consents/{member_id}",
    response={200: ConsentOut, **ERRORS},
    summary="Accept or decline the agreement for a member school (a leader of that school only)",
)
def consent_decide(
    request: HttpRequest, slug: str, pk: int, member_id: int, payload: ConsentIn
) -> dict[str, Any]:
    grant, member = access.consent_member_for_user(request.user, slug, pk, member_id)
    consent = services.consent_decide(
        actor=_user(request),
        partnership=grant.partnership,
        member=member,
        decision=payload.decision,
        comment=payload.comment,
    )
    return _consent(consent, _Shown(grant))


# --- agreement versions ------------------------------------------------------------------------------------


def _version(
    version: AgreementVersion, shown: _Shown, renderings: Iterable[AgreementRendering]
) -> dict[str, Any]:
    return {
        "number": version.number,
        "created_at": version.created_at,
        "created_by": shown.person(version.created_by_name),
        "with_consents": version.with_consents,
        "renderings": [
            {"language": r.language, "checksum": r.checksum, "size": r.size, "created_at": r.created_at}
            for r in sorted(renderings, key=lambda r: r.language)
        ],
    }


def _versions(partnership: Partnership) -> QuerySet[AgreementVersion]:
    renderings = AgreementRendering.objects.defer("pdf")
    return partnership.agreement_versions.order_by("number").prefetch_related(
        Prefetch("renderings", queryset=renderings)
    )


@router.get(
    ONE + "/agreement",
    response={200: list[AgreementVersionOut], **ERRORS},
    summary="Versions of the agreement with their stored PDFs (language, SHA-256, size)",
)
@paginate(PageNumber)
def agreement_list(request: HttpRequest, slug: str, pk: int) -> Any:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.READ)
    shown = _Shown(grant)
    return PagedRows(
        _versions(grant.partnership).defer("content"),
        lambda page: [_version(version, shown, version.renderings.all()) for version in page],
    )


@router.get(
    ONE + "/agreement/{number}",
    response={200: AgreementVersionDetailOut, **ERRORS},
    summary="One version of the agreement with its frozen content",
)
def agreement_detail(request: HttpRequest, slug: str, pk: int, number: int) -> dict[str, Any]:
    grant, version = access.agreement_version_get_for_user(request.user, slug, pk, number)
    content = version.content
    if grant.pseudonymous:
        from interschool.partnerships.services.agreements import pseudonymised_content

        content = pseudonymised_content(content, grant.membership.network_id)
    renderings = AgreementRendering.objects.filter(version=version).defer("pdf")
    return _version(version, _Shown(grant), renderings) | {"content": content}


def _language(language: str) -> str:
    if language not in {code for code, _name in settings.LANGUAGES}:
        codes = ", ".join(code for code, _name in settings.LANGUAGES)
        raise ValidationError({"language": f"Use one of {codes}."})
    return language


@router.get(
    ONE + "/agreement/{number}/{language}.pdf",
    response={200: None, **ERRORS},
    summary="The PDF of one version in one language (researchers: pseudonymised)",
    openapi_extra={"responses": {200: {"description": "The PDF", "content": {"application/pdf": {}}}}},
)
def agreement_pdf(request: HttpRequest, slug: str, pk: int, number: int, language: str) -> HttpResponse:
    grant, version = access.agreement_version_get_for_user(request.user, slug, pk, number)
    _language(language)
    # Imported here: the renderer loads its PDF library only when a document is asked for.
    from interschool.partnerships.services import agreements

    if grant.pseudonymous:
        pdf = agreements.agreement_pdf_pseudonymised(version, language)
    else:
        pdf = bytes(agreements.agreement_pdf(version, language, actor=_user(request)).pdf)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="agreement-{pk}-v{number}-{language}.pdf"'
    return response


# --- goals, activities, plan indicators ---------------------------------------------------------------------


def _goal(goal: Goal, shown: _Shown) -> dict[str, Any]:
    return {
        "id": goal.pk,
        "title": shown.text(goal.title),
        "description": shown.text(goal.description),
        "motive": goal.motive,
        "horizon": goal.horizon,
        "aim": goal.aim,
        "position": goal.position,
    }


@router.get(ONE + "/goals", response={200: list[GoalOut], **ERRORS}, summary="Goals of the action plan")
@paginate(PageNumber)
def goal_list(request: HttpRequest, slug: str, pk: int) -> Any:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.READ)
    shown = _shown(grant)
    return PagedRows(
        grant.partnership.goals.order_by("position", "pk"), lambda page: [_goal(g, shown) for g in page]
    )


@router.post(ONE + "/goals", response={201: GoalOut, **ERRORS}, summary="Add a goal (editors)")
def goal_create(request: HttpRequest, slug: str, pk: int, payload: GoalIn) -> Status[dict[str, Any]]:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.EDIT)
    values = {name: value for name, value in _values(payload).items() if value is not None}
    goal = plan.goal_create(actor=_user(request), partnership=grant.partnership, values=values)
    return Status(201, _goal(goal, _Shown(grant)))


@router.patch(ONE + "/goals/{goal_id}", response={200: GoalOut, **ERRORS}, summary="Change a goal (editors)")
def goal_patch(request: HttpRequest, slug: str, pk: int, goal_id: int, payload: GoalPatch) -> dict[str, Any]:
    grant, goal = access.goal_get_for_user(request.user, slug, pk, goal_id, level=Level.EDIT)
    plan.goal_update(actor=_user(request), goal=goal, values=_values(payload))
    return _goal(goal, _Shown(grant))


@router.delete(
    ONE + "/goals/{goal_id}",
    response={**NO_CONTENT, **ERRORS},
    summary="Delete a goal without activities (editors)",
)
def goal_delete(request: HttpRequest, slug: str, pk: int, goal_id: int) -> Status[None]:
    _grant, goal = access.goal_get_for_user(request.user, slug, pk, goal_id, level=Level.EDIT)
    plan.goal_delete(actor=_user(request), goal=goal)
    return Status(204, None)


def _activity(activity: PlanActivity, shown: _Shown) -> dict[str, Any]:
    owner = activity.owner
    return {
        "id": activity.pk,
        "goal_id": activity.goal_id,
        "title": shown.text(activity.title),
        "kind": activity.kind,
        "owner_id": activity.owner_id,
        "owner": shown.organisation(owner.organisation_id, owner.organisation.name) if owner else None,
        "starts_on": activity.starts_on,
        "ends_on": activity.ends_on,
        "status": activity.status,
        "participants": activity.participants,
        "notes": shown.text(activity.notes),
    }


def _plan_references(grant: PartnershipAccess, values: dict[str, Any]) -> dict[str, Any]:
    """Turn ``goal_id`` and ``owner_id`` into this partnership's goal and member (422 naming the field)."""
    partnership = grant.partnership
    if "goal_id" in values:
        goal_id = values.pop("goal_id")
        values["goal"] = partnership.goals.filter(pk=goal_id).first() if goal_id is not None else None
        if values["goal"] is None:
            raise ValidationError({"goal_id": "There is no goal with this id in the partnership."})
    if "owner_id" in values:
        owner_id = values.pop("owner_id")
        values["owner"] = None
        if owner_id is not None:
            values["owner"] = partnership.members.select_related("organisation").filter(pk=owner_id).first()
            if values["owner"] is None:
                raise ValidationError({"owner_id": "There is no member with this id in the partnership."})
    return values


@router.get(
    ONE + "/activities",
    response={200: list[ActivityOut], **ERRORS},
    summary="Activities of the action plan, by start date",
)
@paginate(PageNumber)
def activity_list(
    request: HttpRequest,
    slug: str,
    pk: int,
    goal: int | None = None,
    status: ActivityStatusCode | None = None,
) -> Any:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.READ)
    shown = _shown(grant)
    rows = grant.partnership.activities.select_related("owner__organisation").order_by("starts_on", "pk")
    if goal is not None:
        rows = rows.filter(goal_id=goal)
    if status is not None:
        rows = rows.filter(status=_plain(status))
    return PagedRows(rows, lambda page: [_activity(a, shown) for a in page])


@router.post(ONE + "/activities", response={201: ActivityOut, **ERRORS}, summary="Add an activity (editors)")
def activity_create(request: HttpRequest, slug: str, pk: int, payload: ActivityIn) -> Status[dict[str, Any]]:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.EDIT)
    values = _plan_references(grant, _values(payload))
    with _fields(goal="goal_id", owner="owner_id"):
        activity = plan.activity_create(actor=_user(request), partnership=grant.partnership, values=values)
    return Status(201, _activity(activity, _Shown(grant)))


@router.patch(
    ONE + "/activities/{activity_id}",
    response={200: ActivityOut, **ERRORS},
    summary="Change an activity (editors)",
)
def activity_patch(
    request: HttpRequest, slug: str, pk: int, activity_id: int, payload: ActivityPatch
) -> dict[str, Any]:
    grant, activity = access.activity_get_for_user(request.user, slug, pk, activity_id, level=Level.EDIT)
    values = _plan_references(grant, _values(payload))
    with _fields(goal="goal_id", owner="owner_id"):
        plan.activity_update(actor=_user(request), activity=activity, values=values)
    return _activity(activity, _Shown(grant))


@router.delete(
    ONE + "/activities/{activity_id}",
    response={**NO_CONTENT, **ERRORS},
    summary="Delete an activity (editors)",
)
def activity_delete(request: HttpRequest, slug: str, pk: int, activity_id: int) -> Status[None]:
    _grant, activity = access.activity_get_for_user(request.user, slug, pk, activity_id, level=Level.EDIT)
    plan.activity_delete(actor=_user(request), activity=activity)
    return Status(204, None)


def _plan_indicator(target: PlanIndicator, shown: _Shown) -> dict[str, Any]:
    organisation = target.organisation
    return {
        "id": target.pk,
        "goal_id": target.goal_id,
        "indicator": target.indicator.code,
        "indicator_name": target.indicator.name,
        "organisation_id": target.organisation_id,
        "organisation": shown.organisation(organisation.pk, organisation.name) if organisation else None,
        "baseline": target.baseline,
        "baseline_year": target.baseline_year,
        "target": target.target,
        "target_year": target.target_year,
    }


def _indicator_references(grant: PartnershipAccess, values: dict[str, Any]) -> dict[str, Any]:
    network_id = grant.membership.network_id
    if "indicator" in values:
        code = values["indicator"]
        values["indicator"] = Indicator.objects.filter(network_id=network_id, code=code).first()
        if values["indicator"] is None:
            raise ValidationError({"indicator": "There is no indicator with this code in the network."})
    if "organisation_id" in values:
        organisation_id = values.pop("organisation_id")
        values["organisation"] = None
        if organisation_id is not None:
            member = (
                grant.partnership.members.select_related("organisation")
                .filter(organisation_id=organisation_id)
                .first()
            )
            if member is None:
                raise ValidationError(
                    {"organisation_id": "The organisation is not a member of this partnership."}
                )
            values["organisation"] = member.organisation
    return values


@router.get(
    ONE + "/indicators",
    response={200: list[PlanIndicatorOut], **ERRORS},
    summary="Registry indicators the goals are measured by, with baseline and target",
)
@paginate(PageNumber)
def plan_indicator_list(request: HttpRequest, slug: str, pk: int, goal: int | None = None) -> Any:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.READ)
    shown = _Shown(grant)
    rows = PlanIndicator.objects.filter(goal__partnership=grant.partnership).select_related(
        "indicator", "organisation"
    )
    if goal is not None:
        rows = rows.filter(goal_id=goal)
    return PagedRows(
        rows.order_by("goal__position", "goal_id", "pk"),
        lambda page: [_plan_indicator(t, shown) for t in page],
    )


@router.post(
    ONE + "/indicators",
    response={201: PlanIndicatorOut, **ERRORS},
    summary="Measure a goal by an indicator (editors)",
)
def plan_indicator_create(
    request: HttpRequest, slug: str, pk: int, payload: PlanIndicatorIn
) -> Status[dict[str, Any]]:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.EDIT)
    values = _indicator_references(grant, _values(payload))
    goal = grant.partnership.goals.filter(pk=values.pop("goal_id")).first()
    if goal is None:
        raise ValidationError({"goal_id": "There is no goal with this id in the partnership."})
    with _fields(organisation="organisation_id"):
        target = plan.plan_indicator_create(actor=_user(request), goal=goal, values=values)
    return Status(201, _plan_indicator(target, _Shown(grant)))


@router.patch(
    ONE + "/indicators/{indicator_id}",
    response={200: PlanIndicatorOut, **ERRORS},
    summary="Change a plan indicator (editors)",
)
def plan_indicator_patch(
    request: HttpRequest, slug: str, pk: int, indicator_id: int, payload: PlanIndicatorPatch
) -> dict[str, Any]:
    grant, target = access.plan_indicator_get_for_user(request.user, slug, pk, indicator_id, level=Level.EDIT)
    values = _indicator_references(grant, _values(payload))
    with _fields(organisation="organisation_id"):
        plan.plan_indicator_update(actor=_user(request), target=target, values=values)
    return _plan_indicator(target, _Shown(grant))


@router.delete(
    ONE + "/indicators/{indicator_id}",
    response={**NO_CONTENT, **ERRORS},
    summary="Delete a plan indicator (editors)",
)
def plan_indicator_delete(request: HttpRequest, slug: str, pk: int, indicator_id: int) -> Status[None]:
    _grant, target = access.plan_indicator_get_for_user(
        request.user, slug, pk, indicator_id, level=Level.EDIT
    )
    plan.plan_indicator_delete(actor=_user(request), target=target)
    return Status(204, None)


# --- maturity assessments ----------------------------------------------------------------------------------


def _assessment(assessment: Assessment, shown: _Shown) -> dict[str, Any]:
    return {
        "id": assessment.pk,
        "assessed_on": assessment.assessed_on,
        "level": assessment.level,
        "evidence": shown.text(assessment.evidence),
        "links": assessment.links,
        "activity_ids": sorted(a.pk for a in assessment.activities.all()),
        "suggested_level": assessment.suggested_level,
        "suggestion": assessment.suggestion,
        "assessed_by": shown.person(assessment.assessed_by_name),
        "files": [
            {
                "id": f.pk,
                "name": f.name,
                "content_type": f.content_type,
                "size": f.size,
                "checksum": f.checksum,
            }
            for f in assessment.files.all()
        ],
    }


def _assessment_out(request: HttpRequest, slug: str, pk: int, assessment_id: int) -> dict[str, Any]:
    grant, assessment = access.assessment_get_for_user(request.user, slug, pk, assessment_id)
    return _assessment(assessment, _shown(grant))


def _activities(grant: PartnershipAccess, ids: Sequence[int]) -> list[PlanActivity]:
    found = list(grant.partnership.activities.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise ValidationError({"activity_ids": "An activity is not in this partnership."})
    return found


@router.get(
    ONE + "/assessments",
    response={200: list[AssessmentOut], **ERRORS},
    summary="Maturity assessments with the suggested level kept beside each",
)
@paginate(PageNumber)
def assessment_list(request: HttpRequest, slug: str, pk: int) -> Any:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.READ)
    shown = _shown(grant)
    files = Prefetch("files", queryset=EvidenceFile.objects.defer("content").order_by("pk"))
    rows = grant.partnership.assessments.order_by("-assessed_on", "-pk").prefetch_related("activities", files)
    return PagedRows(rows, lambda page: [_assessment(a, shown) for a in page])


@router.post(
    ONE + "/assessments",
    response={201: AssessmentOut, **ERRORS},
    summary="Record a level on the sharing continuum (editors); evidence files go to …/files",
)
def assessment_create(
    request: HttpRequest, slug: str, pk: int, payload: AssessmentIn
) -> Status[dict[str, Any]]:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.EDIT)
    values = _values(payload, leave_out={"activity_ids"})
    if values.get("assessed_on") is None:
        values.pop("assessed_on", None)
    activities = _activities(grant, payload.activity_ids)
    with _fields(activities="activity_ids"):
        assessment = plan.assessment_create(
            actor=_user(request), partnership=grant.partnership, values=values, activities=activities
        )
    return Status(201, _assessment_out(request, slug, pk, assessment.pk))


@router.patch(
    ONE + "/assessments/{assessment_id}",
    response={200: AssessmentOut, **ERRORS},
    summary="Change an assessment (editors); a new date takes the suggestion of that date",
)
def assessment_patch(
    request: HttpRequest, slug: str, pk: int, assessment_id: int, payload: AssessmentPatch
) -> dict[str, Any]:
    grant, assessment = access.assessment_get_for_user(
        request.user, slug, pk, assessment_id, level=Level.EDIT
    )
    values = _values(payload, leave_out={"activity_ids"})
    activities = None if payload.activity_ids is None else _activities(grant, payload.activity_ids)
    with _fields(activities="activity_ids"):
        plan.assessment_update(
            actor=_user(request), assessment=assessment, values=values, activities=activities
        )
    return _assessment_out(request, slug, pk, assessment_id)


@router.delete(
    ONE + "/assessments/{assessment_id}",
    response={**NO_CONTENT, **ERRORS},
    summary="Delete an assessment with its files (editors)",
)
def assessment_delete(request: HttpRequest, slug: str, pk: int, assessment_id: int) -> Status[None]:
    _grant, assessment = access.assessment_get_for_user(
        request.user, slug, pk, assessment_id, level=Level.EDIT
    )
    plan.assessment_delete(actor=_user(request), assessment=assessment)
    return Status(204, None)


@router.post(
    ONE + "/assessments/{assessment_id}/files",
    response={201: AssessmentOut, **ERRORS},
    summary="Attach evidence files (multipart `files`; PDF, images, text, office documents, 10 MB each)",
)
def evidence_upload(
    request: HttpRequest, slug: str, pk: int, assessment_id: int, files: File[list[NinjaFile]]
) -> Status[dict[str, Any]]:
    _grant, assessment = access.assessment_get_for_user(
        request.user, slug, pk, assessment_id, level=Level.EDIT
    )
    uploads = [plan.Upload(f.name or "evidence", f.content_type or "", f.read()) for f in files]
    plan.assessment_update(actor=_user(request), assessment=assessment, values={}, files=uploads)
    return Status(201, _assessment_out(request, slug, pk, assessment_id))


@router.get(
    ONE + "/assessments/{assessment_id}/files/{file_id}",
    response={200: None, **ERRORS},
    summary="Download an evidence file (not for researchers: files are not pseudonymised)",
    openapi_extra={"responses": {200: {"description": "The file as uploaded"}}},
)
def evidence_download(
    request: HttpRequest, slug: str, pk: int, assessment_id: int, file_id: int
) -> HttpResponse:
    grant, assessment = access.assessment_get_for_user(request.user, slug, pk, assessment_id)
    if grant.pseudonymous:
        raise PermissionDenied
    file = assessment.files.filter(pk=file_id).first()
    if file is None:
        raise Http404
    response = HttpResponse(bytes(file.content), content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.name.replace(chr(34), "")}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.delete(
    ONE + "/assessments/{assessment_id}/files/{file_id}",
    response={**NO_CONTENT, **ERRORS},
    summary="Delete an evidence file (editors)",
)
def evidence_delete(
    request: HttpRequest, slug: str, pk: int, assessment_id: int, file_id: int
) -> Status[None]:
    _grant, assessment = access.assessment_get_for_user(
        request.user, slug, pk, assessment_id, level=Level.EDIT
    )
    file = assessment.files.defer("content").filter(pk=file_id).first()
    if file is None:
        raise Http404
    plan.evidence_file_delete(actor=_user(request), file=file)
    return Status(204, None)


@router.get(
    ONE + "/suggestion",
    response={200: SuggestionOut, **ERRORS},
    summary="The level the partnership's record suggests on a date, with its reasons",
)
def suggestion(request: HttpRequest, slug: str, pk: int, as_of: dt.date | None = None) -> dict[str, Any]:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.READ)
    day = as_of or timezone.localdate()
    return record.suggestion_as_json(record.suggestion_for(grant.partnership, day))


# --- facilitators and barriers -----------------------------------------------------------------------------


def _factor(factor: Factor, shown: _Shown) -> dict[str, Any]:
    owner = factor.owner
    return {
        "id": factor.pk,
        "kind": factor.kind,
        "code": factor.code,
        "description": shown.text(factor.description),
        "severity": factor.severity,
        "mitigation": shown.text(factor.mitigation),
        "owner_id": factor.owner_id,
        "owner": shown.organisation(owner.organisation_id, owner.organisation.name) if owner else None,
        "status": factor.status,
        "logged_on": factor.logged_on,
        "resolved_on": factor.resolved_on,
    }


@router.get(
    ONE + "/factors",
    response={200: list[FactorOut], **ERRORS},
    summary="The facilitators and barriers log, newest first",
)
@paginate(PageNumber)
def factor_list(
    request: HttpRequest,
    slug: str,
    pk: int,
    kind: FactorKindCode | None = None,
    status: FactorStatusCode | None = None,
) -> Any:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.READ)
    shown = _shown(grant)
    rows = grant.partnership.factors.select_related("owner__organisation").order_by("-logged_on", "-pk")
    if kind is not None:
        rows = rows.filter(kind=_plain(kind))
    if status is not None:
        rows = rows.filter(status=_plain(status))
    return PagedRows(rows, lambda page: [_factor(f, shown) for f in page])


@router.post(
    ONE + "/factors", response={201: FactorOut, **ERRORS}, summary="Log a facilitator or barrier (editors)"
)
def factor_create(request: HttpRequest, slug: str, pk: int, payload: FactorIn) -> Status[dict[str, Any]]:
    grant = access.partnership_get_for_user(request.user, slug, pk, level=Level.EDIT)
    values = _plan_references(grant, _values(payload))
    if values.get("logged_on") is None:
        values.pop("logged_on", None)
    with _fields(owner="owner_id"):
        factor = plan.factor_create(actor=_user(request), partnership=grant.partnership, values=values)
    return Status(201, _factor(factor, _Shown(grant)))


@router.patch(
    ONE + "/factors/{factor_id}", response={200: FactorOut, **ERRORS}, summary="Change a factor (editors)"
)
def factor_patch(
    request: HttpRequest, slug: str, pk: int, factor_id: int, payload: FactorPatch
) -> dict[str, Any]:
    grant, factor = access.factor_get_for_user(request.user, slug, pk, factor_id, level=Level.EDIT)
    values = _plan_references(grant, _values(payload))
    with _fields(owner="owner_id"):
        plan.factor_update(actor=_user(request), factor=factor, values=values)
    return _factor(factor, _Shown(grant))


@router.delete(
    ONE + "/factors/{factor_id}", response={**NO_CONTENT, **ERRORS}, summary="Delete a factor (editors)"
)
def factor_delete(request: HttpRequest, slug: str, pk: int, factor_id: int) -> Status[None]:
    _grant, factor = access.factor_get_for_user(request.user, slug, pk, factor_id, level=Level.EDIT)
    plan.factor_delete(actor=_user(request), factor=factor)
    return Status(204, None)
