"""Notification kinds of shared resources."""

from django.utils.translation import gettext_lazy as _

from interschool.core.notification_kinds import NotificationKind, register_kind

BOOKING_REQUEST = register_kind(
    NotificationKind("booking_request", _("Booking requests for resources my school owns"))
)
BOOKING_DECISION = register_kind(NotificationKind("booking_decision", _("Decisions on my booking requests")))
