"""Creating and changing networks, organisations, users and memberships."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from interschool.core.models import Membership, Network, Organisation, OrganisationKind, Role, User
from interschool.core.services.audit import (
    Actor,
    audit_created,
    audit_record,
    save_with_audit,
)

NETWORK_FIELDS = ("name", "slug", "country", "default_language", "time_zone")
ORGANISATION_FIELDS = ("kind", "name", "code")
MEMBERSHIP_FIELDS = ("user", "role", "organisation", "is_active")
USER_FIELDS = ("email", "full_name", "language", "is_active")


def _validate_time_zone(name: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError({"time_zone": _("Unknown time zone “%(name)s”.") % {"name": name}}) from exc


@transaction.atomic
def network_create(
    *, actor: Actor, name: str, slug: str, country: str, default_language: str = "en", time_zone: str = "UTC"
) -> Network:
    _validate_time_zone(time_zone)
    network = Network(
        name=name.strip(),
        slug=slug.strip().lower(),
        country=country.strip().upper(),
        default_language=default_language,
        time_zone=time_zone,
    )
    network.full_clean()
    network.save()
    audit_created(actor=actor, network=network, obj=network, fields=NETWORK_FIELDS)
    return network


@transaction.atomic
def network_update(*, actor: Actor, network: Network, **fields: Any) -> Network:
    def validate() -> None:
        _validate_time_zone(network.time_zone)
        network.full_clean()

    save_with_audit(
        actor=actor,
        network=network,
        instance=network,
        tracked=NETWORK_FIELDS,
        values=fields,
        validate=validate,
    )
    return network


@transaction.atomic
def organisation_create(
    *, actor: Actor, network: Network, kind: str, name: str, code: str = ""
) -> Organisation:
    organisation = Organisation(network=network, kind=kind, name=name.strip(), code=code.strip())
    # The code's uniqueness is checked by _check_code_free, which names the field in its message.
    organisation.full_clean(validate_constraints=False)
    _check_code_free(organisation)
    organisation.save()
    audit_created(actor=actor, network=network, obj=organisation, fields=ORGANISATION_FIELDS)
    return organisation


@transaction.atomic
def organisation_update(*, actor: Actor, organisation: Organisation, **fields: Any) -> Organisation:
    def validate() -> None:
        # The code's uniqueness is checked by _check_code_free, which names the field in its message.
        organisation.full_clean(validate_constraints=False)
        _check_code_free(organisation)

    save_with_audit(
        actor=actor,
        network=organisation.network,
        instance=organisation,
        tracked=ORGANISATION_FIELDS,
        values=fields,
        validate=validate,
    )
    return organisation


def _check_code_free(organisation: Organisation) -> None:
    if not organisation.code:
        return
    taken = Organisation.objects.filter(network_id=organisation.network_id, code=organisation.code)
    if organisation.pk:
        taken = taken.exclude(pk=organisation.pk)
    if taken.exists():
        raise ValidationError(
            {
                "code": _("Another organisation in this network already has the identifier “%(code)s”.")
                % {"code": organisation.code}
            }
        )


@transaction.atomic
def user_create(
    *, actor: Actor, email: str, password: str | None, full_name: str = "", language: str = ""
) -> User:
    email = User.objects.normalize_email(email.strip()).lower()
    user = User(email=email, full_name=full_name.strip(), language=language)
    user.full_clean(exclude=["password"])
    if password is not None:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_created(actor=actor, network=None, obj=user, fields=USER_FIELDS)
    return user


@transaction.atomic
def user_update(*, actor: Actor, user: User, **fields: Any) -> User:
    if set(fields) - {"full_name", "language"}:
        raise ValueError(f"only full_name and language can be changed here, not {sorted(fields)}")
    save_with_audit(
        actor=actor,
        network=None,
        instance=user,
        tracked=USER_FIELDS,
        values=fields,
        validate=lambda: user.full_clean(exclude=["password"]),
    )
    return user


@transaction.atomic
def user_set_password(*, actor: Actor, user: User, password: str) -> User:
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, network=None, action="set_password", obj=user)
    return user


def membership_check(membership: Membership) -> None:
    if membership.organisation is not None and membership.organisation.network_id != membership.network_id:
        raise ValidationError({"organisation": _("The organisation belongs to another network.")})
    needs_organisation = {Role.SCHOOL_LEADER, Role.TEACHER, Role.EXTERNAL_PARTNER}
    if membership.role in needs_organisation and membership.organisation is None:
        raise ValidationError(
            {"organisation": _("A school leader, teacher or external partner needs an organisation.")}
        )
    if (
        membership.role == Role.EXTERNAL_PARTNER
        and membership.organisation is not None
        and membership.organisation.kind == OrganisationKind.SCHOOL
    ):
        raise ValidationError(
            {"organisation": _("An external partner belongs to an organisation that is not a school.")}
        )


@transaction.atomic
def member_add(
    *, actor: Actor, network: Network, user: User, role: str, organisation: Organisation | None = None
) -> Membership:
    existing = Membership.objects.filter(user=user, network=network).first()
    if existing is not None:
        return member_update(
            actor=actor, membership=existing, role=role, organisation=organisation, is_active=True
        )
    membership = Membership(user=user, network=network, role=role, organisation=organisation)
    membership.full_clean(validate_constraints=False)
    membership_check(membership)
    membership.save()
    audit_created(actor=actor, network=network, obj=membership, fields=MEMBERSHIP_FIELDS)
    return membership


@transaction.atomic
def member_update(
    *,
    actor: Actor,
    membership: Membership,
    role: str | None = None,
    organisation: Organisation | None = None,
    is_active: bool | None = None,
) -> Membership:
    values: dict[str, Any] = {"organisation": organisation}
    if role is not None:
        values["role"] = role
    if is_active is not None:
        values["is_active"] = is_active

    def validate() -> None:
        membership.full_clean(validate_constraints=False)
        membership_check(membership)
        _keep_one_administrator(membership)

    save_with_audit(
        actor=actor,
        network=membership.network,
        instance=membership,
        tracked=MEMBERSHIP_FIELDS,
        values=values,
        validate=validate,
    )
    return membership


@transaction.atomic
def member_set_active(*, actor: Actor, membership: Membership, active: bool) -> Membership:
    return member_update(
        actor=actor,
        membership=membership,
        role=membership.role,
        organisation=membership.organisation,
        is_active=active,
    )


def _keep_one_administrator(membership: Membership) -> None:
    """A network must never be left without an active administrator (nobody could manage it)."""
    if membership.is_active and membership.role == Role.ADMIN:
        return
    others = Membership.objects.filter(network_id=membership.network_id, role=Role.ADMIN, is_active=True)
    if membership.pk:
        others = others.exclude(pk=membership.pk)
    was_admin = (
        membership.pk
        and Membership.objects.filter(pk=membership.pk, role=Role.ADMIN, is_active=True).exists()
    )
    if was_admin and not others.exists():
        raise ValidationError(_("The network needs at least one active administrator."))
