"""Shared resources API: the catalogue, bookings in a window, booking one slot or a recurring series,
deciding and cancelling bookings, and the user's calendar feeds.

Every route reaches its objects through ``access.py`` (a resource the user does not see, or one of another
network, is a 404; a role that may not book, decide or cancel gets a 403) and changes them only through the
services, so the API enforces the same rules as the pages. A booking in the way of another is a 409 that
shows it; any other refused rule is a 422 naming the field and the rule's code (``docs/resources.md``).
"""

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Choices
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AwareDatetime, ConfigDict, Field, NaiveDatetime, WithJsonSchema

from interschool.core.api_conventions import ERRORS, Error, ErrorItem, PagedRows, PageNumber
from interschool.core.models import Membership, Organisation, User
from interschool.resources import access
from interschool.resources import vocabularies as v
from interschool.resources.models import Booking, CalendarFeed, Resource
from interschool.resources.services import bookings as service
from interschool.resources.services import feeds as feed_service
from interschool.resources.services import series as series_service

router = Router(tags=["resources"])

BASE = "/networks/{slug}/resources"
NO_CONTENT: dict[int, None] = {204: None}
# Where a refusal names a model field, the API names the field of the request body.
API_FIELD = {"organisation": "organisation_id"}


def _codes(choices: type[Choices], about: str) -> WithJsonSchema:
    """A code field's schema, inline (no named component to clash with other apps' vocabularies)."""
    with translation.override("en"):
        listed = "; ".join(f"`{value}` {label}" for value, label in choices.choices)
    return WithJsonSchema(
        {"type": "string", "enum": list(choices.values), "description": f"{about} Codes: {listed}."}
    )


KindCode = Annotated[v.ResourceKind, _codes(v.ResourceKind, "Kind of resource.")]
TypeCode = Annotated[v.ResourceType, _codes(v.ResourceType, "Resource type of network interaction.")]
ModeCode = Annotated[v.BookingMode, _codes(v.BookingMode, "How the resource is shared.")]
StatusCode = Annotated[v.BookingStatus, _codes(v.BookingStatus, "State of the booking.")]
RefusalCode = Annotated[
    str | None,
    Field(
        description="The rule refused: `conflict`, `hours`, `closure`, `capacity`, `notice`, `too_long`, "
        "`past`, `order`, `inactive`, `not_shared`, `purpose`, `headcount`, `naive` (docs/resources.md); "
        "null for other invalid input."
    ),
]


# --- schemas -----------------------------------------------------------------------------------------------


