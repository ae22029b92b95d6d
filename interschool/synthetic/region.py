"""Deterministic generator of a fictional region of schools, written as the canonical school CSV."""

from __future__ import annotations

import csv
import itertools
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

import numpy as np
import numpy.typing as npt

SUPPORT_DOMAINS: tuple[str, ...] = (
    "teaching",
    "assessment",
    "leadership",
    "motivation",
    "community",
    "curriculum",
    "resources",
    "environment",
    "careers",
    "social",
)
PHASES: tuple[str, ...] = ("primary", "middle", "secondary", "all_through", "special", "post16")
TYPES: tuple[str, ...] = ("public", "charter", "religious", "independent")
COMMUNITIES: tuple[str, ...] = ("majority", "minority", "integrated")
ROLES: tuple[str, ...] = ("leader", "supported", "none")
# Outcome measure per phase and whether a higher value is better; special schools report an absence rate
# on purpose, so consumers cannot assume "higher is better" everywhere.
PHASE_INDICATORS: dict[str, tuple[str, bool]] = {
    "primary": ("reading_attainment", True),
    "middle": ("reading_attainment", True),
    "secondary": ("exam_pass_rate", True),
    "all_through": ("exam_pass_rate", True),
    "special": ("persistent_absence", False),
    "post16": ("level3_pass_rate", True),
}
# A fixed last year (not today's date) keeps the output identical whenever it is generated.
LAST_YEAR: int = 2025
MAX_YEARS: int = 50
MAX_SCHOOLS: int = 2_000_000
SUPPRESSION_THRESHOLD: int = 10
MISSING: str = ""
SUPPRESSED: str = "s"

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]

_LEADER, _SUPPORTED, _NONE = 0, 1, 2
_CHUNK_ROWS = 8192
_LAT_BOX = (52.0, 53.5)
_LON_BOX = (-2.5, 0.5)
# cos(52.75 degrees): converts east-west kilometres to degrees of longitude in the middle of the box.
_KM_PER_DEG_LAT = 111.0
_KM_PER_DEG_LON = 111.0 * 0.6053

# Per-phase parameters, indexed like PHASES.
_PHASE_SHARE_URBAN = (0.55, 0.04, 0.20, 0.03, 0.10, 0.08)
_PHASE_SHARE_RURAL = (0.80, 0.04, 0.09, 0.03, 0.03, 0.01)
_TYPE_SHARE = (
    (0.76, 0.07, 0.15, 0.02),
    (0.80, 0.08, 0.10, 0.02),
    (0.62, 0.22, 0.10, 0.06),
    (0.70, 0.18, 0.08, 0.04),
    (0.90, 0.08, 0.00, 0.02),
    (0.70, 0.25, 0.03, 0.02),
)
_ENROL_MEAN = np.array([300.0, 450.0, 1000.0, 1100.0, 110.0, 900.0])
_ENROL_SD = np.array([140.0, 150.0, 350.0, 400.0, 50.0, 400.0])
_ENROL_LO = np.array([50.0, 150.0, 400.0, 500.0, 30.0, 150.0])
_ENROL_HI = np.array([700.0, 900.0, 2000.0, 2400.0, 250.0, 2500.0])
# Share of the roll in the measured cohort: one year group (primary, secondary exam year), a key stage
# (middle), the leavers' group (special), or half of a two-year sixth form.
_COHORT_SHARE = np.array([1 / 7, 1 / 4, 1 / 5, 1 / 13, 1 / 8, 1 / 2])
_OUTCOME_BASE = np.array([72.0, 70.0, 62.0, 60.0, 24.0, 78.0])
_SES_SLOPE = np.array([0.55, 0.55, 0.6, 0.6, 0.3, 0.45])
_SCHOOL_EFFECT_SD = np.array([6.0, 6.0, 7.0, 7.0, 4.0, 5.0])
_SIGN = np.array([1.0 if PHASE_INDICATORS[p][1] else -1.0 for p in PHASES])

