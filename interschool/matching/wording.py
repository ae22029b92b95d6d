"""Why a partner: each score component's contribution turned into a sentence, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from interschool.matching import vocabularies as v

if TYPE_CHECKING:
    from interschool.matching.models import Match, MatchMember


@dataclass(frozen=True)
class ComponentLine:
    code: str
    label: str
    points: Decimal
    sentence: str


def _value(points: Decimal, weight: float) -> float | None:
    return float(points) / weight if weight else None


def _percent(x: float) -> str:
    return number_format(round(100 * x))


ORDER = {code: n for n, code in enumerate(v.COMPONENT_LABELS)}  # the engine's order of components
BINARY = frozenset({"same_phase", "same_setting", "cross_community"})


def component_sentence(
    mode: str,
    code: str,
    points: Decimal,
    parameters: Mapping[str, Any],
    distance_km: float | None = None,
    pairs: int = 1,
) -> str:
    """One component's reason, from its contribution and the run's weight for it.

    For a group (``pairs`` > 1) the contribution is summed over its pairs, and the sentence speaks of
    the mean pair.
    """
    weight = float(parameters.get(f"weight_{code}", 0) or 0)
    if not weight:
        return _("Not counted: its weight is 0.")
    x = (_value(points, weight) or 0.0) / max(pairs, 1)
    if pairs > 1:
        if code in BINARY:
            return _("True of %(percent)s%% of the pairs in the group.") % {"percent": _percent(x)}
        if code == "distance":
            return _("The two members furthest apart are %(km)s km apart.") % {
                "km": number_format(round(distance_km or 0, 1), decimal_pos=1)
            }
    if code == "outcome_gap":
        if mode == v.RunMode.ORGANISATIONS:
            return _("The school's outcomes rank at percentile %(p)s: the lower, the more it gains.") % {
                "p": _percent(1 - x)
            }
        if x <= 0:
            return _("The leader's outcomes are not above the partner's, or one is unknown.")
        return _("The leader's outcomes rank %(points)s percentile points above the partner's.") % {
            "points": _percent(x)
        }
    if code == "complementarity":
        if mode == v.RunMode.CLUSTERS:
            return _("Each school's strengths meet %(percent)s%% of the other's needs.") % {
                "percent": _percent(x)
            }
        return _("The partner's strengths meet %(percent)s%% of the school's needs.") % {
            "percent": _percent(x)
        }
    if code == "ses_similarity":
        if x <= 0:
            return _("A socio-economic index is unknown.")
        return _("Socio-economic indices differ by %(points)s points of 100.") % {
            "points": number_format(round(100 * (1 - x)))
        }
    if code == "size_similarity":
        return _("Enrolments are %(percent)s%% alike (equal sizes 100%%, four times bigger 0%%).") % {
            "percent": _percent(x)
        }
    if code == "same_phase":
        return (
            _("Both schools are in the same phase.") if x > 0 else _("The schools are in different phases.")
        )
    if code == "same_setting":
        return _("Both are urban or both rural.") if x > 0 else _("Different settings, or one is unknown.")
    if code == "distance":
        if distance_km is None:
            return _("Distance unknown: they would work online.")
        return _("%(km)s km apart.") % {"km": number_format(round(distance_km, 1), decimal_pos=1)}
    if code == "earlier_ties":
        if x == 0:
            return _("No earlier tie recorded.")
        return _("An earlier tie between them counts %(value)s (from −1 to 1).") % {
            "value": number_format(round(x, 2), decimal_pos=2)
        }
    if code == "cross_community":
        return _("They serve different communities.") if x > 0 else _("Same community, or one is unknown.")
    return ""


def component_lines(
    mode: str,
    components: Mapping[str, Any],
    parameters: Mapping[str, Any],
    distance_km: float | None = None,
    pairs: int = 1,
) -> list[ComponentLine]:
    return [
        ComponentLine(
            code,
            str(v.COMPONENT_LABELS.get(code, code)),
            Decimal(str(points)),
            component_sentence(mode, code, Decimal(str(points)), parameters, distance_km, pairs),
        )
        for code, points in sorted(components.items(), key=lambda item: ORDER.get(item[0], len(ORDER)))
    ]


def reason_sentence(reason: str, parameters: Mapping[str, Any]) -> str:
    if reason == v.Reason.NO_ELIGIBLE_PARTNER:
        return _("No eligible partner within %(km)s km, and no online partner.") % {
            "km": f"{float(parameters.get('max_distance_km', 0)):g}"
        }
    return str(v.Reason(reason).label) if reason in v.Reason.values else reason


def match_explanation_text(match: Match, members: Sequence[MatchMember]) -> str:
    """The explanation attached to the partnership proposal made from ``match``."""
    run = match.run
    lines = [
        _("Proposed by partner matching (run %(run)s, match %(number)s), score %(score)s:")
        % {"run": run.pk, "number": match.number, "score": number_format(match.score, decimal_pos=2)}
    ]
    pairs = len(members) * (len(members) - 1) // 2 if run.mode == v.RunMode.CLUSTERS else 1
    for line in component_lines(run.mode, match.components, run.parameters, match.distance_km, pairs):
        if line.points:
            lines.append(f"– {line.label}: {number_format(line.points, decimal_pos=2)} — {line.sentence}")
    return "\n".join(lines)
