"""How well beacon readings fit a place, when neither the phone nor the street is calibrated.

The log-distance law ``rssi = P_1m + offset - 10 n log10 d`` has two unknowns that decide
everything: the phone's ``offset`` (phones read several dB apart, and a pocket or a hand changes
it) and the street's exponent ``n`` (2 in free space, 2.5-3.5 between buildings). Fixing them at
calibration values is what makes a filter lose the walker: at n = 2.7 every beacon sounds farther
than the model says, and no place on the map explains the readings.

So each point carries its own exponent and a Gaussian belief over the offset, and the offset is
*marginalised out* of the evidence: it is common to every beacon of a scan, so it enters linearly
and one weighted least-squares step gives its posterior (kept for the next scan) while a Laplace
approximation gives the evidence. The fit is robust: a reading's error is Student-t (a parked
van, the walker's body, a reflection: a few readings miss by 10-20 dB), done as one reweighting
step, and capped at ``OUTLIER_Z``. ``weight`` tempers the evidence per reading (0 < weight <= 1):
a beacon's shadowing stays for metres, so a scan a second after the last one is not independent
evidence, and counting it as such makes the cloud collapse onto a shadowed reading.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from beacons.lazy import kernels  # numba starts on first use
from beacons.pathloss import MIN_DISTANCE_M

#: Rows of an offset belief array (shape (2, points)): mean (dB) and variance (dB^2).
MEAN, VAR = 0, 1
#: Residuals beyond this many sigma all count the same: a reading that far off (a spoofed or
#: moved beacon) says "not this model", not "very far from here"; without the cap one loud
#: stranger outweighs several honest beacons heard a second ago.
OUTLIER_Z = 5.0
#: Exponents a street can physically have.
EXPONENT_RANGE = (1.2, 5.0)
_DB_PER_LN_D2 = -5.0 / math.log(10.0)  # -10 log10 d = this * ln(d^2)


def offset_prior(sigma_db: float, count: int = 1) -> np.ndarray:
    """Offset belief of ``count`` points knowing nothing but its spread."""
    prior = np.zeros((2, count))
    prior[VAR] = sigma_db * sigma_db
    return prior


def beacon_update(
    points_xy: np.ndarray,
    beacon_xy: np.ndarray,
    excess_db: np.ndarray,
    offset: np.ndarray,
    exponent: np.ndarray | float,
    sigma_db: float,
    dof: float,
    weight: np.ndarray | float = 1.0,
    height_m: float = 0.0,
    body: BodyLoss | None = None,
    floor_excess_db: np.ndarray | None = None,
    floor_sigma_db: float = 8.0,
    copies: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evidence of one scan's readings at each point and the updated offset belief there.

    ``points_xy`` is (points, 2); ``excess_db`` each beacon's RSSI minus its 1 m power;
    ``offset`` the (2, points) or (2, 1) belief; ``exponent`` per point or shared; ``weight``
    tempers each reading; ``body`` expects beacons behind each point's walker to read low.
    ``floor_excess_db`` (the phone's quietest reading minus each beacon's 1 m power) compares
    each reading with the law's mean *given that the phone heard it*: a phone reports a far
    beacon only when shadowing and fading made it loud, so heard far readings lie above the
    law, and fitted as they are they teach the cloud an exponent far too low (seen: 1.3 for a
    true 3.0 on a decision-point layout, the cloud 10-14 m behind the walker, sure of it).
    ``floor_sigma_db`` is a reading's whole spread around the law, shadowing and fading
    together (wider than ``sigma_db``, whose heavy tails take the rest).
    Returns ``(log_evidence (points,), offset posterior (2, points), inlier share (points,))``,
    the last being the tempered share of readings within 3 sigma of
    the readings' common level (do they agree on one offset here?).
    With ``copies``, each point holds that many beliefs (``offset`` and ``exponent`` per
    belief, copy ``k`` of point ``i`` at ``k * points + i``; ``body`` per point), and the
    results are per belief: a re-localisation's places, one per exponent of the prior, share
    their distances and logarithms instead of computing them once per exponent.

    Three compiled passes over the points (beacons.kernels) around numpy's vectorised float32
    ``log``: this runs on every scan of every walker, and readings are whole dB anyway.
    """
    points, b = points_xy.shape[0], beacon_xy.shape[0]
    n = copies * points
    row, sign = _NO_ROW, _NO_LOSS
    if body is None or body.off:
        facing, body_db, kind = _NO_FACING, _NO_LOSS, 0
    else:
        facing = np.ascontiguousarray(body.facing_xy, dtype=float)
        if body.row is not None and body.sign is not None:
            row, sign = body.row, body.sign
        body_db = _per_point(body.loss_db, points)
        kind = 1 if body.known else 2
    d2, loss = np.empty((b, points), dtype=np.float32), np.empty((b, points) if kind else (1, 1))
    kernels.beacon_geometry(np.ascontiguousarray(points_xy, dtype=float),
                            np.ascontiguousarray(beacon_xy, dtype=float),
                            MIN_DISTANCE_M**2 - height_m * height_m, height_m * height_m,
                            facing, row, sign, body_db, kind, d2, loss)
    np.log(d2, out=d2)
    w = _per_point(weight, b)
    post, inliers = np.empty((2, n)), np.empty(n)
    floor = _NO_FLOOR if floor_excess_db is None else np.ascontiguousarray(floor_excess_db,
                                                                            dtype=float)
    misfit = d2 if copies == 1 else np.empty((b, n), dtype=np.float32)
    log_ev = kernels.offset_fit(
        d2, loss, kind > 0, np.ascontiguousarray(excess_db, dtype=float), floor, floor_sigma_db,
        _per_point(offset[MEAN], n), _per_point(offset[VAR], n), _per_point(exponent, n), w,
        sigma_db, dof, _DB_PER_LN_D2, OUTLIER_Z**2 / dof, _t_norm(sigma_db, dof), post,
        inliers, misfit,  # with one belief a point, over the logs they were computed from
    )
    np.log(misfit, out=misfit)  # log1p of the misfits (float32 log1p is not vectorised, log is)
    kernels.subtract_scaled(log_ev, 0.5 * (dof + 1.0), w.astype(np.float32) @ misfit)
    return log_ev, post, inliers


