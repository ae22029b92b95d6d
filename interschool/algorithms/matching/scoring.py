"""Schools, organisations, matching rules and the pair score with its explanation.

A pair score is the sum of weighted **components**, each in [0, 1] before its weight (earlier ties in
[−1, 1]), so every weight says how many points a perfect value of that component is worth:

==================  ===========================================================================
component           value before weighting
==================  ===========================================================================
outcome_gap         leader's outcome percentile minus the supported school's, if positive
                    (organisations: 1 − the school's percentile, its need for support)
complementarity     share of the supported school's needs that the leader's strengths (or the
                    organisation's offers) cover; for peers, of both schools' needs together
ses_similarity      1 − |difference of socio-economic index| / 100
size_similarity     1 − |ln(enrolment ratio)| / ln 4, at least 0 (four times bigger scores 0)
same_phase          1 when both schools are in the same phase
same_setting        1 when both are urban or both rural
distance            exp(−distance / distance_scale_km); 0 when a distance is unknown
earlier_ties        the recorded value of an earlier tie between the two (+1 good, −1 bad)
cross_community     1 when the two serve different communities (both known)
==================  ===========================================================================

A component whose data is missing for either side contributes 0. Each contribution is rounded to
six decimal places and the score is the exact sum of the rounded contributions, so an explanation
always adds up to its score and the solvers optimise exactly the numbers they report.

Examples
--------
>>> a = School("A", 52.0, 0.0, phase="primary", capacity=1, role="leader", performance=0.9,
...            strengths=frozenset({"teaching"}), ses_index=40.0, enrolment=200)
>>> b = School("B", 52.0, 0.1, phase="primary", role="supported", performance=0.2,
...            needs=frozenset({"teaching", "careers"}), ses_index=45.0, enrolment=200)
>>> table = SchoolTable.of([a, b])
>>> parts = vertical_components(table, np.array([0]), table, np.array([1]), np.array([6.84]), ScoreWeights())
>>> for name, units in parts.items():
...     print(f"{name:16} {units[0] / UNITS:.6f}")
outcome_gap      2.100000
complementarity  1.500000
ses_similarity   0.950000
size_similarity  0.500000
same_phase       1.000000
same_setting     0.000000
distance         1.009189
earlier_ties     0.000000
cross_community  0.000000
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields

import numpy as np
from numpy.typing import NDArray

from .exact import MatchingInputError

UNITS = 1_000_000  # scores are exact on a grid of 10**-6
PLACES = 6
PERCENTILE_YEARS = 3  # a school's latest published outcome values averaged for its percentile

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

ROLES = ("leader", "supported", "none")

VERTICAL_COMPONENTS = (
    "outcome_gap",
    "complementarity",
    "ses_similarity",
    "size_similarity",
    "same_phase",
    "same_setting",
    "distance",
    "earlier_ties",
    "cross_community",
)
PEER_COMPONENTS = tuple(c for c in VERTICAL_COMPONENTS if c != "outcome_gap")
ORGANISATION_COMPONENTS = ("outcome_gap", "complementarity", "distance", "earlier_ties")


@dataclass(frozen=True)
class School:
    """One school as the matcher sees it. ``performance`` is its outcome percentile in [0, 1]."""

    id: str
    latitude: float | None
    longitude: float | None
    phase: str = ""
    community: str = ""
    district: str = ""
    urban_rural: str = ""
    enrolment: int | None = None
    ses_index: float | None = None
    accepts_online: bool = False
    role: str = "none"
    capacity: int = 0
    strengths: frozenset[str] = frozenset()
    needs: frozenset[str] = frozenset()
    performance: float | None = None

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True)
class Organisation:
    """A university, museum, library, business or NGO offering support domains to schools."""

    id: str
    kind: str
    capacity: int
    offers: frozenset[str]
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class ScoreWeights:
    """Points a perfect value of each component is worth; ``distance_scale_km`` sets the decay."""

    outcome_gap: float = 3.0
    complementarity: float = 3.0
    ses_similarity: float = 1.0
    size_similarity: float = 0.5
    same_phase: float = 1.0
    same_setting: float = 0.5
    distance: float = 2.0
    distance_scale_km: float = 10.0
    earlier_ties: float = 1.0
    cross_community: float = 0.5

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not math.isfinite(value) or value < 0:
                raise MatchingInputError(f"weight {f.name} must be a finite number ≥ 0, not {value}")
        if self.distance_scale_km <= 0:
            raise MatchingInputError("distance_scale_km must be greater than 0")


@dataclass(frozen=True)
class MatchingRules:
    """Which pairs are eligible, how many candidates each school gets, and solver limits.

    * ``max_distance_km`` — pairs further apart are eligible only when both accept online partnership
      (for organisations: when the school does).
    * ``competition_radius_km`` — two schools of the same phase closer than this compete for the same
      pupils and are never paired (0 turns the rule off). Without coordinates, same phase and same
      district counts as competing.
    * ``candidates`` (k) — each school's nearest eligible partners considered, nearby and online each;
      ``cluster_candidates`` the same for peer clusters, smaller because groups are cliques of them.
    * ``forbidden`` — pairs never to form, in either order.
    * ``ties`` — earlier ties between two schools (or an organisation and a school): +1 good, −1 bad.
    * ``cross_community_share`` — if set, at least this share of the matched pairs must join schools
      of different communities.
    """

    max_distance_km: float = 30.0
    competition_radius_km: float = 5.0
    candidates: int = 20
    cluster_candidates: int = 8
    min_group_size: int = 3
    max_group_size: int = 5
    time_limit_s: float = 60.0
    max_schools_per_model: int = 3000
    cross_community_share: float | None = None
    forbidden: frozenset[frozenset[str]] = frozenset()
    ties: Mapping[frozenset[str], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("max_distance_km", "competition_radius_km"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise MatchingInputError(f"{name} must be a finite number ≥ 0, not {value}")
        for name in ("candidates", "cluster_candidates", "max_schools_per_model"):
            if getattr(self, name) < 1:
                raise MatchingInputError(f"{name} must be at least 1, not {getattr(self, name)}")
        if not 2 <= self.min_group_size <= self.max_group_size:
            raise MatchingInputError(
                f"group sizes must satisfy 2 ≤ min ≤ max, not {self.min_group_size}..{self.max_group_size}"
            )
        if not self.time_limit_s > 0:
            raise MatchingInputError(f"time_limit_s must be positive, not {self.time_limit_s}")
        share = self.cross_community_share
        if share is not None and not 0 <= share <= 1:
            raise MatchingInputError(f"cross_community_share must be between 0 and 1, not {share}")
        for pair, value in self.ties.items():
            if not -1 <= value <= 1:
                raise MatchingInputError(f"tie {sorted(pair)} has value {value}, outside −1..1")

    @staticmethod
    def pair_set(pairs: Iterable[tuple[str, str]]) -> frozenset[frozenset[str]]:
        return frozenset(frozenset(p) for p in pairs)


class Vocabulary:
    """Codes of a categorical column as small integers; −1 for a missing value."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def encode(self, values: Iterable[str]) -> IntArray:
        return np.fromiter(
            (self.codes.setdefault(v, len(self.codes)) if v else -1 for v in values), dtype=np.int64
        )

    def mask(self, domains: Iterable[str]) -> int:
        bits = 0
        for d in domains:
            bits |= 1 << self.codes.setdefault(d, len(self.codes))
        if len(self.codes) > 63:
            raise MatchingInputError("at most 63 different support domains can be matched")
        return bits


