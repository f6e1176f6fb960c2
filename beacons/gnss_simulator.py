"""Seeded phone GNSS in a city street: the errors that matter to a walker, not white noise.

A phone's satellite position in a street is wrong in ways that last:

- a slowly wandering bias (first-order Gauss-Markov per axis: metres, correlated over tens of
  seconds), plus a little white noise per fix;
- multipath jumps: now and then the fix leaps 20-50 m for a few seconds (a reflection off a
  facade wins);
- a street-canyon bias: the fix sits toward one side of the street (the open sky is on one side),
  the same side whichever way the walker goes along that street;
- a reported accuracy that is sometimes too optimistic: it knows nothing of jumps or the canyon,
  and in episodes it shrinks further. It is reported in one of the platforms' senses
  (:class:`~beacons.model.AccuracyKind`).

Time processes are made in fixed blocks, each from its own seed and in block order, and the canyon
side is a random field of position: the fix at a time and place is the same whatever was asked
before, so a walk replays exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from beacons.model import AccuracyKind, GnssFix, accuracy_radius_m
from beacons.randomfield import ExponentialField
from routing.geo import LocalFrame

BLOCK_S = 256  # length of one generated block of the time processes, seconds (1 s grid)
_BIAS, _JUMPS, _OPTIMISM, _CANYON, _FIX = range(5)


@dataclass(frozen=True, slots=True)
class GnssParams:
    """One phone's GNSS in one city. Defaults: a phone walking in a European street."""

    bias_sigma_m: float = 4.0  # per axis, the slow wander
    bias_corr_s: float = 30.0
    noise_m: float = 1.0  # per axis, per fix
    jumps_per_hour: float = 30.0
    jump_m: tuple[float, float] = (20.0, 50.0)
    jump_s: tuple[float, float] = (2.0, 6.0)
    canyon_bias_m: float = 4.0  # toward one side of the street
    canyon_corr_m: float = 80.0  # how far along a street keeps its bad side
    #: Episodes in which the reported accuracy is smaller than even the honest one.
    optimism_per_hour: float = 60.0
    optimism_s: tuple[float, float] = (10.0, 30.0)
    optimism_factor: tuple[float, float] = (0.3, 0.6)
    accuracy_kind: AccuracyKind = AccuracyKind.W3C95
    course_sigma_deg: float = 15.0
    speed_sigma_mps: float = 0.2
    min_course_speed_mps: float = 0.5  # slower than this a phone reports no course


