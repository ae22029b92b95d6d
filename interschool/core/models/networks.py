"""Networks (tenants), their organisations, memberships with roles, and invitations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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


class Organisation(TimestampedModel):
    """A school or a partner organisation in one network."""

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
        indexes = [models.Index(fields=["network", "kind", "name"])]

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
