"""The demo network's partnerships: one at each stage of the lifecycle, built through the services.

``demo_partnerships`` runs once, when the demo network is created. It picks member schools by rule
(phase, district, size) in the order of their codes, gives every member school a leader who can
consent, and then lets the demo's people act: school leaders propose, consent or decline, coordinators
fill in the action plan, assess maturity and log facilitators and barriers. Dates are counted back from
today, so the demo always looks current: a day is written ``(months back, day of month)``, with negative
months lying ahead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from django.utils import timezone

from interschool.core.models import Membership, Network, Organisation, OrganisationKind, Role, User
from interschool.core.services.demo import ACTOR, demo_logins
from interschool.core.services.networks import member_add, user_create
from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import Goal, Partnership, PartnershipMember, PlanActivity
from interschool.partnerships.services import partnerships as lifecycle
from interschool.partnerships.services import plan
from interschool.partnerships.services.partnerships import MemberSpec, Proposal
from interschool.registry.models import Indicator, OutcomeValue

LEADER_EMAIL = "leader{number}@demo.interschool.test"
LEADER_EMAIL_PATTERN = r"^leader[0-9]+@demo\.interschool\.test$"
LEADER_NAMES = (
    "Amira Haddad",
    "Ben Okafor",
    "Clara Novak",
    "Daniel Reyes",
    "Elif Kaya",
    "Farah Siddiqui",
    "George Lindqvist",
    "Hana Takahashi",
    "Isaac Mensah",
    "Julia Moreau",
    "Kofi Asante",
    "Lena Fischer",
    "Marco Bianchi",
    "Nadia Petrova",
    "Owen Price",
    "Priya Nair",
)

# Short names for the tables of goals, activities and log entries below.
K = v.ActivityType
LEAD, HOST, PARTNER, SUPPORTED, EXTERNAL = (
    v.MemberRole.LEAD,
    v.MemberRole.HOST,
    v.MemberRole.PARTNER,
    v.MemberRole.SUPPORTED,
    v.MemberRole.EXTERNAL_PARTNER,
)
INITIATOR, EXECUTOR, SUPPORTER = v.ActorRole.INITIATOR, v.ActorRole.EXECUTOR, v.ActorRole.SUPPORTER
DONE, PLANNED, CANCELLED = v.ActivityStatus.DONE, v.ActivityStatus.PLANNED, v.ActivityStatus.CANCELLED
LEADERS, TEACHERS, PUPILS, PARENTS, AUTHORITY = (
    v.Participant.LEADERS,
    v.Participant.TEACHERS,
    v.Participant.PUPILS,
    v.Participant.PARENTS,
    v.Participant.AUTHORITY,
)

Day = tuple[int, int]


class GoalRow(NamedTuple):
    title: str
    motive: str
    horizon: str
    aim: str
    description: str = ""


class ActivityRow(NamedTuple):
    """An activity of goal ``goal`` owned by member ``owner`` (indexes in the order given)."""

    goal: int
    owner: int
    on: Day
    kind: str
    participants: tuple[str, ...]
    title: str
    status: str = DONE
    notes: str = ""


class TargetRow(NamedTuple):
    """A registry indicator for goal ``goal``, at member ``school`` or across the member schools (None)."""

    goal: int
    indicator: str
    school: int | None
    change: float


class FactorRow(NamedTuple):
    kind: str
    code: str
    owner: int | None
    logged: Day
    description: str
    mitigation: str = ""
    severity: str = v.Severity.MEDIUM
    status: str = v.FactorStatus.OPEN
    resolved: Day | None = None


def month_day(today: dt.date, months_back: int, day: int) -> dt.date:
    """Day ``day`` (1–28) of the month ``months_back`` months before ``today``'s (negative: ahead)."""
    index = today.year * 12 + today.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, day)


class _Picker:
    """Member schools chosen by rule, first by code, each used once."""

    def __init__(self, network: Network, reserved: Sequence[Organisation]) -> None:
        schools = Organisation.objects.filter(network=network, kind=OrganisationKind.SCHOOL)
        self.schools = list(schools.order_by("code"))
        self.used = {o.pk for o in reserved}

    def take(self, rule: Callable[[Organisation], bool]) -> Organisation:
        free = [o for o in self.schools if o.pk not in self.used]
        if not free:
            raise RuntimeError("the demo region has too few schools for the demo partnerships")
        school = next((o for o in free if rule(o)), free[0])
        self.used.add(school.pk)
        return school


