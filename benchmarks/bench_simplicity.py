"""Route simplicity (#18): turns per km, length and hard rules of accessible routes against the
plain shortest path, on the shipped city, the Berlin-Neukölln extract and the synthetic grid.

Goals of the issue, per map, over random pairs more than 300 m apart (same pairs, same run):
median turns/km of the accessible route <= the shortest path's; median length <= 1.15x the
shortest; no route breaks a hard rule of its profile. "today" is the profile's edge costs alone
(what the router served before #18: ``decisions=False``); "simplest" adds the decision-point costs
(routing.decisions) and is what live routes use (routing.turngraph, equal to the networkx
reference in the tests). Query times are compared with nx.shortest_path on the edge costs.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable

import networkx as nx

from benchmarks.bench_routing import OSM_DIR
from benchmarks.common import BenchResult, median_ms, ratio_lower_better
from benchmarks.synthetic_city import build_city
from navigator.settings import DEFAULT_CITY_FILE
from routing.compiled import SHORTEST
from routing.geo import haversine_m
from routing.graph import build_graph, edge_by_id, largest_component
from routing.maneuvers import build_maneuvers
from routing.model import MapExtract, Route
from routing.osm import read_osm
from routing.paths import Router
from routing.profiles import DEFAULT_PROFILE, PROFILES, blocking_rule, edge_cost
from routing.simplicity import simplicity_report

MIN_PAIR_M = 300.0
MAX_PAIR_M = 1500.0
GRID_SIDE = 40  # 6,400 nodes: the synthetic city's street pattern, small enough for many pairs
LENGTH_GOAL = 1.15
TODAY = "today"  # the profile's edge costs, served by the compiled router
SIMPLEST = "simplest"  # plus decision-point costs: the live router (routing.turngraph)


def _maps() -> dict[str, Callable[[], MapExtract]]:
    return {
        "kaiserslautern": lambda: read_osm(DEFAULT_CITY_FILE),
        "neukoelln": lambda: read_osm(OSM_DIR / "berlin_neukoelln_karl-marx-platz_2024-03-30.osm"),
        "grid": lambda: build_city(GRID_SIDE),
    }


def far_pairs(graph: nx.MultiGraph, count: int, seed: int) -> list[tuple[int, int]]:
    """Random node pairs between MIN_PAIR_M and MAX_PAIR_M apart as the crow flies."""
    rng = random.Random(seed)
    ids = list(graph.nodes)
    pairs: list[tuple[int, int]] = []
    while len(pairs) < count:
        a, b = rng.sample(ids, 2)
        pa, pb = graph.nodes[a], graph.nodes[b]
        if MIN_PAIR_M < haversine_m(pa["lat"], pa["lon"], pb["lat"], pb["lon"]) < MAX_PAIR_M:
            pairs.append((a, b))
    return pairs


Found = tuple[list[int], list[int], float] | None


def _route(graph: nx.MultiGraph, found: Found, name: str) -> Route | None:
    """A found path as a Route with maneuvers (None: unreachable)."""
    if found is None or len(found[0]) < 2:
        return None
    nodes, edges, cost = found
    maneuvers = build_maneuvers(graph, nodes, edges)
    coords = tuple((graph.nodes[n]["lat"], graph.nodes[n]["lon"]) for n in nodes)
    return Route(tuple(nodes), tuple(edges), maneuvers[-1].along_m, cost, name,
                 tuple(maneuvers), coords)


def _violations(graph: nx.MultiGraph, route: Route, profile: str) -> int:
    return sum(blocking_rule(edge_by_id(graph, e), PROFILES[profile]) is not None
               for e in route.edges)


def _speed(graph: nx.MultiGraph, router: Router,
           pairs: list[tuple[int, int]]) -> tuple[float, float, float]:
    """Median query ms of the router by edge costs alone and with decision costs, and of
    nx.shortest_path (on the profile's edge costs), same pairs."""
    profile = PROFILES[DEFAULT_PROFILE]
    for _, _, data in graph.edges(data=True):
        data["cost"] = edge_cost(data["edge"], profile)
    ours, simple, theirs = iter(pairs), iter(pairs), iter(pairs)
    ms = median_ms(lambda: router.shortest_path(*next(ours), DEFAULT_PROFILE, decisions=False),
                   len(pairs))
    simple_ms = median_ms(lambda: router.shortest_path(*next(simple), DEFAULT_PROFILE),
                          len(pairs))
    base = median_ms(lambda: nx.shortest_path(graph, *next(theirs), weight="cost"), len(pairs))
    return ms, simple_ms, base


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def measure(label: str, graph: nx.MultiGraph, router: Router, count: int,
            seed: int) -> list[BenchResult]:
    """The figures of one map: per pair, the shortest path and each profile's route (today's
    and the simplest)."""
    pairs = far_pairs(graph, count, seed)
    turns: dict[str, list[float]] = {SHORTEST: [], TODAY: [], SIMPLEST: []}
    ratios: dict[str, list[float]] = {TODAY: [], SIMPLEST: []}
    violations = {TODAY: 0, SIMPLEST: 0}
    for a, b in pairs:
        short = _route(graph, router.shortest_path(a, b, SHORTEST), SHORTEST)
        if short is None:
            continue
        turns[SHORTEST].append(simplicity_report(graph, short).turns_per_km)
        for name in PROFILES:
            for variant, found in (
                (TODAY, router.shortest_path(a, b, name, decisions=False)),
                (SIMPLEST, router.shortest_path(a, b, name)),
            ):
                route = _route(graph, found, name)
                if route is None:
                    continue  # no accessible route at all: not a violation, and not comparable
                violations[variant] += _violations(graph, route, name)
                if name == DEFAULT_PROFILE:
                    turns[variant].append(simplicity_report(graph, route).turns_per_km)
                    ratios[variant].append(route.length_m / short.length_m)
    ms, simple_ms, base = _speed(graph, router, pairs)
    n = f"{label}, {len(ratios[TODAY])} pairs, seed {seed}"
    results = []
    for variant in (TODAY, SIMPLEST):
        tpk, short_tpk = _median(turns[variant]), _median(turns[SHORTEST])
        length = _median(ratios[variant])
        p90 = statistics.quantiles(ratios[variant], n=10)[-1]
        what = f"simplicity {n}: {DEFAULT_PROFILE} {variant}"
        results += [
            BenchResult(f"{what} median turns/km", tpk, "1/km", baseline="shortest path",
                        baseline_value=short_tpk, ratio=ratio_lower_better(tpk, short_tpk),
                        goal="<= shortest", met=tpk <= short_tpk),
            BenchResult(f"{what} median length / shortest", length, "x",
                        goal=f"<= {LENGTH_GOAL:g}x", met=length <= LENGTH_GOAL),
            BenchResult(f"{what} p90 length / shortest", p90, "x"),
            BenchResult(f"simplicity {n}: {variant} hard-rule violations, all profiles",
                        violations[variant], "edges", goal="0", met=violations[variant] == 0),
        ]
    for variant, value in ((TODAY, ms), (SIMPLEST, simple_ms)):
        results.append(BenchResult(f"simplicity {n}: {variant} median query", value, "ms",
                                   baseline="nx.shortest_path", baseline_value=base,
                                   ratio=ratio_lower_better(value, base)))
    return results


def run(quick: bool, seeds: tuple[int, ...] = (1, 2, 3)) -> list[BenchResult]:
    count = 8 if quick else 24
    results = []
    for label, load in _maps().items():
        extract = load()
        graph = largest_component(build_graph(extract.nodes, extract.edges))
        router = Router(graph)
        for seed in seeds[:1] if quick else seeds:
            results += measure(label, graph, router, count, seed)
    return results


if __name__ == "__main__":
    from benchmarks.run import print_table

    print_table(run(quick=False))
