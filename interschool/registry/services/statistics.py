"""Network statistics and classification, computed after each import rather than on every request."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from interschool.algorithms.classification import Rules, SchoolSeries, classify, group_statistics
from interschool.algorithms.matching.scoring import PERCENTILE_YEARS, outcome_percentiles
from interschool.core.models import Network, Organisation, OrganisationKind
from interschool.registry import charts
from interschool.registry.models import (
    SMALL_NUMBER_THRESHOLD,
    Classification,
    ClassificationLabel,
    Indicator,
    OrganisationYear,
    OutcomeValue,
    PhaseStatistic,
    RegistrySettings,
)
from interschool.registry.selectors import filter_choices
from interschool.registry.services.bulk import bulk_insert, bulk_update_rows

RULE_FIELDS = tuple(f.name for f in dataclasses.fields(Rules))


def registry_settings(network: Network) -> RegistrySettings:
    row, _created = RegistrySettings.objects.get_or_create(network=network)
    return row


def rules_for(settings_row: RegistrySettings) -> Rules:
    stored = {k: v for k, v in (settings_row.rules or {}).items() if k in RULE_FIELDS}
    return Rules(**stored)


@transaction.atomic
def registry_recompute(*, network: Network) -> dict[str, int]:
    """Latest yearly figures, phase statistics, classification and base map of one network."""
    settings_row = RegistrySettings.objects.select_for_update().get_or_create(network=network)[0]
    schools = {
        pk: (phase, strengths, lat, lon)
        for pk, phase, strengths, lat, lon in Organisation.objects.filter(
            network=network, kind=OrganisationKind.SCHOOL
        ).values_list("pk", "phase", "strengths", "latitude", "longitude")
    }
    _latest_figures(network)
    series = _shown_series(network)
    indicators = {i.pk: i for i in Indicator.objects.filter(network=network)}
    stats_count = _phase_statistics(network, schools, series, indicators)
    classified = _classify(network, settings_row, schools, series, indicators)
    points = [(lat, lon) for _phase, _s, lat, lon in schools.values() if lat is not None and lon is not None]
    settings_row.base_map = dataclasses.asdict(charts.base_map(points)) if points else {}
    settings_row.filter_choices = filter_choices(Organisation.objects.filter(network=network))
    settings_row.statistics_at = settings_row.classified_at = timezone.now()
    settings_row.save()
    return {"statistics": stats_count, "classified": classified, "mapped": len(points)}


def _latest_figures(network: Network) -> None:
    latest: dict[int, dict[str, Any]] = defaultdict(dict)
    for org_id, enrolment, ses in (
        OrganisationYear.objects.filter(organisation__network=network)
        .order_by("year")
        .values_list("organisation_id", "enrolment", "ses_index")
    ):
        if enrolment is not None:
            latest[org_id]["enrolment"] = enrolment
        if ses is not None:
            latest[org_id]["ses_index"] = ses
    changed = []
    for pk, enrolment, ses in Organisation.objects.filter(network=network).values_list(
        "pk", "enrolment", "ses_index"
    ):
        figures = latest.get(pk, {})
        if (enrolment, ses) != (figures.get("enrolment"), figures.get("ses_index")):
            changed.append((pk, figures.get("enrolment"), figures.get("ses_index")))
    bulk_update_rows(Organisation, ("enrolment", "ses_index"), changed)


def _shown_series(network: Network) -> dict[int, dict[int, dict[int, float | None]]]:
    """indicator → organisation → year → value as it may be shown (None when suppressed or missing)."""
    series: dict[int, dict[int, dict[int, float | None]]] = defaultdict(lambda: defaultdict(dict))
    for ind, org, year, value, cohort, suppressed in OutcomeValue.objects.filter(
        indicator__network=network
    ).values_list("indicator_id", "organisation_id", "year", "value", "cohort", "suppressed"):
        small = cohort is not None and cohort < SMALL_NUMBER_THRESHOLD
        series[ind][org][year] = None if suppressed or small else value
    return series


def _phase_statistics(
    network: Network,
    schools: dict[int, tuple[str, list[str], float | None, float | None]],
    series: dict[int, dict[int, dict[int, float | None]]],
    indicators: dict[int, Indicator],
) -> int:
    rows = []
    for ind_id, by_org in series.items():
        indicator = indicators[ind_id]
        items = [
            SchoolSeries(key=org, group=schools[org][0], has_strength=False, values=values)
            for org, values in by_org.items()
            if org in schools
        ]
        for (phase, year), stat in group_statistics(
            items, higher_is_better=indicator.higher_is_better
        ).items():
            rows.append((network.pk, ind_id, phase, year, stat.n, stat.median, stat.p20, stat.p80))
    PhaseStatistic.objects.filter(network=network).delete()
    bulk_insert(
        PhaseStatistic, ("network", "indicator", "phase", "year", "count", "median", "p20", "p80"), rows
    )
    return len(rows)


def phase_indicator_choice(
    settings_row: RegistrySettings,
    schools: dict[int, tuple[str, list[str], float | None, float | None]],
    series: dict[int, dict[int, dict[int, float | None]]],
    indicators: dict[int, Indicator],
) -> dict[str, int]:
    """The indicator each phase is classified on: the configured one, else the one most schools report."""
    by_code = {i.code: i.pk for i in indicators.values()}
    chosen: dict[str, int] = {}
    coverage: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for ind_id, by_org in series.items():
        for org, values in by_org.items():
            if org in schools and any(v is not None for v in values.values()):
                coverage[schools[org][0]][ind_id] += 1
    for phase, counts in coverage.items():
        configured = (settings_row.phase_indicators or {}).get(phase)
        if configured in by_code:
            chosen[phase] = by_code[configured]
        elif counts:
            chosen[phase] = max(counts, key=lambda i: (counts[i], -i))
    return chosen


def _percentiles(
    schools: dict[int, tuple[str, list[str], float | None, float | None]],
    chosen: dict[str, int],
    series: dict[int, dict[int, dict[int, float | None]]],
    indicators: dict[int, Indicator],
) -> dict[int, float | None]:
    """Each school's outcome percentile on its phase's indicator: the mean of its latest
    ``PERCENTILE_YEARS`` published values, ranked among the schools on the same indicator."""
    keys, groups, means, higher = [], [], [], []
    for org, (phase, _strengths, _lat, _lon) in schools.items():
        ind_id = chosen.get(phase)
        if ind_id is None:
            continue
        values = series.get(ind_id, {}).get(org, {})
        published = [x for y in sorted(values, reverse=True) if (x := values[y]) is not None]
        latest = published[:PERCENTILE_YEARS]
        keys.append(org)
        groups.append(str(ind_id))
        means.append(round(sum(latest) / len(latest), 9) if latest else None)
        higher.append(indicators[ind_id].higher_is_better)
    return dict(zip(keys, outcome_percentiles(groups, means, higher), strict=True))


def _classify(
    network: Network,
    settings_row: RegistrySettings,
    schools: dict[int, tuple[str, list[str], float | None, float | None]],
    series: dict[int, dict[int, dict[int, float | None]]],
    indicators: dict[int, Indicator],
) -> int:
    rules = rules_for(settings_row)
    chosen = phase_indicator_choice(settings_row, schools, series, indicators)
    percentiles = _percentiles(schools, chosen, series, indicators)
    rows: dict[int, tuple[Any, ...]] = {}
    now = timezone.now()
    for phase, ind_id in chosen.items():
        indicator = indicators[ind_id]
        items = [
            SchoolSeries(key=org, group=phase, has_strength=bool(schools[org][1]), values=values)
            for org, values in series[ind_id].items()
            if org in schools and schools[org][0] == phase
        ]
        results = classify(items, rules, higher_is_better=indicator.higher_is_better)
        for org, result in results.items():
            reasons = [r.as_dict() for r in result.reasons]
            rows[org] = (org, network.pk, result.label, ind_id, reasons, percentiles.get(org), now)
    for org, (phase, _strengths, _lat, _lon) in schools.items():
        if org not in rows:
            code = "no_indicator" if phase not in chosen else "not_enough_data"
            reasons = [{"code": code, "years": [], "numbers": {}}]
            rows[org] = (
                org,
                network.pk,
                ClassificationLabel.NONE,
                chosen.get(phase),
                reasons,
                percentiles.get(org),
                now,
            )
    Classification.objects.filter(network=network).delete()
    fields = ("organisation", "network", "label", "indicator", "reasons", "percentile", "computed_at")
    bulk_insert(Classification, fields, rows.values())
    return len(rows)
