"""The continuum suggestion on hand-made records: one per level, and pairs that differ in one feature."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from interschool.algorithms.continuum import (
    COLLEGIALITY,
    ISOLATED,
    LIMITED,
    LOW_FREQUENCY,
    SUSTAINED,
    SYMBIOTIC,
    Activity,
    ContinuumInputError,
    Thresholds,
    features_of,
    suggest_level,
)

AS_OF = date(2025, 12, 31)
TEACHERS = frozenset({"teachers"})
CLASS = frozenset({"teachers", "pupils"})
LEADERSHIP = frozenset({"leaders", "teachers"})


def monthly(kind: str, months, who=TEACHERS, day: int = 10) -> list[Activity]:
    return [Activity(date(2025, m, day), kind, who) for m in months]


def low_frequency() -> list[Activity]:
    return [
        *monthly("joint_professional_development", (3, 4)),
        Activity(date(2025, 5, 20), "student_event", CLASS),
    ]


def sustained() -> list[Activity]:
    return (
        monthly("joint_lessons", range(2, 8), CLASS)  # pupils learn together, six months
        + monthly("joint_council", (3, 6), LEADERSHIP)
    )


def collegial() -> list[Activity]:
    return (
        monthly("joint_lessons", range(1, 11), CLASS)
        + monthly("joint_council", (1, 3, 5, 7, 9), LEADERSHIP)
        + monthly("joint_materials", (4, 8))
    )


def symbiotic() -> list[Activity]:
    pool = [
        Activity(date(2025, 6, 1), "shared_staff", frozenset({"leaders", "authority"})),
        Activity(date(2025, 9, 1), "shared_facilities", TEACHERS),
    ]
    return [*collegial(), *pool]


@pytest.mark.parametrize(
    ("record", "level"),
    [
        ([], ISOLATED),
        ([Activity(date(2025, 4, 2), "information_sharing", frozenset({"leaders"}))], LIMITED),
        (low_frequency(), LOW_FREQUENCY),
        (sustained(), SUSTAINED),
        (collegial(), COLLEGIALITY),
        (symbiotic(), SYMBIOTIC),
    ],
)
def test_each_level_from_a_hand_made_record(record, level):
    suggestion = suggest_level(record, as_of=AS_OF)
    assert suggestion.level == level
    assert all(r.met for r in suggestion.reasons)
    assert {r.level for r in suggestion.reasons} == set(range(LIMITED, level + 1))
    assert all(not r.met and r.level == level + 1 for r in suggestion.missing)
    if level < SYMBIOTIC:
        assert suggestion.missing  # something names what the next level needs


def test_the_same_events_with_or_without_pupils():
    with_pupils = sustained()
    without = [Activity(a.on, a.kind, a.participants - {"pupils"}) for a in with_pupils]
    assert suggest_level(with_pupils, as_of=AS_OF).level == SUSTAINED
    suggestion = suggest_level(without, as_of=AS_OF)
    assert suggestion.level == LOW_FREQUENCY
    assert [r.code for r in suggestion.missing] == ["pupil_months"]


def test_spread_over_months_or_bunched_in_one_week():
    spread = sustained()
    bunched = [
        Activity(date(2025, 3, 2) + timedelta(days=n % 7), a.kind, a.participants)
        for n, a in enumerate(spread)
    ]
    assert len(bunched) == len(spread)
    assert suggest_level(spread, as_of=AS_OF).level == SUSTAINED
    suggestion = suggest_level(bunched, as_of=AS_OF)
    assert suggestion.level == LIMITED
    assert [r.code for r in suggestion.missing] == ["active_months"]


def test_a_standing_forum_is_what_separates_sustained_from_low_frequency():
    no_forum = [a for a in sustained() if a.kind != "joint_council"]
    suggestion = suggest_level(no_forum, as_of=AS_OF)
    assert suggestion.level == LOW_FREQUENCY
    assert [r.code for r in suggestion.missing] == ["forum_months"]


def test_leaders_make_the_difference_for_collegiality():
    without_leaders = [Activity(a.on, a.kind, a.participants - {"leaders"}) for a in collegial()]
    suggestion = suggest_level(without_leaders, as_of=AS_OF)
    assert suggestion.level == SUSTAINED
    assert [r.code for r in suggestion.missing] == ["leaders"]


def test_a_shared_pool_needs_two_kinds_of_resource():
    one_kind = [a for a in symbiotic() if a.kind != "shared_facilities"]
    suggestion = suggest_level(one_kind, as_of=AS_OF)
    assert suggestion.level == COLLEGIALITY
    assert [(r.code, dict(r.numbers)) for r in suggestion.missing] == [
        ("resource_kinds", {"count": 1, "needed": 2})
    ]


def test_planned_and_old_activities_do_not_count():
    planned = [Activity(a.on, a.kind, a.participants, done=False) for a in sustained()]
    assert suggest_level(planned, as_of=AS_OF).level == ISOLATED
    # the same record a year later has left the window
    assert suggest_level(sustained(), as_of=date(2026, 12, 31)).level == ISOLATED
    assert suggest_level(sustained(), as_of=date(2026, 3, 31)).level == LOW_FREQUENCY  # April–July left


def test_the_window_ends_on_the_day_and_starts_on_the_first_of_a_month():
    features = features_of(sustained(), as_of=date(2025, 7, 10), window_months=3)
    assert (features.first_day, features.last_day) == (date(2025, 5, 1), date(2025, 7, 10))
    assert features.active_months == 3
    assert features.pupil_months == 3
    assert features.forum_months == 1


def test_bad_input_is_refused():
    with pytest.raises(ContinuumInputError, match="unknown participants"):
        Activity(date(2025, 1, 1), "joint_lessons", frozenset({"janitors"}))
    with pytest.raises(ContinuumInputError, match="regular_months"):
        Thresholds(regular_months=10, continuous_months=9)
    with pytest.raises(ContinuumInputError, match="window_months"):
        Thresholds(window_months=0)
