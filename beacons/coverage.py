"""Layout checks for mappers: beacons nowhere near a walkable edge, decision points without one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from beacons.layout import BeaconLayout
from beacons.model import BeaconPlacement
from beacons.planning import decision_nodes
from beacons.positioning import PositioningMap


def beacons_far_from_edges(
    pmap: PositioningMap, beacons: Sequence[BeaconPlacement], max_distance_m: float = 10.0
) -> list[dict[str, Any]]:
    """Beacons farther than ``max_distance_m`` from every edge (misplaced, or the map is missing
    a path): they can only mislead the positioner."""
    layout = BeaconLayout.of(beacons)
    if not len(layout):
        return []
    xy = np.column_stack(pmap.frame.to_xy(layout.lat, layout.lon))
    _, _, dist = pmap.nearest_on_edges(xy, settled_within_m=max_distance_m)
    far = np.flatnonzero(dist > max_distance_m).tolist()
    return [
        {**_where(layout[i]), "distance_m": round(float(dist[i]), 1)} for i in far
    ]


def _where(b: BeaconPlacement) -> dict[str, Any]:
    return {"beacon": b.beacon.to_json(), "lat": b.lat, "lon": b.lon}


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