class _Demo:
    """The demo's people and places, and steps that each call the service functions."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.today = timezone.localdate()
        emails = {login.role: login.email for login in demo_logins()}
        users = {u.email: u for u in User.objects.filter(email__in=emails.values())}
        self.login = {role: users[email] for role, email in emails.items()}
        memberships = Membership.objects.filter(network=network, user__in=users.values())
        home = {
            m.role: m.organisation
            for m in memberships.select_related("organisation")
            if m.organisation is not None
        }
        self.home_school: Organisation = home[Role.SCHOOL_LEADER]
        self.teacher_school: Organisation = home[Role.TEACHER]
        others = Organisation.objects.filter(network=network).exclude(kind=OrganisationKind.SCHOOL)
        self.partners = {o.code: o for o in others}
        self.indicators = {i.code: i for i in Indicator.objects.filter(network=network)}
        self.leaders: dict[int, User] = {}

    def day(self, when: Day) -> dt.date:
        return month_day(self.today, *when)

    def ensure_leaders(self, schools: Sequence[Organisation]) -> None:
        """Every member school gets a school leader who can consent (numbered in the order of codes)."""
        number = 1
        for school in sorted(schools, key=lambda o: o.code):
            existing = lifecycle.leaders_of(school)
            if existing:
                self.leaders[school.pk] = existing[0]
                continue
            number += 1
            email = LEADER_EMAIL.format(number=number)
            user = User.objects.filter(email=email).first()
            if user is None:
                name = LEADER_NAMES[number - 2] if number - 2 < len(LEADER_NAMES) else f"Leader {number}"
                user = user_create(actor=ACTOR, email=email, password=None, full_name=name)
            member_add(
                actor=ACTOR, network=self.network, user=user, role=Role.SCHOOL_LEADER, organisation=school
            )
            self.leaders[school.pk] = user

    def leader(self, school: Organisation) -> User:
        return self.leaders[school.pk]

    # --- the lifecycle ------------------------------------------------------------------------------------

    def propose(
        self, actor: User, name: str, summary: str, members: Sequence[MemberSpec], **typology: Any
    ) -> tuple[Partnership, list[PartnershipMember]]:
        required = ("model", "motives", "lead_body", "initiative", "duration", "geography", "mode")
        proposal = Proposal(
            name=name,
            summary=summary,
            members=members,
            extra={k: value for k, value in typology.items() if k not in required},
            **{k: typology[k] for k in required},
        )
        partnership = lifecycle.partnership_propose(actor=actor, network=self.network, proposal=proposal)
        return partnership, list(partnership.members.select_related("organisation").order_by("pk"))

    def consent(
        self, partnership: Partnership, member: PartnershipMember, decision: str, comment: str = ""
    ) -> None:
        leader = self.leader(member.organisation)
        lifecycle.consent_decide(
            actor=leader, partnership=partnership, member=member, decision=decision, comment=comment
        )

    def activate(self, actor: User, partnership: Partnership, members: Sequence[PartnershipMember]) -> None:
        """Send for consent and let every member school's leader accept: the last acceptance activates."""
        lifecycle.partnership_invite(actor=actor, partnership=partnership)
        for member in members:
            if member.organisation.kind == OrganisationKind.SCHOOL:
                self.consent(partnership, member, v.Decision.ACCEPTED)
        partnership.refresh_from_db()

    # --- the plan and the log ------------------------------------------------------------------------------

    def fill(
        self,
        actor: User,
        partnership: Partnership,
        members: Sequence[PartnershipMember],
        goals: Sequence[GoalRow] = (),
        activities: Sequence[ActivityRow] = (),
        targets: Sequence[TargetRow] = (),
        factors: Sequence[FactorRow] = (),
    ) -> list[PlanActivity]:
        """Goals, activities, indicator targets and log entries, in that order; returns the activities."""
        created = [
            plan.goal_create(actor=actor, partnership=partnership, values=row._asdict()) for row in goals
        ]
        done = [self._activity(actor, partnership, created, members, row) for row in activities]
        schools = [m.organisation for m in members if m.organisation.kind == OrganisationKind.SCHOOL]
        for target in targets:
            school = members[target.school].organisation if target.school is not None else None
            self._target(actor, created[target.goal], target, school, schools)
        for factor in factors:
            plan.factor_create(
                actor=actor,
                partnership=partnership,
                values={
                    "kind": factor.kind,
                    "code": factor.code,
                    "description": factor.description,
                    "severity": factor.severity,
                    "mitigation": factor.mitigation,
                    "owner": members[factor.owner] if factor.owner is not None else None,
                    "status": factor.status,
                    "logged_on": self.day(factor.logged),
                    "resolved_on": self.day(factor.resolved) if factor.resolved else None,
                },
            )
        return done

    def _activity(
        self,
        actor: User,
        partnership: Partnership,
        goals: Sequence[Goal],
        members: Sequence[PartnershipMember],
        row: ActivityRow,
    ) -> PlanActivity:
        values = {
            "goal": goals[row.goal],
            "title": row.title,
            "kind": row.kind,
            "owner": members[row.owner],
            "starts_on": self.day(row.on),
            "status": row.status,
            "participants": list(row.participants),
            "notes": row.notes,
        }
        return plan.activity_create(actor=actor, partnership=partnership, values=values)

    def _target(
        self,
        actor: User,
        goal: Goal,
        row: TargetRow,
        school: Organisation | None,
        schools: Sequence[Organisation],
    ) -> None:
        """Baseline: the latest value in the registry (mean across schools); target: two years on."""
        indicator = self.indicators.get(row.indicator)
        if indicator is None:
            return
        rows = list(
            OutcomeValue.objects.filter(
                indicator=indicator,
                organisation__in=[school] if school else schools,
                suppressed=False,
                value__isnull=False,
            )
            .order_by("-year")
            .values_list("year", "value")
        )
        if not rows:
            return  # no recorded value to start from: the coordinator adds the target later
        year = rows[0][0]
        latest = [value for y, value in rows if y == year and value is not None]
        baseline = round(sum(latest) / len(latest), 1)
        change = row.change if indicator.higher_is_better else -row.change
        values = {
            "indicator": indicator,
            "organisation": school,
            "baseline": baseline,
            "baseline_year": year,
            "target": round(min(100.0, max(0.0, baseline + change)), 1),
            "target_year": year + 2,
        }
        plan.plan_indicator_create(actor=actor, goal=goal, values=values)

    def assess(
        self,
        actor: User,
        partnership: Partnership,
        on: Day,
        level: int,
        evidence: str,
        record: Sequence[PlanActivity],
        files: Sequence[plan.Upload] = (),
    ) -> None:
        """A maturity assessment at an earlier date, citing the activities that took place by then."""
        assessed_on = self.day(on)
        plan.assessment_create(
            actor=actor,
            partnership=partnership,
            values={"assessed_on": assessed_on, "level": level, "evidence": evidence},
            activities=[a for a in record if a.status == DONE and a.starts_on <= assessed_on],
            files=files,
        )


