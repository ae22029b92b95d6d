"""Great-circle distances and a spatial index of points on the sphere, for candidate search.

Points are indexed as unit vectors in 3-D, so the straight-line (chord) distance between two of them is
a monotone function of the great-circle distance and a k-d tree finds the true nearest neighbours
anywhere on Earth, across the date line and near the poles alike.

Examples
--------
>>> round(float(great_circle_km(np.array([51.5]), np.array([-0.13]), np.array([48.86]), np.array([2.35]))[0]))
343
>>> round(chord_of_km(6371.0088 * np.pi / 3), 6)  # 60° of arc: the chord equals the radius
1.0
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)

FloatArray = NDArray[np.float64]


def unit_vectors(latitude: FloatArray, longitude: FloatArray) -> FloatArray:
    """An (n, 3) array of unit vectors for points given in degrees."""
    lat, lon = np.radians(latitude), np.radians(longitude)
    cos_lat = np.cos(lat)
    return np.column_stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)])


def chord_of_km(km: float) -> float:
    """Chord length on the unit sphere for a great-circle distance in km (capped at half the globe)."""
    angle = min(km / EARTH_RADIUS_KM, np.pi)
    return float(2 * np.sin(angle / 2))


def great_circle_km(lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray) -> FloatArray:
    """Great-circle (haversine) distance in km between paired points; NaN where a point is unknown."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2) - np.radians(lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1))), dtype=np.float64)
