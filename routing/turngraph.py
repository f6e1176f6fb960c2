"""Turn-expanded path search on arrays: the compiled form of :mod:`routing.decisions`, on the
arcs :mod:`routing.turnarcs` keeps in step with a :class:`~routing.compiled.CompiledGraph`.

A *state* is an entry position of the compiled adjacency (walking an edge from its row's node to
its column's); its forward distance is the cost of having walked it. Closures block states for
one query: their arcs are set to infinity and restored, under the router's lock.

Queries are bidirectional and bounded like the node search in :mod:`routing.paths`: scipy's
Dijkstra from a virtual source row (arcs to the start states, weighted by what reaching them
costs) on the arcs and from a virtual sink row on the reversed arcs, both up to a radius ``r``;
the best meeting over an arc costs ``mu``, proven optimal when ``mu <= 2 r``. A heapq search in
Python was tried first: even with exact node distances as its A* heuristic it expands ~12,000
states for a 2 km query on the 100k grid (~80 ms), since a grid has many equally short paths
that differ only in their turns.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, fields

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from routing.compiled import CompiledGraph, Snap
from routing.profiles import DecisionCosts, Profile
from routing.turnarcs import FLOOR, TurnArcs

_ATTEMPTS = 4
#: Decision points add about a third to a route's edge costs (grid and both cities): the first
#: radius grows by that, and by half each time a search did not even meet.
_DECISION_SHARE = 1.35
_GROW_UNMET = 1.5
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
    """Path search on the turn-expanded arcs of one compiled graph, with weights per profile."""

    def __init__(self, compiled: CompiledGraph, profiles: dict[str, Profile]) -> None:
        self._c = compiled
        self._profiles = profiles
        self._arcs = TurnArcs(compiled, profiles)

    # ---- queries -------------------------------------------------------------------------------

    def path(self, name: str, start: Snap | int, end: Snap | int, radius: float,
             closed_edges: Collection[int] = ()) -> TurnPath | None:
        """Cheapest path under the profile's edge and decision costs from ``start`` to ``end``
        (a snapped point or a node row), or None; ``radius`` is the first search bound."""
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
        return self._search(fwd_w, bwd_w, seeds, goals, radius * _DECISION_SHARE, blocked)

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
                goals: dict[int, float], radius: float, blocked: list[int]) -> TurnPath | None:
        """Bounded bidirectional Dijkstra from the virtual rows, widening until proven."""
        a = self._arcs
        src_lo, dst_lo = int(a.f_ptr[a.src]), int(a.t_ptr[a.dst])
        f_cells = np.concatenate([np.arange(a.f_ptr[p], a.f_ptr[p + 1]) for p in blocked]
                                 + [np.arange(src_lo, src_lo + len(seeds))]).astype(np.int64)
        t_cells = np.concatenate([np.arange(a.t_ptr[p], a.t_ptr[p + 1]) for p in blocked]
                                 + [np.arange(dst_lo, dst_lo + len(goals))]).astype(np.int64)
        saved = fwd_w[f_cells].copy(), bwd_w[t_cells].copy()
        try:
            fwd_w[f_cells[: len(f_cells) - len(seeds)]] = np.inf
            bwd_w[t_cells[: len(t_cells) - len(goals)]] = np.inf
            a.f_idx[src_lo : src_lo + len(seeds)] = list(seeds)
            fwd_w[src_lo : src_lo + len(seeds)] = [max(c, FLOOR) for c, _ in seeds.values()]
            a.t_idx[dst_lo : dst_lo + len(goals)] = list(goals)
            bwd_w[dst_lo : dst_lo + len(goals)] = [max(c, FLOOR) for c in goals.values()]
            return self._widen(fwd_w, bwd_w, seeds, goals, radius, blocked)
        finally:
            fwd_w[f_cells], bwd_w[t_cells] = saved
            a.f_idx[src_lo : src_lo + len(seeds)] = a.src
            a.t_idx[dst_lo : dst_lo + len(goals)] = a.dst

    def _widen(self, fwd_w: np.ndarray, bwd_w: np.ndarray, seeds: dict[int, tuple[float, bool]],
               goals: dict[int, float], radius: float, blocked: list[int]) -> TurnPath | None:
        a = self._arcs
        n = a.states + 2
        fwd = sp.csr_matrix((fwd_w, a.f_idx, a.f_ptr), shape=(n, n), copy=False)
        bwd = sp.csr_matrix((bwd_w, a.t_idx, a.t_ptr), shape=(n, n), copy=False)
        for attempt in range(_ATTEMPTS):
            limit = np.inf if attempt == _ATTEMPTS - 1 else radius
            f, f_pred = dijkstra(fwd, indices=a.src, limit=limit, return_predecessors=True)
            b, b_pred = dijkstra(bwd, indices=a.dst, limit=limit, return_predecessors=True)
            f[blocked], b[blocked] = np.inf, np.inf
            mu, p, q = self._meet(fwd_w, f, b, goals)
            if math.isfinite(mu) and (mu <= 2 * radius or limit == np.inf):
                head = [] if p == a.src else _walk(f_pred, p, a.src)[::-1]
                tail = [] if q == a.dst else _walk(b_pred, q, a.dst)[int(p == q) :]
                return self._unwind(mu, head + tail, seeds)
            if limit == np.inf:
                return None
            radius = mu / 2 if math.isfinite(mu) else radius * _GROW_UNMET
        return None

    def _meet(self, fwd_w: np.ndarray, f: np.ndarray, b: np.ndarray,
              goals: dict[int, float]) -> tuple[float, int, int]:
        """Cheapest join: at a state both searches reached, or over one arc p -> q (arcs from
        the virtual source and into the virtual sink included)."""
        a = self._arcs
        through = f + b
        k = int(np.argmin(through))
        best = (float(through[k]), k, k)
        last = np.array(list(goals), dtype=np.int64)
        total = f[last] + np.array(list(goals.values()))
        j = int(np.argmin(total))
        if total[j] < best[0]:
            best = (float(total[j]), int(last[j]), a.dst)
        rows = np.flatnonzero(np.isfinite(f))
        counts = a.f_ptr[rows + 1] - a.f_ptr[rows]
        cells = np.repeat(a.f_ptr[rows] - (np.cumsum(counts) - counts), counts) + np.arange(
            int(counts.sum()))
        if len(cells):
            heads = np.repeat(rows, counts)
            total = f[heads] + fwd_w[cells] + b[a.f_idx[cells]]
            j = int(np.argmin(total))
            if total[j] < best[0]:
                best = (float(total[j]), int(heads[j]), int(a.f_idx[cells[j]]))
        return best

    def _unwind(self, cost: float, states: list[int],
                seeds: dict[int, tuple[float, bool]]) -> TurnPath:
        a, first = self._arcs, states[0]
        inner = states if seeds[first][1] else states[1:]
        head = a.row[first] if seeds[first][1] else a.col[first]
        nodes = [int(head)] + [int(a.col[s]) for s in inner]
        return TurnPath(cost, nodes, inner)


def _walk(pred: np.ndarray, state: int, root: int) -> list[int]:
    """Follow a predecessor row from ``state`` back to (not including) the virtual ``root``."""
    out = [state]
    while pred[out[-1]] >= 0 and pred[out[-1]] != root:
        out.append(int(pred[out[-1]]))
    return out
