"""Share a resource in rotation among partner schools over a term: quotas, an assignment, actual use.

A resource shared by rotation (a bus, a laboratory on fixed days) has a list of **slots** in the term
(the caller has already left out the days the resource is closed). Each partner school has a positive
**weight** (its agreed share) and the **dates it cannot take** a slot. A slot on which no school can
come is *unassignable* and stays empty; every other slot — ``S`` of them — goes to exactly one school
that can come that day, so the resource is never left idle to even out the numbers.

**Fair share and target.** School ``i``'s exact fair share is ``q_i = S · w_i / Σw`` (a
:class:`~fractions.Fraction`). Its **target** is an apportionment of the ``S`` slots by largest
remainders (Hamilton): every school gets ``⌊q_i⌋``, and the slots left over go to the largest
remainders ``q_i − ⌊q_i⌋``, ties to the larger weight, then to the school first in id order. Targets
therefore sum to ``S`` and each is ``⌊q_i⌋`` or ``⌈q_i⌉``.

**Counts.** Among all ways of giving every assignable slot to a school that can come, the counts are
chosen lexicographically: the smallest **maximum deviation** ``max |c_i − q_i|``, then the smallest
**total deviation** ``Σ |c_i − q_i|``, then the smallest **sum of squared deviations** (so when the
dates force one school far from its share, the others share the difference evenly), then the fewest
slots away from the targets, then extra slots to the schools first in id order. The Hamilton targets
have the smallest maximum and total deviation of all count vectors summing to ``S``, so whenever the
unavailable dates allow the targets, every school gets exactly its target; otherwise the counts are as
close as the dates allow and every school outside ``[⌊q_i⌋, ⌈q_i⌉]`` is reported as a
:class:`QuotaShortfall`.

Slots with the same set of schools that can come are interchangeable, so the counts are a flow on a
small network: source → *class of slots* (capacity: the slots of the class) → school that can come →
sink. The counts that can be reached form an M-convex set (the bases of a polymatroid), so

1. the smallest maximum deviation ``D`` is found by binary search over the values ``|c − q_i|``: the
   box ``⌈q_i − D⌉ ≤ c_i ≤ ⌊q_i + D⌋`` is feasible exactly when the flow with those lower and upper
   bounds on the school → sink arcs routes all ``S`` slots (OR-Tools' min-cost flow; lower bounds
   become node demands);
2. inside that box, the total and squared deviations and the tie-breaks are a separable convex cost,
   minimised by one min-cost flow with one school → sink arc per further slot, carrying its marginal
   cost. Optimality on an M-convex set depends only on the *order* of the marginal costs (an exchange
   argument), so each marginal (a tuple of fractions, compared lexicographically) is replaced by its
   rank: the costs are exact integers below ``n·S``, never rounded fractions.

**Spread.** The flow fixes how many slots each school gets, not which. A deterministic pass then walks
the slots in date order and gives each by Tijdeman's rule for the *chairman assignment problem*: with
``c_i`` the school's count, ``S`` the assignable slots, ``g_i`` the slots it has been given so far and
``δ = 1 / (2m − 2)`` for the ``m`` schools with slots, the slot in position ``L`` (from 1) goes, among
the schools that can come and are under their count, to one at least ``δ`` behind its pace
(``c_i·L/S − g_i ≥ δ``) if there is one, the one whose next slot is due first (smallest
``(g_i + 1 − δ) / c_i``), ties to the school first in id order. When every school can come every day,
each school's count after any number of slots then stays within ``1 − δ`` of its pace ``c_i·L/S``
(Tijdeman, 1980): no school gets all the early slots. The pass keeps a complete assignment throughout,
so the rest of the term can always be completed: it moves the slot to the chosen school along a chain
of exchanges over later slots (the chosen school hands a later slot to a school that can come that day,
which hands one on, …, back to the slot's holder), found by a breadth-first search; when no chain
exists it tries the next school in that order, and the holder itself always qualifies. Counts and
unavailable dates are kept at every step.

:func:`compare_use` sets the plan against the slots as actually used; :func:`rotation_problems` (and
:func:`is_valid_rotation`) checks a rotation against its input.

Complexity: for ``T`` slots, ``S`` of them assignable, ``n`` schools and ``K ≤ min(T, 2ⁿ)`` classes of
slots, each flow has ``K + n + 2`` nodes and at most ``K·(n + 1) + n`` arcs; phase 1 solves
``O(log(n·S))`` of them, phase 2 one with up to ``n·S`` school → sink arcs. The spread pass runs one
search of ``O(n·S)`` per slot, ``O(n·S²)`` in all; a term of 500 slots and 20 schools takes well under
a second.

Examples
--------
>>> from datetime import date, time
>>> slots = [Slot(f"s{d}", date(2025, 9, d), time(9), time(12)) for d in range(1, 7)]
>>> schools = [PartnerSchool("A", 2), PartnerSchool("B", 1, frozenset({date(2025, 9, 1)}))]
>>> rotation = plan_rotation(slots, schools)
>>> [rotation.assignment[s.id] for s in slots]
['A', 'B', 'A', 'A', 'B', 'A']
>>> [(s.school, s.fair_share, s.target, s.assigned) for s in rotation.shares.values()]
[('A', Fraction(4, 1), 4, 4), ('B', Fraction(2, 1), 2, 2)]
>>> rotation.within_quota, is_valid_rotation(slots, schools, rotation)
(True, True)

When B can come on one day only, it cannot reach its share and A takes the rest:

>>> busy = frozenset(date(2025, 9, d) for d in range(2, 7))
>>> rotation = plan_rotation(slots, [PartnerSchool("A", 2), PartnerSchool("B", 1, busy)])
>>> [(s.school, s.code, s.assigned, s.bound, s.available) for s in rotation.shortfalls]
[('A', 'above_ceil', 5, 4, 6), ('B', 'below_floor', 1, 2, 1)]
>>> use = compare_use(rotation, {"s1": "B", "s2": "A", "s3": None})
>>> [(r.school, r.planned, r.actual, r.deviation) for r in use.rows.values()]
[('A', 5, 1, Fraction(-3, 1)), ('B', 1, 1, Fraction(-1, 1))]
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from fractions import Fraction
from typing import Literal

SlotId = int | str
SchoolId = int | str
Weight = int | float | Decimal | Fraction

ShortfallCode = Literal["below_floor", "above_ceil"]
BELOW_FLOOR: ShortfallCode = "below_floor"
ABOVE_CEIL: ShortfallCode = "above_ceil"


class RotationInputError(ValueError):
    """Slots, schools or uses that cannot be planned or compared; the message names the offender."""


def _check_id(kind: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise RotationInputError(f"{kind} id must be an integer or a string, not {value!r}")


def _id_key(value: SchoolId) -> tuple[int, int, str]:
    """Sort key for ids: integers in numeric order, then strings (so mixed ids still sort)."""
    return (0, value, "") if isinstance(value, int) else (1, 0, value)


def _is_day(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


@dataclass(frozen=True)
class Slot:
    """One use of the resource: an id, the day, and the start and end time on that day."""

    id: SlotId
    on: date
    start: time
    end: time

    def __post_init__(self) -> None:
        _check_id("slot", self.id)
        if not _is_day(self.on):
            raise RotationInputError(f"slot {self.id!r}: the day must be a date, not {self.on!r}")
        if not (isinstance(self.start, time) and isinstance(self.end, time)):
            raise RotationInputError(f"slot {self.id!r}: start and end must be times")
        if self.start >= self.end:
            raise RotationInputError(
                f"slot {self.id!r}: starts at {self.start}, not before its end {self.end}"
            )


def exact_weight(weight: Weight) -> Fraction:
    """A weight as an exact fraction; a float is read as the decimal it prints as (``0.1`` is 1/10).

    Raises :class:`RotationInputError` unless the weight is a finite number greater than zero.
    """
    if isinstance(weight, bool) or not isinstance(weight, int | float | Decimal | Fraction):
        raise RotationInputError(f"a weight must be a number, not {weight!r}")
    try:
        exact = Fraction(repr(weight)) if isinstance(weight, float) else Fraction(weight)
    except (ValueError, OverflowError) as error:
        raise RotationInputError(f"a weight must be a finite number, not {weight!r}") from error
    if exact <= 0:
        raise RotationInputError(f"a weight must be greater than zero, not {weight!r}")
    return exact


@dataclass(frozen=True)
class PartnerSchool:
    """A school sharing the resource: its id, its weight (agreed share) and the dates it cannot come."""

    id: SchoolId
    weight: Weight
    unavailable: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        _check_id("school", self.id)
        try:
            exact_weight(self.weight)
        except RotationInputError as error:
            raise RotationInputError(f"school {self.id!r}: {error}") from error
        days = frozenset(self.unavailable)  # any iterable of dates is accepted
        wrong = sorted(repr(d) for d in days if not _is_day(d))
        if wrong:
            raise RotationInputError(f"school {self.id!r}: unavailable dates must be dates, not {wrong[0]}")
        object.__setattr__(self, "unavailable", days)


@dataclass(frozen=True)
class SchoolShare:
    """One school's share of the term: exact fair share, target, slots assigned and the difference."""

    school: SchoolId
    weight: Fraction
    fair_share: Fraction
    target: int
    assigned: int
    deviation: Fraction  # assigned − fair_share
    available: int  # assignable slots on days the school can come
    sole: int  # slots no other school can take

    @property
    def floor(self) -> int:
        return math.floor(self.fair_share)

    @property
    def ceil(self) -> int:
        return math.ceil(self.fair_share)

    @property
    def within_quota(self) -> bool:
        """True when the school got ``⌊fair share⌋`` or ``⌈fair share⌉`` slots."""
        return self.floor <= self.assigned <= self.ceil


