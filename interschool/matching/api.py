"""Matching API: runs of partner matching (started, polled, read), their matches with explanations, the
schools left unmatched with reasons, each school's ranked candidates, and accepting matches as proposals.

Every route reaches its objects through ``access.py``: administrators and coordinators read, administrators
run and accept; other roles get 403 and users of another network 404. Sentences and labels come in the
request's language (the locale middleware); codes travel as codes, listed in the OpenAPI schema.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Choices, Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict, Field, WithJsonSchema

from interschool.core.api_conventions import ERRORS, PagedRows, PageNumber
from interschool.core.models import Organisation, Progress, User
from interschool.matching import access, parameters, services, tasks, wording
from interschool.matching import vocabularies as v
from interschool.matching.models import Match, MatchingRun, MatchMember, Unmatched

router = Router(tags=["matching"])

BASE = "/networks/{slug}/matching"
RUNS = BASE + "/runs"
ONE = RUNS + "/{pk}"


# --- codes and parameters in the schema --------------------------------------------------------------------


def _codes(choices: type[Choices], about: str) -> WithJsonSchema:
    """A code field's schema, inline: the codes with their English labels.

    Inline rather than a named component, because ``Reason`` and ``MemberRole`` are also names of the
    partnerships' vocabularies and one would replace the other in the OpenAPI schema.
    """
    with translation.override("en"):
        listed = "; ".join(f"`{value}` {label}" for value, label in choices.choices)
    return WithJsonSchema(
        {"type": "string", "enum": list(choices.values), "description": f"{about} Codes: {listed}."}
    )


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _accepts(p: parameters.Parameter) -> str:
    if p.kind is bool:
        return "true or false"
    number = "a whole number" if p.kind is int else "a number"
    return f"{number} from {_shown(p.low)} to {_shown(p.high)}" + (" or null" if p.optional else "")


def _parameters_described() -> str:
    """Every parameter with its English label, what it accepts and its default (the engine's)."""
    with translation.override("en"):
        listed = "; ".join(
            f"`{p.name}` {p.label}: {_accepts(p)}, default {_shown(p.default)}" for p in parameters.ALL
        )
    return (
        "Any of these parameters; the others take their default. An unknown name or a bad value is a 422 "
        f"naming `parameters.<name>`. {listed}."
    )


ModeCode = Annotated[v.RunMode, _codes(v.RunMode, "What the run matches.")]
StatusCode = Annotated[v.RunStatus, _codes(v.RunStatus, "State of the run.")]
MemberRoleCode = Annotated[v.MemberRole, _codes(v.MemberRole, "The organisation's place in the match.")]
ReasonCode = Annotated[v.Reason, _codes(v.Reason, "Why the school has no partner.")]
Points = Annotated[str, Field(description="A decimal number as a string, exact to six places.")]


# --- schemas -----------------------------------------------------------------------------------------------


class Body(Schema):
    """A request body: a field the API does not know is an error naming it, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class MatchingRunIn(Body):
    mode: ModeCode
    parameters: dict[str, Any] = Field(default_factory=dict, description=_parameters_described())
    note: str = Field("", max_length=200, description="What this run tries, for the administrators.")


class MatchingProgressOut(Schema):
    done: int = Field(description="Stages done: reading the registry, matching, storing the result.")
    total: int
    percent: int
    message: str = Field(description="The stage running now, or why the run failed.")


class MatchingRunOut(Schema):
    id: int
    mode: ModeCode
    status: StatusCode
    parameters: dict[str, Any] = Field(description="Every parameter the run used, defaults included.")
    note: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str = Field(description="Why the run failed; empty otherwise.")
    summary: dict[str, Any] = Field(
        description="Figures of a finished run: participants, matched, coverage, matches, total_score, "
        "mean_score, mean_distance_km, mean_outcome_gap, cross_community_share, unmatched (by reason), "
        "solver_status, candidate_pairs, seconds; empty until it finishes."
    )
    progress: MatchingProgressOut | None = Field(
        description="Poll this (or `status`) until the run finishes."
    )


class MatchMemberOut(Schema):
    organisation_id: int
    name: str
    role: MemberRoleCode


class MatchLineOut(Schema):
    component: str = Field(description="The score component's code (`outcome_gap`, `distance`, …).")
    label: str = Field(description="The component's name in the request's language.")
    points: Points
    sentence: str = Field(description="Why it counts this much, in the request's language.")


class MatchOut(Schema):
    number: int
    score: Points
    distance_km: float | None = Field(description="For a group: between the two members furthest apart.")
    online: bool
    members: list[MatchMemberOut]
    components: dict[str, Points] = Field(
        description="Each component's points; for a group summed over the pairs inside it."
    )
    explanation: list[MatchLineOut] = Field(
        description="The components as sentences; the points add up to score."
    )
    partnership_id: int | None = Field(description="The partnership proposed when the match was accepted.")
    accepted_at: dt.datetime | None


class UnmatchedOut(Schema):
    organisation_id: int
    name: str
    reason: ReasonCode
    sentence: str = Field(description="The reason in the request's language.")


class MatchCandidateOut(Schema):
    rank: int
    organisation_id: int = Field(description="The candidate partner.")
    name: str
    score: Points
    distance_km: float | None
    matched: bool = Field(description="Whether the run paired the school with this candidate.")
    explanation: list[MatchLineOut]


class MatchSchoolOut(Schema):
    organisation_id: int
    name: str
    matches: list[int] = Field(description="Numbers of the run's matches the school is in.")
    reason: ReasonCode | None = Field(description="Why the school has no partner; null when it has one.")
    reason_sentence: str | None
    candidates: list[MatchCandidateOut] = Field(
        description="The candidates the engine chose from, best first."
    )


class MatchCandidateQuery(Schema):
    limit: int = Field(20, ge=1, le=100, description="How many candidates, 1–100.")


class MatchListQuery(Schema):
    school: int | None = Field(None, description="Only the matches this organisation (id) is in.")


class UnmatchedListQuery(Schema):
    reason: ReasonCode | None = None


class MatchAcceptIn(Body):
    matches: list[int] | None = Field(None, description="Numbers of the matches to accept.")
    all: bool = Field(False, description="`true`: accept every match of the run not accepted yet.")


# --- serialisation -----------------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # the API's authentication always sets a user
        raise Http404
    return user


def _decimal(value: Any) -> str:
    return f"{value:f}"


def _progress(progress: Progress | None) -> dict[str, Any] | None:
    if progress is None:
        return None
    # The worker stores its stage messages as their English source text; shown in the reader's language.
    message = progress.message
    return {
        "done": progress.done,
        "total": progress.total,
        "percent": progress.percent,
        "message": _(message) if message else "",
    }


def _run(run: MatchingRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "mode": run.mode,
        "status": run.status,
        "parameters": run.parameters,
        "note": run.note,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "error": run.error,
        "summary": run.summary,
        "progress": _progress(run.progress),
    }


def _lines(lines: list[wording.ComponentLine]) -> list[dict[str, Any]]:
    return [
        {
            "component": line.code,
            "label": line.label,
            "points": _decimal(line.points),
            "sentence": line.sentence,
        }
        for line in lines
    ]


# The engine's order of the components. A match's components come back from a JSON column, whose key
# order PostgreSQL does not keep (jsonb sorts keys), so they are put back in this order.
COMPONENT_ORDER = {code: position for position, code in enumerate(v.COMPONENT_LABELS)}


def _in_order(components: dict[str, Any]) -> dict[str, Any]:
    return dict(
        sorted(components.items(), key=lambda item: COMPONENT_ORDER.get(item[0], len(COMPONENT_ORDER)))
    )


def _match(run: MatchingRun, match: Match) -> dict[str, Any]:
    members = list(match.members.all())
    components = _in_order(match.components)
    # A group's components are summed over its pairs; the sentences speak of the mean pair.
    pairs = len(members) * (len(members) - 1) // 2 if run.mode == v.RunMode.CLUSTERS else 1
    lines = wording.component_lines(run.mode, components, run.parameters, match.distance_km, pairs)
    return {
        "number": match.number,
        "score": _decimal(match.score),
        "distance_km": match.distance_km,
        "online": match.online,
        "members": [
            {"organisation_id": m.organisation_id, "name": m.organisation.name, "role": m.role}
            for m in members
        ],
        "components": {code: str(points) for code, points in components.items()},
        "explanation": _lines(lines),
        "partnership_id": match.partnership_id,
        "accepted_at": match.accepted_at,
    }


def _matches(run: MatchingRun) -> QuerySet[Match]:
    members = MatchMember.objects.select_related("organisation").order_by("pk")
    return Match.objects.filter(run=run).order_by("number").prefetch_related(Prefetch("members", members))


@contextmanager
def _parameter_fields() -> Iterator[None]:
    """Name a parameter's error as the body holds it (``capacity`` → ``parameters.capacity``)."""
    try:
        yield
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        kept = {"mode", "note", NON_FIELD_ERRORS}
        raise ValidationError(
            {
                name if name in kept else f"parameters.{name}": errors
                for name, errors in error.error_dict.items()
            }
        ) from error


# --- runs --------------------------------------------------------------------------------------------------


@router.post(
    RUNS,
    response={201: MatchingRunOut, **ERRORS},
    summary="Start a matching run in the background (network administrators)",
)
def run_start(request: HttpRequest, slug: str, payload: MatchingRunIn) -> Status[dict[str, Any]]:
    membership = access.matching_for_user(request.user, slug, manage=True)
    with _parameter_fields():
        run = services.run_create(
            actor=_user(request),
            network=membership.network,
            mode=payload.mode.value,
            parameters=payload.parameters,
            note=payload.note,
        )
    run_id = run.pk
    transaction.on_commit(lambda: tasks.execute_run.enqueue(run_id))
    return Status(201, _run(run))


@router.get(
    RUNS,
    response={200: list[MatchingRunOut], **ERRORS},
    summary="Matching runs of a network, newest first (administrators, coordinators)",
)
@paginate(PageNumber)
def run_list(request: HttpRequest, slug: str) -> Any:
    _membership, runs = access.run_list_for_user(request.user, slug)
    rows = runs.defer("snapshot", "candidates").order_by("-created_at", "-pk")
    return PagedRows(rows, lambda page: [_run(run) for run in page])


@router.get(
    ONE,
    response={200: MatchingRunOut, **ERRORS},
    summary="One run: status, progress, parameters and summary (administrators, coordinators)",
)
def run_detail(request: HttpRequest, slug: str, pk: int) -> dict[str, Any]:
    return _run(access.run_get_for_user(request.user, slug, pk)[1])


@router.get(
    ONE + "/matches",
    response={200: list[MatchOut], **ERRORS},
    summary="A run's matches with their explanations (administrators, coordinators)",
)
@paginate(PageNumber)
def match_list(request: HttpRequest, slug: str, pk: int, filters: Query[MatchListQuery]) -> Any:
    _membership, run = access.run_get_for_user(request.user, slug, pk)
    matches = _matches(run)
    if filters.school is not None:
        containing = MatchMember.objects.filter(match__run=run, organisation_id=filters.school)
        matches = matches.filter(pk__in=containing.values("match"))
    return PagedRows(matches, lambda page: [_match(run, m) for m in page])


@router.get(
    ONE + "/unmatched",
    response={200: list[UnmatchedOut], **ERRORS},
    summary="A run's schools without a partner, and why (administrators, coordinators)",
)
@paginate(PageNumber)
def unmatched_list(request: HttpRequest, slug: str, pk: int, filters: Query[UnmatchedListQuery]) -> Any:
    _membership, run = access.run_get_for_user(request.user, slug, pk)
    rows = (
        Unmatched.objects.filter(run=run)
        .select_related("organisation")
        .order_by("reason", "organisation__name", "organisation_id")
    )
    if filters.reason is not None:
        rows = rows.filter(reason=filters.reason.value)

    def serialise(page: list[Unmatched]) -> list[dict[str, Any]]:
        return [
            {
                "organisation_id": u.organisation_id,
                "name": u.organisation.name,
                "reason": u.reason,
                "sentence": wording.reason_sentence(u.reason, run.parameters),
            }
            for u in page
        ]

    return PagedRows(rows, serialise)


@router.get(
    ONE + "/schools/{organisation_id}/candidates",
    response={200: MatchSchoolOut, **ERRORS},
    summary="A school's ranked candidates in a run, each explained (administrators, coordinators)",
)
def school_candidates(
    request: HttpRequest, slug: str, pk: int, organisation_id: int, filters: Query[MatchCandidateQuery]
) -> dict[str, Any]:
    _membership, run, school = access.run_school_get_for_user(request.user, slug, pk, organisation_id)
    found = services.school_candidates(run, school.pk, filters.limit)
    names = dict(
        Organisation.objects.filter(
            network_id=run.network_id, pk__in=[c.partner_id for c in found]
        ).values_list("pk", "name")
    )
    numbers = list(
        MatchMember.objects.filter(match__run=run, organisation=school)
        .order_by("match__number")
        .values_list("match__number", flat=True)
    )
    reason = Unmatched.objects.filter(run=run, organisation=school).values_list("reason", flat=True).first()
    return {
        "organisation_id": school.pk,
        "name": school.name,
        "matches": numbers,
        "reason": reason,
        "reason_sentence": None if reason is None else wording.reason_sentence(reason, run.parameters),
        "candidates": [
            {
                "rank": c.rank,
                "organisation_id": c.partner_id,
                "name": names.get(c.partner_id, ""),
                "score": _decimal(c.explanation.score),
                "distance_km": c.explanation.distance_km,
                "matched": c.matched,
                "explanation": _lines(
                    wording.component_lines(
                        run.mode,
                        _in_order(c.explanation.components),
                        run.parameters,
                        c.explanation.distance_km,
                    )
                ),
            }
            for c in found
        ],
    }


@router.post(
    ONE + "/accept",
    response={200: list[MatchOut], **ERRORS},
    summary="Accept matches as partnership proposals (network administrators)",
)
def match_accept(request: HttpRequest, slug: str, pk: int, payload: MatchAcceptIn) -> list[dict[str, Any]]:
    _membership, run = access.run_get_for_user(request.user, slug, pk, manage=True)
    if payload.all and payload.matches:
        raise ValidationError({"all": _("Send the numbers of the matches or all, not both.")})
    if not payload.all and not payload.matches:
        raise ValidationError({"matches": _("Give the numbers of the matches to accept, or all: true.")})
    accepted = services.matches_accept(
        actor=_user(request), run=run, numbers=None if payload.all else payload.matches
    )
    return [_match(run, m) for m in _matches(run).filter(pk__in=[m.pk for m in accepted])]
