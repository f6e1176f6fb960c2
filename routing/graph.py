"""The route graph: an undirected networkx MultiGraph built from node and edge records.

The graph keeps an index of every :class:`EdgeRecord` by id so fixes and routes (which name edges
by id) resolve in O(1). Only this module touches that index: read it through :func:`edge_by_id`,
:func:`edge_or_none`, :func:`edge_records` and :func:`edge_count`, and change edges through
:func:`put_edge` / :func:`drop_edge` so it stays true.
"""

from __future__ import annotations

from collections.abc import Iterable, ValuesView

import networkx as nx

from routing.model import EdgeRecord, NodeRecord


def build_graph(nodes: Iterable[NodeRecord], edges: Iterable[EdgeRecord]) -> nx.MultiGraph:
    """Build the graph; edges whose end nodes are unknown, or two edges with one id, are data
    errors and raise ValueError.

    The adjacency is written into networkx's own dicts (what ``add_node``/``add_edge`` build,
    one shared key dict per node pair, as ``tests/routing/test_graph.py`` checks) rather than
    through 300k networkx calls: a third of a 100k-node city's graph time.
    """
    graph = nx.MultiGraph(edges={})
    node_data, adj = graph._node, graph._adj
    for n in nodes:
        node_data[n.id] = {"lat": n.lat, "lon": n.lon, "level": n.level}
        adj.setdefault(n.id, {})
    index: dict[int, EdgeRecord] = graph.graph["edges"]
    for e in edges:
        at_u, at_v = adj.get(e.u), adj.get(e.v)
        if at_u is None or at_v is None:
            raise ValueError(f"edge {e.id} references a missing node ({e.u} or {e.v})")
        if index.setdefault(e.id, e) is not e:
            raise ValueError(f"two edges share the id {e.id}")
        keys = at_u.get(e.v)
        if keys is None:
            keys = at_u[e.v] = at_v[e.u] = {}
        keys[e.id] = {"edge": e, "length_m": e.length_m}
    return graph


def put_edge(graph: nx.MultiGraph, edge: EdgeRecord) -> None:
    """Insert or replace one edge (keyed by its id) in place."""
    if edge.u not in graph or edge.v not in graph:
        raise ValueError(f"edge {edge.id} references a missing node ({edge.u} or {edge.v})")
    drop_edge(graph, edge.id)
    graph.add_edge(edge.u, edge.v, key=edge.id, edge=edge, length_m=edge.length_m)
    graph.graph["edges"][edge.id] = edge


def drop_edge(graph: nx.MultiGraph, edge_id: int) -> EdgeRecord | None:
    """Remove one edge by id if present; returns what was removed."""
    old: EdgeRecord | None = graph.graph["edges"].pop(edge_id, None)
    if old is not None:
        graph.remove_edge(old.u, old.v, key=edge_id)
    return old


def edge_by_id(graph: nx.MultiGraph, edge_id: int) -> EdgeRecord:
    """The edge with this id, for ids taken from this graph; KeyError when there is none."""
    return graph.graph["edges"][edge_id]


def edge_or_none(graph: nx.MultiGraph, edge_id: int) -> EdgeRecord | None:
    """The edge with this id, or None: for ids that may predate an edit (a fix, a route)."""
    return graph.graph["edges"].get(edge_id)


def edge_records(graph: nx.MultiGraph) -> ValuesView[EdgeRecord]:
    """Every edge, in the order they were added; a view, not a copy (a city has 200k). Walking it
    is several times faster than walking networkx's adjacency."""
    return graph.graph["edges"].values()


def edge_count(graph: nx.MultiGraph) -> int:
    """How many edges: networkx counts a MultiGraph's edges by walking them (0.25 s a city)."""
    return len(graph.graph["edges"])


def largest_component(graph: nx.MultiGraph) -> nx.MultiGraph:
    """The biggest connected part as a graph of its own, with a true edge index (a networkx
    subgraph would share the whole graph's index)."""
    keep = max(nx.connected_components(graph), key=len)
    nodes = [NodeRecord(n, d["lat"], d["lon"], d["level"])
             for n, d in graph.nodes(data=True) if n in keep]
    return build_graph(nodes, [e for e in edge_records(graph) if e.u in keep])