@dataclass(frozen=True)
class QuotaShortfall:
    """A school the unavailable dates pushed outside ``[⌊fair share⌋, ⌈fair share⌉]``.

    ``below_floor``: ``assigned < bound = ⌊fair share⌋``. Either the school can come on fewer days than
    its floor (``available < bound``), or the days it can come are shared with schools even further
    behind. ``above_ceil``: ``assigned > bound = ⌈fair share⌉``: the other schools cannot come on
    enough days, so slots that only this school can take (``sole`` of them) or that schools at their
    own limit cannot take fall to it.
    """

    school: SchoolId
    code: ShortfallCode
    assigned: int
    bound: int
    available: int
    sole: int


@dataclass(frozen=True)
class Rotation:
    """A planned rotation.

    ``assignment`` maps every slot id, in date order, to its school id, or to ``None`` when no school
    can come that day (those slots are also listed in ``unassignable``). ``shares`` holds one
    :class:`SchoolShare` per school in id order.
    """

    assignment: Mapping[SlotId, SchoolId | None] = field(hash=False)
    shares: Mapping[SchoolId, SchoolShare] = field(hash=False)
    unassignable: tuple[SlotId, ...]
    shortfalls: tuple[QuotaShortfall, ...]
    max_deviation: Fraction
    total_deviation: Fraction

    @property
    def within_quota(self) -> bool:
        """True when no school is below its floor or above its ceiling."""
        return not self.shortfalls

    @property
    def targets_met(self) -> bool:
        """True when every school got exactly its target."""
        return all(s.assigned == s.target for s in self.shares.values())

    def slots_of(self, school: SchoolId) -> tuple[SlotId, ...]:
        """The school's slots in date order."""
        return tuple(slot for slot, holder in self.assignment.items() if holder == school)