def demo_partnerships(network: Network) -> list[Partnership]:
    """Create the demo partnerships once; a network that already has partnerships is left alone."""
    if Partnership.objects.filter(network=network).exists():
        return []
    demo = _Demo(network)
    home, teacher_school = demo.home_school, demo.teacher_school
    pick = _Picker(network, [home, teacher_school])

    def phase(name: str, district: str = "") -> Callable[[Organisation], bool]:
        return lambda o: o.phase == name and (not district or o.district == district)

    def small_rural(o: Organisation) -> bool:
        return o.phase == "primary" and o.urban_rural == "rural" and (o.enrolment or 0) < 160

    reading_partner = pick.take(phase("primary", home.district))
    transition_secondary = pick.take(phase("secondary", home.district))
    transition_primary = pick.take(phase("primary", home.district))
    special, mainstream = pick.take(phase("special")), pick.take(phase("secondary"))
    rural = [pick.take(small_rural) for _ in range(3)]
    neighbour_primary = pick.take(phase("primary", teacher_school.district))
    middle, all_through = pick.take(phase("middle")), pick.take(phase("all_through"))
    sixth_form = pick.take(phase("post16"))
    workshop_school = pick.take(lambda o: o.district == sixth_form.district or o.phase == "secondary")
    schools = [home, teacher_school, reading_partner, transition_secondary, transition_primary, special]
    schools += [mainstream, *rural, neighbour_primary, middle, all_through, sixth_form, workshop_school]
    demo.ensure_leaders(schools)
    return [
        _proposed(demo, reading_partner),
        _awaiting_demo_leader(demo, transition_secondary, transition_primary),
        _declined(demo, special, mainstream),
        _low_frequency(demo, rural),
        _collegial(demo, neighbour_primary),
        _paused(demo, middle, all_through),
        _ended(demo, sixth_form, workshop_school),
    ]


def demo_partnerships_delete(network: Network) -> None:
    """Remove the demo partnerships and the extra demo leaders, so that the demo network can be reset."""
    Partnership.objects.filter(network=network).delete()
    User.objects.filter(email__regex=LEADER_EMAIL_PATTERN).delete()


def _named(school: Organisation, name: str) -> str:
    """A partnership name that starts with the school's district, as local partnerships are often called."""
    return f"{school.district} {name}" if school.district else name[:1].upper() + name[1:]


# --- one partnership per stage ------------------------------------------------------------------------------


def _proposed(demo: _Demo, partner_school: Organisation) -> Partnership:
    """A draft of the demo school leader's, with a first goal and planned activities."""
    leader = demo.login[Role.SCHOOL_LEADER]
    partnership, members = demo.propose(
        leader,
        _named(demo.home_school, "reading circle"),
        "Two primary schools and the public library want pupils to read more for pleasure: older pupils "
        "read with younger ones, and the library hosts author visits for both schools.",
        [
            MemberSpec(demo.home_school, LEAD, INITIATOR, commitment_time="Two hours a fortnight"),
            MemberSpec(partner_school, PARTNER, EXECUTOR, commitment_staff="One teacher per year group"),
            MemberSpec(
                demo.partners["LIB-1"],
                EXTERNAL,
                SUPPORTER,
                engagement=v.Engagement.NON_COMMITTAL,
                commitment_resources="A reading room and book loans",
            ),
        ],
        model=v.Model.SCHOOL_COMMUNITY,
        motives=[v.Motive.STUDENTS],
        reasons=[v.Reason.CO_CREATION, v.Reason.FALL_BACK],
        lead_body=v.LeadBody.SCHOOLS,
        issue_focus=v.IssueFocus.SOCIAL,
        initiative=v.Initiative.VOLUNTARY,
        duration=v.Duration.FIXED_TERM,
        starts_on=demo.day((-1, 1)),
        ends_on=demo.day((-11, 28)),
        geography=v.Geography.SAME_LOCALITY,
        mode=v.Mode.FACE_TO_FACE,
        governance=v.Governance.LEAD_SCHOOL,
        frequency=v.Frequency.FORTNIGHTLY,
        follow_up=v.FollowUp.OCCASIONAL,
        entry_unit=v.EntryUnit.COLLECTIVE,
    )
    lifecycle.person_add(actor=leader, member=members[0], user=leader, role=v.PersonRole.COORDINATOR)
    # fmt: off
    demo.fill(
        leader, partnership, members,
        goals=[
            GoalRow("More pupils read for pleasure", v.Motive.STUDENTS, v.Horizon.SHORT, v.Aim.OPPORTUNITIES,
                    "Reading becomes something pupils choose to do, at school and at home."),
        ],
        activities=[
            ActivityRow(0, 0, (-1, 14), K.PUPIL_HELP, (PUPILS, TEACHERS),
                        "Reading buddies across the two schools", PLANNED),
            ActivityRow(0, 2, (-3, 10), K.STUDENT_EVENT, (PUPILS, PARENTS),
                        "Author visit at the library", PLANNED),
        ],
        targets=[TargetRow(0, "reading_attainment", None, 3.0)],
    )
    # fmt: on
    return partnership


