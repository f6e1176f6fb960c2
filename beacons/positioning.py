"""Where is the walker? A particle filter on the graph's edges that says so when it does not know.

Pipeline per scan: validate readings -> per-beacon Kalman-smoothed RSSI -> move particles along
edges (speed-limited, turning at nodes) -> weigh them by a robust log-distance likelihood ->
resample -> report a :class:`Fix` with an error radius, or :class:`Unavailable` with a reason.

Why it does not lose the walker silently or get fooled:

- every beacon's evidence is a mixture "model or outlier", so one wrong beacon (moved, spoofed,
  reflected) can lower confidence but cannot drag the cloud across the map;
- particles move at walking speed only, so a burst from a far beacon cannot teleport the fix; the
  filter re-seeds from scratch only after ``relocalize_after_s`` of contradiction *and* with at
  least ``min_beacons_to_start`` beacons agreeing on the new place;
- it answers :class:`Unavailable` when readings are too few, too stale, contradictory, or when
  the error estimate exceeds ``max_error_m``.

The graph-derived arrays live in :class:`PositioningMap`, built once per map revision and shared
by every walker's :class:`Positioner`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from beacons.filters import RssiFilterBank
from beacons.layout import BeaconLayout
from beacons.model import BeaconId, BeaconPlacement, Fix, Scan, Unavailable
from beacons.pathloss import PathLossModel, expected_rssi_dbm
from routing.geo import LocalFrame
from routing.graph import edge_count, edge_records

RSSI_MIN_DBM, RSSI_MAX_DBM = -127.0, 20.0
OUTLIER_SPAN_DB = 60.0  # an outlier reading is equally likely anywhere in this range
INLIER_Z = 3.0


class InvalidScan(ValueError):
    """The scan as a whole cannot be used (its time goes backwards)."""


@dataclass(frozen=True, slots=True)
class PositioningSettings:
    """Knobs with their reasons; defaults fit a phone among beacons ~10 m apart."""

    particles: int = 300
    path_loss: PathLossModel = field(default_factory=PathLossModel)  # exponent + calibration
    model_sigma_db: float = 4.0  # spread of single readings around the model (shadowing)
    model_error_db: float = 2.0  # what the model itself gets wrong, on top of the noise
    outlier_prob: float = 0.05  # share of readings that obey no model at all
    rssi_process_db2_per_s: float = 30.0  # mean RSSI drift while walking: fast, or it lags
    height_m: float = 0.0  # beacons' mount height above the phone
    max_speed_mps: float = 2.0
    speed_sigma_mps: float = 0.3  # per sqrt(second): how quickly pace changes
    jitter_m: float = 0.4  # per sqrt(second): slack for steps and map error
    min_beacons_to_start: int = 2
    stale_after_s: float = 4.0
    max_error_m: float = 6.0
    inconsistent_after_s: float = 2.0
    relocalize_after_s: float = 5.0
    search_radius_m: float = 30.0  # where to seed particles around the loudest beacon


@dataclass(frozen=True, slots=True)
class PositioningStats:
    """Counters since the last reset. ``rejected_time`` counts refused scans (time going
    backwards) and single readings older than the same beacon's previous one."""

    scans: int = 0
    fixes: int = 0
    unavailable: int = 0
    unknown_beacons: int = 0
    rejected_rssi: int = 0
    rejected_time: int = 0
    relocalized: int = 0


def log_likelihood(
    points_xy: np.ndarray,
    beacon_xy: np.ndarray,
    power_1m_dbm: np.ndarray,
    rssi_dbm: np.ndarray,
    var_db2: np.ndarray,
    exponent: float,
    height_m: float = 0.0,
    outlier_prob: float = 0.05,
) -> np.ndarray:
    """Log-likelihood (up to a constant) of the readings at each point: a Gaussian around the
    log-distance model mixed with a uniform outlier, summed over beacons. Shape (points,)."""
    return _per_beacon_ll(
        points_xy, beacon_xy, power_1m_dbm, rssi_dbm, var_db2, exponent, height_m, outlier_prob
    ).sum(axis=1)