def apportion(weights: Mapping[SchoolId, Weight], seats: int) -> dict[SchoolId, int]:
    """Share ``seats`` among the schools by largest remainders (Hamilton).

    Every school gets the floor of its exact quota ``seats · w / Σw``; the seats left over go to the
    largest remainders, ties to the larger weight, then to the school first in id order. The result
    sums to ``seats`` and each count is the floor or the ceiling of its quota.

    Examples
    --------
    >>> apportion({"A": 1, "B": 1, "C": 1}, 4)
    {'A': 2, 'B': 1, 'C': 1}
    >>> apportion({"A": 2, "B": 1, "C": 1}, 7)  # quotas 3.5, 1.75, 1.75
    {'A': 3, 'B': 2, 'C': 2}
    >>> apportion({"A": 3, "B": 1}, 2)  # quotas 1.5 and 0.5: the tie goes to the larger weight
    {'A': 2, 'B': 0}
    """
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 0:
        raise RotationInputError(f"the number of seats must be a whole number ≥ 0, not {seats!r}")
    if not weights:
        raise RotationInputError("there are no schools to share among")
    for school in weights:
        _check_id("school", school)
    exact = {school: exact_weight(w) for school, w in weights.items()}
    total = sum(exact.values(), Fraction(0))
    quotas = {school: seats * w / total for school, w in exact.items()}
    counts = {school: math.floor(q) for school, q in quotas.items()}
    left = seats - sum(counts.values())
    by_remainder = sorted(exact, key=lambda s: (-(quotas[s] - counts[s]), -exact[s], _id_key(s)))
    for school in by_remainder[:left]:
        counts[school] += 1
    return counts


