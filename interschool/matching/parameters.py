"""The what-if parameters of a matching run: names, defaults (those of the engine), limits and checks.

Parameters travel as one flat JSON object, stored on the run and accepted by the form and the API::

    {"max_distance_km": 30, "online_allowed": true, "capacity": null, "weight_distance": 2, ...}

Every weight and rule of ``docs/matching.md`` is here under the engine's name, weights prefixed
``weight_``; ``capacity`` (empty: each leader's own) and ``online_allowed`` are the product's own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from interschool.algorithms.matching.exact import MatchingInputError
from interschool.algorithms.matching.scoring import MatchingRules, ScoreWeights

DEFAULT_CAPACITY = 2  # partners a leader or organisation takes when the registry does not say


@dataclass(frozen=True)
class Parameter:
    name: str
    label: StrOrPromise
    kind: type  # float, int or bool
    default: Any
    low: float | None = None
    high: float | None = None
    optional: bool = False  # may be empty (None)
    help: StrOrPromise = ""


_RULES, _WEIGHTS = MatchingRules(), ScoreWeights()

WEIGHTS: tuple[Parameter, ...] = (
    Parameter("weight_outcome_gap", _("Outcome gap"), float, _WEIGHTS.outcome_gap, 0, 100),
    Parameter("weight_complementarity", _("Strengths meet needs"), float, _WEIGHTS.complementarity, 0, 100),
    Parameter("weight_ses_similarity", _("Similar intake"), float, _WEIGHTS.ses_similarity, 0, 100),
    Parameter("weight_size_similarity", _("Similar size"), float, _WEIGHTS.size_similarity, 0, 100),
    Parameter("weight_same_phase", _("Same phase"), float, _WEIGHTS.same_phase, 0, 100),
    Parameter("weight_same_setting", _("Same setting"), float, _WEIGHTS.same_setting, 0, 100),
    Parameter("weight_distance", _("Closeness"), float, _WEIGHTS.distance, 0, 100),
    Parameter("weight_earlier_ties", _("Earlier ties"), float, _WEIGHTS.earlier_ties, 0, 100),
    Parameter("weight_cross_community", _("Across communities"), float, _WEIGHTS.cross_community, 0, 100),
    Parameter(
        "distance_scale_km",
        _("Distance scale (km)"),
        float,
        _WEIGHTS.distance_scale_km,
        0.1,
        1000,
        help=_("Closeness falls to about a third at this distance."),
    ),
)
RULES: tuple[Parameter, ...] = (
    Parameter(
        "max_distance_km",
        _("Radius (km)"),
        float,
        _RULES.max_distance_km,
        0,
        20000,
        help=_("Schools further apart are paired only when both work online."),
    ),
    Parameter(
        "online_allowed",
        _("Online partnership allowed"),
        bool,
        True,
        help=_("When off, every pair must be within the radius."),
    ),
    Parameter(
        "capacity",
        _("Partners per leader"),
        int,
        None,
        0,
        1000,
        optional=True,
        help=_("Leave empty to use each leader's own capacity (2 where none is recorded)."),
    ),
    Parameter(
        "cross_community_share",
        _("Cross-community share"),
        float,
        None,
        0,
        1,
        optional=True,
        help=_("At least this share (0–1) of pairs join different communities; leaders and supported only."),
    ),
    Parameter(
        "competition_radius_km",
        _("Competition radius (km)"),
        float,
        _RULES.competition_radius_km,
        0,
        1000,
        help=_(
            "Schools of the same phase this close compete for pupils and are never paired; 0 turns it off."
        ),
    ),
    Parameter("min_group_size", _("Smallest group"), int, _RULES.min_group_size, 2, 20),
    Parameter("max_group_size", _("Largest group"), int, _RULES.max_group_size, 2, 20),
    Parameter("candidates", _("Candidates per school"), int, _RULES.candidates, 1, 200),
    Parameter(
        "cluster_candidates", _("Candidates per school in clusters"), int, _RULES.cluster_candidates, 1, 50
    ),
    Parameter("time_limit_s", _("Time limit (seconds)"), float, 30.0, 1, 600),
)
ALL: tuple[Parameter, ...] = RULES + WEIGHTS
BY_NAME = {p.name: p for p in ALL}


def defaults() -> dict[str, Any]:
    return {p.name: p.default for p in ALL}


def _coerce(p: Parameter, value: Any) -> Any:
    if value is None or value == "":
        if p.optional:
            return None
        if p.kind is bool:
            return False
        raise ValidationError({p.name: _("Give a value.")})
    if p.kind is bool:
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "on", "1", "yes"):
            return True
        if str(value).lower() in ("false", "off", "0", "no"):
            return False
        raise ValidationError({p.name: _("Give true or false.")})
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        raise ValidationError({p.name: _("“%(value)s” is not a number.") % {"value": value}}) from None
    if not math.isfinite(number):
        raise ValidationError({p.name: _("Give a finite number.")})
    if p.kind is int:
        if number != int(number):
            raise ValidationError({p.name: _("Give a whole number.")})
        number = int(number)
    if (p.low is not None and number < p.low) or (p.high is not None and number > p.high):
        raise ValidationError(
            {
                p.name: _("Give a number from %(low)s to %(high)s.")
                % {"low": _shown(p.low), "high": _shown(p.high)}
            }
        )
    return number


def _shown(bound: float | None) -> str:
    return "" if bound is None else f"{bound:g}"


def parameters_clean(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every parameter, from ``values`` or its default, checked; errors name the parameter."""
    unknown = sorted(set(values) - set(BY_NAME))
    if unknown:
        raise ValidationError(
            {unknown[0]: _("Unknown parameter. Known: %(names)s.") % {"names": ", ".join(BY_NAME)}}
        )
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for p in ALL:
        try:
            cleaned[p.name] = _coerce(p, values[p.name]) if p.name in values else p.default
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if not errors and cleaned["min_group_size"] > cleaned["max_group_size"]:
        errors["max_group_size"] = [str(_("The largest group cannot be smaller than the smallest."))]
    if errors:
        raise ValidationError(errors)
    return cleaned


def engine_rules(
    parameters: Mapping[str, Any],
    *,
    forbidden: frozenset[frozenset[str]] = frozenset(),
    ties: Mapping[frozenset[str], float] | None = None,
    cross_community: bool = True,
) -> tuple[MatchingRules, ScoreWeights]:
    """The engine's rules and weights for cleaned ``parameters``."""
    try:
        rules = MatchingRules(
            max_distance_km=parameters["max_distance_km"],
            competition_radius_km=parameters["competition_radius_km"],
            candidates=parameters["candidates"],
            cluster_candidates=parameters["cluster_candidates"],
            min_group_size=parameters["min_group_size"],
            max_group_size=parameters["max_group_size"],
            time_limit_s=parameters["time_limit_s"],
            cross_community_share=parameters["cross_community_share"] if cross_community else None,
            forbidden=forbidden,
            ties=dict(ties or {}),
        )
        weights = ScoreWeights(
            **{p.name.removeprefix("weight_"): parameters[p.name] for p in WEIGHTS},
        )
    except MatchingInputError as error:
        raise ValidationError(str(error)) from None
    return rules, weights
