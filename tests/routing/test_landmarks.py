"""Landmark bounds (ALT) steer the live search without changing a single route: equal costs with
and without them, and a table that a cheaper arc makes stale is never used."""

from __future__ import annotations

import math
import random

import networkx as nx
import numpy as np
import pytest

from benchmarks.bench_routing import jittered_grid
from routing.decisions import simplest_path_nx
from routing.graph import build_graph, edge_by_id, edge_records, put_edge
from routing.model import EdgeRecord, NodeRecord
from routing.paths import NoAccessibleRoute, Router
from routing.profiles import PROFILES
from routing.turnarcs import TurnArcs
from routing.turngraph import TurnGraph
from tests.routing.test_turnarcs import _random_edit


def _copy(graph: nx.MultiGraph) -> nx.MultiGraph:
    nodes = [NodeRecord(n, d["lat"], d["lon"]) for n, d in graph.nodes(data=True)]
    return build_graph(nodes, list(edge_records(graph)))


def _with_and_without(graph: nx.MultiGraph) -> tuple[Router, Router]:
    """A router whose tables are measured (for every profile) and one that never has any."""
    steered, plain = Router(graph), Router(graph)
    plain._turns = TurnGraph(plain._c, PROFILES, landmarks=0)
    for name in PROFILES:
        assert steered._turns.landmark_table(name, wait=True) is not None
    return steered, plain


def _settled(router: Router) -> int:
    workspace = router._turns._workspace
    assert workspace is not None
    return workspace.settled


def _assert_same_costs(graph: nx.MultiGraph, pairs: int, seed: int) -> None:
    steered, plain = _with_and_without(graph)
    rng = random.Random(seed)
    ids = sorted(max(nx.connected_components(graph), key=len))
    for name in PROFILES:
        fewer = more = 0
        for _ in range(pairs):
            a, b = rng.sample(ids, 2)
            mine, theirs = steered.shortest_path(a, b, name), plain.shortest_path(a, b, name)
            assert (mine is None) == (theirs is None), (name, a, b)
            if mine is None or theirs is None:
                continue
            assert mine[2] == pytest.approx(theirs[2], rel=1e-6), (name, a, b)
            fewer += _settled(steered)
            more += _settled(plain)
        assert fewer < more / 2, name  # and the bounds do steer


def test_equal_costs_with_and_without_landmarks_in_the_shipped_city(graphs):
    _assert_same_costs(graphs["kaiserslautern"], pairs=40, seed=1)


def test_equal_costs_with_and_without_landmarks_on_the_grid():
    _assert_same_costs(jittered_grid(40, 25.0, seed=3), pairs=25, seed=2)


def test_routes_between_snapped_points_equal_with_and_without_landmarks(graphs):
    city = graphs["neukoelln"]
    steered, plain = _with_and_without(city)
    rng = random.Random(8)
    edges = list(edge_records(city))
    compared = 0
    for _ in range(30):
        points = []
        for edge in rng.sample(edges, 2):  # a third of the way along an edge
            u, v = city.nodes[edge.u], city.nodes[edge.v]
            points.append((u["lat"] + (v["lat"] - u["lat"]) / 3,
                           u["lon"] + (v["lon"] - u["lon"]) / 3))
        for name in ("blind_cane", "wheelchair"):
            try:
                theirs = plain.route(*points, name)
            except NoAccessibleRoute:
                with pytest.raises(NoAccessibleRoute):
                    steered.route(*points, name)
                continue
            assert steered.route(*points, name).cost == pytest.approx(theirs.cost, rel=1e-6)
            compared += 1
    assert compared > 30


def _grid_router() -> tuple[nx.MultiGraph, Router, list[int]]:
    graph = jittered_grid(30, 25.0, seed=4)
    router = Router(graph)
    assert router._turns.landmark_table("blind_cane", wait=True) is not None
    return graph, router, sorted(graph.nodes)


