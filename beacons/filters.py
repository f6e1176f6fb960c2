"""Per-beacon RSSI smoothing: a Kalman filter (filterpy) over every beacon heard, time passed in.

Each beacon's state is its mean RSSI as the walker moves: a random walk whose variance grows with
the time since it was last heard (``process_db2_per_s``), observed through shadowing noise
(``noise_db``). The beacons heard in one scan are independent, so they are filtered together as
one diagonal system in a single filterpy predict/update (one call per scan, not per beacon: a
street corner can hear 25 beacons). The variance travels with the estimate so the estimator can
weigh a fresh beacon less.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np


class RssiFilterBank:
    """Filtered RSSI per beacon; a beacon silent for ``forget_after_s`` starts afresh."""

    def __init__(
        self, noise_db: float = 4.0, process_db2_per_s: float = 30.0, forget_after_s: float = 5.0
    ) -> None:
        self._r = noise_db**2
        self._q = process_db2_per_s
        self._forget_after_s = forget_after_s
        self._state: dict[Hashable, tuple[float, float, float]] = {}  # mean, var, t_s

    def update(
        self, beacons: Sequence[Hashable], rssi_dbm: np.ndarray, t_s: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Fold one reading per beacon in (all at ``t_s``); filtered means and variances."""
        mean = np.asarray(rssi_dbm, dtype=float).copy()
        var = np.full(mean.size, self._r)
        known = [
            k
            for k, b in enumerate(beacons)
            if b in self._state and t_s - self._state[b][2] <= self._forget_after_s
        ]
        if known:
            # imported on first use: filterpy pulls in scipy.stats (0.3 s of every start-up)
            from filterpy.kalman import predict, update

            prior = np.array([self._state[beacons[k]] for k in known])
            x, p = predict(
                prior[:, 0], np.diag(prior[:, 1]), F=1, Q=np.diag(self._q * (t_s - prior[:, 2]))
            )
            eye = np.eye(len(known))
            x, p = update(x, p, mean[known], self._r * eye, H=eye)
            mean[known], var[known] = x, np.diag(p)
        for b, m, v in zip(beacons, mean.tolist(), var.tolist(), strict=True):
            self._state[b] = (m, v, t_s)
        return mean, var

    def reset(self) -> None:
        self._state.clear()