def _awaiting_demo_leader(demo: _Demo, secondary: Organisation, primary: Organisation) -> Partnership:
    """Sent for consent by a secondary school's leader; the demo school leader has not answered yet."""
    proposer = demo.leader(secondary)
    partnership, members = demo.propose(
        proposer,
        _named(secondary, "mathematics transition partnership"),
        "A secondary school and two of the primary schools that send it pupils agree how calculation is "
        "taught from age ten to twelve, so that pupils do not start again when they change school.",
        [
            MemberSpec(
                secondary, LEAD, INITIATOR, commitment_staff="The head of mathematics, half a day a month"
            ),
            MemberSpec(demo.home_school, PARTNER, EXECUTOR, commitment_staff="The year 6 teachers"),
            MemberSpec(primary, PARTNER, EXECUTOR, commitment_staff="The mathematics lead"),
            MemberSpec(
                demo.partners["AUTH-1"],
                EXTERNAL,
                SUPPORTER,
                engagement=v.Engagement.PASSIVE,
                commitment_resources="A small grant for cover",
            ),
        ],
        model=v.Model.MULTI_PHASE_FEDERATION,
        motives=[v.Motive.STUDENTS, v.Motive.TEACHING_QUALITY],
        reasons=[v.Reason.CONTENT_DESIGN, v.Reason.ACHIEVEMENT],
        lead_body=v.LeadBody.LOCAL_AUTHORITY,
        external_parties=[v.ExternalParty.LOCAL_AUTHORITY],
        issue_focus=v.IssueFocus.PEDAGOGICAL,
        initiative=v.Initiative.INCENTIVISED,
        duration=v.Duration.ONGOING,
        starts_on=demo.day((-2, 1)),
        geography=v.Geography.CROSS_PHASE_LOCAL,
        mode=v.Mode.BLENDED,
        governance=v.Governance.EXTERNAL_BODY,
        frequency=v.Frequency.MONTHLY,
        follow_up=v.FollowUp.PERMANENT,
        entry_unit=v.EntryUnit.COLLECTIVE,
        review_dates=[demo.day((-6, 15)).isoformat()],
    )
    lifecycle.person_add(actor=proposer, member=members[0], user=proposer, role=v.PersonRole.COORDINATOR)
    # fmt: off
    demo.fill(
        proposer, partnership, members,
        goals=[
            GoalRow("Pupils keep their progress in mathematics when they change school", v.Motive.STUDENTS,
                    v.Horizon.MEDIUM, v.Aim.ACHIEVEMENT,
                    "One written method for calculation in the last primary and first secondary year."),
        ],
        activities=[
            ActivityRow(0, 0, (-2, 12), K.JOINT_CURRICULUM, (TEACHERS,),
                        "Agree a shared calculation guide", PLANNED),
            ActivityRow(0, 0, (-3, 8), K.TEACHER_EXCHANGE, (TEACHERS, PUPILS),
                        "Secondary teachers teach a lesson in each primary school", PLANNED),
        ],
        targets=[TargetRow(0, "exam_pass_rate", 0, 4.0)],
    )
    # fmt: on
    lifecycle.partnership_invite(actor=proposer, partnership=partnership)
    for member in members:
        if member.organisation.kind == OrganisationKind.SCHOOL and member.organisation != demo.home_school:
            demo.consent(partnership, member, v.Decision.ACCEPTED)
    return partnership


def _declined(demo: _Demo, special: Organisation, mainstream: Organisation) -> Partnership:
    """Sent for consent by the coordinator; the mainstream school declined and said why."""
    coordinator = demo.login[Role.COORDINATOR]
    partnership, members = demo.propose(
        coordinator,
        "Inclusive classrooms exchange",
        "A special school and a secondary school share ways of adapting lessons, and pupils of the special "
        "school join some mainstream lessons with support.",
        [
            MemberSpec(special, HOST, INITIATOR, commitment_staff="The inclusion lead"),
            MemberSpec(mainstream, PARTNER, EXECUTOR, commitment_time="One afternoon a term"),
        ],
        model=v.Model.SPECIAL_MAINSTREAM,
        motives=[v.Motive.POLICY, v.Motive.STUDENTS],
        reasons=[v.Reason.PUPIL_CARE, v.Reason.STATUTORY],
        lead_body=v.LeadBody.GOVERNMENT,
        external_parties=[v.ExternalParty.MINISTRY_UNIT],
        issue_focus=v.IssueFocus.SOCIAL,
        initiative=v.Initiative.MANDATED,
        duration=v.Duration.FIXED_TERM,
        starts_on=demo.day((-1, 1)),
        ends_on=demo.day((-13, 28)),
        geography=v.Geography.CROSS_CUTTING,
        mode=v.Mode.ONLINE,
        governance=v.Governance.SHARED,
        frequency=v.Frequency.TERMLY,
        follow_up=v.FollowUp.OCCASIONAL,
        entry_unit=v.EntryUnit.INDIVIDUAL,
    )
    # fmt: off
    demo.fill(
        coordinator, partnership, members,
        goals=[
            GoalRow("Pupils of the special school learn in mainstream lessons", v.Motive.POLICY,
                    v.Horizon.MEDIUM, v.Aim.OPPORTUNITIES),
        ],
        activities=[
            ActivityRow(0, 0, (-1, 20), K.JOINT_PROFESSIONAL_DEVELOPMENT, (TEACHERS,),
                        "Training on adapting lessons for pupils with additional needs", PLANNED),
            ActivityRow(0, 1, (-2, 15), K.OPEN_LESSONS, (PUPILS, TEACHERS),
                        "Mainstream science lessons open to special-school pupils", PLANNED),
        ],
        factors=[
            FactorRow(v.FactorKind.BARRIER, v.Barrier.COMMON_FREE_TIME, 1, (0, demo.today.day),
                      "The proposed afternoons fall in the mainstream school's examination weeks.",
                      "Offer dates after the summer examinations.", v.Severity.HIGH),
        ],
    )
    # fmt: on
    lifecycle.partnership_invite(actor=coordinator, partnership=partnership)
    demo.consent(partnership, members[0], v.Decision.ACCEPTED)
    demo.consent(
        partnership,
        members[1],
        v.Decision.DECLINED,
        "We support the aim, but the afternoons proposed clash with our examination timetable. We would "
        "accept a version that starts after the summer examinations.",
    )
    return partnership


