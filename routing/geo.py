"""Small spherical-earth helpers in metres and degrees (pure, fast enough for per-scan use)."""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np

#: Scalars or numpy arrays alike: the projection is plain arithmetic.
Coord = TypeVar("Coord", float, np.ndarray)

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial compass bearing from point 1 to point 2 (0 = north, clockwise, 0..360)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(x, y)) % 360.0


def turn_angle_deg(bearing_in: float, bearing_out: float) -> float:
    """Signed change of heading in (-180, 180]: positive is a right turn, negative a left turn."""
    d = (bearing_out - bearing_in + 180.0) % 360.0 - 180.0
    return 180.0 if d == -180.0 else d


class LocalFrame:
    """Equirectangular projection around an origin: metres east/north, ~0.1 % exact in a city."""

    __slots__ = ("lat0", "lon0", "_kx", "_ky")

    def __init__(self, lat0: float, lon0: float) -> None:
        self.lat0, self.lon0 = lat0, lon0
        self._ky = math.pi * EARTH_RADIUS_M / 180.0
        self._kx = self._ky * math.cos(math.radians(lat0))

    def to_xy(self, lat: Coord, lon: Coord) -> tuple[Coord, Coord]:
        """(east_m, north_m) of a WGS84 point."""
        return (lon - self.lon0) * self._kx, (lat - self.lat0) * self._ky

    def to_latlon(self, x: Coord, y: Coord) -> tuple[Coord, Coord]:
        """WGS84 (lat, lon) of a local point."""
        return self.lat0 + y / self._ky, self.lon0 + x / self._kx


def project_to_segment(
    px: float, py: float, ax: float, ay: float, bx: float, by: float
) -> tuple[float, float]:
    """Fraction t in [0, 1] along a->b of the point closest to p, and its distance (metres)."""
    dx, dy = bx - ax, by - ay
    denom = dx * dx + dy * dy
    t = 0.0 if denom == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / denom))
    cx, cy = ax + t * dx, ay + t * dy
    return t, math.hypot(px - cx, py - cy)
