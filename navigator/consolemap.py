"""The console's map layers: the route graph, landmarks and beacons inside a box, as GeoJSON.

Pure functions over the live map's data. A city of 100k nodes has 200k edges, so the edges'
bounding boxes are kept as numpy arrays (built once per map version) and a view is one vectorised
comparison, never a walk over every edge in Python.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from beacons.layout import BeaconLayout
from navigator.bbox import BBox
from routing.graph import edge_records
from routing.model import EdgeRecord, PlaceRecord
from routing.tags import ROAD_HIGHWAYS

#: At most this many edges (and as many nodes) per answer; past it the answer says
#: ``truncated`` and the console asks the user to zoom in.
MAX_FEATURES = 5000
#: The attributes a blind walker's route depends on; an edge with none of them is "unknown".
WALKER_ATTRIBUTES = ("surface", "tactile_paving", "width_m", "lit", "crossing",
                     "traffic_signals_sound", "kerb", "step_count", "smoothness")


@dataclass(frozen=True, slots=True)
class EdgeIndex:
    """Every edge's lon/lat box, in the order of ``edges``."""

    edges: tuple[EdgeRecord, ...]
    min_lon: np.ndarray
    min_lat: np.ndarray
    max_lon: np.ndarray
    max_lat: np.ndarray

    @classmethod
    def of(cls, graph: nx.MultiGraph) -> EdgeIndex:
        edges = tuple(edge_records(graph))
        nodes = graph.nodes
        ends = np.array([(nodes[e.u]["lon"], nodes[e.u]["lat"], nodes[e.v]["lon"],
                          nodes[e.v]["lat"]) for e in edges], dtype=np.float64).reshape(-1, 4)
        return cls(edges, np.minimum(ends[:, 0], ends[:, 2]), np.minimum(ends[:, 1], ends[:, 3]),
                   np.maximum(ends[:, 0], ends[:, 2]), np.maximum(ends[:, 1], ends[:, 3]))

    def extent(self) -> list[float] | None:
        """``[minlon, minlat, maxlon, maxlat]`` of every edge (None: no edges)."""
        if not self.edges:
            return None
        return [float(self.min_lon.min()), float(self.min_lat.min()),
                float(self.max_lon.max()), float(self.max_lat.max())]

    def within(self, box: BBox) -> np.ndarray:
        """Positions of the edges whose box meets ``box``."""
        hit = ((self.max_lon >= box.min_lon) & (self.min_lon <= box.max_lon)
               & (self.max_lat >= box.min_lat) & (self.min_lat <= box.max_lat))
        return np.flatnonzero(hit)


def edge_look(edge: EdgeRecord) -> str:
    """What a blind walker most needs to know about an edge, as one word the map colours by:
    steps, a crossing with sound or vibration, a signalled crossing without either, another
    crossing, tactile paving, a road (the basemap), nothing known, or a plain footway."""
    if edge.highway == "steps":
        return "steps"
    if edge.crossing is not None or edge.footway == "crossing":
        if edge.traffic_signals_sound or edge.traffic_signals_vibration:
            return "crossing_audible"
        if edge.crossing == "traffic_signals":
            return "crossing_signals"
        return "crossing"
    if edge.tactile_paving:
        return "tactile"
    if edge.highway in ROAD_HIGHWAYS:
        return "road"
    if all(getattr(edge, name) is None for name in WALKER_ATTRIBUTES):
        return "unknown"
    return "footway"


def _point(lat: float, lon: float, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": props}


def edge_features(graph: nx.MultiGraph, index: EdgeIndex, box: BBox, closed: Collection[int],
                  limit: int = MAX_FEATURES) -> tuple[list[dict[str, Any]], bool]:
    """The edges meeting ``box`` (mapped attributes only), and whether ``limit`` cut them off."""
    hits = index.within(box)
    nodes = graph.nodes
    out = []
    for i in hits[:limit]:
        edge = index.edges[i]
        a, b = nodes[edge.u], nodes[edge.v]
        props = {k: v for k, v in edge._asdict().items() if v is not None}
        props.update(layer="edge", look=edge_look(edge), closed=edge.id in closed)
        out.append({"type": "Feature", "id": f"edge/{edge.id}",
                    "geometry": {"type": "LineString",
                                 "coordinates": [[a["lon"], a["lat"]], [b["lon"], b["lat"]]]},
                    "properties": props})
    return out, len(hits) > limit


def node_features(graph: nx.MultiGraph, index: EdgeIndex, box: BBox,
                  limit: int = MAX_FEATURES) -> tuple[list[dict[str, Any]], bool]:
    """The nodes inside ``box`` (found through the edges that meet it: no node is alone)."""
    nodes = graph.nodes
    seen: set[int] = set()
    out = []
    for i in index.within(box):
        edge = index.edges[i]
        for n in (edge.u, edge.v):
            d = nodes[n]
            if n not in seen and box.contains(d["lat"], d["lon"]):
                seen.add(n)
                out.append(_point(d["lat"], d["lon"], {"layer": "node", "id": n,
                                                        "level": d["level"]}))
                if len(out) >= limit:
                    return out, True
    return out, False


def landmark_features(places: Sequence[PlaceRecord], box: BBox) -> list[dict[str, Any]]:
    """The landmarks inside ``box``."""
    return [_point(p.lat, p.lon, {"layer": "landmark", "id": p.id, "name": p.name,
                                  "kind": str(p.kind)})
            for p in places if box.contains(p.lat, p.lon)]


def beacon_features(layout: BeaconLayout, box: BBox, limit: int = MAX_FEATURES
                    ) -> tuple[list[dict[str, Any]], bool]:
    """The planned or stored beacons inside ``box`` (kind, identity, 1 m power)."""
    hit = np.flatnonzero((layout.lon >= box.min_lon) & (layout.lon <= box.max_lon)
                         & (layout.lat >= box.min_lat) & (layout.lat <= box.max_lat))
    out = []
    for i in hit[:limit]:
        b = layout[int(i)]
        out.append(_point(b.lat, b.lon, {"layer": "beacon", "kind": b.beacon.kind.value,
                                         "ident": b.beacon.ident,
                                         "measured_power": b.measured_power_dbm}))
    return out, len(hit) > limit
