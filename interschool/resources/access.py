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
from interschool.resources.models import Resource

ALL_SEEING = frozenset({Role.ADMIN, Role.COORDINATOR})


def resource_list_for_user(user: AnyUser, slug: str) -> tuple[Membership, QuerySet[Resource]]:
    membership = network_membership_for_user(user, slug)
    resources = Resource.objects.filter(network=membership.network).select_related("owner")
    if membership.role not in ALL_SEEING:
        org = membership.organisation_id
        resources = resources.filter(
            Q(owner_id=org) | Q(shared_with_network=True) | Q(partnerships__members__organisation_id=org)
        ).distinct()
    return membership, resources


def resource_get_for_user(user: AnyUser, slug: str, pk: int) -> tuple[Membership, Resource]:
    membership, resources = resource_list_for_user(user, slug)
    resource = resources.filter(pk=pk).first()
    if resource is None:
        raise Http404
    return membership, resource