def _per_beacon_ll(points_xy, beacon_xy, power, rssi, var, exponent, height_m, outlier_prob):
    d = np.sqrt(
        (points_xy[:, None, 0] - beacon_xy[None, :, 0]) ** 2
        + (points_xy[:, None, 1] - beacon_xy[None, :, 1]) ** 2
        + height_m**2
    )
    z2 = (rssi - expected_rssi_dbm(d, power, exponent)) ** 2 / var
    gauss = np.log1p(-outlier_prob) - 0.5 * z2 - 0.5 * np.log(2 * math.pi * var)
    return np.logaddexp(gauss, math.log(outlier_prob / OUTLIER_SPAN_DB))


#: Edges are indexed as pieces at most this long; a query around a point widens by half of it.
PIECE_M = 20.0


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
    ) -> None:
        if not edge_count(graph):
            raise ValueError("positioning needs a graph with edges")
        n_nodes = graph.number_of_nodes()
        node_index = dict(zip(graph.nodes, range(n_nodes), strict=True))
        lat = np.fromiter((la for _, la in graph.nodes(data="lat")), float, n_nodes)
        lon = np.fromiter((lo for _, lo in graph.nodes(data="lon")), float, n_nodes)
        self.frame = LocalFrame(float(lat.mean()), float(lon.mean()))
        self.node_xy = np.column_stack(self.frame.to_xy(lat, lon))
        self.node_level = [level for _, level in graph.nodes(data="level")]
        records = sorted(edge_records(graph), key=lambda e: e.id)
        n = len(records)
        self.edge_ids = np.fromiter((e.id for e in records), np.int64, n)
        self.edge_u = np.fromiter((node_index[e.u] for e in records), np.int64, n)
        self.edge_v = np.fromiter((node_index[e.v] for e in records), np.int64, n)
        self.a_xy = self.node_xy[self.edge_u]
        self.b_xy = self.node_xy[self.edge_v]
        self.length = np.maximum(np.hypot(*(self.b_xy - self.a_xy).T), 1e-3)
        # incident edges per node (CSR): a particle reaching a node picks one of these
        ends = np.concatenate([self.edge_u, self.edge_v])
        order = np.argsort(ends, kind="stable")
        self.incident = np.concatenate([np.arange(n)] * 2)[order]
        self.incident_ptr = np.searchsorted(ends[order], np.arange(n_nodes + 1))
        self.sample_count = np.maximum(1, np.ceil(self.length / sample_step_m).astype(np.int64))
        piece_edge, piece_mid = _spread(np.ceil(self.length / PIECE_M), self.length)
        self._piece_edge = piece_edge
        self._piece_tree = cKDTree(
            self.point_xy(piece_edge, piece_mid), balanced_tree=False, compact_nodes=False
        )
        self.layout = BeaconLayout.of(placements)
        self.beacon_power = self.layout.power
        self.beacon_xy = np.column_stack(self.frame.to_xy(self.layout.lat, self.layout.lon))

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
        edge, offset = _spread(self.sample_count[edges], self.length[edges])
        edge = edges[edge]
        xy = self.point_xy(edge, offset)
        keep = np.hypot(xy[:, 0] - x, xy[:, 1] - y) <= radius_m
        return edge[keep], offset[keep], xy[keep]

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
        offset, dist = self._project(xy, edge)
        rows = np.flatnonzero(dist > settled_within_m)
        found_rows = self._piece_tree.query_ball_point(xy[rows], dist[rows] + PIECE_M / 2)
        for i, found in zip(rows.tolist(), found_rows, strict=True):
            near = np.unique(self._piece_edge[np.asarray(found, dtype=np.int64)])
            off, d = self._project(np.repeat(xy[i : i + 1], len(near), axis=0), near)
            k = int(np.argmin(d))
            if d[k] < dist[i]:
                edge[i], offset[i], dist[i] = near[k], off[k], d[k]
        return edge, offset, dist

    def _project(self, xy: np.ndarray, edge: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


class Positioner:
    """One walker's position, updated scan by scan. Time comes only from ``scan.t_s``.

    ``graph`` may be a prebuilt :class:`PositioningMap` (then ``placements`` is ignored: the map
    already holds them); build that once per map revision and share it between sessions.
    """

    def __init__(
        self,
        graph: nx.MultiGraph | PositioningMap,
        placements: Sequence[BeaconPlacement] = (),
        settings: PositioningSettings | None = None,
        seed: int = 0,
    ) -> None:
        self.map = graph if isinstance(graph, PositioningMap) else PositioningMap(graph, placements)
        self.settings = settings or PositioningSettings()
        model = self.settings.path_loss
        # the layout's powers, overridden by the beacons this model was calibrated for; shared,
        # not copied, when there are none (a city's layout has 500k: 4 MB per walker)
        self._power = self.map.beacon_power
        calibrated = [(b, p) for b, p in model.power_1m_dbm.items() if isinstance(b, BeaconId)]
        rows = self.map.layout.rows_of([b for b, _ in calibrated])
        overrides = [(i, p) for (_, p), i in zip(calibrated, rows, strict=True) if i is not None]
        if overrides:
            self._power = self._power.copy()
            for i, power in overrides:
                self._power[i] = power
        self._seed = seed
        self.reset()

    def reset(self) -> None:
        """Forget everything about this walker (new session, or after a long gap)."""
        s = self.settings
        self._rng = np.random.default_rng(self._seed)
        self._filters = RssiFilterBank(s.model_sigma_db, s.rssi_process_db2_per_s, s.stale_after_s)
        self._edge = np.zeros(0, dtype=int)
        self._offset = self._dir = self._speed = self._w = np.zeros(0)
        self._xy: np.ndarray | None = None  # particles' (x, y), until they next move
        self._last_t: float | None = None
        self._last_heard: dict[int, float] = {}
        self._last_evidence_t: float | None = None
        self._inconsistent_since: float | None = None
        self._counts = dict.fromkeys(PositioningStats.__slots__, 0)
        self._matched: tuple[BeaconId, ...] = ()

    @property
    def stats(self) -> PositioningStats:
        return PositioningStats(**self._counts)

    @property
    def matched_beacons(self) -> tuple[BeaconId, ...]:
        """The last scan's readings whose beacon the map knows (in order; any RSSI)."""
        return self._matched

    @property
    def initialized(self) -> bool:
        return self._edge.size > 0

    def hint(self, lat: float, lon: float, radius_m: float = 10.0) -> None:
        """Seed the walker near a known point (a chosen start, a scanned QR code)."""
        x, y = self.map.frame.to_xy(lat, lon)
        edge, offset, _ = self.map.samples_near(x, y, radius_m)
        if not edge.size:
            edge, offset, _ = self.map.nearest_on_edges(np.array([[x, y]]))
        self._seed_particles(edge, offset, np.zeros(edge.size))

    def update(self, scan: Scan) -> Fix | Unavailable:
        """Fold one scan in. Raises :class:`InvalidScan` if time runs backwards."""
        s = self.settings
        if self._last_t is not None and scan.t_s < self._last_t:
            self._counts["rejected_time"] += 1
            raise InvalidScan(f"scan time {scan.t_s} is before the previous {self._last_t}")
        dt = 0.0 if self._last_t is None else scan.t_s - self._last_t
        self._last_t = scan.t_s
        self._counts["scans"] += 1
        idx, rssi, var = self._evidence(scan)
        if idx.size:
            self._last_evidence_t = scan.t_s
        if not self.initialized:
            if idx.size < s.min_beacons_to_start:
                return self._unavailable("too_few_beacons", scan.t_s)
            if not self._seed_from_evidence(idx, rssi, var):
                return self._unavailable("no_walkable_edge_near_beacons", scan.t_s)
        else:
            self._move(dt)
            if idx.size:
                self._weigh(idx, rssi, var, scan.t_s)
        if self._last_evidence_t is None or scan.t_s - self._last_evidence_t > s.stale_after_s:
            return self._unavailable("stale", scan.t_s)
        if (
            self._inconsistent_since is not None
            and scan.t_s - self._inconsistent_since >= s.inconsistent_after_s
        ):
            return self._unavailable("inconsistent_readings", scan.t_s)
        return self._estimate(scan.t_s)

    # --- evidence -----------------------------------------------------------------------------

    def _evidence(self, scan: Scan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Accepted beacons of this scan: index, filtered RSSI, its variance (model + filter)."""
        by_beacon: dict[int, list[float]] = {}
        rows = self.map.layout.rows_of([r.beacon for r in scan.readings])
        read = list(zip(scan.readings, rows, strict=True))
        self._matched = tuple(r.beacon for r, i in read if i is not None)
        readings = [(r, i) for r, i in read if RSSI_MIN_DBM <= r.rssi_dbm <= RSSI_MAX_DBM]
        self._counts["rejected_rssi"] += len(scan.readings) - len(readings)  # also NaN
        for r, i in readings:
            if i is None:
                self._counts["unknown_beacons"] += 1
                continue
            if r.t_s < self._last_heard.get(i, -math.inf):
                self._counts["rejected_time"] += 1
                continue
            self._last_heard[i] = r.t_s
            by_beacon.setdefault(i, []).append(r.rssi_dbm)
        idx = np.array(sorted(by_beacon), dtype=int)
        # a burst counts once: its mean is one observation, not many
        raw = np.array([sum(by_beacon[i]) / len(by_beacon[i]) for i in idx.tolist()])
        rssi, var = self._filters.update(idx.tolist(), raw, scan.t_s)
        var += self.settings.model_error_db**2
        return idx, rssi, var

    def _ll(self, xy: np.ndarray, idx: np.ndarray, rssi: np.ndarray, var: np.ndarray) -> np.ndarray:
        s = self.settings
        return _per_beacon_ll(
            xy,
            self.map.beacon_xy[idx],
            self._power[idx],
            rssi,
            var,
            s.path_loss.exponent,
            s.height_m,
            s.outlier_prob,
        )

    # --- particles ----------------------------------------------------------------------------

    def _seed_particles(self, edge: np.ndarray, offset: np.ndarray, log_w: np.ndarray) -> None:
        """Particles at sample points drawn by weight, jittered along their edge by +-half a
        sample step, so they cover the edges evenly."""
        m, n = self.map, self.settings.particles
        p = np.exp(log_w - log_w.max())
        pick = self._rng.choice(len(edge), size=n, p=p / p.sum())
        self._edge = edge[pick]
        jitter = self._rng.uniform(-0.5, 0.5, n) * (m.length / m.sample_count)[self._edge]
        self._offset = np.clip(offset[pick] + jitter, 0.0, m.length[self._edge])
        self._dir = self._rng.choice([-1.0, 1.0], size=n)
        self._speed = self._rng.uniform(0.0, 1.5, n)
        self._w = np.full(n, 1.0 / n)
        self._xy = None
        self._inconsistent_since = None

    def _seed_from_evidence(self, idx: np.ndarray, rssi: np.ndarray, var: np.ndarray) -> bool:
        """Spread particles over map points near the loudest beacon, weighted by the evidence."""
        loudest = idx[int(np.argmax(rssi - self._power[idx]))]
        x, y = self.map.beacon_xy[loudest]
        edge, offset, xy = self.map.samples_near(x, y, self.settings.search_radius_m)
        if edge.size == 0:
            return False
        self._seed_particles(edge, offset, self._ll(xy, idx, rssi, var).sum(axis=1))
        return True

    def _move(self, dt: float) -> None:
        if dt <= 0:
            return
        s, m, rng, n = self.settings, self.map, self._rng, self._edge.size
        root = math.sqrt(dt)
        self._speed = np.clip(
            self._speed + rng.normal(0, s.speed_sigma_mps * root, n), 0.0, s.max_speed_mps
        )
        self._offset = (
            self._offset + self._dir * self._speed * dt + rng.normal(0, s.jitter_m * root, n)
        )
        for _ in range(8):  # pass through at most a few nodes per step
            over = np.flatnonzero((self._offset < 0) | (self._offset > m.length[self._edge]))
            if over.size == 0:
                break
            self._turn_at_node(over)
        np.clip(self._offset, 0.0, m.length[self._edge], out=self._offset)
        self._xy = None

    def _particles_xy(self) -> np.ndarray:
        """Particles' local (x, y): weighing and the estimate of one scan share it."""
        if self._xy is None:
            self._xy = self.map.point_xy(self._edge, self._offset)
        return self._xy

    def _turn_at_node(self, over: np.ndarray) -> None:
        """Particles past an edge end continue onto a random other edge at that node."""
        m = self.map
        edge, off = self._edge[over], self._offset[over]
        at_v = off > m.length[edge]
        node = np.where(at_v, m.edge_v[edge], m.edge_u[edge])
        left = np.where(at_v, off - m.length[edge], -off)
        start, deg = m.incident_ptr[node], m.incident_ptr[node + 1] - m.incident_ptr[node]
        k = (self._rng.random(over.size) * deg).astype(int)
        new = m.incident[start + k]
        same = (new == edge) & (deg > 1)  # do not bounce back unless it is a dead end
        new[same] = m.incident[start[same] + (k[same] + 1) % deg[same]]
        from_u = m.edge_u[new] == node
        self._edge[over] = new
        self._offset[over] = np.where(from_u, left, m.length[new] - left)
        self._dir[over] = np.where(from_u, 1.0, -1.0)

    def _weigh(self, idx: np.ndarray, rssi: np.ndarray, var: np.ndarray, t_s: float) -> None:
        s = self.settings
        ll_b = self._ll(self._particles_xy(), idx, rssi, var)
        z_ok = self._inlier_share(ll_b, var)
        consistent = float(self._w @ z_ok) >= 0.5
        if consistent:
            self._inconsistent_since = None
        elif self._inconsistent_since is None:
            self._inconsistent_since = t_s
        lost_for = 0.0 if self._inconsistent_since is None else t_s - self._inconsistent_since
        if (
            lost_for >= s.relocalize_after_s
            and idx.size >= s.min_beacons_to_start
            and self._seed_from_evidence(idx, rssi, var)
        ):
            self._counts["relocalized"] += 1
            return
        log_w = np.log(self._w + 1e-300) + ll_b.sum(axis=1)
        w = np.exp(log_w - log_w.max())
        self._w = w / w.sum()
        if 1.0 / float(self._w @ self._w) < 0.5 * self._w.size:
            self._resample()

    @staticmethod
    def _inlier_share(ll_b: np.ndarray, var: np.ndarray) -> np.ndarray:
        """Per particle, the share of beacons within INLIER_Z sigma of the model."""
        gauss_floor = -0.5 * INLIER_Z**2 - 0.5 * np.log(2 * math.pi * var)
        return (ll_b >= gauss_floor).mean(axis=1)

    def _resample(self) -> None:
        """Systematic resampling: low variance, O(n)."""
        n = self._w.size
        positions = (self._rng.random() + np.arange(n)) / n
        pick = np.minimum(np.searchsorted(np.cumsum(self._w), positions), n - 1)
        self._edge, self._offset = self._edge[pick], self._offset[pick]
        self._dir, self._speed = self._dir[pick], self._speed[pick]
        if self._xy is not None:
            self._xy = self._xy[pick]
        self._w = np.full(n, 1.0 / n)

    # --- output -------------------------------------------------------------------------------

    def _estimate(self, t_s: float) -> Fix | Unavailable:
        m, w = self.map, self._w
        mass = np.bincount(self._edge, weights=w, minlength=m.length.size)
        best = int(np.argmax(mass))
        on = self._edge == best
        offset = float(self._offset[on] @ w[on] / mass[best])
        fx, fy = m.point_xy(np.array([best]), np.array([offset]))[0]
        xy = self._particles_xy()
        d2 = (xy[:, 0] - fx) ** 2 + (xy[:, 1] - fy) ** 2
        error_m = max(0.5, math.sqrt(float(w @ d2)))
        if error_m > self.settings.max_error_m:
            return self._unavailable("uncertain", t_s)
        lat, lon = m.frame.to_latlon(fx, fy)
        self._counts["fixes"] += 1
        return Fix(
            lat=lat,
            lon=lon,
            level=m.node_level[m.edge_u[best]],
            edge=int(m.edge_ids[best]),
            offset_m=offset,
            error_m=error_m,
            confidence=float(w[d2 <= 9.0].sum()),  # weight within 3 m of the fix
            t_s=t_s,
        )

    def _unavailable(self, reason: str, t_s: float) -> Unavailable:
        self._counts["unavailable"] += 1
        return Unavailable(reason, t_s)
