"""The route graph's edge index: the accessors stay true through edits and component cuts."""

from __future__ import annotations

import networkx as nx
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


def test_built_graph_is_what_networkx_itself_builds():
    """build_graph writes networkx's dicts directly: the same nodes, edges, data and one key
    dict shared by both ends of a node pair (a self-loop included), so every networkx call and
    later edit behaves as on a graph built edge by edge."""
    edges = [EdgeRecord(1, 1, 2, 11.0), EdgeRecord(2, 2, 3, 11.0), EdgeRecord(3, 1, 2, 15.0),
             EdgeRecord(4, 4, 5, 11.0), EdgeRecord(5, 3, 3, 2.0, name="Ring")]
    g = build_graph(NODES, edges)
    want = nx.MultiGraph(edges={})
    for n in NODES:
        want.add_node(n.id, lat=n.lat, lon=n.lon, level=n.level)
    for e in edges:
        want.add_edge(e.u, e.v, key=e.id, edge=e, length_m=e.length_m)
    assert dict(g.nodes(data=True)) == dict(want.nodes(data=True))
    assert sorted(g.edges(keys=True, data=True)) == sorted(want.edges(keys=True, data=True))
    assert g._adj[1][2] is g._adj[2][1] and g.degree(3) == want.degree(3) == 3
    g.remove_edge(2, 1, key=3)  # an edit through networkx sees one edge gone from both ends
    assert set(g[1][2]) == set(g[2][1]) == {1} and g.number_of_edges() == 4
