"""Shared resources of a network, their opening hours and closures, and bookings of them.

Two bookings of one resource that hold their slot (pending or confirmed) never overlap. The database
guarantees it: on PostgreSQL an exclusion constraint over the time range (migration 0002, btree_gist);
on SQLite every write transaction takes the write lock when it begins (``transaction_mode`` IMMEDIATE), so
the service's check for a collision and its insert cannot interleave with another writer's.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from interschool.core.models import Network, Organisation
from interschool.core.models.base import TimestampedModel
from interschool.resources import vocabularies as v


class Resource(TimestampedModel):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="resources")
    owner = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="resources",
        verbose_name=pgettext_lazy("resource", "owner"),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=v.ResourceKind.choices)
    description = models.TextField(_("description"), blank=True)
    location = models.CharField(_("location"), max_length=255, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), default=1, help_text=_("People, seats or units one booking may use at most.")
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    shared_with_network = models.BooleanField(_("shared with the whole network"), default=False)
    partnerships = models.ManyToManyField(
        "partnerships.Partnership", blank=True, related_name="resources", verbose_name=_("shared with")
    )
    mode = models.CharField(
        _("sharing"), max_length=10, choices=v.BookingMode.choices, default=v.BookingMode.FREE
    )
    approval_required = models.BooleanField(_("the owner approves each booking"), default=False)
    min_notice_hours = models.PositiveIntegerField(_("minimum notice (hours)"), default=0)
    max_length_minutes = models.PositiveIntegerField(
        _("longest booking (minutes)"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    approval_expiry_hours = models.PositiveIntegerField(
        _("requests expire after (hours)"),
        default=72,
        help_text=_("A request not decided by then frees its slot."),
    )
    active = models.BooleanField(_("bookable"), default=True)

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ("name", "pk")
        indexes = [models.Index(fields=["network", "kind"])]

    def __str__(self) -> str:
        return self.name

    @property
    def resource_type(self) -> str:
        return v.TYPE_OF_KIND.get(v.ResourceKind(self.kind), v.ResourceType.MATERIAL)


class OpeningHours(models.Model):
    """One opening interval on one weekday, in the resource's time zone."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=v.WEEKDAYS)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ("resource", "weekday", "opens")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="opening_hours_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource_id}: {self.weekday} {self.opens}–{self.closes}"


class Closure(models.Model):
    """Days the resource cannot be booked (holidays, maintenance), both ends included."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ("resource", "starts_on")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="closure_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource_id}: {self.starts_on}–{self.ends_on}"


class BookingSeries(TimestampedModel):
    """A recurring booking: an RFC 5545 rule on a local wall-clock start, within a term."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="series")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    purpose = models.CharField(_("purpose"), max_length=255)
    headcount = models.PositiveIntegerField(_("people"), default=1)
    rule = models.CharField(_("recurrence rule"), max_length=255)
    # The first start as wall-clock time in ``time_zone`` ("YYYY-MM-DDTHH:MM:SS"): every occurrence keeps it
    # across daylight-saving changes.
    local_start = models.CharField(_("first start"), max_length=19)
    duration_minutes = models.PositiveIntegerField(_("length (minutes)"))
    time_zone = models.CharField(_("time zone"), max_length=64)
    ends_on = models.DateField(_("last day"))
    skipped = models.JSONField(default=list, blank=True)  # local starts skipped for conflicts at creation

    class Meta:
        verbose_name = _("booking series")
        verbose_name_plural = _("booking series")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.resource_id}: {self.rule}"


class Booking(TimestampedModel):
    """A time range on a resource for an organisation and a person (aware datetimes, stored in UTC)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="bookings")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="bookings", verbose_name=_("for")
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("booked by"),
    )
    purpose = models.CharField(_("purpose"), max_length=255)
    headcount = models.PositiveIntegerField(_("people"), default=1)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    status = models.CharField(_("status"), max_length=10, choices=v.BookingStatus.choices)
    series = models.ForeignKey(
        BookingSeries, on_delete=models.CASCADE, null=True, blank=True, related_name="bookings"
    )
    occurrence = models.PositiveIntegerField(null=True, blank=True)  # index in the series
    expires_at = models.DateTimeField(_("request expires"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)  # why declined or cancelled

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ("start", "pk")
        indexes = [
            models.Index(fields=["resource", "start"]),
            models.Index(fields=["organisation", "start"]),
            models.Index(fields=["status", "expires_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="booking_order"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id}: {self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M}"

    @property
    def holds_slot(self) -> bool:
        return self.status in v.HOLDING


class CalendarFeed(TimestampedModel):
    """A secret address serving the bookings of one resource or of one organisation as iCalendar."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, null=True, blank=True, related_name="feeds"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("created by")
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_read_at = models.DateTimeField(_("last read"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resource__isnull=False, organisation__isnull=True)
                | models.Q(resource__isnull=True, organisation__isnull=False),
                name="feed_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"feed {self.pk}"
