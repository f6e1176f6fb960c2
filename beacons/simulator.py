"""Seeded walkers' scans: the ideal world (the positioner's own law) and an honest one.

:class:`SimulatedSource` draws log-distance path loss with i.i.d. log-normal noise, dropouts and
dead beacons: exactly what the positioner assumes, so it is the *ideal* world.
:class:`ChannelSource` hears the same walk through a :class:`~beacons.channel.RadioChannel` with
the effects real radio has. Time comes from the walk, never from a clock, so a simulation is
exact and instant to replay.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator, Sequence

import numpy as np
from scipy.spatial import cKDTree

from beacons.channel import RadioChannel
from beacons.gnss_simulator import GnssSimulator
from beacons.layout import BeaconLayout
from beacons.model import BeaconPlacement, Reading, Scan
from beacons.pathloss import expected_rssi_dbm
from routing.geo import LocalFrame, haversine_m

RSSI_FLOOR_DBM = -127


def walk_along(
    coords: Sequence[tuple[float, float]],
    speed_mps: float = 1.2,
    dt_s: float = 1.0,
    t0_s: float = 0.0,
) -> list[tuple[float, float, float]]:
    """Sample a polyline of (lat, lon) at a steady pace: ``(t_s, lat, lon)`` every ``dt_s``,
    ending exactly on the last point."""
    if not coords:
        return []
    cum = [0.0]
    for (a_lat, a_lon), (b_lat, b_lon) in zip(coords, coords[1:], strict=False):
        cum.append(cum[-1] + haversine_m(a_lat, a_lon, b_lat, b_lon))
    total = cum[-1]
    steps = max(1, math.ceil(total / (speed_mps * dt_s)))
    out = []
    seg = 0
    for k in range(steps + 1):
        along = min(total, k * speed_mps * dt_s)
        while seg < len(coords) - 2 and cum[seg + 1] < along:
            seg += 1
        span = cum[seg + 1] - cum[seg] if len(coords) > 1 else 0.0
        f = 0.0 if span == 0 else (along - cum[seg]) / span
        (a_lat, a_lon), (b_lat, b_lon) = coords[seg], coords[min(seg + 1, len(coords) - 1)]
        t = t0_s + (k * dt_s if along < total else total / speed_mps)
        out.append((t, a_lat + f * (b_lat - a_lat), a_lon + f * (b_lon - a_lon)))
    return out


class _WalkedSource(ABC):
    """A walk ``(t_s, lat, lon)`` (times increasing) heard as one scan per ``scan_interval_s``;
    with ``gnss``, every scan also carries the phone's satellite fix (``Scan.gnss``)."""

    def __init__(self, walk: Sequence[tuple[float, float, float]], scan_interval_s: float,
                 gnss: GnssSimulator | None, frame: LocalFrame | None = None) -> None:
        if not walk:
            raise ValueError("a simulation needs a walk of at least one point")
        self._walk = np.asarray(walk, dtype=float)
        self._interval_s = scan_interval_s
        self.gnss = gnss
        self._frame = frame or LocalFrame(float(self._walk[0, 1]), float(self._walk[0, 2]))
        x, y = self._frame.to_xy(self._walk[:, 1], self._walk[:, 2])
        self._xy = np.column_stack([x, y])
        self._heading = _headings_deg(self._xy)
        steps = np.hypot(*np.diff(self._xy, axis=0).T)
        self._speed = steps / np.maximum(np.diff(self._walk[:, 0]), 1e-9)

    def position_at(self, t_s: float) -> tuple[float, float]:
        """Ground truth (lat, lon) at ``t_s`` (linear between walk points)."""
        w = self._walk
        return float(np.interp(t_s, w[:, 0], w[:, 1])), float(np.interp(t_s, w[:, 0], w[:, 2]))

    def _xy_at(self, t_s: float) -> tuple[float, float]:
        """Ground truth in the source's frame at ``t_s``."""
        w = self._walk
        return (float(np.interp(t_s, w[:, 0], self._xy[:, 0])),
                float(np.interp(t_s, w[:, 0], self._xy[:, 1])))

    def _step(self, t_s: float) -> int | None:
        """The walk step under way at ``t_s`` (the last one once stopped; None: no steps)."""
        if len(self._walk) < 2:
            return None
        i = int(np.searchsorted(self._walk[:, 0], t_s, side="right")) - 1
        return min(max(i, 0), len(self._walk) - 2)

    def heading_at(self, t_s: float) -> float | None:
        """The true walking direction at ``t_s`` (compass degrees; the last one once stopped;
        None for a walk that never moves)."""
        i = self._step(t_s)
        h = None if i is None else float(self._heading[i])
        return None if h is None or math.isnan(h) else h

    def speed_at(self, t_s: float) -> float:
        """The true walking speed at ``t_s`` (0 before the walk starts and after it ends)."""
        i = self._step(t_s)
        w = self._walk
        return 0.0 if i is None or not w[0, 0] <= t_s < w[-1, 0] else float(self._speed[i])

    @abstractmethod
    def _readings(self, t_s: float) -> tuple[Reading, ...]:
        """The advertisements the phone reports at ``t_s``."""

    def scan_at(self, t_s: float) -> Scan:
        """The scan the walker's phone reports at ``t_s`` (with the GNSS fix of that moment)."""
        readings = self._readings(t_s)
        if self.gnss is None:
            return Scan(readings, t_s)
        fix = self.gnss.fix_at(t_s, *self.position_at(t_s), self.heading_at(t_s),
                               self.speed_at(t_s))
        return Scan(readings, t_s, gnss=fix)

    def scan_times(self) -> Iterator[float]:
        """The walk's scan times, from its first point to its last."""
        t0, end = float(self._walk[0, 0]), float(self._walk[-1, 0])
        for k in range(int((end - t0) / self._interval_s + 1e-9) + 1):
            yield t0 + k * self._interval_s

    def iter_scans(self) -> Iterator[Scan]:
        """Every scan of the walk; each call replays the same run."""
        for t in self.scan_times():
            yield self.scan_at(t)

    async def scans(self) -> AsyncIterator[Scan]:
        for scan in self.iter_scans():
            yield scan


