"""Reads of the registry: filtered school lists, profiles with their series, explanations, exports."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from interschool.core.models import Organisation, Phase
from interschool.registry.models import (
    SMALL_NUMBER_THRESHOLD,
    Classification,
    ClassificationLabel,
    Identifier,
    Indicator,
    OrganisationYear,
    OutcomeValue,
    PhaseStatistic,
    RegistrySettings,
)

# Missing figures sort last both ways (PostgreSQL would put them first in descending order, SQLite not).
SORTS: dict[str, tuple[str | OrderBy, ...]] = {
    "id": ("pk",),
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "enrolment": (F("enrolment").asc(nulls_last=True), "name", "pk"),
    "-enrolment": (F("enrolment").desc(nulls_last=True), "name", "pk"),
    "ses": (F("ses_index").asc(nulls_last=True), "name", "pk"),
    "-ses": (F("ses_index").desc(nulls_last=True), "name", "pk"),
    "district": ("district", "name", "pk"),
    "phase": ("phase", "name", "pk"),
}
FILTERS = ("kind", "phase", "school_type", "district", "community", "status", "classification")


@dataclass
class SchoolFilters:
    q: str = ""
    kind: str = ""
    phase: str = ""
    school_type: str = ""
    district: str = ""
    community: str = ""
    status: str = ""
    classification: str = ""
    sort: str = "name"

    @classmethod
    def from_params(cls, params: Any) -> SchoolFilters:
        values = {name: str(params.get(name, "") or "").strip()[:120] for name in (*FILTERS, "q", "sort")}
        if values["sort"] not in SORTS:
            values["sort"] = "name"
        return cls(**values)

    def pseudonymised(self) -> SchoolFilters:
        """Filters as a researcher may use them: no search by name or identifier, no order by name."""
        sort = "id" if self.sort in {"name", "-name"} else self.sort
        return SchoolFilters(**{**self.__dict__, "q": "", "sort": sort})

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in (*FILTERS, "q"))


def schools_filtered(organisations: QuerySet[Organisation], filters: SchoolFilters) -> QuerySet[Organisation]:
    qs = organisations.select_related("classification")
    for name in ("kind", "phase", "school_type", "district", "community", "status"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{name: value})
    if filters.classification:
        if filters.classification == ClassificationLabel.NONE:
            qs = qs.exclude(
                classification__label__in=[ClassificationLabel.LEADER, ClassificationLabel.NEEDS_SUPPORT]
            )
        else:
            qs = qs.filter(classification__label=filters.classification)
    if filters.q:
        by_identifier = Identifier.objects.filter(organisation=OuterRef("pk"), value__iexact=filters.q)
        qs = qs.filter(Q(name__icontains=filters.q) | Q(code__iexact=filters.q) | Exists(by_identifier))
    return qs.order_by(*SORTS[filters.sort])


FILTER_CHOICE_LIMIT = 1000


def filter_choices(organisations: QuerySet[Organisation]) -> dict[str, list[str]]:
    """The districts and communities present in the network, for the filter menus (two queries).

    Computed after each import into the registry settings; pages read them from there.
    """
    return {
        name: list(
            organisations.exclude(**{name: ""})
            .order_by(name)
            .values_list(name, flat=True)
            .distinct()[:FILTER_CHOICE_LIMIT]
        )
        for name in ("district", "community")
    }


def stored_filter_choices(network_id: int, filters: SchoolFilters) -> dict[str, list[str]]:
    """The menus' values as last computed (one query), plus the values the current filters name."""
    rows = RegistrySettings.objects.filter(network_id=network_id).values_list("filter_choices", flat=True)
    stored = rows.first() or {}
    choices = {name: list(stored.get(name, [])) for name in ("district", "community")}
    for name in choices:
        current = getattr(filters, name)
        if current and current not in choices[name]:
            choices[name].insert(0, current)
    return choices


def classification_of(organisation: Organisation) -> Classification | None:
    """The organisation's classification, or None before the first computation (no query if joined)."""
    try:
        return organisation.classification
    except Classification.DoesNotExist:
        return None


def shown_count(value: int | None) -> int | None:
    """A count of pupils as it may be published: counts under the small-number threshold are withheld."""
    if value is None or value < SMALL_NUMBER_THRESHOLD:
        return None
    return value


@dataclass
class SeriesPoint:
    year: int
    value: float | None
    suppressed: bool
    cohort: int | None
    median: float | None


@dataclass
class IndicatorSeries:
    indicator: Indicator
    points: list[SeriesPoint] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        return [p.year for p in self.points]

    @property
    def suppressed_years(self) -> set[int]:
        return {p.year for p in self.points if p.suppressed}


def outcome_series(organisation: Organisation) -> list[IndicatorSeries]:
    """Each indicator's series for one organisation with the network median of its phase (two queries)."""
    values = list(
        OutcomeValue.objects.filter(organisation=organisation)
        .select_related("indicator")
        .order_by("indicator__name", "indicator_id", "year")
    )
    indicator_ids = {v.indicator_id for v in values}
    medians = {
        (ind, year): median
        for ind, year, median in PhaseStatistic.objects.filter(
            indicator_id__in=indicator_ids, phase=organisation.phase
        ).values_list("indicator_id", "year", "median")
    }
    by_indicator: dict[int, IndicatorSeries] = {}
    for value in values:
        series = by_indicator.setdefault(value.indicator_id, IndicatorSeries(value.indicator))
        series.points.append(
            SeriesPoint(
                year=value.year,
                value=value.shown_value,
                suppressed=value.is_suppressed,
                cohort=shown_count(value.cohort),
                median=medians.get((value.indicator_id, value.year)),
            )
        )
    for series in by_indicator.values():
        # Years the network has a median for but this school has no row: gaps, not zeros.
        have = set(series.years)
        for (ind, year), median in medians.items():
            inside = series.points and series.points[0].year <= year <= series.points[-1].year
            if ind == series.indicator.pk and year not in have and inside:
                series.points.append(SeriesPoint(year, None, False, None, median))
        series.points.sort(key=lambda p: p.year)
    return list(by_indicator.values())


