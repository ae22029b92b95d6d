"""Inviting people into a network by e-mail, and accepting an invitation from its link."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interschool.core.models import Invitation, Membership, Network, Organisation, Role, User
from interschool.core.notification_kinds import INVITATION, MEMBERSHIP
from interschool.core.services.audit import Actor, actor_user, audit_record
from interschool.core.services.networks import member_add, membership_check, user_create, user_set_password
from interschool.core.services.notifications import notify

SALT = "interschool.invitation"


class InvitationInvalid(Exception):
    """The link is malformed, expired, revoked or already used."""


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=SALT, compress=True)


def invitation_url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("invitation_accept", args=[invitation_token(invitation)])


def invitation_from_token(token: str) -> Invitation:
    max_age = dt.timedelta(days=settings.INVITATION_VALID_DAYS)
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.BadSignature as exc:
        raise InvitationInvalid(_("This invitation link is not valid or has expired.")) from exc
    invitation = Invitation.objects.select_related("network", "organisation").filter(pk=data.get("i")).first()
    if invitation is None or not secrets.compare_digest(invitation.nonce, str(data.get("n", ""))):
        raise InvitationInvalid(_("This invitation link is not valid or has expired."))
    if invitation.revoked_at is not None:
        raise InvitationInvalid(_("This invitation was withdrawn."))
    if invitation.accepted_at is not None:
        raise InvitationInvalid(_("This invitation has already been used. Log in instead."))
    if invitation.expires_at < timezone.now():
        raise InvitationInvalid(_("This invitation link is not valid or has expired."))
    return invitation


@transaction.atomic
def invitation_create(
    *, actor: Actor, network: Network, email: str, role: str, organisation: Organisation | None = None
) -> Invitation:
    email = User.objects.normalize_email(email.strip()).lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from exc
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    membership_check(Membership(network=network, role=role, organisation=organisation))
    if Membership.objects.filter(network=network, user__email=email, is_active=True).exists():
        raise ValidationError(
            {"email": _("%(email)s is already a member of this network.") % {"email": email}}
        )
    # A new invitation replaces any open one for the same address, so only the latest link works.
    Invitation.objects.filter(network=network, email=email, accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    invitation = Invitation.objects.create(
        network=network,
        email=email,
        role=role,
        organisation=organisation,
        nonce=secrets.token_hex(16),
        invited_by=actor_user(actor),
        expires_at=timezone.now() + dt.timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    audit_record(
        actor=actor,
        network=network,
        action="invite",
        obj=invitation,
        changes={
            "email": [None, email],
            "role": [None, role],
            "organisation": [None, organisation.pk if organisation else None],
        },
    )
    from interschool.core.tasks import send_invitation_email

    transaction.on_commit(lambda: send_invitation_email.enqueue(invitation.pk))
    existing = User.objects.filter(email=email, is_active=True).first()
    if existing is not None:
        notify(
            user=existing,
            kind=INVITATION.code,
            network=network,
            title=lambda: _("You are invited to join %(network)s") % {"network": network.name},
            body=lambda: _("Open the link in the e-mail we sent you to accept."),
        )
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: Actor, invitation: Invitation) -> Invitation:
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(actor=actor, network=invitation.network, action="revoke", obj=invitation)
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, full_name: str, password: str) -> User:
    """Create (or reuse) the invitee's account, set the password, add the membership, welcome them."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("network", "organisation")
        .get(pk=invitation.pk)
    )
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise InvitationInvalid(_("This invitation has already been used. Log in instead."))
    user = User.objects.filter(email=invitation.email).first()
    if user is None:
        user = user_create(actor="invitation", email=invitation.email, password=password, full_name=full_name)
    else:
        if full_name.strip():
            user.full_name = full_name.strip()
            user.save(update_fields=["full_name"])
        user_set_password(actor=user, user=user, password=password)
    membership = member_add(
        actor=user,
        network=invitation.network,
        user=user,
        role=invitation.role,
        organisation=invitation.organisation,
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(actor=user, network=invitation.network, action="accept", obj=invitation)
    network = invitation.network
    notify(
        user=user,
        kind=MEMBERSHIP.code,
        network=network,
        url=reverse("dashboard", args=[network.slug]),
        title=lambda: _("Welcome to %(network)s") % {"network": network.name},
        body=lambda: _("You joined as %(role)s.") % {"role": membership.get_role_display()},
    )
    if invitation.invited_by is not None and invitation.invited_by.is_active:
        notify(
            user=invitation.invited_by,
            kind=INVITATION.code,
            network=network,
            url=reverse("member_list", args=[network.slug]),
            title=lambda: _("%(email)s accepted your invitation") % {"email": user.email},
        )
    return user


INVITATION_SUBJECT = gettext_lazy("Invitation to %(network)s on Interschool")
