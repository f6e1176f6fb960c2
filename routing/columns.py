"""A route graph's nodes and edges as NumPy columns: what the compiled router and the positioning
index are built from.

At a start the map's stored copy already holds these columns (:mod:`navigator.storage.mapcodec`),
so they are handed over as they were read rather than gathered again from 300k networkx entries
and 200k records (~0.3 s of every start of a 100k-node city). Any other build (no copy, a rebuild
after an edit) takes them from the graph with :func:`graph_columns`: the same arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from routing.graph import edge_records


@dataclass(frozen=True, slots=True)
class GraphColumns:
    """Nodes in the graph's order (as added), edges in :func:`~routing.graph.edge_records` order.

    ``edge_class``: per edge, a number shared by edges whose attributes are all alike
    (:mod:`routing.edgeclasses`; any finer grouping serves, e.g. also by OSM way), or None when
    not known (it is then found from the records).
    """

    node_id: np.ndarray
    node_lat: np.ndarray
    node_lon: np.ndarray
    edge_id: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    length_m: np.ndarray
    edge_class: np.ndarray | None = None

    def end_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Per edge, the positions of its ``u`` and ``v`` among the nodes; ValueError for an end
        that is not one of them."""
        order = np.argsort(self.node_id, kind="stable")
        ids = self.node_id[order]
        rows = []
        for ends in (self.edge_u, self.edge_v):
            at = np.minimum(np.searchsorted(ids, ends), max(len(ids) - 1, 0))
            missing = ids[at] != ends if len(ids) else np.ones(len(ends), dtype=bool)
            if missing.any():
                bad = int(np.argmax(missing))
                raise ValueError(f"edge {int(self.edge_id[bad])} references a missing node "
                                 f"({int(self.edge_u[bad])} or {int(self.edge_v[bad])})")
            rows.append(order[at])
        return rows[0], rows[1]

    def matches(self, graph: nx.MultiGraph) -> bool:
        """Whether these are (as far as sizes tell) the columns of ``graph``: a cheap guard
        against handing over another graph's."""
        return (len(self.node_id) == graph.number_of_nodes()
                and len(self.edge_id) == len(graph.graph["edges"]))


def graph_columns(graph: nx.MultiGraph) -> GraphColumns:
    """The columns of a graph, read from its nodes and edge records (``edge_class`` unknown)."""
    n = graph.number_of_nodes()
    nodes = graph.nodes(data=True)
    edges = list(edge_records(graph))
    m = len(edges)
    return GraphColumns(
        node_id=np.fromiter(graph.nodes, np.int64, n),
        node_lat=np.fromiter((d["lat"] for _, d in nodes), float, n),
        node_lon=np.fromiter((d["lon"] for _, d in nodes), float, n),
        edge_id=np.fromiter((e.id for e in edges), np.int64, m),
        edge_u=np.fromiter((e.u for e in edges), np.int64, m),
        edge_v=np.fromiter((e.v for e in edges), np.int64, m),
        length_m=np.fromiter((e.length_m for e in edges), float, m),
    )
