"""Suggest a partnership's level on the six-level sharing continuum from its own activity record.

The continuum (isolated → limited → low-frequency → sustained and regular → culture of collegiality →
symbiotic) is told apart by four features, never by a bare count of events: **who takes part**
(teachers, pupils, leaders, the authority), **regularity** across the months of the window, **standing
forums and structure** (forums that meet again and again, joint knowledge produced and shared), and
**shared resources** (facilities, staff, purchasing, funding pooled). Only activities that took place
(``done``) inside the window of ``window_months`` months ending on ``as_of`` count.

Features (``A`` = the done activities in the window):

* ``active_months`` — distinct calendar months with an activity in ``A``;
* ``teachers``, ``leaders``, ``authority`` — whether any activity in ``A`` involved them;
* ``pupil_months`` — distinct months in which pupils took part (learning together on a fixed basis,
  not a single event);
* ``forum_months`` — distinct months in which a standing forum met (joint councils, advice forums,
  joint planning meetings);
* ``knowledge`` — activities that produced or shared joint knowledge (joint materials, joint
  curricula, shared practice);
* ``resource_kinds`` — how many different kinds of shared resource are in use (facilities, staff,
  purchasing, funding).

Rule (each level requires the one below; the suggestion is the highest level whose conditions hold;
thresholds in :class:`Thresholds`, defaults in brackets):

1. **Isolated** — no activity in the window.
2. **Limited partnership** — some activity, but not yet level 3.
3. **Low-frequency partnership** — at least [3] activities over at least [2] months, teachers take
   part (pupils may meet only at events).
4. **Sustained, regular collaboration** — active in at least [6] months, pupils in at least [3]
   months, and a forum that met in at least [2] months.
5. **Culture of collegiality** — active in at least [9] months, leaders take part, forums in at least
   [4] months, and at least [2] activities producing or sharing joint knowledge.
6. **Symbiotic partnership** — at least [2] kinds of shared resource and the authority takes part
   (shared needs and values agreed by staff and authorities).

Every condition of the suggested level and of the next level comes back as a :class:`Reason` (met or
not, with its numbers), so the page can say both why this level and what the next one needs. Reasons
are structured codes; the web layer words them.

Complexity: O(A) for A activities.

Examples
--------
>>> from datetime import date
>>> record = [Activity(date(2025, m, 10), "joint_professional_development", frozenset({"teachers"}))
...           for m in (2, 3, 5)]
>>> suggestion = suggest_level(record, as_of=date(2025, 12, 31))
>>> suggestion.level
3
>>> [r.code for r in suggestion.missing]
['active_months', 'pupil_months', 'forum_months']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

ISOLATED, LIMITED, LOW_FREQUENCY, SUSTAINED, COLLEGIALITY, SYMBIOTIC = range(1, 7)

PARTICIPANTS = frozenset({"leaders", "teachers", "pupils", "parents", "authority"})

# Activity types (seeds 001 and 003) grouped by the feature of the continuum they show.
FORUM_KINDS = frozenset({"advice_forum", "joint_council", "joint_planning"})
KNOWLEDGE_KINDS = frozenset(
    {"joint_materials", "joint_curriculum", "information_sharing", "joint_assessment"}
)
RESOURCE_KINDS: Mapping[str, str] = {
    "shared_facilities": "facilities",
    "shared_staff": "staff",
    "joint_purchasing": "purchasing",
    "joint_funding": "funding",
}


class ContinuumInputError(ValueError):
    """An activity record or threshold that cannot be right; the message names it."""


@dataclass(frozen=True)
class Activity:
    """One activity of a partnership's record: when, what type, who took part, whether it took place."""

    on: date
    kind: str
    participants: frozenset[str] = frozenset()
    done: bool = True

    def __post_init__(self) -> None:
        unknown = self.participants - PARTICIPANTS
        if unknown:
            raise ContinuumInputError(
                f"activity of {self.on}: unknown participants {sorted(unknown)}; use {sorted(PARTICIPANTS)}"
            )


@dataclass(frozen=True)
class Thresholds:
    """The numbers of the rule; see the module docstring."""

    window_months: int = 12
    low_activities: int = 3
    low_months: int = 2
    regular_months: int = 6
    pupil_months: int = 3
    forum_months: int = 2
    continuous_months: int = 9
    structure_forum_months: int = 4
    knowledge_activities: int = 2
    resource_kinds: int = 2

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not isinstance(value, int) or value < 1:
                raise ContinuumInputError(f"threshold {name} must be a whole number ≥ 1, not {value!r}")
        if self.continuous_months > self.window_months or self.regular_months > self.continuous_months:
            raise ContinuumInputError("need regular_months ≤ continuous_months ≤ window_months")


