"""What a run achieved, in figures a network administrator compares between runs.

* ``participants`` — schools the run tried to match: supported schools (vertical), schools with needs
  (organisations), every school with coordinates or online (clusters), plus those left out by hand or
  for want of data or coordinates;
* ``matched`` and ``coverage`` — matched schools, and their share of the participants;
* ``mean_distance_km`` — over matched pairs with a known distance (groups: every pair inside);
* ``mean_outcome_gap`` — percentile points between partners (vertical: leader minus supported;
  organisations: the school's distance from the top; groups: between members), over pairs where both
  are known;
* ``cross_community_share`` — share of pairs (groups: of groups) joining different communities,
  among those whose communities are known;
* ``unmatched`` — schools without a partner by reason.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from interschool.algorithms.matching.scoring import School
from interschool.matching import vocabularies as v

METRICS = (
    "participants",
    "matched",
    "coverage",
    "matches",
    "total_score",
    "mean_score",
    "mean_distance_km",
    "mean_outcome_gap",
    "cross_community_share",
)


@dataclass(frozen=True)
class MatchedSet:
    """A match as the metrics see it: its members' ids (provider first) and its score."""

    members: tuple[str, ...]
    score: float
    distances: Sequence[float | None]


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def summarise(
    mode: str,
    schools: Sequence[School],
    matches: Sequence[MatchedSet],
    unmatched: dict[str, str],
) -> dict[str, Any]:
    by_id = {s.id: s for s in schools}
    receivers = sum(len(m.members) - (0 if mode == v.RunMode.CLUSTERS else 1) for m in matches)
    participants = receivers + len(unmatched)
    gaps: list[float] = []
    cross: list[bool] = []
    distances = [d for m in matches for d in m.distances if d is not None]
    for m in matches:
        if mode == v.RunMode.CLUSTERS:
            members = [by_id[i] for i in m.members]
            pairs = list(itertools.combinations(members, 2))
            gaps += [
                abs(a.performance - b.performance)
                for a, b in pairs
                if a.performance is not None and b.performance is not None
            ]
            communities = {s.community for s in members if s.community}
            if communities:
                cross.append(len(communities) > 1)
        else:
            provider, school = m.members[0], by_id[m.members[1]]
            if mode == v.RunMode.VERTICAL:
                leader = by_id[provider]
                if leader.performance is not None and school.performance is not None:
                    gaps.append(leader.performance - school.performance)
                if leader.community and school.community:
                    cross.append(leader.community != school.community)
            elif school.performance is not None:
                gaps.append(1 - school.performance)
    total = sum(m.score for m in matches)
    return {
        "participants": participants,
        "matched": receivers,
        "coverage": round(receivers / participants, 4) if participants else None,
        "matches": len(matches),
        "total_score": round(total, 6),
        "mean_score": round(total / len(matches), 4) if matches else None,
        "mean_distance_km": _mean(distances),
        "mean_outcome_gap": None if not gaps else round(100 * sum(gaps) / len(gaps), 2),
        "cross_community_share": round(sum(cross) / len(cross), 4) if cross else None,
        "unmatched": dict(sorted(Counter(unmatched.values()).items())),
    }