# --- the flow -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Class:
    """Slots with the same schools able to come: their positions in date order and those schools."""

    schools: tuple[int, ...]
    positions: tuple[int, ...]


def _route(
    classes: Sequence[_Class], lower: Sequence[int], arcs: Sequence[Sequence[tuple[int, int]]]
) -> list[dict[int, int]] | None:
    """Route every slot to a school that can come, school ``i`` taking at least ``lower[i]`` slots and at
    most ``lower[i]`` plus the capacities of its (capacity, unit cost) ``arcs[i]`` to the sink, at least
    cost. Returns the slots each class gives each school, or ``None`` when no such routing exists."""
    from ortools.graph.python import min_cost_flow

    total = sum(len(c.positions) for c in classes)
    n = len(lower)
    if sum(lower) > total or sum(lower) + sum(cap for school in arcs for cap, _ in school) < total:
        return None
    flow = min_cost_flow.SimpleMinCostFlow()
    source, sink = 0, len(classes) + n + 1
    school_node = len(classes) + 1
    class_arcs: list[list[tuple[int, int]]] = []
    for j, group in enumerate(classes, start=1):
        size = len(group.positions)
        flow.add_arc_with_capacity_and_unit_cost(source, j, size, 0)
        class_arcs.append(
            [
                (i, flow.add_arc_with_capacity_and_unit_cost(j, school_node + i, size, 0))
                for i in group.schools
            ]
        )
    for i, school_arcs in enumerate(arcs):
        for capacity, cost in school_arcs:
            if capacity > 0:
                flow.add_arc_with_capacity_and_unit_cost(school_node + i, sink, capacity, cost)
    # A lower bound on the school → sink arc becomes a demand at the school and less demand at the sink.
    flow.set_node_supply(source, total)
    for i, least in enumerate(lower):
        flow.set_node_supply(school_node + i, -least)
    flow.set_node_supply(sink, -(total - sum(lower)))
    status = flow.solve()
    if status == flow.INFEASIBLE:
        return None
    if status != flow.OPTIMAL:
        raise RuntimeError(f"the min-cost flow solver failed with status {status}")
    return [{i: int(flow.flow(arc)) for i, arc in pairs if flow.flow(arc) > 0} for pairs in class_arcs]


