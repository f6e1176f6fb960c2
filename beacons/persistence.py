"""How much of a beacon reading is news: the persistence of readings' misfit, learnt as it goes.

A reading misses the path-loss law by a part that stays (a parked van, a wall, the walker's body:
shadowing correlated over metres of walking) and a part that does not (fast fading, averaged over
the scan's advertisements). A beacon heard again a second later repeats the first part, so its
evidence must count less, or the cloud collapses onto a shadowed reading and reports a radius
far too small. How much less depends on the street and on the walker's pace, which no fixed
setting knows: a fixed four seconds of memory made a walker in a clean channel lose the fix at
the start (the cloud spreads at walking pace faster than quarter-weight readings pull it in).

So the lag-one correlation of the misfit is measured: each scan's residuals at the fix (with
the cloud's offset and exponent) are paired with the previous scan's for the same beacons. A
sequence of errors with correlation ``rho`` carries ``(1 - rho) / (1 + rho)`` of the information
of independent ones (an AR(1) process), so that is the weight. The estimate only ever *lowers*
the persistence below a ceiling (the calibrated worst case): a cloud in the wrong place sees
correlated residuals and falls back to the ceiling, and an estimate fed by its own weights
cannot talk itself into ignoring every reading (measured: without the ceiling, shadowed worlds
gave a fix on 10-25 % of scans).
"""

from __future__ import annotations

import math

import numpy as np

from beacons.lazy import kernels  # numba starts on first use

#: Residuals are clipped to this (dB) before they are paired: one reflection is not persistence.
_CLIP_DB = 15.0
#: Fewer beacons than this in both scans teach nothing: a fix fitted to two or three readings
#: absorbs nearly all of their misfit, whatever its persistence (on a sparse layout that read as
#: "white" and let shadowed readings count in full).
MIN_PAIRS = 4
#: Residuals at the fitted fix understate how much of the misfit stays: the fix, the offset and
#: the exponent were all fitted to these readings and absorb part of it. Measured in the
#: benchmark worlds (benchmarks/worlds.py, shadowing correlated over 10 m, 2 dB of averaged fast
#: fading: about 0.77 at one scan's lag), the residuals' correlation came out near half of it.
UNDERSTATED_BY = 2.0


class Persistence:
    """Running estimate of the misfit's lag correlation (at ``lag_s``, about a scan apart), at
    most ``ceiling_rho`` and starting there; each scan with pairs moves it by ``rate`` of the
    way. The share of a reading that is news follows from it (beacons.readingkernels.news_share,
    applied where the scan's readings are digested)."""

    __slots__ = ("_rho", "_ceiling", "_lag_s", "_rows", "_resid", "_t_s", "_rate")

    def __init__(self, ceiling_rho: float, lag_s: float = 1.0, rate: float = 0.15) -> None:
        self._ceiling = ceiling_rho
        self._rho = ceiling_rho / UNDERSTATED_BY  # as the residuals would show it
        self._lag_s = lag_s
        self._rate = rate
        self._rows = np.zeros(0, dtype=np.int64)
        self._resid = np.zeros(0)
        self._t_s = -math.inf

    @property
    def rho(self) -> float:
        """Lag correlation at :attr:`lag_s`, 0 up to the ceiling."""
        return min(self._ceiling, max(0.0, UNDERSTATED_BY * self._rho))

    @property
    def lag_s(self) -> float:
        return self._lag_s

    def observe(self, rows: np.ndarray, resid_db: np.ndarray, t_s: float) -> None:
        """Residuals (dB) of the beacons ``rows`` at this scan's fix: pair them with the last
        scan's and update the estimate."""
        # the last scan's rows are kept sorted: a search pairs the beacons heard in both
        pair = self._rows.size > 0 and t_s - self._t_s <= 2.0 * self._lag_s
        cross, power, pairs, self._rows, resid = kernels.paired_power(
            self._rows, self._resid, rows, np.ascontiguousarray(resid_db, dtype=float),
            _CLIP_DB, pair)
        if pairs >= MIN_PAIRS and power > 0.0:
            r = self._rate
            self._rho += r * (cross / power - self._rho)
            if t_s > self._t_s:
                self._lag_s += r * (t_s - self._t_s - self._lag_s)
        self._resid, self._t_s = resid, t_s
