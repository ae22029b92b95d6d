"""The sharing-continuum suggestion in words: each reason code of ``continuum.py`` as a translated sentence.

The suggestion is stored beside every assessment as JSON (``record.suggestion_as_json``): the level,
the features it rests on, the conditions met (``reasons``) and the conditions of the next level still
missing (``missing``), each ``{"level", "code", "met", "numbers": {"count", "needed"}}``. This module
turns those into sentences such as "Pupils took part in 2 of the 3 months needed." A code it does not
know (from an older record) still gets a plain sentence with its numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from interschool.partnerships import vocabularies as v

Numbers = Mapping[str, Any]


def _count(numbers: Numbers) -> int:
    return int(numbers.get("count", 0) or 0)


def _needed(numbers: Numbers) -> int:
    return int(numbers.get("needed", 0) or 0)


# Each counted condition: (sentence when met, sentence when not met), both plural on ``needed``.
def _activities(met: bool, n: Numbers) -> str:
    count, needed = _count(n), _needed(n)
    if not met and count == 0:
        return _("No activity has taken place in the period yet.")
    if met:
        return ngettext(
            "%(count)s activities took place (at least %(needed)s is needed).",
            "%(count)s activities took place (at least %(needed)s are needed).",
            needed,
        ) % {"count": count, "needed": needed}
    return ngettext(
        "%(count)s of the %(needed)s activity needed took place.",
        "%(count)s of the %(needed)s activities needed took place.",
        needed,
    ) % {"count": count, "needed": needed}


def _active_months(met: bool, n: Numbers) -> str:
    count, needed = _count(n), _needed(n)
    if met:
        return ngettext(
            "Activities took place in %(count)s months (at least %(needed)s month is needed).",
            "Activities took place in %(count)s months (at least %(needed)s months are needed).",
            needed,
        ) % {"count": count, "needed": needed}
    return ngettext(
        "Activities took place in %(count)s of the %(needed)s month needed.",
        "Activities took place in %(count)s of the %(needed)s months needed.",
        needed,
    ) % {"count": count, "needed": needed}


def _pupil_months(met: bool, n: Numbers) -> str:
    count, needed = _count(n), _needed(n)
    if met:
        return ngettext(
            "Pupils took part in %(count)s months (at least %(needed)s month is needed).",
            "Pupils took part in %(count)s months (at least %(needed)s months are needed).",
            needed,
        ) % {"count": count, "needed": needed}
    return ngettext(
        "Pupils took part in %(count)s of the %(needed)s month needed.",
        "Pupils took part in %(count)s of the %(needed)s months needed.",
        needed,
    ) % {"count": count, "needed": needed}


def _forum_months(met: bool, n: Numbers) -> str:
    count, needed = _count(n), _needed(n)
    if met:
        return ngettext(
            "A standing forum met in %(count)s months (at least %(needed)s month is needed).",
            "A standing forum met in %(count)s months (at least %(needed)s months are needed).",
            needed,
        ) % {"count": count, "needed": needed}
    return ngettext(
        "A standing forum met in %(count)s of the %(needed)s month needed.",
        "A standing forum met in %(count)s of the %(needed)s months needed.",
        needed,
    ) % {"count": count, "needed": needed}


def _knowledge(met: bool, n: Numbers) -> str:
    count, needed = _count(n), _needed(n)
    if met:
        return ngettext(
            "%(count)s activities produced or shared joint knowledge (at least %(needed)s is needed).",
            "%(count)s activities produced or shared joint knowledge (at least %(needed)s are needed).",
            needed,
        ) % {"count": count, "needed": needed}
    return ngettext(
        "%(count)s of the %(needed)s activity producing or sharing joint knowledge needed took place.",
        "%(count)s of the %(needed)s activities producing or sharing joint knowledge needed took place.",
        needed,
    ) % {"count": count, "needed": needed}


def _resource_kinds(met: bool, n: Numbers) -> str:
    count, needed = _count(n), _needed(n)
    if met:
        return ngettext(
            "%(count)s kinds of shared resource are in use (at least %(needed)s is needed).",
            "%(count)s kinds of shared resource are in use (at least %(needed)s are needed).",
            needed,
        ) % {"count": count, "needed": needed}
    return ngettext(
        "%(count)s of the %(needed)s kind of shared resource needed is in use.",
        "%(count)s of the %(needed)s kinds of shared resource needed are in use.",
        needed,
    ) % {"count": count, "needed": needed}


def _teachers(met: bool, n: Numbers) -> str:
    return _("Teachers took part.") if met else _("Teachers have not taken part yet.")


def _leaders(met: bool, n: Numbers) -> str:
    return _("School leaders took part.") if met else _("School leaders have not taken part yet.")


def _authority(met: bool, n: Numbers) -> str:
    return _("The authority took part.") if met else _("The authority has not taken part yet.")


SENTENCES: Mapping[str, Callable[[bool, Numbers], str]] = {
    "activities": _activities,
    "active_months": _active_months,
    "pupil_months": _pupil_months,
    "forum_months": _forum_months,
    "knowledge": _knowledge,
    "resource_kinds": _resource_kinds,
    "teachers": _teachers,
    "leaders": _leaders,
    "authority": _authority,
}


def reason_sentence(reason: Mapping[str, Any]) -> str:
    """One condition, met or not, as a sentence with its numbers."""
    code = str(reason.get("code", ""))
    met = bool(reason.get("met"))
    numbers = reason.get("numbers") or {}
    sentence = SENTENCES.get(code)
    if sentence is not None:
        return sentence(met, numbers)
    if "count" in numbers:
        return _("Condition “%(code)s”: %(count)s of %(needed)s.") % {
            "code": code,
            "count": _count(numbers),
            "needed": _needed(numbers),
        }
    return (_("Condition “%(code)s” is met.") if met else _("Condition “%(code)s” is not met.")) % {
        "code": code
    }


def level_label(level: int | None) -> str:
    if level is None:
        return ""
    return str(dict(v.ContinuumLevel.choices).get(level, level))


def level_labels() -> dict[int, str]:
    return {int(value): str(label) for value, label in v.ContinuumLevel.choices}


@dataclass(frozen=True)
class Explanation:
    """A suggestion in words: the level, the period read, why this level, what the next one needs."""

    level: int
    label: str
    next_level: int | None
    next_label: str
    period: str
    met: list[str]
    missing: list[str]


def _day(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    return date_format(value, "DATE_FORMAT") if isinstance(value, dt.date) else ""


def explain(suggestion: Mapping[str, Any]) -> Explanation:
    """The stored suggestion (``record.suggestion_as_json``) in words."""
    level = int(suggestion.get("level") or v.ContinuumLevel.ISOLATED)
    features = suggestion.get("features") or {}
    period = ""
    if features.get("first_day") and features.get("last_day"):
        period = _("from %(first)s to %(last)s") % {
            "first": _day(features["first_day"]),
            "last": _day(features["last_day"]),
        }
    next_level = level + 1 if level < v.ContinuumLevel.SYMBIOTIC else None
    return Explanation(
        level=level,
        label=level_label(level),
        next_level=next_level,
        next_label=level_label(next_level),
        period=period,
        met=_sentences(_strongest(suggestion.get("reasons") or ())),
        missing=_sentences(suggestion.get("missing") or ()),
    )


def _strongest(reasons: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Each condition once, as the highest level met asks it (9 active months rather than 2, 6 and 9)."""
    by_code: dict[str, Mapping[str, Any]] = {}
    for reason in reasons:
        code = str(reason.get("code", ""))
        if code not in by_code or int(reason.get("level") or 0) >= int(by_code[code].get("level") or 0):
            by_code[code] = reason
    return list(by_code.values())


def _sentences(reasons: Iterable[Mapping[str, Any]]) -> list[str]:
    return [reason_sentence(r) for r in reasons]