@dataclass(frozen=True, eq=False)
class SchoolTable:
    """Column arrays of a list of schools (or organisations), for vectorised scoring."""

    ids: tuple[str, ...]
    latitude: FloatArray
    longitude: FloatArray
    phase: IntArray
    community: IntArray
    district: IntArray
    setting: IntArray
    enrolment: FloatArray
    ses: FloatArray
    online: BoolArray
    capacity: IntArray
    performance: FloatArray
    strengths: IntArray  # bit masks of support domains
    needs: IntArray

    @classmethod
    def of(cls, schools: Sequence[School], domains: Vocabulary | None = None) -> SchoolTable:
        """Columns of ``schools``; pass the same ``domains`` to tables whose masks are compared."""
        domains = domains or Vocabulary()
        cats = {name: Vocabulary() for name in ("phase", "community", "district", "setting")}
        return cls(
            ids=tuple(s.id for s in schools),
            latitude=_floats(s.latitude for s in schools),
            longitude=_floats(s.longitude for s in schools),
            phase=cats["phase"].encode(s.phase for s in schools),
            community=cats["community"].encode(s.community for s in schools),
            district=cats["district"].encode(s.district for s in schools),
            setting=cats["setting"].encode(s.urban_rural for s in schools),
            enrolment=_floats(s.enrolment for s in schools),
            ses=_floats(s.ses_index for s in schools),
            online=np.fromiter((s.accepts_online for s in schools), dtype=bool, count=len(schools)),
            capacity=np.fromiter((s.capacity for s in schools), dtype=np.int64, count=len(schools)),
            performance=_floats(s.performance for s in schools),
            strengths=np.fromiter((domains.mask(s.strengths) for s in schools), dtype=np.int64),
            needs=np.fromiter((domains.mask(s.needs) for s in schools), dtype=np.int64),
        )

    @classmethod
    def of_organisations(cls, organisations: Sequence[Organisation], domains: Vocabulary) -> SchoolTable:
        n = len(organisations)
        missing = np.full(n, -1, dtype=np.int64)
        return cls(
            ids=tuple(o.id for o in organisations),
            latitude=_floats(o.latitude for o in organisations),
            longitude=_floats(o.longitude for o in organisations),
            phase=missing,
            community=missing,
            district=missing,
            setting=missing,
            enrolment=np.full(n, np.nan),
            ses=np.full(n, np.nan),
            online=np.ones(n, dtype=bool),  # organisations are taken to work online too
            capacity=np.fromiter((o.capacity for o in organisations), dtype=np.int64, count=n),
            performance=np.full(n, np.nan),
            strengths=np.fromiter((domains.mask(o.offers) for o in organisations), dtype=np.int64, count=n),
            needs=np.zeros(n, dtype=np.int64),
        )

    @functools.cached_property
    def located(self) -> BoolArray:
        return ~(np.isnan(self.latitude) | np.isnan(self.longitude))