class SimulatedSource(_WalkedSource):
    """The ideal world: scans a walker would receive along ``walk``, drawn from the positioner's
    own law.

    ``dead`` is the fraction of beacons that never transmit (chosen by the seed, listed in
    ``dead_beacons``); ``power_spread_db`` makes each beacon's true power deviate from its
    placement's nominal one, as real hardware does.
    """

    def __init__(
        self,
        placements: Sequence[BeaconPlacement],
        walk: Sequence[tuple[float, float, float]],
        seed: int = 0,
        noise_db: float = 4.0,
        dropout: float = 0.1,
        dead: float = 0.0,
        path_loss_exponent: float = 2.0,
        max_range_m: float = 30.0,
        scan_interval_s: float = 1.0,
        power_spread_db: float = 0.0,
        gnss: GnssSimulator | None = None,
    ) -> None:
        super().__init__(walk, scan_interval_s, gnss)
        self._layout = BeaconLayout.of(placements)  # columns: a city has 500k beacons
        self._seed = seed
        rng = np.random.default_rng(seed)
        self._noise_db, self._dropout = noise_db, dropout
        self._exponent, self._max_range_m = path_loss_exponent, max_range_m
        n = len(self._layout)
        dead_mask = rng.random(n) < dead
        self.dead_beacons = frozenset(
            self._layout[i].beacon for i in np.flatnonzero(dead_mask).tolist()
        )
        self._power = self._layout.power.copy()
        self._power += rng.normal(0.0, power_spread_db, n) if power_spread_db else 0.0
        self._alive = ~dead_mask
        xy = self._frame.to_xy(self._layout.lat, self._layout.lon)
        self._tree = cKDTree(np.column_stack(xy).reshape(-1, 2))
        self._rng = np.random.default_rng([seed, 1])

    def _readings(self, t_s: float) -> tuple[Reading, ...]:
        """The readings at ``t_s`` (draws noise from the run's RNG: call in time order)."""
        x, y = self._frame.to_xy(*self.position_at(t_s))
        near = np.array(self._tree.query_ball_point((x, y), self._max_range_m), dtype=int)
        near = near[self._alive[near]] if near.size else near
        if near.size == 0:
            return ()
        dist = np.hypot(*(self._tree.data[near] - (x, y)).T)
        rssi = expected_rssi_dbm(dist, self._power[near], self._exponent)
        rssi = np.rint(rssi + self._rng.normal(0.0, self._noise_db, near.size))
        heard = (self._rng.random(near.size) >= self._dropout) & (rssi >= RSSI_FLOOR_DBM)
        return tuple(
            Reading(
                (p := self._layout[i]).beacon,
                float(min(r, 20.0)),
                p.measured_power_dbm,
                t_s,
            )
            for i, r, h in zip(near.tolist(), rssi.tolist(), heard.tolist(), strict=True)
            if h
        )

    def iter_scans(self) -> Iterator[Scan]:
        """Every scan of the walk, one per ``scan_interval_s``; each call replays the same run."""
        self._rng = np.random.default_rng([self._seed, 1])
        return super().iter_scans()


class ChannelSource(_WalkedSource):
    """Scans a walker hears through ``channel`` along ``walk``; its body faces the way it walks.

    Build the channel (and the GNSS) once per walker and hand them to every leg of the walk (a
    re-route is a new leg): dead beacons, the phone's offset, the shadows and the GNSS bias then
    carry on as they were.
    """

    def __init__(self, channel: RadioChannel, walk: Sequence[tuple[float, float, float]],
                 scan_interval_s: float = 1.0, gnss: GnssSimulator | None = None) -> None:
        super().__init__(walk, scan_interval_s, gnss, frame=channel.frame)
        self.channel = channel

    def _readings(self, t_s: float) -> tuple[Reading, ...]:
        """The advertisements heard since the previous scan."""
        return self.channel.readings(*self._xy_at(t_s), self.heading_at(t_s), t_s,
                                     self._interval_s)


def _headings_deg(xy: np.ndarray) -> np.ndarray:
    """Compass heading of each walk step; a step that does not move keeps the one before it
    (NaN until the walk first moves, then the first move's heading backwards too)."""
    d = np.diff(xy, axis=0)
    moving = np.hypot(d[:, 0], d[:, 1]) > 1e-6
    heading = np.where(moving, np.degrees(np.arctan2(d[:, 0], d[:, 1])) % 360.0, np.nan)
    if not moving.any():
        return heading
    idx = np.where(moving, np.arange(len(heading)), -1)
    idx = np.maximum.accumulate(idx)
    idx[idx < 0] = int(np.argmax(moving))
    return heading[idx]
