"""A partnership's action plan (goals, activities, indicators, timeline, export) and maturity pages."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from interschool.core.models import OrganisationKind
from interschool.core.views.common import AuthenticatedRequest, add_service_errors, paginate
from interschool.partnerships import access as acc
from interschool.partnerships import charts, record, wording
from interschool.partnerships import vocabularies as v
from interschool.partnerships.access import Level, PartnershipAccess
from interschool.partnerships.models import (
    Assessment,
    EvidenceFile,
    Goal,
    Partnership,
    PlanActivity,
    PlanIndicator,
)
from interschool.partnerships.plan_forms import (
    ActivityForm,
    AssessmentForm,
    GoalForm,
    IndicatorForm,
    as_initial,
)
from interschool.partnerships.services import plan as svc
from interschool.registry.models import OutcomeValue

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HORIZONS = (v.Horizon.SHORT, v.Horizon.MEDIUM, v.Horizon.LONG)
GOAL_COLUMNS = (
    "goal_id",
    "title",
    "description",
    "motive",
    "motive_label",
    "horizon",
    "horizon_label",
    "aim",
    "aim_label",
    "position",
)
ACTIVITY_COLUMNS = (
    "activity_id",
    "goal_id",
    "goal",
    "title",
    "kind",
    "kind_label",
    "owner",
    "starts_on",
    "ends_on",
    "status",
    "status_label",
    "participants",
    "participants_labels",
    "notes",
)
CSV_GOAL_COLUMNS = ("goal_id", "goal", "goal_motive", "goal_horizon", "goal_horizon_label", "goal_aim")
INDICATOR_COLUMNS = (
    "plan_indicator_id",
    "goal_id",
    "goal",
    "indicator_code",
    "indicator",
    "unit",
    "scope",
    "school",
    "baseline",
    "baseline_year",
    "target",
    "target_year",
)


# --- shared pieces --------------------------------------------------------------------------------------


def _context(access: PartnershipAccess, tab: str, **extra: Any) -> dict[str, Any]:
    partnership = access.partnership
    return {
        "access": access,
        "membership": access.membership,
        "network": access.membership.network,
        "partnership": partnership,
        "pseudonymous": access.pseudonymous,
        "can_change": access.can_edit and partnership.state != v.State.ENDED,
        "active_tab": tab,
        **extra,
    }


def _labels(choices: Iterable[tuple[Any, Any]]) -> dict[Any, str]:
    return {value: str(label) for value, label in choices}


def _day(value: dt.date | None) -> str:
    return date_format(value, "DATE_FORMAT") if value else ""


def _month(value: dt.date) -> str:
    return date_format(value, "M Y")


def _member_name(access: PartnershipAccess, organisation: Any) -> str:
    if organisation is None:
        return ""
    return access.organisation_name(organisation.pk, organisation.name)


def _goals_in_order(partnership: Partnership) -> Any:
    rank = Case(
        *(When(horizon=h, then=Value(i)) for i, h in enumerate(HORIZONS)),
        default=Value(len(HORIZONS)),
        output_field=IntegerField(),
    )
    return partnership.goals.annotate(horizon_rank=rank).order_by("horizon_rank", "position", "pk")


def _plan_url(access: PartnershipAccess, anchor: str = "") -> str:
    url = reverse("partnership_plan", args=[access.membership.network.slug, access.partnership.pk])
    return f"{url}#{anchor}" if anchor else url


def _maturity_url(access: PartnershipAccess) -> str:
    return reverse("partnership_maturity", args=[access.membership.network.slug, access.partnership.pk])


# --- the action plan -----------------------------------------------------------------------------------


@login_required
@require_GET
def plan_page(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    access = acc.partnership_get_for_user(request.user, network_slug, pk, level=Level.READ)
    partnership = access.partnership
    page = paginate(request, _goals_in_order(partnership))
    goals: list[Goal] = list(page.object_list)
    goal_ids = [g.pk for g in goals]
    activities = PlanActivity.objects.filter(goal_id__in=goal_ids).select_related("owner__organisation")
    indicators = list(
        PlanIndicator.objects.filter(goal_id__in=goal_ids).select_related("indicator", "organisation")
    )
    latest = _latest_values(access, indicators)
    labels = {
        "kind": _labels(v.ActivityType.choices),
        "status": _labels(v.ActivityStatus.choices),
        "participant": _labels(v.Participant.choices),
    }
    activities_by_goal: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for activity in activities:
        activities_by_goal[activity.goal_id].append(_activity_row(access, activity, labels))
    indicators_by_goal: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for target in indicators:
        indicators_by_goal[target.goal_id].append(
            {
                "object": target,
                "school": _member_name(access, target.organisation),
                "latest": latest.get(target.pk, []),
            }
        )
    horizons = []
    horizon_labels = _labels(v.Horizon.choices)
    for horizon in HORIZONS:
        items = [
            {
                "goal": goal,
                "activities": activities_by_goal.get(goal.pk, []),
                "indicators": indicators_by_goal.get(goal.pk, []),
            }
            for goal in goals
            if goal.horizon == horizon
        ]
        if items:
            horizons.append({"code": horizon, "label": horizon_labels[horizon], "goals": items})
    return render(
        request,
        "partnerships/plan.html",
        _context(
            access,
            "plan",
            page=page,
            horizons=horizons,
            query="",
            timeline_svg=_timeline_svg(access, css_class=INLINE_CHART),
            has_goals=page.paginator.count > 0,
        ),
    )


def _activity_row(
    access: PartnershipAccess, activity: PlanActivity, labels: dict[str, dict[Any, str]]
) -> dict[str, Any]:
    return {
        "object": activity,
        "kind": labels["kind"].get(activity.kind, activity.kind),
        "status": labels["status"].get(activity.status, activity.status),
        "owner": _member_name(access, activity.owner.organisation if activity.owner else None),
        "participants": [labels["participant"].get(p, p) for p in activity.participants or []],
    }


def _latest_values(
    access: PartnershipAccess, indicators: Sequence[PlanIndicator]
) -> dict[int, list[dict[str, Any]]]:
    """Per plan indicator: each school's value of the target year, or else of the latest year there is.

    A suppressed value is shown as suppressed and never as a number; "member schools" indicators list
    every member school.
    """
    if not indicators:
        return {}
    schools = [
        m.organisation
        for m in access.partnership.members.all()
        if m.organisation.kind == OrganisationKind.SCHOOL
    ]
    wanted = {t.organisation_id for t in indicators if t.organisation_id} | {s.pk for s in schools}
    names = {s.pk: s for s in schools} | {
        t.organisation.pk: t.organisation for t in indicators if t.organisation
    }
    series: dict[tuple[int, int], dict[int, OutcomeValue]] = defaultdict(dict)
    for value in OutcomeValue.objects.filter(
        indicator_id__in={t.indicator_id for t in indicators}, organisation_id__in=wanted
    ).order_by("year"):
        series[(value.indicator_id, value.organisation_id)][value.year] = value
    result: dict[int, list[dict[str, Any]]] = {}
    for target in indicators:
        organisation_ids = [target.organisation_id] if target.organisation_id else [s.pk for s in schools]
        rows = []
        for organisation_id in organisation_ids:
            years = series.get((target.indicator_id, organisation_id))
            if not years:
                continue
            value = years.get(target.target_year) or years[max(years)]
            rows.append(
                {
                    "school": _member_name(access, names[organisation_id]),
                    "year": value.year,
                    "suppressed": value.is_suppressed,
                    "value": None if value.is_suppressed else value.shown_value,
                }
            )
        result[target.pk] = rows
    return result


def _timeline_groups(access: PartnershipAccess) -> list[charts.TimelineGroup]:
    partnership = access.partnership
    goals = list(_goals_in_order(partnership))
    activities: dict[int, list[PlanActivity]] = defaultdict(list)
    for activity in partnership.activities.select_related("owner__organisation").order_by("starts_on", "pk"):
        activities[activity.goal_id].append(activity)
    kinds, statuses = _labels(v.ActivityType.choices), _labels(v.ActivityStatus.choices)
    groups = []
    for goal in goals:
        bars = []
        for a in activities.get(goal.pk, []):
            note = _("%(title)s — %(kind)s, %(start)s to %(end)s, %(status)s") % {
                "title": a.title,
                "kind": kinds.get(a.kind, a.kind),
                "start": _day(a.starts_on),
                "end": _day(a.ends_on or a.starts_on),
                "status": statuses.get(a.status, a.status),
            }
            bars.append(charts.TimelineBar(a.title, a.starts_on, a.ends_on, a.status, note))
        if bars:
            groups.append(charts.TimelineGroup(goal.title, bars))
    return groups


# Inline charts shrink to their column (Bootstrap's max-width and height utilities); served alone, they
# keep their natural size.
INLINE_CHART = "mw-100 h-auto"


def _timeline_svg(access: PartnershipAccess, id_prefix: str = "plan-timeline", css_class: str = "") -> str:
    groups = _timeline_groups(access)
    count = sum(len(g.bars) for g in groups)
    if count:
        first = min(b.starts_on for g in groups for b in g.bars)
        last = max(b.ends_on or b.starts_on for g in groups for b in g.bars)
        description = _(
            "%(count)s activities of %(goals)s goals from %(first)s to %(last)s, one bar each, "
            "labelled with its status; the dashed line marks today. The list below gives every detail."
        ) % {"count": count, "goals": len(groups), "first": _day(first), "last": _day(last)}
    else:
        description = _("The plan has no activities yet.")
    return charts.timeline_chart(
        groups,
        today=timezone.localdate(),
        title=_("Timeline of the action plan of %(name)s") % {"name": access.partnership.name},
        description=description,
        status_labels=_labels(v.ActivityStatus.choices),
        today_label=_("Today"),
        empty_text=_("No activities yet."),
        month_label=_month,
        rtl=get_language_bidi(),
        id_prefix=id_prefix,
        css_class=css_class,
    )


def _svg_response(svg: str) -> HttpResponse:
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "private, max-age=60"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def plan_timeline(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    access = acc.partnership_get_for_user(request.user, network_slug, pk, level=Level.READ)
    return _svg_response(_timeline_svg(access, id_prefix="timeline"))


# --- export ---------------------------------------------------------------------------------------------


def _export_rows(
    access: PartnershipAccess,
) -> tuple[list[list[Any]], list[list[Any]], list[list[Any]], dict[int, Goal]]:
    partnership = access.partnership
    goals = list(_goals_in_order(partnership))
    by_id = {g.pk: g for g in goals}
    motive, horizon, aim = _labels(v.Motive.choices), _labels(v.Horizon.choices), _labels(v.Aim.choices)
    kind, status, who = (
        _labels(v.ActivityType.choices),
        _labels(v.ActivityStatus.choices),
        _labels(v.Participant.choices),
    )
    goal_rows = [
        [
            g.pk,
            g.title,
            g.description,
            g.motive,
            motive.get(g.motive, ""),
            g.horizon,
            horizon.get(g.horizon, ""),
            g.aim,
            aim.get(g.aim, ""),
            g.position,
        ]
        for g in goals
    ]
    activity_rows = [
        [
            a.pk,
            a.goal_id,
            by_id[a.goal_id].title,
            a.title,
            a.kind,
            kind.get(a.kind, ""),
            _member_name(access, a.owner.organisation if a.owner else None),
            a.starts_on,
            a.ends_on,
            a.status,
            status.get(a.status, ""),
            ";".join(a.participants or []),
            "; ".join(who.get(p, p) for p in a.participants or []),
            a.notes,
        ]
        for a in partnership.activities.select_related("owner__organisation").order_by("starts_on", "pk")
    ]
    indicator_rows = [
        [
            t.pk,
            t.goal_id,
            by_id[t.goal_id].title,
            t.indicator.code,
            t.indicator.name,
            t.indicator.unit,
            "school" if t.organisation_id else "member_schools",
            _member_name(access, t.organisation),
            t.baseline,
            t.baseline_year,
            t.target,
            t.target_year,
        ]
        for t in PlanIndicator.objects.filter(goal__partnership=partnership)
        .select_related("indicator", "organisation")
        .order_by("goal_id", "pk")
    ]
    return goal_rows, activity_rows, indicator_rows, by_id


def _filename(access: PartnershipAccess, extension: str) -> str:
    return f"{access.membership.network.slug}-partnership-{access.partnership.pk}-plan.{extension}"


@login_required
@require_GET
def plan_export_xlsx(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    from openpyxl import Workbook

    access = acc.partnership_get_for_user(request.user, network_slug, pk, level=Level.READ)
    goals, activities, indicators, _goals = _export_rows(access)
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, columns, rows in (
        ("Goals", GOAL_COLUMNS, goals),
        ("Activities", ACTIVITY_COLUMNS, activities),
        ("Indicators", INDICATOR_COLUMNS, indicators),
    ):
        sheet = workbook.create_sheet(title)
        sheet.append(list(columns))
        for row in rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text the user typed, never a formula
                elif isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, _filename(access, "xlsx"))
    return response


def _csv_text(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula; dates as ISO dates."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


@login_required
@require_GET
def plan_export_csv(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    """The activities, one row each, with the columns of their goal in front."""
    access = acc.partnership_get_for_user(request.user, network_slug, pk, level=Level.READ)
    _goal_rows, activities, _indicators, goals = _export_rows(access)
    horizon = _labels(v.Horizon.choices)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["activity_id", *CSV_GOAL_COLUMNS, *ACTIVITY_COLUMNS[3:]])
    for row in activities:
        goal = goals[row[1]]
        writer.writerow(
            [
                _csv_text(x)
                for x in (
                    row[0],
                    goal.pk,
                    goal.title,
                    goal.motive,
                    goal.horizon,
                    horizon.get(goal.horizon, ""),
                    goal.aim,
                    *row[3:],
                )
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, _filename(access, "csv"))
    return response


# --- goals, activities, indicators ----------------------------------------------------------------------


def _form_page(
    request: AuthenticatedRequest,
    access: PartnershipAccess,
    form: Any,
    save: Callable[[], Any],
    *,
    heading: str,
    success: str,
    anchor: Callable[[Any], str],
    template: str = "partnerships/plan_form.html",
    tab: str = "plan",
    back: str = "",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            saved = save()
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, success)
            return redirect(anchor(saved))
    return render(
        request,
        template,
        _context(access, tab, form=form, heading=heading, back=back or _plan_url(access), **(extra or {})),
    )


def _confirm_page(
    request: AuthenticatedRequest,
    access: PartnershipAccess,
    delete: Callable[[], None],
    *,
    question: str,
    detail: str,
    success: str,
    back: str,
    tab: str = "plan",
) -> HttpResponse:
    error = ""
    if request.method == "POST":
        try:
            delete()
        except ValidationError as caught:
            error = " ".join(caught.messages)
        else:
            messages.success(request, success)
            return redirect(back)
    return render(
        request,
        "partnerships/plan_confirm_delete.html",
        _context(access, tab, question=question, detail=detail, error=error, back=back),
        status=400 if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_create(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    access = acc.partnership_get_for_user(request.user, network_slug, pk, level=Level.EDIT)
    form = GoalForm(request.POST or None)
    return _form_page(
        request,
        access,
        form,
        lambda: svc.goal_create(actor=request.user, partnership=access.partnership, values=form.cleaned_data),
        heading=_("New goal"),
        success=_("The goal was added."),
        anchor=lambda goal: _plan_url(access, f"goal-{goal.pk}"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: AuthenticatedRequest, network_slug: str, pk: int, goal_pk: int) -> HttpResponse:
    access, goal = acc.goal_get_for_user(request.user, network_slug, pk, goal_pk, level=Level.EDIT)
    initial = as_initial(
        {name: getattr(goal, name) for name in ("title", "description", "motive", "horizon", "aim")}
    )
    form = GoalForm(request.POST or None, initial=initial)
    return _form_page(
        request,
        access,
        form,
        lambda: svc.goal_update(actor=request.user, goal=goal, values=form.cleaned_data),
        heading=_("Edit the goal “%(title)s”") % {"title": goal.title},
        success=_("The goal was saved."),
        anchor=lambda _changes: _plan_url(access, f"goal-{goal.pk}"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_delete(request: AuthenticatedRequest, network_slug: str, pk: int, goal_pk: int) -> HttpResponse:
    access, goal = acc.goal_get_for_user(request.user, network_slug, pk, goal_pk, level=Level.EDIT)
    return _confirm_page(
        request,
        access,
        lambda: svc.goal_delete(actor=request.user, goal=goal),
        question=_("Delete the goal “%(title)s”?") % {"title": goal.title},
        detail=_("Its indicators are deleted with it. A goal that still has activities cannot be deleted."),
        success=_("The goal was deleted."),
        back=_plan_url(access),
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    access = acc.partnership_get_for_user(request.user, network_slug, pk, level=Level.EDIT)
    partnership = access.partnership
    if not partnership.goals.exists():
        messages.info(request, _("Add a goal first: every activity serves a goal."))
        return redirect("partnership_goal_create", network_slug, pk)
    initial = {"status": str(v.ActivityStatus.PLANNED)}
    if request.GET.get("goal", "").isdigit():
        initial["goal"] = request.GET["goal"]
    form = ActivityForm(request.POST or None, initial=initial, partnership=partnership)
    return _form_page(
        request,
        access,
        form,
        lambda: svc.activity_create(actor=request.user, partnership=partnership, values=form.cleaned_data),
        heading=_("New activity"),
        success=_("The activity was added."),
        anchor=lambda activity: _plan_url(access, f"activity-{activity.pk}"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(
    request: AuthenticatedRequest, network_slug: str, pk: int, activity_pk: int
) -> HttpResponse:
    access, activity = acc.activity_get_for_user(
        request.user, network_slug, pk, activity_pk, level=Level.EDIT
    )
    initial = as_initial(
        {
            "goal": activity.goal_id,
            "title": activity.title,
            "kind": activity.kind,
            "owner": activity.owner_id,
            "starts_on": activity.starts_on,
            "ends_on": activity.ends_on,
            "status": activity.status,
            "participants": activity.participants or [],
            "notes": activity.notes,
        }
    )
    form = ActivityForm(request.POST or None, initial=initial, partnership=access.partnership)
    return _form_page(
        request,
        access,
        form,
        lambda: svc.activity_update(actor=request.user, activity=activity, values=form.cleaned_data),
        heading=_("Edit the activity “%(title)s”") % {"title": activity.title},
        success=_("The activity was saved."),
        anchor=lambda _changes: _plan_url(access, f"activity-{activity.pk}"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_delete(
    request: AuthenticatedRequest, network_slug: str, pk: int, activity_pk: int
) -> HttpResponse:
    access, activity = acc.activity_get_for_user(
        request.user, network_slug, pk, activity_pk, level=Level.EDIT
    )
    return _confirm_page(
        request,
        access,
        lambda: svc.activity_delete(actor=request.user, activity=activity),
        question=_("Delete the activity “%(title)s”?") % {"title": activity.title},
        detail=_("It leaves the partnership's record, and assessments no longer link to it."),
        success=_("The activity was deleted."),
        back=_plan_url(access),
    )


@login_required
@require_http_methods(["GET", "POST"])
def indicator_create(request: AuthenticatedRequest, network_slug: str, pk: int, goal_pk: int) -> HttpResponse:
    access, goal = acc.goal_get_for_user(request.user, network_slug, pk, goal_pk, level=Level.EDIT)
    form = IndicatorForm(request.POST or None, partnership=access.partnership)
    return _form_page(
        request,
        access,
        form,
        lambda: svc.plan_indicator_create(actor=request.user, goal=goal, values=form.cleaned_data),
        heading=_("New indicator for the goal “%(title)s”") % {"title": goal.title},
        success=_("The indicator was added."),
        anchor=lambda target: _plan_url(access, f"indicator-{target.pk}"),
        extra={"no_indicators": not form.fields["indicator"].queryset.exists()},  # type: ignore[attr-defined]
    )


@login_required
@require_http_methods(["GET", "POST"])
def indicator_edit(
    request: AuthenticatedRequest, network_slug: str, pk: int, indicator_pk: int
) -> HttpResponse:
    access, target = acc.plan_indicator_get_for_user(
        request.user, network_slug, pk, indicator_pk, level=Level.EDIT
    )
    initial = as_initial(
        {
            "indicator": target.indicator_id,
            "organisation": target.organisation_id,
            "baseline": target.baseline,
            "baseline_year": target.baseline_year,
            "target": target.target,
            "target_year": target.target_year,
        }
    )
    form = IndicatorForm(request.POST or None, initial=initial, partnership=access.partnership)
    return _form_page(
        request,
        access,
        form,
        lambda: svc.plan_indicator_update(actor=request.user, target=target, values=form.cleaned_data),
        heading=_("Edit the indicator “%(name)s”") % {"name": target.indicator.name},
        success=_("The indicator was saved."),
        anchor=lambda _changes: _plan_url(access, f"indicator-{target.pk}"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def indicator_delete(
    request: AuthenticatedRequest, network_slug: str, pk: int, indicator_pk: int
) -> HttpResponse:
    access, target = acc.plan_indicator_get_for_user(
        request.user, network_slug, pk, indicator_pk, level=Level.EDIT
    )
    return _confirm_page(
        request,
        access,
        lambda: svc.plan_indicator_delete(actor=request.user, target=target),
        question=_("Delete the indicator “%(name)s” of the goal “%(goal)s”?")
        % {"name": target.indicator.name, "goal": target.goal.title},
        detail=_("The registry's values stay; only this target of the plan is removed."),
        success=_("The indicator was deleted."),
        back=_plan_url(access, f"goal-{target.goal_id}"),
    )


# --- maturity ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def maturity_page(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    access = acc.partnership_get_for_user(request.user, network_slug, pk, level=Level.READ)
    partnership = access.partnership
    today = timezone.localdate()
    current = record.suggestion_as_json(record.suggestion_for(partnership, today))
    assessments = partnership.assessments.order_by("-assessed_on", "-pk").prefetch_related(
        Prefetch("files", queryset=EvidenceFile.objects.defer("content").order_by("pk")),
        Prefetch("activities", queryset=PlanActivity.objects.order_by("starts_on", "pk")),
    )
    page = paginate(request, assessments)
    rows = [
        {
            "object": a,
            "label": wording.level_label(a.level),
            "suggested_label": wording.level_label(a.suggested_level),
            "explanation": wording.explain(a.suggestion) if a.suggestion else None,
        }
        for a in page.object_list
    ]
    return render(
        request,
        "partnerships/maturity.html",
        _context(
            access,
            "maturity",
            page=page,
            rows=rows,
            query="",
            today=today,
            current=wording.explain(current),
            trajectory_svg=_trajectory_svg(access, current, today, css_class=INLINE_CHART),
        ),
    )


def _trajectory_svg(
    access: PartnershipAccess,
    current: dict[str, Any],
    today: dt.date,
    id_prefix: str = "trajectory",
    css_class: str = "",
) -> str:
    """Assessed levels at their dates; suggested levels as stored with them, and today's from the record.

    Today's suggestion takes the place of the one stored with an assessment of today, since the record
    may have changed since it was made.
    """
    history = list(
        access.partnership.assessments.order_by("assessed_on", "pk").values_list(
            "assessed_on", "level", "suggested_level"
        )
    )
    labels = wording.level_labels()

    def note(kind: str, on: dt.date, level: int) -> str:
        return _("%(date)s: %(kind)s level %(level)s, %(label)s") % {
            "date": _day(on),
            "kind": kind,
            "level": level,
            "label": labels.get(level, ""),
        }

    assessed_word, suggested_word = _("assessed"), _("suggested")
    assessed = [charts.LevelPoint(on, level, note(assessed_word, on, level)) for on, level, _s in history]
    suggested = [
        charts.LevelPoint(on, level, note(suggested_word, on, level))
        for on, _l, level in history
        if on != today
    ]
    suggested.append(
        charts.LevelPoint(today, current["level"], note(suggested_word, today, current["level"]))
    )
    steps = [
        _("%(date)s: assessed %(assessed)s, suggested %(suggested)s")
        % {"date": _day(on), "assessed": level, "suggested": suggested_level}
        for on, level, suggested_level in history
        if on != today
    ]
    steps += [
        _("%(date)s: assessed %(assessed)s") % {"date": _day(on), "assessed": level}
        for on, level, _s in history
        if on == today
    ]
    steps.append(_("suggested today: %(level)s") % {"level": current["level"]})
    description = _(
        "Levels 1 (isolated) to 6 (symbiotic partnership) over time: the assessed level as a solid line "
        "with dots, the level suggested by the record as a dashed line with squares. %(steps)s."
    ) % {"steps": "; ".join(steps)}
    return charts.trajectory_chart(
        assessed=assessed,
        suggested=suggested,
        level_labels=labels,
        title=_("Maturity of %(name)s on the sharing continuum") % {"name": access.partnership.name},
        description=description,
        assessed_label=_("Assessed level"),
        suggested_label=_("Suggested level"),
        empty_text=_("No assessments yet."),
        month_label=_month,
        rtl=get_language_bidi(),
        id_prefix=id_prefix,
        css_class=css_class,
    )


@login_required
@require_GET
def maturity_trajectory(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    access = acc.partnership_get_for_user(request.user, network_slug, pk, level=Level.READ)
    today = timezone.localdate()
    current = record.suggestion_as_json(record.suggestion_for(access.partnership, today))
    return _svg_response(_trajectory_svg(access, current, today, id_prefix="trajectory-image"))


def _assessment_form(
    request: AuthenticatedRequest, access: PartnershipAccess, **kwargs: Any
) -> AssessmentForm:
    activities = access.partnership.activities.order_by("starts_on", "pk")
    if request.method == "POST":
        return AssessmentForm(request.POST, request.FILES, activities=activities, **kwargs)
    return AssessmentForm(activities=activities, **kwargs)


@login_required
@require_http_methods(["GET", "POST"])
def assessment_create(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    access = acc.partnership_get_for_user(request.user, network_slug, pk, level=Level.EDIT)
    today = timezone.localdate()
    suggestion = record.suggestion_for(access.partnership, today)
    form = _assessment_form(
        request, access, initial={"assessed_on": today.isoformat(), "level": suggestion.level}
    )
    return _form_page(
        request,
        access,
        form,
        lambda: svc.assessment_create(
            actor=request.user,
            partnership=access.partnership,
            values=form.values(),
            activities=form.chosen_activities(),
            files=form.uploads(),
        ),
        heading=_("New maturity assessment"),
        success=_("The assessment was added."),
        anchor=lambda _assessment: _maturity_url(access),
        template="partnerships/assessment_form.html",
        tab="maturity",
        back=_maturity_url(access),
        extra={"current": wording.explain(record.suggestion_as_json(suggestion))},
    )


@login_required
@require_http_methods(["GET", "POST"])
def assessment_edit(
    request: AuthenticatedRequest, network_slug: str, pk: int, assessment_pk: int
) -> HttpResponse:
    access, assessment = acc.assessment_get_for_user(
        request.user, network_slug, pk, assessment_pk, level=Level.EDIT
    )
    initial = as_initial(
        {
            "assessed_on": assessment.assessed_on,
            "level": assessment.level,
            "evidence": assessment.evidence,
            "activities": [a.pk for a in assessment.activities.all()],
        }
    ) | {"links": "\n".join(assessment.links or [])}
    form = _assessment_form(request, access, initial=initial)
    return _form_page(
        request,
        access,
        form,
        lambda: svc.assessment_update(
            actor=request.user,
            assessment=assessment,
            values=form.values(),
            activities=form.chosen_activities(),
            files=form.uploads(),
        ),
        heading=_("Edit the assessment of %(date)s") % {"date": _day(assessment.assessed_on)},
        success=_("The assessment was saved."),
        anchor=lambda _changes: _maturity_url(access),
        template="partnerships/assessment_form.html",
        tab="maturity",
        back=_maturity_url(access),
        extra={"assessment": assessment, "files": list(assessment.files.all())},
    )


@login_required
@require_http_methods(["GET", "POST"])
def assessment_delete(
    request: AuthenticatedRequest, network_slug: str, pk: int, assessment_pk: int
) -> HttpResponse:
    access, assessment = acc.assessment_get_for_user(
        request.user, network_slug, pk, assessment_pk, level=Level.EDIT
    )
    return _confirm_page(
        request,
        access,
        lambda: svc.assessment_delete(actor=request.user, assessment=assessment),
        question=_("Delete the assessment of %(date)s?") % {"date": _day(assessment.assessed_on)},
        detail=_("Its evidence files are deleted with it."),
        success=_("The assessment was deleted."),
        back=_maturity_url(access),
        tab="maturity",
    )


def _evidence_file(
    request: AuthenticatedRequest, network_slug: str, pk: int, assessment_pk: int, file_pk: int, level: Level
) -> tuple[PartnershipAccess, Assessment, EvidenceFile]:
    access, assessment = acc.assessment_get_for_user(
        request.user, network_slug, pk, assessment_pk, level=level
    )
    file = next((f for f in assessment.files.all() if f.pk == file_pk), None)
    if file is None:
        raise Http404
    return access, assessment, file


@login_required
@require_GET
def evidence_file_download(
    request: AuthenticatedRequest, network_slug: str, pk: int, assessment_pk: int, file_pk: int
) -> HttpResponse:
    _access, _assessment, file = _evidence_file(request, network_slug, pk, assessment_pk, file_pk, Level.READ)
    response = HttpResponse(bytes(file.content), content_type=file.content_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, file.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def evidence_file_delete(
    request: AuthenticatedRequest, network_slug: str, pk: int, assessment_pk: int, file_pk: int
) -> HttpResponse:
    access, assessment, file = _evidence_file(request, network_slug, pk, assessment_pk, file_pk, Level.EDIT)
    return _confirm_page(
        request,
        access,
        lambda: svc.evidence_file_delete(actor=request.user, file=file),
        question=_("Delete the evidence file “%(name)s”?") % {"name": file.name},
        detail=_("The assessment stays; only this file is removed."),
        success=_("The file was deleted."),
        back=reverse("partnership_assessment_edit", args=[network_slug, pk, assessment.pk]),
        tab="maturity",
    )


urlpatterns = [
    path("<int:pk>/plan/", plan_page, name="partnership_plan"),
    path("<int:pk>/plan/timeline.svg", plan_timeline, name="partnership_plan_timeline"),
    path("<int:pk>/plan/export.xlsx", plan_export_xlsx, name="partnership_plan_xlsx"),
    path("<int:pk>/plan/export.csv", plan_export_csv, name="partnership_plan_csv"),
    path("<int:pk>/plan/goals/new/", goal_create, name="partnership_goal_create"),
    path("<int:pk>/plan/goals/<int:goal_pk>/edit/", goal_edit, name="partnership_goal_edit"),
    path("<int:pk>/plan/goals/<int:goal_pk>/delete/", goal_delete, name="partnership_goal_delete"),
    path(
        "<int:pk>/plan/goals/<int:goal_pk>/indicators/new/",
        indicator_create,
        name="partnership_indicator_create",
    ),
    path("<int:pk>/plan/activities/new/", activity_create, name="partnership_activity_create"),
    path("<int:pk>/plan/activities/<int:activity_pk>/edit/", activity_edit, name="partnership_activity_edit"),
    path(
        "<int:pk>/plan/activities/<int:activity_pk>/delete/",
        activity_delete,
        name="partnership_activity_delete",
    ),
    path(
        "<int:pk>/plan/indicators/<int:indicator_pk>/edit/", indicator_edit, name="partnership_indicator_edit"
    ),
    path(
        "<int:pk>/plan/indicators/<int:indicator_pk>/delete/",
        indicator_delete,
        name="partnership_indicator_delete",
    ),
    path("<int:pk>/maturity/", maturity_page, name="partnership_maturity"),
    path("<int:pk>/maturity/trajectory.svg", maturity_trajectory, name="partnership_maturity_trajectory"),
    path("<int:pk>/maturity/new/", assessment_create, name="partnership_assessment_create"),
    path("<int:pk>/maturity/<int:assessment_pk>/edit/", assessment_edit, name="partnership_assessment_edit"),
    path(
        "<int:pk>/maturity/<int:assessment_pk>/delete/",
        assessment_delete,
        name="partnership_assessment_delete",
    ),
    path(
        "<int:pk>/maturity/<int:assessment_pk>/files/<int:file_pk>",
        evidence_file_download,
        name="partnership_evidence_file",
    ),
    path(
        "<int:pk>/maturity/<int:assessment_pk>/files/<int:file_pk>/delete/",
        evidence_file_delete,
        name="partnership_evidence_file_delete",
    ),
]