@dataclass(frozen=True)
class Features:
    activities: int
    active_months: int
    teachers: bool
    leaders: bool
    authority: bool
    pupil_months: int
    forum_months: int
    knowledge: int
    resource_kinds: int
    first_day: date
    last_day: date


@dataclass(frozen=True)
class Reason:
    """One condition of a level: ``code``, whether it is ``met``, and its numbers (count, needed…)."""

    level: int
    code: str
    met: bool
    numbers: Mapping[str, int] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Suggestion:
    """The suggested level, the features it rests on, the conditions met, and what the next level lacks."""

    level: int
    features: Features
    reasons: tuple[Reason, ...]
    missing: tuple[Reason, ...]


def _window_start(as_of: date, months: int) -> date:
    index = as_of.year * 12 + as_of.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def features_of(activities: Iterable[Activity], as_of: date, window_months: int = 12) -> Features:
    """The continuum features of the done activities in the ``window_months`` months ending ``as_of``."""
    start = _window_start(as_of, window_months)
    record = [a for a in activities if a.done and start <= a.on <= as_of]

    def months(items: Iterable[Activity]) -> int:
        return len({(a.on.year, a.on.month) for a in items})

    return Features(
        activities=len(record),
        active_months=months(record),
        teachers=any("teachers" in a.participants for a in record),
        leaders=any("leaders" in a.participants for a in record),
        authority=any("authority" in a.participants for a in record),
        pupil_months=months(a for a in record if "pupils" in a.participants),
        forum_months=months(a for a in record if a.kind in FORUM_KINDS),
        knowledge=sum(1 for a in record if a.kind in KNOWLEDGE_KINDS),
        resource_kinds=len({RESOURCE_KINDS[a.kind] for a in record if a.kind in RESOURCE_KINDS}),
        first_day=start,
        last_day=as_of,
    )


def _conditions(f: Features, t: Thresholds) -> dict[int, list[Reason]]:
    def at_least(level: int, code: str, count: int, needed: int) -> Reason:
        return Reason(level, code, count >= needed, {"count": count, "needed": needed})

    def present(level: int, code: str, value: bool) -> Reason:
        return Reason(level, code, value)

    return {
        LIMITED: [at_least(LIMITED, "activities", f.activities, 1)],
        LOW_FREQUENCY: [
            at_least(LOW_FREQUENCY, "activities", f.activities, t.low_activities),
            at_least(LOW_FREQUENCY, "active_months", f.active_months, t.low_months),
            present(LOW_FREQUENCY, "teachers", f.teachers),
        ],
        SUSTAINED: [
            at_least(SUSTAINED, "active_months", f.active_months, t.regular_months),
            at_least(SUSTAINED, "pupil_months", f.pupil_months, t.pupil_months),
            at_least(SUSTAINED, "forum_months", f.forum_months, t.forum_months),
        ],
        COLLEGIALITY: [
            at_least(COLLEGIALITY, "active_months", f.active_months, t.continuous_months),
            present(COLLEGIALITY, "leaders", f.leaders),
            at_least(COLLEGIALITY, "forum_months", f.forum_months, t.structure_forum_months),
            at_least(COLLEGIALITY, "knowledge", f.knowledge, t.knowledge_activities),
        ],
        SYMBIOTIC: [
            at_least(SYMBIOTIC, "resource_kinds", f.resource_kinds, t.resource_kinds),
            present(SYMBIOTIC, "authority", f.authority),
        ],
    }


def suggest_level(
    activities: Iterable[Activity], *, as_of: date, thresholds: Thresholds | None = None
) -> Suggestion:
    """The highest continuum level whose conditions (and those of every level below) hold."""
    t = thresholds or Thresholds()
    f = features_of(activities, as_of, t.window_months)
    conditions = _conditions(f, t)
    level = ISOLATED
    reasons: list[Reason] = []
    for candidate in range(LIMITED, SYMBIOTIC + 1):
        if not all(r.met for r in conditions[candidate]):
            break
        level = candidate
        reasons.extend(conditions[candidate])
    missing = tuple(r for r in conditions.get(level + 1, []) if not r.met)
    return Suggestion(level=level, features=f, reasons=tuple(reasons), missing=missing)
