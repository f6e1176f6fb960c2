"""Turn-expanded path search on arrays: the compiled form of :mod:`routing.decisions`, kept in
step with a :class:`~routing.compiled.CompiledGraph`.

A *state* is a used CSR entry of the compiled graph (walking an edge from its row's node to its
column's); its forward distance is the cost of having walked it. An arc ``p -> q`` (``q`` leaves
the node ``p`` arrives at, on another edge) costs the transition (turn, crossing, street change,
leaving tactile paving) plus walking ``q``. The arcs depend only on the compiled arrays, so they
are *rebuilt* from them, vectorized, when the compiled graph's ``version`` moved on (a mapper
edit), and each profile's weights on its first query after that. Closures block states for one
query: their arcs are set to infinity and restored, under the router's lock.

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
from routing.decisions import crossing_costs_m, turn_costs_m
from routing.model import EdgeRecord
from routing.profiles import DecisionCosts, Profile
from routing.simplicity import CROSSING_TYPES, crossing_type
from routing.tags import is_crossing

_ATTEMPTS = 4
#: Decision points add about a third to a route's edge costs (grid and both cities): the first
#: radius grows by that, and by half each time a search did not even meet.
_DECISION_SHARE = 1.35
_GROW_UNMET = 1.5
_AT_NODE_M = 0.05
_FLOOR = 1e-9  # scipy drops explicit zeros from a CSR: free transitions cost a nanometre


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


@dataclass(frozen=True, slots=True)
class _Traits:
    """What a transition looks at, per table entry (one row of the entry table)."""

    crossing: np.ndarray  # bool
    kind: np.ndarray  # index into CROSSING_TYPES (crossings only)
    tactile: np.ndarray  # bool
    name: np.ndarray  # name id, -1 when unnamed


def _edge_traits(edge: EdgeRecord) -> tuple[bool, int, bool, str | None]:
    crossing = is_crossing(edge)
    kind = CROSSING_TYPES.index(crossing_type(edge)) if crossing else 0
    return crossing, kind, bool(edge.tactile_paving), edge.name


class TurnGraph:
    """The turn-expanded arcs of one compiled graph, with weights per profile."""

    def __init__(self, compiled: CompiledGraph, profiles: dict[str, Profile]) -> None:
        self._c = compiled
        self._profiles = profiles
        self._version = -1
        self._weights: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        # per slot: (crossing, crossing kind, tactile, name id) and the record they were read off
        self._per_slot = np.zeros((0, 4), dtype=np.int64)
        self._seen: list[EdgeRecord | None] = []
        self._names: dict[str, int] = {}

    # ---- building ------------------------------------------------------------------------------

    def _ensure(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A profile's forward and reversed arc weights and per-state start costs, rebuilding
        what an edit outdated."""
        if self._version != self._c.version:
            self._build()
        if name not in self._weights:
            self._weights[name] = self._profile_weights(name)
        return self._weights[name]

    def _build(self) -> None:
        c = self._c
        pos, row, col, slot, opposite = c.adjacency.entry_table()
        self._pos, self._row, self._col, self._opposite = pos, row, col, opposite
        self._states = c.adjacency.capacity
        self._table = np.full(self._states + 2, -1, dtype=np.int64)
        self._table[pos] = np.arange(len(pos))
        self._src, self._dst = self._states, self._states + 1
        # out entries of the node each state arrives at: rows are sorted in the table
        first = np.searchsorted(row, col, side="left")
        n_out = np.searchsorted(row, col, side="right") - first
        src = np.repeat(np.arange(len(pos)), n_out)
        dst = np.repeat(first, n_out) + (np.arange(len(src)) - np.repeat(np.cumsum(n_out) - n_out,
                                                                        n_out))
        keep = slot[src] != slot[dst]  # never back along the same edge
        self._arc_src, self._arc_dst = src[keep], dst[keep]
        x0, y0 = c.xy(row)
        x1, y1 = c.xy(col)
        bearing = np.degrees(np.arctan2(x1 - x0, y1 - y0))
        self._angle = np.abs((bearing[self._arc_dst] - bearing[self._arc_src] + 180.0) % 360.0
                             - 180.0)
        self._traits = self._slot_traits(slot)
        degree = int(n_out.max()) if len(n_out) else 0
        self._spare = 2 * degree + 2  # the virtual rows' room: seeds and goals of one query
        self._layout()
        self._weights = {}
        self._version = c.version

    def _slot_traits(self, slots: np.ndarray) -> _Traits:
        """Traits of every table entry's edge, recomputed only for slots whose record changed."""
        size = int(slots.max()) + 1 if len(slots) else 0
        if len(self._per_slot) < size:
            grow = size - len(self._per_slot)
            self._per_slot = np.concatenate([self._per_slot, np.zeros((grow, 4), np.int64)])
            self._seen.extend([None] * grow)
        records, seen = self._c.slot_records, self._seen
        for s in slots[self._pos < self._opposite].tolist():  # each edge once
            record = records[s]
            if record is not seen[s]:
                assert record is not None
                crossing, kind, tactile, name = _edge_traits(record)
                name_id = self._names.setdefault(name, len(self._names)) if name else -1
                self._per_slot[s] = (crossing, kind, tactile, name_id)
                self._seen[s] = record
        table = self._per_slot[slots]
        return _Traits(table[:, 0] > 0, table[:, 1], table[:, 2] > 0, table[:, 3])

    def _layout(self) -> None:
        """Forward CSR (rows: states, then the virtual source) and its reverse (rows: states,
        then the virtual sink), each virtual row with ``_spare`` unused entries."""
        n, spare = self._states + 2, self._spare
        src, dst = self._pos[self._arc_src], self._pos[self._arc_dst]
        f_rows = np.concatenate([src, np.full(spare, self._src)])
        self._f_ptr = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(f_rows, minlength=n), out=self._f_ptr[1:])
        self._f_idx = np.concatenate([dst, np.full(spare, self._src)]).astype(np.int32)
        self._order = np.argsort(dst, kind="stable")
        t_rows = np.concatenate([dst[self._order], np.full(spare, self._dst)])
        self._t_ptr = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(t_rows, minlength=n), out=self._t_ptr[1:])
        self._t_idx = np.concatenate([src[self._order], np.full(spare, self._dst)]).astype(
            np.int32)

    def _start_costs(self, d: DecisionCosts) -> np.ndarray:
        """Per table entry, the fixed cost of starting to cross on it (0 off crossings)."""
        by_kind = np.array([crossing_costs_m(d)[k] for k in CROSSING_TYPES])
        return np.where(self._traits.crossing, by_kind[self._traits.kind], 0.0)

    def _profile_weights(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        d = self._profiles[name].decisions
        t, a, b = self._traits, self._arc_src, self._arc_dst
        start = self._start_costs(d)
        trans = turn_costs_m(self._angle, d)
        trans += np.where(t.crossing[b] & ~t.crossing[a], start[b], 0.0)
        trans += np.where(t.tactile[a] & ~t.tactile[b], d.leave_tactile_m, 0.0)
        named = (t.name[a] >= 0) & (t.name[b] >= 0) & (t.name[a] != t.name[b])
        trans += np.where(named & ~t.crossing[a] & ~t.crossing[b], d.street_change_m, 0.0)
        walk = self._c.entry_costs(name)[self._pos[b]]
        weight = np.maximum(trans + walk, _FLOOR)
        spare = np.full(self._spare, np.inf)
        return (np.concatenate([weight, spare]), np.concatenate([weight[self._order], spare]),
                start)

    # ---- queries -------------------------------------------------------------------------------

    def path(self, name: str, start: Snap | int, end: Snap | int, radius: float,
             closed_edges: Collection[int] = ()) -> TurnPath | None:
        """Cheapest path under the profile's edge and decision costs from ``start`` to ``end``
        (a snapped point or a node row), or None; ``radius`` is the first search bound."""
        fwd_w, bwd_w, start_costs = self._ensure(name)
        start, end = self._on_node(start), self._on_node(end)
        if isinstance(start, int) and start == end:
            return TurnPath(0.0, [start], [])
        data = self._c.entry_costs(name, closed_edges)
        seeds = self._seeds(start, data, start_costs)
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
               start_costs: np.ndarray) -> dict[int, tuple[float, bool]]:
        """Start states: {state: (cost of having walked it, is it an inner entry)}."""
        if isinstance(start, Snap):
            return {state: (cost + start_costs[self._table[state]], False)
                    for state, cost in self._partial(start, data, arriving=True)}
        lo, hi = np.searchsorted(self._row, [start, start + 1])
        out = self._pos[lo:hi]
        cost = data[out] + start_costs[lo:hi]
        return {p: (w, True) for p, w in zip(out.tolist(), cost.tolist(), strict=True)
                if math.isfinite(w)}

    def _goals(self, end: Snap | int, data: np.ndarray,
               bwd_w: np.ndarray) -> dict[int, float]:
        """States from which the goal is reached: {state: cost still to pay}."""
        if not isinstance(end, Snap):
            lo, hi = np.searchsorted(self._row, [end, end + 1])
            return dict.fromkeys(self._opposite[lo:hi].tolist(), 0.0)
        goals: dict[int, float] = {}
        for state, cost in self._partial(end, data, arriving=False):
            # arrive at the state's tail, turn into it (its arc weight less the walk), walk part
            lo, hi = self._t_ptr[state], self._t_ptr[state + 1]
            for p, w in zip(self._t_idx[lo:hi].tolist(), bwd_w[lo:hi].tolist(), strict=True):
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
        src_lo, dst_lo = int(self._f_ptr[self._src]), int(self._t_ptr[self._dst])
        f_cells = np.concatenate([np.arange(self._f_ptr[p], self._f_ptr[p + 1]) for p in blocked]
                                 + [np.arange(src_lo, src_lo + len(seeds))]).astype(np.int64)
        t_cells = np.concatenate([np.arange(self._t_ptr[p], self._t_ptr[p + 1]) for p in blocked]
                                 + [np.arange(dst_lo, dst_lo + len(goals))]).astype(np.int64)
        saved = fwd_w[f_cells].copy(), bwd_w[t_cells].copy()
        try:
            fwd_w[f_cells[: len(f_cells) - len(seeds)]] = np.inf
            bwd_w[t_cells[: len(t_cells) - len(goals)]] = np.inf
            self._f_idx[src_lo : src_lo + len(seeds)] = list(seeds)
            fwd_w[src_lo : src_lo + len(seeds)] = [max(c, _FLOOR) for c, _ in seeds.values()]
            self._t_idx[dst_lo : dst_lo + len(goals)] = list(goals)
            bwd_w[dst_lo : dst_lo + len(goals)] = [max(c, _FLOOR) for c in goals.values()]
            return self._widen(fwd_w, bwd_w, seeds, goals, radius, blocked)
        finally:
            fwd_w[f_cells], bwd_w[t_cells] = saved
            self._f_idx[src_lo : src_lo + len(seeds)] = self._src
            self._t_idx[dst_lo : dst_lo + len(goals)] = self._dst

    def _widen(self, fwd_w: np.ndarray, bwd_w: np.ndarray, seeds: dict[int, tuple[float, bool]],
               goals: dict[int, float], radius: float, blocked: list[int]) -> TurnPath | None:
        n = self._states + 2
        fwd = sp.csr_matrix((fwd_w, self._f_idx, self._f_ptr), shape=(n, n), copy=False)
        bwd = sp.csr_matrix((bwd_w, self._t_idx, self._t_ptr), shape=(n, n), copy=False)
        for attempt in range(_ATTEMPTS):
            limit = np.inf if attempt == _ATTEMPTS - 1 else radius
            f, f_pred = dijkstra(fwd, indices=self._src, limit=limit, return_predecessors=True)
            b, b_pred = dijkstra(bwd, indices=self._dst, limit=limit, return_predecessors=True)
            f[blocked], b[blocked] = np.inf, np.inf
            mu, p, q = self._meet(fwd_w, f, b, goals)
            if math.isfinite(mu) and (mu <= 2 * radius or limit == np.inf):
                head = [] if p == self._src else _walk(f_pred, p, self._src)[::-1]
                tail = [] if q == self._dst else _walk(b_pred, q, self._dst)[int(p == q) :]
                return self._unwind(mu, head + tail, seeds)
            if limit == np.inf:
                return None
            radius = mu / 2 if math.isfinite(mu) else radius * _GROW_UNMET
        return None

    def _meet(self, fwd_w: np.ndarray, f: np.ndarray, b: np.ndarray,
              goals: dict[int, float]) -> tuple[float, int, int]:
        """Cheapest join: at a state both searches reached, or over one arc p -> q (arcs from
        the virtual source and into the virtual sink included)."""
        through = f + b
        k = int(np.argmin(through))
        best = (float(through[k]), k, k)
        last = np.array(list(goals), dtype=np.int64)
        total = f[last] + np.array(list(goals.values()))
        j = int(np.argmin(total))
        if total[j] < best[0]:
            best = (float(total[j]), int(last[j]), self._dst)
        rows = np.flatnonzero(np.isfinite(f))
        counts = self._f_ptr[rows + 1] - self._f_ptr[rows]
        cells = np.repeat(self._f_ptr[rows] - (np.cumsum(counts) - counts), counts) + np.arange(
            int(counts.sum()))
        if len(cells):
            heads = np.repeat(rows, counts)
            total = f[heads] + fwd_w[cells] + b[self._f_idx[cells]]
            j = int(np.argmin(total))
            if total[j] < best[0]:
                best = (float(total[j]), int(heads[j]), int(self._f_idx[cells[j]]))
        return best

    def _unwind(self, cost: float, states: list[int],
                seeds: dict[int, tuple[float, bool]]) -> TurnPath:
        inner = states if seeds[states[0]][1] else states[1:]
        first = self._table[states[0]]
        head = self._row[first] if seeds[states[0]][1] else self._col[first]
        nodes = [int(head)] + [int(self._col[self._table[s]]) for s in inner]
        return TurnPath(cost, nodes, inner)


def _walk(pred: np.ndarray, state: int, root: int) -> list[int]:
    """Follow a predecessor row from ``state`` back to (not including) the virtual ``root``."""
    out = [state]
    while pred[out[-1]] >= 0 and pred[out[-1]] != root:
        out.append(int(pred[out[-1]]))
    return out
