"""The array form of the route graph that path search runs on, patchable in place.

Every edge owns a *slot* (its row in the per-slot arrays) and two *entries* in a CSR adjacency
(u -> v and v -> u). Each CSR row keeps a few spare entries (self-loops of infinite cost, which
Dijkstra never relaxes), so a mapper edit rewrites a handful of array cells; only when a row runs
out of spares is the CSR re-laid out — from these arrays, never from networkx. Parallel edges are
separate entries; scipy's Dijkstra relaxes all of them and so takes the cheapest.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping

import networkx as nx
import numpy as np
import scipy.sparse as sp

from routing.geo import LocalFrame
from routing.model import EdgeRecord, NodeRecord
from routing.profiles import Profile, edge_cost

SPARE_PER_ROW = 2
SPARE_NODES = 64
GRID_CELL_M = 50.0
SHORTEST = "shortest"  # plain distance, no rules: explains blocked routes; a test baseline


#: Edge fields no profile looks at: edges equal in every other field cost the same per metre.
_NOT_COSTED = frozenset({"id", "u", "v", "length_m", "osm_way_id", "name"})
_COSTED_FIELDS = operator.attrgetter(
    *(f for f in EdgeRecord._fields if f not in _NOT_COSTED)
)


def edge_cost_factors(
    edges: list[EdgeRecord], profiles: Mapping[str, Profile]
) -> dict[str, np.ndarray]:
    """Per profile, each edge's cost per metre (inf when forbidden), evaluated once per distinct
    set of attributes: a city has thousands of edges for every such set.

    ``length * factor`` equals :func:`edge_cost` exactly, since that is how it is computed.
    """
    keys = [_COSTED_FIELDS(e) for e in edges]
    distinct: dict[tuple[object, ...], int] = {}
    index = np.fromiter((distinct.setdefault(k, len(distinct)) for k in keys), np.int64, len(keys))
    first: dict[int, EdgeRecord] = {}
    for k, e in zip(index.tolist(), edges, strict=True):
        first.setdefault(k, e)
    unit = [first[k]._replace(length_m=1.0) for k in range(len(distinct))]
    return {
        name: np.array([edge_cost(e, p) for e in unit], dtype=float)[index]
        for name, p in profiles.items()
    }


class EdgeGrid:
    """Edges bucketed by the 50 m cells they pass through, for fast snapping.

    The cells *along* a segment, not those of its bounding box: a box grows with the square of
    the length (one 57 km edge covered 650,000 cells, 330 MB), the cells along it linearly.
    """

    def __init__(self) -> None:
        self._cells: defaultdict[tuple[int, int], set[int]] = defaultdict(set)

    @staticmethod
    def _square_cells(x: float, y: float, half_m: float) -> Iterable[tuple[int, int]]:
        c = GRID_CELL_M
        for ix in range(int(np.floor((x - half_m) / c)), int(np.floor((x + half_m) / c)) + 1):
            for iy in range(int(np.floor((y - half_m) / c)), int(np.floor((y + half_m) / c)) + 1):
                yield ix, iy

    def add(self, slot: int, box: tuple[float, float, float, float]) -> None:
        _, cx, cy = segment_cells(*(np.array([b]) for b in box))
        for cell in zip(cx.tolist(), cy.tolist(), strict=True):
            self._cells[cell].add(slot)

    def add_many(
        self, slots: np.ndarray, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray
    ) -> None:
        """:meth:`add` for many edges at once (same cells, vectorised)."""
        owner, cx, cy = segment_cells(x0, y0, x1, y1)
        order = np.lexsort((cy, cx))
        cx, cy, members = cx[order], cy[order], np.asarray(slots)[owner[order]]
        cut = np.flatnonzero((np.diff(cx) != 0) | (np.diff(cy) != 0)) + 1
        starts = np.concatenate([[0], cut]).astype(np.int64).tolist()
        ends = [*cut.tolist(), len(cx)]
        keys = zip(cx[starts].tolist(), cy[starts].tolist(), strict=True)
        member_list = members.tolist()
        for key, a, b in zip(keys, starts, ends, strict=True):
            self._cells[key].update(member_list[a:b])

    def remove(self, slot: int, box: tuple[float, float, float, float]) -> None:
        _, cx, cy = segment_cells(*(np.array([b]) for b in box))
        for cell in zip(cx.tolist(), cy.tolist(), strict=True):
            self._cells.get(cell, set()).discard(slot)

    def near(self, x: float, y: float, radius_m: float) -> np.ndarray:
        """Slots of edges that pass through the square of half-side ``radius_m`` around (x, y)
        (a superset of the edges within ``radius_m``)."""
        found: set[int] = set()
        for cell in self._square_cells(x, y, radius_m):
            found |= self._cells.get(cell, set())
        return np.fromiter(found, dtype=np.int64, count=len(found))


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, .. counts[i] - 1 for each i in turn (the position of each repeated item)."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def segment_cells(
    x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every grid cell each segment touches, as (segment index, cell x, cell y) arrays.

    Column by column: the segment's y-range within a column gives the rows it touches there
    (widened by a micrometre, so rounding never drops a cell the segment grazes).
    """
    c = GRID_CELL_M
    flip = x1 < x0  # walk every segment from its left end
    xa, xb = np.where(flip, x1, x0), np.where(flip, x0, x1)
    ya, yb = np.where(flip, y1, y0), np.where(flip, y0, y1)
    first_col = np.floor(xa / c).astype(np.int64)
    cols = np.floor(xb / c).astype(np.int64) - first_col + 1
    seg = np.repeat(np.arange(len(xa)), cols)
    col = first_col[seg] + _ranks(cols)
    dx = (xb - xa)[seg]
    slope = np.divide((yb - ya)[seg], dx, out=np.zeros_like(dx), where=dx > 0)
    ys = [ya[seg] + slope * (np.clip(edge, xa[seg], xb[seg]) - xa[seg])
          for edge in (col * c, (col + 1) * c)]
    vertical = dx == 0
    low = np.where(vertical, np.minimum(ya, yb)[seg], np.minimum(*ys)) - 1e-6
    high = np.where(vertical, np.maximum(ya, yb)[seg], np.maximum(*ys)) + 1e-6
    first_row = np.floor(low / c).astype(np.int64)
    rows = np.floor(high / c).astype(np.int64) - first_row + 1
    return np.repeat(seg, rows), np.repeat(col, rows), np.repeat(first_row, rows) + _ranks(rows)


