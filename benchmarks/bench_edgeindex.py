"""The console's edge index after an edit, on the 101k-node synthetic city: brought up to date
in place (``EdgeIndex.follow``) against the rebuild from scratch it replaced (baseline, same run).

In process, on the graph alone: an edge changed (put again, as a PATCH does) and a node moved
(its edges' rows follow it), each followed on its own, as the console asks after every edit;
the live rows are then checked equal to a rebuild.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from benchmarks.common import BenchResult, ratio_lower_better
from benchmarks.synthetic_city import SIDE, build_city
from navigator.edgeindex import EdgeIndex
from navigator.storage import MapChange
from routing.graph import build_graph, edge_records, put_edge
from routing.model import NodeRecord

EDITS = 40
REBUILDS = 7
QUICK_SIDE = 40


def _change(n: int, **parts: list) -> MapChange:
    empty: dict[str, list] = {k: [] for k in ("nodes", "edges", "places", "deleted_nodes",
                                              "deleted_edges", "deleted_places")}
    return MapChange(n, "edge", None, **{**empty, **parts})


def run(quick: bool) -> list[BenchResult]:
    city = build_city(QUICK_SIDE if quick else SIDE)
    graph = build_graph(city.nodes, city.edges)
    edges = list(edge_records(graph))
    rebuild_ms, edge_ms, node_ms = [], [], []
    for _ in range(REBUILDS):
        t0 = time.perf_counter()
        index = EdgeIndex.of(graph)
        rebuild_ms.append((time.perf_counter() - t0) * 1000.0)
    for n in range(EDITS):
        edge = edges[(n * 7919) % len(edges)]
        changed = edge._replace(width_m=float(n + 1))
        put_edge(graph, changed)
        t0 = time.perf_counter()
        index.follow(graph, [_change(n, edges=[changed])])
        edge_ms.append((time.perf_counter() - t0) * 1000.0)
        where = graph.nodes[edge.u]
        moved = NodeRecord(edge.u, where["lat"] + 1e-6, where["lon"], where["level"])
        graph.add_node(moved.id, lat=moved.lat, lon=moved.lon, level=moved.level)
        t0 = time.perf_counter()
        index.follow(graph, [_change(n, nodes=[moved])])
        node_ms.append((time.perf_counter() - t0) * 1000.0)
    fresh, live = EdgeIndex.of(graph), index.live_rows()
    equal = list(fresh.edges) == list(index.edges[live]) and all(
        np.array_equal(getattr(fresh, c), getattr(index, c)[live])
        for c in ("ids", "u", "v", "a", "b", "min_lon", "min_lat", "max_lon", "max_lat"))
    rebuild, edit, move = (statistics.median(x) for x in (rebuild_ms, edge_ms, node_ms))
    print(f"  {graph.number_of_nodes():,} nodes, {len(edges):,} edges: rebuild median "
          f"{rebuild:.0f} ms (max {max(rebuild_ms):.0f}); follow an edge edit median "
          f"{edit:.2f} ms (max {max(edge_ms):.1f}, the first grows the columns), a node move "
          f"median {move:.2f} ms (max {max(node_ms):.1f}); equal to a rebuild: {equal}",
          file=sys.stderr)
    return [
        BenchResult("console edge index: follow one edge edit (101k nodes)", edit, "ms",
                    "rebuild from scratch", rebuild, ratio_lower_better(edit, rebuild),
                    "equal to a rebuild", equal),
        BenchResult("console edge index: follow one node move (101k nodes)", move, "ms",
                    "rebuild from scratch", rebuild, ratio_lower_better(move, rebuild)),
    ]