def shown_ses(enrolment: int | None, ses_index: float | None) -> float | None:
    """The socio-economic index as it may be published: withheld with an enrolment under the threshold."""
    return ses_index if enrolment is None or shown_count(enrolment) is not None else None


def yearly_figures(organisation: Organisation) -> list[dict[str, Any]]:
    return [
        {
            "year": y.year,
            "enrolment": shown_count(y.enrolment),
            "enrolment_suppressed": y.enrolment is not None and shown_count(y.enrolment) is None,
            "ses_index": shown_ses(y.enrolment, y.ses_index),
        }
        for y in OrganisationYear.objects.filter(organisation=organisation).order_by("year")
    ]


def related_organisations(organisation: Organisation) -> tuple[list[Organisation], list[Organisation]]:
    """The organisations this one replaced and those that replaced it (one query)."""
    links = (
        Organisation.predecessors.through.objects.filter(
            Q(from_organisation=organisation) | Q(to_organisation=organisation)
        )
        .select_related("from_organisation", "to_organisation")
        .order_by("pk")
    )
    predecessors, successors = [], []
    for link in links:
        if link.from_organisation_id == organisation.pk:
            predecessors.append(link.to_organisation)
        else:
            successors.append(link.from_organisation)
    return predecessors, successors


# --- explanations --------------------------------------------------------------------------------------


def _years_text(years: list[int]) -> str:
    return ", ".join(str(y) for y in years) if years else _("no year")


def _phase_label(code: str) -> str:
    return str(Phase(code).label).lower() if code in Phase.values else code


def explain(classification: Classification | None, phase: str) -> list[str]:
    """Each reason of a classification as a sentence in the active language."""
    if classification is None:
        return [_("Not classified yet: statistics are computed after each import.")]
    indicator = classification.indicator.name if classification.indicator else _("no indicator")
    phase_text = _phase_label(phase) if phase else _("all")
    sentences = []
    for reason in classification.reasons:
        code = reason.get("code", "")
        years = list(reason.get("years", []))
        numbers = reason.get("numbers", {}) or {}
        context = {
            "indicator": indicator,
            "phase": phase_text,
            "years": _years_text(years),
            "percent": _number(numbers.get("percent")),
            "count": int(numbers.get("count", len(years))),
            "needed": numbers.get("needed", ""),
            "window": numbers.get("window", ""),
            "slope": _number(abs(float(numbers["slope_sd"])) if "slope_sd" in numbers else None),
        }
        template = REASON_TEXTS.get(code)
        if template is None:
            sentences.append(code)
        else:
            sentences.append(template(context) % context)
    return sentences


def _number(value: Any) -> str:
    if value is None or value == "":
        return ""
    return f"{round(float(value), 2):g}"


REASON_TEXTS = {
    "top_years": lambda c: ngettext(
        "Top %(percent)s %% of %(indicator)s among %(phase)s schools in %(years)s (%(count)s year).",
        "Top %(percent)s %% of %(indicator)s among %(phase)s schools in %(years)s (%(count)s years).",
        c["count"],
    ),
    "top_years_insufficient": lambda c: (
        _(
            "Never in the top %(percent)s %% of %(indicator)s among %(phase)s schools in the last "
            "%(window)s years with data (%(needed)s needed)."
        )
        if not c["count"]
        else ngettext(
            "Top %(percent)s %% of %(indicator)s among %(phase)s schools only in %(years)s: "
            "%(count)s year of the last %(window)s with data, %(needed)s needed.",
            "Top %(percent)s %% of %(indicator)s among %(phase)s schools only in %(years)s: "
            "%(count)s years of the last %(window)s with data, %(needed)s needed.",
            c["count"],
        )
    ),
    "no_strength": lambda c: _("Declares no strength to share, which a leader school needs."),
    "bottom_latest": lambda c: _(
        "Bottom %(percent)s %% of %(indicator)s among %(phase)s schools in the latest year, %(years)s."
    ),
    "bottom_recent": lambda c: _(
        "Bottom %(percent)s %% of %(indicator)s among %(phase)s schools in %(years)s "
        "(%(needed)s of the last %(window)s years needed)."
    ),
    "falling_trend": lambda c: _(
        "%(indicator)s fell by %(slope)s standard deviations a year over %(years)s."
    ),
    "not_enough_data": lambda c: _("Not enough published years of %(indicator)s to classify."),
    "no_indicator": lambda c: _("No indicator with data for %(phase)s schools."),
}


def identifiers_by_org(org_ids: list[int]) -> dict[int, list[Identifier]]:
    grouped: dict[int, list[Identifier]] = defaultdict(list)
    for identifier in Identifier.objects.filter(organisation_id__in=org_ids).order_by("scheme"):
        grouped[identifier.organisation_id].append(identifier)
    return grouped