_PREFIXES = (
    "Ash", "Bar", "Bel", "Black", "Brad", "Bram", "Brom", "Bur", "Cal", "Camp", "Car", "Chester", "Clay",
    "Cold", "Cran", "Crom", "Dal", "Dar", "Dun", "Eas", "Elm", "Fair", "Farn", "Fen", "Gar", "Glen", "Good",
    "Grant", "Green", "Hal", "Ham", "Har", "Hart", "Hay", "High", "Holm", "Hun", "Kel", "Ken", "Kings",
    "Lang", "Lea", "Lin", "Long", "Mar", "Mel", "Mill", "Nor", "Oak", "Ock", "Pen", "Red", "Rich", "Ros",
    "Salt", "Sand", "Shel", "Stan", "Stock", "Stone", "Sut", "Thorn", "Wal", "Wed", "Wen", "West", "Whit",
    "Wick", "Win", "Wood",
)  # fmt: skip
_MIDDLES = ("ing", "er", "en", "bor", "ling", "ham", "den", "ley", "wen")
_SUFFIXES = (
    "brook", "bury", "by", "caster", "combe", "dale", "den", "don", "field", "ford", "gate", "ham",
    "hampton", "hurst", "land", "leigh", "ley", "mere", "minster", "mouth", "ness", "port", "stead", "stoke",
    "stow", "thorpe", "ton", "wall", "well", "wick", "worth", "wood", "bridge", "borough", "cliffe", "holme",
    "ridge", "moor", "fold", "cott",
)  # fmt: skip
_QUALIFIERS = (
    "Upper ", "Lower ", "Great ", "Little ", "North ", "South ", "East ", "West ", "Old ", "New ", "Nether ",
    "Market ",
)  # fmt: skip
_POSTFIXES = (" Green", " Heath", " Cross", " End", " Magna", " Parva", " Common", " Marsh", " Hill", " Vale")
# Plain names come first so that the biggest towns get the plainest names.
_TOWN_NAME_TIERS: tuple[tuple[tuple[str, ...], ...], ...] = (
    (_PREFIXES, _SUFFIXES),
    (_PREFIXES, _MIDDLES, _SUFFIXES),
    (_QUALIFIERS, _PREFIXES, _SUFFIXES),
    (_PREFIXES, _SUFFIXES, _POSTFIXES),
    (_QUALIFIERS, _PREFIXES, _MIDDLES, _SUFFIXES),
    (_PREFIXES, _MIDDLES, _SUFFIXES, _POSTFIXES),
    (_QUALIFIERS, _PREFIXES, _MIDDLES, _SUFFIXES, _POSTFIXES),
)

