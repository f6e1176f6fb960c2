"""A radio world that is not the positioner's own model: what a phone in a street hears.

The positioner assumes log-distance path loss with one exponent and white Gaussian noise; the
ideal :class:`~beacons.simulator.SimulatedSource` draws exactly that, so it cannot show what the
assumption costs. Real RSSI has, each a knob of :class:`ChannelParams` (all off by default):

- another path-loss exponent (about 1.8 in the open, 3 and more among people and parked cars);
- shadowing that is correlated over metres of walking, per beacon (Gudmundson:
  ``exp(-distance / corr_m)``, see :mod:`beacons.randomfield`), not fresh noise on every scan;
- body loss: the walker's own body between phone and beacon when the beacon is behind;
- fast fading on every advertisement, several advertisements per beacon per scan, each faded on
  its own (log-normal: Gaussian in dB);
- a per-phone RSSI offset (chipsets, antennas and cases differ by several dB);
- each beacon's true power off its nominal one;
- packet loss per advertisement, dead beacons and a receiver sensitivity floor.

Seeded and pure: the same world, position, heading and time give the same readings whatever was
asked before, so a walk replays exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from beacons.layout import BeaconLayout
from beacons.model import BeaconPlacement, Reading
from beacons.pathloss import expected_rssi_dbm
from beacons.randomfield import ExponentialField
from routing.geo import LocalFrame

RSSI_MAX_DBM = 20.0
#: Random streams of one seed: which beacons are dead and their true powers; the shadowing
#: fields; the per-scan draws (fading, loss, timing).
_HARDWARE, _SHADOWING, _SCAN = 0, 1, 2


@dataclass(frozen=True, slots=True)
class ChannelParams:
    """One radio world. Defaults are the bare log-distance law with exponent 2: every effect is
    switched on by giving it a size."""

    exponent: float = 2.0
    shadowing_sigma_db: float = 0.0
    shadowing_corr_m: float = 5.0  # distance over which shadowing decorrelates to 1/e
    body_loss_db: float = 0.0  # with the beacon straight behind the walker
    fading_sigma_db: float = 0.0  # per advertisement
    adverts_per_scan: int = 1  # advertisements per beacon per scan window (before loss)
    phone_offset_db: float = 0.0  # added to every reading of this phone
    power_spread_db: float = 0.0  # beacons' true 1 m power around their nominal one
    packet_loss: float = 0.0  # per advertisement
    dead: float = 0.0  # share of beacons that never transmit
    sensitivity_dbm: float = -100.0  # advertisements arriving weaker are not heard
    #: Beacons farther than this are not computed at all (cost); beyond it a phone would hear
    #: only floor-level readings that say little about where it is.
    max_range_m: float = 80.0


def body_loss_db(heading_deg: float | None, bearing_deg: np.ndarray, loss_db: float
                 ) -> np.ndarray:
    """Attenuation by the walker's body (phone held in front): none while the beacon is within
    90 deg of the walking direction, rising as ``-cos`` of the angle to ``loss_db`` straight
    behind. An unknown heading means no body loss."""
    bearing = np.asarray(bearing_deg, dtype=float)
    if heading_deg is None or loss_db == 0:
        return np.zeros(bearing.shape)
    return loss_db * np.maximum(0.0, -np.cos(np.radians(bearing - heading_deg)))


class RadioChannel:
    """The radio world of one walker's phone among a beacon layout.

    Positions are metres in :attr:`frame`, the layout's own (not the walk's), so every leg of a
    walk and every re-route meets the same shadows in the same places.
    """

    def __init__(self, placements: Sequence[BeaconPlacement], params: ChannelParams,
                 seed: int = 0) -> None:
        self.layout = BeaconLayout.of(placements)
        self.params = params
        self._seed = seed
        n = len(self.layout)
        if n:
            self.frame = LocalFrame(float(self.layout.lat.mean()), float(self.layout.lon.mean()))
        else:
            self.frame = LocalFrame(0.0, 0.0)
        x, y = self.frame.to_xy(self.layout.lat, self.layout.lon)
        self.beacon_xy = np.column_stack([x, y]).reshape(-1, 2)
        self._tree = cKDTree(self.beacon_xy)
        rng = np.random.default_rng([seed, _HARDWARE])
        dead = rng.random(n) < params.dead
        self.alive = ~dead
        self.dead_beacons = frozenset(self.layout[i].beacon for i in np.flatnonzero(dead).tolist())
        self.power_dbm = self.layout.power + rng.normal(0.0, 1.0, n) * params.power_spread_db
        self._shadowing = ExponentialField(params.shadowing_sigma_db, params.shadowing_corr_m,
                                           seed, stream=_SHADOWING)
        self._heard: dict[int, BeaconPlacement] = {}  # rows made into placements, once each

    def near(self, x: float, y: float) -> np.ndarray:
        """Rows of the live beacons within ``max_range_m`` of (x, y), ascending."""
        if not len(self.layout):
            return np.zeros(0, dtype=np.int64)
        rows = np.array(sorted(self._tree.query_ball_point((x, y), self.params.max_range_m)),
                        dtype=np.int64)
        return rows[self.alive[rows]] if rows.size else rows

    def shadowing_db(self, rows: np.ndarray, x: float, y: float) -> np.ndarray:
        """Each beacon's shadowing at (x, y): the slow part, the same whenever asked there."""
        return self._shadowing.values(rows, x, y)

    def mean_rssi_dbm(self, rows: np.ndarray, x: float, y: float, heading_deg: float | None
                      ) -> np.ndarray:
        """What the phone at (x, y) would read from each beacon before fast fading: true power,
        path loss, shadowing, body loss and the phone's offset."""
        dx, dy = (self.beacon_xy[rows] - (x, y)).T
        bearing = np.degrees(np.arctan2(dx, dy))
        p = self.params
        return (
            expected_rssi_dbm(np.hypot(dx, dy), self.power_dbm[rows], p.exponent)
            + self.shadowing_db(rows, x, y)
            - body_loss_db(heading_deg, bearing, p.body_loss_db)
            + p.phone_offset_db
        )

    def readings(self, x: float, y: float, heading_deg: float | None, t_s: float,
                 window_s: float = 1.0) -> tuple[Reading, ...]:
        """Every advertisement heard at (x, y) in the scan window ``(t_s - window_s, t_s]``, in
        time order: whole dBm, one reading per advertisement that was neither lost nor below the
        sensitivity floor."""
        p = self.params
        rows = self.near(x, y)
        if rows.size == 0:
            return ()
        mean = self.mean_rssi_dbm(rows, x, y, heading_deg)
        rng = np.random.default_rng([self._seed, _SCAN, int(round(t_s * 1000.0)) % 2**62])
        shape = (rows.size, p.adverts_per_scan)
        rssi = mean[:, None] + rng.normal(0.0, 1.0, shape) * p.fading_sigma_db
        heard = (rng.random(shape) >= p.packet_loss) & (rssi >= p.sensitivity_dbm)
        # advertisements evenly spaced in the window, each beacon at its own phase
        slot = (np.arange(p.adverts_per_scan) + 1.0 - rng.random((rows.size, 1)))
        times = t_s - window_s + slot * (window_s / p.adverts_per_scan)
        rssi = np.minimum(np.rint(rssi), RSSI_MAX_DBM)
        i, k = np.nonzero(heard)
        order = np.argsort(times[i, k], kind="stable")
        out = []
        for r, a in zip(i[order].tolist(), k[order].tolist(), strict=True):
            row = int(rows[r])
            placement = self._heard.get(row) or self._heard.setdefault(row, self.layout[row])
            out.append(Reading(placement.beacon, float(rssi[r, a]), placement.measured_power_dbm,
                               float(times[r, a])))
        return tuple(out)
