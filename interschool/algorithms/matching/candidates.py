"""Candidate pairs from a spatial index: for each receiver, the k nearest eligible providers.

Eligible pairs are many (every leader within 30 km of every supported school, every online leader for
every online school); an assignment needs only the best few per school. The search walks outwards from
each receiver through a k-d tree of the providers, keeps the first ``k`` providers that pass the
eligibility test, and records the receivers for which an eligible provider was **cut off** by ``k``,
so a result can say where a larger ``k`` might have changed it.

Complexity: O((P + R·K) log P) for P providers and R receivers, where K starts at 2k + 2 and grows
only for receivers whose nearest providers are mostly ineligible.

Examples
--------
>>> lat, lon = np.array([52.0, 52.0, 52.0]), np.array([0.0, 0.01, 0.5])
>>> found = nearest_eligible(
...     pool=np.array([1, 2]), pool_lat=lat[1:], pool_lon=lon[1:],
...     receivers=np.array([0]), receivers_lat=lat[:1], receivers_lon=lon[:1],
...     k=1, radius_km=50.0, eligible=lambda p, r, d: np.ones(len(p), dtype=bool),
... )
>>> found.provider.tolist(), found.truncated.tolist()
([1], [0])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pykdtree.kdtree import KDTree

from .geo import chord_of_km, great_circle_km, unit_vectors

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# eligible(provider indexes, receiver indexes, distances in km) -> mask of the pairs that may be formed
EligibleMask = Callable[[IntArray, IntArray, FloatArray], BoolArray]


@dataclass(frozen=True, eq=False)
class Candidates:
    """Candidate pairs (parallel arrays) and the receivers for which ``k`` cut off an eligible pair."""

    receiver: IntArray
    provider: IntArray
    distance_km: FloatArray
    truncated: IntArray

    @classmethod
    def empty(cls) -> Candidates:
        none = np.empty(0, dtype=np.int64)
        return cls(none, none.copy(), np.empty(0, dtype=np.float64), none.copy())

    @classmethod
    def concat(cls, parts: list[Candidates]) -> Candidates:
        parts = [p for p in parts if len(p.receiver) or len(p.truncated)] or [cls.empty()]
        return cls(
            np.concatenate([p.receiver for p in parts]),
            np.concatenate([p.provider for p in parts]),
            np.concatenate([p.distance_km for p in parts]),
            np.unique(np.concatenate([p.truncated for p in parts])),
        )


def nearest_eligible(
    *,
    pool: IntArray,
    pool_lat: FloatArray,
    pool_lon: FloatArray,
    receivers: IntArray,
    receivers_lat: FloatArray,
    receivers_lon: FloatArray,
    k: int,
    radius_km: float | None,
    eligible: EligibleMask,
    beyond_km: float | None = None,
) -> Candidates:
    """The first ``k`` eligible providers of ``pool`` nearest to each receiver, within ``radius_km``.

    Every point must have coordinates. ``radius_km=None`` searches without a limit; ``beyond_km`` skips
    providers at that distance or closer (they belong to another search). Distances are great-circle
    km. The returned indexes are those of ``pool`` and ``receivers``.
    """
    if len(pool) == 0 or len(receivers) == 0 or k <= 0:
        return Candidates.empty()
    tree = KDTree(np.ascontiguousarray(unit_vectors(pool_lat, pool_lon), dtype=np.float64))
    query_xyz = unit_vectors(receivers_lat, receivers_lon)
    bound = np.inf if radius_km is None else chord_of_km(radius_km) * (1 + 1e-9) + 1e-12
    size = len(pool)
    todo = np.arange(len(receivers))
    width = min(size, 2 * k + 2)
    found_r: list[IntArray] = []
    found_p: list[IntArray] = []
    found_d: list[FloatArray] = []
    truncated: list[IntArray] = []
    while len(todo):
        _, found = tree.query(np.ascontiguousarray(query_xyz[todo]), k=width, distance_upper_bound=bound)
        idx = found.astype(np.int64).reshape(len(todo), width)
        present = idx < size
        rows, cols = np.nonzero(present)
        prov = pool[idx[rows, cols]]
        recv = receivers[todo[rows]]
        dist = great_circle_km(
            receivers_lat[todo[rows]],
            receivers_lon[todo[rows]],
            pool_lat[idx[rows, cols]],
            pool_lon[idx[rows, cols]],
        )
        ok = eligible(prov, recv, dist)
        if radius_km is not None:
            ok &= dist <= radius_km
        if beyond_km is not None:
            ok &= dist > beyond_km
        mask = np.zeros(idx.shape, dtype=bool)
        mask[rows[ok], cols[ok]] = True
        counts = mask.sum(axis=1)
        # A full row may hide more eligible providers further out; look again, wider, for those rows only.
        more = (counts <= k) & present[:, -1] & (width < size)
        settled = ~more
        keep = mask & (np.cumsum(mask, axis=1) <= k) & settled[:, None]
        kr, kc = np.nonzero(keep)
        found_r.append(receivers[todo[kr]])
        found_p.append(pool[idx[kr, kc]])
        found_d.append(
            great_circle_km(
                receivers_lat[todo[kr]], receivers_lon[todo[kr]], pool_lat[idx[kr, kc]], pool_lon[idx[kr, kc]]
            )
        )
        truncated.append(receivers[todo[settled & (counts > k)]])
        todo = todo[more]
        width = min(size, width * 4)
    return Candidates(
        np.concatenate(found_r).astype(np.int64),
        np.concatenate(found_p).astype(np.int64),
        np.concatenate(found_d),
        np.unique(np.concatenate(truncated)).astype(np.int64),
    )
