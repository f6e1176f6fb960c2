"""Log-distance path loss: RSSI(d) = P_1m - 10 n log10(d), with per-beacon calibrated P_1m."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

MIN_DISTANCE_M = 0.5  # closer than this the far-field model is meaningless


@dataclass(frozen=True, slots=True)
class PathLossModel:
    """Exponent ``n`` shared by all beacons, power at 1 m per beacon (fallback: the placement's
    or ``measured_power_dbm``), and ``sigma_db``: the spread of readings around the model."""

    exponent: float = 2.0
    measured_power_dbm: float = -59.0
    sigma_db: float = 4.0
    power_1m_dbm: Mapping[Hashable, float] = field(default_factory=dict)

    def power_for(self, beacon: Hashable, default: float | None = None) -> float:
        """Calibrated power at 1 m of ``beacon``; else ``default``; else the model's own."""
        if beacon in self.power_1m_dbm:
            return self.power_1m_dbm[beacon]
        return self.measured_power_dbm if default is None else default


def expected_rssi_dbm(distance_m, power_1m_dbm, exponent: float):
    """Mean RSSI at ``distance_m`` (scalars or numpy arrays)."""
    return power_1m_dbm - 10.0 * exponent * np.log10(np.maximum(distance_m, MIN_DISTANCE_M))


def rssi_to_distance_m(rssi_dbm: float, power_1m_dbm: float, exponent: float = 2.0) -> float:
    """Distance at which the model expects ``rssi_dbm`` (the median, not the mean, distance)."""
    return float(max(MIN_DISTANCE_M, 10.0 ** ((power_1m_dbm - rssi_dbm) / (10.0 * exponent))))


def fit_path_loss(samples: Iterable[tuple[Hashable, float, float]]) -> PathLossModel:
    """Least-squares fit of one exponent and one 1 m power per beacon.

    ``samples`` are ``(beacon, distance_m, rssi_dbm)``. The fit is linear in the unknowns
    (``rssi = P_b - 10 n log10 d``), so it is solved exactly in one step, no iteration to tune.
    """
    rows = list(samples)
    if len(rows) < 3:
        raise ValueError("need at least 3 survey samples to fit a path-loss model")
    beacons = sorted({b for b, _, _ in rows}, key=str)
    col = {b: i for i, b in enumerate(beacons)}
    design = np.zeros((len(rows), len(beacons) + 1))
    rssi = np.empty(len(rows))
    for i, (b, d, r) in enumerate(rows):
        design[i, col[b]] = 1.0
        design[i, -1] = -10.0 * np.log10(max(d, MIN_DISTANCE_M))
        rssi[i] = r
    if np.ptp(design[:, -1]) == 0:
        raise ValueError("survey samples must span more than one distance")
    coef, *_ = np.linalg.lstsq(design, rssi, rcond=None)
    residual = rssi - design @ coef
    powers = {b: float(coef[col[b]]) for b in beacons}
    return PathLossModel(
        exponent=float(coef[-1]),
        measured_power_dbm=float(np.median(list(powers.values()))),
        sigma_db=float(np.sqrt(np.mean(residual**2))),
        power_1m_dbm=powers,
    )
