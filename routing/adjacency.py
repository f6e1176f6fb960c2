"""Both directions of every edge as entries of one CSR matrix, with spare entries on every row.

Every edge *slot* (see :mod:`routing.compiled`) owns two *entries*: ``u -> v`` and ``v -> u``.
Each row keeps a few spare entries (self-loops of infinite cost, which Dijkstra never relaxes),
so an edit rewrites a handful of array cells; only when a row runs out of spares is the whole
matrix laid out again, from the slot arrays. Parallel edges are separate entries; scipy's
Dijkstra relaxes all of them and so takes the cheapest. One data array per cost name holds the
cost of walking each entry.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

SPARE_PER_ROW = 2


class Adjacency:
    """The CSR arrays (``indptr``, ``indices``, one data array per cost name) and, per slot, the
    positions of its two entries."""

    def __init__(self, n_rows: int, eu: np.ndarray, ev: np.ndarray, alive: np.ndarray,
                 cost: Mapping[str, np.ndarray], cost_back: Mapping[str, np.ndarray]) -> None:
        """Lay out the slots ``alive`` (rows ``eu``/``ev`` and per-slot costs both ways)."""
        rows = np.concatenate([eu[alive], ev[alive]]).astype(np.int64)
        cols = np.concatenate([ev[alive], eu[alive]])
        slots = np.concatenate([alive, alive])
        order = np.argsort(rows, kind="stable")
        counts = np.bincount(rows, minlength=n_rows)
        self._indptr = np.zeros(n_rows + 1, dtype=np.int32)
        np.cumsum(counts + SPARE_PER_ROW, out=self._indptr[1:])
        rank = np.arange(len(order)) - (np.cumsum(counts) - counts)[rows[order]]
        pos_sorted = self._indptr[rows[order]] + rank
        self._indices = np.repeat(np.arange(n_rows, dtype=np.int32), counts + SPARE_PER_ROW)
        self._indices[pos_sorted] = cols[order]
        self._entry_slot = np.full(len(self._indices), -1, dtype=np.int64)
        self._entry_slot[pos_sorted] = slots[order]
        self._fill = counts.astype(np.int32)
        pos = np.empty(len(order), dtype=np.int64)
        pos[order] = pos_sorted
        self._pos_fwd = np.zeros(len(eu), dtype=np.int64)
        self._pos_bwd = np.zeros(len(eu), dtype=np.int64)
        self._pos_fwd[alive], self._pos_bwd[alive] = pos[: len(alive)], pos[len(alive) :]
        self._data: dict[str, np.ndarray] = {}
        for name in cost:
            both_ways = np.concatenate([cost[name][alive], cost_back[name][alive]])
            self._data[name] = np.full(len(self._indices), np.inf)
            self._data[name][pos_sorted] = both_ways[order]

    # ---- edits ---------------------------------------------------------------------------------

    def has_room(self, u: int, v: int) -> bool:
        """Whether rows ``u`` and ``v`` have the spare entries a new edge between them takes."""
        return self._spare(u) >= (2 if u == v else 1) and self._spare(v) >= 1

    def _spare(self, row: int) -> int:
        return int(self._indptr[row + 1] - self._indptr[row] - self._fill[row])

    def append(self, slot: int, u: int, v: int, cost: Mapping[str, float],
               cost_back: Mapping[str, float]) -> None:
        """Link a slot's two entries into spares (the caller checked :meth:`has_room`)."""
        if slot >= len(self._pos_fwd):
            grow = np.zeros(max(slot + 1 - len(self._pos_fwd), len(self._pos_fwd) // 2),
                            dtype=np.int64)
            self._pos_fwd = np.concatenate([self._pos_fwd, grow])
            self._pos_bwd = np.concatenate([self._pos_bwd, grow])
        self._pos_fwd[slot] = self._append_entry(u, v, slot, cost)
        self._pos_bwd[slot] = self._append_entry(v, u, slot, cost_back)

    def set_costs(self, slot: int, cost: Mapping[str, float],
                  cost_back: Mapping[str, float]) -> None:
        """Rewrite a linked slot's costs both ways."""
        for name, data in self._data.items():
            data[self._pos_fwd[slot]] = cost[name]
            data[self._pos_bwd[slot]] = cost_back[name]

    def drop(self, slot: int) -> None:
        """Unlink a slot's two entries."""
        self._drop_entry(int(self._pos_fwd[slot]))
        self._drop_entry(int(self._pos_bwd[slot]))

    def _append_entry(self, row: int, col: int, slot: int, cost: Mapping[str, float]) -> int:
        pos = int(self._indptr[row] + self._fill[row])
        self._fill[row] += 1
        self._indices[pos], self._entry_slot[pos] = col, slot
        for name, arr in self._data.items():
            arr[pos] = cost[name]
        return pos

    def _drop_entry(self, pos: int) -> None:
        """Move the row's last used entry into ``pos`` and turn the last one into a spare."""
        row = int(np.searchsorted(self._indptr, pos, side="right") - 1)
        last = int(self._indptr[row] + self._fill[row] - 1)
        moved = int(self._entry_slot[last])
        if last != pos:
            self._indices[pos], self._entry_slot[pos] = self._indices[last], moved
            for arr in self._data.values():
                arr[pos] = arr[last]
            if self._pos_fwd[moved] == last:
                self._pos_fwd[moved] = pos
            else:
                self._pos_bwd[moved] = pos
        self._indices[last], self._entry_slot[last] = row, -1
        for arr in self._data.values():
            arr[last] = np.inf
        self._fill[row] -= 1

    # ---- reading -------------------------------------------------------------------------------

    def slots_at(self, row: int) -> list[int]:
        """The slots of the edges touching a row's node."""
        lo = self._indptr[row]
        return sorted({int(s) for s in self._entry_slot[lo : lo + self._fill[row]] if s >= 0})

    def slot_at(self, pos: int) -> int:
        """The slot behind a used entry."""
        return int(self._entry_slot[pos])

    def directed_entries(self, slot: int) -> tuple[int, int]:
        """The entries walking a slot's edge u -> v and v -> u."""
        return int(self._pos_fwd[slot]), int(self._pos_bwd[slot])

    def costs(self, name: str) -> np.ndarray:
        """The entry costs under a cost name (the live array: read it, never write it)."""
        return self._data[name]

    def matrix(self, data: np.ndarray) -> sp.csr_matrix:
        """A CSR matrix view over ``data`` (shared arrays, no copy)."""
        n = len(self._indptr) - 1
        return sp.csr_matrix((data, self._indices, self._indptr), shape=(n, n), copy=False)

    def reversed_costs(self, entry_costs: np.ndarray) -> np.ndarray:
        """Each entry's edge walked the other way: the costs a search *towards* a point runs on
        (the CSR is symmetric in its entries, so this is the transpose's data)."""
        used = np.flatnonzero(self._entry_slot >= 0)
        out = entry_costs.copy()
        out[used] = entry_costs[self._opposite(used)]
        return out

    def _opposite(self, used: np.ndarray) -> np.ndarray:
        """The entry walking the same edge the other way, for used entries."""
        slots = self._entry_slot[used]
        fwd = self._pos_fwd[slots]
        return np.where(fwd == used, self._pos_bwd[slots], fwd)

    def row_entries(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All used entry positions of the given rows, the index (into ``rows``) of each, and
        the row each leads to."""
        counts = self._fill[rows].astype(np.int64)
        starts = self._indptr[rows].astype(np.int64)
        offsets = np.cumsum(counts) - counts
        pos = np.repeat(starts - offsets, counts) + np.arange(int(counts.sum()))
        return pos, np.repeat(np.arange(len(rows)), counts), self._indices[pos]

    def entries(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The used entries of the given rows as (position, column, slot, opposite entry's
        position), in the order of ``rows``: the states of a search that knows where the walker
        came from."""
        pos, _, cols = self.row_entries(rows)
        return pos, cols.astype(np.int64), self._entry_slot[pos], self._opposite(pos)

    def positions_in(self, rows: np.ndarray) -> np.ndarray:
        """Every entry position of the given rows, spares included (a position stays in its row
        until the matrix is laid out again)."""
        starts = self._indptr[rows].astype(np.int64)
        counts = self._indptr[rows + 1].astype(np.int64) - starts
        return np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(
            int(counts.sum()))

    def row_of_positions(self) -> np.ndarray:
        """The row of every entry position."""
        return np.repeat(np.arange(len(self._indptr) - 1), np.diff(self._indptr))

    @property
    def rows(self) -> int:
        return len(self._indptr) - 1

    def degree(self, rows: np.ndarray) -> int:
        """The most used entries any of the rows has."""
        return int(self._fill[rows].max()) if len(rows) else 0

    @property
    def capacity(self) -> int:
        """How many entries, spares included."""
        return len(self._indices)