def _box(shares: Sequence[Fraction], spread: Fraction, total: int) -> tuple[list[int], list[int]]:
    """Per school, the counts within ``spread`` of its fair share: (lowest, highest)."""
    lowest = [max(0, math.ceil(q - spread)) for q in shares]
    highest = [min(total, math.floor(q + spread)) for q in shares]
    return lowest, highest


def _smallest_max_deviation(
    classes: Sequence[_Class], shares: Sequence[Fraction], targets: Sequence[int], total: int
) -> Fraction:
    """Phase 1: the smallest D whose box of counts can be routed, by binary search over |c − q_i|."""

    def feasible(spread: Fraction) -> bool:
        lowest, highest = _box(shares, spread, total)
        arcs = [[(hi - lo, 0)] for lo, hi in zip(lowest, highest, strict=True)]
        return _route(classes, lowest, arcs) is not None

    # The targets have the smallest maximum deviation of all count vectors summing to the total.
    least = max((abs(t - q) for t, q in zip(targets, shares, strict=True)), default=Fraction(0))
    if feasible(least):
        return least
    candidates = sorted({d for q in shares for c in range(total + 1) if (d := abs(c - q)) > least})
    # The last candidate allows every count from 0 to the total, which is always feasible.
    low, high = 0, len(candidates) - 1
    while low < high:
        middle = (low + high) // 2
        if feasible(candidates[middle]):
            high = middle
        else:
            low = middle + 1
    return candidates[low]


def _marginal(k: int, share: Fraction, target: int) -> tuple[Fraction, Fraction, int]:
    """What the school's k-th slot adds to (total deviation, sum of squared deviations, distance from
    the target). Each part grows with ``k``, so the cost of a school's count is convex."""
    floor = math.floor(share)
    if k <= floor:
        deviation = Fraction(-1)
    elif k == floor + 1 and share != floor:
        deviation = 1 - 2 * (share - floor)
    else:
        deviation = Fraction(1)
    return deviation, 2 * k - 1 - 2 * share, (-1 if k <= target else 1)


def _counts(
    classes: Sequence[_Class], shares: Sequence[Fraction], targets: Sequence[int], total: int
) -> list[dict[int, int]]:
    """Phase 2: within the box of the smallest maximum deviation, the routing of least total deviation,
    then least squared deviation, then closest to the targets. Marginal costs are replaced by their
    ranks (see the module notes)."""
    spread = _smallest_max_deviation(classes, shares, targets, total)
    lowest, highest = _box(shares, spread, total)
    segments: list[list[tuple[int, tuple[Fraction, Fraction, int, int]]]] = []
    for i, (share, target) in enumerate(zip(shares, targets, strict=True)):
        runs: list[tuple[int, tuple[Fraction, Fraction, int, int]]] = []
        for k in range(lowest[i] + 1, highest[i] + 1):
            # The school's position is the last tie-break: extra slots to the school first in id order.
            key = (*_marginal(k, share, target), i)
            if runs and runs[-1][1] == key:
                runs[-1] = (runs[-1][0] + 1, key)
            else:
                runs.append((1, key))
        segments.append(runs)
    rank = {key: r for r, key in enumerate(sorted({key for runs in segments for _, key in runs}))}
    arcs = [[(size, rank[key]) for size, key in runs] for runs in segments]
    routed = _route(classes, lowest, arcs)
    if routed is None:  # phase 1 proved this box feasible
        raise RuntimeError("the min-cost flow found no routing in a box known to be feasible")
    return routed


# --- spreading the slots over the term ------------------------------------------------------------------


