"""Evidence from the beacons a phone did *not* hear.

A walker standing next to a live beacon hears it; one 20 m away, in a street where signals
fall fast and a phone that hears only down to -92 dBm, does not. Readings alone cannot tell
those two places apart when the phone hears each beacon only within a few metres: between two
beacons the cloud spreads along the whole stretch (no fix, and an instruction held past its
corner). The beacons that stay silent say which part of the stretch the walker is *not* in.

Each point expects to hear each beacon near it with the probability that the law's level there
(its own offset belief, exponent and body loss) clears the phone's floor, given a reading's
whole spread (shadowing and fading) and the offset's own doubt. Not hearing it is then likely
in proportion to one minus that, but never less than ``miss_floor``: its advertisements may be
lost, or a van may shadow it. And a beacon may be dead: each silent beacon's chance of that
(:class:`SilentBeacons`) starts at ``dead_prior``, is 0 once the walker has heard it lately, and
grows with every scan in which the cloud expected to hear it and did not; a dead beacon next to
the walker, counted as alive, pushed a cloud 10-17 m off, sure of it, and the walker never
arrived. One scan's silences are not independent either (the phone's offset, the street's
exponent and the floor are shared unknowns), so a point counts only the silent beacon it was
likeliest to hear: multiplied, a place with fewer beacons around always won, and a cloud of a
walk on the harsh world's street ran 25-40 m off toward the layout's edge. Successive scans'
silences are not independent (a shadow stays for metres), so each scan's evidence is tempered
by ``weight``. Pure: arrays in, arrays out.
"""

from __future__ import annotations

import numpy as np

from beacons.lazy import absencekernels as kernels  # numba starts on first use
from beacons.likelihood import _DB_PER_LN_D2, MEAN, VAR, BodyLoss
from beacons.pathloss import MIN_DISTANCE_M
from beacons.positioning_map import PositioningMap

__all__ = ["SilentBeacons", "beacons_near_cloud", "unheard_evidence", "unheard_near"]

_NO_ROWS = np.zeros(0, dtype=np.int64)
#: Silent beacons a walker keeps a belief about before starting afresh (a walk passes new ones
#: all along; the ones behind matter for a few seconds).
_KEPT = 256


def beacons_near_cloud(pmap: PositioningMap, xy: np.ndarray, w: np.ndarray, reach_m: float
                       ) -> np.ndarray:
    """Layout rows of the beacons within ``reach_m`` of any of the points ``xy`` (or a little
    more): those around the weighted centre (weights ``w``) out to the farthest point."""
    cx, cy = (w @ xy).tolist()
    extent = float(np.sqrt(((xy[:, 0] - cx) ** 2 + (xy[:, 1] - cy) ** 2).max()))
    return pmap.beacons_within(cx, cy, extent + reach_m)


def unheard_near(beacons_near: np.ndarray, heard_rows: np.ndarray) -> np.ndarray:
    """The layout rows of ``beacons_near`` (the beacons near the cloud) that are not among
    ``heard_rows`` (every beacon the scan heard, also those it did not weigh)."""
    if not beacons_near.size:
        return _NO_ROWS
    # a few dozen rows against a few: one broadcast comparison (np.isin sorts: ~30 us a call)
    return beacons_near[~(beacons_near[:, None] == heard_rows[None, :]).any(axis=1)]


class SilentBeacons:
    """One walker's belief that each beacon it does not hear is dead (a dict of the few it
    doubts, by layout row): ``dead_prior`` for one never heard; 0 for one heard lately (a
    beacon rarely dies mid-walk); after a silent scan in which the cloud expected to hear it
    alive with probability ``p``, Bayes: the odds of dead grow by ``1 / (1 - p)``."""

    __slots__ = ("_dead", "_prior")

    def __init__(self, dead_prior: float) -> None:
        self._dead: dict[int, float] = {}
        self._prior = dead_prior

    def dead(self, rows: np.ndarray, heard_lately: np.ndarray) -> np.ndarray:
        """Each row's chance of being dead (``heard_lately`` per row: those are alive)."""
        prior, dead = self._prior, self._dead
        out = np.array([dead.get(r, prior) for r in rows.tolist()])
        out[heard_lately] = 0.0
        return out

    def observe(self, rows: np.ndarray, dead: np.ndarray, expected: np.ndarray) -> None:
        """``rows`` (dead with chance ``dead``) were silent while the cloud expected to hear
        each, if alive, with chance ``expected``."""
        if len(self._dead) > _KEPT:
            self._dead.clear()
        silent_alive = (1.0 - dead) * np.maximum(1.0 - expected, 1e-6)
        posterior = dead / (dead + silent_alive)
        self._dead.update(zip(rows.tolist(), posterior.tolist(), strict=True))


def unheard_evidence(
    points_xy: np.ndarray,
    w: np.ndarray,
    beacon_xy: np.ndarray,
    floor_excess_db: np.ndarray,
    dead: np.ndarray,
    offset: np.ndarray,
    exponent: np.ndarray,
    body: BodyLoss,
    sigma_db: float,
    miss_floor: float,
    weight: float,
    reach_m: float,
    height_m: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Each point's tempered log-probability of not hearing the beacon at ``beacon_xy`` it was
    likeliest to hear, and each beacon's chance of being heard, if alive, averaged over the
    points (weights ``w``; for :meth:`SilentBeacons.observe`).

    ``floor_excess_db`` is the phone's floor minus each beacon's 1 m power; ``dead`` each
    beacon's chance of being dead; ``offset`` the points' (2, points) offset beliefs (mean and
    variance: an unsure offset makes the expectation softer); ``exponent`` and ``body`` (facing
    known, per point) as for the readings (beacons.likelihood.beacon_update); ``sigma_db`` a
    reading's whole spread around the law. A beacon beyond ``reach_m`` of a point is not
    expected there at all (the world is not simulated, nor a phone trusted, that far). The
    log-evidence is 0 where no unheard beacon is near, never below ``weight * log(miss_floor)``
    per beacon.
    """
    n, b = points_xy.shape[0], beacon_xy.shape[0]
    out, expected = np.zeros(n), np.zeros(b)
    if not b or not n:
        return out, expected
    if body.row is not None and body.sign is not None:
        facing, row, sign = body.facing_xy, body.row, body.sign
    else:
        facing, row, sign = body.facing(), np.arange(n), np.ones(n)
    loss = np.broadcast_to(np.asarray(body.loss_db, dtype=float), (n,))
    kernels.unheard_log_ev(
        np.ascontiguousarray(points_xy, dtype=float), np.ascontiguousarray(beacon_xy, dtype=float),
        np.ascontiguousarray(floor_excess_db, dtype=float),
        np.ascontiguousarray(offset[MEAN], dtype=float),
        np.ascontiguousarray(offset[VAR], dtype=float),
        np.ascontiguousarray(np.broadcast_to(exponent, (n,)), dtype=float),
        np.ascontiguousarray(facing, dtype=float), row, np.ascontiguousarray(sign, dtype=float),
        np.ascontiguousarray(loss), MIN_DISTANCE_M**2 - height_m * height_m, height_m * height_m,
        reach_m, sigma_db, miss_floor, np.ascontiguousarray(1.0 - dead, dtype=float),
        np.ascontiguousarray(w, dtype=float), float(_DB_PER_LN_D2), weight, out, expected)
    return out, expected