def test_an_edit_that_lowers_a_cost_makes_the_table_stale_and_routes_stay_exact():
    graph, router, ids = _grid_router()
    p = PROFILES["blind_cane"]
    s, t = ids[2], ids[27]  # on the first row, near its ends
    before = router.shortest_path(s, t)
    assert before is not None
    # a new footway with tactile paving along the fourth row: cheaper than the first row, and
    # the old bounds from its ends to the goal are far too high (they went the long way)
    a, b = ids[3 * 30], ids[3 * 30 + 29]
    shortcut = EdgeRecord(10**6, a, b, 725.0, highway="footway", tactile_paving=True)
    put_edge(graph, shortcut)
    router.update_edge(shortcut)
    assert router._turns.landmark_table("blind_cane") is None  # stale: searched without
    after = router.shortest_path(s, t)
    ref = simplest_path_nx(graph, s, t, p)
    assert after is not None and ref is not None
    assert shortcut.id in after[1] and after[2] == pytest.approx(ref[2], rel=1e-4)
    assert after[2] < before[2]
    fresh = router._turns.landmark_table("blind_cane", wait=True)
    assert fresh is not None  # measured again, with the shortcut
    rng = random.Random(3)
    corner = ids[:90] + ids[-90:]  # the first and last three rows
    for _ in range(10):
        s, t = rng.choice(corner[:90]), rng.choice(corner[90:])
        mine, ref = router.shortest_path(s, t), simplest_path_nx(graph, s, t, p)
        assert mine is not None and ref is not None
        assert mine[2] == pytest.approx(ref[2], rel=1e-4), (s, t)


def test_a_cheaper_attribute_makes_the_table_stale():
    graph, router, ids = _grid_router()
    table = router._turns.landmark_table("blind_cane")
    edge = next(e for e in edge_records(graph) if e.highway == "steps")
    paved = edge._replace(highway="footway", step_count=None, tactile_paving=True)
    put_edge(graph, paved)
    router.update_edge(paved)
    assert router._turns.landmark_table("blind_cane") is not table


def test_an_edit_that_raises_costs_keeps_the_table_and_routes_stay_exact():
    graph, router, ids = _grid_router()
    table = router._turns.landmark_table("blind_cane")
    p = PROFILES["blind_cane"]
    rng = random.Random(6)
    for _ in range(5):
        s, t = rng.sample(ids, 2)
        found = router.shortest_path(s, t)
        assert found is not None
        middle = edge_by_id(graph, found[1][len(found[1]) // 2])
        worse = middle._replace(highway="steps", step_count=30, tactile_paving=False)
        put_edge(graph, worse)
        router.update_edge(worse)
        mine, ref = router.shortest_path(s, t), simplest_path_nx(graph, s, t, p)
        assert router._turns.landmark_table("blind_cane") is table  # still valid, still used
        assert mine is not None and ref is not None
        assert mine[2] == pytest.approx(ref[2], rel=1e-4) and mine[2] >= found[2], (s, t)


def _arc_weights(arcs: TurnArcs, name: str) -> dict[tuple[int, int], float]:
    fwd, _ = arcs.ensure(name)
    src = np.repeat(np.arange(arcs.states), np.diff(arcs.f_ptr))
    return dict(zip(zip(src.tolist(), arcs.f_idx.tolist(), strict=True), fwd.tolist(),
                    strict=True))


@pytest.mark.parametrize("seed", [1, 2])
def test_every_edit_that_makes_an_arc_cheaper_or_adds_one_is_counted(graphs, seed):
    """What keeps a table honest: an arc cheaper than before, or new, always moves the count
    (an arc that only got dearer may or may not)."""
    graph = _copy(graphs["kaiserslautern"])
    router = Router(graph)
    arcs = router._turns._arcs
    rng = random.Random(seed)
    next_id = [10**9]
    hub = max(graph.nodes, key=graph.degree)
    names = ("blind_cane", "wheelchair")
    cheaper_seen = 0
    for _ in range(40):
        before = {name: _arc_weights(arcs, name) for name in names}
        cuts = dict(arcs.cuts)
        _random_edit(rng, graph, router, next_id, hub)
        for name in names:
            after = _arc_weights(arcs, name)
            if any(w < before[name].get(arc, math.inf) for arc, w in after.items()):
                cheaper_seen += 1
                assert arcs.cuts[name] != cuts[name], name
    assert cheaper_seen > 10