def _spread(available: Sequence[tuple[int, ...]], holder: list[int], n: int) -> list[int]:
    """Reorder a complete assignment (``holder[k]``: school of the k-th slot in date order) by Tijdeman's
    rule (see the module notes), keeping every school's count and every unavailable date."""
    size = len(holder)
    counts = [0] * n
    for school in holder:
        counts[school] += 1
    can_come: list[list[int]] = [[] for _ in range(n)]
    for k, schools in enumerate(available):
        for school in schools:
            can_come[school].append(k)
    with_slots = sum(1 for c in counts if c)
    delta = Fraction(1, 2 * with_slots - 2) if with_slots > 1 else Fraction(0)
    given = [0] * n
    for k in range(size):
        current = holder[k]
        # The current holder is always a candidate: it holds this slot, so it is under its count.
        pace = Fraction(k + 1, size)
        candidates = sorted(
            (i for i in available[k] if given[i] < counts[i]),
            key=lambda i: (counts[i] * pace - given[i] < delta, (given[i] + 1 - delta) / counts[i], i),
        )
        if candidates[0] != current:
            # Reverse search from the current holder: parent[a] = (b, j) means a can hand its later
            # slot j to b, who can come that day, and b is one step closer to the current holder.
            parent: dict[int, tuple[int, int] | None] = {current: None}
            queue = deque([current])
            while queue:
                receiver = queue.popleft()
                for j in can_come[receiver]:
                    giver = holder[j]
                    if j > k and giver not in parent:
                        parent[giver] = (receiver, j)
                        queue.append(giver)
            chosen = next(i for i in candidates if i in parent)
            school = chosen
            while (step := parent[school]) is not None:
                receiver, j = step
                holder[j] = receiver
                school = receiver
            holder[k] = chosen
        given[holder[k]] += 1
    return holder


# --- planning -------------------------------------------------------------------------------------------


def _checked(slots: Sequence[Slot], schools: Sequence[PartnerSchool]) -> None:
    if not schools:
        raise RotationInputError("there are no schools to share the resource among")
    seen_schools: set[SchoolId] = set()
    for school in schools:
        if not isinstance(school, PartnerSchool):
            raise RotationInputError(f"expected a PartnerSchool, not {school!r}")
        if school.id in seen_schools:
            raise RotationInputError(f"school id {school.id!r} appears twice")
        seen_schools.add(school.id)
    seen_slots: set[SlotId] = set()
    for slot in slots:
        if not isinstance(slot, Slot):
            raise RotationInputError(f"expected a Slot, not {slot!r}")
        if slot.id in seen_slots:
            raise RotationInputError(f"slot id {slot.id!r} appears twice")
        seen_slots.add(slot.id)


def _slot_key(slot: Slot) -> tuple[date, time, time, tuple[int, int, str]]:
    return (slot.on, slot.start, slot.end, _id_key(slot.id))


