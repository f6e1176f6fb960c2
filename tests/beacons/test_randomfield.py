"""Seeded random fields: the correlation they promise, fixed in place, exact to replay."""

from __future__ import annotations

import math

import numpy as np
import pytest

from beacons.randomfield import ExponentialField

KEYS = np.arange(4000)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def test_spread_and_exponential_correlation() -> None:
    field = ExponentialField(sigma=6.0, corr_m=10.0, seed=1)
    at0 = field.values(KEYS, 0.0, 0.0)
    assert np.std(at0) == pytest.approx(6.0, rel=0.05)
    assert abs(np.mean(at0)) < 0.3
    for lag_m in (1.0, 5.0, 30.0):
        expected = math.exp(-lag_m / 10.0)
        assert _corr(at0, field.values(KEYS, lag_m, 0.0)) == pytest.approx(expected, abs=0.04)
        assert _corr(at0, field.values(KEYS, 0.0, lag_m)) == pytest.approx(expected, abs=0.04)


def test_a_place_keeps_its_value_whatever_was_asked_before() -> None:
    a, b = ExponentialField(4.0, 5.0, seed=3), ExponentialField(4.0, 5.0, seed=3)
    xs = np.linspace(0, 50, 7)
    forward = [a.values(KEYS[:10], x, 2.0) for x in xs]
    backward = [b.values(KEYS[:10], x, 2.0) for x in xs[::-1]][::-1]
    assert all(np.array_equal(f, g) for f, g in zip(forward, backward, strict=True))
    other = ExponentialField(4.0, 5.0, seed=4).values(KEYS[:10], 0.0, 2.0)
    assert not np.array_equal(forward[0], other)


def test_per_key_positions_and_zero_sigma() -> None:
    field = ExponentialField(3.0, 5.0, seed=0)
    keys = np.array([5, 9])
    both = field.values(keys, np.array([1.0, 2.0]), np.array([0.0, 3.0]))
    assert both[0] == field.values(keys[:1], 1.0, 0.0)[0]
    assert both[1] == field.values(keys[1:], 2.0, 3.0)[0]
    assert not ExponentialField(0.0, 5.0, seed=0).values(keys, 1.0, 1.0).any()
    with pytest.raises(ValueError):
        ExponentialField(1.0, 0.0, seed=0)
