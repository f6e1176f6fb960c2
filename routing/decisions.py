"""The cost of passing from one edge to the next: turns, crossings, street changes, leaving a
tactile guidance line. What makes a route *simple* rather than short.

A node-based search cannot price a turn (it does not know where the walker came from), so the
search runs on directed edges: a state is "about to walk edge e in this direction", and moving on
costs the edge plus the transition into the next one. :func:`simplest_path_nx` is that search on
networkx, the reference model; it is exact and slow (it builds the turn-expanded graph per call).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import networkx as nx
import numpy as np

from routing.geo import bearing_deg, turn_angle_deg
from routing.model import EdgeRecord
from routing.profiles import DecisionCosts, Profile, edge_cost
from routing.simplicity import crossing_type
from routing.tags import is_crossing


def turn_cost_m(angle_deg: float, costs: DecisionCosts) -> float:
    """Nothing up to ``free_turn_deg``, then growing linearly: ``turn_90_m`` at 90 deg."""
    return float(turn_costs_m(np.array([angle_deg]), costs)[0])


def turn_costs_m(angles_deg: np.ndarray, costs: DecisionCosts) -> np.ndarray:
    """:func:`turn_cost_m` of many angles at once (the compiled search prices every arc)."""
    over = np.maximum(np.abs(angles_deg) - costs.free_turn_deg, 0.0)
    return costs.turn_90_m * over / (90.0 - costs.free_turn_deg)


def crossing_costs_m(costs: DecisionCosts) -> dict[str, float]:
    """The fixed cost of starting to cross, per crossing type."""
    return {
        "signalled_sound": costs.crossing_sound_m,
        "signalled": costs.crossing_signal_m,
        "marked": costs.crossing_marked_m,
        "unmarked": costs.crossing_unmarked_m,
        "unknown": costs.crossing_unknown_m,
    }


def crossing_cost_m(edge: EdgeRecord, costs: DecisionCosts) -> float:
    """The fixed cost of starting to cross by this edge, by crossing type."""
    return crossing_costs_m(costs)[crossing_type(edge)]


def transition_cost_m(
    came: EdgeRecord | None, goes: EdgeRecord, angle_deg: float, costs: DecisionCosts
) -> float:
    """Cost of going on from ``came`` (None at the start) into ``goes``, turning ``angle_deg``."""
    if came is not None and came.id == goes.id:
        return math.inf  # turning back on the same edge is never part of a plan
    total = 0.0 if came is None else turn_cost_m(angle_deg, costs)
    crossing = is_crossing(goes)
    if crossing and (came is None or not is_crossing(came)):
        total += crossing_cost_m(goes, costs)
    if came is not None:
        if came.tactile_paving and not goes.tactile_paving:
            total += costs.leave_tactile_m
        if came.name and goes.name and not crossing and not is_crossing(came):
            total += costs.street_change_m if came.name != goes.name else 0.0
    return total


def _bearing(graph: nx.MultiGraph, a: int, b: int) -> float:
    na, nb = graph.nodes[a], graph.nodes[b]
    return bearing_deg(na["lat"], na["lon"], nb["lat"], nb["lon"])


def _walk_cost(edge: EdgeRecord, start: int, profile: Profile) -> float:
    """The edge's cost walked away from ``start`` (uphill and downhill differ)."""
    return edge_cost(edge, profile, backwards=edge.u != start)


def _directed(graph: nx.MultiGraph, node: int) -> Iterator[tuple[int, EdgeRecord]]:
    """(other end, edge) for each edge leaving ``node``."""
    for _, other, data in graph.edges(node, data=True):
        yield other, data["edge"]


def turn_expanded(graph: nx.MultiGraph, profile: Profile) -> nx.DiGraph:
    """The graph the reference search runs on: a node per (tail, head, edge id) walked, an arc
    per way of going on at a node, weighted by the transition plus the next edge's cost."""
    costs = profile.decisions
    expanded = nx.DiGraph()
    for node in graph.nodes:
        for tail, came in _directed(graph, node):
            into = _bearing(graph, tail, node)
            for head, goes in _directed(graph, node):
                angle = turn_angle_deg(into, _bearing(graph, node, head))
                step = transition_cost_m(came, goes, angle, costs) + _walk_cost(goes, node, profile)
                if math.isfinite(step):
                    expanded.add_edge((tail, node, came.id), (node, head, goes.id), weight=step)
    return expanded


def simplest_path_nx(
    graph: nx.MultiGraph,
    source: int,
    target: int,
    profile: Profile,
    expanded: nx.DiGraph | None = None,
) -> tuple[list[int], list[int], float] | None:
    """Cheapest path with decision costs as (node ids, edge ids, cost), or None: the reference
    for the compiled search. ``expanded`` (from :func:`turn_expanded`, to reuse over queries)
    gets its query arcs removed again."""
    if source == target:
        return [source], [], 0.0
    expanded = turn_expanded(graph, profile) if expanded is None else expanded
    for head, goes in _directed(graph, source):
        first = _walk_cost(goes, source, profile) + transition_cost_m(None, goes, 0.0,
                                                                      profile.decisions)
        if math.isfinite(first):
            expanded.add_edge("source", (source, head, goes.id), weight=first)
    for tail, came in _directed(graph, target):
        expanded.add_edge((tail, target, came.id), "target", weight=0.0)
    try:
        cost, states = nx.single_source_dijkstra(expanded, "source", "target")
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None
    finally:
        expanded.remove_nodes_from(["source", "target"])
    steps = states[1:-1]
    return [source] + [s[1] for s in steps], [s[2] for s in steps], float(cost)
