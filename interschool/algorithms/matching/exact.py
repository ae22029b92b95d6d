"""Exact scores: decimal numbers turned into integers on one common grid, so solvers never round.

A score such as ``2.375`` is optimised as given. Every score of a problem is written as an integer
number of *units* on the finest grid the scores need (``10**-places``, where ``places`` is the largest
number of decimal places among them), so sums and comparisons are exact integer arithmetic and a solver
working on integers finds the true optimum. A float is read as the shortest decimal that prints it
(``0.1`` is one tenth, not the binary fraction nearest to it).

Examples
--------
>>> grid = ScoreGrid.for_scores(["1.5", Decimal("0.25"), 3])
>>> grid.places, grid.scale
(2, 100)
>>> grid.units_of(["1.5", Decimal("0.25"), 3])
[150, 25, 300]
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
    """Number of decimal places needed to write ``value`` exactly (``Decimal('1.50')`` needs 1)."""
    exponent = value.normalize().as_tuple().exponent
    if not isinstance(exponent, int):
        raise MatchingInputError(f"score {value} is not a finite number")
    return max(0, -exponent)


@dataclass(frozen=True)
class ScoreGrid:
    """The grid ``10**-places`` on which every score of one problem is an exact integer."""

    places: int

    @property
    def scale(self) -> int:
        return 10**self.places

    @classmethod
    def for_scores(cls, scores: Iterable[Score]) -> ScoreGrid:
        return cls(max((decimal_places(as_decimal(s)) for s in scores), default=0))

    @classmethod
    def fit(cls, scores: Sequence[Score]) -> tuple[ScoreGrid, list[int]]:
        """The grid of ``scores`` and each score in its units, reading every score once.

        >>> ScoreGrid.fit(["0.5", "2"])
        (ScoreGrid(places=1), [5, 20])
        """
        values = [as_decimal(s) for s in scores]
        grid = cls(max((decimal_places(v) for v in values), default=0))
        return grid, [int(v.scaleb(grid.places)) for v in values]

    def units_of(self, scores: Iterable[Score]) -> list[int]:
        """Each score as an integer number of grid units (exact: the grid fits every score)."""
        scale = self.scale
        units = []
        for s in scores:
            scaled = as_decimal(s) * scale
            if scaled != scaled.to_integral_value():
                raise ScorePrecisionError(f"score {s!r} has more than {self.places} decimal places")
            units.append(int(scaled))
        return units

    def score_of(self, units: int) -> Decimal:
        """The exact decimal score of an integer number of units."""
        return Decimal(units).scaleb(-self.places)


def check_total_fits(units: Sequence[int] | Iterable[int], count: int, what: str = "scores") -> None:
    """Refuse a problem whose largest possible total of ``count`` scores could overflow a solver."""
    largest = max((abs(u) for u in units), default=0)
    if largest * max(count, 1) > MAX_TOTAL_UNITS:
        raise ScorePrecisionError(
            f"the {what} are too large or have too many decimal places to be optimised exactly "
            f"(largest {largest} units × {count}); use fewer decimal places"
        )
