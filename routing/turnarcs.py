"""The arcs of the turn-expanded search (see :mod:`routing.turngraph`), kept in step with a
:class:`~routing.compiled.CompiledGraph` edit by edit.

A *state* is an entry position of the compiled adjacency (walking an edge from its row's node to
its column's); spare positions are states without arcs. An arc ``p -> q`` joins a state to one
that leaves the node ``p`` arrives at on another edge; it costs the transition there (turn,
crossing, street change, leaving tactile paving) plus walking ``q``. The arcs are held twice, as
CSR arrays over the states: forward (a row's arcs lead on from its state) and reverse (a row's
arcs lead into its state). Weights are float32: half the memory the search streams through (7 %
less time a query on the 100k grid), and a relative error of 6e-8 an arc where routes are
compared to 1e-4; the search adds them up in float64.

Every arc through a node depends only on the entries at that node and at the nodes next to it,
so an edit rewrites the rows of the states around the nodes it touched (a few dozen rows, spliced
into the arrays) instead of rebuilding a city's arcs (0.8 s on the 100k grid). When the compiled
adjacency is laid out anew, positions change meaning and everything is rebuilt.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from routing.adjacency import Adjacency
from routing.compiled import CompiledGraph
from routing.decisions import crossing_costs_m, turn_costs_m
from routing.profiles import DecisionCosts, Profile
from routing.simplicity import CROSSING_TYPES
from routing.turntraits import CROSSING, KIND, NAME, TACTILE

#: Rows of a matrix to replace, the row of each new cell, the new cells' indices and their
#: weights per profile (in the order of ``TurnArcs.weights``).
_Rows = tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]


class TurnArcs:
    """Forward and reverse arc matrices (``f_ptr``/``f_idx``, ``t_ptr``/``t_idx``) and, per
    profile asked for, their weights; per state its node row, column, edge slot, opposite state,
    bearing and traits."""

    def __init__(self, compiled: CompiledGraph, profiles: Mapping[str, Profile]) -> None:
        self._c = compiled
        self._profiles = profiles
        self._adjacency: Adjacency | None = None
        #: Per profile, how many edits made an arc cheaper or added one (or laid the states
        #: out anew): lower bounds measured at another count may be too high now.
        self.cuts = dict.fromkeys(profiles, 0)

    def ensure(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A profile's forward and reverse arc weights, after catching up with the edits."""
        if self._adjacency is not self._c.adjacency:
            self._build()
        else:
            touched = self._c.take_touched()
            if touched:
                self._update(np.array(sorted(touched), dtype=np.int64))
        if name not in self.weights:
            self.weights[name] = self._weights_of(name)
        return self.weights[name]

    # ---- per state -----------------------------------------------------------------------------

    def _refresh(self, rows: np.ndarray) -> None:
        """Re-read what the states of these rows are (every position of them, spares too)."""
        a = self._adjacency
        assert a is not None
        positions = a.positions_in(rows)
        for arr in (self.col, self.slot, self.opposite, self._name):
            arr[positions] = -1
        for flag in (self._bearing, self._crossing, self._kind, self._tactile):
            flag[positions] = 0
        pos, col, slot, opposite = a.entries(rows)
        self.col[pos], self.slot[pos], self.opposite[pos] = col, slot, opposite
        x0, y0 = self._c.xy(self.row[pos])
        x1, y1 = self._c.xy(col)
        self._bearing[pos] = np.degrees(np.arctan2(x1 - x0, y1 - y0))
        traits = self._c.slot_traits(slot)
        self._crossing[pos], self._kind[pos] = traits[:, CROSSING] > 0, traits[:, KIND]
        self._tactile[pos], self._name[pos] = traits[:, TACTILE] > 0, traits[:, NAME]

    def start_costs(self, d: DecisionCosts, states: np.ndarray) -> np.ndarray:
        """Per state, the fixed cost of starting to cross on it (0 off crossings)."""
        by_kind = np.array([crossing_costs_m(d)[k] for k in CROSSING_TYPES])
        return np.where(self._crossing[states], by_kind[self._kind[states]], 0.0)

    # ---- arcs ----------------------------------------------------------------------------------

    def _out_arcs(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(from, to) of the arcs leaving used ``states`` (sorted), grouped by state."""
        states = states[self.col[states] >= 0]
        assert self._adjacency is not None
        pos, group, _ = self._adjacency.row_entries(self.col[states])
        src = states[group]
        keep = self.slot[pos] != self.slot[src]  # never back along the same edge
        return src[keep], pos[keep]

    def _in_arcs(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(into, from) of the arcs arriving at used ``states`` (sorted), grouped by state."""
        states = states[self.col[states] >= 0]
        assert self._adjacency is not None
        pos, group, _ = self._adjacency.row_entries(self.row[states])
        dst = states[group]
        keep = self.slot[pos] != self.slot[dst]
        return dst[keep], self.opposite[pos[keep]]

    def _arc_weights(self, name: str, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """Transition at the node between plus walking ``dst``, per arc."""
        d = self._profiles[name].decisions
        crossing_a, crossing_b = self._crossing[src], self._crossing[dst]
        name_a, name_b = self._name[src], self._name[dst]
        angle = np.abs((self._bearing[dst] - self._bearing[src] + 180.0) % 360.0 - 180.0)
        trans = turn_costs_m(angle, d)
        trans += np.where(crossing_b & ~crossing_a, self.start_costs(d, dst), 0.0)
        trans += np.where(self._tactile[src] & ~self._tactile[dst], d.leave_tactile_m, 0.0)
        named = (name_a >= 0) & (name_b >= 0) & (name_a != name_b)
        trans += np.where(named & ~crossing_a & ~crossing_b, d.street_change_m, 0.0)
        return trans + self._c.entry_costs(name)[dst]

    # ---- building ------------------------------------------------------------------------------

    def _build(self) -> None:
        """Everything from the compiled adjacency as it is now."""
        a = self._c.adjacency
        self._adjacency = a
        self._c.take_touched()
        n = a.capacity
        self.states = n
        self.row = a.row_of_positions().astype(np.int64)
        self.col = np.full(n, -1, dtype=np.int64)
        self.slot = np.full(n, -1, dtype=np.int64)
        self.opposite = np.full(n, -1, dtype=np.int64)
        self._bearing = np.zeros(n)
        self._crossing, self._tactile = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        self._kind, self._name = np.zeros(n, dtype=np.int64), np.full(n, -1, dtype=np.int64)
        every_row = np.arange(a.rows)
        self._refresh(every_row)
        everything = np.arange(n)
        f_src, f_dst = self._out_arcs(everything)
        t_dst, t_src = self._in_arcs(everything)
        self.f_ptr, self.t_ptr = _pointers(f_src, n), _pointers(t_dst, n)
        self.f_idx, self.t_idx = f_dst.astype(np.int32), t_src.astype(np.int32)
        self.weights: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name in self.cuts:
            self.cuts[name] += 1

    def _weights_of(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        n = self.states
        f_src = np.repeat(np.arange(n), np.diff(self.f_ptr))
        t_dst = np.repeat(np.arange(n), np.diff(self.t_ptr))
        return (self._arc_weights(name, f_src, self.f_idx).astype(np.float32),
                self._arc_weights(name, self.t_idx, t_dst).astype(np.float32))

    def _update(self, touched: np.ndarray) -> None:
        """Rewrite the rows of every state whose arcs pass through a touched node or one next
        to it (a moved node turns the bearings of its neighbours' arcs; a dropped entry moves
        another one of its row, whose arcs run through the node it leads to)."""
        a = self._adjacency
        assert a is not None
        at_touched = a.positions_in(touched)
        old_cols = self.col[at_touched]
        near = np.unique(np.concatenate([touched, old_cols[old_cols >= 0],
                                         a.entries(touched)[1]]))
        around = a.positions_in(near)
        before = self.opposite[around]
        self._refresh(near)
        after = self.opposite[around]
        forward = np.unique(np.concatenate([around, before[before >= 0], after[after >= 0]]))
        f_src, f_dst = self._out_arcs(forward)
        t_dst, t_src = self._in_arcs(around)
        f_weights = [self._arc_weights(k, f_src, f_dst) for k in self.weights]
        self._count_cuts(forward, f_src, f_dst, f_weights)
        self._replace_rows((forward, f_src, f_dst, f_weights),
                           (around, t_dst, t_src, [self._arc_weights(k, t_src, t_dst)
                                                   for k in self.weights]))

    def _count_cuts(self, rows: np.ndarray, src: np.ndarray, dst: np.ndarray,
                    weights: list[np.ndarray]) -> None:
        """Count a cut for each profile under which an arc of the new forward ``rows`` (from
        ``src`` to ``dst``, ``weights`` per profile) is new or cheaper than before."""
        lo, hi = self.f_ptr[rows].astype(np.int64), self.f_ptr[rows + 1].astype(np.int64)
        counts = hi - lo
        cells = np.repeat(lo - (np.cumsum(counts) - counts), counts) + np.arange(counts.sum())
        old_keys = np.repeat(rows, counts) * self.states + self.f_idx[cells]
        order = np.argsort(old_keys)
        keys = src * self.states + dst
        at = np.minimum(np.searchsorted(old_keys, keys, sorter=order), max(len(order) - 1, 0))
        known = old_keys[order[at]] == keys if len(order) else np.zeros(len(keys), bool)
        for name, new in zip(self.weights, weights, strict=True):
            old = self.weights[name][0][cells][order[at]] if len(order) else new
            if not (known & (new.astype(np.float32) >= old)).all():
                self.cuts[name] += 1

    def _replace_rows(self, forward: _Rows, reverse: _Rows) -> None:
        """Put new cells in place of whole rows of the forward and the reverse matrix."""
        names = list(self.weights)
        rows, new_rows, idx, weights = forward
        self.f_ptr, f_arrays = _splice(
            self.f_ptr, [self.f_idx, *(self.weights[k][0] for k in names)], rows, new_rows,
            [idx, *weights])
        rows, new_rows, idx, weights = reverse
        self.t_ptr, t_arrays = _splice(
            self.t_ptr, [self.t_idx, *(self.weights[k][1] for k in names)], rows, new_rows,
            [idx, *weights])
        self.f_idx, self.t_idx = f_arrays[0], t_arrays[0]
        self.weights = {k: (f, t) for k, f, t in zip(names, f_arrays[1:], t_arrays[1:],
                                                     strict=True)}


def _pointers(rows: np.ndarray, states: int) -> np.ndarray:
    """CSR row pointers of cells grouped by their (sorted) ``rows``."""
    ptr = np.zeros(states + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=states), out=ptr[1:])
    return ptr


def _splice(ptr: np.ndarray, arrays: list[np.ndarray], rows: np.ndarray, new_rows: np.ndarray,
            new_arrays: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Replace the cells of ``rows`` (sorted, unique) in CSR ``arrays`` by the cells in
    ``new_arrays``, whose rows are ``new_rows`` (sorted, each among ``rows``): one copy of
    each array, in slices."""
    starts, ends = ptr[rows].tolist(), ptr[rows + 1].tolist()
    new_starts = np.searchsorted(new_rows, rows).tolist()
    new_ends = np.searchsorted(new_rows, rows, side="right").tolist()
    out = []
    for arr, new in zip(arrays, new_arrays, strict=True):
        new = new.astype(arr.dtype)
        pieces, kept_from = [], 0
        for s, e, ns, ne in zip(starts, ends, new_starts, new_ends, strict=True):
            pieces += [arr[kept_from:s], new[ns:ne]]
            kept_from = e
        pieces.append(arr[kept_from:])
        out.append(np.concatenate(pieces))
    delta = np.zeros(len(ptr) - 1, dtype=np.int64)
    delta[rows] = np.array(new_ends) - np.array(new_starts) - (np.array(ends) - np.array(starts))
    new_ptr = ptr.copy()
    new_ptr[1:] += np.cumsum(delta).astype(ptr.dtype)
    return new_ptr, out
