"""Radio and GNSS worlds the positioner does not assume, for benchmarks and tests.

:class:`SimulatedSource` draws white shadowing around the very log-distance law the positioner
assumes; a filter tuned on it proves nothing. :class:`WorldSource` wraps it and adds what real
streets do: a phone that reads a few dB off, shadowing that stays for metres (a parked van, a
wall) instead of averaging out, the walker's own body between phone and a beacon behind, and a
GNSS receiver whose error wanders, jumps on multipath and is reported too optimistically.

Until the project's own channel model lands (beacons/channel*), this is deliberately small: every
effect is one seeded number, documented where it is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from beacons.layout import BeaconLayout
from beacons.model import AccuracyKind, BeaconPlacement, GnssFix, Reading, Scan
from beacons.simulator import SimulatedSource
from routing.geo import LocalFrame


@dataclass(frozen=True, slots=True)
class RadioWorld:
    """How beacons sound in this world (defaults: the simulator's own, ideal, world)."""

    exponent: float = 2.0
    offset_db: float = 0.0  # the phone reads this much above (+) or below (-) the truth
    shadow_db: float = 0.0  # spread of per-beacon shadowing correlated along the walk
    shadow_m: float = 10.0  # its correlation distance (walked metres)
    body_db: float = 0.0  # loss when the beacon is behind the walker
    noise_db: float = 4.0  # fast fading, independent per scan
    dropout: float = 0.1
    power_spread_db: float = 0.0  # per-beacon hardware deviation from the placement's power
    sensitivity_dbm: float = -100.0  # the phone hears nothing weaker
    max_range_m: float = 40.0

    @property
    def name(self) -> str:
        extra = f" shadow {self.shadow_db:g} dB body {self.body_db:g} dB" if (
            self.shadow_db or self.body_db) else ""
        return f"n={self.exponent:g} offset {self.offset_db:+g} dB{extra}"


@dataclass(frozen=True, slots=True)
class GnssWorld:
    """A phone's satellite fixes: a slowly wandering bias, white noise, multipath jumps."""

    bias_m: float = 6.0  # per-axis spread of the wandering error
    bias_s: float = 60.0  # its time constant
    noise_m: float = 1.5  # per-axis white noise
    canyon_m: tuple[float, float] = (0.0, 0.0)  # a constant (east, north) street-canyon bias
    jump_per_s: float = 0.01  # rate of multipath jumps
    jump_m: tuple[float, float] = (20.0, 50.0)
    jump_s: float = 5.0  # how long one lasts
    reported_ratio: float = 0.7  # reported accuracy / honest accuracy (< 1: optimistic)
    kind: AccuracyKind = AccuracyKind.ANDROID68
    interval_s: float = 1.0


#: Per-axis sigma -> reported radius, the inverse of :attr:`GnssFix.sigma_m`.
def _radius_per_sigma(kind: AccuracyKind) -> float:
    return GnssFix(0.0, 0.0, 1.0, 0.0, kind).sigma_m ** -1


class WorldSource:
    """Scans along ``walk`` in ``world`` (and, with ``gnss``, a satellite fix on each scan whose
    time is a multiple of its interval). ``position_at`` is the ground truth."""

    def __init__(
        self,
        placements: Sequence[BeaconPlacement],
        walk: Sequence[tuple[float, float, float]],
        world: RadioWorld = RadioWorld(),
        seed: int = 0,
        gnss: GnssWorld | None = None,
        with_beacons: bool = True,
    ) -> None:
        self.world, self.gnss = world, gnss
        self._sim = SimulatedSource(
            placements,
            walk,
            seed=seed,
            noise_db=world.noise_db,
            dropout=world.dropout,
            path_loss_exponent=world.exponent,
            max_range_m=world.max_range_m,
            power_spread_db=world.power_spread_db,
        )
        self._with_beacons = with_beacons
        layout = BeaconLayout.of(placements)
        self._frame = LocalFrame(float(walk[0][1]), float(walk[0][2]))
        bx, by = self._frame.to_xy(layout.lat, layout.lon)
        self._beacon_xy = {p.beacon: (float(x), float(y)) for p, x, y in zip(
            layout, np.atleast_1d(bx), np.atleast_1d(by), strict=True)}
        self._seed = seed

    def position_at(self, t_s: float) -> tuple[float, float]:
        return self._sim.position_at(t_s)

    def iter_scans(self) -> Iterator[Scan]:
        """Every scan of the walk; each call replays the same run."""
        rng = np.random.default_rng([self._seed, 2])
        shadow: dict[object, tuple[float, float]] = {}  # beacon -> (value_db, walked_m)
        walked, prev = 0.0, None
        gnss_state = _GnssState(self.gnss, rng) if self.gnss else None
        for scan in self._sim.iter_scans():
            x, y = self._frame.to_xy(*self.position_at(scan.t_s))
            if prev is not None:
                walked += math.hypot(x - prev[0], y - prev[1])
            ahead = self._frame.to_xy(*self.position_at(scan.t_s + 1.0))
            back = self._frame.to_xy(*self.position_at(scan.t_s - 1.0))
            heading = (ahead[0] - back[0], ahead[1] - back[1])
            prev = (x, y)
            readings = [
                r for r in (
                    self._perturb(r, x, y, heading, walked, shadow, rng)
                    for r in scan.readings
                ) if r is not None
            ] if self._with_beacons else []
            fix = gnss_state.fix(scan.t_s, x, y, self._frame) if gnss_state else None
            yield Scan(tuple(readings), scan.t_s, gnss=fix)

    def _perturb(
        self,
        r: Reading,
        x: float,
        y: float,
        heading: tuple[float, float],
        walked: float,
        shadow: dict[object, tuple[float, float]],
        rng: np.random.Generator,
    ) -> Reading | None:
        w = self.world
        rssi = r.rssi_dbm + w.offset_db
        if w.shadow_db:
            old = shadow.get(r.beacon)
            if old is None:
                value = float(rng.normal(0.0, w.shadow_db))
            else:
                rho = math.exp(-(walked - old[1]) / w.shadow_m)
                value = rho * old[0] + math.sqrt(1 - rho * rho) * float(
                    rng.normal(0.0, w.shadow_db))
            shadow[r.beacon] = (value, walked)
            rssi += value
        if w.body_db:
            bx, by = self._beacon_xy[r.beacon]
            if (bx - x) * heading[0] + (by - y) * heading[1] < 0:  # behind the walker
                rssi -= w.body_db
        if rssi < w.sensitivity_dbm:
            return None
        return Reading(r.beacon, min(rssi, 20.0), r.tx_power_dbm, r.t_s)


class _GnssState:
    """The wandering error of one walk's GNSS (an Ornstein-Uhlenbeck process) and its jumps."""

    def __init__(self, world: GnssWorld, rng: np.random.Generator) -> None:
        self.world, self.rng = world, rng
        self.bias = rng.normal(0.0, world.bias_m, 2)
        self.t: float | None = None
        self.jump_until = -math.inf
        self.jump = np.zeros(2)
        self.next_t = -math.inf

    def fix(self, t_s: float, x: float, y: float, frame: LocalFrame) -> GnssFix | None:
        w, rng = self.world, self.rng
        if self.t is not None:
            rho = math.exp(-(t_s - self.t) / w.bias_s)
            self.bias = rho * self.bias + math.sqrt(1 - rho * rho) * rng.normal(0.0, w.bias_m, 2)
        self.t = t_s
        if t_s < self.next_t:
            return None
        self.next_t = t_s + w.interval_s - 1e-9
        if t_s >= self.jump_until and rng.random() < w.jump_per_s * w.interval_s:
            angle = rng.uniform(0.0, 2 * math.pi)
            size = rng.uniform(*w.jump_m)
            self.jump = size * np.array([math.cos(angle), math.sin(angle)])
            self.jump_until = t_s + w.jump_s
        jump = self.jump if t_s < self.jump_until else np.zeros(2)
        ex, ey = self.bias + jump + np.asarray(w.canyon_m) + rng.normal(0.0, w.noise_m, 2)
        honest_sigma = math.hypot(w.bias_m, w.noise_m)
        lat, lon = frame.to_latlon(x + ex, y + ey)
        accuracy = honest_sigma * w.reported_ratio * _radius_per_sigma(w.kind)
        return GnssFix(lat, lon, accuracy, t_s, w.kind)
