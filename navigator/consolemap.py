"""The console's map layers: the route graph, landmarks and beacons inside a box, as GeoJSON.

Pure functions over the live map's data; the edges in a box are found through the
:class:`~navigator.edgeindex.EdgeIndex`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import networkx as nx
import numpy as np

from beacons.layout import BeaconLayout
from navigator.bbox import BBox
from navigator.edgeindex import EdgeIndex
from routing.model import EdgeRecord, PlaceRecord
from routing.tags import ROAD_HIGHWAYS

#: At most this many edges (and as many nodes) per answer; past it the answer says
#: ``truncated`` and the console asks the user to zoom in.
MAX_FEATURES = 5000
#: The attributes a blind walker's route depends on; an edge with none of them is "unknown".
WALKER_ATTRIBUTES = ("surface", "tactile_paving", "width_m", "lit", "crossing",
                     "traffic_signals_sound", "kerb", "step_count", "smoothness")


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


def edge_features(index: EdgeIndex, hits: np.ndarray, closed: Collection[int],
                  limit: int = MAX_FEATURES) -> tuple[list[dict[str, Any]], bool]:
    """The edges at positions ``hits`` (:meth:`EdgeIndex.within` a box), and whether ``limit``
    cut them off.

    Only what drawing and listing need (a view holds ~1000 edges; every attribute of each made
    the answer three times slower): a client reads one edge's attributes when it opens it."""
    shown = hits[:limit]
    out = []
    for i, a, b in zip(shown.tolist(), index.a[shown].tolist(), index.b[shown].tolist(),
                       strict=True):
        edge = index.edges[i]
        props = {"layer": "edge", "id": edge.id, "look": edge_look(edge),
                 "closed": edge.id in closed, "highway": edge.highway}
        if edge.name is not None:
            props["name"] = edge.name
        out.append({"type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": [a, b]},
                    "properties": props})
    return out, len(hits) > limit


def node_features(graph: nx.MultiGraph, index: EdgeIndex, hits: np.ndarray, box: BBox,
                  limit: int = MAX_FEATURES) -> tuple[list[dict[str, Any]], bool]:
    """The nodes inside ``box``, found through the edges meeting it (``hits``): no node is
    alone."""
    ids = np.concatenate([index.u[hits], index.v[hits]])
    where = np.concatenate([index.a[hits], index.b[hits]])
    ids, first = np.unique(ids, return_index=True)
    where = where[first]
    inside = ((where[:, 0] >= box.min_lon) & (where[:, 0] <= box.max_lon)
              & (where[:, 1] >= box.min_lat) & (where[:, 1] <= box.max_lat))
    ids, where = ids[inside], where[inside]
    nodes = graph.nodes
    out = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": lon_lat},
            "properties": {"layer": "node", "id": n, "level": nodes[n]["level"]}}
           for n, lon_lat in zip(ids[:limit].tolist(), where[:limit].tolist(), strict=True)]
    return out, len(ids) > limit


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
