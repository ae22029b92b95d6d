"""The partnership typology and the other vocabularies of partnerships, as translatable choices.

Every value comes from the domain vocabularies of the research texts (``docs/typology.md`` gives each
value's definition and where it comes from): the typology of inter-school collaboration (models, the
sharing continuum, goals and activities by horizon, initiative, lead body, external party, duration,
geography, size, facilitators, barriers), the actor framework of collective learning (actor roles,
motives by task, relation and growth, the entry polarities, place and rhythm of working together) and
the network models and forms of interaction of leader and low-result schools. Codes are stable: they
are stored, exported and sent through the API; labels are translated.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class State(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("partnership state", "Proposed")
    INVITED = "invited", pgettext_lazy("partnership state", "Invited")
    ACTIVE = "active", pgettext_lazy("partnership state", "Active")
    PAUSED = "paused", pgettext_lazy("partnership state", "Paused")
    ENDED = "ended", pgettext_lazy("partnership state", "Ended")


# The transitions a person may ask for; invited → active happens only through the last consent.
TRANSITIONS: dict[str, frozenset[str]] = {
    State.PROPOSED: frozenset({State.INVITED, State.ENDED}),
    State.INVITED: frozenset({State.INVITED, State.ENDED}),
    State.ACTIVE: frozenset({State.PAUSED, State.ENDED}),
    State.PAUSED: frozenset({State.ACTIVE, State.ENDED}),
    State.ENDED: frozenset(),
}


class MemberRole(models.TextChoices):
    LEAD = "lead", pgettext_lazy("member role", "Lead")
    HOST = "host", pgettext_lazy("member role", "Host")
    PARTNER = "partner", pgettext_lazy("member role", "Partner")
    SUPPORTED = "supported", pgettext_lazy("member role", "Supported")
    EXTERNAL_PARTNER = "external_partner", pgettext_lazy("member role", "External partner")


class ActorRole(models.TextChoices):
    """Who starts, who carries out and who helps (the actor roles of collective learning)."""

    INITIATOR = "initiator", _("Initiator")
    EXECUTOR = "executor", _("Executor")
    SUPPORTER = "supporter", _("Supporter")


class Engagement(models.TextChoices):
    NON_COMMITTAL = "non_committal", _("Non-committal")
    PASSIVE = "passive", pgettext_lazy("engagement", "Passive")
    ACTIVE = "active", pgettext_lazy("engagement", "Active")


class PersonRole(models.TextChoices):
    COORDINATOR = "coordinator", pgettext_lazy("person role", "Coordinator")
    CONTACT = "contact", pgettext_lazy("person role", "Contact")


class Model(models.TextChoices):
    """Partnership models: the four federation models, the other structures and the network models."""

    MULTI_PHASE_FEDERATION = "multi_phase_federation", _("Multi-phase federation")
    HIGH_LOW_FEDERATION = "high_low_federation", _("High- with low-performing schools")
    SPECIAL_MAINSTREAM = "special_mainstream", _("Special with mainstream schools")
    CHAIN_OR_NETWORK = "chain_or_network", _("Chain or named network of schools")
    CROSS_COMMUNITY = "cross_community", _("Cross-community partnership")
    PEER_CLUSTER = "peer_cluster", _("Peer cluster")
    SCHOOL_UNIVERSITY = "school_university", _("School–university partnership")
    SCHOOL_COMMUNITY = "school_community", _("School–community organisation (social partnership)")
    LEADER_SCHOOL_NETWORK = "leader_school_network", _("Vertical network led by a leader school")
    DISTRICT_AGREEMENT = "district_agreement", _("School district under a cooperation agreement")
    DISTRICT_PROGRAMMES = "district_programmes", _("School district delivering joint network programmes")
    INNOVATION_INFRASTRUCTURE = (
        "innovation_infrastructure",
        _("Innovation infrastructure spreading experience"),
    )
    PUBLIC_PRIVATE = "public_private", _("Public–private service partnership")
    JOINT_PUBLIC_CONTROL = "joint_public_control", _("Joint control by public bodies")
    REGIONAL_SPECIALIST_CENTRE = "regional_specialist_centre", _("Regional centre of specialist schools")
    UMBRELLA = "umbrella", _("Umbrella organisation with joint management")
    SHARED_CAMPUS = "shared_campus", _("Shared campus")
    HUB_AND_SPOKE = "hub_and_spoke", _("Hub and spoke")
    TWIN_SCHOOLS = "twin_schools", _("Twin schools")
    SUBJECT_HUB = "subject_hub", _("Subject hub")


class Motive(models.TextChoices):
    POLICY = "policy", pgettext_lazy("motive", "Policy")
    STUDENTS = "students", pgettext_lazy("motive", "Students")
    ECONOMY = "economy", _("Economy and efficiency")
    TEACHING_QUALITY = "teaching_quality", _("Teaching quality")


class Reason(models.TextChoices):
    """Why the actors work together, by task, relation and growth (optional detail of the motives)."""

    PUPIL_CARE = "pupil_care", _("Task: generalist care and pupil guidance")
    WORKPLACE_LEARNING = "workplace_learning", _("Task: workplace and dual learning, internships")
    CONTENT_DESIGN = (
        "content_design",
        _("Task: exchanging and designing teaching content, aligned learning lines"),
    )
    PROJECT = "project", _("Task: a temporary or international project")
    RESEARCH = "research", _("Task: acting as a researching professional")
    STATUTORY = "statutory", _("Task: meeting statutory requirements")
    INCENTIVISED = "incentivised", _("Relation: networking that is rewarded or required")
    NEW_CONNECTIONS = "new_connections", _("Relation: new connections for isolated teachers")
    CO_CREATION = "co_creation", _("Relation: connecting people and know-how to create together")
    FALL_BACK = "fall_back", _("Relation: a network to fall back on")
    INNOVATION = "innovation", _("Growth: lasting innovation and change")
    SCALE = "scale", _("Growth: administrative optimisation and scale")
    TEACHER_DEVELOPMENT = "teacher_development", _("Growth: teacher professional development")
    QUALITY = "quality", _("Growth: quality development")
    ACHIEVEMENT = "achievement", _("Growth: higher pupil achievement")


class LeadBody(models.TextChoices):
    GOVERNMENT = "government", _("Government")
    LOCAL_AUTHORITY = "local_authority", _("Local authority")
    FOUNDATION = "foundation", _("Organisation or philanthropic foundation")
    SCHOOLS = "schools", _("The schools themselves")


class ExternalParty(models.TextChoices):
    LOCAL_AUTHORITY = "local_authority", _("Local authority")
    MINISTRY_UNIT = "ministry_unit", _("Ministry unit (education, health or welfare)")
    NGO = "ngo", _("Non-profit organisation")
    ACADEMIC_TEAM = "academic_team", _("Academic research team")


class IssueFocus(models.TextChoices):
    SOCIAL = "social", _("Social issue")
    PEDAGOGICAL = "pedagogical", _("Pedagogical or professional issue")
    ORGANISATIONAL = "organisational", _("Organisational issue")


class Initiative(models.TextChoices):
    VOLUNTARY = "voluntary", _("Voluntary, started by the schools")
    INCENTIVISED = "incentivised", _("Incentivised by funding")
    MANDATED = "mandated", _("Mandated by an authority")


class Duration(models.TextChoices):
    ONGOING = "ongoing", _("Ongoing")
    FIXED_TERM = "fixed_term", _("Fixed term")
    AD_HOC = "ad_hoc", _("Ad hoc, around one topic")


class Geography(models.TextChoices):
    SAME_LOCALITY = "same_locality", _("Same locality")
    CROSS_CUTTING = "cross_cutting", _("Cross-cutting (thematic)")
    NATIONAL = "national", _("National")
    INTERNATIONAL = "international", _("International")
    CROSS_PHASE_LOCAL = "cross_phase_local", _("Cross-phase local")


class Mode(models.TextChoices):
    FACE_TO_FACE = "face_to_face", _("Face-to-face")
    ONLINE = "online", _("Online")
    BLENDED = "blended", _("Blended")


class Size(models.TextChoices):
    """Derived from the number of member schools, never entered."""

    SINGLE = "single", _("One school")
    PAIR = "pair", _("Pair")
    TRIAD = "triad", _("Triad")
    EXTENDED = "extended", _("Extended (four or more schools)")
    VERY_LARGE = "very_large", _("Very large (twenty or more schools)")


VERY_LARGE_FROM = 20


def size_of(schools: int) -> str:
    if schools >= VERY_LARGE_FROM:
        return Size.VERY_LARGE
    if schools >= 4:
        return Size.EXTENDED
    return {3: Size.TRIAD, 2: Size.PAIR}.get(schools, Size.SINGLE)


class Governance(models.TextChoices):
    LEAD_SCHOOL = "lead_school", _("Run by a lead school")
    SHARED = "shared", _("Single or shared governance structure")
    CENTRALISED = "centralised", _("Centralised management")
    DEVOLVED = "devolved", _("Less centralised management")
    UMBRELLA_BODY = "umbrella_body", _("Umbrella body with shared administration")
    EXTERNAL_BODY = "external_body", _("Run by an authority or external body")


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    FORTNIGHTLY = "fortnightly", _("Every two weeks")
    MONTHLY = "monthly", _("Monthly")
    TERMLY = "termly", _("Once a term")
    YEARLY = "yearly", _("Once a year")
    OCCASIONAL = "occasional", _("Occasionally")


class FollowUp(models.TextChoices):
    PERMANENT = "permanent", _("Permanent follow-up structure")
    OCCASIONAL = "occasional", _("Occasional follow-up")


class EntryUnit(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual entry")
    COLLECTIVE = "collective", _("Collective entry")


class Aim(models.TextChoices):
    ACHIEVEMENT = "achievement", _("Improve school achievement")
    OPPORTUNITIES = "opportunities", _("Broaden opportunities and services")
    RESOURCES = "resources", _("Mobilise and use resources")


class Horizon(models.TextChoices):
    SHORT = "short", _("Short term (up to a year)")
    MEDIUM = "medium", _("Medium term (one to three years)")
    LONG = "long", _("Long term (over three years)")


class ActivityType(models.TextChoices):
    """Activity types of the action plan; the continuum reads them by group (see ``continuum.py``)."""

    JOINT_PROFESSIONAL_DEVELOPMENT = "joint_professional_development", _("Joint professional development")
    INFORMATION_SHARING = "information_sharing", _("Information sharing")
    ADVICE_FORUM = "advice_forum", _("Advice forum")
    JOINT_MATERIALS = "joint_materials", _("Joint materials and teaching strategies")
    VISITS_OBSERVATIONS = "visits_observations", _("Visits and observations")
    JOINT_PROJECT = "joint_project", _("Joint project or event")
    TEACHER_COMMUNITY = "teacher_community", _("Local teacher learning community")
    ONLINE_COMMUNITY = "online_community", _("Online learning community")
    JOINT_COUNCIL = "joint_council", _("Joint teachers' council")
    PARENT_MEETING = "parent_meeting", _("Joint parent meeting")
    STUDENT_EVENT = "student_event", _("Joint pupil event")
    JOINT_LESSONS = "joint_lessons", _("Joint lessons for pupils")
    OPEN_LESSONS = "open_lessons", _("Lessons open to partner pupils")
    PUPIL_HELP = "pupil_help", _("Pupil-to-pupil help")
    PUPIL_ONLINE = "pupil_online", _("Online pupil networking")
    JOINT_CURRICULUM = "joint_curriculum", _("Joint curriculum and programmes")
    JOINT_ASSESSMENT = "joint_assessment", _("Common assessment")
    TEACHER_APPRAISAL = "teacher_appraisal", _("Common approach to teacher appraisal")
    TEACHER_EXCHANGE = "teacher_exchange", _("Teacher exchange and demonstration")
    LEADERSHIP_SUPPORT = "leadership_support", _("Leadership mutual support")
    LEADERSHIP_DEVELOPMENT = "leadership_development", _("Joint leadership development")
    JOINT_MONITORING = "joint_monitoring", _("Joint monitoring systems")
    JOINT_PLANNING = "joint_planning", _("Joint planning meeting")
    SHARED_FACILITIES = "shared_facilities", _("Shared facilities and equipment")
    SHARED_STAFF = "shared_staff", _("Shared staff")
    JOINT_PURCHASING = "joint_purchasing", _("Joint purchasing")
    JOINT_FUNDING = "joint_funding", _("Pooled funding")
    JOINT_RECRUITMENT = "joint_recruitment", _("Joint teacher recruitment")


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("activity status", "Planned")
    IN_PROGRESS = "in_progress", pgettext_lazy("activity status", "In progress")
    DONE = "done", pgettext_lazy("activity status", "Done")
    CANCELLED = "cancelled", pgettext_lazy("activity status", "Cancelled")


class Participant(models.TextChoices):
    LEADERS = "leaders", _("School leaders")
    TEACHERS = "teachers", _("Teachers")
    PUPILS = "pupils", _("Pupils")
    PARENTS = "parents", _("Parents")
    AUTHORITY = "authority", _("The authority")


class ContinuumLevel(models.IntegerChoices):
    ISOLATED = 1, _("Isolated")
    LIMITED = 2, _("Limited partnership")
    LOW_FREQUENCY = 3, _("Low-frequency partnership")
    SUSTAINED = 4, _("Sustained, regular collaboration")
    COLLEGIALITY = 5, _("Culture of collegiality")
    SYMBIOTIC = 6, _("Symbiotic partnership")


class FactorKind(models.TextChoices):
    FACILITATOR = "facilitator", _("Facilitator")
    BARRIER = "barrier", _("Barrier")


class Facilitator(models.TextChoices):
    STRONG_LEADERSHIP = "strong_leadership", _("Strong, committed leadership")
    STRUCTURE_AND_PLAN = "structure_and_plan", _("Established structure with an action plan")
    REFLECTIVE_PROCESSES = "reflective_processes", _("Reflective processes")
    GROUP_COHESION = "group_cohesion", _("Group cohesion")
    COLLEGIALITY = "collegiality", _("Collegiality")
    MUTUAL_TRUST = "mutual_trust", _("Mutual trust among leadership teams")
    INTERPERSONAL_RELATIONS = "interpersonal_relations", _("Interpersonal relations")
    SHARED_VISION = "shared_vision", _("Shared vision and goals")
    PRIOR_ACQUAINTANCE = "prior_acquaintance", _("Prior acquaintance and joint work")
    PERSONAL_COMMITMENT = "personal_commitment", _("Personal commitment")
    PUPIL_PARENT_SUPPORT = "pupil_parent_support", _("Support of pupils and parents")
    STAFF_SUPPORT = "staff_support", _("Support of the teaching staff")
    COMMUNITY_SUPPORT = "community_support", _("Support of the local community")
    AUTHORITY_SUPPORT = "authority_support", _("Help from the authority")
    POLICY_SUPPORT = "policy_support", _("Government policy and support")
    FUNDING = "funding", _("Funding")
    KNOWLEDGE_INFRASTRUCTURE = "knowledge_infrastructure", _("Shared knowledge infrastructure")


class Barrier(models.TextChoices):
    POWER_RELATIONS = "power_relations", _("Power relations")
    THREAT_TO_AUTONOMY = "threat_to_autonomy", _("Threat to autonomy")
    THREAT_TO_IDENTITY = "threat_to_identity", _("Threat to a school's identity")
    COMPETITION = "competition", _("Competition between schools")
    UNEQUAL_LEADERSHIP = "unequal_leadership", _("Unequal leadership")
    RESOURCES = "resources", _("Lack of resources")
    LACK_OF_FUNDS = "lack_of_funds", _("Lack of funds")
    WORKLOAD = "workload", _("Heavy workload")
    WASTED_TIME = "wasted_time", _("Feeling of wasted time")
    NO_SHARED_VISION = "no_shared_vision", _("No shared vision")
    TECHNICAL = "technical", _("Technical obstacles")
    TRANSPORT = "transport", _("Pupil transport")
    COMMON_FREE_TIME = "common_free_time", _("Finding common free time")
    FREE_SPACE = "free_space", _("Finding free space")
    UNCLEAR_POWER_SHARING = "unclear_power_sharing", _("Unclear division of power")
    UNCLEAR_GOVERNANCE = "unclear_governance", _("Unclear governance")
    UNCLEAR_ROLES = "unclear_roles", _("Unclear roles and division of work")
    DAILY_PRESSURES = "daily_pressures", _("Leaders absorbed by daily running")
    PASSIVE_MEMBERS = "passive_members", _("Passive members or dropout")
    NO_LOCAL_BACKING = "no_local_backing", _("No local backing")
    ONLINE_CONNECTION = "online_connection", _("Trouble connecting online")


# Barriers by the four dimensions of the typology; the rest are obstacles named elsewhere in it.
BARRIER_GROUPS: dict[str, frozenset[str]] = {
    "power": frozenset(
        {"power_relations", "threat_to_autonomy", "threat_to_identity", "competition", "unequal_leadership"}
    ),
    "resources": frozenset({"resources", "lack_of_funds", "workload", "wasted_time"}),
    "vision": frozenset({"no_shared_vision"}),
    "technical": frozenset({"technical", "transport", "common_free_time", "free_space", "online_connection"}),
}


class Severity(models.TextChoices):
    LOW = "low", pgettext_lazy("severity", "Low")
    MEDIUM = "medium", pgettext_lazy("severity", "Medium")
    HIGH = "high", pgettext_lazy("severity", "High")


class FactorStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("factor status", "Open")
    MITIGATING = "mitigating", pgettext_lazy("factor status", "Being mitigated")
    RESOLVED = "resolved", pgettext_lazy("factor status", "Resolved")


class Decision(models.TextChoices):
    PENDING = "pending", pgettext_lazy("consent", "Awaiting decision")
    ACCEPTED = "accepted", pgettext_lazy("consent", "Accepted")
    DECLINED = "declined", pgettext_lazy("consent", "Declined")


# The typology dimensions of the network page: field name → (label, choices, several values?).
DIMENSIONS: dict[str, tuple[object, type[models.Choices], bool]] = {
    "model": (_("Model"), Model, False),
    "motives": (_("Motives"), Motive, True),
    "lead_body": (_("Lead body"), LeadBody, False),
    "external_parties": (_("External parties"), ExternalParty, True),
    "initiative": (_("Initiative"), Initiative, False),
    "duration": (_("Planned duration"), Duration, False),
    "geography": (_("Geography"), Geography, False),
    "mode": (_("Mode"), Mode, False),
    "size": (_("Size"), Size, False),
    "governance": (_("Governance"), Governance, False),
    "frequency": (_("Frequency of contact"), Frequency, False),
    "state": (_("State"), State, False),
}
