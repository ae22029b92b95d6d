"""The partnership's record: the activities the sharing-continuum suggestion reads.

One documented interface (``docs/continuum.md``): a source is a function that, given a partnership and
a date, returns the activities of its record up to that date as ``continuum.Activity`` values (date,
activity type from ``vocabularies.ActivityType``, who took part, whether it took place). The action
plan is the first source; bookings and joint activities register theirs with ``register_source`` in
their app's ``ready()``. ``suggestion_for`` joins every source and asks ``continuum.suggest_level``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from interschool.algorithms import continuum
from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import Partnership, PlanActivity

RecordSource = Callable[[Partnership, dt.date], Iterable[continuum.Activity]]

SOURCES: dict[str, RecordSource] = {}


def register_source(name: str, source: RecordSource) -> RecordSource:
    """Add a source of record activities under ``name`` (registering the same name again replaces it)."""
    SOURCES[name] = source
    return source


def plan_activities(partnership: Partnership, as_of: dt.date) -> Iterable[continuum.Activity]:
    """Done activities of the action plan that started by ``as_of``."""
    rows = PlanActivity.objects.filter(
        partnership=partnership, status=v.ActivityStatus.DONE, starts_on__lte=as_of
    ).values_list("starts_on", "kind", "participants")
    for starts_on, kind, participants in rows:
        yield continuum.Activity(starts_on, kind, frozenset(participants or ()))


register_source("plan", plan_activities)


def record_of(partnership: Partnership, as_of: dt.date) -> list[continuum.Activity]:
    return [activity for source in SOURCES.values() for activity in source(partnership, as_of)]


def suggestion_for(partnership: Partnership, as_of: dt.date) -> continuum.Suggestion:
    return continuum.suggest_level(record_of(partnership, as_of), as_of=as_of)


def suggestion_as_json(suggestion: continuum.Suggestion) -> dict[str, Any]:
    """The suggestion as stored beside an assessment: level, features and reasons with their numbers."""

    def reason(r: continuum.Reason) -> dict[str, Any]:
        return {"level": r.level, "code": r.code, "met": r.met, "numbers": dict(r.numbers)}

    f = suggestion.features
    return {
        "level": suggestion.level,
        "features": {
            "activities": f.activities,
            "active_months": f.active_months,
            "teachers": f.teachers,
            "leaders": f.leaders,
            "authority": f.authority,
            "pupil_months": f.pupil_months,
            "forum_months": f.forum_months,
            "knowledge": f.knowledge,
            "resource_kinds": f.resource_kinds,
            "first_day": f.first_day.isoformat(),
            "last_day": f.last_day.isoformat(),
        },
        "reasons": [reason(r) for r in suggestion.reasons],
        "missing": [reason(r) for r in suggestion.missing],
    }
