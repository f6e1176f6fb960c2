"""Decision-point costs: the numbers each profile pays, and the reference search that uses them."""

from __future__ import annotations

import math
import random

import networkx as nx
import pytest

from routing.compiled import SHORTEST
from routing.decisions import (
    crossing_cost_m,
    simplest_path_nx,
    transition_cost_m,
    turn_cost_m,
    turn_expanded,
)
from routing.graph import build_graph, drop_edge, edge_by_id, edge_records, put_edge
from routing.model import EdgeRecord, NodeRecord
from routing.paths import NoAccessibleRoute, Router
from routing.profiles import PROFILES, edge_cost
from tests.routing.conftest import latlon, tiny_graph

CANE = PROFILES["blind_cane"].decisions
WALK = {"highway": "footway", "footway": "sidewalk", "surface": "paving_stones"}


def _edge(i: int, **attrs: object) -> EdgeRecord:
    return EdgeRecord(i, 1, 2, 10.0, **attrs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("angle", "cost"), [(0, 0.0), (25, 0.0), (-57.5, 60.0), (90, 120.0),
                                             (-90, 120.0), (155, 240.0)])
def test_blind_cane_turn_cost_grows_with_the_angle(angle, cost):
    assert turn_cost_m(angle, CANE) == pytest.approx(cost)


def test_crossings_cost_by_type_sound_signal_cheapest():
    kinds = [
        {"crossing": "traffic_signals", "traffic_signals_sound": True},
        {"crossing": "traffic_signals"},
        {"crossing": "zebra"},
        {"crossing": "unmarked"},
    ]
    costs = [crossing_cost_m(_edge(1, footway="crossing", **k), CANE) for k in kinds]
    assert costs == [10.0, 30.0, 100.0, 160.0]
    for name, p in PROFILES.items():
        d = p.decisions
        assert d.crossing_sound_m <= d.crossing_signal_m <= d.crossing_marked_m, name
        assert d.crossing_marked_m <= d.crossing_unmarked_m and d.turn_90_m > 0, name


def test_transition_costs_street_change_tactile_and_u_turn():
    main, side = _edge(1, name="Hauptstraße"), _edge(2, name="Nebenweg")
    assert transition_cost_m(main, _edge(3, name="Hauptstraße"), 0.0, CANE) == 0.0
    assert transition_cost_m(main, side, 0.0, CANE) == CANE.street_change_m
    assert transition_cost_m(main, side, 90.0, CANE) == CANE.street_change_m + 120.0
    guide = _edge(4, tactile_paving=True)
    assert transition_cost_m(guide, _edge(5, tactile_paving=True), 0.0, CANE) == 0.0
    assert transition_cost_m(guide, _edge(5), 0.0, CANE) == CANE.leave_tactile_m
    assert math.isinf(transition_cost_m(main, main, 180.0, CANE))
    cross = _edge(6, footway="crossing", crossing="traffic_signals")
    assert transition_cost_m(None, cross, 0.0, CANE) == CANE.crossing_signal_m
    assert transition_cost_m(cross, _edge(7, footway="crossing"), 0.0, CANE) == 0.0  # one crossing


def _staircase_or_straight():
    """From 1 to 9 (300 m north, 100 m east): a staircase through side streets (1-2-3-4-5-9,
    400 m, five turns) or along the main street and one turn (1-2-6-7-9, 422 m)."""
    return tiny_graph(
        {1: (0, 0), 2: (0, 100), 3: (50, 100), 4: (50, 200), 5: (100, 200), 9: (100, 300),
         6: (0, 320), 7: (20, 320)},
        [
            (1, 2, {**WALK, "name": "Hauptstraße"}),
            (2, 3, {**WALK, "name": "Gasse 1"}),
            (3, 4, {**WALK, "name": "Gasse 2"}),
            (4, 5, {**WALK, "name": "Gasse 3"}),
            (5, 9, {**WALK, "name": "Gasse 4"}),
            (2, 6, {**WALK, "name": "Hauptstraße"}),
            (6, 7, {**WALK, "name": "Ring"}),
            (7, 9, {**WALK, "name": "Ring"}),
        ],
    )


def test_the_simplest_path_avoids_the_staircase_the_shortest_takes():
    g = _staircase_or_straight()
    router = Router(g)
    short = router.shortest_path(1, 9, SHORTEST)
    edges_only = router.shortest_path(1, 9, "blind_cane", decisions=False)
    assert short is not None and edges_only is not None
    assert short[0] == edges_only[0] == [1, 2, 3, 4, 5, 9]
    simple = simplest_path_nx(g, 1, 9, PROFILES["blind_cane"])
    assert simple is not None and simple[0] == [1, 2, 6, 7, 9]
    live = router.route(latlon(0, 0), latlon(100, 300), "blind_cane")  # what the API serves
    assert list(live.nodes) == [1, 2, 6, 7, 9]
    # wheelchair users weigh turns less: a turn costs them 20 m, not 120 m, still enough here
    wheel = simplest_path_nx(g, 1, 9, PROFILES["wheelchair"])
    assert wheel is not None and wheel[0] == [1, 2, 6, 7, 9]