def _low_frequency(demo: _Demo, schools: Sequence[Organisation]) -> Partnership:
    """Active: three small rural schools whose teachers meet now and then (suggested level 3)."""
    proposer = demo.leader(schools[0])
    partnership, members = demo.propose(
        proposer,
        "Small rural schools teaching circle",
        "Teachers of mixed-age classes in three small village schools meet online to plan together and "
        "visit each other's classes.",
        [
            MemberSpec(schools[0], LEAD, INITIATOR, commitment_time="One online meeting a term"),
            MemberSpec(schools[1], PARTNER, EXECUTOR, commitment_staff="All class teachers"),
            MemberSpec(schools[2], SUPPORTED, EXECUTOR, engagement=v.Engagement.PASSIVE),
        ],
        model=v.Model.PEER_CLUSTER,
        motives=[v.Motive.ECONOMY, v.Motive.TEACHING_QUALITY],
        reasons=[v.Reason.NEW_CONNECTIONS, v.Reason.TEACHER_DEVELOPMENT],
        lead_body=v.LeadBody.SCHOOLS,
        issue_focus=v.IssueFocus.PEDAGOGICAL,
        initiative=v.Initiative.VOLUNTARY,
        duration=v.Duration.ONGOING,
        starts_on=demo.day((8, 1)),
        geography=v.Geography.CROSS_CUTTING,
        mode=v.Mode.ONLINE,
        governance=v.Governance.DEVOLVED,
        frequency=v.Frequency.TERMLY,
        follow_up=v.FollowUp.OCCASIONAL,
        entry_unit=v.EntryUnit.INDIVIDUAL,
    )
    lifecycle.person_add(actor=proposer, member=members[0], user=proposer, role=v.PersonRole.COORDINATOR)
    # The network's coordinator follows this partnership too (a network coordinator belongs to no school).
    lifecycle.person_add(
        actor=proposer, member=members[0], user=demo.login[Role.COORDINATOR], role=v.PersonRole.COORDINATOR
    )
    demo.activate(proposer, partnership, members)
    # fmt: off
    record = demo.fill(
        proposer, partnership, members,
        goals=[
            GoalRow("Teachers of mixed-age classes are less isolated", v.Motive.TEACHING_QUALITY,
                    v.Horizon.SHORT, v.Aim.ACHIEVEMENT, "Each teacher has colleagues in the same situation."),
            GoalRow("Lower costs by buying and borrowing together", v.Motive.ECONOMY, v.Horizon.MEDIUM,
                    v.Aim.RESOURCES),
        ],
        activities=[
            ActivityRow(0, 0, (7, 15), K.ONLINE_COMMUNITY, (TEACHERS,),
                        "First online meeting of mixed-age class teachers"),
            ActivityRow(0, 1, (5, 11), K.VISITS_OBSERVATIONS, (TEACHERS,),
                        "Visit to a mixed-age class in a partner school"),
            ActivityRow(0, 0, (2, 17), K.JOINT_PROFESSIONAL_DEVELOPMENT, (TEACHERS,),
                        "Short online course on planning for mixed-age classes"),
            ActivityRow(0, 0, (-1, 15), K.ONLINE_COMMUNITY, (TEACHERS,),
                        "Online meeting on reading assessment", PLANNED),
            ActivityRow(1, 1, (-2, 5), K.JOINT_PURCHASING, (LEADERS,),
                        "One order of class reading books for the three schools", PLANNED),
        ],
        targets=[TargetRow(0, "reading_attainment", None, 2.0)],
        factors=[
            FactorRow(v.FactorKind.FACILITATOR, v.Facilitator.PERSONAL_COMMITMENT, None, (6, 2),
                      "A few teachers keep the meetings going on their own time."),
            FactorRow(v.FactorKind.BARRIER, v.Barrier.ONLINE_CONNECTION, 0, (7, 16),
                      "One school's connection drops during video calls.",
                      "The host records each meeting and shares short notes afterwards.",
                      status=v.FactorStatus.MITIGATING),
            FactorRow(v.FactorKind.BARRIER, v.Barrier.WORKLOAD, None, (3, 9),
                      "Teachers of mixed-age classes cover many subjects and have little time left.",
                      "Meetings last forty-five minutes, with the agenda sent ahead.", v.Severity.HIGH),
        ],
    )
    # fmt: on
    demo.assess(
        proposer,
        partnership,
        (4, 27),
        v.ContinuumLevel.LIMITED,
        "Two contacts so far, both between teachers. Pupils have not met yet.",
        record,
    )
    return partnership


