"""Beacon layout: decision points covered, no gap above the spacing, deterministic ids."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from beacons.planning import BLINDPILOT_UUID, decision_nodes, plan_beacons
from routing.geo import LocalFrame
from routing.graph import build_graph
from routing.model import EdgeRecord, NodeRecord

FRAME = LocalFrame(52.48, 13.43)


def _graph(points: dict[int, tuple[float, float]], edges: list[tuple[int, int, dict]]):
    nodes = [NodeRecord(i, *FRAME.to_latlon(x, y)) for i, (x, y) in points.items()]
    records = [
        EdgeRecord(k + 1, u, v, float(np.hypot(*np.subtract(points[u], points[v]))), **attrs)
        for k, (u, v, attrs) in enumerate(edges)
    ]
    return build_graph(nodes, records)


def _tee():
    """A 45 m street with a junction at 30 m, a 25 m side street and a crossing at its end."""
    points = {1: (0, 0), 2: (15, 0), 3: (30, 0), 4: (45, 0), 5: (30, 25), 6: (30, 33)}
    edges = [(1, 2, {}), (2, 3, {}), (3, 4, {}), (3, 5, {}), (5, 6, {"footway": "crossing"})]
    return _graph(points, edges)


def _xy(placements):
    return np.array([FRAME.to_xy(p.lat, p.lon) for p in placements])


def test_decision_points_are_junctions_ends_and_crossings() -> None:
    assert decision_nodes(_tee()) == {1, 3, 4, 5, 6}


def test_every_decision_point_gets_a_beacon_and_no_gap_exceeds_spacing() -> None:
    graph = _tee()
    placements = plan_beacons(graph, spacing_m=10.0)
    xy = _xy(placements)
    tree = cKDTree(xy)
    for n in decision_nodes(graph):
        assert tree.query(FRAME.to_xy(graph.nodes[n]["lat"], graph.nodes[n]["lon"]))[0] < 1e-6
    on_street = np.sort(xy[np.abs(xy[:, 1]) < 1e-6][:, 0])
    assert on_street[0] < 1e-6 and on_street[-1] > 45 - 1e-6
    assert np.diff(on_street).max() <= 10.0 + 1e-6
    side = np.sort(xy[np.abs(xy[:, 0] - 30) < 1e-6][:, 1])
    assert np.diff(side).max() <= 10.0 + 1e-6


def test_deterministic_unique_ids() -> None:
    a, b = plan_beacons(_tee()), plan_beacons(_tee())
    assert a == b
    ids = [p.beacon for p in a]
    assert len(set(ids)) == len(ids)
    assert ids[0].ident == f"{BLINDPILOT_UUID}:1:1"
    assert all(p.measured_power_dbm == -59.0 for p in a)


def test_a_loop_without_junctions_is_covered() -> None:
    points = {1: (0, 0), 2: (20, 0), 3: (20, 20), 4: (0, 20)}
    graph = _graph(points, [(1, 2, {}), (2, 3, {}), (3, 4, {}), (4, 1, {})])
    assert len(plan_beacons(graph, spacing_m=10.0)) == 8


def test_real_extract_every_walkable_point_near_a_beacon(city_graph, city_beacons) -> None:
    frame = LocalFrame(52.48, 13.43)
    tree = cKDTree([frame.to_xy(p.lat, p.lon) for p in city_beacons])
    worst = 0.0
    for u, v in city_graph.edges():
        a = np.array(frame.to_xy(city_graph.nodes[u]["lat"], city_graph.nodes[u]["lon"]))
        b = np.array(frame.to_xy(city_graph.nodes[v]["lat"], city_graph.nodes[v]["lon"]))
        pts = a + np.linspace(0, 1, 11)[:, None] * (b - a)
        worst = max(worst, float(tree.query(pts)[0].max()))
    assert worst <= 10.0 / 2 + 2.0  # half a gap, plus the merge radius of close decision points
