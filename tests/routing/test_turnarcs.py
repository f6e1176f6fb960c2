"""The turn-expanded arcs follow mapper edits around the edited edge or node, equal to a full
rebuild after any sequence of edits."""

from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest

from routing.compiled import CompiledGraph
from routing.decisions import simplest_path_nx
from routing.graph import build_graph, drop_edge, edge_records, put_edge
from routing.model import EdgeRecord, NodeRecord
from routing.paths import Router
from routing.profiles import PROFILES
from routing.turnarcs import TurnArcs

ATTRIBUTE_EDITS = (
    {"tactile_paving": True},
    {"footway": "crossing", "crossing": "traffic_signals", "traffic_signals_sound": True},
    {"footway": "crossing", "crossing": "unmarked"},
    {"name": "Neue Straße"},
    {"highway": "steps", "step_count": 5},
    {"oneway": "yes"},
    {"oneway": "-1"},
    {"incline": "6%"},
)


def _copy(graph: nx.MultiGraph) -> nx.MultiGraph:
    nodes = [NodeRecord(n, d["lat"], d["lon"]) for n, d in graph.nodes(data=True)]
    return build_graph(nodes, list(edge_records(graph)))


def _random_edit(rng: random.Random, graph: nx.MultiGraph, router: Router, next_id: list[int],
                 hub: int) -> str:
    """One mapper edit of a random kind, applied to the graph and the router as the map does."""
    edges = list(edge_records(graph))
    kind = rng.choice(["attribute", "attribute", "new_edge", "hub_edge", "remove_edge",
                       "move_node", "split", "remove_node"])
    if kind == "attribute":
        edge = rng.choice(edges)._replace(**rng.choice(ATTRIBUTE_EDITS))
        put_edge(graph, edge)
        router.update_edge(edge)
    elif kind in ("new_edge", "hub_edge"):
        near = rng.choice(edges)
        a = hub if kind == "hub_edge" else near.u
        b = rng.choice([e.v for e in edges if e.u == near.v] or [near.v])
        if a != b:
            edge = EdgeRecord(next_id[0], a, b, 30.0, surface="asphalt")
            next_id[0] += 1
            put_edge(graph, edge)
            router.update_edge(edge)
    elif kind == "remove_edge":
        edge = rng.choice(edges)
        drop_edge(graph, edge.id)
        router.remove_edge(edge.id)
    elif kind == "move_node":
        node = rng.choice(list(graph.nodes))
        d = graph.nodes[node]
        moved = NodeRecord(node, d["lat"] + rng.uniform(-2e-4, 2e-4),
                           d["lon"] + rng.uniform(-2e-4, 2e-4))
        d["lat"], d["lon"] = moved.lat, moved.lon
        router.add_node(moved)
    elif kind == "split":
        edge = rng.choice(edges)
        a, b = graph.nodes[edge.u], graph.nodes[edge.v]
        node = NodeRecord(next_id[0], (a["lat"] + b["lat"]) / 2, (a["lon"] + b["lon"]) / 2)
        graph.add_node(node.id, lat=node.lat, lon=node.lon, level=None)
        router.add_node(node)
        halves = (edge._replace(id=next_id[0] + 1, v=node.id, length_m=edge.length_m / 2),
                  edge._replace(id=next_id[0] + 2, u=node.id, length_m=edge.length_m / 2))
        next_id[0] += 3
        for half in halves:
            put_edge(graph, half)
            router.update_edge(half)
        drop_edge(graph, edge.id)
        router.remove_edge(edge.id)
    else:
        node = rng.choice([n for n in graph.nodes if n != hub])
        for edge_id in [k for _, _, k in graph.edges(node, keys=True)]:
            drop_edge(graph, edge_id)
        graph.remove_node(node)
        router.remove_node(node)
    return kind


def _assert_same_arcs(live: TurnArcs, compiled: CompiledGraph) -> None:
    """Every state's arcs and weights equal."""
    fresh = TurnArcs(compiled, PROFILES)
    for name in PROFILES:
        got, want = live.ensure(name), fresh.ensure(name)
        n = live.states
        assert n == fresh.states
        for attr in ("row", "col", "slot", "opposite"):
            assert np.array_equal(getattr(live, attr), getattr(fresh, attr)), (name, attr)
        for ptr, idx, k in (("f_ptr", "f_idx", 0), ("t_ptr", "t_idx", 1)):
            mine, full = getattr(live, ptr)[: n + 1], getattr(fresh, ptr)[: n + 1]
            assert np.array_equal(mine, full), (name, ptr)
            cells = int(mine[n])
            assert np.array_equal(getattr(live, idx)[:cells], getattr(fresh, idx)[:cells])
            assert np.array_equal(got[k][:cells], want[k][:cells]), name


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_arcs_after_random_edits_equal_a_full_rebuild(graphs, seed):
    graph = _copy(graphs["kaiserslautern"])
    router = Router(graph)
    arcs = router._turns._arcs
    for name in PROFILES:  # weights of every profile are kept up to date, not rebuilt
        arcs.ensure(name)
    rng = random.Random(seed)
    next_id = [10**9]
    hub = max(graph.nodes, key=graph.degree)
    kinds = []
    for step in range(60):
        kinds.append(_random_edit(rng, graph, router, next_id, hub))
        if step % 6 == 5:
            _assert_same_arcs(arcs, router._c)
    assert {"attribute", "new_edge", "hub_edge", "remove_edge", "move_node", "split",
            "remove_node"} <= set(kinds)
    ids = sorted(max(nx.connected_components(graph), key=len))
    for name in ("blind_cane", "wheelchair"):
        for _ in range(5):
            a, b = rng.sample(ids, 2)
            ref = simplest_path_nx(graph, a, b, PROFILES[name])
            mine = router.shortest_path(a, b, name)
            assert (ref is None) == (mine is None), (name, a, b)
            if ref is not None and mine is not None:
                assert mine[2] == pytest.approx(ref[2], rel=1e-4), (name, a, b)


def test_an_attribute_edit_rewrites_only_the_rows_around_it(graphs):
    """Not a rebuild: the arrays of an untouched part of the map stay the very same objects'
    values, and the per-state data is not read again."""
    graph = _copy(graphs["kaiserslautern"])
    router = Router(graph)
    arcs = router._turns._arcs
    arcs.ensure("blind_cane")
    built_row = arcs.row
    edge = next(iter(edge_records(graph)))._replace(tactile_paving=True)
    put_edge(graph, edge)
    router.update_edge(edge)
    arcs.ensure("blind_cane")
    assert arcs.row is built_row  # a rebuild makes every array anew
    _assert_same_arcs(arcs, router._c)
