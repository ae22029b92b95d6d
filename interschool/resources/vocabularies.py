"""Codes of shared resources: resource types and kinds, booking modes and states."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ResourceType(models.TextChoices):
    """The five resource types of network interaction (DOMAIN.md 003.8)."""

    STAFF = "staff", pgettext_lazy("resource type", "Staff")
    INFORMATION = "information", pgettext_lazy("resource type", "Information")
    MATERIAL = "material", pgettext_lazy("resource type", "Material and technical")
    TEACHING = "teaching", pgettext_lazy("resource type", "Teaching and methodological")
    SOCIAL = "social", pgettext_lazy("resource type", "Social")


class ResourceKind(models.TextChoices):
    LABORATORY = "laboratory", _("Laboratory")
    GYM = "gym", _("Gym")
    HALL = "hall", _("Hall")
    CLASSROOM = "classroom", _("Classroom")
    SPORTS_FIELD = "sports_field", _("Sports field")
    EQUIPMENT = "equipment", _("Equipment")
    BUS = "bus", _("Bus")
    EXPERTISE = "expertise", _("Staff expertise (sessions)")
    MATERIALS = "materials", _("Teaching materials")
    LICENCE = "licence", _("Digital licence")


TYPE_OF_KIND = {
    ResourceKind.LABORATORY: ResourceType.MATERIAL,
    ResourceKind.GYM: ResourceType.MATERIAL,
    ResourceKind.HALL: ResourceType.MATERIAL,
    ResourceKind.CLASSROOM: ResourceType.MATERIAL,
    ResourceKind.SPORTS_FIELD: ResourceType.MATERIAL,
    ResourceKind.EQUIPMENT: ResourceType.MATERIAL,
    ResourceKind.BUS: ResourceType.MATERIAL,
    ResourceKind.EXPERTISE: ResourceType.STAFF,
    ResourceKind.MATERIALS: ResourceType.TEACHING,
    ResourceKind.LICENCE: ResourceType.INFORMATION,
}


class BookingMode(models.TextChoices):
    FREE = "free", _("Booked freely")
    ROTATION = "rotation", _("Shared by rotation")


class BookingStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("booking status", "Waiting for approval")
    CONFIRMED = "confirmed", pgettext_lazy("booking status", "Confirmed")
    DECLINED = "declined", pgettext_lazy("booking status", "Declined")
    CANCELLED = "cancelled", pgettext_lazy("booking status", "Cancelled")
    EXPIRED = "expired", pgettext_lazy("booking status", "Expired")


# Bookings in these states hold their slot: no two of them on one resource may overlap.
HOLDING = (BookingStatus.PENDING, BookingStatus.CONFIRMED)

WEEKDAYS = (
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
)