def _collegial(demo: _Demo, primary: Organisation) -> Partnership:
    """Active: a secondary school, a primary school and the university work together each month (level 5)."""
    secondary = demo.teacher_school
    coordinator = demo.leader(secondary)
    partnership, members = demo.propose(
        coordinator,
        _named(secondary, "science and mathematics partnership"),
        "A secondary school, a neighbouring primary school and a university plan lessons together, "
        "teach mixed groups of pupils and look at what works, around a monthly planning meeting.",
        [
            MemberSpec(secondary, HOST, INITIATOR, commitment_resources="Science laboratories"),
            MemberSpec(primary, PARTNER, EXECUTOR, commitment_time="One afternoon a month"),
            MemberSpec(
                demo.partners["UNI-1"],
                EXTERNAL,
                SUPPORTER,
                commitment_staff="A researcher in mathematics education",
            ),
        ],
        model=v.Model.SCHOOL_UNIVERSITY,
        motives=[v.Motive.TEACHING_QUALITY, v.Motive.STUDENTS, v.Motive.ECONOMY],
        reasons=[v.Reason.RESEARCH, v.Reason.CO_CREATION, v.Reason.QUALITY],
        lead_body=v.LeadBody.SCHOOLS,
        external_parties=[v.ExternalParty.ACADEMIC_TEAM],
        issue_focus=v.IssueFocus.PEDAGOGICAL,
        initiative=v.Initiative.VOLUNTARY,
        duration=v.Duration.ONGOING,
        starts_on=demo.day((12, 1)),
        geography=v.Geography.SAME_LOCALITY,
        mode=v.Mode.BLENDED,
        governance=v.Governance.LEAD_SCHOOL,
        frequency=v.Frequency.WEEKLY,
        follow_up=v.FollowUp.PERMANENT,
        entry_unit=v.EntryUnit.COLLECTIVE,
        review_dates=[demo.day((-3, 1)).isoformat(), demo.day((-9, 1)).isoformat()],
    )
    host, _, university = members
    for member, user, role in (
        (host, coordinator, v.PersonRole.COORDINATOR),
        (host, demo.login[Role.COORDINATOR], v.PersonRole.COORDINATOR),
        (host, demo.login[Role.TEACHER], v.PersonRole.CONTACT),
        (university, demo.login[Role.EXTERNAL_PARTNER], v.PersonRole.CONTACT),
    ):
        lifecycle.person_add(actor=coordinator, member=member, user=user, role=role)
    demo.activate(coordinator, partnership, members)
    lifecycle.partnership_approve(actor=demo.login[Role.ADMIN], partnership=partnership)
    # Forums in five months, pupils in five, knowledge shared twice, one kind of shared resource, no
    # authority: the record suggests a culture of collegiality, not yet a symbiotic partnership.
    # fmt: off
    record = demo.fill(
        coordinator, partnership, members,
        goals=[
            GoalRow("Raise attainment through planning and teaching together", v.Motive.TEACHING_QUALITY,
                    v.Horizon.MEDIUM, v.Aim.ACHIEVEMENT,
                    "Teachers of both schools plan units together and watch each other teach."),
            GoalRow("Pupils learn regularly with pupils of the partner school", v.Motive.STUDENTS,
                    v.Horizon.SHORT, v.Aim.OPPORTUNITIES),
            GoalRow("Share specialist rooms and staff", v.Motive.ECONOMY, v.Horizon.LONG, v.Aim.RESOURCES,
                    "The primary school uses the laboratories; a specialist teacher works in both schools."),
        ],
        activities=[
            ActivityRow(0, 0, (11, 9), K.JOINT_PLANNING, (LEADERS, TEACHERS),
                        "Planning meeting: fractions and ratio"),
            ActivityRow(0, 2, (10, 14), K.JOINT_PROFESSIONAL_DEVELOPMENT, (TEACHERS,),
                        "Training day on questioning in mathematics"),
            ActivityRow(0, 1, (9, 20), K.VISITS_OBSERVATIONS, (TEACHERS,),
                        "Lesson observations in both schools"),
            ActivityRow(1, 0, (9, 22), K.JOINT_LESSONS, (PUPILS, TEACHERS),
                        "Joint science lessons in the secondary laboratories"),
            ActivityRow(0, 0, (8, 9), K.JOINT_PLANNING, (LEADERS, TEACHERS),
                        "Planning meeting: getting ready for algebra"),
            ActivityRow(0, 0, (7, 16), K.JOINT_MATERIALS, (TEACHERS,),
                        "Shared bank of problem-solving tasks"),
            ActivityRow(0, 2, (6, 12), K.JOINT_PROFESSIONAL_DEVELOPMENT, (TEACHERS,),
                        "Twilight session with the university on feedback"),
            ActivityRow(1, 1, (6, 18), K.JOINT_LESSONS, (PUPILS, TEACHERS),
                        "Mixed-age mathematics workshop"),
            ActivityRow(0, 0, (5, 9), K.JOINT_PLANNING, (LEADERS, TEACHERS),
                        "Planning meeting: reviewing a sample of pupils' work"),
            ActivityRow(0, 2, (5, 26), K.VISITS_OBSERVATIONS, (TEACHERS,),
                        "Visit to the university's open day", CANCELLED,
                        "Cancelled because of staff illness; moved to next year."),
            ActivityRow(0, 1, (4, 21), K.INFORMATION_SHARING, (LEADERS, TEACHERS),
                        "Pupil progress summaries exchanged before transfer"),
            ActivityRow(1, 1, (4, 25), K.STUDENT_EVENT, (PUPILS, PARENTS, TEACHERS),
                        "Family mathematics evening"),
            ActivityRow(1, 0, (3, 10), K.JOINT_LESSONS, (PUPILS, TEACHERS),
                        "Joint investigation lessons"),
            ActivityRow(2, 0, (3, 24), K.SHARED_FACILITIES, (PUPILS, TEACHERS),
                        "Primary classes use the secondary laboratory"),
            ActivityRow(0, 0, (2, 9), K.JOINT_PLANNING, (LEADERS, TEACHERS),
                        "Planning meeting: next year's calendar"),
            ActivityRow(0, 0, (1, 12), K.JOINT_COUNCIL, (LEADERS, TEACHERS),
                        "Joint staff council on assessment"),
            ActivityRow(1, 0, (1, 19), K.PUPIL_HELP, (PUPILS,),
                        "Older pupils coach younger ones in problem solving"),
            ActivityRow(1, 0, (-2, 6), K.STUDENT_EVENT, (PUPILS, TEACHERS, PARENTS),
                        "Summer transition week", PLANNED),
            ActivityRow(2, 0, (-4, 1), K.SHARED_STAFF, (TEACHERS, LEADERS),
                        "A specialist mathematics teacher shared by both schools", PLANNED),
        ],
        targets=[
            TargetRow(0, "exam_pass_rate", 0, 5.0),
            TargetRow(0, "reading_attainment", 1, 3.0),
        ],
        factors=[
            FactorRow(v.FactorKind.FACILITATOR, v.Facilitator.PRIOR_ACQUAINTANCE, None, (11, 3),
                      "The two head teachers had run a project together before."),
            FactorRow(v.FactorKind.FACILITATOR, v.Facilitator.STRONG_LEADERSHIP, None, (8, 10),
                      "Both leadership teams give the planning meeting protected time."),
            FactorRow(v.FactorKind.BARRIER, v.Barrier.COMMON_FREE_TIME, 0, (10, 2),
                      "The schools' timetables left no shared free hour for planning.",
                      "The planning meeting moved to the afternoon when both schools finish early.",
                      status=v.FactorStatus.RESOLVED, resolved=(9, 1)),
            FactorRow(v.FactorKind.BARRIER, v.Barrier.TRANSPORT, 1, (4, 3),
                      "Getting primary pupils to the laboratories takes a bus for most groups.",
                      "Small groups walk with staff; the authority's minibus is booked for whole classes.",
                      v.Severity.HIGH, v.FactorStatus.MITIGATING),
        ],
    )
    # fmt: on
    demo.assess(
        coordinator,
        partnership,
        (7, 27),
        v.ContinuumLevel.LOW_FREQUENCY,
        "Teachers meet to plan and have observed each other's lessons; pupils have had one joint lesson.",
        record,
    )
    notes = (
        b"Planning meeting notes\n\n"
        b"Present: the mathematics leads of both schools and a university researcher.\n"
        b"Agreed: one joint unit a term, observation pairs for the spring, a shared task bank.\n"
    )
    demo.assess(
        coordinator,
        partnership,
        (3, 27),
        v.ContinuumLevel.SUSTAINED,
        "Joint lessons now happen every few months and the planning meeting is in both calendars. The "
        "leaders want a second standing forum before claiming more.",
        record,
        files=[plan.Upload("planning-meeting-notes.txt", "text/plain", notes)],
    )
    return partnership


