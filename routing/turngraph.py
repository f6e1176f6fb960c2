"""Turn-expanded path search on arrays: the compiled form of :mod:`routing.decisions`, on the
arcs :mod:`routing.turnarcs` keeps in step with a :class:`~routing.compiled.CompiledGraph`.

A *state* is an entry position of the compiled adjacency (walking an edge from its row's node to
its column's); its forward distance is the cost of having walked it. Closures block states for
one query (:mod:`routing.bidijkstra` never enters them).

Queries run a bidirectional Dijkstra compiled by numba (:mod:`routing.bidijkstra`) from the start
states (weighted by what reaching them costs) on the arcs and from the goal states on the
reversed arcs. It visits only what it reaches: scipy's Dijkstra, used before, set up arrays over
all 601,796 states of the 100k grid on every call (~15 ms, whatever its ``limit``), and a heapq
search in Python, tried first, took ~80 ms to expand the ~12,000 states of a 2 km query there.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Collection
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from routing.compiled import CompiledGraph, Snap
from routing.profiles import DecisionCosts, Profile
from routing.turnarcs import TurnArcs

if TYPE_CHECKING:
    from routing import bidijkstra
    from routing.landmarks import LandmarkTable

_AT_NODE_M = 0.05


def has_decision_costs(profile: Profile) -> bool:
    """Whether the profile prices decision points at all (else the node search is exact)."""
    d = profile.decisions
    return any(getattr(d, f.name) > 0 for f in fields(d) if f.name != "free_turn_deg")


@dataclass(frozen=True, slots=True)
class TurnPath:
    """A found path: its cost, the node rows passed and the CSR entries walked between them
    (the snapped first and last edge, walked in part, are not among them)."""

    cost: float
    nodes: list[int]
    entries: list[int]


class TurnGraph:
    """Path search on the turn-expanded arcs of one compiled graph, with weights per profile.

    A profile's first query starts building its landmark table (:mod:`routing.landmarks`) in a
    background thread; queries search without it until it is there, and again from the moment
    an edit lowers a cost under the profile until a table measured after that edit is there.
    ``landmarks=0`` never builds one.
    """

    def __init__(self, compiled: CompiledGraph, profiles: dict[str, Profile],
                 landmarks: int | None = None) -> None:
        self._c = compiled
        self._profiles = profiles
        self._arcs = TurnArcs(compiled, profiles)
        self._workspace: bidijkstra.Workspace | None = None
        self._landmarks = landmarks
        self._tables: dict[str, LandmarkTable] = {}
        self._builds: dict[str, threading.Thread] = {}

    # ---- queries -------------------------------------------------------------------------------

    def path(self, name: str, start: Snap | int, end: Snap | int,
             closed_edges: Collection[int] = ()) -> TurnPath | None:
        """Cheapest path under the profile's edge and decision costs from ``start`` to ``end``
        (a snapped point or a node row), or None."""
        fwd_w, bwd_w = self._arcs.ensure(name)
        start, end = self._on_node(start), self._on_node(end)
        if isinstance(start, int) and start == end:
            return TurnPath(0.0, [start], [])
        data = self._c.entry_costs(name, closed_edges)
        seeds = self._seeds(start, data, self._profiles[name].decisions)
        goals = self._goals(end, data, bwd_w)
        if not seeds or not goals:
            return None
        blocked: list[int] = []
        for edge_id in closed_edges:
            if self._c.has_edge(edge_id):
                blocked += self._c.directed_entries(edge_id)
        bounds = self._bounds(name, seeds, goals)
        return self._search(fwd_w, bwd_w, seeds, goals, blocked, bounds)

    # ---- landmarks -----------------------------------------------------------------------------

    def landmark_table(self, name: str, wait: bool = False) -> LandmarkTable | None:
        """The profile's landmark table if it is valid for the arcs as they are now; else start
        measuring one (unless that is under way) and return None, or the new one with
        ``wait``. Call it with edits held off, like :meth:`path`."""
        self._arcs.ensure(name)
        table = self._tables.get(name)
        if table is not None and table.cuts == self._arcs.cuts[name]:
            return table
        if self._landmarks == 0:
            return None
        build = self._builds.get(name)
        if build is None or (not build.is_alive() and self._tables.get(name) is table):
            build = self._start_build(name)
        if not wait:
            return None
        build.join()
        return self._tables.get(name)

    def _start_build(self, name: str) -> threading.Thread:
        """Measure the table in a thread (the kernels release the GIL) on the arcs as they are
        now: edits replace those arrays rather than write into them, so they may go on."""
        from routing.landmarks import LANDMARKS, build_table

        a = self._arcs
        fwd_w, bwd_w = a.weights[name]
        fwd, bwd = (a.f_ptr, a.f_idx, fwd_w), (a.t_ptr, a.t_idx, bwd_w)
        count, cuts = self._landmarks or LANDMARKS, a.cuts[name]

        def run() -> None:
            self._tables[name] = build_table(fwd, bwd, count, cuts)

        build = threading.Thread(target=run, name=f"landmarks-{name}", daemon=True)
        self._builds[name] = build
        build.start()
        return build

    def _bounds(self, name: str, seeds: dict[int, tuple[float, bool]],
                goals: dict[int, float]) -> bidijkstra.Bounds | None:
        """The landmark bounds of a query, when the profile's table is valid."""
        table = self.landmark_table(name)
        if table is None:
            return None
        return table.bounds(np.fromiter(seeds, np.int64, len(seeds)),
                            np.fromiter((c for c, _ in seeds.values()), float, len(seeds)),
                            np.fromiter(goals, np.int64, len(goals)),
                            np.fromiter(goals.values(), float, len(goals)))

    def _on_node(self, point: Snap | int) -> Snap | int:
        """A snapped point within a few centimetres of a node is that node's row."""
        if isinstance(point, int):
            return point
        length = self._c.edge(point.edge_id).length_m
        u, v = self._c.ends(point.edge_id)
        if point.offset_m <= _AT_NODE_M:
            return u
        return v if length - point.offset_m <= _AT_NODE_M else point

    def _seeds(self, start: Snap | int, data: np.ndarray,
               d: DecisionCosts) -> dict[int, tuple[float, bool]]:
        """Start states: {state: (cost of having walked it, is it an inner entry)}."""
        if isinstance(start, Snap):
            part = self._partial(start, data, arriving=True)
            extra = self._arcs.start_costs(d, np.array([state for state, _ in part]))
            return {state: (cost + float(e), False)
                    for (state, cost), e in zip(part, extra, strict=True)}
        out = self._c.adjacency.entries(np.array([start]))[0]
        cost = data[out] + self._arcs.start_costs(d, out)
        return {p: (w, True) for p, w in zip(out.tolist(), cost.tolist(), strict=True)
                if math.isfinite(w)}

    def _goals(self, end: Snap | int, data: np.ndarray,
               bwd_w: np.ndarray) -> dict[int, float]:
        """States from which the goal is reached: {state: cost still to pay}."""
        if not isinstance(end, Snap):
            return dict.fromkeys(self._c.adjacency.entries(np.array([end]))[3].tolist(), 0.0)
        goals: dict[int, float] = {}
        arcs = self._arcs
        for state, cost in self._partial(end, data, arriving=False):
            # arrive at the state's tail, turn into it (its arc weight less the walk), walk part
            lo, hi = arcs.t_ptr[state], arcs.t_ptr[state + 1]
            for p, w in zip(arcs.t_idx[lo:hi].tolist(), bwd_w[lo:hi].tolist(), strict=True):
                if math.isfinite(w):
                    goals[p] = min(goals.get(p, math.inf), max(w - data[state], 0.0) + cost)
        return goals

    def _partial(self, snap: Snap, data: np.ndarray, arriving: bool) -> list[tuple[int, float]]:
        """The two directed states of a snapped edge with the cost of the part walked: from the
        point to an end when ``arriving``, else from an end to the point."""
        edge = self._c.edge(snap.edge_id)
        share = snap.offset_m / edge.length_m if edge.length_m > 0 else 0.0
        u_to_v, v_to_u = self._c.directed_entries(snap.edge_id)
        forth, back = float(data[u_to_v]), float(data[v_to_u])
        if arriving:  # towards u the walker walks the first share back, towards v the rest
            return [(v_to_u, back * share), (u_to_v, forth * (1 - share))]
        return [(u_to_v, forth * share), (v_to_u, back * (1 - share))]

    def _search(self, fwd_w: np.ndarray, bwd_w: np.ndarray, seeds: dict[int, tuple[float, bool]],
                goals: dict[int, float], blocked: list[int],
                bounds: bidijkstra.Bounds | None) -> TurnPath | None:
        """Bidirectional Dijkstra from the seeds and the goals (see :mod:`routing.bidijkstra`),
        steered by landmark ``bounds`` when there are any."""
        from routing import bidijkstra  # numba takes ~1 s to import: the first query pays it

        a = self._arcs
        if self._workspace is None or self._workspace.states != a.states:
            self._workspace = bidijkstra.Workspace.sized(a.states)
        cost, states = bidijkstra.search(
            self._workspace, (a.f_ptr, a.f_idx, fwd_w), (a.t_ptr, a.t_idx, bwd_w),
            np.fromiter(seeds, np.int64, len(seeds)),
            np.fromiter((c for c, _ in seeds.values()), float, len(seeds)),
            np.fromiter(goals, np.int64, len(goals)),
            np.fromiter(goals.values(), float, len(goals)), np.array(blocked, np.int64), bounds)
        return self._unwind(cost, states, seeds) if states else None

    def _unwind(self, cost: float, states: list[int],
                seeds: dict[int, tuple[float, bool]]) -> TurnPath:
        a, first = self._arcs, states[0]
        inner = states if seeds[first][1] else states[1:]
        head = a.row[first] if seeds[first][1] else a.col[first]
        nodes = [int(head)] + [int(a.col[s]) for s in inner]
        return TurnPath(cost, nodes, inner)

