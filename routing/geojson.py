"""Route geometry as GeoJSON (RFC 7946: [lon, lat] order)."""

from __future__ import annotations

from typing import Any

from routing.model import Route


def route_geometry(route: Route) -> dict[str, Any]:
    """The route's polyline as a GeoJSON LineString."""
    return {
        "type": "LineString",
        "coordinates": [[lon, lat] for lat, lon in route.coordinates],
    }
