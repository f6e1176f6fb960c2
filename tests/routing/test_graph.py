"""The route graph's edge index: the accessors stay true through edits and component cuts."""

from __future__ import annotations

import pytest

from routing.graph import (
    build_graph,
    drop_edge,
    edge_by_id,
    edge_count,
    edge_or_none,
    edge_records,
    largest_component,
    put_edge,
)
from routing.model import EdgeRecord, NodeRecord

NODES = [NodeRecord(n, 49.44 + n * 1e-4, 7.77) for n in range(1, 6)]


def two_parts():
    """1 - 2 - 3 (two parallel edges 1 - 2) and an island 4 - 5."""
    edges = [EdgeRecord(1, 1, 2, 11.0), EdgeRecord(2, 2, 3, 11.0), EdgeRecord(3, 1, 2, 15.0),
             EdgeRecord(4, 4, 5, 11.0)]
    return build_graph(NODES, edges)


def test_accessors_follow_edits():
    g = two_parts()
    assert edge_count(g) == 4 and [e.id for e in edge_records(g)] == [1, 2, 3, 4]
    assert edge_by_id(g, 3).length_m == 15.0 and edge_or_none(g, 9) is None
    with pytest.raises(KeyError):
        edge_by_id(g, 9)
    put_edge(g, EdgeRecord(3, 2, 3, 20.0))  # re-linked: networkx holds it on its new ends only
    assert edge_by_id(g, 3).u == 2 and set(g[2][3]) == {2, 3} and set(g[1][2]) == {1}
    assert drop_edge(g, 1) == EdgeRecord(1, 1, 2, 11.0) and drop_edge(g, 1) is None
    assert edge_or_none(g, 1) is None and edge_count(g) == 3 == g.number_of_edges()


def test_largest_component_has_an_index_of_its_own():
    g = two_parts()
    main = largest_component(g)
    assert sorted(e.id for e in edge_records(main)) == [1, 2, 3] and edge_count(g) == 4
    assert edge_or_none(main, 4) is None


def test_bad_edges_are_refused():
    with pytest.raises(ValueError, match="missing node"):
        build_graph(NODES, [EdgeRecord(1, 1, 99, 1.0)])
    with pytest.raises(ValueError, match="share the id"):
        build_graph(NODES, [EdgeRecord(1, 1, 2, 1.0), EdgeRecord(1, 2, 3, 1.0)])
    with pytest.raises(ValueError, match="missing node"):
        put_edge(two_parts(), EdgeRecord(9, 1, 99, 1.0))
