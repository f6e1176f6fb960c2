"""Turn-expanded path search on arrays: the compiled form of :mod:`routing.decisions`.

A state is a directed edge (two per edge: ``u -> v`` is ``slot``, ``v -> u`` is ``slot + m``);
its distance is the cost of reaching its tail, ready to walk it. An arc ``s1 -> s2`` (the head
of ``s1`` is the tail of ``s2``) costs walking ``s1`` plus the transition into ``s2`` (turn,
crossing, street change, leaving tactile paving). scipy's Dijkstra runs on that matrix, bounded
and widened until the target is proven reached. Built once per profile from a graph; edits
rebuild it (it is not patched in place as :class:`~routing.compiled.CompiledGraph` is).
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from routing.compiled import edge_cost_factors
from routing.decisions import crossing_cost_m, turn_costs_m
from routing.geo import LocalFrame
from routing.graph import edge_records
from routing.profiles import Profile
from routing.tags import is_crossing

_ATTEMPTS = 4


class TurnGraph:
    """The turn-expanded matrix of one graph under one profile."""

    def __init__(self, graph: nx.MultiGraph, profile: Profile) -> None:
        ids = list(graph.nodes)
        self._index = {n: i for i, n in enumerate(ids)}
        self._ids = ids
        lat = np.array([graph.nodes[n]["lat"] for n in ids])
        lon = np.array([graph.nodes[n]["lon"] for n in ids])
        frame = LocalFrame(float(lat.mean()), float(lon.mean()))
        self._x, self._y = frame.to_xy(lat, lon)
        edges = list(edge_records(graph))
        self._edges = edges
        m = len(edges)
        eu = np.array([self._index[e.u] for e in edges], dtype=np.int64)
        ev = np.array([self._index[e.v] for e in edges], dtype=np.int64)
        lengths = np.array([e.length_m for e in edges])
        cost = lengths * edge_cost_factors(edges, {"p": profile})["p"]
        d = profile.decisions
        crossing = np.array([is_crossing(e) for e in edges])
        start_cost = np.where(crossing, [crossing_cost_m(e, d) for e in edges], 0.0)
        tactile = np.array([bool(e.tactile_paving) for e in edges])
        names: dict[str, int] = {}
        name = np.array([names.setdefault(e.name, len(names)) if e.name else -1 for e in edges])
        # states: both directions of every edge
        self._tail = np.concatenate([eu, ev])
        self._head = np.concatenate([ev, eu])
        edge_of = np.concatenate([np.arange(m), np.arange(m)])
        self._edge_of = edge_of
        self._cost = cost[edge_of]
        self._start = start_cost[edge_of]
        dx = self._x[self._head] - self._x[self._tail]
        dy = self._y[self._head] - self._y[self._tail]
        bearing = np.degrees(np.arctan2(dx, dy))
        # out-states per node, as a CSR over nodes
        order = np.argsort(self._tail, kind="stable")
        counts = np.bincount(self._tail, minlength=len(ids))
        ptr = np.concatenate([[0], np.cumsum(counts)])
        self._out_ptr, self._out = ptr, order
        # arcs s1 -> s2 for every s2 leaving the head of s1
        n_out = counts[self._head]
        src = np.repeat(np.arange(2 * m), n_out)
        first = np.repeat(ptr[self._head], n_out)
        within = np.arange(len(src)) - np.repeat(np.cumsum(n_out) - n_out, n_out)
        dst = order[first + within]
        keep = edge_of[src] != edge_of[dst]  # never back along the same edge
        src, dst = src[keep], dst[keep]
        turn = np.abs((bearing[dst] - bearing[src] + 180.0) % 360.0 - 180.0)
        trans = turn_costs_m(turn, d)
        c1, c2 = crossing[edge_of[src]], crossing[edge_of[dst]]
        trans += np.where(c2 & ~c1, self._start[dst], 0.0)
        trans += np.where(tactile[edge_of[src]] & ~tactile[edge_of[dst]], d.leave_tactile_m, 0.0)
        n1, n2 = name[edge_of[src]], name[edge_of[dst]]
        trans += np.where((n1 >= 0) & (n2 >= 0) & (n1 != n2) & ~c1 & ~c2, d.street_change_m, 0.0)
        weight = self._cost[src] + trans
        ok = np.isfinite(weight)
        # scipy treats explicit zeros as missing arcs: a tiny floor keeps free transitions
        weight = np.maximum(weight[ok], 1e-9)
        self._matrix = sp.csr_matrix((weight, (src[ok], dst[ok])), shape=(2 * m, 2 * m))
        finite = np.isfinite(cost) & (lengths > 0)
        self._per_m = float(np.median(cost[finite] / lengths[finite])) if finite.any() else 1.0

    def path(self, source: int, target: int) -> tuple[list[int], list[int], float] | None:
        """Cheapest path with decision costs as (node ids, edge ids, cost), or None."""
        if source == target:
            return [source], [], 0.0
        s, t = self._index[source], self._index[target]
        starts = self._out[self._out_ptr[s] : self._out_ptr[s + 1]]
        starts = starts[np.isfinite(self._cost[starts])]
        ends = np.flatnonzero((self._head == t) & np.isfinite(self._cost))
        if not len(starts) or not len(ends):
            return None
        straight = math.hypot(self._x[s] - self._x[t], self._y[s] - self._y[t])
        limit = max(200.0, 2.0 * straight * self._per_m)
        for attempt in range(_ATTEMPTS):
            bound = np.inf if attempt == _ATTEMPTS - 1 else limit
            best = self._search(starts, ends, bound)
            if best is not None:
                return best
            limit *= 3
        return None

    def _search(
        self, starts: np.ndarray, ends: np.ndarray, bound: float
    ) -> tuple[list[int], list[int], float] | None:
        """One bounded search per distinct start cost (usually one); None when the target was
        not provably reached inside ``bound``."""
        best: tuple[float, int, np.ndarray] | None = None
        for offset in np.unique(self._start[starts]):
            group = starts[self._start[starts] == offset]
            dist, pred, _ = dijkstra(
                self._matrix, indices=group, min_only=True, limit=bound,
                return_predecessors=True,
            )
            total = offset + dist[ends] + self._cost[ends]
            k = int(np.argmin(total))
            if math.isfinite(total[k]) and (best is None or total[k] < best[0]):
                best = (float(total[k]), int(ends[k]), pred)
        # an end not reached costs more than the bound: a found total within it is the optimum
        if best is None or best[0] > bound:
            return None
        return self._unwind(*best)

    def _unwind(self, cost: float, last: int, pred: np.ndarray) -> tuple[list[int], list[int],
                                                                        float]:
        states = [last]
        while pred[states[-1]] >= 0:
            states.append(int(pred[states[-1]]))
        states.reverse()
        nodes = [self._ids[int(self._tail[states[0]])]]
        nodes += [self._ids[int(self._head[s])] for s in states]
        edges = [self._edges[int(self._edge_of[s])].id for s in states]
        return nodes, edges, cost
