"""Routing speed: compiled bidirectional search vs nx.shortest_path on the same weighted graph.

A >=100k-node jittered grid with mixed accessibility attributes carries the goal (>= 10x); the real
extracts report import time and the same comparison on city-sized graphs. Two compiled queries
are measured: by edge costs alone (``decisions=False``, the node search) and the live one with
decision-point costs (turn-expanded, #18). The live one is compared with nx.shortest_path on the
edge costs (a simpler problem: the strict yardstick) and with networkx on the same turn-expanded
problem (:func:`routing.decisions.simplest_path_nx` on a prebuilt expanded graph: like for like).

The machine's load average is reported beside the figures: on a shared machine every timing,
ours and networkx's, stretches with it. ``python -m benchmarks.bench_routing --runs 3
--grid-only`` repeats the grid comparison and prints the spread of the ratios.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import statistics
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np

from benchmarks.common import BenchResult, median_ms, ratio_lower_better
from routing.decisions import simplest_path_nx, turn_expanded
from routing.geo import LocalFrame, haversine_m
from routing.graph import build_graph, edge_records, largest_component, put_edge
from routing.model import EdgeRecord, NodeRecord
from routing.osm import read_osm
from routing.paths import Router
from routing.profiles import DEFAULT_PROFILE, PROFILES, edge_cost

OSM_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
GRID_SIDE = 317  # 100,489 nodes
GRID_SPACING_M = 25.0
QUERY_M = 2000.0
GOAL_RATIO = 10.0


def jittered_grid(side: int, spacing_m: float, seed: int = 7) -> nx.MultiGraph:
    """A square street grid, nodes jittered by up to a fifth of the spacing, mixed attributes."""
    rng = random.Random(seed)
    frame = LocalFrame(52.48, 13.43)
    jitter = spacing_m / 5
    nodes = []
    for i in range(side * side):
        x = (i % side) * spacing_m + rng.uniform(-jitter, jitter)
        y = (i // side) * spacing_m + rng.uniform(-jitter, jitter)
        nodes.append(NodeRecord(i, *frame.to_latlon(x, y)))
    kinds = [
        {"highway": "footway", "surface": "paving_stones"},
        {"highway": "footway", "tactile_paving": True},
        {"highway": "residential", "sidewalk": "both"},
        {"highway": "residential"},
        {"highway": "footway", "footway": "crossing", "crossing": "traffic_signals"},
        {
            "highway": "footway",
            "footway": "crossing",
            "crossing": "traffic_signals",
            "traffic_signals_sound": True,
        },
        {"highway": "footway", "footway": "crossing", "crossing": "uncontrolled"},
        {"highway": "steps", "step_count": 12},
    ]
    weights = [40, 10, 20, 15, 4, 3, 5, 3]
    edges = []
    for i in range(side * side):
        for j in (i + 1, i + side):
            if (j == i + 1 and j % side == 0) or j >= side * side:
                continue
            a, b = nodes[i], nodes[j]
            attrs = rng.choices(kinds, weights)[0]
            length = haversine_m(a.lat, a.lon, b.lat, b.lon)
            edges.append(EdgeRecord(len(edges) + 1, i, j, length, **attrs))
    return build_graph(nodes, edges)


def _od_pairs(graph: nx.MultiGraph, count: int, distance_m: float | None, seed: int = 3):
    """Random node pairs, about ``distance_m`` apart when given (else any distance)."""
    rng = random.Random(seed)
    ids = list(graph.nodes)
    pairs = []
    while len(pairs) < count:
        a, b = rng.sample(ids, 2)
        pa, pb = graph.nodes[a], graph.nodes[b]
        d = haversine_m(pa["lat"], pa["lon"], pb["lat"], pb["lon"])
        if distance_m is None or abs(d - distance_m) < 0.1 * distance_m:
            if nx.has_path(graph, a, b):
                pairs.append((a, b))
    return pairs


def latlon(graph: nx.MultiGraph, node: int) -> tuple[float, float]:
    return graph.nodes[node]["lat"], graph.nodes[node]["lon"]


def _compare(label: str, graph: nx.MultiGraph, pairs, goal: bool) -> list[BenchResult]:
    """Median query time of Router.shortest_path vs networkx, same costs, same pairs."""
    profile = PROFILES[DEFAULT_PROFILE]
    t0 = time.perf_counter()
    router = Router(graph)
    compile_s = time.perf_counter() - t0
    for _, _, data in graph.edges(data=True):
        data["cost"] = edge_cost(data["edge"], profile)
    t0 = time.perf_counter()
    router.shortest_path(*pairs[0], DEFAULT_PROFILE)  # builds the turn-expanded arrays
    turns_s = time.perf_counter() - t0
    t0 = time.perf_counter()  # the first query started the landmark table in a thread
    table = router._turns.landmark_table(DEFAULT_PROFILE, wait=True)
    landmarks_s = time.perf_counter() - t0
    assert table is not None
    t0 = time.perf_counter()
    expanded = turn_expanded(graph, profile)
    expand_s = time.perf_counter() - t0
    for a, b in pairs[:3]:  # same answer, or the speed figure means nothing
        mine = router.shortest_path(a, b, DEFAULT_PROFILE, decisions=False)
        ref = nx.shortest_path_length(graph, a, b, weight="cost")
        assert mine is not None and np.isclose(mine[2], ref), (a, b, mine, ref)
        live, turned = router.shortest_path(a, b, DEFAULT_PROFILE), simplest_path_nx(
            graph, a, b, profile, expanded)
        assert live is not None and turned is not None and np.isclose(live[2], turned[2],
                                                                        rtol=1e-4)
    ours, live_q, theirs, ref_q = (iter(pairs * 2) for _ in range(4))
    ms = median_ms(lambda: router.shortest_path(*next(ours), DEFAULT_PROFILE, decisions=False),
                   len(pairs))
    settled: list[int] = []

    def live_query() -> None:
        router.shortest_path(*next(live_q), DEFAULT_PROFILE)
        workspace = router._turns._workspace
        assert workspace is not None
        settled.append(workspace.settled)  # what the kernel's time grows with

    live_ms = median_ms(live_query, len(pairs))
    states = statistics.median(settled)
    base = median_ms(lambda: nx.shortest_path(graph, *next(theirs), weight="cost"), len(pairs))
    ref_ms = median_ms(lambda: simplest_path_nx(graph, *next(ref_q), profile, expanded),
                       len(pairs))
    expanded.clear()  # ~1 GB on the 100k grid
    points = iter([tuple(latlon(graph, n) for n in pair) for pair in pairs] * 2)
    full_ms = median_ms(lambda: router.route(*next(points)), len(pairs))
    edit_ms = _edit_then_query_ms(graph, router, pairs)
    n = graph.number_of_nodes()
    what = f"routing {label} ({n:,} nodes)"

    def versus(name: str, value: float, baseline: str, base_ms: float) -> BenchResult:
        ratio = ratio_lower_better(value, base_ms)
        return BenchResult(
            f"{what} {name}", value, "ms", baseline=baseline, baseline_value=base_ms,
            ratio=ratio, goal=f">= {GOAL_RATIO:g}x" if goal else None,
            met=(ratio is not None and ratio >= GOAL_RATIO) if goal else None,
        )

    return [
        versus("median query, edge costs", ms, "nx.shortest_path", base),
        versus("median live query, with decision costs", live_ms, "nx.shortest_path (edge "
               "costs only)", base),
        versus("median live query, with decision costs", live_ms, "networkx turn-expanded "
               "(same costs)", ref_ms),
        BenchResult(f"routing {label} live query: states settled (median)", states, "states"),
        BenchResult(f"routing {label} live query: time per settled state", live_ms * 1e6 / states,
                    "ns"),
        BenchResult(f"routing {label} route() with snapping + maneuvers", full_ms, "ms"),
        BenchResult(f"routing {label} compile", compile_s * 1000, "ms"),
        BenchResult(f"routing {label} turn-expanded arrays (first query)", turns_s * 1000, "ms"),
        BenchResult(f"routing {label} landmark table, one profile (a thread after the first "
                    "query)", landmarks_s * 1000, "ms"),
        BenchResult(f"routing {label} landmark table memory, one profile",
                    table.dist.nbytes / 2**20, "MiB"),
        BenchResult(f"routing {label} mapper edit + the next live query", edit_ms, "ms",
                    baseline="live query without an edit", baseline_value=live_ms),
        BenchResult(f"routing {label} networkx turn-expanded graph build", expand_s * 1000, "ms"),
    ]


def _edit_then_query_ms(graph: nx.MultiGraph, router: Router, pairs) -> float:
    """Median time of an edge edit (tactile paving on or off) and the live query after it, which
    brings the turn-expanded arcs up to date around the edited edge. Tactile paving on lowers a
    cost: the landmark table is then stale, the query searches without it and a new table is
    measured in a thread meanwhile. Changes the graph: run it last."""
    rng = random.Random(5)
    edges = list(edge_records(graph))
    queries = iter(pairs * 2)

    def edit_then_query() -> None:
        edge = rng.choice(edges)
        changed = edge._replace(tactile_paving=not edge.tactile_paving)
        put_edge(graph, changed)
        router.update_edge(changed)
        router.shortest_path(*next(queries), DEFAULT_PROFILE)

    return median_ms(edit_then_query, len(pairs))


def _kernel_load_ms() -> float:
    """What the first live query of a process pays before searching: importing numba and
    loading the compiled search kernel from its cache (compiling it when there is none)."""
    t0 = time.perf_counter()
    importlib.import_module("routing.bidijkstra").compile_ahead()
    return (time.perf_counter() - t0) * 1000


def run(quick: bool, grid_only: bool = False) -> list[BenchResult]:
    queries = 20 if quick else 200
    load_before = os.getloadavg()[0]
    results = [BenchResult("routing search kernel load (numba import + cached kernel)",
                           _kernel_load_ms(), "ms")]
    grid = jittered_grid(GRID_SIDE, GRID_SPACING_M)
    results += _compare("grid 2 km", grid, _od_pairs(grid, queries, QUERY_M), goal=True)
    results.append(BenchResult("routing machine load average (1 min) after the grid",
                               os.getloadavg()[0], "", baseline="before",
                               baseline_value=load_before))
    if grid_only:
        return results
    for path in sorted(OSM_DIR.glob("*.osm*")):
        t0 = time.perf_counter()
        extract = read_osm(path)
        results.append(BenchResult(f"import {path.name}", (time.perf_counter() - t0) * 1000, "ms"))
        graph = largest_component(build_graph(extract.nodes, extract.edges))
        results += _compare(
            path.name.split("_")[0], graph, _od_pairs(graph, queries, None), goal=False
        )
    return results


def main(argv: list[str] | None = None) -> int:
    from benchmarks.run import print_table

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20 queries a graph, not 200")
    parser.add_argument("--grid-only", action="store_true", help="only the 100k-node grid")
    parser.add_argument("--runs", type=int, default=1, help="repeat, then print the spread")
    args = parser.parse_args(argv)
    ratios = []
    for _ in range(args.runs):
        results = run(args.quick, args.grid_only)
        print_table(results)
        ratios += [r.ratio for r in results if r.goal and r.baseline
                   and r.baseline.startswith("nx.shortest_path (edge") and r.ratio]
    if len(ratios) > 1:
        print(f"\nlive query vs nx.shortest_path over {len(ratios)} runs: median "
              f"{statistics.median(ratios):.1f}x, min {min(ratios):.1f}x, max {max(ratios):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
