"""Reads of partnerships for the list, the typology page and the exports: filters and typology counts.

Filters use the field names of ``vocabularies.DIMENSIONS`` as query parameters (``?state=active&model=
peer_cluster&motives=students``) plus ``q`` for a part of the name; ``_none`` asks for partnerships
where an optional dimension is not set. Every query works the same on SQLite and PostgreSQL: the
list-valued fields (motives, external parties) are JSON lists of codes, and "holds this code" is a
case-insensitive substring match on the quoted code (``'"students"'``) in the stored JSON text, since
JSON containment (``__contains``) does not exist on SQLite. Quotes delimit a code, so no code matches
inside another; codes are lower case, so case folding changes nothing. Counts of list-valued
dimensions are made in Python over ``values_list`` (one query per dimension, fine at thousands).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import QueryDict

from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import Partnership, PartnershipMember

NOT_SET = "_none"
SEARCH_MAX = 200


def is_multiple(name: str) -> bool:
    return v.DIMENSIONS[name][2]


def is_optional(name: str) -> bool:
    """Whether a dimension may be left empty (so its counts have a "not set" row)."""
    return bool(getattr(Partnership._meta.get_field(name), "blank", False))


def choices_of(name: str) -> type[Any]:
    return v.DIMENSIONS[name][1]


@dataclass(frozen=True)
class PartnershipFilters:
    """The filters of the list and the typology page: a part of the name and one value per dimension."""

    q: str = ""
    values: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_params(cls, params: QueryDict | Mapping[str, str]) -> PartnershipFilters:
        """Read the filters of a request; unknown dimensions and values are left out, never an error."""
        values: dict[str, str] = {}
        for name in v.DIMENSIONS:
            value = str(params.get(name, "") or "").strip()
            if value in choices_of(name).values or (value == NOT_SET and is_optional(name)):
                values[name] = value
        return cls(q=str(params.get("q", "") or "").strip()[:SEARCH_MAX], values=values)

    @property
    def active(self) -> bool:
        return bool(self.q or self.values)

    def params(self, **changes: str | None) -> dict[str, str]:
        """The filters as query parameters, with ``changes`` applied (``None`` removes one)."""
        params = {"q": self.q, **self.values} if self.q else dict(self.values)
        for name, value in changes.items():
            if value is None:
                params.pop(name, None)
            else:
                params[name] = value
        return params

    def apply(self, partnerships: QuerySet[Partnership]) -> QuerySet[Partnership]:
        qs = partnerships
        if self.q:
            qs = qs.filter(name__icontains=self.q)
        for name, value in self.values.items():
            qs = qs.filter(_value_filter(name, value))
        return qs


def _value_filter(name: str, value: str) -> Q:
    if is_multiple(name):
        if value == NOT_SET:
            return Q(**{name: []})
        return Q(**{f"{name}__icontains": f'"{value}"'})
    return Q(**{name: "" if value == NOT_SET else value})


def partnerships_listed(
    partnerships: QuerySet[Partnership], filters: PartnershipFilters
) -> QuerySet[Partnership]:
    """The filtered list in name order, with the number of members of each partnership."""
    return filters.apply(partnerships).annotate(members_count=Count("members")).order_by("name", "pk")


@dataclass(frozen=True)
class ValueCount:
    code: str  # a vocabulary code, or NOT_SET
    label: str
    count: int


@dataclass(frozen=True)
class DimensionCounts:
    name: str
    label: str
    multiple: bool
    rows: list[ValueCount]

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows)


def typology_counts(partnerships: QuerySet[Partnership]) -> list[DimensionCounts]:
    """For each dimension, how many of ``partnerships`` hold each value, zeros and "not set" included.

    A partnership with several values of a list-valued dimension counts once for each value it holds.
    """
    qs = partnerships.order_by()
    result = []
    for name, (label, choices, multiple) in v.DIMENSIONS.items():
        counts: Counter[str] = Counter()
        if multiple:
            for codes in qs.values_list(name, flat=True):
                held = set(codes or ())
                counts.update(held)
                if not held:
                    counts[NOT_SET] += 1
        else:
            for code, n in qs.values_list(name).annotate(n=Count("pk")).values_list(name, "n"):
                counts[code or NOT_SET] += n
        rows = [ValueCount(code, str(text), counts[code]) for code, text in choices.choices]
        if is_optional(name):
            rows.append(ValueCount(NOT_SET, "", counts[NOT_SET]))
        result.append(DimensionCounts(name, str(label), multiple, rows))
    return result


@dataclass(frozen=True)
class MemberName:
    organisation_id: int
    name: str


def member_names(partnership_ids: Iterable[int]) -> dict[int, list[MemberName]]:
    """The member organisations of each partnership, in the order they were added (one query)."""
    names: dict[int, list[MemberName]] = defaultdict(list)
    rows = (
        PartnershipMember.objects.filter(partnership_id__in=list(partnership_ids))
        .order_by("partnership_id", "pk")
        .values_list("partnership_id", "organisation_id", "organisation__name")
    )
    for partnership_id, organisation_id, name in rows:
        names[partnership_id].append(MemberName(organisation_id, name))
    return names