_PLACE_FIRST = (
    "Harrow", "Oak", "Elm", "Ash", "Beech", "Willow", "Meadow", "Brook", "Castle", "Church", "Mill", "Park",
    "Hill", "River", "Bridge", "Abbey", "Forest", "Chapel", "Orchard", "Crown", "Bell", "Priory", "Grange",
    "Manor", "Heath", "Moor", "Valley", "Cedar", "Holly", "Hazel", "Rose", "Fox", "Lark", "Wren", "Spring",
    "Sandy", "Long", "Broad", "Fern", "Birch", "Maple", "Thorn", "Rowan", "Lime", "Cherry", "Pine", "Copper",
    "Swan", "Kestrel", "Falcon",
)  # fmt: skip
_PLACE_SECOND = (
    " Lane", " Road", " Park", " View", " Hill", "side", "field", "fields", " Grove", " Vale", "wood",
    " Green", " Meadow", "croft",
)  # fmt: skip
_PLACES = tuple(a + b for a in _PLACE_FIRST for b in _PLACE_SECOND)
_SAINT_NAMES = (
    "Anne", "Mary", "John", "Peter", "Paul", "Joseph", "Michael", "George", "Andrew", "Margaret", "Thomas",
    "Bede", "Catherine", "Patrick", "Francis", "Teresa", "Augustine", "Edmund", "Hilda", "Luke", "Mark",
    "Matthew", "Chad", "Cuthbert", "Aidan", "Alban", "Bernadette", "Clare", "Dominic", "Gregory", "Helen",
    "James", "Jude", "Lawrence", "Martin", "Nicholas", "Oswald", "Stephen", "Wilfrid", "Agnes",
)  # fmt: skip
_SAINTS = tuple(s + ("'" if s.endswith("s") else "'s") for s in _SAINT_NAMES)
# Name templates by (type, phase). The first template of each never uses {town}, so every group has one
# that suits a big town, where a town-based name would repeat for every school of that town.
_NAME_TEMPLATES: dict[tuple[str, str], tuple[str, ...]] = {
    ("public", "primary"): (
        "{place} Primary School", "{town} Primary School", "{place} Community Primary School",
        "{place} Infant and Junior School",
    ),
    ("public", "middle"): ("{place} Middle School", "{town} Middle School"),
    ("public", "secondary"): ("{place} High School", "{town} Secondary School", "{place} Community College"),
    ("public", "all_through"): ("{place} All-Through School", "{town} All-Through School"),
    ("public", "special"): ("{place} Special School", "{town} Special School"),
    ("public", "post16"): ("{place} Sixth Form College", "{town} Sixth Form College"),
    ("charter", "primary"): ("{place} Primary Academy", "{town} Primary Academy"),
    ("charter", "middle"): ("{place} Middle Academy",),
    ("charter", "secondary"): ("{place} Academy", "{town} Academy", "{place} Free School"),
    ("charter", "all_through"): ("{place} All-Through Academy", "{town} All-Through Academy"),
    ("charter", "special"): ("{place} Special Academy",),
    ("charter", "post16"): ("{place} Sixth Form Academy", "{town} Sixth Form Academy"),
    ("religious", "primary"): (
        "St {saint} Catholic Primary School", "{town} Church of England Primary School",
        "St {saint} Church of England Primary School",
    ),
    ("religious", "middle"): ("St {saint} Middle School",),
    ("religious", "secondary"): (
        "St {saint} Secondary", "St {saint} Catholic High School", "{town} Church of England High School",
    ),
    ("religious", "all_through"): ("St {saint} All-Through School",),
    ("religious", "special"): ("St {saint} Special School",),
    ("religious", "post16"): ("St {saint} Sixth Form College",),
    ("independent", "primary"): ("{place} Preparatory School", "{town} Prep School"),
    ("independent", "middle"): ("{place} House School",),
    ("independent", "secondary"): ("{place} College", "{town} Grammar School", "{place} School"),
    ("independent", "all_through"): ("{place} School", "{town} Independent School"),
    ("independent", "special"): ("{place} School",),
    ("independent", "post16"): ("{place} Sixth Form College", "{town} Tutorial College"),
}  # fmt: skip
# Towns with more schools than this use only the first (place-based) template.
_TOWN_TEMPLATE_MAX_SCHOOLS = 6
_TOWNLESS_TEMPLATES: dict[tuple[str, str], tuple[str, ...]] = {
    key: tuple(t for t in templates if "{town}" not in t) for key, templates in _NAME_TEMPLATES.items()
}
# A settlement with at least this many schools counts as urban.
_URBAN_MIN_SCHOOLS = 4


class GeneratorError(ValueError):
    """A generator parameter is out of range; the message names the parameter."""


@dataclass(frozen=True)
class _Region:
    """All generated values as arrays, before they are turned into text."""

    years: list[int]
    names: list[str]
    town_names: ObjArray
    town: IntArray
    phase: IntArray
    school_type: IntArray
    community: IntArray
    urban: BoolArray
    lat_e5: IntArray
    lon_e5: IntArray
    enrolment: IntArray
    ses_tenths: IntArray
    online: BoolArray
    role: IntArray
    capacity: IntArray
    strengths: IntArray
    needs: IntArray
    # Shape (years, schools): tenths of a percentage point, -1 missing, -2 suppressed.
    outcome: npt.NDArray[np.int16]
    # Shape (years, schools): students in the cohort, -1 where the outcome is missing.
    cohort: npt.NDArray[np.int16]


def canonical_columns(years: Sequence[int]) -> list[str]:
    """Return the canonical school CSV header for the given outcome years.

    Parameters
    ----------
    years : Sequence[int]
        Outcome years; they are listed in ascending order whatever order they are given in.

    Returns
    -------
    list[str]
        The fixed columns, then ``outcome_<YEAR>`` for each year, then ``cohort_<YEAR>`` for each year.

    Raises
    ------
    GeneratorError
        If a year is repeated.
    """
    ordered = sorted(int(y) for y in years)
    if len(set(ordered)) != len(ordered):
        raise GeneratorError(f"years must not repeat, got {list(years)!r}")
    return [
        "school_id",
        "name",
        "phase",
        "type",
        "community",
        "district",
        "urban_rural",
        "latitude",
        "longitude",
        "enrolment",
        "ses_index",
        "accepts_online",
        "role",
        "capacity",
        "strengths",
        "needs",
        "indicator",
        "higher_is_better",
        *(f"outcome_{y}" for y in ordered),
        *(f"cohort_{y}" for y in ordered),
    ]


