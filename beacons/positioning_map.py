"""The graph as the positioner sees it: edge geometry, node adjacency and spatial indexes.

Built once per map revision (graph + beacon layout) and shared, read-only, by every walker's
positioner: a city's map is large, a walker's state is small.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from beacons.heard import IdentRows
from beacons.layout import BeaconLayout
from beacons.lazy import mapkernels  # numba starts on first use
from beacons.model import BeaconPlacement
from routing.columns import GraphColumns, graph_columns
from routing.geo import LocalFrame
from routing.graph import edge_count

#: Edges are indexed as pieces at most this long; a query around a point widens by half of it.
PIECE_M = 20.0
#: Beacons whose neighbourhood (:meth:`PositioningMap.samples_near_beacon`) a map remembers:
#: ~13 KB each at a 30 m radius on a dense grid, so at most a few MB per map.
_NEAR_BEACONS_KEPT = 256


class PositioningMap:
    """Edge geometry, node adjacency and spatial indexes of one graph + beacon layout.

    Particles are seeded on points every ``sample_step_m`` along the edges near a point. Those
    points are made on demand from a k-d tree of short edge *pieces*, not stored for the whole
    city: a 100k-node city has six million of them, which took seconds to index at every start.
    """

    def __init__(
        self,
        graph: nx.MultiGraph,
        placements: Sequence[BeaconPlacement],
        sample_step_m: float = 1.0,
        columns: GraphColumns | None = None,
    ) -> None:
        """``columns``: the graph's own (:mod:`routing.columns`), when the caller has them
        already; else they are taken from the graph."""
        if not edge_count(graph):
            raise ValueError("positioning needs a graph with edges")
        if columns is None:
            columns = graph_columns(graph)
        elif not columns.matches(graph):
            raise ValueError("columns of another graph")
        n_nodes = graph.number_of_nodes()
        self.frame = LocalFrame(float(columns.node_lat.mean()), float(columns.node_lon.mean()))
        self.node_xy = np.column_stack(self.frame.to_xy(columns.node_lat, columns.node_lon))
        self.node_level = [level for _, level in graph.nodes(data="level")]
        by_id = np.argsort(columns.edge_id, kind="stable")
        n = len(by_id)
        self.edge_ids = columns.edge_id[by_id]
        #: (2, edges): node index of each edge's u and v end (``edge_u``, ``edge_v`` are views)
        self.edge_ends = np.stack([rows[by_id] for rows in columns.end_rows()]).astype(np.int64)
        self.edge_u, self.edge_v = self.edge_ends
        self.a_xy = self.node_xy[self.edge_u]
        self.b_xy = self.node_xy[self.edge_v]
        self.length = np.maximum(np.hypot(*(self.b_xy - self.a_xy).T), 1e-3)
        #: (edges, 2): unit vector from each edge's u end to its v end
        self.unit_xy = (self.b_xy - self.a_xy) / self.length[:, None]
        # incident edges per node (CSR): a particle reaching a node picks one of these
        ends = self.edge_ends.ravel()
        order = np.argsort(ends, kind="stable")
        self.incident = np.concatenate([np.arange(n)] * 2)[order]
        self.incident_ptr = np.searchsorted(ends[order], np.arange(n_nodes + 1))
        #: (2, edges): where each edge sits in its u and v end's incidence list, so a particle
        #: leaving it picks one of the others without searching
        slot = np.empty(2 * n, dtype=np.int64)
        slot[order] = np.arange(2 * n)
        self.end_slot = (slot - self.incident_ptr[ends]).astype(np.int32).reshape(2, n)
        self.sample_count = np.maximum(1, np.ceil(self.length / sample_step_m).astype(np.int64))
        piece_edge, piece_mid = _spread(np.ceil(self.length / PIECE_M), self.length)
        self._piece_edge = piece_edge
        self._piece_tree = cKDTree(
            self.point_xy(piece_edge, piece_mid), balanced_tree=False, compact_nodes=False
        )
        self.layout = BeaconLayout.of(placements)
        self.beacon_power = self.layout.power
        self.beacon_xy = np.column_stack(self.frame.to_xy(self.layout.lat, self.layout.lon))
        self._near_beacon: dict[tuple[int, float], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        #: Made with the map, not at a walker's first question: the service builds its map
        #: before forking its workers, who then share it, and a worker's loop does not stop for
        #: it (0.13 s of CPU for 556k beacons unbalanced, 0.26 s balanced; beacons_within)
        self._beacon_tree = cKDTree(self.beacon_xy.reshape(-1, 2), balanced_tree=False,
                                    compact_nodes=False)
        #: Every walker's memo of layout rows by beacon ident (beacons.heard.ScanDigester)
        self.ident_rows: IdentRows = {}

    def point_xy(self, edge: np.ndarray, offset: np.ndarray) -> np.ndarray:
        """Local (x, y) of points given as edge index + metres from the edge's u end."""
        f = (offset / self.length[edge])[:, None]
        return self.a_xy[edge] + f * (self.b_xy[edge] - self.a_xy[edge])

    def samples_near(
        self, x: float, y: float, radius_m: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sample points within ``radius_m`` of (x, y): edge indexes, offsets, local (x, y)."""
        pieces = self._piece_tree.query_ball_point((x, y), radius_m + PIECE_M / 2)
        edges = np.unique(self._piece_edge[np.asarray(pieces, dtype=np.int64)])
        return mapkernels.edge_samples(edges, self.sample_count, self.length, self.a_xy,
                                       self.b_xy, float(x), float(y), float(radius_m))

    def samples_near_beacon(
        self, row: int, radius_m: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`samples_near` the beacon of layout row ``row``, read-only and shared by every
        walker: a lost walker is searched for near its loudest beacon, every scan until it has
        a fix and every few seconds after, and walkers crowd near the same beacons."""
        key = (row, radius_m)
        found = self._near_beacon.get(key)
        if found is None:
            x, y = self.beacon_xy[row]
            found = self.samples_near(float(x), float(y), radius_m)
            for a in found:
                a.setflags(write=False)
            if len(self._near_beacon) >= _NEAR_BEACONS_KEPT:
                self._near_beacon.clear()  # the crowd moved on (a dict set is safe across threads)
            self._near_beacon[key] = found
        return found

    def beacons_within(self, x: float, y: float, radius_m: float) -> np.ndarray:
        """Layout rows of the beacons within ``radius_m`` of (x, y), ascending (only walkers
        whose cloud is spread ask: beacons.absence)."""
        if not self.beacon_xy.shape[0]:
            return np.zeros(0, dtype=np.int64)
        return np.sort(np.asarray(self._beacon_tree.query_ball_point((x, y), radius_m),
                                  dtype=np.int64))

    def nearest_on_edges(
        self, xy: np.ndarray, settled_within_m: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per point (rows of ``xy``), the closest point on any edge: edge index, offset, distance.

        Exact: the nearest piece gives an upper bound, and every edge that could beat it has a
        piece within that bound plus half a piece. Points whose bound is already within
        ``settled_within_m`` keep it (for callers that only ask "farther than that?").
        """
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        _, piece = self._piece_tree.query(xy)
        edge = self._piece_edge[piece]
        offset, dist = self.project(xy, edge)
        rows = np.flatnonzero(dist > settled_within_m)
        found_rows = self._piece_tree.query_ball_point(xy[rows], dist[rows] + PIECE_M / 2)
        for i, found in zip(rows.tolist(), found_rows, strict=True):
            near = np.unique(self._piece_edge[np.asarray(found, dtype=np.int64)])
            off, d = self.project(np.repeat(xy[i : i + 1], len(near), axis=0), near)
            k = int(np.argmin(d))
            if d[k] < dist[i]:
                edge[i], offset[i], dist[i] = near[k], off[k], d[k]
        return edge, offset, dist

    def project(self, xy: np.ndarray, edge: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Offset along ``edge`` of the point closest to each row of ``xy``, and its distance."""
        a, ab = self.a_xy[edge], self.b_xy[edge] - self.a_xy[edge]
        t = np.clip(np.einsum("ij,ij->i", xy - a, ab) / np.maximum(
            np.einsum("ij,ij->i", ab, ab), 1e-12), 0.0, 1.0)
        return t * self.length[edge], np.hypot(*(a + t[:, None] * ab - xy).T)


def _spread(counts: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``counts[i]`` points at the middles of equal parts of segment i: (segment, offset)."""
    counts = np.maximum(1, counts.astype(np.int64))
    segment = np.repeat(np.arange(len(counts)), counts)
    k = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return segment, (k + 0.5) / counts[segment] * length[segment]
