"""The array form of the route graph that path search runs on, patchable in place.

Every edge owns a *slot* (its row in the per-slot arrays: ends, costs per profile both ways, the
traits turns look at, the record) and two *entries* in the CSR
:class:`~routing.adjacency.Adjacency` (u -> v and v -> u).
A mapper edit rewrites a handful of array cells; when the adjacency runs out of spare entries it
is laid out again from these arrays, never from networkx. Nodes have a position for snapping.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import networkx as nx
import numpy as np

from routing.adjacency import Adjacency
from routing.columns import GraphColumns, graph_columns
from routing.edgeclasses import edge_classes
from routing.edgegrid import EdgeGrid
from routing.geo import LocalFrame
from routing.graph import edge_records
from routing.model import EdgeRecord, NodeRecord
from routing.profiles import Profile, edge_cost, edge_cost_factors
from routing.turntraits import NO_TRAITS, edge_traits, traits_of

SPARE_NODES = 64
SHORTEST = "shortest"  # plain distance, no rules: explains blocked routes; a test baseline
_ONE_WAY = ("yes", "-1")


@dataclass(frozen=True, slots=True)
class Snap:
    """A point projected onto an edge; ``offset_m`` is measured from the edge's ``u``."""

    edge_id: int
    offset_m: float
    distance_m: float
    lat: float
    lon: float


