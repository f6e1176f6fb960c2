"""How big a map import may be: refused before anything is stored, never half-loaded.

A map is committed to storage and then loaded at every start of every process, so a map the
loader cannot hold would take the service down for good. These limits keep an import to a city:
they bound the memory and time of parsing it and of every later start-up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from routing.geo import haversine_m
from routing.model import EdgeRecord, NodeRecord

#: The OSM API (0.6) refuses ways of more nodes; a longer one is not real OSM data.
MAX_WAY_NODES = 2000


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """The most one import may hold (each is a ``BLINDPILOT_IMPORT_*`` setting)."""

    #: Bytes of OSM data once decompressed (a 5 MB gzip can hold 5 GB of whitespace).
    max_decompressed_bytes: int = 1024 * 1024 * 1024
    #: Walkable nodes (graph nodes) and walkable ways.
    max_nodes: int = 250_000
    max_ways: int = 100_000
    #: One straight segment between two nodes of a way.
    max_segment_m: float = 2_000.0
    #: The larger side of the map's bounding box: the local flat frame that snapping and
    #: positioning use is made for a city, not a country.
    max_extent_km: float = 100.0


DEFAULT_LIMITS = ImportLimits()


class LimitExceeded(Exception):
    """An import over one of the :class:`ImportLimits`; ``limit`` names the field."""

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit


def check_shape(nodes: Sequence[NodeRecord], edges: Sequence[EdgeRecord],
                limits: ImportLimits, source: str) -> None:
    """Refuse a parsed map whose segments are too long or whose extent is too wide."""
    longest = max(edges, key=lambda e: e.length_m, default=None)
    if longest is not None and longest.length_m > limits.max_segment_m:
        way = f" of way {longest.osm_way_id}" if longest.osm_way_id is not None else ""
        raise LimitExceeded(
            "max_segment_m",
            f"{source}: a segment{way} is {longest.length_m / 1000:.1f} km long; at most "
            f"{limits.max_segment_m:g} m is allowed between two nodes")
    if not nodes:
        return
    lats = [n.lat for n in nodes]
    lons = [n.lon for n in nodes]
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    mid = (south + north) / 2
    height_km = haversine_m(south, west, north, west) / 1000
    width_km = haversine_m(mid, west, mid, east) / 1000 if east - west < 180 else math.inf
    if max(height_km, width_km) > limits.max_extent_km:
        raise LimitExceeded(
            "max_extent_km",
            f"{source}: the map spans {width_km:.0f} x {height_km:.0f} km; at most "
            f"{limits.max_extent_km:g} km on a side is allowed")