class _Episodes:
    """A Poisson stream of episodes in time, each with a duration and two uniform parameters
    (``a`` from ``a_range``, ``b`` an angle), generated per block from its own seed."""

    def __init__(self, seed: int, stream: int, per_hour: float, duration_s: tuple[float, float],
                 a_range: tuple[float, float]) -> None:
        self._seed, self._stream, self._per_hour = seed, stream, per_hour
        self._duration_s, self._a_range = duration_s, a_range
        self._blocks: dict[int, np.ndarray] = {}  # block -> rows of (start, end, a, b)

    def _block(self, block: int) -> np.ndarray:
        found = self._blocks.get(block)
        if found is None:
            rng = np.random.default_rng([self._seed, self._stream, block])
            n = int(rng.poisson(self._per_hour * BLOCK_S / 3600.0))
            start = block * BLOCK_S + rng.uniform(0.0, BLOCK_S, n)
            found = np.column_stack([start, start + rng.uniform(*self._duration_s, n),
                                     rng.uniform(*self._a_range, n),
                                     rng.uniform(0.0, 2 * math.pi, n)])
            self._blocks[block] = found
        return found

    def active(self, t_s: float) -> tuple[float, float] | None:
        """(a, b) of the latest episode running at ``t_s``, if any (episodes last < a block)."""
        block = int(max(t_s, 0.0) // BLOCK_S)
        rows = np.concatenate([self._block(b) for b in (block - 1, block) if b >= 0])
        on = rows[(rows[:, 0] <= t_s) & (t_s < rows[:, 1])]
        if not len(on):
            return None
        latest = on[int(np.argmax(on[:, 0]))]
        return float(latest[2]), float(latest[3])


class GnssSimulator:
    """Fixes for a walker whose true position is given in ``frame`` metres."""

    def __init__(self, params: GnssParams, frame: LocalFrame, seed: int = 0) -> None:
        self.params = params
        self.frame = frame
        self._seed = seed
        self._bias: list[np.ndarray] = []  # per block: (BLOCK_S + 1, 2), continuing the last
        self._jumps = _Episodes(seed, _JUMPS, params.jumps_per_hour, params.jump_s, params.jump_m)
        self._optimism = _Episodes(seed, _OPTIMISM, params.optimism_per_hour, params.optimism_s,
                                   params.optimism_factor)
        self._side = ExponentialField(1.0, params.canyon_corr_m, seed, stream=_CANYON)

    # --- the slow bias ------------------------------------------------------------------------

    def bias_m(self, t_s: float) -> np.ndarray:
        """Gauss-Markov bias (east, north) at ``t_s``, linear between whole seconds."""
        t = max(t_s, 0.0)
        block = int(t // BLOCK_S)
        while len(self._bias) <= block:
            self._bias.append(self._bias_block(len(self._bias)))
        grid = self._bias[block]
        k = t - block * BLOCK_S
        i = min(int(k), BLOCK_S - 1)
        return grid[i] + (k - i) * (grid[i + 1] - grid[i])

    def _bias_block(self, block: int) -> np.ndarray:
        p = self.params
        rng = np.random.default_rng([self._seed, _BIAS, block])
        rho = math.exp(-1.0 / p.bias_corr_s)
        steps = rng.normal(0.0, p.bias_sigma_m * math.sqrt(1.0 - rho * rho), (BLOCK_S, 2))
        out = np.empty((BLOCK_S + 1, 2))
        out[0] = self._bias[-1][-1] if block else rng.normal(0.0, p.bias_sigma_m, 2)
        for k in range(BLOCK_S):
            out[k + 1] = rho * out[k] + steps[k]
        return out

    # --- episodes: multipath jumps and optimistic accuracy -------------------------------------

    def jump_m(self, t_s: float) -> np.ndarray:
        """The multipath jump (east, north) in force at ``t_s``; zero most of the time."""
        on = self._jumps.active(t_s)
        if on is None:
            return np.zeros(2)
        size, direction = on
        return size * np.array([math.sin(direction), math.cos(direction)])

    def optimism(self, t_s: float) -> float:
        """Factor (< 1 in an episode, else 1) on the reported accuracy at ``t_s``."""
        on = self._optimism.active(t_s)
        return 1.0 if on is None else on[0]

    # --- the street canyon --------------------------------------------------------------------

    def canyon_m(self, x: float, y: float, heading_deg: float | None) -> np.ndarray:
        """Offset (east, north) across the street at (x, y): perpendicular to the street's axis
        (the walking direction, either way), toward the side this stretch of street favours.
        None heading: the street is unknown, no offset."""
        if heading_deg is None or self.params.canyon_bias_m == 0:
            return np.zeros(2)
        axis = math.radians(heading_deg % 180.0)
        side = math.tanh(2.0 * float(self._side.values(np.zeros(1, np.int64), x, y)[0]))
        return self.params.canyon_bias_m * side * np.array([math.cos(axis), -math.sin(axis)])

    # --- the fix ------------------------------------------------------------------------------

    def honest_sigma_m(self) -> float:
        """Per-axis spread of the errors a phone's filter accounts for (bias and noise)."""
        return math.hypot(self.params.bias_sigma_m, self.params.noise_m)

    def fix_at(self, t_s: float, lat: float, lon: float, heading_deg: float | None,
               speed_mps: float) -> GnssFix:
        """What the phone reports at ``t_s`` when it truly is at (lat, lon), walking
        ``heading_deg`` at ``speed_mps``."""
        p = self.params
        x, y = self.frame.to_xy(lat, lon)
        rng = np.random.default_rng([self._seed, _FIX, int(round(t_s * 1000.0)) % 2**62])
        error = (self.bias_m(t_s) + self.jump_m(t_s) + self.canyon_m(x, y, heading_deg)
                 + rng.normal(0.0, p.noise_m, 2))
        fix_lat, fix_lon = self.frame.to_latlon(x + float(error[0]), y + float(error[1]))
        sigma = self.honest_sigma_m() * self.optimism(t_s)
        speed = max(0.0, speed_mps + float(rng.normal(0.0, p.speed_sigma_mps)))
        course = None
        if heading_deg is not None and speed >= p.min_course_speed_mps:
            course = (heading_deg + float(rng.normal(0.0, p.course_sigma_deg))) % 360.0
        return GnssFix(lat=float(fix_lat), lon=float(fix_lon),
                       accuracy_m=accuracy_radius_m(sigma, p.accuracy_kind), t_s=t_s,
                       accuracy_kind=p.accuracy_kind, heading_deg=course, speed_mps=speed)