class CompiledGraph:
    """Node and edge arrays plus one CSR cost matrix per profile (and one of plain lengths)."""

    def __init__(self, graph: nx.MultiGraph, profiles: Mapping[str, Profile]) -> None:
        self.profiles = dict(profiles)
        node_ids = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
        lat = np.fromiter((d["lat"] for _, d in graph.nodes(data=True)), float, len(node_ids))
        lon = np.fromiter((d["lon"] for _, d in graph.nodes(data=True)), float, len(node_ids))
        self.frame = LocalFrame(
            float(np.mean(lat)) if len(lat) else 0.0, float(np.mean(lon)) if len(lon) else 0.0
        )
        self.node_index: dict[int, int] = dict(
            zip(node_ids.tolist(), range(len(node_ids)), strict=True)
        )
        self.node_ids = np.full(0, -1, dtype=np.int64)
        self.x = np.zeros(0)
        self.y = np.zeros(0)
        self.lat = np.zeros(0)
        self.lon = np.zeros(0)
        self._grow_nodes(len(node_ids) + SPARE_NODES)
        n = len(node_ids)
        self.node_ids[:n], self.lat[:n], self.lon[:n] = node_ids, lat, lon
        self.x[:n], self.y[:n] = self.frame.to_xy(lat, lon)
        # the id index (routing.graph keeps it true) is several times faster to walk than networkx
        edges: list[EdgeRecord] = list(graph.graph["edges"].values())
        self.records: list[EdgeRecord | None] = []
        self.slot_of: dict[int, int] = {}
        self.free_slots: list[int] = []
        self.eu = np.zeros(0, dtype=np.int32)
        self.ev = np.zeros(0, dtype=np.int32)
        self.cost: dict[str, np.ndarray] = {
            name: np.zeros(0) for name in [*self.profiles, SHORTEST]
        }
        self._grow_slots(len(edges) + SPARE_NODES)
        self.grid = EdgeGrid()
        self._old_boxes: dict[int, tuple[float, float, float, float]] = {}
        self._set_slots_bulk(edges)
        self.layout()

    def _set_slots_bulk(self, edges: list[EdgeRecord]) -> None:
        """What :meth:`_set_slot` does for each edge, with arrays: start-up of a 100k-node city
        must not pay ~30 Python calls per edge."""
        m = len(edges)
        if not m:
            return
        slots = np.arange(m)
        self.free_slots = self.free_slots[: len(self.free_slots) - m]  # slots 0..m-1 taken
        self.slot_of = dict(zip((e.id for e in edges), range(m), strict=True))
        self.records[:m] = edges
        try:
            self.eu[:m] = [self.node_index[e.u] for e in edges]
            self.ev[:m] = [self.node_index[e.v] for e in edges]
        except KeyError:
            bad = next(e for e in edges if e.u not in self.node_index or e.v not in self.node_index)
            raise ValueError(
                f"edge {bad.id} references a missing node ({bad.u} or {bad.v})"
            ) from None
        lengths = np.fromiter((e.length_m for e in edges), float, m)
        for name, factors in edge_cost_factors(edges, self.profiles).items():
            self.cost[name][:m] = np.where(np.isinf(factors), np.inf, lengths * factors)
        self.cost[SHORTEST][:m] = lengths
        u, v = self.eu[:m], self.ev[:m]
        x0, y0, x1, y1 = self.x[u], self.y[u], self.x[v], self.y[v]
        self._old_boxes = dict(
            zip(
                slots.tolist(),
                zip(x0.tolist(), y0.tolist(), x1.tolist(), y1.tolist(), strict=True),
                strict=True,
            )
        )
        self.grid.add_many(slots, x0, y0, x1, y1)

    # ---- sizes ---------------------------------------------------------------------------------

    def _grow_nodes(self, capacity: int) -> None:
        extra = capacity - len(self.node_ids)
        self.node_ids = np.concatenate([self.node_ids, np.full(extra, -1, dtype=np.int64)])
        for name in ("x", "y", "lat", "lon"):
            setattr(self, name, np.concatenate([getattr(self, name), np.zeros(extra)]))

    def _grow_slots(self, capacity: int) -> None:
        extra = capacity - len(self.eu)
        self.free_slots.extend(range(capacity - 1, len(self.eu) - 1, -1))
        self.records.extend([None] * extra)
        self.eu = np.concatenate([self.eu, np.zeros(extra, dtype=np.int32)])
        self.ev = np.concatenate([self.ev, np.zeros(extra, dtype=np.int32)])
        for name, arr in self.cost.items():
            self.cost[name] = np.concatenate([arr, np.full(extra, np.inf)])

    def _new_slot(self, edge_id: int) -> int:
        if not self.free_slots:
            self._grow_slots(len(self.eu) * 3 // 2 + SPARE_NODES)
        slot = self.free_slots.pop()
        self.slot_of[edge_id] = slot
        return slot

    # ---- nodes ---------------------------------------------------------------------------------

    def _set_node(self, node: NodeRecord) -> bool:
        """Insert or move a node; True when a new index was taken."""
        idx = self.node_index.get(node.id)
        is_new = idx is None
        if idx is None:
            idx = len(self.node_index)
            if idx >= len(self.node_ids):
                self._grow_nodes(len(self.node_ids) * 3 // 2 + SPARE_NODES)
            self.node_index[node.id] = idx
        self.node_ids[idx] = node.id
        self.lat[idx], self.lon[idx] = node.lat, node.lon
        self.x[idx], self.y[idx] = self.frame.to_xy(node.lat, node.lon)
        return is_new

    def put_node(self, node: NodeRecord) -> None:
        """Add or move a node (edges keep their recorded lengths: re-put them if those change)."""
        capacity = len(self.node_ids)
        self._set_node(node)
        if len(self.node_ids) != capacity:
            self.layout()
            return
        idx = self.node_index[node.id]
        for slot in self.slots_at(idx):
            self._regrid(slot)

    def remove_node(self, node_id: int) -> None:
        """Remove a node and every edge touching it (its index is retired, not reused)."""
        idx = self.node_index.pop(node_id, None)
        if idx is None:
            return
        for slot in self.slots_at(idx):
            record = self.records[slot]
            if record is not None:
                self.remove_edge(record.id)
        self.node_ids[idx] = -1

    def slots_at(self, idx: int) -> list[int]:
        lo = self.indptr[idx]
        return sorted({int(s) for s in self.entry_slot[lo : lo + self.fill[idx]] if s >= 0})

    # ---- edges ---------------------------------------------------------------------------------

    def _box(self, slot: int) -> tuple[float, float, float, float]:
        u, v = self.eu[slot], self.ev[slot]
        return self.x[u], self.y[u], self.x[v], self.y[v]

    def _regrid(self, slot: int) -> None:
        self.grid.remove(slot, self._old_boxes.pop(slot))
        self._old_boxes[slot] = self._box(slot)
        self.grid.add(slot, self._old_boxes[slot])

    def _set_slot(self, slot: int, edge: EdgeRecord) -> None:
        if edge.u not in self.node_index or edge.v not in self.node_index:
            raise ValueError(f"edge {edge.id} references a missing node ({edge.u} or {edge.v})")
        self.records[slot] = edge
        self.eu[slot], self.ev[slot] = self.node_index[edge.u], self.node_index[edge.v]
        for name, profile in self.profiles.items():
            self.cost[name][slot] = edge_cost(edge, profile)
        self.cost[SHORTEST][slot] = edge.length_m
        self._old_boxes[slot] = self._box(slot)
        self.grid.add(slot, self._old_boxes[slot])

    def put_edge(self, edge: EdgeRecord) -> None:
        """Insert or replace an edge: same ends -> rewrite two cells per profile; else re-link."""
        slot = self.slot_of.get(edge.id)
        old = self.records[slot] if slot is not None else None
        if slot is not None and old is not None and (old.u, old.v) == (edge.u, edge.v):
            self.grid.remove(slot, self._old_boxes.pop(slot))
            self._set_slot(slot, edge)
            for name in self.data:
                self.data[name][[self.pos_fwd[slot], self.pos_bwd[slot]]] = self.cost[name][slot]
            return
        self.remove_edge(edge.id)
        slot = self._new_slot(edge.id)
        self._set_slot(slot, edge)
        u, v = self.eu[slot], self.ev[slot]
        room = self.capacity(u) - self.fill[u] >= (2 if u == v else 1) and (
            self.capacity(v) - self.fill[v] >= 1
        )
        if not room:
            self.layout()
            return
        self.pos_fwd[slot] = self._append_entry(u, v, slot)
        self.pos_bwd[slot] = self._append_entry(v, u, slot)

    def remove_edge(self, edge_id: int) -> EdgeRecord | None:
        """Unlink an edge; its slot is recycled."""
        slot = self.slot_of.pop(edge_id, None)
        if slot is None:
            return None
        old = self.records[slot]
        self._drop_entry(int(self.pos_fwd[slot]))
        self._drop_entry(int(self.pos_bwd[slot]))
        self.grid.remove(slot, self._old_boxes.pop(slot))
        self.records[slot] = None
        for arr in self.cost.values():
            arr[slot] = np.inf
        self.free_slots.append(slot)
        return old

    # ---- CSR -----------------------------------------------------------------------------------

    def capacity(self, row: int) -> int:
        return int(self.indptr[row + 1] - self.indptr[row])

    def _append_entry(self, row: int, col: int, slot: int) -> int:
        pos = int(self.indptr[row] + self.fill[row])
        self.fill[row] += 1
        self.indices[pos], self.entry_slot[pos] = col, slot
        for name, arr in self.data.items():
            arr[pos] = self.cost[name][slot]
        return pos

    def _drop_entry(self, pos: int) -> None:
        """Move the row's last used entry into ``pos`` and turn the last one into a spare."""
        row = int(np.searchsorted(self.indptr, pos, side="right") - 1)
        last = int(self.indptr[row] + self.fill[row] - 1)
        moved = int(self.entry_slot[last])
        if last != pos:
            self.indices[pos], self.entry_slot[pos] = self.indices[last], moved
            for arr in self.data.values():
                arr[pos] = arr[last]
            if self.pos_fwd[moved] == last:
                self.pos_fwd[moved] = pos
            else:
                self.pos_bwd[moved] = pos
        self.indices[last], self.entry_slot[last] = row, -1
        for arr in self.data.values():
            arr[last] = np.inf
        self.fill[row] -= 1

    def layout(self) -> None:
        """(Re)build the CSR arrays from the slot arrays, with spare entries on every row."""
        n = len(self.node_ids)
        alive = np.array([s for s in self.slot_of.values()], dtype=np.int64)
        rows = np.concatenate([self.eu[alive], self.ev[alive]]).astype(np.int64)
        cols = np.concatenate([self.ev[alive], self.eu[alive]])
        slots = np.concatenate([alive, alive])
        order = np.argsort(rows, kind="stable")
        counts = np.bincount(rows, minlength=n)
        self.indptr = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(counts + SPARE_PER_ROW, out=self.indptr[1:])
        rank = np.arange(len(order)) - (np.cumsum(counts) - counts)[rows[order]]
        pos_sorted = self.indptr[rows[order]] + rank
        self.indices = np.repeat(np.arange(n, dtype=np.int32), counts + SPARE_PER_ROW)
        self.indices[pos_sorted] = cols[order]
        self.entry_slot = np.full(len(self.indices), -1, dtype=np.int64)
        self.entry_slot[pos_sorted] = slots[order]
        self.fill = counts.astype(np.int32)
        pos = np.empty(len(order), dtype=np.int64)
        pos[order] = pos_sorted
        self.pos_fwd = np.zeros(len(self.eu), dtype=np.int64)
        self.pos_bwd = np.zeros(len(self.eu), dtype=np.int64)
        self.pos_fwd[alive], self.pos_bwd[alive] = pos[: len(alive)], pos[len(alive) :]
        self.data: dict[str, np.ndarray] = {}
        for name, per_slot in self.cost.items():
            self.data[name] = np.full(len(self.indices), np.inf)
            self.data[name][pos_sorted] = per_slot[slots[order]]

    def matrix(self, data: np.ndarray) -> sp.csr_matrix:
        """A CSR matrix view over ``data`` (shared arrays, no copy)."""
        n = len(self.node_ids)
        return sp.csr_matrix((data, self.indices, self.indptr), shape=(n, n), copy=False)

    def masked(self, name: str, closed_edges: Iterable[int]) -> np.ndarray:
        """The profile's entry costs; a copy with closed edges at infinity when there are any."""
        slots = [self.slot_of[e] for e in closed_edges if e in self.slot_of]
        if not slots:
            return self.data[name]
        data = self.data[name].copy()
        data[self.pos_fwd[slots]] = np.inf
        data[self.pos_bwd[slots]] = np.inf
        return data

    def row_entries(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All used entry positions of the given rows, and the index (into ``rows``) of each."""
        counts = self.fill[rows].astype(np.int64)
        starts = self.indptr[rows].astype(np.int64)
        offsets = np.cumsum(counts) - counts
        pos = np.repeat(starts - offsets, counts) + np.arange(int(counts.sum()))
        return pos, np.repeat(np.arange(len(rows)), counts)
