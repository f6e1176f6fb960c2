"""Propose a beacon layout, in one of two modes. Deterministic: same map, same layout.

- ``dense``: one at every decision node, then enough along the way that no gap exceeds
  ``spacing_m`` (NavCog deploys 8-12 m apart): what positioning by beacons alone needs.
- ``decision-points``: only where the walker must be told something on time (crossings,
  junctions where the route can branch, entrances, stops, steps and ramps, the ends of tactile
  guidance lines), one beacon serving every such point within ``cover_m``: what a city can afford
  when the phone's GNSS carries the walker between them.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from beacons.model import BeaconId, BeaconPlacement
from routing.geo import LocalFrame, haversine_m
from routing.graph import edge_by_id, edge_records
from routing.model import EdgeRecord, PlaceKind, PlaceRecord
from routing.tags import is_road

BLINDPILOT_UUID = "b11d9110-7000-4b1a-9c5e-000000000001"
MAX_MINOR = 65535


def is_decision_edge(edge: EdgeRecord) -> bool:
    """Crossings and steps change what the walker must do, so both of their ends are decisions."""
    return edge.highway == "steps" or edge.footway == "crossing" or edge.crossing is not None


def decision_nodes(graph: nx.MultiGraph) -> set[int]:
    """Nodes where a walker chooses or changes something: not exactly two ways out, or the end of
    a crossing or steps."""
    nodes = {n for n, deg in graph.degree() if deg != 2}
    for edge in edge_records(graph):
        if is_decision_edge(edge):
            nodes.update((edge.u, edge.v))
    return nodes


def _other_end(edge: EdgeRecord, node: int) -> int:
    return edge.v if edge.u == node else edge.u


def _next_edge(graph: nx.MultiGraph, node: int, skip: set[int]) -> EdgeRecord | None:
    keys = [k for _, _, k in graph.edges(node, keys=True) if k not in skip]
    return edge_by_id(graph, min(keys)) if keys else None


def _chains(graph: nx.MultiGraph, stops: set[int]) -> Iterator[list[int]]:
    """Maximal runs between stop nodes as node lists, in edge-id order. A loop without any stop
    gets one (so ``stops`` grows)."""
    seen: set[int] = set()
    for start in sorted(edge_records(graph), key=lambda e: e.id):
        if start.id in seen:
            continue
        node, passed = start.u, set()
        while node not in stops and node not in passed:  # back up to where the run starts
            passed.add(node)
            back = _next_edge(graph, node, {start.id})
            if back is None:
                break
            start, node = back, _other_end(back, node)
        stops.add(node)
        chain = [node]
        edge: EdgeRecord | None = start
        while edge is not None:
            seen.add(edge.id)
            node = _other_end(edge, node)
            chain.append(node)
            edge = None if node in stops else _next_edge(graph, node, seen)
        yield chain


def _points_along(
    graph: nx.MultiGraph, chain: list[int], spacing_m: float
) -> Iterator[tuple[float, float, float | None]]:
    """Evenly spaced interior points of a chain, as few as keep every gap <= spacing_m."""
    pts = [(graph.nodes[n]["lat"], graph.nodes[n]["lon"], graph.nodes[n]["level"]) for n in chain]
    seg = [haversine_m(a[0], a[1], b[0], b[1]) for a, b in zip(pts, pts[1:], strict=False)]
    total = sum(seg)
    count = max(0, math.ceil(total / spacing_m - 1e-9) - 1)
    i, start = 0, 0.0
    for k in range(1, count + 1):
        along = total * k / (count + 1)
        while i < len(seg) - 1 and start + seg[i] < along:
            start += seg[i]
            i += 1
        f = 0.0 if seg[i] == 0 else (along - start) / seg[i]
        (a_lat, a_lon, level), (b_lat, b_lon, _) = pts[i], pts[i + 1]
        yield a_lat + f * (b_lat - a_lat), a_lon + f * (b_lon - a_lon), level


def plan_beacons(
    graph: nx.MultiGraph,
    spacing_m: float = 10.0,
    measured_power_dbm: float = -59.0,
    uuid: str = BLINDPILOT_UUID,
    min_gap_m: float = 2.0,
) -> list[BeaconPlacement]:
    """Beacons at decision points and along every run between them.

    Decision points closer than ``min_gap_m`` to an already placed beacon (the two kerbs of a
    short crossing, say) share it. Ids are ``uuid`` with major/minor counting up from 1/1.
    """
    if spacing_m <= 0:
        raise ValueError("spacing_m must be positive")
    if not graph.number_of_nodes():
        return []
    stops = decision_nodes(graph)
    chains = list(_chains(graph, stops))  # may promote a loop node to a stop
    n0 = next(iter(graph.nodes))
    frame = LocalFrame(graph.nodes[n0]["lat"], graph.nodes[n0]["lon"])
    spots: list[tuple[float, float, float | None]] = []
    placed_xy: dict[tuple[int, int], list[tuple[float, float]]] = {}

    def place(lat: float, lon: float, level: float | None, check_gap: bool) -> None:
        x, y = frame.to_xy(lat, lon)
        cell = (int(x // min_gap_m), int(y // min_gap_m)) if min_gap_m > 0 else (0, 0)
        if check_gap and min_gap_m > 0:
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    for px, py in placed_xy.get((cell[0] + dx, cell[1] + dy), ()):
                        if math.hypot(px - x, py - y) < min_gap_m:
                            return
        placed_xy.setdefault(cell, []).append((x, y))
        spots.append((lat, lon, level))

    for n in sorted(stops):
        data = graph.nodes[n]
        place(data["lat"], data["lon"], data["level"], check_gap=True)
    for chain in chains:
        for lat, lon, level in _points_along(graph, chain, spacing_m):
            place(lat, lon, level, check_gap=False)
    return _placements(spots, uuid, measured_power_dbm)


def _placements(spots: Sequence[tuple[float, float, float | None]], uuid: str,
                measured_power_dbm: float) -> list[BeaconPlacement]:
    """Beacons at ``spots``, ids ``uuid`` with major/minor counting up from 1/1."""
    return [
        BeaconPlacement(
            BeaconId.ibeacon(uuid, 1 + i // MAX_MINOR, 1 + i % MAX_MINOR),
            lat,
            lon,
            level,
            measured_power_dbm,
        )
        for i, (lat, lon, level) in enumerate(spots)
    ]


# --- decision points only -----------------------------------------------------------------------

#: How far a stop or entrance may lie from the walkable graph and still be reached through it.
PLACE_REACH_M = 20.0


@dataclass(frozen=True, slots=True)
class DecisionPoint:
    """A node where a walker must be told something on time, and why (one or more of
    ``junction``, ``crossing``, ``steps``, ``ramp``, ``tactile_end``, ``stop``, ``entrance``)."""

    node: int
    lat: float
    lon: float
    level: float | None
    kinds: frozenset[str]


def _is_ramp(edge: EdgeRecord) -> bool:
    """A footpath with a mapped incline (our edges keep no ``ramp`` tag: the incline stands in)."""
    return edge.incline is not None and edge.highway != "steps" and not is_road(edge)


def decision_points(graph: nx.MultiGraph, places: Sequence[PlaceRecord] = ()
                    ) -> list[DecisionPoint]:
    """Every decision point of the map, by node id. Unlike :func:`decision_nodes` a dead end is
    not one (nothing to decide there); stops and entrances count at the node nearest them, if
    within :data:`PLACE_REACH_M`; a tactile guidance line ends where one tactile edge (not a
    crossing's) meets none."""
    kinds: dict[int, set[str]] = {}
    for n, deg in graph.degree():
        if deg >= 3:
            kinds.setdefault(n, set()).add("junction")
    tactile: dict[int, int] = {}
    for e in edge_records(graph):
        kind = ("steps" if e.highway == "steps" else "crossing" if is_decision_edge(e)
                else "ramp" if _is_ramp(e) else None)
        if kind is not None:
            for n in (e.u, e.v):
                kinds.setdefault(n, set()).add(kind)
        if e.tactile_paving and not is_decision_edge(e):
            for n in (e.u, e.v):
                tactile[n] = tactile.get(n, 0) + 1
    for n, count in tactile.items():
        if count == 1:
            kinds.setdefault(n, set()).add("tactile_end")
    wanted = [p for p in places if p.kind in (PlaceKind.STOP, PlaceKind.ENTRANCE)]
    if wanted and graph.number_of_nodes():
        nodes = list(graph.nodes)
        frame = LocalFrame(wanted[0].lat, wanted[0].lon)
        tree = cKDTree(np.column_stack(frame.to_xy(
            np.array([graph.nodes[n]["lat"] for n in nodes]),
            np.array([graph.nodes[n]["lon"] for n in nodes]))))
        dist, row = tree.query(np.column_stack(frame.to_xy(
            np.array([p.lat for p in wanted]), np.array([p.lon for p in wanted]))))
        for p, d, i in zip(wanted, dist.tolist(), row.tolist(), strict=True):
            if d <= PLACE_REACH_M:
                kinds.setdefault(nodes[i], set()).add(str(p.kind))
    return [DecisionPoint(n, graph.nodes[n]["lat"], graph.nodes[n]["lon"], graph.nodes[n]["level"],
                          frozenset(k)) for n, k in sorted(kinds.items())]


def plan_decision_beacons(
    graph: nx.MultiGraph,
    places: Sequence[PlaceRecord] = (),
    cover_m: float = 5.0,
    measured_power_dbm: float = -59.0,
    uuid: str = BLINDPILOT_UUID,
) -> list[BeaconPlacement]:
    """A beacon within ``cover_m`` of every decision point, as few as a greedy cover finds: each
    beacon goes on the decision point that serves most of those still unserved (ties: lowest
    node id)."""
    if cover_m <= 0:
        raise ValueError("cover_m must be positive")
    points = decision_points(graph, places)
    if not points:
        return []
    frame = LocalFrame(points[0].lat, points[0].lon)
    xy = np.column_stack(frame.to_xy(np.array([p.lat for p in points]),
                                     np.array([p.lon for p in points])))
    serves = [set(found) for found in cKDTree(xy).query_ball_point(xy, cover_m)]
    unserved = set(range(len(points)))
    heap = [(-len(s), i) for i, s in enumerate(serves)]
    heapq.heapify(heap)
    chosen = []
    while unserved:  # lazy greedy: a stale gain is recounted before it may win
        _, i = heapq.heappop(heap)
        gain = len(serves[i] & unserved)
        if heap and gain < -heap[0][0]:
            heapq.heappush(heap, (-gain, i))
            continue
        chosen.append(i)
        unserved -= serves[i]
    spots = [(points[i].lat, points[i].lon, points[i].level) for i in sorted(chosen)]
    return _placements(spots, uuid, measured_power_dbm)


def path_length_km(graph: nx.MultiGraph) -> float:
    """Walkable path in the map, kilometres (for beacons per km of path)."""
    return sum(e.length_m for e in edge_records(graph)) / 1000.0


LAYOUT_MODES = ("dense", "decision-points")


def plan_layout(graph: nx.MultiGraph, mode: str = "dense", spacing_m: float = 10.0,
                places: Sequence[PlaceRecord] = (), measured_power_dbm: float = -59.0
                ) -> list[BeaconPlacement]:
    """The layout of ``mode`` (one of :data:`LAYOUT_MODES`); the CLI and the API share this."""
    if mode == "dense":
        return plan_beacons(graph, spacing_m, measured_power_dbm)
    if mode == "decision-points":
        return plan_decision_beacons(graph, places, measured_power_dbm=measured_power_dbm)
    raise ValueError(f"unknown layout mode {mode!r}; one of {', '.join(LAYOUT_MODES)}")
