"""Exact scores: decimal numbers turned into integers on one common grid, so solvers never round.

A score such as ``2.375`` is optimised as given. Every score of a problem is written as an integer
number of *units* on the finest grid the scores need (``10**-places``, where ``places`` is the largest
number of decimal places among them), so sums and comparisons are exact integer arithmetic and a solver
working on integers finds the true optimum. A float is read as the shortest decimal that prints it
(``0.1`` is one tenth, not the binary fraction nearest to it).

Examples
--------
>>> grid, units = ScoreGrid.fit(["1.5", Decimal("0.25"), 3])
>>> grid.places, grid.scale, units
(2, 100, [150, 25, 300])
>>> grid.score_of(425)
Decimal('4.25')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Integer solvers (OR-Tools' min-cost flow scales costs by the number of nodes, CP-SAT sums objective
# terms) need head-room below 2**63; a problem whose units would exceed this is refused, never rounded.
MAX_TOTAL_UNITS = 2**53

Score = Decimal | float | int | str


class MatchingInputError(ValueError):
    """Input to a matching solver that cannot be right; the message names the offending item."""


class ScorePrecisionError(MatchingInputError):
    """Scores with so many decimal places, or so large, that exact integer optimisation would overflow."""


def as_decimal(score: Score) -> Decimal:
    """The exact decimal value of ``score``; a float is read as the shortest decimal that prints it.

    Raises :class:`MatchingInputError` for anything that is not a finite number.

    >>> as_decimal(0.1), as_decimal("2.50"), as_decimal(3)
    (Decimal('0.1'), Decimal('2.50'), Decimal('3'))
    """
    if isinstance(score, bool):
        raise MatchingInputError(f"score {score!r} is not a number")
    try:
        value = Decimal(repr(score)) if isinstance(score, float) else Decimal(score)
    except (InvalidOperation, TypeError, ValueError):
        raise MatchingInputError(f"score {score!r} is not a number") from None
    if not value.is_finite():
        raise MatchingInputError(f"score {score!r} is not a finite number")
    return value


def decimal_places(value: Decimal) -> int:
    """Decimal places needed to write ``value`` exactly (``Decimal('1.50')`` needs 1).

    Computed from the digits, without a decimal context, so a long number is never rounded first.
    """
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise MatchingInputError(f"score {value} is not a finite number")
    written = "".join(map(str, digits))
    significant = written.rstrip("0")
    if not significant:
        return 0
    return max(0, -(exponent + len(written) - len(significant)))


@dataclass(frozen=True)
class ScoreGrid:
    """The grid ``10**-places`` on which every score of one problem is an exact integer."""

    places: int

    @property
    def scale(self) -> int:
        return 10**self.places

    @classmethod
    def fit(cls, scores: Sequence[Score]) -> tuple[ScoreGrid, list[int]]:
        """The grid of ``scores`` and each score in its units, reading every score once.

        >>> ScoreGrid.fit(["0.5", "2"])
        (ScoreGrid(places=1), [5, 20])
        """
        values = [as_decimal(s) for s in scores]
        grid = cls(max((decimal_places(v) for v in values), default=0))
        return grid, [_units(v, grid.places) for v in values]

    def score_of(self, units: int) -> Decimal:
        """The exact decimal score of an integer number of units."""
        return Decimal(units).scaleb(-self.places)


def _units(value: Decimal, places: int) -> int:
    """``value × 10**places`` as an integer, from the digits: Decimal arithmetic would round to the
    context's 28 digits. ``places`` is at least the value's decimal places, so any dropped digits are 0."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise MatchingInputError(f"score {value} is not a finite number")
    number = int("".join(map(str, digits)) or "0")
    shift = exponent + places
    number = number * 10**shift if shift >= 0 else number // 10**-shift
    return -number if sign else number


def check_total_fits(units: Sequence[int] | Iterable[int], count: int, what: str = "scores") -> None:
    """Refuse a problem whose largest possible total of ``count`` scores could overflow a solver."""
    largest = max((abs(u) for u in units), default=0)
    if largest * max(count, 1) > MAX_TOTAL_UNITS:
        raise ScorePrecisionError(
            f"the {what} are too large or have too many decimal places to be optimised exactly "
            f"(largest {largest} units × {count}); use fewer decimal places"
        )