def _paused(demo: _Demo, middle: Organisation, all_through: Organisation) -> Partnership:
    """Active for a while, then paused while the museum's rooms are closed."""
    coordinator = demo.login[Role.COORDINATOR]
    partnership, members = demo.propose(
        coordinator,
        "Museum science workshops",
        "The museum runs hands-on science workshops for two schools and lends them object boxes with "
        "lesson notes.",
        [
            MemberSpec(
                demo.partners["MUS-1"],
                EXTERNAL,
                INITIATOR,
                commitment_resources="Workshop rooms and loan boxes",
            ),
            MemberSpec(middle, PARTNER, EXECUTOR, commitment_staff="Two science teachers"),
            MemberSpec(all_through, PARTNER, EXECUTOR, engagement=v.Engagement.NON_COMMITTAL),
        ],
        model=v.Model.SUBJECT_HUB,
        motives=[v.Motive.STUDENTS],
        reasons=[v.Reason.PROJECT],
        lead_body=v.LeadBody.FOUNDATION,
        external_parties=[v.ExternalParty.NGO],
        issue_focus=v.IssueFocus.PEDAGOGICAL,
        initiative=v.Initiative.INCENTIVISED,
        duration=v.Duration.FIXED_TERM,
        starts_on=demo.day((7, 1)),
        ends_on=demo.day((-5, 28)),
        geography=v.Geography.NATIONAL,
        mode=v.Mode.FACE_TO_FACE,
        governance=v.Governance.CENTRALISED,
        frequency=v.Frequency.OCCASIONAL,
        follow_up=v.FollowUp.OCCASIONAL,
        entry_unit=v.EntryUnit.COLLECTIVE,
    )
    lifecycle.person_add(
        actor=coordinator, member=members[1], user=demo.leader(middle), role=v.PersonRole.COORDINATOR
    )
    demo.activate(coordinator, partnership, members)
    # fmt: off
    demo.fill(
        coordinator, partnership, members,
        goals=[GoalRow("Hands-on science beyond the classroom", v.Motive.STUDENTS, v.Horizon.SHORT,
                       v.Aim.OPPORTUNITIES)],
        activities=[
            ActivityRow(0, 0, (6, 14), K.VISITS_OBSERVATIONS, (PUPILS, TEACHERS),
                        "Workshop day at the museum"),
            ActivityRow(0, 0, (5, 8), K.JOINT_MATERIALS, (TEACHERS,),
                        "Loan boxes with shared lesson notes"),
            ActivityRow(0, 1, (4, 19), K.STUDENT_EVENT, (PUPILS, PARENTS, TEACHERS),
                        "Joint science fair"),
            ActivityRow(0, 2, (-2, 10), K.VISITS_OBSERVATIONS, (PUPILS, TEACHERS),
                        "Engineering gallery visit", PLANNED),
        ],
        factors=[
            FactorRow(v.FactorKind.BARRIER, v.Barrier.FREE_SPACE, 0, (1, 5),
                      "The museum's workshop rooms are closed for building work.", severity=v.Severity.HIGH),
        ],
    )
    # fmt: on
    lifecycle.partnership_transition(
        actor=coordinator,
        partnership=partnership,
        to=v.State.PAUSED,
        note="The museum's workshop rooms are closed for building work; the workshops start again when "
        "the rooms reopen.",
    )
    return partnership


