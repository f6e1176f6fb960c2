"""The particle cloud of one walker: where on the graph each guess is, how it moves, what it
believes about the phone and the street, and how the cloud is summarised into one point.

All per-particle numbers live in one (rows, particles) array so resampling is one fancy index,
not one per attribute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

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

    def moved(self) -> None:
        """Forget the positions computed before the particles moved."""
        self._xy = None

    def take(self, pick: np.ndarray) -> None:
        """Keep the particles ``pick`` (with repeats), equally weighted."""
        self.edge, self.state = self.edge[pick], self.state[:, pick]
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


def move(p: Particles, pmap: PositioningMap, dt: float, motion: Motion,
         rng: np.random.Generator) -> None:
    """Walk every particle along its edge for ``dt`` seconds, turning at nodes."""
    if dt <= 0 or not p.size:
        return
    root, s = math.sqrt(dt), p.state
    noise = rng.standard_normal((2, p.size))
    # facing back after dt: an odd number of turns of a Poisson process (at most one half;
    # rate * dt alone would turn the whole cloud round after a 20 s gap)
    back = rng.random(p.size) < 0.5 * -math.expm1(-2.0 * motion.turn_back_per_s * dt)
    s[DIR, back] *= -1.0
    speed = s[SPEED]
    speed += noise[0] * (motion.speed_sigma_mps * root)
    np.clip(speed, 0.0, motion.max_speed_mps, out=speed)
    along = s[ALONG]
    along += noise[1] * (motion.jitter_m * root) + s[DIR] * speed * dt
    length = pmap.length[p.edge]
    for _ in range(8):  # pass through at most a few nodes per step
        over = np.flatnonzero((along < 0.0) | (along > length))
        if not over.size:
            break
        length[over] = _turn_at_node(p, pmap, over, rng)
    np.clip(along, 0.0, length, out=along)
    p.moved()


def _turn_at_node(p: Particles, pmap: PositioningMap, over: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """Particles past an edge end continue onto a random other edge at that node (back the
    same way only at a dead end); returns the new edges' lengths."""
    s = p.state
    edge, off = p.edge[over], s[ALONG, over]
    length = pmap.length[edge]
    at_v = off > length
    end = at_v.astype(np.intp)
    node = pmap.edge_ends[end, edge]
    slot = pmap.end_slot[end, edge]
    start = pmap.incident_ptr[node]
    others = pmap.incident_ptr[node + 1] - start - 1
    k = (rng.random(over.size) * others).astype(np.intp)
    k += (k >= slot) & (others > 0)
    new = pmap.incident[start + k]
    left = np.where(at_v, off - length, -off)
    from_u = pmap.edge_u[new] == node
    new_length = pmap.length[new]
    p.edge[over] = new
    s[ALONG, over] = np.where(from_u, left, new_length - left)
    s[DIR, over] = np.where(from_u, 1.0, -1.0)
    return new_length


def systematic_pick(w: np.ndarray, rng: np.random.Generator, count: int | None = None
                    ) -> np.ndarray:
    """Indexes drawn in proportion to ``w``, low variance, O(n). (Drawing none is asked for when
    a relocalisation replaces the whole cloud.)"""
    n = w.size if count is None else count
    if n <= 0:
        return np.zeros(0, dtype=np.intp)
    cum = np.cumsum(w)
    positions = (rng.random() + np.arange(n)) * (cum[-1] / n)
    return np.minimum(np.searchsorted(cum, positions), w.size - 1)


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
    of short edges) the weight is spread over many edges and the local mean is steadier.
    """
    w, edge, xy = p.w, p.edge, p.xy(pmap)
    bucket = edge & (_BUCKETS - 1)  # edges by bucket; the busiest bucket's heaviest particle
    mass = np.bincount(bucket, weights=w, minlength=_BUCKETS)  # names the busiest edge
    on = edge == edge[np.where(bucket == mass.argmax(), w, -1.0).argmax()]
    w_on = w * on
    anchor = (w_on @ xy) / w_on.sum()
    diff = xy - anchor
    near = np.einsum("ij,ij->i", diff, diff) <= local_m * local_m
    near |= on
    w_near = w * near
    centre = (w_near @ xy) / w_near.sum()
    diff = xy - centre
    best = int(edge[np.where(near, np.einsum("ij,ij->i", diff, diff), np.inf).argmin()])
    # one point, in plain floats: numpy scalars cost a microsecond an operation
    (ax, ay), (bx, by) = pmap.a_xy[best].tolist(), pmap.b_xy[best].tolist()
    cx, cy = centre.tolist()
    ux, uy = bx - ax, by - ay
    t = min(1.0, max(0.0, ((cx - ax) * ux + (cy - ay) * uy) / max(ux * ux + uy * uy, 1e-12)))
    fx, fy = ax + t * ux, ay + t * uy
    diff = xy - (fx, fy)
    d2 = np.einsum("ij,ij->i", diff, diff)
    order = d2.argsort()
    cum = np.cumsum(w[order])
    r90 = math.sqrt(float(d2[order[min(int(cum.searchsorted(0.9 * cum[-1])), d2.size - 1)]]))
    return CloudSummary(best, t * float(pmap.length[best]), fx, fy, r90,
                        float(w @ (d2 <= 9.0)))
