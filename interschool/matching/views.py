"""The matching pages, under /n/<network_slug>/matching/: runs, a new run with what-if parameters, a
run's result with map and acceptance, a school's candidates, two runs side by side, choices and rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from interschool.core.views.common import (
    AuthenticatedRequest,
    add_service_errors,
    paginate,
    query_without_page,
)
from interschool.core.views.tables import table_response
from interschool.matching import access, selectors, services
from interschool.matching import parameters as params
from interschool.matching import vocabularies as v
from interschool.matching.forms import PairRuleForm, RunForm, SchoolChoiceForm
from interschool.matching.maps import MapMember, run_map
from interschool.matching.models import MatchingRun, PairRule, SchoolChoiceRecord, Unmatched
from interschool.matching.tasks import execute_run
from interschool.matching.wording import reason_sentence
from interschool.registry.charts import BaseMap
from interschool.registry.models import RegistrySettings


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
def run_list(request: AuthenticatedRequest, network_slug: str) -> HttpResponseBase:
    membership, runs = access.run_list_for_user(request.user, network_slug)
    page = paginate(request, runs)
    finished = [r for r in runs.filter(status=v.RunStatus.FINISHED)[:50]]
    return render(
        request,
        "matching/run_list.html",
        {
            "membership": membership,
            "network": membership.network,
            "page": page,
            "can_manage": access.can_manage(membership),
            "finished": finished,
            "query": query_without_page(request),
        },
    )


@login_required
def run_new(request: AuthenticatedRequest, network_slug: str) -> HttpResponseBase:
    membership = access.matching_for_user(request.user, network_slug, manage=True)
    network = membership.network
    initial: dict[str, Any] = {"mode": v.RunMode.VERTICAL, **params.defaults()}
    based_on = _int(request.GET.get("from"))
    if based_on is not None:
        _source_membership, source = access.run_get_for_user(request.user, network_slug, based_on)
        initial.update(source.parameters, mode=source.mode)
    form = RunForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.run_create(
                actor=request.user,
                network=network,
                mode=form.cleaned_data["mode"],
                parameters=form.parameters(),
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            run_id = run.pk
            transaction.on_commit(lambda: execute_run.enqueue(run_id))
            messages.success(request, _("The run has started."))
            return redirect("matching_run", network.slug, run.pk)
    return render(
        request,
        "matching/run_new.html",
        {"membership": membership, "network": network, "form": form, "based_on": based_on},
    )


def _map_svg(
    run: MatchingRun,
    members: dict[int, list[selectors.MemberRow]],
    highlight: tuple[float, float] | None = None,
) -> str:
    settings_row = RegistrySettings.objects.filter(network_id=run.network_id).first()
    if settings_row is None or not settings_row.base_map:
        return ""
    groups = [[MapMember(m.latitude, m.longitude, m.role) for m in group] for group in members.values()]
    return run_map(
        BaseMap(**settings_row.base_map),
        groups,
        title=_("Map of the matches of run %(run)s") % {"run": run.pk},
        description=_("%(count)s pairs or groups drawn over the density of the network's schools.")
        % {"count": len(groups)},
        highlight=highlight,
    )


@login_required
def run_detail(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponseBase:
    membership, run = access.run_get_for_user(request.user, network_slug, pk)
    context: dict[str, Any] = {
        "membership": membership,
        "network": membership.network,
        "run": run,
        "can_manage": access.can_manage(membership),
        "parameters": _parameter_rows(run),
    }
    if request.headers.get("HX-Request") and request.GET.get("status"):
        response = render(request, "matching/_run_status.html", context)
        if run.status in (v.RunStatus.FINISHED, v.RunStatus.FAILED):
            response["HX-Refresh"] = "true"
        return response
    if run.finished:
        q = request.GET.get("q", "").strip()
        matches = selectors.matches_of(run, query=q)
        page = paginate(request, matches)
        members = selectors.members_by_match(page.object_list)
        context.update(
            page=page,
            q=q,
            query=query_without_page(request),
            rows=[
                {
                    "match": m,
                    "members": members[m.pk],
                    "lines": selectors.explanation_of(run, m, members[m.pk]),
                }
                for m in page.object_list
            ],
            metrics=selectors.metric_rows([run]),
            open_count=run.matches.filter(accepted_at__isnull=True).count(),
            map_svg=_map_svg(run, selectors.members_by_match(run.matches.all())),
            others=MatchingRun.objects.filter(network=run.network, status=v.RunStatus.FINISHED).exclude(
                pk=run.pk
            )[:50],
        )
    return render(request, "matching/run_detail.html", context)


def _parameter_rows(run: MatchingRun) -> list[dict[str, Any]]:
    return [
        {"label": p.label, "value": run.parameters.get(p.name), "default": p.default, "kind": p.kind.__name__}
        for p in params.ALL
    ]


@login_required
def run_unmatched(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponseBase:
    membership, run = access.run_get_for_user(request.user, network_slug, pk)
    reason = request.GET.get("reason", "")
    if reason and reason not in v.Reason.values:
        reason = ""
    page = paginate(request, selectors.unmatched_of(run, reason))
    return render(
        request,
        "matching/run_unmatched.html",
        {
            "membership": membership,
            "network": membership.network,
            "run": run,
            "page": page,
            "reason": reason,
            "reasons": [
                (code, label) for code, label in v.Reason.choices if code in run.summary.get("unmatched", {})
            ],
            "rows": [
                {"row": row, "sentence": reason_sentence(row.reason, run.parameters)}
                for row in page.object_list
            ],
            "query": query_without_page(request),
        },
    )


@login_required
def run_school(
    request: AuthenticatedRequest, network_slug: str, pk: int, organisation_pk: int
) -> HttpResponseBase:
    membership, run, organisation = access.run_school_get_for_user(
        request.user, network_slug, pk, organisation_pk
    )
    if not run.finished:
        raise Http404
    candidates = services.school_candidates(run, organisation.pk, limit=20)
    names = dict(
        type(organisation).objects.filter(pk__in=[c.partner_id for c in candidates]).values_list("pk", "name")
    )
    own = list(selectors.matches_of(run, school=organisation.pk))
    own_members = selectors.members_by_match(own)
    unmatched = Unmatched.objects.filter(run=run, organisation=organisation).first()
    return render(
        request,
        "matching/run_school.html",
        {
            "membership": membership,
            "network": membership.network,
            "run": run,
            "organisation": organisation,
            "can_manage": access.can_manage(membership),
            "candidates": [
                {
                    "candidate": c,
                    "name": names.get(c.partner_id, ""),
                    "lines": selectors.component_lines(
                        run.mode, c.explanation.components, run.parameters, c.explanation.distance_km
                    ),
                }
                for c in candidates
            ],
            "own": [
                {
                    "match": m,
                    "partners": [x for x in own_members[m.pk] if x.organisation_id != organisation.pk],
                }
                for m in own
            ],
            "unmatched": unmatched,
            "unmatched_sentence": reason_sentence(unmatched.reason, run.parameters) if unmatched else "",
        },
    )


@login_required
@require_POST
def run_accept(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponseBase:
    _membership, run = access.run_get_for_user(request.user, network_slug, pk, manage=True)
    numbers: list[int] | None
    if request.POST.get("all"):
        numbers = None
    else:
        numbers = [n for n in (_int(x) for x in request.POST.getlist("match")) if n is not None]
        if not numbers:
            messages.error(request, _("Choose a match to accept."))
            return redirect("matching_run", network_slug, run.pk)
    try:
        accepted = services.matches_accept(actor=request.user, run=run, numbers=numbers)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(count)s partnership proposals created; the schools' leaders were notified.")
            % {"count": len(accepted)}
            if len(accepted) != 1
            else _("A partnership proposal was created; the schools' leaders were notified."),
        )
    back = request.POST.get("next", "")
    if back.startswith(f"/n/{network_slug}/matching/"):
        return redirect(back)
    return redirect("matching_run", network_slug, run.pk)


@login_required
def run_export(request: AuthenticatedRequest, network_slug: str, pk: int, kind: str) -> HttpResponseBase:
    membership, run = access.run_get_for_user(request.user, network_slug, pk)
    if not run.finished or kind not in ("csv", "xlsx"):
        raise Http404
    return table_response(
        selectors.export_rows(run),
        filename=f"{membership.network.slug}-matching-{run.pk}",
        kind=kind,
        sheet="matching",
    )


@login_required
def run_compare(request: AuthenticatedRequest, network_slug: str) -> HttpResponseBase:
    membership = access.matching_for_user(request.user, network_slug)
    a_pk, b_pk = _int(request.GET.get("a")), _int(request.GET.get("b"))
    if a_pk is None or b_pk is None:
        messages.error(request, _("Choose two finished runs to compare."))
        return redirect("matching_runs", network_slug)
    _m, run_a = access.run_get_for_user(request.user, network_slug, a_pk)
    _m, run_b = access.run_get_for_user(request.user, network_slug, b_pk)
    if not (run_a.finished and run_b.finished):
        messages.error(request, _("Only finished runs can be compared."))
        return redirect("matching_runs", network_slug)
    diff = selectors.differences(run_a, run_b)
    ids = {org for key in (*diff.a, *diff.b) for org in key}
    names = dict(membership.network.organisations.filter(pk__in=ids).values_list("pk", "name"))

    def listed(found: dict[frozenset[int], int]) -> list[dict[str, Any]]:
        rows = [
            {
                "number": n,
                "members": sorted(
                    ({"pk": o, "name": names.get(o, "")} for o in key), key=lambda m: str(m["name"])
                ),
            }
            for key, n in found.items()
        ]
        return sorted(rows, key=lambda r: r["number"])

    changed_parameters = [
        {"label": p.label, "a": run_a.parameters.get(p.name), "b": run_b.parameters.get(p.name)}
        for p in params.ALL
        if run_a.parameters.get(p.name) != run_b.parameters.get(p.name)
    ]
    return render(
        request,
        "matching/run_compare.html",
        {
            "membership": membership,
            "network": membership.network,
            "a": run_a,
            "b": run_b,
            "metrics": selectors.metric_rows([run_a, run_b]),
            "changed_parameters": changed_parameters,
            "only_a": listed(diff.a),
            "only_b": listed(diff.b),
            "same": diff.same,
        },
    )


@login_required
def choices(request: AuthenticatedRequest, network_slug: str) -> HttpResponseBase:
    membership = access.matching_for_user(request.user, network_slug, manage=request.method == "POST")
    network = membership.network
    choice_form = SchoolChoiceForm(
        request.POST if request.POST.get("form") == "choice" else None, network=network, prefix="choice"
    )
    pair_form = PairRuleForm(
        request.POST if request.POST.get("form") == "pair" else None, network=network, prefix="pair"
    )
    if request.method == "POST":
        form_name = request.POST.get("form")
        try:
            if form_name == "choice" and choice_form.is_valid():
                services.school_choice_set(
                    actor=request.user,
                    network=network,
                    organisation=choice_form.cleaned_data["organisation"],
                    choice=choice_form.cleaned_data["choice"],
                )
                messages.success(request, _("The choice is saved; it counts from the next run."))
                return redirect("matching_choices", network.slug)
            if form_name == "clear":
                record = (
                    SchoolChoiceRecord.objects.filter(
                        network=network, pk=_int(request.POST.get("record")) or 0
                    )
                    .select_related("organisation")
                    .first()
                )
                if record is None:
                    raise Http404
                services.school_choice_set(
                    actor=request.user, network=network, organisation=record.organisation, choice=""
                )
                messages.success(request, _("The choice is removed."))
                return redirect("matching_choices", network.slug)
            if form_name == "pair" and pair_form.is_valid():
                data = pair_form.cleaned_data
                services.pair_rule_set(
                    actor=request.user,
                    network=network,
                    a=data["first"],
                    b=data["second"],
                    kind=data["kind"],
                    value=data["value"] if data["value"] is not None else 1.0,
                    note=data["note"],
                )
                messages.success(request, _("The pair rule is saved; it counts from the next run."))
                return redirect("matching_choices", network.slug)
        except ValidationError as error:
            add_service_errors(pair_form if form_name == "pair" else choice_form, error)
    records = SchoolChoiceRecord.objects.filter(network=network).select_related("organisation")
    rules = PairRule.objects.filter(network=network).select_related("first", "second")
    return render(
        request,
        "matching/choices.html",
        {
            "membership": membership,
            "network": network,
            "can_manage": access.can_manage(membership),
            "choice_form": choice_form,
            "pair_form": pair_form,
            "records": paginate(request, records, per_page=100),
            "rules": rules[:500],
            "rule_count": rules.count(),
        },
    )


@login_required
@require_POST
def pair_rule_delete(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponseBase:
    _membership, rule = access.pair_rule_get_for_user(request.user, network_slug, pk)
    services.pair_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("The pair rule is removed."))
    return redirect(reverse("matching_choices", args=[network_slug]))


urlpatterns = [
    path("", run_list, name="matching_runs"),
    path("new/", run_new, name="matching_run_new"),
    path("compare/", run_compare, name="matching_compare"),
    path("choices/", choices, name="matching_choices"),
    path("choices/pairs/<int:pk>/delete/", pair_rule_delete, name="matching_pair_rule_delete"),
    path("<int:pk>/", run_detail, name="matching_run"),
    path("<int:pk>/unmatched/", run_unmatched, name="matching_run_unmatched"),
    path("<int:pk>/schools/<int:organisation_pk>/", run_school, name="matching_run_school"),
    path("<int:pk>/accept/", run_accept, name="matching_run_accept"),
    path("<int:pk>/export.<str:kind>", run_export, name="matching_run_export"),
]
