"""Beacon layout: decision points covered, no gap above the spacing, deterministic ids."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from beacons.planning import (
    BLINDPILOT_UUID,
    decision_nodes,
    decision_points,
    path_length_km,
    plan_beacons,
    plan_decision_beacons,
    plan_layout,
)
from navigator.settings import DEFAULT_CITY_FILE
from routing.geo import LocalFrame
from routing.graph import build_graph
from routing.model import EdgeRecord, NodeRecord, PlaceKind, PlaceRecord
from routing.osm import read_osm

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


def _town():
    """A street 1-2-3-4 (junction at 2, with a 3 m jog 2-7 to a second junction 7), a crossing
    4-5, steps 3-6, a tactile guidance line 7-8-9 and a stop beside its far end."""
    points = {1: (0, 0), 2: (30, 0), 3: (60, 0), 4: (90, 0), 5: (90, 12), 6: (60, -20),
              7: (33, 0.5), 8: (33, 30), 9: (33, 60), 10: (0, 30)}
    edges = [(1, 2, {}), (2, 7, {}), (7, 3, {}), (3, 4, {}), (4, 5, {"footway": "crossing"}),
             (3, 6, {"highway": "steps"}), (7, 8, {"tactile_paving": True}),
             (8, 9, {"tactile_paving": True}), (2, 10, {})]
    stop = PlaceRecord(1, "Bus", PlaceKind.STOP, *FRAME.to_latlon(35, 61))
    shop = PlaceRecord(2, "Shop", PlaceKind.SHOP, *FRAME.to_latlon(1, 31))
    return _graph(points, edges), [stop, shop]


def test_decision_points_say_why_and_skip_dead_ends() -> None:
    graph, places = _town()
    kinds = {p.node: set(p.kinds) for p in decision_points(graph, places)}
    assert kinds == {
        2: {"junction"}, 3: {"junction", "steps"}, 4: {"crossing"}, 5: {"crossing"},
        6: {"steps"}, 7: {"junction", "tactile_end"}, 9: {"tactile_end", "stop"},
    }  # not the dead ends 1 and 10; not the shop; 8 is inside the tactile line


def test_decision_layout_serves_every_point_with_few_beacons() -> None:
    graph, places = _town()
    layout = plan_decision_beacons(graph, places, cover_m=5.0)
    tree = cKDTree(_xy(layout))
    for p in decision_points(graph, places):
        assert tree.query(FRAME.to_xy(p.lat, p.lon))[0] <= 5.0
    assert len(layout) == 6  # junctions 2 and 7 (3 m apart) share one
    assert layout == plan_layout(graph, "decision-points", places=places)
    assert plan_layout(graph, "dense") == plan_beacons(graph)


def test_shipped_city_decision_layout_covers_all_with_a_quarter_of_dense() -> None:
    extract = read_osm(DEFAULT_CITY_FILE)
    graph = build_graph(extract.nodes, extract.edges)
    sparse = plan_decision_beacons(graph, extract.places, cover_m=5.0)
    dense = plan_beacons(graph, spacing_m=10.0)
    points = decision_points(graph, extract.places)
    frame = LocalFrame(points[0].lat, points[0].lon)
    tree = cKDTree([frame.to_xy(p.lat, p.lon) for p in sparse])
    dist, _ = tree.query([frame.to_xy(p.lat, p.lon) for p in points])
    assert dist.max() <= 5.0 + 1e-6
    assert {"junction", "crossing", "steps", "stop"} <= {k for p in points for k in p.kinds}
    assert len(sparse) <= 0.25 * len(dense)
    km = path_length_km(graph)
    assert 30.0 < km < 40.0 and len(sparse) / km < 0.25 * len(dense) / km
