"""Who sees and books shared resources: one helper per resource, used by every page and API route.

* every member of the network sees the resources its organisation may use (its own, those shared with the
  network, those shared with a partnership it belongs to); administrators and coordinators see them all;
* a resource of another network is not found (404).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from interschool.core.access import AnyUser, network_membership_for_user
from interschool.core.models import Membership, Role
from interschool.resources.models import Booking, CalendarFeed, Resource
from interschool.resources.vocabularies import BookingStatus

ALL_SEEING = frozenset({Role.ADMIN, Role.COORDINATOR})


def resource_list_for_user(user: AnyUser, slug: str) -> tuple[Membership, QuerySet[Resource]]:
    membership = network_membership_for_user(user, slug)
    resources = Resource.objects.filter(network=membership.network).select_related("owner")
    if membership.role not in ALL_SEEING:
        org = membership.organisation_id
        visible = Q(shared_with_network=True)
        if org is not None:
            visible |= Q(owner_id=org) | Q(partnerships__members__organisation_id=org)
        resources = resources.filter(visible).distinct()
    return membership, resources


def resource_get_for_user(user: AnyUser, slug: str, pk: int) -> tuple[Membership, Resource]:
    membership, resources = resource_list_for_user(user, slug)
    resource = resources.filter(pk=pk).first()
    if resource is None:
        raise Http404
    return membership, resource


BOOKERS = frozenset({Role.ADMIN, Role.COORDINATOR, Role.SCHOOL_LEADER, Role.TEACHER})


def can_book(membership: Membership) -> bool:
    """Administrators and coordinators book for any organisation; school leaders and teachers for theirs."""
    if membership.role in ALL_SEEING:
        return True
    return membership.role in BOOKERS and membership.organisation_id is not None


def can_approve(membership: Membership, resource: Resource) -> bool:
    """The owner's school leaders and the network's administrators decide requests."""
    if membership.network_id != resource.network_id:
        return False
    if membership.role == Role.ADMIN:
        return True
    return membership.role == Role.SCHOOL_LEADER and membership.organisation_id == resource.owner_id


def booking_get_for_user(user: AnyUser, slug: str, pk: int) -> tuple[Membership, Booking]:
    """A booking of a resource the user sees; 404 otherwise."""
    membership, resources = resource_list_for_user(user, slug)
    booking = (
        Booking.objects.filter(pk=pk, resource__in=resources)
        .select_related("resource", "resource__network", "organisation")
        .first()
    )
    if booking is None:
        raise Http404
    return membership, booking


def can_cancel(membership: Membership, booking: Booking) -> bool:
    """Who may decide on the resource, coordinators, the booking school's leaders and whoever booked."""
    if can_approve(membership, booking.resource) or membership.role == Role.COORDINATOR:
        return True
    if membership.user_id == booking.booked_by_id:
        return True
    return membership.role == Role.SCHOOL_LEADER and membership.organisation_id == booking.organisation_id


def approvals_for_user(user: AnyUser, slug: str) -> tuple[Membership, QuerySet[Booking]]:
    """Requests waiting for the user's decision."""
    membership = network_membership_for_user(user, slug)
    pending = Booking.objects.filter(resource__network=membership.network, status=BookingStatus.PENDING)
    if membership.role == Role.ADMIN:
        pass
    elif membership.role == Role.SCHOOL_LEADER and membership.organisation_id:
        pending = pending.filter(resource__owner_id=membership.organisation_id)
    else:
        pending = pending.none()
    return membership, pending.select_related("resource", "organisation", "booked_by").order_by("start")


def feed_get_for_user(user: AnyUser, slug: str, pk: int) -> CalendarFeed:
    """A feed the user created in this network (only its creator lists and revokes it)."""
    membership = network_membership_for_user(user, slug)
    row = CalendarFeed.objects.filter(network=membership.network, created_by=membership.user, pk=pk).first()
    if row is None:
        raise Http404
    return row


def can_create_resource(membership: Membership) -> bool:
    """Administrators and coordinators (for any owner) and school leaders (for their own organisation)."""
    if membership.role in ALL_SEEING:
        return True
    return membership.role == Role.SCHOOL_LEADER and membership.organisation_id is not None


def can_manage_resource(membership: Membership, resource: Resource) -> bool:
    """Administrators and coordinators change any resource; a school leader those of their organisation."""
    if membership.network_id != resource.network_id:
        return False
    if membership.role in ALL_SEEING:
        return True
    return (
        membership.role == Role.SCHOOL_LEADER
        and membership.organisation_id is not None
        and membership.organisation_id == resource.owner_id
    )


def feed_list_for_user(user: AnyUser, slug: str) -> QuerySet[CalendarFeed]:
    """The feeds the user created in this network that still work (only their creator lists them)."""
    membership = network_membership_for_user(user, slug)
    return (
        CalendarFeed.objects.filter(
            network=membership.network, created_by=membership.user, revoked_at__isnull=True
        )
        .select_related("resource", "organisation")
        .order_by("-created_at", "-pk")
    )
