"""The loop of beacons.absence over the particles and the silent beacons near them, compiled
(numba) like beacons.kernels: it runs on every scan of a walker whose cloud is too spread for
the guidance, for ~300 particles and a handful of beacons."""

from __future__ import annotations

import math

import numpy as np

from beacons.kernels import _jit, body_loss_db, table_at


def _normal_cdf_table(low: float, high: float, steps: int) -> np.ndarray:
    """The standard normal's distribution function at ``steps + 1`` points from ``low`` to
    ``high``."""
    z = np.linspace(low, high, steps + 1)
    return 0.5 * np.array([math.erfc(-v / math.sqrt(2.0)) for v in z])


#: :func:`unheard_log_ev` reads the normal's distribution function from this table (an erfc
#: per beacon and particle is most of the pass's cost).
_CDF_LOW, _CDF_HIGH, _CDF_PER_SIGMA = -6.0, 6.0, 64
_CDF = _normal_cdf_table(_CDF_LOW, _CDF_HIGH, int((_CDF_HIGH - _CDF_LOW) * _CDF_PER_SIGMA))


@_jit
def normal_cdf(z: float) -> float:
    """The standard normal's distribution function at ``z`` (interpolated in a table)."""
    if z <= _CDF_LOW:
        return 0.0
    if z >= _CDF_HIGH:
        return 1.0
    return table_at(_CDF, _CDF_LOW, _CDF_PER_SIGMA, z)


@_jit
def unheard_log_ev(
    points_xy: np.ndarray, beacon_xy: np.ndarray, floor_excess_db: np.ndarray,
    offset_mean: np.ndarray, offset_var: np.ndarray, exponent: np.ndarray,
    facing_xy: np.ndarray, facing_row: np.ndarray, facing_sign: np.ndarray,
    body_db: np.ndarray, min_d2: float, h2: float, reach_m: float, sigma_db: float,
    miss_floor: float, live: np.ndarray, w: np.ndarray, db_per_ln_d2: float, weight: float,
    out: np.ndarray, expected: np.ndarray,
) -> None:
    """beacons.absence.unheard_evidence: adds to ``out`` each point's tempered log-probability
    of not hearing the one of the beacons ``beacon_xy`` it was likeliest to hear (their 1 m
    powers ``floor_excess_db`` below the phone's floor, each alive with chance ``live``), by
    its own offset belief, exponent and body loss, and to ``expected`` each beacon's chance of
    being heard if alive, averaged over the points with weights ``w``. Beacons beyond
    ``reach_m`` of a point are skipped (they say nothing there)."""
    reach2 = reach_m * reach_m
    for i in range(points_xy.shape[0]):
        scale = 1.0 / math.sqrt(sigma_db * sigma_db + offset_var[i])
        k, sign = facing_row[i], facing_sign[i]
        fx, fy = facing_xy[k, 0] * sign, facing_xy[k, 1] * sign
        loudest = 0.0  # the likeliest heard of the silent beacons
        for j in range(beacon_xy.shape[0]):
            dx, dy = beacon_xy[j, 0] - points_xy[i, 0], beacon_xy[j, 1] - points_xy[i, 1]
            flat2 = dx * dx + dy * dy
            if flat2 > reach2:
                continue
            r2 = max(flat2, min_d2) + h2
            level = offset_mean[i] + db_per_ln_d2 * exponent[i] * math.log(r2) - floor_excess_db[j]
            level -= body_loss_db((dx * fx + dy * fy) / math.sqrt(r2), body_db[i], True)
            hear = (1.0 - miss_floor) * normal_cdf(level * scale)
            expected[j] += w[i] * hear
            loudest = max(loudest, live[j] * hear)
        out[i] += weight * math.log(1.0 - loudest)