def _floats(values: Iterable[float | int | None]) -> FloatArray:
    return np.fromiter((np.nan if v is None else float(v) for v in values), dtype=np.float64)


def _units(values: FloatArray, weight: float) -> IntArray:
    return np.rint(np.nan_to_num(values, nan=0.0) * weight * UNITS).astype(np.int64)


def _popcount(bits: IntArray) -> IntArray:
    return np.bitwise_count(bits).astype(np.int64)


def _context(
    left: SchoolTable, a: IntArray, right: SchoolTable, b: IntArray, distance: FloatArray, w: ScoreWeights
) -> dict[str, IntArray]:
    ratio = np.abs(
        np.log(
            np.where(left.enrolment[a] > 0, left.enrolment[a], np.nan)
            / np.where(right.enrolment[b] > 0, right.enrolment[b], np.nan)
        )
    )
    known_setting = (left.setting[a] >= 0) & (right.setting[b] >= 0)
    known_community = (left.community[a] >= 0) & (right.community[b] >= 0)
    return {
        "ses_similarity": _units(1 - np.abs(left.ses[a] - right.ses[b]) / 100, w.ses_similarity),
        "size_similarity": _units(np.clip(1 - ratio / math.log(4), 0, 1), w.size_similarity),
        "same_phase": _units(
            ((left.phase[a] == right.phase[b]) & (left.phase[a] >= 0)).astype(float), w.same_phase
        ),
        "same_setting": _units(
            (known_setting & (left.setting[a] == right.setting[b])).astype(float), w.same_setting
        ),
        "distance": _units(np.exp(-distance / w.distance_scale_km), w.distance),
        "cross_community": _units(
            (known_community & (left.community[a] != right.community[b])).astype(float), w.cross_community
        ),
    }


