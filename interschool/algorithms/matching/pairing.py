"""Eligible candidate pairs between providers and receivers: nearby, online, and without coordinates.

Shared by vertical matching (leaders → supported schools), organisation matching (organisations →
schools) and peer clusters (schools ↔ schools). For each receiver the candidates are

1. the ``k`` nearest eligible providers within ``max_distance_km``;
2. if the pair may work online, the ``k`` nearest eligible online providers further away;
3. where a side has no coordinates, the ``k`` eligible online providers with the best pair score
   (distance cannot rank them).

A receiver for which any of these searches found more eligible providers than ``k`` is reported as
*truncated*. Receivers that have no coordinates and cannot work online are *excluded* from
distance-based matching.

Complexity: the two spatial searches cost O((P + R·k) log P); the score-ranked search costs
O(U·P_online) for the U receivers involved, which are few in real registries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .candidates import Candidates, nearest_eligible
from .geo import great_circle_km
from .scoring import SchoolTable

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# (provider indexes, receiver indexes, distances km or NaN) -> mask
PairTest = Callable[[IntArray, IntArray, FloatArray], BoolArray]
# (provider indexes, receiver indexes, distances km or NaN) -> score units
PairScore = Callable[[IntArray, IntArray, FloatArray], IntArray]


@dataclass(frozen=True)
class Search:
    """Who may pair with whom, and how far to look."""

    providers: IntArray  # indexes into the provider table that may take partners
    receivers: IntArray  # indexes into the receiver table that want partners
    provider_online: BoolArray  # per provider-table row: may work online
    receiver_online: BoolArray  # per receiver-table row
    k: int
    max_distance_km: float


def pair_keys(a: IntArray, b: IntArray, width: int) -> IntArray:
    return a.astype(np.int64) * width + b.astype(np.int64)


def lookup_pairs(
    pairs: Iterable[frozenset[str]] | Mapping[frozenset[str], float],
    left: SchoolTable,
    right: SchoolTable,
) -> tuple[IntArray, FloatArray]:
    """Sorted keys ``left_index * len(right) + right_index`` of the given id pairs, in both orders.

    With a mapping the values come back aligned with the keys; with a set they are all 1.
    """
    li = {s: n for n, s in enumerate(left.ids)}
    ri = {s: n for n, s in enumerate(right.ids)}
    keys: dict[int, float] = {}
    items = pairs.items() if isinstance(pairs, Mapping) else ((p, 1.0) for p in pairs)
    for pair, value in items:
        members = tuple(pair)
        if len(members) != 2:
            continue
        for x, y in (members, members[::-1]):
            if x in li and y in ri:
                keys[li[x] * len(right.ids) + ri[y]] = value
    order = np.array(sorted(keys), dtype=np.int64)
    return order, np.array([keys[k] for k in order.tolist()], dtype=np.float64)


def values_at(keys: IntArray, table_keys: IntArray, table_values: FloatArray) -> FloatArray:
    """Values of ``keys`` in a sorted key table; 0 where absent."""
    out = np.zeros(len(keys))
    if len(table_keys):
        pos = np.clip(np.searchsorted(table_keys, keys), 0, len(table_keys) - 1)
        hit = table_keys[pos] == keys
        out[hit] = table_values[pos[hit]]
    return out


class PairHistory:
    """The rules' forbidden pairs and earlier ties, looked up for pairs of table rows (``left[a]``,
    ``right[b]``) with one sorted-array search each, in either order of the ids."""

    def __init__(
        self,
        forbidden: Iterable[frozenset[str]],
        ties: Mapping[frozenset[str], float],
        left: SchoolTable,
        right: SchoolTable,
    ) -> None:
        self.width = len(right.ids)
        self._forbidden, _ = lookup_pairs(forbidden, left, right)
        self._tie_keys, self._tie_values = lookup_pairs(ties, left, right)

    def forbidden(self, a: IntArray, b: IntArray) -> BoolArray:
        return np.isin(pair_keys(a, b, self.width), self._forbidden)

    def ties(self, a: IntArray, b: IntArray) -> FloatArray:
        return values_at(pair_keys(a, b, self.width), self._tie_keys, self._tie_values)


def distances(left: SchoolTable, a: IntArray, right: SchoolTable, b: IntArray) -> FloatArray:
    return great_circle_km(left.latitude[a], left.longitude[a], right.latitude[b], right.longitude[b])


def candidate_pairs(
    left: SchoolTable, right: SchoolTable, search: Search, eligible: PairTest, score: PairScore
) -> tuple[Candidates, IntArray]:
    """Candidate pairs (provider = ``left`` row, receiver = ``right`` row) and the excluded receivers."""
    k = search.k
    lp, rr = search.providers, search.receivers
    lp_located = lp[left.located[lp]]
    rr_located = rr[right.located[rr]]
    common = {
        "pool_lat": left.latitude[lp_located],
        "pool_lon": left.longitude[lp_located],
        "k": k,
        "eligible": lambda p, r, d: eligible(lp_located[p], rr_located[r], d),
    }
    nearby = nearest_eligible(
        pool=np.arange(len(lp_located)),
        receivers=np.arange(len(rr_located)),
        receivers_lat=right.latitude[rr_located],
        receivers_lon=right.longitude[rr_located],
        radius_km=search.max_distance_km,
        **common,  # type: ignore[arg-type]
    )
    parts = [_reindex(nearby, lp_located, rr_located)]

    online_pool = lp_located[search.provider_online[lp_located]]
    online_receivers = rr_located[search.receiver_online[rr_located]]
    far = nearest_eligible(
        pool=np.arange(len(online_pool)),
        pool_lat=left.latitude[online_pool],
        pool_lon=left.longitude[online_pool],
        receivers=np.arange(len(online_receivers)),
        receivers_lat=right.latitude[online_receivers],
        receivers_lon=right.longitude[online_receivers],
        k=k,
        radius_km=None,
        beyond_km=search.max_distance_km,
        eligible=lambda p, r, d: eligible(online_pool[p], online_receivers[r], d),
    )
    parts.append(_reindex(far, online_pool, online_receivers))

    # Pairs in which one side cannot be placed: only online, ranked by score since distance is unknown.
    unplaced_pool = lp[~left.located[lp] & search.provider_online[lp]]
    all_online_pool = lp[search.provider_online[lp]]
    located = right.located
    for r in rr[search.receiver_online[rr]].tolist():
        pool = unplaced_pool if located[r] else all_online_pool
        if len(pool):
            parts.append(_best_by_score(left, right, pool, r, k, eligible, score))
    excluded = rr[~right.located[rr] & ~search.receiver_online[rr]]
    return Candidates.concat(parts), excluded


def _reindex(found: Candidates, pool: IntArray, receivers: IntArray) -> Candidates:
    return Candidates(
        receivers[found.receiver], pool[found.provider], found.distance_km, receivers[found.truncated]
    )


def _best_by_score(
    left: SchoolTable,
    right: SchoolTable,
    pool: IntArray,
    receiver: int,
    k: int,
    eligible: PairTest,
    score: PairScore,
) -> Candidates:
    recv = np.full(len(pool), receiver, dtype=np.int64)
    dist = distances(left, pool, right, recv)
    ok = eligible(pool, recv, dist)
    pool, recv, dist = pool[ok], recv[ok], dist[ok]
    if not len(pool):
        return Candidates.empty()
    units = score(pool, recv, dist)
    order = np.lexsort((pool, -units))[:k]
    truncated = np.array([receiver] if len(pool) > k else [], dtype=np.int64)
    return Candidates(recv[order], pool[order], dist[order], truncated)
