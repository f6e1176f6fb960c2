"""A PNG of a simulated walk: the graph around it, the true path, the fixes, the instructions."""

from __future__ import annotations

import io
import math

import matplotlib
import networkx as nx

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from navigator.simulation import SimulationResult  # noqa: E402
from routing.graph import edge_records  # noqa: E402


def plot_simulation(result: SimulationResult, graph: nx.MultiGraph, title: str) -> bytes:
    """Render the walk as PNG bytes (lon on x, lat on y, equal-ish aspect at city scale).

    Stars numbered as in the instruction list mark where each instruction was spoken; grey dots
    mark reassurances.
    """
    lats = [p[0] for p in result.truth + result.fixes] or [0.0]
    lons = [p[1] for p in result.truth + result.fixes] or [0.0]
    pad = 0.0004
    box = (min(lats) - pad, max(lats) + pad, min(lons) - pad, max(lons) + pad)
    fig, ax = plt.subplots(figsize=(8, 8), dpi=100)
    nodes = graph.nodes
    for edge in edge_records(graph):
        a, b = nodes[edge.u], nodes[edge.v]
        if box[0] <= a["lat"] <= box[1] and box[2] <= a["lon"] <= box[3]:
            ax.plot([a["lon"], b["lon"]], [a["lat"], b["lat"]], color="0.8", lw=1, zorder=1)
    ax.plot([c[1] for c in result.route.coordinates], [c[0] for c in result.route.coordinates],
            color="tab:green", lw=3, alpha=0.5, label="first planned route", zorder=2)
    ax.plot([p[1] for p in result.truth], [p[0] for p in result.truth], color="tab:blue", lw=1.5,
            label="true path", zorder=3)
    ax.scatter([p[1] for p in result.fixes], [p[0] for p in result.fixes], s=8, color="tab:red",
               label="position fixes", zorder=4)
    for i, ins in enumerate(result.instructions, 1):
        if ins["phase"] == "reassurance":  # frequent and routine: a dot, no label
            ax.scatter([ins["true_lon"]], [ins["true_lat"]], s=10, color="0.4", zorder=5)
            continue
        ax.scatter([ins["true_lon"]], [ins["true_lat"]], marker="*", s=90, color="black", zorder=5)
        ax.annotate(str(i), (ins["true_lon"], ins["true_lat"]), textcoords="offset points",
                    xytext=(4, 4), fontsize=7)
    m = result.metrics()
    ax.set_title(f"{title}\narrived={m['arrived']}  mean error={m['mean_error_m']} m  "
                 f"p90={m['p90_error_m']} m  off-route={m['off_route_events']}", fontsize=10)
    ax.set_xlim(box[2], box[3])
    ax.set_ylim(box[0], box[1])
    ax.set_aspect(1.0 / max(0.2, math.cos(math.radians((box[0] + box[1]) / 2))))
    ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude  (© OpenStreetMap contributors, ODbL)")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()
