"""Layout checks for mappers: beacons nowhere near a walkable edge, decision points without one."""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from beacons.planning import decision_nodes
from beacons.positioning import PositioningMap


def beacons_far_from_edges(
    pmap: PositioningMap, max_distance_m: float = 10.0
) -> list[dict[str, Any]]:
    """Beacons of the map's layout farther than ``max_distance_m`` from every edge (misplaced,
    or the map is missing a path): they can only mislead the positioner."""
    if not len(pmap.layout):
        return []
    _, _, dist = pmap.nearest_on_edges(pmap.beacon_xy, settled_within_m=max_distance_m)
    far = [(pmap.layout[i], float(dist[i])) for i in np.flatnonzero(dist > max_distance_m).tolist()]
    return [
        {"beacon": b.beacon.to_json(), "lat": b.lat, "lon": b.lon, "distance_m": round(d, 1)}
        for b, d in far
    ]


def uncovered_decision_points(
    graph: nx.MultiGraph, pmap: PositioningMap, max_distance_m: float = 5.0
) -> list[dict[str, Any]]:
    """Decision points (see :func:`beacons.planning.decision_nodes`) with no beacon within
    ``max_distance_m``: where a turn or crossing would be announced from guesswork."""
    nodes = sorted(decision_nodes(graph))
    if not nodes:
        return []
    xy = np.array([pmap.frame.to_xy(graph.nodes[n]["lat"], graph.nodes[n]["lon"]) for n in nodes])
    if len(pmap.beacon_xy):
        dist, _ = cKDTree(pmap.beacon_xy).query(xy)
    else:
        dist = np.full(len(nodes), np.inf)
    return [
        {
            "node": n,
            "lat": graph.nodes[n]["lat"],
            "lon": graph.nodes[n]["lon"],
            "nearest_beacon_m": None if np.isinf(d) else round(float(d), 1),
        }
        for n, d in zip(nodes, dist, strict=True)
        if d > max_distance_m
    ]