def region_years(years: int) -> list[int]:
    """Return the outcome years of a generated region.

    Parameters
    ----------
    years : int
        Number of years, 1 to 50.

    Returns
    -------
    list[int]
        ``LAST_YEAR - years + 1`` up to ``LAST_YEAR``, ascending.

    Raises
    ------
    GeneratorError
        If ``years`` is not an integer from 1 to 50.
    """
    count = _check_int("years", years, 1, MAX_YEARS)
    return list(range(LAST_YEAR - count + 1, LAST_YEAR + 1))


def iter_region_rows(*, schools: int, years: int = 5, seed: int = 0) -> Iterator[dict[str, str]]:
    """Generate a region and yield its schools as CSV rows.

    Parameters
    ----------
    schools : int
        Number of schools, 1 to 2,000,000.
    years : int, optional
        Number of outcome years ending at ``LAST_YEAR``, 1 to 50 (default 5).
    seed : int, optional
        Non-negative random seed (default 0). The same arguments always give the same rows.

    Returns
    -------
    Iterator[dict[str, str]]
        One dict per school mapping each canonical column to the cell text exactly as written to the CSV.

    Raises
    ------
    GeneratorError
        If a parameter is out of range (raised at the call, before iteration starts).
    """
    n, year_list, seed_value = _validate(schools, years, seed)
    return _iter_dicts(n, year_list, seed_value)


def write_region_csv(
    out: str | os.PathLike[str] | TextIO, *, schools: int, years: int = 5, seed: int = 0
) -> int:
    """Generate a region and write it as the canonical school CSV.

    Parameters
    ----------
    out : str, os.PathLike or TextIO
        A path (written as UTF-8, replacing any existing file) or an open text stream. A stream should be
        opened with ``newline=""`` so that the ``\\n`` line endings are kept as they are.
    schools : int
        Number of schools, 1 to 2,000,000.
    years : int, optional
        Number of outcome years ending at ``LAST_YEAR``, 1 to 50 (default 5).
    seed : int, optional
        Non-negative random seed (default 0). The same arguments always give byte-identical output.

    Returns
    -------
    int
        Number of data rows written (the header is not counted).

    Raises
    ------
    GeneratorError
        If a parameter is out of range; nothing is written then.
    """
    n, year_list, seed_value = _validate(schools, years, seed)
    if isinstance(out, str | os.PathLike):
        with open(out, "w", encoding="utf-8", newline="") as handle:
            return _write(handle, n, year_list, seed_value)
    return _write(out, n, year_list, seed_value)


def _write(handle: TextIO, n: int, year_list: list[int], seed: int) -> int:
    region = _build_region(n, year_list, seed)
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(canonical_columns(year_list))
    written = 0
    for rows in _text_chunks(region):
        writer.writerows(rows)
        written += len(rows)
    return written


def _iter_dicts(n: int, year_list: list[int], seed: int) -> Iterator[dict[str, str]]:
    region = _build_region(n, year_list, seed)
    header = canonical_columns(year_list)
    for rows in _text_chunks(region):
        for row in rows:
            yield dict(zip(header, row, strict=True))


def _check_int(name: str, value: object, low: int, high: int | None) -> int:
    # bool is an int subclass, but schools=True is certainly a mistake.
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise GeneratorError(f"{name} must be an integer, got {value!r}")
    number = int(value)
    if number < low or (high is not None and number > high):
        limit = f"between {low:,} and {high:,}" if high is not None else f"at least {low:,}"
        raise GeneratorError(f"{name} must be {limit}, got {number:,}")
    return number


def _validate(schools: object, years: object, seed: object) -> tuple[int, list[int], int]:
    n = _check_int("schools", schools, 1, MAX_SCHOOLS)
    year_list = region_years(_check_int("years", years, 1, MAX_YEARS))
    seed_value = _check_int("seed", seed, 0, None)
    return n, year_list, seed_value


