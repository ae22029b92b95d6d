"""Classify a network's schools as leader schools or schools needing support, with structured reasons.

Each school is ranked only within its group (for example its phase) and only in the group's *years with
data*: the years in which at least one school of the group has a value. A school's missing or
suppressed years (value ``None``) never count, neither for nor against it, and never appear in the
years a reason lists.

Definitions (``p`` is a percentage, ``n`` the number of schools of the group with a value that year):

* **Top p %** in a year: fewer than ``p/100 × n`` schools of the group are strictly better. Tied
  schools therefore share the same fate, and the order of the input never matters.
* **Bottom p %** in a year: fewer than ``p/100 × n`` schools are strictly worse.
* A year in which a school is *both* top and bottom by these definitions (a lone school, or a value
  shared by most of the group) does not separate it from the others and counts as *neither*.
* "Better" follows the indicator's direction (``higher_is_better``).

Rules (see :class:`Rules`; the defaults in brackets):

* **Leader school**: top [20] % in at least [3] of the group's last [5] years with data, and
  (if ``leader_requires_strength``) the school declares at least one strength.
* **Needs support**: bottom [20] % in the group's latest year with data, or in at least [2] of the
  group's last [3] years with data, or a **falling trend**: the least-squares slope of the school's own
  values over the group's last [3] years with data (at least ``trend_min_points`` values) is worse
  than [0.25] pooled within-year standard deviations of the group per year, in the direction of the
  indicator.

Precedence, when a school meets both: **bottom results win, a falling trend alone does not.** A school
in the bottom of the latest year, or of enough recent years, needs support even if it was top in
enough earlier years, so it is never proposed to support others while it struggles itself. A school
that qualifies as a leader and only shows a falling trend stays a leader: it is still in the top of
its group, and the trend is kept among its reasons as a warning.

Reasons are structured, never prose: the web layer turns them into translated sentences. The reasons
that decide the label come first. Codes (``years`` are sorted; ``numbers`` keys in brackets):

* ``top_years`` — top ``percent`` % in ``count`` of the ``window`` years ``first_year``–``last_year``,
  at least ``needed`` [percent, count, needed, available, window, first_year, last_year]; ``years``
  are the top years; ``available`` is how many of the window years the school has a value.
* ``top_years_insufficient`` — the same numbers, ``count`` < ``needed``; ``years`` may be empty.
* ``no_strength`` — would be a leader but declares no strength [no numbers].
* ``not_enough_data`` — no value in any of the window years, or the group has no data at all
  [needed, window, and first_year, last_year when the group has years with data].
* ``bottom_latest`` — bottom ``percent`` % in the group's latest year with data, ``years`` = that
  year [percent].
* ``bottom_recent`` — bottom ``percent`` % in ``count`` of the ``window`` recent years, at least
  ``needed`` [percent, count, needed, window, first_year, last_year]; ``years`` are the bottom years.
* ``falling_trend`` — getting worse by ``-slope_sd`` group standard deviations per year
  (``slope_sd`` < 0 in the "better" direction), steeper than ``threshold_sd``
  [slope_sd, threshold_sd, slope (indicator units per year, raw sign), sd, window, first_year,
  last_year]; ``years`` are the years whose values gave the slope.

Complexity: O(N·Y·log N) for N schools and Y years with data (a sort per group and year); 25,000
schools × 10 years classify in well under a second.

Examples
--------
>>> schools = [
...     SchoolSeries(key=k, group="primary", has_strength=True, values={2023: float(k), 2024: float(k)})
...     for k in range(1, 11)
... ]
>>> results = classify(schools, Rules(leader_min_years=2), higher_is_better=True)
>>> results[10].label, results[9].label, results[8].label, results[1].label
('leader', 'leader', 'none', 'needs_support')
>>> results[10].reasons[0].code, results[10].reasons[0].years
('top_years', (2023, 2024))
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

Label = Literal["leader", "needs_support", "none"]
LEADER: Label = "leader"
NEEDS_SUPPORT: Label = "needs_support"
NONE: Label = "none"

TOP_YEARS = "top_years"
TOP_YEARS_INSUFFICIENT = "top_years_insufficient"
NO_STRENGTH = "no_strength"
NOT_ENOUGH_DATA = "not_enough_data"
BOTTOM_LATEST = "bottom_latest"
BOTTOM_RECENT = "bottom_recent"
FALLING_TREND = "falling_trend"
REASON_CODES: tuple[str, ...] = (
    TOP_YEARS,
    TOP_YEARS_INSUFFICIENT,
    NO_STRENGTH,
    NOT_ENOUGH_DATA,
    BOTTOM_LATEST,
    BOTTOM_RECENT,
    FALLING_TREND,
)


class ClassificationInputError(ValueError):
    """Rules or school series that cannot be classified (bad percentages, windows, duplicate keys)."""


@dataclass(frozen=True)
class Rules:
    """A network's classification rules; see the module docstring for their meaning."""

    leader_top_percent: float = 20.0
    leader_min_years: int = 3
    leader_window: int = 5
    leader_requires_strength: bool = True
    support_bottom_percent: float = 20.0
    support_recent_years: int = 2
    support_recent_window: int = 3
    trend_window: int = 3
    trend_threshold_sd: float = 0.25
    trend_min_points: int = 3

    def __post_init__(self) -> None:
        for name in ("leader_top_percent", "support_bottom_percent"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 < value <= 100):
                raise ClassificationInputError(f"{name} must be a percentage in (0, 100], not {value!r}")
        for name in (
            "leader_min_years",
            "leader_window",
            "support_recent_years",
            "support_recent_window",
            "trend_window",
            "trend_min_points",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ClassificationInputError(f"{name} must be a whole number ≥ 1, not {value!r}")
        if self.leader_min_years > self.leader_window:
            raise ClassificationInputError("leader_min_years cannot exceed leader_window")
        if self.support_recent_years > self.support_recent_window:
            raise ClassificationInputError("support_recent_years cannot exceed support_recent_window")
        if not 2 <= self.trend_min_points <= self.trend_window:
            raise ClassificationInputError("trend_min_points must be between 2 and trend_window")
        threshold = self.trend_threshold_sd
        if not (isinstance(threshold, int | float) and math.isfinite(threshold) and threshold >= 0):
            raise ClassificationInputError(f"trend_threshold_sd must be ≥ 0, not {threshold!r}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rules:
        """Rules from a stored mapping; missing keys take the defaults, unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ClassificationInputError(f"unknown classification rules: {', '.join(unknown)}")
        return cls(**dict(data))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SchoolSeries:
    """One school's outcome series for one indicator.

    ``values`` maps a year to the value, or to ``None`` when missing or suppressed; non-finite values
    are treated as missing too.
    """

    key: int
    group: str
    has_strength: bool
    values: Mapping[int, float | None]


@dataclass(frozen=True, slots=True)
class Reason:
    """One structured reason: a code, the years it rests on (sorted) and the numbers behind it."""

    code: str
    years: tuple[int, ...] = ()
    numbers: Mapping[str, float] = field(default_factory=dict, hash=False)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape stored in ``Classification.reasons``: ``{"code", "years", "numbers"}``."""
        return {"code": self.code, "years": list(self.years), "numbers": dict(self.numbers)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        years = tuple(int(y) for y in data.get("years", ()))
        return cls(code=str(data["code"]), years=years, numbers=dict(data.get("numbers", {})))


@dataclass(frozen=True, slots=True)
class Result:
    """A school's label and the reasons for it, deciding reasons first."""

    label: Label
    reasons: tuple[Reason, ...]

    def reason(self, code: str) -> Reason | None:
        """The reason with this code, if any."""
        return next((r for r in self.reasons if r.code == code), None)

    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)


@dataclass(frozen=True, slots=True)
class GroupYearStat:
    """The distribution of a group's values in one year, in the indicator's own units.

    ``p80`` is the cut of the top 20 % and ``p20`` the cut of the bottom 20 % in the "better" sense of
    the module's tie-safe definition: a school is in the top 20 % exactly when its value is at least as
    good as ``p80``, in the bottom 20 % exactly when it is at least as bad as ``p20``. When lower is
    better, ``p80`` is therefore numerically *below* the median. ``sd`` is the sample standard
    deviation (``None`` for a single school).
    """

    n: int
    median: float
    p20: float
    p80: float
    mean: float
    sd: float | None


@dataclass(frozen=True)
class _Group:
    """One group as arrays: schools sorted by key (so the input order never matters), years ascending."""

    keys: list[int]
    strengths: list[bool]
    years: list[int]
    values: FloatArray  # schools × years, NaN where the school has no value


def _collect_groups(schools: Sequence[SchoolSeries]) -> dict[str, _Group]:
    by_group: dict[str, list[SchoolSeries]] = {}
    seen: set[int] = set()
    for school in schools:
        if school.key in seen:
            raise ClassificationInputError(f"school key {school.key} appears twice")
        seen.add(school.key)
        by_group.setdefault(school.group, []).append(school)

    groups: dict[str, _Group] = {}
    for name, members in by_group.items():
        members.sort(key=lambda s: s.key)
        # Flattened once and converted by numpy in one go: a Python loop per value would dominate.
        lengths: list[int] = []
        flat_years: list[int] = []
        flat_values: list[float | None] = []
        for school in members:
            lengths.append(len(school.values))
            flat_years.extend(school.values.keys())
            flat_values.extend(school.values.values())
        try:
            year_array = np.array(flat_years, dtype=np.int64)
            value_array = np.array(flat_values, dtype=np.float64)  # None becomes NaN
        except (TypeError, ValueError) as error:
            raise ClassificationInputError(
                f"years must be integers and values numbers or None: {error}"
            ) from error
        rows = np.repeat(np.arange(len(members)), lengths)
        usable = np.isfinite(value_array)
        year_list = np.unique(year_array[usable])
        matrix = np.full((len(members), year_list.size), np.nan)
        matrix[rows[usable], np.searchsorted(year_list, year_array[usable])] = value_array[usable]
        groups[name] = _Group(
            keys=[s.key for s in members],
            strengths=[bool(s.has_strength) for s in members],
            years=[int(y) for y in year_list.tolist()],
            values=matrix,
        )
    return groups


def _rank_flags(
    oriented: FloatArray, top_percent: float, bottom_percent: float
) -> tuple[BoolArray, BoolArray, IntArray, FloatArray]:
    """Per year: who is top, who is bottom (never both), how many schools and the sample variance."""
    n_schools, n_years = oriented.shape
    top = np.zeros((n_schools, n_years), dtype=bool)
    bottom = np.zeros((n_schools, n_years), dtype=bool)
    counts = np.zeros(n_years, dtype=np.int64)
    variances = np.full(n_years, np.nan)
    for j in range(n_years):
        column = oriented[:, j]
        present = ~np.isnan(column)
        values = column[present]
        n = values.size
        if n == 0:
            continue
        ordered = np.sort(values)
        better = n - np.searchsorted(ordered, values, side="right")
        worse = np.searchsorted(ordered, values, side="left")
        # Compared as better·100 < p·n rather than better < p/100·n: exact for whole percentages.
        is_top = better * 100 < top_percent * n
        is_bottom = worse * 100 < bottom_percent * n
        both = is_top & is_bottom
        top[present, j] = is_top & ~both
        bottom[present, j] = is_bottom & ~both
        counts[j] = n
        if n >= 2:
            variances[j] = float(np.var(ordered, ddof=1))
    return top, bottom, counts, variances


def _year_span(years: Sequence[int]) -> dict[str, float]:
    return {"first_year": years[0], "last_year": years[-1]} if years else {}


def _selected_years(years: Sequence[int], flags: BoolArray) -> list[tuple[int, ...]]:
    """Per row of ``flags`` (schools × ``years``), the years flagged, as a sorted tuple."""
    if not years:
        return [()] * flags.shape[0]
    if len(years) > 62:  # too many for a 64-bit mask; windows that long are unusual
        return [tuple(y for y, f in zip(years, row, strict=True) if f) for row in flags.tolist()]
    # Rows have at most a handful of years: encode each row as a bit mask and build each tuple once.
    masks = (flags.astype(np.int64) << np.arange(len(years), dtype=np.int64)).sum(axis=1).tolist()
    cache: dict[int, tuple[int, ...]] = {}
    out: list[tuple[int, ...]] = []
    for mask in masks:
        chosen = cache.get(mask)
        if chosen is None:
            chosen = cache[mask] = tuple(y for b, y in enumerate(years) if mask >> b & 1)
        out.append(chosen)
    return out


def _classify_group(group: _Group, rules: Rules, higher_is_better: bool) -> dict[int, Result]:
    oriented = group.values if higher_is_better else -group.values
    present = ~np.isnan(oriented)
    years = group.years
    top, bottom, counts, variances = _rank_flags(
        oriented, rules.leader_top_percent, rules.support_bottom_percent
    )

    leader_cols = slice(max(0, len(years) - rules.leader_window), len(years))
    leader_years = years[leader_cols]
    top_years_of = _selected_years(leader_years, top[:, leader_cols])
    top_counts = top[:, leader_cols].sum(axis=1).tolist()
    available = present[:, leader_cols].sum(axis=1).tolist()

    recent_cols = slice(max(0, len(years) - rules.support_recent_window), len(years))
    recent_years = years[recent_cols]
    bottom_years_of = _selected_years(recent_years, bottom[:, recent_cols])
    bottom_counts = bottom[:, recent_cols].sum(axis=1).tolist()
    bottom_latest = bottom[:, -1].tolist() if years else [False] * len(group.keys)

    trend_cols = slice(max(0, len(years) - rules.trend_window), len(years))
    trend_years = years[trend_cols]
    slopes, trend_used = _slopes(oriented[:, trend_cols], present[:, trend_cols], trend_years)
    dof = int(np.sum(np.maximum(counts[trend_cols] - 1, 0)))
    pooled_sd = (
        math.sqrt(float(np.nansum((counts[trend_cols] - 1) * variances[trend_cols])) / dof) if dof else 0.0
    )
    trend_counts = trend_used.sum(axis=1).tolist()
    trend_years_of = _selected_years(trend_years, trend_used)
    slope_list = slopes.tolist()

    window_numbers: dict[str, float] = {"window": len(leader_years), **_year_span(leader_years)}
    recent_numbers: dict[str, float] = {"window": len(recent_years), **_year_span(recent_years)}
    trend_numbers: dict[str, float] = {"window": len(trend_years), **_year_span(trend_years)}
    latest = tuple(years[-1:])

    results: dict[int, Result] = {}
    for i, key in enumerate(group.keys):
        # Leader side: always one reason, so a "none" result still says why.
        leader_reasons: list[Reason] = []
        is_leader = False
        if available[i] == 0:
            leader_reasons.append(
                Reason(NOT_ENOUGH_DATA, (), {"needed": rules.leader_min_years, **window_numbers})
            )
        else:
            numbers = {
                "percent": rules.leader_top_percent,
                "count": top_counts[i],
                "needed": rules.leader_min_years,
                "available": available[i],
                **window_numbers,
            }
            top_years = top_years_of[i]
            if top_counts[i] >= rules.leader_min_years:
                leader_reasons.append(Reason(TOP_YEARS, top_years, numbers))
                if rules.leader_requires_strength and not group.strengths[i]:
                    leader_reasons.append(Reason(NO_STRENGTH))
                else:
                    is_leader = True
            else:
                leader_reasons.append(Reason(TOP_YEARS_INSUFFICIENT, top_years, numbers))

        bottom_reasons: list[Reason] = []
        if bottom_latest[i]:
            bottom_reasons.append(Reason(BOTTOM_LATEST, latest, {"percent": rules.support_bottom_percent}))
        if bottom_counts[i] >= rules.support_recent_years:
            bottom_reasons.append(
                Reason(
                    BOTTOM_RECENT,
                    bottom_years_of[i],
                    {
                        "percent": rules.support_bottom_percent,
                        "count": bottom_counts[i],
                        "needed": rules.support_recent_years,
                        **recent_numbers,
                    },
                )
            )

        trend_reasons: list[Reason] = []
        if pooled_sd > 0 and trend_counts[i] >= rules.trend_min_points:
            slope_sd = slope_list[i] / pooled_sd
            if slope_sd < -rules.trend_threshold_sd:
                trend_reasons.append(
                    Reason(
                        FALLING_TREND,
                        trend_years_of[i],
                        {
                            "slope_sd": slope_sd,
                            "threshold_sd": rules.trend_threshold_sd,
                            "slope": slope_list[i] if higher_is_better else -slope_list[i],
                            "sd": pooled_sd,
                            **trend_numbers,
                        },
                    )
                )

        if bottom_reasons:
            results[key] = Result(NEEDS_SUPPORT, (*bottom_reasons, *trend_reasons, *leader_reasons))
        elif is_leader:
            results[key] = Result(LEADER, (*leader_reasons, *trend_reasons))
        elif trend_reasons:
            results[key] = Result(NEEDS_SUPPORT, (*trend_reasons, *leader_reasons))
        else:
            results[key] = Result(NONE, tuple(leader_reasons))
    return results


def _slopes(oriented: FloatArray, present: BoolArray, years: Sequence[int]) -> tuple[FloatArray, BoolArray]:
    """Least-squares slope per school (per year, "better" direction) over its own values in the window."""
    n_schools = oriented.shape[0]
    if not years:
        return np.zeros(n_schools), np.zeros((n_schools, 0), dtype=bool)
    x = np.asarray(years, dtype=np.float64)[None, :]
    weights = present.astype(np.float64)
    count = weights.sum(axis=1)
    safe_count = np.where(count > 0, count, 1.0)
    y = np.where(present, oriented, 0.0)
    x_mean = (weights * x).sum(axis=1) / safe_count
    y_mean = y.sum(axis=1) / safe_count
    dx = np.where(present, x - x_mean[:, None], 0.0)
    spread = (dx * dx).sum(axis=1)
    covariance = (dx * (y - y_mean[:, None])).sum(axis=1)
    slopes = np.divide(covariance, spread, out=np.zeros(n_schools), where=spread > 0)
    return slopes, present


def classify(schools: Sequence[SchoolSeries], rules: Rules, *, higher_is_better: bool) -> dict[int, Result]:
    """Classify every school as ``leader``, ``needs_support`` or ``none``, with its reasons.

    Parameters
    ----------
    schools
        One series per school; keys must be unique. Schools are ranked only within their group.
    rules
        The network's rules.
    higher_is_better
        The indicator's direction; ``False`` means lower values are better (an absence rate).

    Returns
    -------
    dict
        School key → :class:`Result`. Every school gets a result, with at least one reason.

    Raises
    ------
    ClassificationInputError
        When two series share a key.
    """
    results: dict[int, Result] = {}
    for group in _collect_groups(schools).values():
        results.update(_classify_group(group, rules, higher_is_better))
    return results


def group_statistics(
    schools: Sequence[SchoolSeries], *, higher_is_better: bool
) -> dict[tuple[str, int], GroupYearStat]:
    """The distribution of each group's values in each of its years with data.

    Examples
    --------
    >>> schools = [SchoolSeries(k, "primary", False, {2024: float(k)}) for k in range(1, 11)]
    >>> stat = group_statistics(schools, higher_is_better=True)[("primary", 2024)]
    >>> stat.n, stat.median, stat.p80, stat.p20
    (10, 5.5, 9.0, 2.0)
    >>> group_statistics(schools, higher_is_better=False)[("primary", 2024)].p80
    2.0
    """
    sign = 1.0 if higher_is_better else -1.0
    statistics: dict[tuple[str, int], GroupYearStat] = {}
    for name, group in _collect_groups(schools).items():
        for j, year in enumerate(group.years):
            column = group.values[:, j]
            raw = np.sort(column[~np.isnan(column)])
            n = raw.size
            ordered = np.sort(sign * raw)
            better = n - np.searchsorted(ordered, ordered, side="right")
            worse = np.searchsorted(ordered, ordered, side="left")
            # Both flags are monotone along `ordered`: the first top value and the last bottom value.
            top_cut = ordered[int(np.argmax(better * 100 < 20 * n))]
            bottom_cut = ordered[int(np.flatnonzero(worse * 100 < 20 * n)[-1])]
            statistics[(name, year)] = GroupYearStat(
                n=int(n),
                median=float(np.median(raw)),
                p20=float(sign * bottom_cut),
                p80=float(sign * top_cut),
                mean=float(np.mean(raw)),
                sd=float(np.std(raw, ddof=1)) if n >= 2 else None,
            )
    return statistics