def _per_point(values: np.ndarray | float, n: int) -> np.ndarray:
    """``values`` (one, or one per point) as ``n`` contiguous floats."""
    if isinstance(values, np.ndarray) and values.shape == (n,):
        return np.ascontiguousarray(values, dtype=float)  # no copy when it already is
    values = np.asarray(values, dtype=float)
    return np.full(n, values.flat[0]) if values.size == 1 else np.ascontiguousarray(
        np.broadcast_to(values, (n,)))


_NO_FACING, _NO_LOSS, _NO_ROW = np.zeros((1, 2)), np.zeros(1), np.zeros(0, dtype=np.int64)
_NO_FLOOR = np.zeros(0)


@dataclass(frozen=True, slots=True)
class BodyLoss:
    """The walker's body between the phone (held in front) and a beacon behind: ``loss_db``
    straight behind, ``-cos`` of the angle, none ahead (as beacons.channel draws it).

    ``facing_xy`` is each point's walking direction (unit, (points, 2)) and ``loss_db`` its
    loss, one for all or one per point; where only the line of the street is known (``known``
    False: either way along it), half the loss times ``|cos|`` is expected, the mean of the two
    directions. With ``row`` and ``sign``, point ``i`` faces ``sign[i]`` times row ``row[i]``
    of ``facing_xy`` (a particle's edge's unit vector and its direction along it: the map's
    array is read where it lies, not gathered per scan).
    """

    facing_xy: np.ndarray
    loss_db: np.ndarray | float
    known: bool = True
    row: np.ndarray | None = None
    sign: np.ndarray | None = None

    def facing(self) -> np.ndarray:
        """Each point's facing (unit, (points, 2))."""
        if self.row is None or self.sign is None:
            return self.facing_xy
        return self.facing_xy[self.row] * self.sign[:, None]

    @property
    def off(self) -> bool:
        """No loss expected anywhere (one loss of 0 for all)."""
        return not isinstance(self.loss_db, np.ndarray) and not self.loss_db


def misfit_db(point_xy: tuple[float, float], beacon_xy: np.ndarray, excess_db: np.ndarray,
              offset_db: float, exponent: float, height_m: float = 0.0) -> np.ndarray:
    """Each reading's miss (dB) of the law at one point with one offset and exponent."""
    return kernels.misfit(float(point_xy[0]), float(point_xy[1]),
                          np.ascontiguousarray(beacon_xy, dtype=float),
                          np.ascontiguousarray(excess_db, dtype=float), float(offset_db),
                          float(exponent), MIN_DISTANCE_M**2 - height_m * height_m,
                          height_m * height_m, _DB_PER_LN_D2)


@functools.lru_cache(maxsize=64)
def _t_norm(sigma_db: float, dof: float) -> float:
    """Log normaliser of a Student-t density with scale ``sigma_db`` (the settings' one pair,
    asked on every scan)."""
    return (
        math.lgamma((dof + 1.0) / 2.0)
        - math.lgamma(dof / 2.0)
        - 0.5 * math.log(dof * math.pi)
        - math.log(sigma_db)
    )


@functools.lru_cache(maxsize=64)
def exponent_grid(center: float, sigma: float, count: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Exponents standing for a Gaussian prior cut to the physical range (equal-probability
    strata) and their log-weights, for places whose exponent is not known yet. Cut, not
    clipped: a clipped prior piles a fifth of its weight on the bound, and at n = 1 a signal
    hardly falls with distance, so every place fits and the walker is found nowhere.
    Read-only arrays, made once per prior (every re-localisation asks for the settings' one)."""
    low, high = (ndtr((bound - center) / sigma) for bound in EXPONENT_RANGE)
    values = center + sigma * ndtri(low + (high - low) * (np.arange(count) + 0.5) / count)
    log_w = np.full(count, -math.log(count))
    values.setflags(write=False)
    log_w.setflags(write=False)
    return values, log_w


def log_likelihood(
    points_xy: np.ndarray,
    beacon_xy: np.ndarray,
    power_1m_dbm: np.ndarray,
    rssi_dbm: np.ndarray,
    exponent: float,
    sigma_db: float,
    height_m: float = 0.0,
    dof: float = 4.0,
    offset_sigma_db: float = 6.0,
    exponent_sigma: float = 0.8,
) -> np.ndarray:
    """Log-evidence (up to a constant) of one scan's readings at each point, the phone's offset
    and the exponent marginalised from priors of spread ``offset_sigma_db`` and
    ``exponent_sigma`` around ``exponent``. Shape (points,)."""
    points_xy = np.asarray(points_xy, dtype=float)
    exponents, log_prior = exponent_grid(exponent, exponent_sigma)
    per_exponent = [
        beacon_update(
            points_xy,
            np.asarray(beacon_xy, dtype=float),
            np.asarray(rssi_dbm, dtype=float) - np.asarray(power_1m_dbm, dtype=float),
            offset_prior(offset_sigma_db),
            float(n),
            sigma_db,
            dof,
            height_m=height_m,
        )[0]
        for n in exponents.tolist()
    ]
    return np.logaddexp.reduce(np.stack(per_exponent) + log_prior[:, None], axis=0)
