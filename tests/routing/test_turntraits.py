"""The compiled graph's per-slot turn traits say what the edge records say, through edits."""

from __future__ import annotations

import random

import numpy as np
import pytest

from routing.compiled import CompiledGraph
from routing.edgeclasses import edge_classes
from routing.graph import edge_records
from routing.model import EdgeRecord
from routing.paths import Router
from routing.profiles import PROFILES, edge_cost, edge_cost_factors
from routing.turntraits import CROSSING, KIND, NAME, TACTILE, edge_traits
from tests.routing.test_turnarcs import _copy, _random_edit


def _assert_traits_match_records(compiled: CompiledGraph, edges: list[EdgeRecord]) -> None:
    slots = np.array([compiled.adjacency.slot_at(compiled.directed_entries(e.id)[0])
                      for e in edges])
    got = compiled.slot_traits(slots)
    names: dict[str, int] = {}
    want = np.array([edge_traits(e, names) for e in edges]).reshape(-1, 4)
    for column in (CROSSING, KIND, TACTILE):
        assert np.array_equal(got[:, column], want[:, column])
    # name ids are numbered per graph: the same name has one id, different names different ones
    pairs = set(zip(got[:, NAME].tolist(), want[:, NAME].tolist(), strict=True))
    assert len({a for a, _ in pairs}) == len(pairs) == len({b for _, b in pairs})
    assert all((a < 0) == (b < 0) for a, b in pairs)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_traits_follow_the_records_through_edits(graphs, seed):
    graph = _copy(graphs["kaiserslautern"])
    router = Router(graph)
    _assert_traits_match_records(router._c, list(edge_records(graph)))
    rng = random.Random(seed)
    next_id, hub = [10**9], max(graph.nodes, key=graph.degree)
    for step in range(60):
        _random_edit(rng, graph, router, next_id, hub)
        if step % 6 == 5:
            _assert_traits_match_records(router._c, list(edge_records(graph)))


def test_cost_factors_by_class_equal_each_edges_cost(graphs):
    edges = list(edge_records(graphs["kaiserslautern"]))
    classes = edge_classes(edges)
    assert len(classes.unit) < len(edges)
    for backwards in (False, True):
        factors = edge_cost_factors(classes, PROFILES, backwards)
        for name, profile in PROFILES.items():
            want = [edge_cost(e, profile, backwards) for e in edges]
            got = [e.length_m * f for e, f in zip(edges, factors[name], strict=True)]
            assert got == want, name


class _Untouchable(list):
    """Edge records a forked worker must not read (each read writes a shared page)."""

    def __getitem__(self, key):
        raise AssertionError("the turn arcs read an edge record")

    def __iter__(self):
        raise AssertionError("the turn arcs read the edge records")


def test_turn_arcs_are_built_from_arrays_alone(graphs):
    """What keeps a worker's first route from making the shared map's pages its own: the arcs
    of every profile, and their update after an edit, read no edge record."""
    graph = _copy(graphs["kaiserslautern"])
    router = Router(graph)
    edge = next(iter(edge_records(graph)))._replace(tactile_paving=True, name="Neue Straße")
    records = router._c._records
    router._c._records = _Untouchable(records)
    arcs = router._turns._arcs
    for name in PROFILES:
        arcs.ensure(name)
    router._c._records = records
    router.update_edge(edge)  # an edit reads records (in the process that applies it)
    router._c._records = _Untouchable(records)
    for name in PROFILES:
        arcs.ensure(name)
    router._c._records = records