def plan_rotation(slots: Sequence[Slot], schools: Sequence[PartnerSchool]) -> Rotation:
    """Give every slot to at most one school so each school's count is as close as possible to its share.

    Parameters
    ----------
    slots
        The term's slots, closures already left out; ids must be unique. Their order does not matter.
    schools
        The partner schools, at least one; ids must be unique. Their order does not matter.

    Returns
    -------
    Rotation
        The assignment (slots in date order), each school's share, the slots no school can take and
        the schools the unavailable dates pushed outside their quota. The same input always gives the
        same rotation.

    Raises
    ------
    RotationInputError
        For no schools, a duplicate slot or school id, or a slot or school that is not one.
    """
    _checked(slots, schools)
    ordered_schools = sorted(schools, key=lambda s: _id_key(s.id))
    ordered_slots = sorted(slots, key=_slot_key)
    n = len(ordered_schools)
    available_of = [
        tuple(i for i, school in enumerate(ordered_schools) if slot.on not in school.unavailable)
        for slot in ordered_slots
    ]
    assignable = [k for k, schools_in in enumerate(available_of) if schools_in]
    total = len(assignable)

    weights = [exact_weight(s.weight) for s in ordered_schools]
    weight_sum = sum(weights, Fraction(0))
    shares = [total * w / weight_sum for w in weights]
    target_of = apportion({s.id: w for s, w in zip(ordered_schools, weights, strict=True)}, total)
    targets = [target_of[s.id] for s in ordered_schools]

    # Positions below are among the assignable slots, in date order.
    available = [available_of[k] for k in assignable]
    grouped: dict[tuple[int, ...], list[int]] = {}
    for position, schools_in in enumerate(available):
        grouped.setdefault(schools_in, []).append(position)
    classes = [_Class(key, tuple(positions)) for key, positions in grouped.items()]

    holder = [-1] * total
    if total:
        for group, given in zip(classes, _counts(classes, shares, targets, total), strict=True):
            positions = iter(group.positions)
            for index in sorted(given):
                for _ in range(given[index]):
                    holder[next(positions)] = index
        holder = _spread(available, holder, n)

    assignment: dict[SlotId, SchoolId | None] = {slot.id: None for slot in ordered_slots}
    for position, k in enumerate(assignable):
        assignment[ordered_slots[k].id] = ordered_schools[holder[position]].id
    assigned = [0] * n
    for index in holder:
        assigned[index] += 1
    reach = [0] * n
    sole = [0] * n
    for schools_in in available:
        for i in schools_in:
            reach[i] += 1
        if len(schools_in) == 1:
            sole[schools_in[0]] += 1

    share_rows: dict[SchoolId, SchoolShare] = {}
    shortfalls: list[QuotaShortfall] = []
    for i, school in enumerate(ordered_schools):
        row = SchoolShare(
            school=school.id,
            weight=weights[i],
            fair_share=shares[i],
            target=targets[i],
            assigned=assigned[i],
            deviation=assigned[i] - shares[i],
            available=reach[i],
            sole=sole[i],
        )
        share_rows[school.id] = row
        if row.assigned < row.floor:
            shortfalls.append(
                QuotaShortfall(school.id, BELOW_FLOOR, row.assigned, row.floor, reach[i], sole[i])
            )
        elif row.assigned > row.ceil:
            shortfalls.append(
                QuotaShortfall(school.id, ABOVE_CEIL, row.assigned, row.ceil, reach[i], sole[i])
            )
    deviations = [abs(row.deviation) for row in share_rows.values()]
    return Rotation(
        assignment=assignment,
        shares=share_rows,
        unassignable=tuple(ordered_slots[k].id for k, s in enumerate(available_of) if not s),
        shortfalls=tuple(shortfalls),
        max_deviation=max(deviations),
        total_deviation=sum(deviations, Fraction(0)),
    )


def rotation_problems(
    slots: Sequence[Slot], schools: Sequence[PartnerSchool], rotation: Rotation
) -> list[str]:
    """Every way in which ``rotation`` breaks the rules for ``slots`` and ``schools`` (empty when valid).

    Checks that every slot is listed exactly once, each assigned slot goes to a known school that can
    come that day, a slot stays empty exactly when no school can come, and the shares, targets,
    deviations and shortfalls agree with the assignment.
    """
    if not schools:
        return ["there are no schools"]
    found: list[str] = []
    by_id = {s.id: s for s in schools}
    slot_ids = [s.id for s in slots]
    if sorted(rotation.assignment, key=_id_key) != sorted(slot_ids, key=_id_key):
        found.append("the assignment does not list every slot exactly once")
    assigned: dict[SchoolId, int] = dict.fromkeys(by_id, 0)
    empty: list[SlotId] = []
    for slot in slots:
        if slot.id not in rotation.assignment:
            continue
        holder = rotation.assignment[slot.id]
        anyone = any(slot.on not in s.unavailable for s in schools)
        if holder is None:
            empty.append(slot.id)
            if anyone:
                found.append(f"slot {slot.id!r} is empty although a school can come on {slot.on}")
        elif holder not in by_id:
            found.append(f"slot {slot.id!r} goes to unknown school {holder!r}")
        else:
            assigned[holder] += 1
            if slot.on in by_id[holder].unavailable:
                found.append(f"slot {slot.id!r} goes to school {holder!r}, which cannot come on {slot.on}")
    if set(rotation.unassignable) != set(empty) or len(rotation.unassignable) != len(empty):
        found.append("the unassignable slots are not exactly the empty ones")
    total = len(slots) - len(empty)
    weight_sum = sum((exact_weight(s.weight) for s in schools), Fraction(0))
    targets = apportion({s.id: s.weight for s in schools}, total)
    if set(rotation.shares) != set(by_id):
        found.append("the shares do not list every school exactly once")
    for school_id, row in rotation.shares.items():
        if school_id not in by_id:
            continue
        share = total * exact_weight(by_id[school_id].weight) / weight_sum
        if row.fair_share != share:
            found.append(f"school {school_id!r}: fair share {row.fair_share}, not {share}")
        if row.target != targets[school_id]:
            found.append(f"school {school_id!r}: target {row.target}, not {targets[school_id]}")
        if row.assigned != assigned[school_id]:
            found.append(
                f"school {school_id!r}: {row.assigned} slots counted, {assigned[school_id]} assigned"
            )
        if row.deviation != row.assigned - row.fair_share:
            found.append(f"school {school_id!r}: deviation {row.deviation} is not assigned − fair share")
    outside = {r.school for r in rotation.shares.values() if not r.within_quota}
    if {s.school for s in rotation.shortfalls} != outside:
        found.append("the shortfalls are not exactly the schools outside their quota")
    return found