def test_the_reference_search_equals_edge_costs_plus_transitions():
    g = _staircase_or_straight()
    nodes, edges, cost = simplest_path_nx(g, 1, 9, PROFILES["blind_cane"]) or ([], [], 0.0)
    by_id = {k: d["edge"] for _, _, k, d in g.edges(keys=True, data=True)}
    walked = sum(edge_cost(by_id[e], PROFILES["blind_cane"]) for e in edges)
    # straight on at 2, right at 6 onto the Ring (a street change), a slight, free bend at 7
    turns = CANE.turn_90_m + CANE.street_change_m
    assert cost == pytest.approx(walked + turns, rel=0.02)


def test_hard_rules_hold_in_the_reference_search():
    g = tiny_graph(
        {1: (0, 0), 2: (0, 50), 3: (0, 100), 4: (40, 50)},
        [(1, 2, WALK), (2, 3, {"highway": "steps"}), (2, 4, WALK), (4, 3, WALK)],
    )
    wheel = simplest_path_nx(g, 1, 3, PROFILES["wheelchair"])
    assert wheel is not None and wheel[0] == [1, 2, 4, 3]
    g.remove_edge(2, 4)
    assert simplest_path_nx(g, 1, 3, PROFILES["wheelchair"]) is None
    assert nx.has_path(g, 1, 3)


def test_the_live_router_finds_the_reference_paths(graphs):
    g = _staircase_or_straight()
    router = Router(g)
    for name, p in PROFILES.items():
        ours, ref = router.shortest_path(1, 9, name), simplest_path_nx(g, 1, 9, p)
        assert ours is not None and ref is not None, name
        assert ours[:2] == ref[:2] and ours[2] == pytest.approx(ref[2], rel=1e-4), name
    city = graphs["kaiserslautern"]
    rng = random.Random(5)
    ids = sorted(city.nodes)
    city_router = Router(city)
    for name in ("blind_cane", "wheelchair"):
        p = PROFILES[name]
        expanded = turn_expanded(city, p)
        for _ in range(15):
            a, b = rng.sample(ids, 2)
            ref = simplest_path_nx(city, a, b, p, expanded)
            mine = city_router.shortest_path(a, b, name)
            assert (ref is None) == (mine is None), (a, b)
            if ref is not None and mine is not None:
                # bearings: local frame here, great circle there; turn costs differ by millimetres
                assert mine[2] == pytest.approx(ref[2], rel=1e-4), (name, a, b)


