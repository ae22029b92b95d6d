"""Core models, one module per concern."""

from interschool.core.models.audit import AuditEntry
from interschool.core.models.base import TimestampedModel
from interschool.core.models.networks import (
    Invitation,
    Membership,
    Network,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    Phase,
    Role,
    SchoolType,
    SupportDomain,
    UrbanRural,
)
from interschool.core.models.notifications import Notification, NotificationPreference
from interschool.core.models.progress import Progress, ProgressStatus
from interschool.core.models.users import ApiToken, User

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Invitation",
    "Membership",
    "Network",
    "Notification",
    "NotificationPreference",
    "Organisation",
    "OrganisationKind",
    "OrganisationStatus",
    "Phase",
    "Progress",
    "ProgressStatus",
    "Role",
    "SchoolType",
    "SupportDomain",
    "TimestampedModel",
    "UrbanRural",
    "User",
]