def is_valid_rotation(slots: Sequence[Slot], schools: Sequence[PartnerSchool], rotation: Rotation) -> bool:
    """True when ``rotation`` is a consistent rotation of ``slots`` among ``schools``."""
    return not rotation_problems(slots, schools, rotation)


# --- planned against actual use -------------------------------------------------------------------------


@dataclass(frozen=True)
class UseRow:
    """One school's planned and actual slots, its fair share for the term and ``actual − fair_share``."""

    school: SchoolId
    fair_share: Fraction
    planned: int
    actual: int
    deviation: Fraction


@dataclass(frozen=True)
class UseComparison:
    """Per school (id order) the planned and actual use; the slots used otherwise than planned and the
    slots nobody used, both in date order."""

    rows: Mapping[SchoolId, UseRow] = field(hash=False)
    changed: tuple[SlotId, ...]
    unused: tuple[SlotId, ...]


def compare_use(
    rotation: Rotation, actual: Mapping[SlotId, SchoolId | None] | Iterable[tuple[SlotId, SchoolId | None]]
) -> UseComparison:
    """Set the planned rotation against the slots as actually used.

    ``actual`` maps a slot id to the school that used it, or ``None`` when nobody did; a slot it does
    not mention counts as unused. The fair share is the plan's, for the whole term: a slot a school
    missed is its loss, not shared out again.

    Raises
    ------
    RotationInputError
        For a slot that is not in the plan, a slot listed twice or a school that is not a partner.
    """
    pairs = list(actual.items()) if isinstance(actual, Mapping) else list(actual)
    used: dict[SlotId, SchoolId | None] = {}
    for slot, school in pairs:
        if slot not in rotation.assignment:
            raise RotationInputError(f"slot {slot!r} is not in the plan")
        if slot in used:
            raise RotationInputError(f"slot {slot!r} is listed twice")
        if school is not None and school not in rotation.shares:
            raise RotationInputError(f"slot {slot!r} was used by {school!r}, which is not a partner school")
        used[slot] = school
    actual_counts: dict[SchoolId, int] = dict.fromkeys(rotation.shares, 0)
    changed: list[SlotId] = []
    unused: list[SlotId] = []
    for slot, planned in rotation.assignment.items():
        school = used.get(slot)
        if school is None:
            unused.append(slot)
        else:
            actual_counts[school] += 1
        if school != planned:
            changed.append(slot)
    rows = {
        school: UseRow(
            school=school,
            fair_share=share.fair_share,
            planned=share.assigned,
            actual=actual_counts[school],
            deviation=actual_counts[school] - share.fair_share,
        )
        for school, share in rotation.shares.items()
    }
    return UseComparison(rows=rows, changed=tuple(changed), unused=tuple(unused))