def _ended(demo: _Demo, sixth_form: Organisation, other: Organisation) -> Partnership:
    """A fixed-term equipment partnership with a company that ran its course and was closed."""
    admin = demo.login[Role.ADMIN]
    partnership, members = demo.propose(
        admin,
        "Shared engineering workshop",
        "Two schools bought workshop machines together and had them serviced by a local engineering firm, "
        "with pupils of both schools using the workshop.",
        [
            MemberSpec(sixth_form, LEAD, INITIATOR, commitment_resources="Workshop space"),
            MemberSpec(other, SUPPORTED, EXECUTOR, commitment_resources="A share of the purchase"),
            MemberSpec(demo.partners["BUS-1"], EXTERNAL, SUPPORTER, commitment_resources="Servicing at cost"),
        ],
        model=v.Model.PUBLIC_PRIVATE,
        motives=[v.Motive.ECONOMY],
        reasons=[v.Reason.SCALE, v.Reason.WORKPLACE_LEARNING],
        lead_body=v.LeadBody.LOCAL_AUTHORITY,
        external_parties=[v.ExternalParty.LOCAL_AUTHORITY],
        issue_focus=v.IssueFocus.ORGANISATIONAL,
        initiative=v.Initiative.INCENTIVISED,
        duration=v.Duration.FIXED_TERM,
        starts_on=demo.day((14, 1)),
        ends_on=demo.day((1, 28)),
        geography=v.Geography.SAME_LOCALITY,
        mode=v.Mode.FACE_TO_FACE,
        governance=v.Governance.UMBRELLA_BODY,
        frequency=v.Frequency.YEARLY,
        follow_up=v.FollowUp.OCCASIONAL,
        entry_unit=v.EntryUnit.COLLECTIVE,
    )
    demo.activate(admin, partnership, members)
    lifecycle.partnership_approve(actor=admin, partnership=partnership)
    # fmt: off
    demo.fill(
        admin, partnership, members,
        goals=[GoalRow("Buy and maintain workshop equipment together", v.Motive.ECONOMY, v.Horizon.SHORT,
                       v.Aim.RESOURCES)],
        activities=[
            ActivityRow(0, 0, (11, 6), K.JOINT_PURCHASING, (LEADERS, AUTHORITY),
                        "One order for the workshop machines"),
            ActivityRow(0, 1, (10, 3), K.JOINT_FUNDING, (LEADERS,),
                        "Pooled budget for servicing"),
            ActivityRow(0, 0, (7, 13), K.SHARED_FACILITIES, (PUPILS, TEACHERS),
                        "Pupils of both schools use the workshop"),
            ActivityRow(0, 0, (2, 4), K.JOINT_PLANNING, (LEADERS, AUTHORITY),
                        "Closing review"),
        ],
        factors=[
            FactorRow(v.FactorKind.BARRIER, v.Barrier.LACK_OF_FUNDS, 2, (4, 15),
                      "The servicing budget ran out before the end of the second year.",
                      "The authority's purchasing framework covers servicing from next year.",
                      status=v.FactorStatus.RESOLVED, resolved=(2, 4)),
        ],
    )
    # fmt: on
    lifecycle.partnership_transition(
        actor=admin,
        partnership=partnership,
        to=v.State.ENDED,
        note="The agreed term is over. Both schools now buy and service equipment through the authority's "
        "framework, so they closed the partnership after a final review.",
    )
    return partnership