def test_closures_and_edits_reach_the_turn_search(graphs):
    """Closed edges are avoided exactly as if they were gone; an edit is seen by the next query."""
    city = _copy(graphs["kaiserslautern"])
    router, p = Router(city), PROFILES["blind_cane"]
    rng = random.Random(11)
    ids = sorted(max(nx.connected_components(city), key=len))
    for _ in range(6):
        a, b = rng.sample(ids, 2)
        first = router.shortest_path(a, b, "blind_cane")
        assert first is not None
        closed = frozenset(first[1][len(first[1]) // 2 : len(first[1]) // 2 + 2])
        without = _copy(city)
        for edge_id in closed:
            drop_edge(without, edge_id)
        ref = simplest_path_nx(without, a, b, p)
        mine = router.shortest_path(a, b, "blind_cane", closed_edges=closed)
        assert (ref is None) == (mine is None), (a, b)
        if ref is not None and mine is not None:
            assert not closed & set(mine[1])
            assert mine[2] == pytest.approx(ref[2], rel=1e-4), (a, b)
    a, b = rng.sample(ids, 2)
    before = router.shortest_path(a, b, "blind_cane")
    assert before is not None
    middle = edge_by_id(city, before[1][len(before[1]) // 2])
    steps = middle._replace(highway="steps", step_count=40)
    put_edge(city, steps)
    router.update_edge(steps)
    after = router.shortest_path(a, b, "blind_cane")
    ref = simplest_path_nx(city, a, b, p)
    assert after is not None and ref is not None
    assert after[2] == pytest.approx(ref[2], rel=1e-4) and after[2] > before[2]


def _copy(graph: nx.MultiGraph) -> nx.MultiGraph:
    """An independent copy (nx.MultiGraph(g) would share the edge index in g.graph)."""
    nodes = [NodeRecord(n, d["lat"], d["lon"]) for n, d in graph.nodes(data=True)]
    return build_graph(nodes, list(edge_records(graph)))


def _split(graph: nx.MultiGraph, edge: EdgeRecord, share: float, node_id: int,
           first_id: int) -> tuple[float, float]:
    """Split an edge at ``share`` of its length by a new node; its (lat, lon)."""
    a, b = graph.nodes[edge.u], graph.nodes[edge.v]
    lat = a["lat"] + share * (b["lat"] - a["lat"])
    lon = a["lon"] + share * (b["lon"] - a["lon"])
    graph.add_node(node_id, lat=lat, lon=lon, level=None)
    drop_edge(graph, edge.id)
    put_edge(graph, edge._replace(id=first_id, v=node_id, length_m=share * edge.length_m))
    put_edge(graph, edge._replace(id=first_id + 1, u=node_id, length_m=(1 - share)
                                  * edge.length_m))
    return lat, lon


def test_routes_between_points_on_edges_cost_what_the_reference_says(graphs):
    """Snapped ends: the first and last edge walked in part, turns at their nodes counted."""
    city = graphs["kaiserslautern"]
    router = Router(city)
    rng = random.Random(4)
    edges = [d["edge"] for _, _, d in city.edges(data=True)
             if d["edge"].length_m > 20 and d["edge"].u != d["edge"].v]
    biggest = max(nx.connected_components(city), key=len)
    edges = [e for e in edges if e.u in biggest]
    top = max(e.id for e in edges) + 10
    checked = 0
    while checked < 8:
        start, end = rng.sample(edges, 2)
        if {start.u, start.v} & {end.u, end.v}:
            continue
        split = _copy(city)
        a = _split(split, start, 0.3, -1, top)
        b = _split(split, end, 0.6, -2, top + 2)
        ref = simplest_path_nx(split, -1, -2, PROFILES["blind_cane"])
        try:
            route = router.route(a, b, "blind_cane")
        except NoAccessibleRoute:
            assert ref is None
            continue
        if router.snap(*a).edge_id != start.id or router.snap(*b).edge_id != end.id:
            continue  # another edge passes through the point too
        assert ref is not None and route.cost == pytest.approx(ref[2], rel=1e-4)
        checked += 1


def _hill():
    """1 -> 2 straight up 100 m at 6 % (tagged on u=1 -> v=2), or round by a flat 125 m."""
    flat = {"surface": "asphalt"}
    return tiny_graph(
        {1: (0, 0), 2: (0, 100), 3: (20, 10), 4: (20, 90)},
        [(1, 2, {**flat, "incline": "6%"}), (1, 3, flat), (3, 4, flat), (4, 2, flat)],
    )


def test_wheelchair_goes_round_the_hill_uphill_and_straight_down():
    wheel = PROFILES["wheelchair"]
    hill = next(d["edge"] for _, _, d in _hill().edges(data=True) if d["edge"].incline)
    assert edge_cost(hill, wheel) == pytest.approx(100 * (1 + 6 * 0.12), rel=1e-3)
    assert edge_cost(hill, wheel, backwards=True) == pytest.approx(100 * (1 + 6 * 0.04), rel=1e-3)
    assert edge_cost(hill._replace(incline="down"), wheel) == pytest.approx(
        edge_cost(hill._replace(incline="-5%"), wheel))
    assert edge_cost(hill, PROFILES["blind_cane"]) == edge_cost(hill, PROFILES["blind_cane"],
                                                               backwards=True)
    g = _hill()
    router = Router(g)
    for decisions in (True, False):
        up = router.shortest_path(1, 2, "wheelchair", decisions=decisions)
        down = router.shortest_path(2, 1, "wheelchair", decisions=decisions)
        assert up is not None and up[0] == [1, 3, 4, 2], decisions
        assert down is not None and down[0] == [2, 1], decisions
    for a, b in ((1, 2), (2, 1)):
        ref, mine = simplest_path_nx(g, a, b, wheel), router.shortest_path(a, b, "wheelchair")
        assert ref is not None and mine is not None
        assert mine[:2] == ref[:2] and mine[2] == pytest.approx(ref[2], rel=1e-4)
    # between points on the slope itself: up costs more than down
    low, high = latlon(0, 20), latlon(0, 80)
    assert router.route(low, high, "wheelchair").cost > router.route(high, low, "wheelchair").cost
    assert router.route(low, high, "wheelchair").cost == pytest.approx(60 * (1 + 6 * 0.12),
                                                                      rel=1e-3)
