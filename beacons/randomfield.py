"""Seeded random fields over the plane, for simulated worlds whose errors are correlated in space.

Shadowing (a wall, a parked van, a shop window between phone and beacon) does not change from
one scan to the next: it changes as the walker moves a few metres. Gudmundson's model gives its
correlation as ``exp(-distance / corr_m)``. A field here is a function of position, not of the
order in which it is asked, so a walk that comes back to a spot meets the same shadow there and a
replay is exact in any order.
"""

from __future__ import annotations

import math

import numpy as np

DEFAULT_FEATURES = 64


class ExponentialField:
    """Independent zero-mean fields, one per non-negative integer key (a beacon's row, say), each
    with variance ``sigma**2`` and correlation ``exp(-distance / corr_m)``.

    Built from random Fourier features: ``sigma * sqrt(2/M) * sum(cos(k . x + phase))`` with the
    wave vectors drawn from the exponential covariance's spectrum (radial CDF
    ``1 - (1 + (k corr_m)^2)^-1/2``). The covariance is exact; values are close to Gaussian. A key's
    features come from its own seed, made when first asked for.
    """

    def __init__(self, sigma: float, corr_m: float, seed: int, stream: int = 0,
                 features: int = DEFAULT_FEATURES) -> None:
        if corr_m <= 0:
            raise ValueError("corr_m must be positive")
        self.sigma, self.corr_m = sigma, corr_m
        self._seed, self._stream, self._features = seed, stream, features
        self._cache: dict[int, np.ndarray] = {}  # key -> (3, M): kx, ky, phase

    def _waves(self, key: int) -> np.ndarray:
        waves = self._cache.get(key)
        if waves is None:
            rng = np.random.default_rng([self._seed, self._stream, key])
            u = rng.random(self._features)
            k = np.sqrt(np.maximum((1.0 - u) ** -2 - 1.0, 0.0)) / self.corr_m
            angle = rng.uniform(0.0, 2 * math.pi, self._features)
            phase = rng.uniform(0.0, 2 * math.pi, self._features)
            waves = np.stack([k * np.cos(angle), k * np.sin(angle), phase])
            self._cache[key] = waves
        return waves

    def values(self, keys: np.ndarray, x: np.ndarray | float, y: np.ndarray | float
               ) -> np.ndarray:
        """Each key's field at (x, y) (metres; scalars, or arrays as long as ``keys``)."""
        keys = np.asarray(keys, dtype=np.int64)
        if self.sigma == 0 or keys.size == 0:
            return np.zeros(keys.shape)
        w = np.stack([self._waves(k) for k in keys.tolist()])  # (n, 3, M)
        xs = np.broadcast_to(np.asarray(x, dtype=float), keys.shape)[:, None]
        ys = np.broadcast_to(np.asarray(y, dtype=float), keys.shape)[:, None]
        arg = w[:, 0] * xs + w[:, 1] * ys + w[:, 2]
        return self.sigma * math.sqrt(2.0 / self._features) * np.cos(arg).sum(axis=1)
