"""Notification kinds of partnerships."""

from django.utils.translation import gettext_lazy as _

from interschool.core.notification_kinds import NotificationKind, register_kind

CONSENT_REQUEST = register_kind(
    NotificationKind("partnership_consent", _("Requests to consent to a partnership"))
)
PARTNERSHIP_CHANGE = register_kind(
    NotificationKind("partnership_change", _("Decisions and changes of state in my partnerships"))
)
