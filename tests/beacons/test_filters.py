"""RSSI smoothing: converges, tracks a change without long lag, forgets after silence."""

from __future__ import annotations

import numpy as np
import pytest

from beacons.filters import RssiFilterBank


def test_noise_shrinks_and_mean_is_kept() -> None:
    rng = np.random.default_rng(0)
    bank = RssiFilterBank(noise_db=4.0, process_db2_per_s=2.0)
    out = []
    for t in range(400):
        mean, var = bank.update(["a"], np.array([-70.0 + rng.normal(0, 4.0)]), float(t))
        out.append(mean[0])
    assert var[0] < 16.0 / 2
    assert np.mean(out[50:]) == pytest.approx(-70.0, abs=0.5)
    assert np.std(out[50:]) < 0.6 * 4.0


def test_step_is_followed_within_a_few_scans() -> None:
    bank = RssiFilterBank(noise_db=4.0, process_db2_per_s=30.0)
    for t in range(10):
        bank.update(["a"], np.array([-80.0]), float(t))
    means = [bank.update(["a"], np.array([-60.0]), float(t))[0][0] for t in range(10, 14)]
    assert means[-1] > -62.0


def test_beacons_are_independent_and_silence_is_forgotten() -> None:
    bank = RssiFilterBank(forget_after_s=5.0)
    bank.update(["a", "b"], np.array([-60.0, -90.0]), 0.0)
    mean, var = bank.update(["a", "b"], np.array([-62.0, -88.0]), 1.0)
    assert mean[0] > -62.0 and mean[1] < -88.0  # each pulled only toward its own history
    mean, var = bank.update(["a"], np.array([-75.0]), 10.0)
    assert (mean[0], var[0]) == (-75.0, 16.0)  # silent too long: starts afresh
