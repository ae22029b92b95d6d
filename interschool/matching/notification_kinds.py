"""Notification kinds of matching."""

from django.utils.translation import gettext_lazy as _

from interschool.core.notification_kinds import NotificationKind, register_kind

MATCH_PROPOSED = register_kind(
    NotificationKind("match_proposed", _("Partnerships proposed for my school by partner matching"))
)
