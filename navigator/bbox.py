"""The ``bbox`` query parameter shared by the map endpoints (export, console map layers).

One parser so every endpoint rejects the same bad boxes with the same message.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BBox:
    """A lon/lat box, west-south-east-north as in GeoJSON and the OSM API."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lat: float, lon: float) -> bool:
        """True when the point lies inside the box or on its edge."""
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


def parse_bbox(text: str) -> BBox:
    """Parse ``minlon,minlat,maxlon,maxlat``; ``ValueError`` says what is wrong, for a 422."""
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError("bbox must be four numbers: minlon,minlat,maxlon,maxlat")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise ValueError("bbox must be four numbers: minlon,minlat,maxlon,maxlat") from None
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise ValueError("bbox values must be finite numbers")
    if not (-180.0 <= min_lon <= 180.0 and -180.0 <= max_lon <= 180.0):
        raise ValueError("bbox longitudes must lie in [-180, 180]")
    if not (-90.0 <= min_lat <= 90.0 and -90.0 <= max_lat <= 90.0):
        raise ValueError("bbox latitudes must lie in [-90, 90]")
    if min_lon > max_lon or min_lat > max_lat:
        raise ValueError("bbox minimum must not exceed its maximum (minlon,minlat,maxlon,maxlat)")
    return BBox(min_lon, min_lat, max_lon, max_lat)