class Body(Schema):
    """A request body: a field the API does not know is an error naming it, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class OpeningHoursOut(Schema):
    weekday: int = Field(description="0 = Monday … 6 = Sunday.")
    opens: dt.time
    closes: dt.time


class ClosureOut(Schema):
    starts_on: dt.date
    ends_on: dt.date = Field(description="Included.")
    reason: str


class RulesOut(Schema):
    capacity: int = Field(description="The most people one booking may use.")
    min_notice_hours: int
    max_length_minutes: int | None = Field(description="The longest booking; null: no limit.")
    approval_required: bool = Field(description="The owner approves each booking by another organisation.")
    approval_expiry_hours: int = Field(description="A request not decided by then frees its slot.")
    mode: ModeCode


class ResourceOut(Schema):
    id: int
    name: str
    kind: KindCode
    type: TypeCode
    owner_id: int
    owner: str
    description: str
    location: str
    latitude: float | None
    longitude: float | None
    capacity: int
    time_zone: str = Field(
        description="Opening hours, closures and series are in this zone's wall-clock time."
    )
    shared_with_network: bool
    active: bool = Field(description="Open for booking.")


class ResourceDetailOut(ResourceOut):
    opening_hours: list[OpeningHoursOut] = Field(description="None recorded: open at any time.")
    closures: list[ClosureOut]
    rules: RulesOut


class BookingOut(Schema):
    id: int
    resource_id: int
    organisation_id: int
    organisation: str
    purpose: str
    headcount: int
    start: dt.datetime = Field(description="With the resource's UTC offset.")
    end: dt.datetime
    status: StatusCode
    series_id: int | None
    expires_at: dt.datetime | None = Field(description="When an undecided request frees its slot.")
    reason: str = Field(description="Why it was declined or cancelled.")


class ConflictOut(Schema):
    id: int
    start: dt.datetime
    end: dt.datetime
    organisation_id: int
    organisation: str
    status: StatusCode


class RefusalItem(ErrorItem):
    code: RefusalCode = None


class RefusedOut(Error):
    """A refused booking: the field and the rule it broke."""

    errors: list[RefusalItem] = []  # type: ignore[assignment]


class CollisionOut(RefusedOut):
    """The slot is taken: the bookings in the way."""

    conflicts: list[ConflictOut]


class BookingIn(Body):
    organisation_id: int | None = Field(
        None,
        description="Whom the booking is for; by default the user's organisation. Only administrators and "
        "coordinators book for another organisation.",
    )
    start: AwareDatetime = Field(description="ISO 8601 with its UTC offset.")
    end: AwareDatetime = Field(description="ISO 8601 with its UTC offset; after `start`.")
    purpose: str = Field(max_length=255)
    headcount: int = Field(1, description="People, seats or units; at most the resource's capacity.")


class SeriesIn(Body):
    organisation_id: int | None = Field(
        None,
        description="Whom the series is for; by default the user's organisation. Only administrators and "
        "coordinators book for another organisation.",
    )
    first_start: NaiveDatetime = Field(
        description="The first occurrence in the resource's wall-clock time, without an offset "
        "(`2027-03-08T09:00:00`); every occurrence keeps that time across daylight-saving changes."
    )
    duration_minutes: int = Field(ge=1, le=24 * 60)
    rule: str = Field(max_length=255, description="RFC 5545 RRULE, e.g. `FREQ=WEEKLY;BYDAY=MO`.")
    ends_on: dt.date = Field(description="The last day (the term's end), included.")
    purpose: str = Field(max_length=255)
    headcount: int = 1
    skip_conflicts: bool = Field(
        False, description="Save the series without the occurrences that cannot be booked (listed)."
    )


class ProblemOut(Schema):
    local_start: dt.datetime = Field(description="The occurrence's wall-clock start in the resource's zone.")
    code: RefusalCode
    message: str
    conflicts: list[ConflictOut]


class SeriesOut(Schema):
    id: int
    bookings: list[BookingOut]
    skipped: list[ProblemOut] = Field(description="Occurrences left out (with `skip_conflicts`).")


class SeriesRefusedOut(Error):
    """Nothing was saved: every occurrence that cannot be booked."""

    problems: list[ProblemOut] = []


class DecisionIn(Body):
    approve: bool
    reason: str = Field("", max_length=255, description="Needed to decline.")


class CancelIn(Body):
    reason: str = Field("", max_length=255)


class FeedIn(Body):
    resource_id: int | None = Field(None, description="A feed of this resource's bookings.")
    organisation: bool = Field(
        False,
        description="A feed of the bookings of the user's organisation and of the resources it owns.",
    )


class FeedOut(Schema):
    id: int
    resource_id: int | None
    resource: str | None
    organisation_id: int | None
    organisation: str | None
    url: str = Field(description="The secret iCalendar address; anyone who has it reads the feed.")
    created_at: dt.datetime
    last_read_at: dt.datetime | None


# --- helpers -----------------------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # the API's authentication always sets a user
        raise PermissionDenied
    return user


def _local(resource: Resource, moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(ZoneInfo(resource.time_zone))


def _resource(resource: Resource) -> dict[str, Any]:
    return {
        "id": resource.pk,
        "name": resource.name,
        "kind": resource.kind,
        "type": resource.resource_type,
        "owner_id": resource.owner_id,
        "owner": resource.owner.name,
        "description": resource.description,
        "location": resource.location,
        "latitude": resource.latitude,
        "longitude": resource.longitude,
        "capacity": resource.capacity,
        "time_zone": resource.time_zone,
        "shared_with_network": resource.shared_with_network,
        "active": resource.active,
    }


def _booking(booking: Booking, resource: Resource) -> dict[str, Any]:
    return {
        "id": booking.pk,
        "resource_id": booking.resource_id,
        "organisation_id": booking.organisation_id,
        "organisation": booking.organisation.name,
        "purpose": booking.purpose,
        "headcount": booking.headcount,
        "start": _local(resource, booking.start),
        "end": _local(resource, booking.end),
        "status": booking.status,
        "series_id": booking.series_id,
        "expires_at": booking.expires_at,
        "reason": booking.reason,
    }


def _conflict(booking: Booking, resource: Resource) -> dict[str, Any]:
    return {
        "id": booking.pk,
        "start": _local(resource, booking.start),
        "end": _local(resource, booking.end),
        "organisation_id": booking.organisation_id,
        "organisation": booking.organisation.name,
        "status": booking.status,
    }


def _refused(refusal: service.BookingRefused, resource: Resource) -> Status[dict[str, Any]]:
    """A collision as a 409 with the bookings in the way; any other refusal as a 422 naming its field."""
    field = next(iter(refusal.error_dict))
    message = refusal.messages[0]
    errors = [{"field": API_FIELD.get(field, field), "message": message, "code": refusal.code}]
    if refusal.code == "conflict":
        conflicts = [_conflict(b, resource) for b in refusal.conflicts]
        return Status(409, {"detail": message, "errors": errors, "conflicts": conflicts})
    return Status(422, {"detail": message, "errors": errors})


def _organisation(membership: Membership, organisation_id: int | None) -> Organisation:
    """Whom a booking is for: the user's own organisation, or any of the network's for those who see all."""
    if membership.role in access.ALL_SEEING and organisation_id is not None:
        organisation = Organisation.objects.filter(
            network_id=membership.network_id, pk=organisation_id
        ).first()
        if organisation is None:
            raise ValidationError(
                {"organisation_id": _("There is no organisation with this id in the network.")}
            )
        return organisation
    if organisation_id is not None and organisation_id != membership.organisation_id:
        raise PermissionDenied  # school leaders and teachers book for their own organisation only
    if membership.organisation is None:
        raise ValidationError({"organisation_id": _("Say which organisation the booking is for.")})
    return membership.organisation


def _feed(request: HttpRequest, row: CalendarFeed) -> dict[str, Any]:
    return {
        "id": row.pk,
        "resource_id": row.resource_id,
        "resource": row.resource.name if row.resource is not None else None,
        "organisation_id": row.organisation_id,
        "organisation": row.organisation.name if row.organisation is not None else None,
        "url": request.build_absolute_uri(reverse("feed_ics", args=[row.token])),
        "created_at": row.created_at,
        "last_read_at": row.last_read_at,
    }


# --- the catalogue -----------------------------------------------------------------------------------------


@router.get(
    BASE,
    response={200: list[ResourceOut], **ERRORS},
    summary="Resources the user's organisation may use (administrators and coordinators: all)",
)
@paginate(PageNumber)
def resource_list(
    request: HttpRequest, slug: str, kind: KindCode | None = None, owner: int | None = None
) -> Any:
    _membership, resources = access.resource_list_for_user(request.user, slug)
    if kind is not None:
        resources = resources.filter(kind=kind.value)
    if owner is not None:
        resources = resources.filter(owner_id=owner)
    return PagedRows(resources.order_by("name", "pk"), lambda page: [_resource(r) for r in page])


@router.get(
    BASE + "/{int:pk}",
    response={200: ResourceDetailOut, **ERRORS},
    summary="One resource with its opening hours, closures and booking rules",
)
def resource_detail(request: HttpRequest, slug: str, pk: int) -> dict[str, Any]:
    _membership, resource = access.resource_get_for_user(request.user, slug, pk)
    return {
        **_resource(resource),
        "opening_hours": [
            {"weekday": h.weekday, "opens": h.opens, "closes": h.closes} for h in resource.opening_hours.all()
        ],
        "closures": [
            {"starts_on": c.starts_on, "ends_on": c.ends_on, "reason": c.reason}
            for c in resource.closures.all()
        ],
        "rules": {
            "capacity": resource.capacity,
            "min_notice_hours": resource.min_notice_hours,
            "max_length_minutes": resource.max_length_minutes,
            "approval_required": resource.approval_required,
            "approval_expiry_hours": resource.approval_expiry_hours,
            "mode": resource.mode,
        },
    }


# --- bookings ----------------------------------------------------------------------------------------------


@router.get(
    BASE + "/{int:pk}/bookings",
    response={200: list[BookingOut], **ERRORS},
    summary="Bookings holding a slot (pending or confirmed) that overlap the window [start, end)",
)
@paginate(PageNumber)
def booking_list(
    request: HttpRequest,
    slug: str,
    pk: int,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
) -> Any:
    _membership, resource = access.resource_get_for_user(request.user, slug, pk)
    if start is not None and end is not None and end <= start:
        raise ValidationError({"end": _("The end must come after the start.")})
    rows = Booking.objects.filter(resource=resource, status__in=v.HOLDING).select_related("organisation")
    if start is not None:
        rows = rows.filter(end__gt=start)
    if end is not None:
        rows = rows.filter(start__lt=end)
    return PagedRows(rows.order_by("start", "pk"), lambda page: [_booking(b, resource) for b in page])


@router.post(
    BASE + "/{int:pk}/bookings",
    response={**ERRORS, 201: BookingOut, 409: CollisionOut, 422: RefusedOut},
    summary="Book a slot: confirmed, or pending when the owner approves; a booking in the way is a 409",
)
def booking_create(request: HttpRequest, slug: str, pk: int, payload: BookingIn) -> Status[dict[str, Any]]:
    membership, resource = access.resource_get_for_user(request.user, slug, pk)
    if not access.can_book(membership):
        raise PermissionDenied
    organisation = _organisation(membership, payload.organisation_id)
    try:
        booking = service.booking_request(
            actor=_user(request),
            resource=resource,
            organisation=organisation,
            start=payload.start,
            end=payload.end,
            purpose=payload.purpose,
            headcount=payload.headcount,
        )
    except service.BookingRefused as refusal:
        return _refused(refusal, resource)
    return Status(201, _booking(booking, resource))


@router.post(
    BASE + "/{int:pk}/series",
    response={**ERRORS, 201: SeriesOut, 409: SeriesRefusedOut, 422: SeriesRefusedOut},
    summary="Book a recurring series whole, or without the occurrences in the way (`skip_conflicts`)",
)
def series_create(request: HttpRequest, slug: str, pk: int, payload: SeriesIn) -> Status[dict[str, Any]]:
    membership, resource = access.resource_get_for_user(request.user, slug, pk)
    if not access.can_book(membership):
        raise PermissionDenied
    organisation = _organisation(membership, payload.organisation_id)

    def problems(plan: series_service.SeriesPlan) -> list[dict[str, Any]]:
        return [
            {
                "local_start": p.occurrence.local_start,
                "code": p.code,
                "message": p.message,
                "conflicts": [_conflict(b, resource) for b in p.conflicts],
            }
            for p in plan.problems
        ]

    try:
        series, plan = series_service.series_create(
            actor=_user(request),
            resource=resource,
            organisation=organisation,
            first_start=payload.first_start,
            duration=dt.timedelta(minutes=payload.duration_minutes),
            rule=payload.rule,
            ends_on=payload.ends_on,
            purpose=payload.purpose,
            headcount=payload.headcount,
            skip_conflicts=payload.skip_conflicts,
        )
    except series_service.SeriesRefused as refusal:
        listed = problems(refusal.plan)
        # Taken slots are a conflict with the current state (409); only broken rules are invalid input.
        status = 409 if any(p["code"] == "conflict" for p in listed) else 422
        errors = [{"field": "first_start", "message": refusal.messages[0]}]
        return Status(status, {"detail": refusal.messages[0], "errors": errors, "problems": listed})
    except service.BookingRefused as refusal:
        field = next(iter(refusal.error_dict))
        errors = [{"field": API_FIELD.get(field, field), "message": refusal.messages[0]}]
        return Status(422, {"detail": refusal.messages[0], "errors": errors, "problems": []})
    rows = Booking.objects.filter(series=series).select_related("organisation").order_by("start", "pk")
    return Status(
        201,
        {"id": series.pk, "bookings": [_booking(b, resource) for b in rows], "skipped": problems(plan)},
    )


@router.post(
    BASE + "/bookings/{booking_id}/decide",
    response={200: BookingOut, **ERRORS},
    summary="Approve or decline a request (the owner's school leaders, administrators); declining needs "
    "a reason",
)
def booking_decide(request: HttpRequest, slug: str, booking_id: int, payload: DecisionIn) -> dict[str, Any]:
    membership, booking = access.booking_get_for_user(request.user, slug, booking_id)
    if not access.can_approve(membership, booking.resource):
        raise PermissionDenied
    decided = service.booking_decide(
        actor=_user(request), booking=booking, approve=payload.approve, reason=payload.reason
    )
    return _booking(decided, booking.resource)


@router.post(
    BASE + "/bookings/{booking_id}/cancel",
    response={200: BookingOut, **ERRORS},
    summary="Cancel a booking (whoever booked, the booking school's leaders, deciders, coordinators)",
)
def booking_cancel(request: HttpRequest, slug: str, booking_id: int, payload: CancelIn) -> dict[str, Any]:
    membership, booking = access.booking_get_for_user(request.user, slug, booking_id)
    if not access.can_cancel(membership, booking):
        raise PermissionDenied
    cancelled = service.booking_cancel(actor=_user(request), booking=booking, reason=payload.reason)
    return _booking(cancelled, booking.resource)


# --- calendar feeds ----------------------------------------------------------------------------------------


@router.get(
    BASE + "/feeds",
    response={200: list[FeedOut], **ERRORS},
    summary="The user's calendar feeds in this network that still work, with their secret addresses",
)
@paginate(PageNumber)
def feed_list(request: HttpRequest, slug: str) -> Any:
    rows = access.feed_list_for_user(request.user, slug)
    return PagedRows(rows, lambda page: [_feed(request, row) for row in page])


@router.post(
    BASE + "/feeds",
    response={201: FeedOut, **ERRORS},
    summary="A new secret feed address: of a resource the user sees, or of the user's organisation",
)
def feed_create(request: HttpRequest, slug: str, payload: FeedIn) -> Status[dict[str, Any]]:
    membership, resources = access.resource_list_for_user(request.user, slug)
    if (payload.resource_id is None) == (not payload.organisation):
        raise ValidationError({"resource_id": _("Give either a resource or organisation: true.")})
    if payload.resource_id is not None:
        resource = resources.filter(pk=payload.resource_id).first()
        if resource is None:
            raise ValidationError({"resource_id": _("There is no resource with this id that you see.")})
        row = feed_service.feed_create(actor=_user(request), resource=resource)
    else:
        if membership.organisation is None:
            raise ValidationError({"organisation": _("You do not belong to an organisation.")})
        row = feed_service.feed_create(actor=_user(request), organisation=membership.organisation)
    return Status(201, _feed(request, row))


@router.delete(
    BASE + "/feeds/{feed_id}",
    response={**NO_CONTENT, **ERRORS},
    summary="Revoke a feed: its address stops working at once (only its creator)",
)
def feed_revoke(request: HttpRequest, slug: str, feed_id: int) -> Status[None]:
    row = access.feed_get_for_user(request.user, slug, feed_id)
    feed_service.feed_revoke(actor=_user(request), row=row)
    return Status(204, None)