def vertical_components(
    leaders: SchoolTable,
    a: IntArray,
    supported: SchoolTable,
    b: IntArray,
    distance: FloatArray,
    w: ScoreWeights,
    ties: FloatArray | None = None,
) -> dict[str, IntArray]:
    """Component contributions (in units of 10**-6) of the pairs leader ``a[i]`` → supported ``b[i]``."""
    needs = supported.needs[b]
    parts = {
        "outcome_gap": _units(
            np.clip(leaders.performance[a] - supported.performance[b], 0, 1), w.outcome_gap
        ),
        "complementarity": _units(
            _popcount(leaders.strengths[a] & needs) / np.maximum(_popcount(needs), 1), w.complementarity
        ),
        **_context(leaders, a, supported, b, distance, w),
        "earlier_ties": _units(np.zeros(len(a)) if ties is None else ties, w.earlier_ties),
    }
    return {name: parts[name] for name in VERTICAL_COMPONENTS}


def peer_components(
    table: SchoolTable,
    a: IntArray,
    b: IntArray,
    distance: FloatArray,
    w: ScoreWeights,
    ties: FloatArray | None = None,
) -> dict[str, IntArray]:
    """Symmetric component contributions of the peer pairs (``a[i]``, ``b[i]``)."""
    covered = _popcount(table.strengths[a] & table.needs[b]) + _popcount(table.strengths[b] & table.needs[a])
    wanted = _popcount(table.needs[a]) + _popcount(table.needs[b])
    parts = {
        "complementarity": _units(covered / np.maximum(wanted, 1), w.complementarity),
        **_context(table, a, table, b, distance, w),
        "earlier_ties": _units(np.zeros(len(a)) if ties is None else ties, w.earlier_ties),
    }
    return {name: parts[name] for name in PEER_COMPONENTS}


def organisation_components(
    organisations: SchoolTable,
    a: IntArray,
    schools: SchoolTable,
    b: IntArray,
    distance: FloatArray,
    w: ScoreWeights,
    ties: FloatArray | None = None,
) -> dict[str, IntArray]:
    """Component contributions of the pairs organisation ``a[i]`` → school ``b[i]``."""
    needs = schools.needs[b]
    parts = {
        "outcome_gap": _units(np.clip(1 - schools.performance[b], 0, 1), w.outcome_gap),
        "complementarity": _units(
            _popcount(organisations.strengths[a] & needs) / np.maximum(_popcount(needs), 1), w.complementarity
        ),
        "distance": _units(np.exp(-distance / w.distance_scale_km), w.distance),
        "earlier_ties": _units(np.zeros(len(a)) if ties is None else ties, w.earlier_ties),
    }
    return {name: parts[name] for name in ORGANISATION_COMPONENTS}


def outcome_percentiles(
    groups: Sequence[str], values: Sequence[float | None], higher_is_better: Sequence[bool]
) -> list[float | None]:
    """Each school's percentile in [0, 1] among the schools of its group (e.g. its indicator).

    The best school of a group gets 1 and the worst 0 (ties share the mean rank); a lone school gets
    0.5; a school without a value gets ``None``. ``higher_is_better`` is each school's direction.

    >>> outcome_percentiles(["a", "a", "a", "b"], [10.0, 30.0, None, 5.0], [True, True, True, False])
    [0.0, 1.0, None, 0.5]
    """
    result: list[float | None] = [None] * len(values)
    members: dict[str, list[int]] = {}
    for i, (g, v) in enumerate(zip(groups, values, strict=True)):
        if v is not None and not math.isnan(v):
            members.setdefault(g, []).append(i)
    for idx in members.values():
        if len(idx) == 1:
            result[idx[0]] = 0.5
            continue
        oriented = np.array([values[i] if higher_is_better[i] else -values[i] for i in idx])  # type: ignore[operator]
        # Mean 0-based rank of each distinct value, so tied schools share one percentile.
        _, inverse, counts = np.unique(oriented, return_inverse=True, return_counts=True)
        ends = np.cumsum(counts)
        ranks = ((ends - counts + ends - 1) / 2)[inverse] / (len(idx) - 1)
        for i, r in zip(idx, ranks.tolist(), strict=True):
            result[i] = r
    return result
