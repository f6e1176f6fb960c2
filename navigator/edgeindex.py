"""Where every edge of the live map is, as numpy columns: a map view is one vectorised comparison
over a city's 200k edges, never a walk over them in Python.

Built once per whole map, then brought up to date by each edit in place (:meth:`EdgeIndex.follow`):
building it took 0.3-1.5 s on the 101k-node synthetic city, after every edit. The one mutable
object here, on purpose: a copy per edit would cost what the rebuild did.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx
import numpy as np

from navigator.bbox import BBox
from navigator.storage import MapChange
from routing.graph import edge_records
from routing.model import EdgeRecord

#: Dead rows (edges deleted or changed since the build) are dropped once they are this share.
DEAD_SHARE = 0.25
_COLUMNS = ("edges", "ids", "u", "v", "a", "b", "min_lon", "min_lat", "max_lon", "max_lat", "alive")


class EdgeIndex:
    """Rows of edges in the graph's edge order: the record (``edges``), ``ids``, end points
    (``u``/``v`` ids, ``a``/``b`` as ``[lon, lat]`` rounded to 1e-7°) and lon/lat box.

    Rows ``[0, size)`` are in use; an edge deleted or changed since the build leaves a dead row
    (``alive`` false, box NaN: no view ever meets it) and a changed one a new row at the end, as
    the graph itself moves a changed edge to the end of its order. So the live rows, in order, are
    always what :meth:`of` would build now.
    """

    __slots__ = (*_COLUMNS, "size", "_row")

    def __init__(self, edges: np.ndarray, u: np.ndarray, v: np.ndarray, a: np.ndarray,
                 b: np.ndarray) -> None:
        self.edges, self.u, self.v, self.a, self.b = edges, u, v, a, b
        self.ids = np.fromiter((e.id for e in edges), np.int64, len(edges))
        self.alive = np.ones(len(edges), dtype=bool)
        self.size = len(edges)
        self._row = {int(i): row for row, i in enumerate(self.ids.tolist())}
        self.min_lon, self.min_lat, self.max_lon, self.max_lat = (
            np.empty(len(edges)) for _ in range(4))
        self._box(np.arange(len(edges)))

    @classmethod
    def of(cls, graph: nx.MultiGraph) -> EdgeIndex:
        """The index of every edge of ``graph``, built from scratch."""
        edges = _records(edge_records(graph))
        ids = np.fromiter(graph.nodes, np.int64, graph.number_of_nodes())
        where = np.array([(d["lon"], d["lat"]) for _, d in graph.nodes(data=True)],
                         dtype=np.float64).reshape(-1, 2)
        order = np.argsort(ids)
        sorted_ids = ids[order]
        u = np.fromiter((e.u for e in edges), np.int64, len(edges))
        v = np.fromiter((e.v for e in edges), np.int64, len(edges))
        # 1e-7 degrees is ~1 cm: the shortest numbers that keep the map exact to the eye
        where = where.round(7)
        a = where[order[np.searchsorted(sorted_ids, u)]] if len(edges) else where[:0]
        b = where[order[np.searchsorted(sorted_ids, v)]] if len(edges) else where[:0]
        return cls(edges, u, v, a, b)

    def follow(self, graph: nx.MultiGraph, changes: Sequence[MapChange]) -> None:
        """Bring the index up to date with ``changes``, applied in order, that made ``graph``
        what it is now (in a few milliseconds on a 200k-edge city)."""
        fresh: list[int] = []
        dead: list[int] = []
        moved: set[int] = set()
        for change in changes:
            for edge_id in [*change.deleted_edges, *(e.id for e in change.edges)]:
                row = self._row.pop(edge_id, None)
                if row is not None:
                    dead.append(row)
                    self.alive[row] = False
            fresh += (self._append(e) for e in change.edges)
            moved.update(n.id for n in change.nodes)
        at_moved = np.zeros(0, dtype=np.intp)
        if moved:
            nodes = np.fromiter(moved, np.int64, len(moved))
            at_moved = np.flatnonzero(np.isin(self.u[:self.size], nodes)
                                      | np.isin(self.v[:self.size], nodes))
        rows = np.union1d(np.asarray(fresh, dtype=np.intp), at_moved)
        rows = rows[self.alive[rows]]  # a dead row's nodes may be gone from the graph
        self.a[rows] = _positions(graph, self.u[rows])
        self.b[rows] = _positions(graph, self.v[rows])
        self._box(rows)
        for name in ("min_lon", "min_lat", "max_lon", "max_lat"):
            getattr(self, name)[dead] = np.nan
        if self.size - len(self._row) > DEAD_SHARE * max(self.size, 1024):
            self._compact()

    def live_rows(self) -> np.ndarray:
        """Positions of the rows in use, in order (what a fresh build would hold)."""
        return np.flatnonzero(self.alive[:self.size])

    def extent(self) -> list[float] | None:
        """``[minlon, minlat, maxlon, maxlat]`` of every edge (None: no edges)."""
        live = self.live_rows()
        if len(live) == 0:
            return None
        return [float(self.min_lon[live].min()), float(self.min_lat[live].min()),
                float(self.max_lon[live].max()), float(self.max_lat[live].max())]

    def within(self, box: BBox) -> np.ndarray:
        """Positions of the edges whose box meets ``box`` (a dead row's NaN box meets none)."""
        n = self.size
        hit = ((self.max_lon[:n] >= box.min_lon) & (self.min_lon[:n] <= box.max_lon)
               & (self.max_lat[:n] >= box.min_lat) & (self.min_lat[:n] <= box.max_lat))
        return np.flatnonzero(hit)

    def _append(self, edge: EdgeRecord) -> int:
        """A row for ``edge`` at the end (its position is filled in by :meth:`follow`)."""
        if self.size == len(self.ids):
            self._grow(self.size + self.size // 4 + 64)
        row = self.size
        self.size += 1
        self.edges[row], self.ids[row], self.u[row], self.v[row] = edge, edge.id, edge.u, edge.v
        self.alive[row] = True
        self._row[edge.id] = row
        return row

    def _grow(self, capacity: int) -> None:
        """Room for more rows: amortised, like a list's, so an edit does not copy the columns."""
        for name in _COLUMNS:
            old = getattr(self, name)
            new = np.empty((capacity, *old.shape[1:]), dtype=old.dtype)
            new[:len(old)] = old
            setattr(self, name, new)
        self.alive[self.size:] = False
        for name in ("min_lon", "min_lat", "max_lon", "max_lat"):
            getattr(self, name)[self.size:] = np.nan

    def _box(self, rows: np.ndarray) -> None:
        a, b = self.a[rows], self.b[rows]
        low, high = np.minimum(a, b), np.maximum(a, b)
        self.min_lon[rows], self.min_lat[rows] = low[:, 0], low[:, 1]
        self.max_lon[rows], self.max_lat[rows] = high[:, 0], high[:, 1]

    def _compact(self) -> None:
        """Drop the dead rows (once they are :data:`DEAD_SHARE` of the index)."""
        live = self.live_rows()
        for name in _COLUMNS:
            setattr(self, name, np.ascontiguousarray(getattr(self, name)[live]))
        self.size = len(live)
        self._row = {int(i): row for row, i in enumerate(self.ids.tolist())}


def _records(edges: Iterable[EdgeRecord]) -> np.ndarray:
    """Edge records as a numpy object array (rows kept or dropped by a mask, as the columns)."""
    items = list(edges)  # fromiter, not array(): a record is a tuple, never to become a row
    return np.fromiter(items, dtype=object, count=len(items))


def _positions(graph: nx.MultiGraph, node_ids: np.ndarray) -> np.ndarray:
    """``[lon, lat]`` rows of these nodes, rounded as :meth:`EdgeIndex.of` rounds them."""
    nodes = graph.nodes
    return np.array([(nodes[n]["lon"], nodes[n]["lat"]) for n in node_ids.tolist()],
                    dtype=np.float64).reshape(-1, 2).round(7)
