"""The particle cloud of one walker: where on the graph each guess is, how it moves, what it
believes about the phone and the street, and how the cloud is summarised into one point.

All per-particle numbers live in one (rows, particles) array so resampling is one fancy index,
not one per attribute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from beacons.lazy import kernels  # numba starts on first use
from beacons.positioning_map import PositioningMap

#: Rows of :attr:`Particles.state`.
ALONG, DIR, SPEED = 0, 1, 2  # metres from the edge's u end, +-1 along the edge, metres/second
OFFSET = slice(3, 5)  # the phone's offset belief, mean and variance (see beacons.likelihood)
EXPONENT = 5  # the street's path-loss exponent
BIAS = slice(6, 9)  # the GNSS bias belief (see beacons.gnss_evidence)
BODY = 9  # dB a beacon straight behind the walker reads low (see beacons.likelihood.BodyLoss)
ROWS = 10


class Particles:
    """Edge index, state rows and normalised weights of ``n`` particles."""

    __slots__ = ("edge", "state", "w", "_xy")

    def __init__(self, edge: np.ndarray, state: np.ndarray) -> None:
        self.edge = edge
        self.state = state
        self.w = np.full(edge.size, 1.0 / max(edge.size, 1))
        self._xy: np.ndarray | None = None

    @classmethod
    def empty(cls) -> Particles:
        return cls(np.zeros(0, dtype=np.int64), np.zeros((ROWS, 0)))

    @property
    def size(self) -> int:
        return int(self.edge.size)

    def xy(self, pmap: PositioningMap) -> np.ndarray:
        """Local (x, y) of every particle; weighing and the estimate of one scan share it."""
        if self._xy is None:
            self._xy = pmap.point_xy(self.edge, self.state[ALONG])
        return self._xy

    def set_xy(self, xy: np.ndarray) -> None:
        """The particles moved to these local (x, y)."""
        self._xy = xy

    def take(self, pick: np.ndarray) -> None:
        """Keep the particles ``pick`` (with repeats), equally weighted. The state stays
        row-major (``take``, not ``[:, pick]``, whose copy is column-major): every stage reads
        it a row at a time, and strided rows cost the compiled loops their vectorising and the
        evidence a copy of each row per scan."""
        self.edge, self.state = self.edge[pick], self.state.take(pick, axis=1)
        if self._xy is not None:
            self._xy = self._xy[pick]
        self.w = np.full(self.edge.size, 1.0 / max(self.edge.size, 1))

    def extend(self, other: Particles) -> None:
        """Add ``other``'s particles; all are then equally weighted."""
        self.edge = np.concatenate([self.edge, other.edge])
        self.state = np.concatenate([self.state, other.state], axis=1)
        self._xy = None
        self.w = np.full(self.edge.size, 1.0 / self.edge.size)


@dataclass(frozen=True, slots=True)
class Motion:
    """How a walker may move between scans."""

    max_speed_mps: float = 2.0
    speed_sigma_mps: float = 0.3  # per sqrt(second): how quickly pace changes
    jitter_m: float = 0.4  # per sqrt(second): slack for steps and map error
    #: Per second: a walker turns back anywhere (a wrong turn noticed, a rerouted walk). Without
    #: it a cloud could only reverse at dead ends and walked on while the walker turned round.
    #: Rare, because the turned particles widen the 90 % radius: at 0.05 the browser's demo
    #: walk lost its fix for a scan where beacons thinned out (in about half of its runs).
    turn_back_per_s: float = 0.01


@dataclass(frozen=True, slots=True)
class Drift:
    """How fast the radio beliefs forget (phones move between hand and pocket, streets change):
    the offset's variance grows by ``offset_db2_per_s`` a second, the exponent and body loss
    walk randomly (per square root of a second) within their bounds."""

    offset_db2_per_s: float
    exponent_per_s: float
    exponent_range: tuple[float, float]
    body_db_per_s: float
    body_max_db: float


#: The rows :class:`Drift` changes: the offset's variance, the exponent, the body loss.
_DRIFTING = np.array([OFFSET.start + 1, EXPONENT, BODY], dtype=np.int64)


def move(p: Particles, pmap: PositioningMap, dt: float, motion: Motion, drift: Drift,
         rng: np.random.Generator) -> None:
    """Walk every particle along its edge for ``dt`` seconds, turning at nodes, and let its
    radio beliefs drift.

    Each particle's pace wanders, it may turn round (an odd number of turns of a Poisson
    process over ``dt``: at most one half, as ``rate * dt`` alone would turn the whole cloud
    round after a 20 s gap), and past an edge's end it continues onto a random other edge at
    that node (back the same way only at a dead end). One compiled pass (beacons.kernels)."""
    if dt <= 0 or not p.size:
        return
    root = math.sqrt(dt)
    normal, uniform = rng.standard_normal((2, p.size)), rng.random((2, p.size))
    p.set_xy(kernels.step(
        p.edge, p.state, normal, uniform, dt,
        0.5 * -math.expm1(-2.0 * motion.turn_back_per_s * dt), motion.speed_sigma_mps,
        motion.max_speed_mps, motion.jitter_m, pmap.length, pmap.edge_ends, pmap.end_slot,
        pmap.incident_ptr, pmap.incident, pmap.a_xy, pmap.unit_xy, _DRIFTING,
        rng.standard_normal((2, p.size)), drift.offset_db2_per_s * dt,
        drift.exponent_per_s * root, *drift.exponent_range, drift.body_db_per_s * root,
        drift.body_max_db,
    ))


def systematic_pick(w: np.ndarray, rng: np.random.Generator, count: int | None = None
                    ) -> np.ndarray:
    """Indexes drawn in proportion to ``w``, low variance, O(n). (Drawing none is asked for when
    a relocalisation replaces the whole cloud.)"""
    n = w.size if count is None else count
    if n <= 0:
        return np.zeros(0, dtype=np.intp)
    return kernels.systematic(w, rng.random(), n)


@dataclass(frozen=True, slots=True)
class CloudSummary:
    """One point for the cloud and how far the cloud spreads around it."""

    edge: int  # index into the map's edge arrays
    offset_m: float
    x: float
    y: float
    radius90_m: float  # the weighted 90 % quantile of particles' distance to the point
    within_3m: float  # weight of the particles within 3 m


_BUCKETS = 4096


def summarise(p: Particles, pmap: PositioningMap, local_m: float) -> CloudSummary:
    """One point for the cloud: the weighted mean of the particles within ``local_m`` of the
    busiest edge's own mean, put back on the graph on the edge of the particle nearest to it;
    and the cloud's spread around that point.

    The busiest edge alone decides on a street; on a fine graph (a plaza or a hall as a lattice
    of short edges) the weight is spread over many edges and the local mean is steadier. The
    busiest edge is found by bucketing edges (``edge & (_BUCKETS - 1)``): the busiest bucket's
    heaviest particle names it. One compiled pass (beacons.kernels).
    """
    best, t, x, y, r90, within = kernels.cloud_point(p.w, p.edge, p.xy(pmap), local_m,
                                                     _BUCKETS, pmap.a_xy, pmap.b_xy)
    return CloudSummary(int(best), t * float(pmap.length[best]), x, y, r90, within)
