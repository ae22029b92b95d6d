"""Partnerships: members and people, consent, agreement versions, the action plan, maturity, factors."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from interschool.core.models import Network, Organisation
from interschool.core.models.base import TimestampedModel
from interschool.partnerships import vocabularies as v
from interschool.registry.models import Indicator


@deconstructible
class CodeList:
    """Validates a JSON list of codes of one vocabulary: known codes, each once."""

    def __init__(self, vocabulary: str) -> None:
        self.vocabulary = vocabulary

    def __call__(self, value: object) -> None:
        choices: type[models.Choices] = getattr(v, self.vocabulary)
        if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
            raise ValidationError(_("Give a list of codes."))
        unknown = [code for code in value if code not in choices.values]
        if unknown:
            raise ValidationError(
                _("Unknown codes: %(codes)s. Known: %(known)s."),
                params={"codes": ", ".join(unknown), "known": ", ".join(choices.values)},
            )
        if len(set(value)) != len(value):
            raise ValidationError(_("A code is listed twice."))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CodeList) and other.vocabulary == self.vocabulary

    def __hash__(self) -> int:
        return hash(self.vocabulary)


class Partnership(TimestampedModel):
    """A partnership of member organisations in one network, described by the typology."""

    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="partnerships", verbose_name=_("network")
    )
    name = models.CharField(_("name"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=v.State.choices, default=v.State.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_on = models.DateField(_("proposed on"))
    invited_on = models.DateField(_("invited on"), null=True, blank=True)
    activated_on = models.DateField(_("active since"), null=True, blank=True)
    paused_on = models.DateField(_("paused on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    state_note = models.TextField(
        _("reason for the last change of state"), blank=True, help_text=_("Why it was paused or ended.")
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    # The typology.
    model = models.CharField(_("model"), max_length=40, choices=v.Model.choices)
    motives = models.JSONField(_("motives"), default=list, validators=[CodeList("Motive")])
    reasons = models.JSONField(
        _("reasons (task, relation, growth)"),
        default=list,
        blank=True,
        validators=[CodeList("Reason")],
    )
    lead_body = models.CharField(_("lead body"), max_length=20, choices=v.LeadBody.choices)
    external_parties = models.JSONField(
        _("external parties"),
        default=list,
        blank=True,
        validators=[CodeList("ExternalParty")],
    )
    issue_focus = models.CharField(_("issue focus"), max_length=20, choices=v.IssueFocus.choices, blank=True)
    initiative = models.CharField(_("initiative"), max_length=20, choices=v.Initiative.choices)
    duration = models.CharField(_("planned duration"), max_length=20, choices=v.Duration.choices)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("planned end"), null=True, blank=True)
    geography = models.CharField(_("geography"), max_length=20, choices=v.Geography.choices)
    mode = models.CharField(_("mode"), max_length=20, choices=v.Mode.choices)
    size = models.CharField(
        _("size"), max_length=20, choices=v.Size.choices, default=v.Size.SINGLE, editable=False
    )
    governance = models.CharField(_("governance"), max_length=20, choices=v.Governance.choices, blank=True)
    frequency = models.CharField(
        _("frequency of contact"), max_length=20, choices=v.Frequency.choices, blank=True
    )
    follow_up = models.CharField(
        _("follow-up structure"), max_length=20, choices=v.FollowUp.choices, blank=True
    )
    entry_unit = models.CharField(_("entry"), max_length=20, choices=v.EntryUnit.choices, blank=True)
    review_dates = models.JSONField(
        _("review dates"),
        default=list,
        blank=True,
        help_text=_("Dates on which the partners review the agreement."),
    )
    # The number of the agreement content version the leaders are asked to consent to (0: none yet).
    consent_version = models.PositiveIntegerField(
        _("agreement version for consent"), default=0, editable=False
    )

    class Meta:
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        ordering = ("name", "pk")
        indexes = [
            models.Index(fields=["network", "state"]),
            models.Index(fields=["network", "model"]),
            models.Index(fields=["network", "name", "id"]),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.motives:
            raise ValidationError({"motives": _("Choose at least one motive.")})
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The planned end is before the start.")})
        if self.duration == v.Duration.FIXED_TERM and not self.ends_on:
            raise ValidationError({"ends_on": _("A fixed-term partnership needs a planned end.")})
        if not isinstance(self.review_dates, list) or not all(isinstance(d, str) for d in self.review_dates):
            raise ValidationError({"review_dates": _("Review dates must be a list of dates (YYYY-MM-DD).")})


class PartnershipMember(models.Model):
    """A member organisation with its role, actor role and commitments."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="members")
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="partnership_memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=20, choices=v.MemberRole.choices)
    actor_role = models.CharField(_("actor role"), max_length=20, choices=v.ActorRole.choices)
    engagement = models.CharField(
        _("engagement"), max_length=20, choices=v.Engagement.choices, default=v.Engagement.ACTIVE
    )
    commitment_time = models.CharField(_("time committed"), max_length=200, blank=True)
    commitment_staff = models.CharField(_("staff committed"), max_length=200, blank=True)
    commitment_resources = models.CharField(_("resources committed"), max_length=200, blank=True)
    joined_on = models.DateField(_("joined on"), auto_now_add=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ("partnership", "pk")
        constraints = [
            models.UniqueConstraint(fields=["partnership", "organisation"], name="partnership_member_once")
        ]

    def __str__(self) -> str:
        return str(self.organisation)


class PartnershipPerson(models.Model):
    """A person of a member organisation with a role in the partnership (coordinator, contact)."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="people")
    member = models.ForeignKey(PartnershipMember, on_delete=models.CASCADE, related_name="people")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="partnership_roles",
        verbose_name=_("person"),
    )
    role = models.CharField(_("role"), max_length=20, choices=v.PersonRole.choices)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ("partnership", "role", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "user", "role"], name="partnership_person_role_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class Consent(models.Model):
    """A member school leader's decision on one numbered version of the agreement."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="consents")
    member = models.ForeignKey(PartnershipMember, on_delete=models.CASCADE, related_name="consents")
    version = models.PositiveIntegerField(_("agreement version"))
    decision = models.CharField(
        _("decision"), max_length=10, choices=v.Decision.choices, default=v.Decision.PENDING
    )
    comment = models.TextField(_("comment"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by_name = models.CharField(_("decided by"), max_length=200, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ("partnership", "version", "member")
        constraints = [models.UniqueConstraint(fields=["member", "version"], name="consent_once_per_version")]

    def __str__(self) -> str:
        return f"{self.member} v{self.version}: {self.decision}"


class AgreementVersion(models.Model):
    """A numbered version of the agreement's content, frozen as JSON; renderings share its number."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="agreement_versions")
    number = models.PositiveIntegerField(_("version"))
    content = models.JSONField(_("content"))
    with_consents = models.BooleanField(_("includes the consent record"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by_name = models.CharField(_("created by"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("agreement version")
        verbose_name_plural = _("agreement versions")
        ordering = ("partnership", "number")
        constraints = [
            models.UniqueConstraint(fields=["partnership", "number"], name="agreement_version_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.partnership} v{self.number}"


class AgreementRendering(models.Model):
    """The PDF of one agreement version in one language, with its SHA-256 checksum."""

    version = models.ForeignKey(AgreementVersion, on_delete=models.CASCADE, related_name="renderings")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    pdf = models.BinaryField(_("PDF"))
    checksum = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("agreement rendering")
        verbose_name_plural = _("agreement renderings")
        constraints = [
            models.UniqueConstraint(fields=["version", "language"], name="agreement_rendering_once")
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.language})"


class Goal(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(_("goal"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    motive = models.CharField(_("motive"), max_length=20, choices=v.Motive.choices)
    horizon = models.CharField(_("horizon"), max_length=10, choices=v.Horizon.choices)
    aim = models.CharField(_("aim"), max_length=20, choices=v.Aim.choices, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ("partnership", "position", "pk")

    def __str__(self) -> str:
        return self.title


class PlanActivity(models.Model):
    """An activity of the action plan; done activities form the partnership's record (``record.py``)."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="activities")
    goal = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="activities", verbose_name=_("goal")
    )
    title = models.CharField(_("activity"), max_length=300)
    kind = models.CharField(_("type"), max_length=40, choices=v.ActivityType.choices)
    owner = models.ForeignKey(
        PartnershipMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_activities",
        verbose_name=_("owner"),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=v.ActivityStatus.choices, default=v.ActivityStatus.PLANNED
    )
    participants = models.JSONField(
        _("who takes part"), default=list, blank=True, validators=[CodeList("Participant")]
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("plan activity")
        verbose_name_plural = _("plan activities")
        ordering = ("partnership", "starts_on", "pk")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The activity ends before it starts.")})
        if self.goal_id and self.partnership_id and self.goal.partnership_id != self.partnership_id:
            raise ValidationError({"goal": _("The goal belongs to another partnership.")})
        if (
            self.owner is not None
            and self.partnership_id
            and self.owner.partnership_id != self.partnership_id
        ):
            raise ValidationError({"owner": _("The owner is not a member of this partnership.")})


class PlanIndicator(models.Model):
    """A registry indicator a goal is measured by, with baseline and target."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="indicators")
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="plan_targets", verbose_name=_("indicator")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("school"),
        help_text=_("Empty: across the member schools."),
    )
    baseline = models.FloatField(_("baseline"))
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"))
    target = models.FloatField(_("target"))
    target_year = models.PositiveSmallIntegerField(_("target year"))

    class Meta:
        verbose_name = _("plan indicator")
        verbose_name_plural = _("plan indicators")
        ordering = ("goal", "pk")

    def __str__(self) -> str:
        return f"{self.indicator}: {self.baseline} → {self.target}"

    def clean(self) -> None:
        if (
            self.target_year is not None
            and self.baseline_year is not None
            and self.target_year < self.baseline_year
        ):
            raise ValidationError({"target_year": _("The target year is before the baseline year.")})
        if (
            self.goal_id
            and self.indicator_id
            and self.indicator.network_id != self.goal.partnership.network_id
        ):
            raise ValidationError({"indicator": _("The indicator belongs to another network.")})


class Assessment(models.Model):
    """The coordinator's level on the sharing continuum at a date, with evidence and the suggested level."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="assessments")
    assessed_on = models.DateField(_("assessed on"))
    level = models.PositiveSmallIntegerField(_("level"), choices=v.ContinuumLevel.choices)
    evidence = models.TextField(_("evidence"), blank=True)
    links = models.JSONField(_("links"), default=list, blank=True)
    activities = models.ManyToManyField(
        PlanActivity, blank=True, related_name="assessments", verbose_name=_("activities")
    )
    # The suggestion from the record on the assessment date, kept as it was then.
    suggested_level = models.PositiveSmallIntegerField(_("suggested level"), choices=v.ContinuumLevel.choices)
    suggestion = models.JSONField(_("reasons for the suggestion"), default=dict)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assessed_by_name = models.CharField(_("assessed by"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("maturity assessment")
        verbose_name_plural = _("maturity assessments")
        ordering = ("partnership", "assessed_on", "pk")

    def __str__(self) -> str:
        return f"{self.partnership} {self.assessed_on}: {self.level}"


class EvidenceFile(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    content = models.BinaryField(_("content"))
    size = models.PositiveIntegerField(_("size in bytes"))
    checksum = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.name


class Factor(models.Model):
    """An entry of the facilitators and barriers log."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="factors")
    kind = models.CharField(_("kind"), max_length=12, choices=v.FactorKind.choices)
    code = models.CharField(_("factor"), max_length=40)
    description = models.TextField(_("description"), blank=True)
    severity = models.CharField(
        _("severity"), max_length=8, choices=v.Severity.choices, default=v.Severity.MEDIUM
    )
    mitigation = models.TextField(_("mitigation"), blank=True)
    owner = models.ForeignKey(
        PartnershipMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=v.FactorStatus.choices, default=v.FactorStatus.OPEN
    )
    logged_on = models.DateField(_("logged on"))
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)

    class Meta:
        verbose_name = _("facilitator or barrier")
        verbose_name_plural = _("facilitators and barriers")
        ordering = ("partnership", "-logged_on", "pk")
        indexes = [models.Index(fields=["kind", "code"])]

    def __str__(self) -> str:
        return self.get_code_display()

    def clean(self) -> None:
        choices = v.Facilitator if self.kind == v.FactorKind.FACILITATOR else v.Barrier
        if self.code not in choices.values:
            raise ValidationError({"code": _("Choose a factor from the list for its kind.")})
        if (
            self.owner is not None
            and self.partnership_id
            and self.owner.partnership_id != self.partnership_id
        ):
            raise ValidationError({"owner": _("The owner is not a member of this partnership.")})

    def get_code_display(self) -> str:
        choices = v.Facilitator if self.kind == v.FactorKind.FACILITATOR else v.Barrier
        return str(dict(choices.choices).get(self.code, self.code))
