"""Service functions: validation, the audit log they write, member management and invitations."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client

from interschool.core.models import AuditEntry, Invitation, Membership, Notification, OrganisationKind, Role
from interschool.core.services import invitations, networks
from interschool.core.tests.factories import OrganisationFactory, UserFactory


def test_update_records_fields_before_and_after(world):
    admin = world.a.user(Role.ADMIN)
    networks.organisation_update(actor=admin, organisation=world.a.school, name="Hill School", code="H-1")
    entry = AuditEntry.objects.filter(action="update", object_type="core.organisation").latest("pk")
    assert entry.actor == admin and entry.actor_label == admin.email
    assert entry.network == world.a.network
    assert entry.object_id == str(world.a.school.pk)
    assert entry.changes["name"] == ["a School", "Hill School"]
    assert entry.changes["code"][1] == "H-1" and entry.changes["code"][0].startswith("S")
    assert set(entry.changes) == {"name", "code"}


def test_update_without_change_records_nothing(world):
    before = AuditEntry.objects.count()
    networks.organisation_update(actor="cli", organisation=world.a.school, name=world.a.school.name)
    assert AuditEntry.objects.count() == before


def test_invalid_write_changes_nothing_and_names_the_field(world):
    OrganisationFactory(network=world.a.network, code="X1")
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as info:
        networks.organisation_create(
            actor="cli", network=world.a.network, kind="school", name="Dup", code="X1"
        )
    assert "code" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        networks.organisation_create(actor="cli", network=world.a.network, kind="castle", name="Bad")
    assert "kind" in info.value.message_dict
    assert AuditEntry.objects.count() == before


def test_same_code_allowed_in_another_network(world):
    networks.organisation_create(
        actor="cli", network=world.b.network, kind="school", name="Twin", code=world.a.school.code
    )


def test_system_actor_is_named(world):
    networks.organisation_update(actor="cli", organisation=world.a.school, name="Renamed")
    entry = AuditEntry.objects.latest("pk")
    assert entry.actor is None and entry.actor_label == "system:cli"


def test_network_create_validates(db):
    with pytest.raises(ValidationError) as info:
        networks.network_create(actor="cli", name="N", slug="n", country="GB", time_zone="Mars/Olympus")
    assert "time_zone" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        networks.network_create(actor="cli", name="N", slug="bad slug!", country="GB")
    assert "slug" in info.value.message_dict


def test_membership_rules(world):
    user = UserFactory()
    with pytest.raises(ValidationError) as info:
        networks.member_add(actor="cli", network=world.a.network, user=user, role=Role.TEACHER)
    assert "organisation" in info.value.message_dict
    with pytest.raises(ValidationError):
        networks.member_add(
            actor="cli", network=world.a.network, user=user, role=Role.TEACHER, organisation=world.b.school
        )
    with pytest.raises(ValidationError):
        networks.member_add(
            actor="cli",
            network=world.a.network,
            user=user,
            role=Role.EXTERNAL_PARTNER,
            organisation=world.a.school,
        )
    assert not Membership.objects.filter(user=user).exists()


def test_last_administrator_cannot_be_removed(world):
    admin = world.a.members[Role.ADMIN]
    with pytest.raises(ValidationError):
        networks.member_set_active(actor="cli", membership=admin, active=False)
    with pytest.raises(ValidationError):
        networks.member_update(actor="cli", membership=admin, role=Role.TEACHER, organisation=world.a.school)
    admin.refresh_from_db()
    assert admin.is_active and admin.role == Role.ADMIN


def test_admin_changes_role_through_the_page(world):
    client = Client()
    client.force_login(world.a.user(Role.ADMIN))
    teacher = world.a.members[Role.TEACHER]
    url = f"/n/a/members/{teacher.pk}/"
    response = client.post(url, {"role": Role.SCHOOL_LEADER, "organisation": world.a.school.pk})
    assert response.status_code == 302
    teacher.refresh_from_db()
    assert teacher.role == Role.SCHOOL_LEADER
    entry = AuditEntry.objects.latest("pk")
    assert entry.changes["role"] == [Role.TEACHER, Role.SCHOOL_LEADER]
    # Bad input: a teacher without organisation is refused with the field named, nothing changes.
    response = client.post(url, {"role": Role.TEACHER, "organisation": ""})
    assert response.status_code == 200
    assert "needs an organisation" in response.content.decode()
    teacher.refresh_from_db()
    assert teacher.role == Role.SCHOOL_LEADER


def test_deactivate_needs_confirmation_and_can_be_undone(world):
    client = Client()
    client.force_login(world.a.user(Role.ADMIN))
    teacher = world.a.members[Role.TEACHER]
    url = f"/n/a/members/{teacher.pk}/active/"
    assert "Deactivate" in client.get(url).content.decode()
    teacher.refresh_from_db()
    assert teacher.is_active  # a GET only asks
    client.post(url, {"active": "0"})
    teacher.refresh_from_db()
    assert not teacher.is_active
    client.post(url, {"active": "1"})
    teacher.refresh_from_db()
    assert teacher.is_active


def test_invitation_flow_end_to_end(world, django_capture_on_commit_callbacks):
    admin = world.a.user(Role.ADMIN)
    client = Client()
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/n/a/members/invite/",
            {"email": "New.Teacher@Example.org", "role": Role.TEACHER, "organisation": world.a.school.pk},
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.teacher@example.org"]
    link = next(line for line in mail.outbox[0].body.splitlines() if "/invitation/" in line)
    path = link[link.index("/invitation/") :]
    anonymous = Client()
    assert "Join" in anonymous.get(path).content.decode()
    # Mismatched passwords: refused with the field named, no account created.
    response = anonymous.post(
        path, {"full_name": "Nora", "password1": "a-long-password-1", "password2": "other"}
    )
    assert response.status_code == 200 and "do not match" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = anonymous.post(
            path,
            {"full_name": "Nora Teacher", "password1": "a-long-password-1", "password2": "a-long-password-1"},
        )
    assert response.status_code == 302 and response["Location"] == "/n/a/"
    membership = Membership.objects.get(user__email="new.teacher@example.org")
    assert membership.role == Role.TEACHER and membership.organisation == world.a.school
    assert Notification.objects.filter(user=membership.user, kind="membership").exists()
    assert Notification.objects.filter(user=admin, kind="invitation").exists()
    page = anonymous.get("/n/a/").content.decode()
    assert "Welcome to Network A" in page
    # The link works once only.
    assert anonymous.get(path).status_code == 404
    response = Client().post(
        "/accounts/login/", {"username": "new.teacher@example.org", "password": "a-long-password-1"}
    )
    assert response.status_code == 302


def test_new_invitation_replaces_the_old_link(world):
    admin = world.a.user(Role.ADMIN)
    first = invitations.invitation_create(
        actor=admin, network=world.a.network, email="x@example.org", role=Role.RESEARCHER
    )
    old_token = invitations.invitation_token(first)
    second = invitations.invitation_create(
        actor=admin, network=world.a.network, email="x@example.org", role=Role.COORDINATOR
    )
    with pytest.raises(invitations.InvitationInvalid):
        invitations.invitation_from_token(old_token)
    assert invitations.invitation_from_token(invitations.invitation_token(second)) == second


def test_tampered_or_expired_invitation_is_refused(world):
    import datetime as dt

    from django.utils import timezone

    admin = world.a.user(Role.ADMIN)
    inv = invitations.invitation_create(
        actor=admin, network=world.a.network, email="y@example.org", role=Role.RESEARCHER
    )
    token = invitations.invitation_token(inv)
    with pytest.raises(invitations.InvitationInvalid):
        invitations.invitation_from_token(token[:-2] + "xx")
    Invitation.objects.filter(pk=inv.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(invitations.InvitationInvalid):
        invitations.invitation_from_token(token)


def test_inviting_an_existing_member_is_refused(world):
    with pytest.raises(ValidationError) as info:
        invitations.invitation_create(
            actor="cli", network=world.a.network, email=world.a.user(Role.TEACHER).email, role=Role.RESEARCHER
        )
    assert "email" in info.value.message_dict


def test_existing_user_of_another_network_is_notified_and_keeps_password(
    world, django_capture_on_commit_callbacks
):
    from interschool.core.tests.factories import PASSWORD

    user = world.b.user(Role.TEACHER)
    inv = invitations.invitation_create(
        actor="cli", network=world.a.network, email=user.email, role=Role.RESEARCHER
    )
    assert Notification.objects.filter(user=user, kind="invitation").exists()
    invitations.invitation_accept(invitation=inv, full_name="", password="another-long-pass-9")
    assert set(Membership.objects.filter(user=user).values_list("network__slug", flat=True)) == {"a", "b"}
    user.refresh_from_db()
    assert user.check_password("another-long-pass-9") and not user.check_password(PASSWORD)


def test_organisation_form_page(world):
    client = Client()
    client.force_login(world.a.user(Role.ADMIN))
    response = client.post(
        "/n/a/organisations/new/", {"kind": OrganisationKind.LIBRARY, "name": "City Library", "code": "LIB"}
    )
    assert response.status_code == 302
    response = client.post(
        "/n/a/organisations/new/", {"kind": OrganisationKind.LIBRARY, "name": "Other", "code": "LIB"}
    )
    assert response.status_code == 200 and "already has the identifier" in response.content.decode()
