"""Propose a beacon layout: one at every decision point, then enough along the way that no gap
exceeds ``spacing_m`` (NavCog deploys 8-12 m apart). Deterministic: same graph, same layout."""

from __future__ import annotations

import math
from collections.abc import Iterator

import networkx as nx

from beacons.model import BeaconId, BeaconPlacement
from routing.geo import LocalFrame, haversine_m
from routing.graph import edge_by_id, edge_records
from routing.model import EdgeRecord

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
