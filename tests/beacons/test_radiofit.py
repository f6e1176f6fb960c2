"""Fitting the radio world: the method recovers a known world, and the real data sets' values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from beacons import worlds
from beacons.radiofit import (
    fit_exponential_variogram,
    fit_kolakowski,
    fit_uci,
    read_uci,
    semivariogram,
)
from tests.conftest import SHARED_DATA

KOLAKOWSKI = SHARED_DATA / "ble_rssi" / "kolakowski_flat_2021"
UCI = SHARED_DATA / "ble_rssi" / "uci_wmu_ibeacon" / "iBeacon_RSSI_Labeled.csv"


def test_variogram_fit_recovers_a_known_world() -> None:
    """A robot wandering a 9 x 7 m room through 6 dB of exactly exponential (2.5 m) shadowing
    plus 4 dB fast noise, heard by 40 receivers. Sigmas come back well; the correlation distance
    only roughly (over six seeds it came back 2.0-4.3 m: a room holds few of its lengths)."""
    rng = np.random.default_rng(0)
    n = 1200
    xy = np.abs((np.cumsum(rng.normal(0.0, 0.2, (n, 2)), axis=0) + (4.5, 3.5)) % (18.0, 14.0)
                - (9.0, 7.0))
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    shadow = np.linalg.cholesky(36.0 * np.exp(-d / 2.5) + 1e-9 * np.eye(n))
    residual = shadow @ rng.normal(size=(n, 40)) + rng.normal(0.0, 4.0, (n, 40))
    residual[rng.random(residual.shape) < 0.1] = np.nan  # missing readings are skipped
    fast, shadow_db, corr_m = fit_exponential_variogram(
        semivariogram(residual, xy, np.arange(n) / 3.0))
    assert fast == pytest.approx(4.0, abs=0.4)
    assert shadow_db == pytest.approx(6.0, abs=1.0)
    assert 1.5 <= corr_m <= 4.5


def test_kolakowski_flat_fit() -> None:
    fit = fit_kolakowski(KOLAKOWSKI)
    assert fit.rows == 4104
    assert fit.exponent == pytest.approx(2.15, abs=0.01)
    assert fit.residual_sigma_db == pytest.approx(6.68, abs=0.01)
    assert fit.missing_share == pytest.approx(0.095, abs=0.001)
    # the constants the harsh world uses are this fit's values
    assert fit.shadowing_sigma_db == pytest.approx(worlds.FLAT_SHADOWING_SIGMA_DB, abs=0.05)
    assert fit.shadowing_corr_m == pytest.approx(worlds.FLAT_SHADOWING_CORR_M, abs=0.05)
    assert fit.fast_sigma_db == pytest.approx(worlds.FLAT_FAST_SIGMA_DB, abs=0.05)
    assert fit.power_spread_db == pytest.approx(worlds.FLAT_POWER_SPREAD_DB, abs=0.05)
    # six anchors in one room: the jackknife says how far to trust the split
    assert 0.2 < fit.fast_sigma_se_db < 0.6 and 0.5 < fit.shadowing_sigma_se_db < 1.2
    assert 0.3 < fit.shadowing_corr_se_m < 1.0
    # the shadowing is the bigger part, and together they make the spread around the law
    assert fit.shadowing_sigma_db > fit.fast_sigma_db
    assert math.hypot(fit.shadowing_sigma_db, fit.fast_sigma_db) == pytest.approx(
        fit.residual_sigma_db, rel=0.2)


def test_uci_fit_gives_what_cells_can() -> None:
    labels, rssi = read_uci(UCI)
    fit = fit_uci(labels, rssi)
    assert fit.rows == 1420 and len(set(labels)) == 105
    assert fit.lowest_heard_dbm == -88.0
    assert fit.within_cell_sigma_db == pytest.approx(3.54, abs=0.01)
    assert fit.loss_loud == pytest.approx(0.032, abs=0.001)
    assert fit.loss_faint == pytest.approx(0.62, abs=0.01)
    # censored by the floor and blurred by beacon cells read off an image: flatter than any
    # street's law, which is why the harsh world does not take it
    assert fit.exponent == pytest.approx(1.11, abs=0.01)
