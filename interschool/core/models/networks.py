"""Networks (tenants), their organisations, memberships with roles, and invitations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from interschool.core.models.base import TimestampedModel


class Network(TimestampedModel):
    """A collaboration network: the tenant every other object belongs to."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    country = models.CharField(_("country"), max_length=2, help_text=_("Two-letter ISO 3166 code."))
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")

    class Meta:
        verbose_name = _("network")
        verbose_name_plural = _("networks")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class OrganisationKind(models.TextChoices):
    SCHOOL = "school", _("School")
    UNIVERSITY = "university", _("University")
    COLLEGE = "college", _("College")
    MUSEUM = "museum", _("Museum")
    LIBRARY = "library", _("Library")
    BUSINESS = "business", _("Business")
    NGO = "ngo", _("Non-governmental organisation")
    AUTHORITY = "authority", _("Education authority")


class Phase(models.TextChoices):
    PRIMARY = "primary", _("Primary")
    MIDDLE = "middle", _("Middle")
    SECONDARY = "secondary", _("Secondary")
    ALL_THROUGH = "all_through", _("All-through")
    SPECIAL = "special", _("Special")
    POST16 = "post16", _("Post-16")


class SchoolType(models.TextChoices):
    PUBLIC = "public", _("Public")
    CHARTER = "charter", _("Charter or academy")
    RELIGIOUS = "religious", _("Religious")
    INDEPENDENT = "independent", _("Independent")


class OrganisationStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("organisation status", "Open")
    CLOSED = "closed", pgettext_lazy("organisation status", "Closed")
    PROPOSED = "proposed", pgettext_lazy("organisation status", "Proposed")


class UrbanRural(models.TextChoices):
    URBAN = "urban", _("Urban")
    RURAL = "rural", _("Rural")


class SupportDomain(models.TextChoices):
    """The support domains shared by strengths, needs and partner offers (docs/data-format.md)."""

    TEACHING = "teaching", _("Teaching quality and sharing practice")
    ASSESSMENT = "assessment", _("Self-assessment and monitoring")
    LEADERSHIP = "leadership", _("Management and leadership")
    MOTIVATION = "motivation", _("Pupil motivation")
    COMMUNITY = "community", _("Parents and the local community")
    CURRICULUM = "curriculum", _("Content of education")
    RESOURCES = "resources", _("Social partnership and resources")
    ENVIRONMENT = "environment", _("Learning environment")
    CAREERS = "careers", _("Career guidance and individual pathways")
    SOCIAL = "social", _("Social engagement and new social roles")


class Organisation(TimestampedModel):
    """A school or a partner organisation in one network, with its registry record.

    Identifiers (several schemes), yearly figures and outcome series live in the registry app; the
    fields here are the current state shown and filtered on every page.
    """

    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="organisations", verbose_name=_("network")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=255)
    code = models.CharField(
        _("identifier"),
        max_length=64,
        blank=True,
        help_text=_("The organisation's identifier in the network, e.g. a national school number."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=OrganisationStatus.choices, default=OrganisationStatus.OPEN
    )
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    predecessors = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="successors",
        verbose_name=_("predecessors"),
        help_text=_("Organisations this one replaced, e.g. when a school converted or merged."),
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    phase = models.CharField(_("phase"), max_length=12, choices=Phase.choices, blank=True)
    school_type = models.CharField(_("type"), max_length=12, choices=SchoolType.choices, blank=True)
    community = models.CharField(
        _("community"),
        max_length=100,
        blank=True,
        help_text=_("A label the network defines, such as a religious or language community."),
    )
    language = models.CharField(_("language of instruction"), max_length=60, blank=True)
    district = models.CharField(_("district"), max_length=120, blank=True)
    urban_rural = models.CharField(_("urban or rural"), max_length=5, choices=UrbanRural.choices, blank=True)
    accepts_online = models.BooleanField(_("open to online collaboration"), default=False)
    partner_capacity = models.PositiveIntegerField(
        _("partner capacity"),
        null=True,
        blank=True,
        help_text=_("How many partner schools this school can support at once."),
    )
    # The latest yearly figures, kept here for lists and filters; the series are in the registry.
    enrolment = models.PositiveIntegerField(_("enrolment"), null=True, blank=True)
    ses_index = models.FloatField(_("socio-economic index"), null=True, blank=True)
    strengths = models.JSONField(_("strengths"), default=list, blank=True)
    needs = models.JSONField(_("needs"), default=list, blank=True)
    offers = models.JSONField(_("support offered"), default=list, blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ("name", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["network", "code"],
                condition=~models.Q(code=""),
                name="organisation_code_unique_in_network",
            ),
        ]
        indexes = [
            models.Index(fields=["network", "kind", "name"]),
            models.Index(fields=["network", "name", "id"]),
            models.Index(fields=["network", "phase"]),
            models.Index(fields=["network", "district"]),
        ]

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Network administrator")
    COORDINATOR = "coordinator", _("Coordinator")
    SCHOOL_LEADER = "school_leader", _("School leader")
    TEACHER = "teacher", _("Teacher")
    EXTERNAL_PARTNER = "external_partner", _("External partner")
    RESEARCHER = "researcher", _("Researcher")


class Membership(TimestampedModel):
    """A user's place in one network: a role and, for most roles, the organisation they belong to."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("network")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ("network", "user__email")
        constraints = [
            models.UniqueConstraint(fields=["user", "network"], name="membership_one_per_user_and_network"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.network} · {self.get_role_display()}"


class Invitation(TimestampedModel):
    """An invitation by e-mail to join a network with a role; the link sets the invitee's password."""

    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("network")
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("organisation")
    )
    # Part of the signed link; replacing it invalidates links sent earlier.
    nonce = models.CharField(max_length=32)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.email} → {self.network}"