def _pick(u: FloatArray, shares: npt.NDArray[np.float64]) -> IntArray:
    """Turn uniforms into category indices; ``shares`` has one row of probabilities per school."""
    # Comparing against the inner cumulative bounds only means rounding in the last bound can never
    # produce an index past the end.
    bounds = np.cumsum(shares, axis=1)[:, :-1]
    return (u[:, None] >= bounds).sum(axis=1).astype(np.int64)


def _town_sizes(rng: np.random.Generator, schools: int) -> IntArray:
    """Schools per town: Zipf-like, so many villages with one or two schools and a few large towns."""
    cap = min(600, max(8, schools // 5))
    parts: list[IntArray] = []
    total = 0
    while total < schools:
        draw = rng.zipf(2.1, size=schools // 2 + 16).astype(np.int64)
        # Redraw oversized towns below the cap instead of clamping, so there is no pile of equal-sized cities.
        over = draw > cap
        draw[over] = cap - rng.integers(0, cap // 2 + 1, size=int(over.sum()))
        parts.append(draw)
        total += int(draw.sum())
    sizes = np.concatenate(parts)
    cumulative = np.cumsum(sizes)
    last = int(np.searchsorted(cumulative, schools))
    sizes = sizes[: last + 1].copy()
    sizes[last] -= int(cumulative[last]) - schools
    return sizes


def _town_names(rng: np.random.Generator, count: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for parts in _TOWN_NAME_TIERS:
        radices = [len(p) for p in parts]
        order = rng.permutation(math.prod(radices))
        for start in range(0, len(order), 4096):
            if len(names) >= count:
                return names
            for index in order[start : start + 4096].tolist():
                pieces = []
                for part, radix in zip(reversed(parts), reversed(radices), strict=True):
                    index, digit = divmod(index, radix)
                    pieces.append(part[digit])
                pieces.reverse()
                # Same letter on both sides of a join reads badly ("Westton", "Millley").
                if any(a[-1] == b[0] for a, b in itertools.pairwise(pieces)):
                    continue
                name = "".join(pieces)
                # Different syllable splits can spell the same name ("Ash"+"ing"+"ton" and others).
                if name not in seen:
                    seen.add(name)
                    names.append(name)
                    if len(names) >= count:
                        return names
    raise RuntimeError(f"ran out of town names after {len(names)}")  # pragma: no cover - needs > 3.5M towns


def _school_names(
    rng: np.random.Generator,
    town_names: list[str],
    town: IntArray,
    town_size: IntArray,
    phase: IntArray,
    school_type: IntArray,
) -> list[str]:
    n = len(town)
    variant = rng.integers(0, 1 << 20, size=n).tolist()
    place = rng.integers(0, len(_PLACES), size=n).tolist()
    saint = rng.integers(0, len(_SAINTS), size=n).tolist()
    big_town = (town_size > _TOWN_TEMPLATE_MAX_SCHOOLS).tolist()
    names: list[str] = []
    seen: set[str] = set()
    for t, p, k, v, pl, sa in zip(
        town.tolist(), phase.tolist(), school_type.tolist(), variant, place, saint, strict=True
    ):
        templates = _NAME_TEMPLATES[(TYPES[k], PHASES[p])]
        if big_town[t]:
            templates = _TOWNLESS_TEMPLATES[(TYPES[k], PHASES[p])]
        choice = v % len(templates)
        district = town_names[t]
        name = templates[choice].format(town=district, place=_PLACES[pl], saint=_SAINTS[sa])
        if name in seen and choice != 0:
            # Most often two schools of a small town drew the same town-based name; the first template
            # is never town-based.
            name = templates[0].format(town=district, place=_PLACES[pl], saint=_SAINTS[sa])
        if name in seen:
            # Plain names never contain a comma nor end in a digit, so a disambiguated name cannot clash
            # with a later plain one; only earlier disambiguated names need checking.
            base = name if district in name else f"{name}, {district}"
            name = base
            suffix = 2
            while name in seen:
                name = f"{base} {suffix}"
                suffix += 1
        seen.add(name)
        names.append(name)
    return names


def _build_region(n: int, year_list: list[int], seed: int) -> _Region:
    """Draw every value of the region; the order of the draws is part of the output format."""
    rng = np.random.Generator(np.random.PCG64(seed))

    # Towns.
    sizes = _town_sizes(rng, n)
    n_towns = len(sizes)
    # Biggest towns get the earliest (plainest) names; stable sort keeps ties in draw order.
    by_size = np.argsort(-sizes, kind="stable")
    plain_first = _town_names(rng, n_towns)
    town_name_list = [""] * n_towns
    for rank, town_index in enumerate(by_size.tolist()):
        town_name_list[town_index] = plain_first[rank]
    town_lat = rng.uniform(52.1, 53.4, size=n_towns)
    town_lon = rng.uniform(-2.35, 0.35, size=n_towns)
    town_ses = 52.0 + 10.0 * rng.standard_normal(n_towns)
    town_minority_share = np.where(rng.random(n_towns) < 0.15, 0.75, 0.08)
    town_urban = sizes >= _URBAN_MIN_SCHOOLS

    # Schools are shuffled so that ids do not run town by town.
    town = np.repeat(np.arange(n_towns, dtype=np.int64), sizes)[rng.permutation(n)]
    urban = town_urban[town]
    size_of_school = sizes[town]

    phase_shares = np.where(urban[:, None], np.array(_PHASE_SHARE_URBAN), np.array(_PHASE_SHARE_RURAL))
    phase = _pick(rng.random(n), phase_shares)
    school_type = _pick(rng.random(n), np.array(_TYPE_SHARE)[phase])
    u_community = rng.random(n)
    community = np.where(
        u_community < 0.04, 2, np.where(u_community < 0.04 + 0.96 * town_minority_share[town], 1, 0)
    )

    spread_km = 0.8 + 0.5 * np.sqrt(size_of_school.astype(np.float64))
    lat = town_lat[town] + rng.standard_normal(n) * spread_km / _KM_PER_DEG_LAT
    lon = town_lon[town] + rng.standard_normal(n) * spread_km / _KM_PER_DEG_LON
    lat_e5 = np.rint(np.clip(lat, *_LAT_BOX) * 1e5).astype(np.int64)
    lon_e5 = np.rint(np.clip(lon, *_LON_BOX) * 1e5).astype(np.int64)

    # Rural and independent schools are smaller.
    scale = np.where(urban, 1.0, 0.6) * np.where(school_type == 3, 0.6, 1.0)
    raw_enrolment = (_ENROL_MEAN[phase] + _ENROL_SD[phase] * rng.standard_normal(n)) * scale
    # Reflect at the minimum rather than clamp, so small schools do not pile up on one value.
    low = _ENROL_LO[phase]
    raw_enrolment = np.where(raw_enrolment < low, 2.0 * low - raw_enrolment, raw_enrolment)
    enrolment = np.rint(np.clip(raw_enrolment, low, _ENROL_HI[phase])).astype(np.int64)

    ses = (
        town_ses[town]
        + 7.0 * rng.standard_normal(n)
        - 9.0 * (community == 1)
        + 14.0 * (school_type == 3)
        + 2.0 * (school_type == 2)
    )
    ses_tenths = np.rint(np.clip(ses, 0.0, 100.0) * 10.0).astype(np.int64)
    online = rng.random(n) < np.where(urban, 0.3, 0.45)

    # Outcomes follow the rounded ses_index that is published, so the relation holds in the file itself.
    school_effect = _SCHOOL_EFFECT_SD[phase] * rng.standard_normal(n)
    advantage = (ses_tenths / 10.0 - 50.0) * _SES_SLOPE[phase] + school_effect
    trend = 0.1 + 0.5 * rng.standard_normal(n)
    sign = _SIGN[phase]
    base = _OUTCOME_BASE[phase]
    cohort_mean = enrolment * _COHORT_SHARE[phase]
    n_years = len(year_list)
    middle = (n_years - 1) / 2.0
    outcome = np.empty((n_years, n), dtype=np.int16)
    cohort = np.empty((n_years, n), dtype=np.int16)
    # Running sums for each school's mean and least-squares slope of its "goodness" over observed years.
    s_w = np.zeros(n)
    s_t = np.zeros(n)
    s_y = np.zeros(n)
    s_tt = np.zeros(n)
    s_ty = np.zeros(n)
    for j in range(n_years):
        students = np.maximum(np.rint(cohort_mean * (1.0 + 0.08 * rng.standard_normal(n))), 1.0)
        # Small cohorts give noisier percentages.
        noise_sd = 2.5 + 15.0 / np.sqrt(students)
        value = base + sign * (advantage + trend * (j - middle)) + noise_sd * rng.standard_normal(n)
        tenths = np.rint(np.clip(value, 0.0, 100.0) * 10.0).astype(np.int16)
        missing = rng.random(n) < 0.02
        suppressed = ~missing & (students < SUPPRESSION_THRESHOLD)
        observed = ~(missing | suppressed)
        outcome[j] = np.where(missing, -1, np.where(suppressed, -2, tenths))
        cohort[j] = np.where(missing, -1, students).astype(np.int16)
        weight = observed.astype(np.float64)
        goodness = sign * tenths / 10.0
        s_w += weight
        s_t += weight * j
        s_y += weight * goodness
        s_tt += weight * (j * j)
        s_ty += weight * j * goodness

    role = _roles(phase, s_w, s_t, s_y, s_tt, s_ty, n_years)
    is_leader = role == _LEADER
    capacity = np.where(
        is_leader, np.clip(1 + enrolment // 600 + rng.integers(0, 2, size=n), 1, 4), 0
    ).astype(np.int64)
    strengths, needs = _domains(rng, role)
    names = _school_names(rng, town_name_list, town, sizes, phase, school_type)
    return _Region(
        years=year_list,
        names=names,
        town_names=np.array(town_name_list, dtype=object),
        town=town,
        phase=phase,
        school_type=school_type,
        community=community.astype(np.int64),
        urban=urban,
        lat_e5=lat_e5,
        lon_e5=lon_e5,
        enrolment=enrolment,
        ses_tenths=ses_tenths,
        online=online,
        role=role,
        capacity=capacity,
        strengths=strengths,
        needs=needs,
        outcome=outcome,
        cohort=cohort,
    )


def _roles(
    phase: IntArray,
    s_w: FloatArray,
    s_t: FloatArray,
    s_y: FloatArray,
    s_tt: FloatArray,
    s_ty: FloatArray,
    years: int,
) -> IntArray:
    """Leaders: top 10% mean within their indicator and not declining; supported: bottom 15% or declining."""
    n = len(phase)
    mean = np.divide(s_y, s_w, out=np.zeros(n), where=s_w > 0)
    denominator = s_w * s_tt - s_t * s_t
    slope = np.divide(s_w * s_ty - s_t * s_y, denominator, out=np.zeros(n), where=denominator > 0)
    # A role needs outcomes for at least half of the years; otherwise the evidence is too thin.
    enough = s_w >= (years + 1) // 2
    role = np.full(n, _NONE, dtype=np.int64)
    codes = sorted({code for code, _ in PHASE_INDICATORS.values()})
    indicator_of_phase = np.array([codes.index(PHASE_INDICATORS[p][0]) for p in PHASES])
    indicator = indicator_of_phase[phase]
    for code in range(len(codes)):
        members = np.flatnonzero((indicator == code) & enough)
        if len(members) == 0:
            continue
        # Stable sort: ties are broken by school order, identically on every machine.
        order = np.argsort(mean[members], kind="stable")
        position = np.empty(len(members), dtype=np.float64)
        position[order] = np.arange(len(members), dtype=np.float64)
        fraction = (position + 0.5) / len(members)
        member_slope = slope[members]
        declining = (s_w[members] >= 3) & (member_slope <= -2.0) & (fraction < 0.5)
        leader = (fraction >= 0.9) & (member_slope > -1.0)
        supported = ~leader & ((fraction < 0.15) | declining)
        role[members[leader]] = _LEADER
        role[members[supported]] = _SUPPORTED
    return role


def _domains(rng: np.random.Generator, role: IntArray) -> tuple[IntArray, IntArray]:
    """Strength and need codes as bit masks over SUPPORT_DOMAINS; the two never share a code."""
    n = len(role)
    # Probabilities of 0, 1, 2, 3 codes per role (leader, supported, none).
    strength_shares = np.array([[0.0, 0.2, 0.4, 0.4], [0.6, 0.4, 0.0, 0.0], [0.4, 0.4, 0.2, 0.0]])
    need_shares = np.array([[0.7, 0.3, 0.0, 0.0], [0.0, 0.2, 0.4, 0.4], [0.4, 0.4, 0.2, 0.0]])
    n_strengths = _pick(rng.random(n), strength_shares[role])
    n_needs = _pick(rng.random(n), need_shares[role])
    # A random order of the domains per school: strengths come from the front, needs from the next three.
    shuffled = np.argsort(rng.random((n, len(SUPPORT_DOMAINS))), axis=1, kind="stable")
    bits = np.left_shift(1, shuffled).astype(np.int64)
    strengths = np.zeros(n, dtype=np.int64)
    needs = np.zeros(n, dtype=np.int64)
    for k in range(3):
        strengths |= np.where(k < n_strengths, bits[:, k], 0)
        needs |= np.where(k < n_needs, bits[:, 3 + k], 0)
    return strengths, needs


def _text_tables() -> dict[str, ObjArray]:
    """Lookup tables from small integer codes to cell text, so formatting is an array index."""
    tenths = [f"{i // 10}.{i % 10}" for i in range(1001)]
    masks = [
        ";".join(d for b, d in enumerate(SUPPORT_DOMAINS) if m >> b & 1)
        for m in range(1 << len(SUPPORT_DOMAINS))
    ]
    return {
        "tenths": np.array(tenths, dtype=object),
        # Index is code + 2: -2 suppressed, -1 missing, then tenths.
        "outcome": np.array([SUPPRESSED, MISSING, *tenths], dtype=object),
        # Index is value + 1: -1 missing.
        "count": np.array([MISSING, *(str(i) for i in range(4096))], dtype=object),
        "mask": np.array(masks, dtype=object),
        "phase": np.array(PHASES, dtype=object),
        "type": np.array(TYPES, dtype=object),
        "community": np.array(COMMUNITIES, dtype=object),
        "role": np.array(ROLES, dtype=object),
        "indicator": np.array([PHASE_INDICATORS[p][0] for p in PHASES], dtype=object),
        "higher": np.array(["true" if PHASE_INDICATORS[p][1] else "false" for p in PHASES], dtype=object),
        "bool": np.array(["false", "true"], dtype=object),
        "urban": np.array(["rural", "urban"], dtype=object),
    }


def _degrees(e5: list[int]) -> list[str]:
    # Integer arithmetic gives exactly five decimals with no float formatting involved.
    out = []
    for value in e5:
        whole, fraction = divmod(abs(value), 100_000)
        out.append(f"{'-' if value < 0 else ''}{whole}.{fraction:05d}")
    return out


def _text_chunks(region: _Region) -> Iterator[list[tuple[str, ...]]]:
    tables = _text_tables()
    n = len(region.names)
    width = max(6, len(str(n)))
    for start in range(0, n, _CHUNK_ROWS):
        stop = min(n, start + _CHUNK_ROWS)
        part = slice(start, stop)
        phase = region.phase[part]
        columns: list[list[str]] = [
            [f"S{i:0{width}d}" for i in range(start + 1, stop + 1)],
            region.names[part],
            tables["phase"][phase].tolist(),
            tables["type"][region.school_type[part]].tolist(),
            tables["community"][region.community[part]].tolist(),
            region.town_names[region.town[part]].tolist(),
            tables["urban"][region.urban[part].astype(np.int64)].tolist(),
            _degrees(region.lat_e5[part].tolist()),
            _degrees(region.lon_e5[part].tolist()),
            tables["count"][region.enrolment[part] + 1].tolist(),
            tables["tenths"][region.ses_tenths[part]].tolist(),
            tables["bool"][region.online[part].astype(np.int64)].tolist(),
            tables["role"][region.role[part]].tolist(),
            tables["count"][region.capacity[part] + 1].tolist(),
            tables["mask"][region.strengths[part]].tolist(),
            tables["mask"][region.needs[part]].tolist(),
            tables["indicator"][phase].tolist(),
            tables["higher"][phase].tolist(),
        ]
        columns.extend(tables["outcome"][row[part].astype(np.int64) + 2].tolist() for row in region.outcome)
        columns.extend(tables["count"][row[part].astype(np.int64) + 1].tolist() for row in region.cohort)
        yield list(zip(*columns, strict=True))
