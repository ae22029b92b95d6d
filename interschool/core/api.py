"""Core API routes: the user, their networks, a network's members and organisations."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from interschool.core import access, selectors
from interschool.core.api_conventions import ERRORS, PageNumber
from interschool.core.models import Membership, Role

router = Router(tags=["networks"])


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    language: str


class NetworkOut(Schema):
    slug: str
    name: str
    country: str
    default_language: str
    time_zone: str
    role: str


class MemberOut(Schema):
    id: int
    email: str
    full_name: str
    role: Role
    organisation_id: int | None
    is_active: bool

    @staticmethod
    def resolve_email(obj: Membership) -> str:
        return obj.user.email

    @staticmethod
    def resolve_full_name(obj: Membership) -> str:
        return obj.user.full_name


def _network_out(membership: Membership) -> dict[str, str]:
    network = membership.network
    return {
        "slug": network.slug,
        "name": network.name,
        "country": network.country,
        "default_language": network.default_language,
        "time_zone": network.time_zone,
        "role": membership.role,
    }


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The authenticated user")
def me(request: HttpRequest) -> object:
    return request.user


@router.get(
    "/networks", response={200: list[NetworkOut], **ERRORS}, summary="Networks the user is a member of"
)
@paginate(PageNumber)
def network_list(request: HttpRequest) -> list[dict[str, str]]:
    return [_network_out(m) for m in access.memberships_for_user(request.user).order_by("network__name")]


@router.get("/networks/{slug}", response={200: NetworkOut, **ERRORS}, summary="One network")
def network_detail(request: HttpRequest, slug: str) -> dict[str, str]:
    return _network_out(access.network_membership_for_user(request.user, slug))


@router.get(
    "/networks/{slug}/members",
    response={200: list[MemberOut], **ERRORS},
    summary="Members of a network (administrators, coordinators, school leaders)",
)
@paginate(PageNumber)
def member_list(
    request: HttpRequest,
    slug: str,
    role: Role | None = None,
    organisation: int | None = None,
    active: bool | None = None,
    q: str = "",
) -> QuerySet[Membership]:
    _membership, members = access.member_list_for_user(request.user, slug)
    return selectors.members_filtered(
        members, q=q.strip(), role=role or "", organisation=organisation, active=active
    )


@router.get("/networks/{slug}/members/{pk}", response={200: MemberOut, **ERRORS}, summary="One member")
def member_detail(request: HttpRequest, slug: str, pk: int) -> Membership:
    return access.member_get_for_user(request.user, slug, pk)[1]
