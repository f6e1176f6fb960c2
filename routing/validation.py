"""Map checks a mapper acts on: islands of the graph, missing accessibility tags, crossings
whose signal is unknown. Pure functions over the route graph."""

from __future__ import annotations

from typing import Any

import networkx as nx

from routing.graph import edge_records
from routing.model import EdgeRecord

#: Attributes without which a profile must guess (costed as unknown).
KEY_TAGS = ("surface", "width_m", "lit")


def is_crossing(edge: EdgeRecord) -> bool:
    return edge.footway == "crossing" or edge.crossing is not None


def disconnected_components(graph: nx.MultiGraph, limit: int = 50) -> list[dict[str, Any]]:
    """Every component but the largest: places nobody can be routed to or from."""
    comps = sorted(nx.connected_components(graph), key=len, reverse=True)
    out = []
    for comp in comps[1:limit + 1]:
        node = min(comp)
        out.append({"nodes": len(comp), "example_node": node,
                    "lat": graph.nodes[node]["lat"], "lon": graph.nodes[node]["lon"]})
    return out


def edges_missing_tags(graph: nx.MultiGraph, limit: int = 200) -> tuple[int, list[dict[str, Any]]]:
    """(count, first ``limit``) of edges lacking any of :data:`KEY_TAGS`; steps lacking counts."""
    found: list[dict[str, Any]] = []
    for edge in edge_records(graph):
        missing = [t for t in KEY_TAGS if getattr(edge, t) is None]
        if edge.highway == "steps" and edge.step_count is None:
            missing.append("step_count")
        if missing:
            found.append({"edge": edge.id, "missing": missing})
    found.sort(key=lambda f: f["edge"])
    return len(found), found[:limit]


def crossings_without_signal_info(graph: nx.MultiGraph) -> list[dict[str, Any]]:
    """Crossings where a blind pedestrian cannot be told whether a signal helps them."""
    out = []
    for edge in edge_records(graph):
        if not is_crossing(edge):
            continue
        signalled = edge.crossing == "traffic_signals"
        unknown_kind = edge.crossing is None
        unknown_aids = signalled and (edge.traffic_signals_sound is None
                                      or edge.traffic_signals_vibration is None)
        if unknown_kind or unknown_aids:
            missing = "crossing" if unknown_kind else "traffic_signals:sound/vibration"
            out.append({"edge": edge.id, "name": edge.name, "missing": missing})
    return sorted(out, key=lambda f: f["edge"])
