"""The whole map as one GeoJSON FeatureCollection that opens in QGIS (ODbL attribution kept)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import networkx as nx

from beacons.model import BeaconPlacement
from routing.graph import edge_records
from routing.model import PlaceRecord

ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0 (map data); Blind Pilot edits"


def _point(lat: float, lon: float, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": props}


def map_geojson(graph: nx.MultiGraph, places: list[PlaceRecord],
                beacons: Sequence[BeaconPlacement]) -> dict[str, Any]:
    """Nodes, edges (with every attribute), landmarks and beacons, each tagged by ``layer``."""
    nodes = graph.nodes
    features = [_point(d["lat"], d["lon"], {"layer": "node", "id": n, "level": d["level"]})
                for n, d in nodes(data=True)]
    for edge in edge_records(graph):
        a, b = nodes[edge.u], nodes[edge.v]
        features.append({
            "type": "Feature",
            "geometry": {"type": "LineString",
                         "coordinates": [[a["lon"], a["lat"]], [b["lon"], b["lat"]]]},
            "properties": {"layer": "edge", **edge._asdict()},
        })
    features += [_point(p.lat, p.lon, {"layer": "landmark", "id": p.id, "name": p.name,
                                       "kind": p.kind}) for p in places]
    features += [_point(b.lat, b.lon, {"layer": "beacon", "kind": b.beacon.kind.value,
                                       "ident": b.beacon.ident,
                                       "measured_power": b.measured_power_dbm})
                 for b in beacons]
    return {"type": "FeatureCollection", "attribution": ATTRIBUTION, "features": features}