class CompiledGraph:
    """Node and edge arrays plus one CSR cost matrix per profile (and one of plain lengths).

    Its public methods are all that path search uses: inside a query nodes are CSR rows
    (:meth:`index_of` / :meth:`node_ids_of` translate at the ends) and costs are *entry-cost*
    arrays from :meth:`entry_costs`, one value per CSR entry.
    """

    def __init__(self, graph: nx.MultiGraph, profiles: Mapping[str, Profile],
                 columns: GraphColumns | None = None) -> None:
        """``columns``: the graph's own (:mod:`routing.columns`), when the caller has them
        already; else they are taken from the graph."""
        if columns is None:
            columns = graph_columns(graph)
        elif not columns.matches(graph):
            raise ValueError("columns of another graph")
        self._profiles = dict(profiles)
        node_ids, lat, lon = columns.node_id, columns.node_lat, columns.node_lon
        self._frame = LocalFrame(
            float(np.mean(lat)) if len(lat) else 0.0, float(np.mean(lon)) if len(lon) else 0.0
        )
        self._node_index: dict[int, int] = dict(
            zip(node_ids.tolist(), range(len(node_ids)), strict=True)
        )
        self._rows_taken = len(node_ids)  # rows of removed nodes are retired, never reused
        self._node_ids = np.full(0, -1, dtype=np.int64)
        self._x = np.zeros(0)
        self._y = np.zeros(0)
        self._grow_nodes(len(node_ids) + SPARE_NODES)
        n = len(node_ids)
        self._node_ids[:n] = node_ids
        self._x[:n], self._y[:n] = self._frame.to_xy(lat, lon)
        edges = list(edge_records(graph))
        self._records: list[EdgeRecord | None] = []
        self._slot_of: dict[int, int] = {}
        self._free_slots: list[int] = []
        self._eu = np.zeros(0, dtype=np.int32)
        self._ev = np.zeros(0, dtype=np.int32)
        names = [*self._profiles, SHORTEST]
        self._cost: dict[str, np.ndarray] = {name: np.zeros(0) for name in names}  # u -> v
        self._cost_back: dict[str, np.ndarray] = {name: np.zeros(0) for name in names}  # v -> u
        self._traits = np.zeros((0, 4), dtype=np.int64)  # see routing.turntraits
        #: Per slot, the (x0, y0, x1, y1) its edge is filed under in the grid (its ends as they
        #: were then: a moved node's edges are taken out of the cells they were in).
        self._boxes = np.zeros((0, 4))
        self._names: dict[str, int] = {}  # street name -> the id in the traits
        self._grow_slots(len(edges) + SPARE_NODES)
        self._grid = EdgeGrid()
        self._one_way: set[int] = set()  # slots with a one-way rule for walkers
        self._set_slots_bulk(edges, columns)
        self.adjacency = self._layout()
        self._touched: set[int] = set()

    def _set_slots_bulk(self, edges: list[EdgeRecord], columns: GraphColumns) -> None:
        """What :meth:`_set_slot` does for each edge, with arrays: start-up of a 100k-node city
        must not pay ~30 Python calls per edge."""
        m = len(edges)
        if not m:
            return
        self._free_slots = self._free_slots[: len(self._free_slots) - m]  # slots 0..m-1 taken
        self._slot_of = dict(zip(columns.edge_id.tolist(), range(m), strict=True))
        self._records[:m] = edges
        self._eu[:m], self._ev[:m] = columns.end_rows()
        lengths = columns.length_m
        classes = edge_classes(edges, columns.edge_class)
        one_way = np.array([e.oneway in _ONE_WAY for e in classes.unit], dtype=bool)
        self._one_way = set(np.flatnonzero(one_way[classes.index]).tolist())
        self._traits[:m] = traits_of(classes, self._names)
        for per_slot, backwards in ((self._cost, False), (self._cost_back, True)):
            for name, factors in edge_cost_factors(classes, self._profiles, backwards).items():
                per_slot[name][:m] = np.where(np.isinf(factors), np.inf, lengths * factors)
            per_slot[SHORTEST][:m] = lengths
        u, v = self._eu[:m], self._ev[:m]
        x0, y0, x1, y1 = self._x[u], self._y[u], self._x[v], self._y[v]
        self._boxes[:m] = np.column_stack([x0, y0, x1, y1])
        self._grid.add_many(np.arange(m), x0, y0, x1, y1)

    # ---- sizes ---------------------------------------------------------------------------------

    def _grow_nodes(self, capacity: int) -> None:
        extra = capacity - len(self._node_ids)
        self._node_ids = np.concatenate([self._node_ids, np.full(extra, -1, dtype=np.int64)])
        for name in ("_x", "_y"):
            setattr(self, name, np.concatenate([getattr(self, name), np.zeros(extra)]))

    def _grow_slots(self, capacity: int) -> None:
        extra = capacity - len(self._eu)
        self._free_slots.extend(range(capacity - 1, len(self._eu) - 1, -1))
        self._records.extend([None] * extra)
        self._eu = np.concatenate([self._eu, np.zeros(extra, dtype=np.int32)])
        self._ev = np.concatenate([self._ev, np.zeros(extra, dtype=np.int32)])
        self._traits = np.concatenate([self._traits, np.tile(NO_TRAITS, (extra, 1))])
        self._boxes = np.concatenate([self._boxes, np.zeros((extra, 4))])
        for per_slot in (self._cost, self._cost_back):
            for name, arr in per_slot.items():
                per_slot[name] = np.concatenate([arr, np.full(extra, np.inf)])

    def _new_slot(self, edge_id: int) -> int:
        if not self._free_slots:
            self._grow_slots(len(self._eu) * 3 // 2 + SPARE_NODES)
        slot = self._free_slots.pop()
        self._slot_of[edge_id] = slot
        return slot

    # ---- nodes ---------------------------------------------------------------------------------

    def _set_node(self, node: NodeRecord) -> bool:
        """Insert or move a node; True when a new index was taken."""
        idx = self._node_index.get(node.id)
        is_new = idx is None
        if idx is None:
            idx, self._rows_taken = self._rows_taken, self._rows_taken + 1
            if idx >= len(self._node_ids):
                self._grow_nodes(len(self._node_ids) * 3 // 2 + SPARE_NODES)
            self._node_index[node.id] = idx
        self._node_ids[idx] = node.id
        self._x[idx], self._y[idx] = self._frame.to_xy(node.lat, node.lon)
        return is_new

    def put_node(self, node: NodeRecord) -> None:
        """Add or move a node (edges keep their recorded lengths: re-put them if those change)."""
        capacity = len(self._node_ids)
        self._set_node(node)
        if len(self._node_ids) != capacity:
            self.adjacency = self._layout()
            return
        idx = self._node_index[node.id]
        self._touched.add(idx)
        for slot in self.adjacency.slots_at(idx):
            self._regrid(slot)

    def remove_node(self, node_id: int) -> None:
        """Remove a node and every edge touching it (its index is retired, not reused)."""
        idx = self._node_index.pop(node_id, None)
        if idx is None:
            return
        for slot in self.adjacency.slots_at(idx):
            record = self._records[slot]
            if record is not None:
                self.remove_edge(record.id)
        self._node_ids[idx] = -1

    # ---- edges ---------------------------------------------------------------------------------

    def _file(self, slot: int) -> None:
        """Put a slot's edge in the grid where its ends are now."""
        u, v = self._eu[slot], self._ev[slot]
        self._boxes[slot] = self._x[u], self._y[u], self._x[v], self._y[v]
        self._grid.add(slot, self._filed(slot))

    def _filed(self, slot: int) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = self._boxes[slot].tolist()
        return x0, y0, x1, y1

    def _regrid(self, slot: int) -> None:
        self._grid.remove(slot, self._filed(slot))
        self._file(slot)

    def _set_slot(self, slot: int, edge: EdgeRecord) -> None:
        if edge.u not in self._node_index or edge.v not in self._node_index:
            raise ValueError(f"edge {edge.id} references a missing node ({edge.u} or {edge.v})")
        self._records[slot] = edge
        if edge.oneway in _ONE_WAY:
            self._one_way.add(slot)
        else:
            self._one_way.discard(slot)
        self._eu[slot], self._ev[slot] = self._node_index[edge.u], self._node_index[edge.v]
        self._traits[slot] = edge_traits(edge, self._names)
        for name, profile in self._profiles.items():
            self._cost[name][slot] = edge_cost(edge, profile)
            self._cost_back[name][slot] = edge_cost(edge, profile, backwards=True)
        self._cost[SHORTEST][slot] = self._cost_back[SHORTEST][slot] = edge.length_m
        self._file(slot)

    def put_edge(self, edge: EdgeRecord) -> None:
        """Insert or replace an edge: same ends -> rewrite two cells per profile; else re-link."""
        slot = self._slot_of.get(edge.id)
        old = self._records[slot] if slot is not None else None
        if slot is not None and old is not None and (old.u, old.v) == (edge.u, edge.v):
            self._grid.remove(slot, self._filed(slot))
            self._set_slot(slot, edge)
            self._touched.update((int(self._eu[slot]), int(self._ev[slot])))
            self.adjacency.set_costs(slot, self._slot_costs(self._cost, slot),
                                     self._slot_costs(self._cost_back, slot))
            return
        self.remove_edge(edge.id)
        slot = self._new_slot(edge.id)
        self._set_slot(slot, edge)
        u, v = int(self._eu[slot]), int(self._ev[slot])
        self._touched.update((u, v))
        if not self.adjacency.has_room(u, v):
            self.adjacency = self._layout()
            return
        self.adjacency.append(slot, u, v, self._slot_costs(self._cost, slot),
                              self._slot_costs(self._cost_back, slot))

    @staticmethod
    def _slot_costs(per_slot: dict[str, np.ndarray], slot: int) -> dict[str, float]:
        return {name: float(arr[slot]) for name, arr in per_slot.items()}

    def _layout(self) -> Adjacency:
        """Lay the adjacency out afresh from the slot arrays."""
        alive = np.fromiter(self._slot_of.values(), dtype=np.int64, count=len(self._slot_of))
        return Adjacency(len(self._node_ids), self._eu, self._ev, alive, self._cost,
                         self._cost_back)

    def remove_edge(self, edge_id: int) -> EdgeRecord | None:
        """Unlink an edge; its slot is recycled."""
        slot = self._slot_of.pop(edge_id, None)
        if slot is None:
            return None
        old = self._records[slot]
        self._touched.update((int(self._eu[slot]), int(self._ev[slot])))
        self.adjacency.drop(slot)
        self._grid.remove(slot, self._filed(slot))
        self._records[slot] = None
        self._one_way.discard(slot)
        self._traits[slot] = NO_TRAITS
        for arr in [*self._cost.values(), *self._cost_back.values()]:
            arr[slot] = np.inf
        self._free_slots.append(slot)
        return old

    # ---- queries -------------------------------------------------------------------------------

    def index_of(self, node_id: int) -> int:
        """The CSR row of a node; KeyError when it is not in the graph."""
        return self._node_index[node_id]

    def node_ids_of(self, rows: list[int]) -> list[int]:
        """The node ids of CSR rows."""
        return [int(self._node_ids[i]) for i in rows]

    def straight_m(self, a: int, b: int) -> float:
        """Straight-line distance between two rows' nodes."""
        return math.hypot(self._x[a] - self._x[b], self._y[a] - self._y[b])

    def median_costs_per_m(self) -> dict[str, float]:
        """Per profile (and ``SHORTEST``), the median cost of a metre over the usable edges: what
        a straight line costs, roughly, to size a search."""
        slots = np.fromiter(self._slot_of.values(), dtype=np.int64)
        lengths = self._cost[SHORTEST][slots]
        out = {}
        for name, cost in self._cost.items():
            ratio = cost[slots] / np.maximum(lengths, 0.1)
            finite = ratio[np.isfinite(ratio)]
            out[name] = float(np.median(finite)) if len(finite) else 1.0
        return out

    def edge(self, edge_id: int) -> EdgeRecord:
        """The record of an edge as compiled; KeyError when it is not in the graph."""
        edge = self._records[self._slot_of[edge_id]]
        assert edge is not None
        return edge

    def ends(self, edge_id: int) -> tuple[int, int]:
        """The rows of an edge's ``u`` and ``v``."""
        slot = self._slot_of[edge_id]
        return int(self._eu[slot]), int(self._ev[slot])

    def cost_in(self, entry_costs: np.ndarray, edge_id: int, backwards: bool = False) -> float:
        """An edge's cost ``u -> v`` (``v -> u`` when ``backwards``) in an entry-cost array."""
        forth, back = self.directed_entries(edge_id)
        return float(entry_costs[back if backwards else forth])

    def edge_ids_at(self, entries: list[int]) -> list[int]:
        """The ids of the edges behind CSR entries, e.g. a path's."""
        ids = []
        for pos in entries:
            edge = self._records[self.adjacency.slot_at(pos)]
            assert edge is not None
            ids.append(edge.id)
        return ids

    def edge_costs(self, name: str, closed_edges: Iterable[int]) -> np.ndarray:
        """Per edge slot, its cost under ``name`` the cheaper way, with closed edges at infinity
        (a copy): the filter :meth:`nearest` takes (a one-way edge is usable one way)."""
        costs = np.minimum(self._cost[name], self._cost_back[name])
        costs[[self._slot_of[e] for e in closed_edges if e in self._slot_of]] = np.inf
        return costs

    def nearest(
        self, lat: float, lon: float, max_distance_m: float, edge_costs: np.ndarray | None = None
    ) -> Snap | None:
        """The nearest point on any edge within ``max_distance_m``, optionally only on edges
        with a finite cost in ``edge_costs`` (from :meth:`edge_costs`)."""
        px, py = self._frame.to_xy(lat, lon)
        slots = self._grid.near(px, py, max_distance_m)
        if edge_costs is not None and len(slots):
            slots = slots[np.isfinite(edge_costs[slots])]
        if not len(slots):
            return None
        u, v = self._eu[slots], self._ev[slots]
        ax, ay, dx, dy = self._x[u], self._y[u], self._x[v] - self._x[u], self._y[v] - self._y[u]
        denom = dx * dx + dy * dy
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / np.where(denom == 0, 1, denom), 0, 1)
        dist = np.hypot(px - (ax + t * dx), py - (ay + t * dy))
        best = int(np.argmin(dist))
        if dist[best] > max_distance_m:
            return None
        edge = self._records[int(slots[best])]
        assert edge is not None
        s_lat, s_lon = self._frame.to_latlon(
            ax[best] + t[best] * dx[best], ay[best] + t[best] * dy[best]
        )
        offset = float(t[best]) * edge.length_m
        return Snap(edge.id, offset, float(dist[best]), float(s_lat), float(s_lon))

    # ---- the turn-expanded view ------------------------------------------------------------

    def xy(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Local metres east and north of the rows' nodes."""
        return self._x[rows], self._y[rows]

    def slot_traits(self, slots: np.ndarray) -> np.ndarray:
        """The traits (:mod:`routing.turntraits`) of the edges in these slots, one row each:
        numpy only, so a forked worker reading them keeps sharing the edge records' pages."""
        return self._traits[slots]

    def take_touched(self) -> set[int]:
        """The rows whose edges or position changed since the last call: derived forms (the
        turn-expanded arcs) update around them; when :attr:`adjacency` is a new object (laid
        out anew), everything changed."""
        touched, self._touched = self._touched, set()
        return touched

    @property
    def has_one_way(self) -> bool:
        """Whether any edge is one-way for walkers (so every profile's costs are directed)."""
        return bool(self._one_way)

    def has_edge(self, edge_id: int) -> bool:
        return edge_id in self._slot_of

    def directed_entries(self, edge_id: int) -> tuple[int, int]:
        """The CSR entries walking an edge u -> v and v -> u."""
        return self.adjacency.directed_entries(self._slot_of[edge_id])

    def entry_costs(self, name: str, closed_edges: Iterable[int] = ()) -> np.ndarray:
        """The profile's entry costs; a copy with closed edges at infinity when there are any."""
        entries = [p for e in closed_edges if e in self._slot_of for p in self.directed_entries(e)]
        data = self.adjacency.costs(name)
        if not entries:
            return data
        data = data.copy()
        data[entries] = np.inf
        return data
