"""Path-loss fitting: recovers known parameters, reads both survey layouts, one command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from beacons.calibration import calibrate
from beacons.pathloss import expected_rssi_dbm, fit_path_loss, rssi_to_distance_m
from navigator.cli import main as blindpilot
from tests.conftest import SHARED_DATA

KOLA = SHARED_DATA / "ble_rssi" / "kolakowski_flat_2021"


def test_fit_recovers_exponent_and_per_beacon_power() -> None:
    rng = np.random.default_rng(0)
    truth = {"a": -55.0, "b": -63.0}
    samples = [
        (b, d, float(expected_rssi_dbm(d, p, 2.7) + rng.normal(0, 2.0)))
        for b, p in truth.items()
        for d in rng.uniform(1, 20, 400)
    ]
    model = fit_path_loss(samples)
    assert model.exponent == pytest.approx(2.7, abs=0.1)
    assert model.power_for("a") == pytest.approx(-55.0, abs=0.5)
    assert model.power_for("b") == pytest.approx(-63.0, abs=0.5)
    assert model.power_for("unknown", -70.0) == -70.0
    assert model.sigma_db == pytest.approx(2.0, abs=0.2)


def test_distance_inverts_the_model() -> None:
    assert rssi_to_distance_m(
        float(expected_rssi_dbm(7.0, -59.0, 2.0)), -59.0, 2.0
    ) == pytest.approx(7.0)


def test_fit_rejects_degenerate_surveys() -> None:
    with pytest.raises(ValueError):
        fit_path_loss([("a", 1.0, -60.0)])
    with pytest.raises(ValueError):
        fit_path_loss([("a", 2.0, -60.0)] * 5)


def test_long_csv(tmp_path) -> None:
    path = tmp_path / "survey.csv"
    rows = [f"x,{d},{expected_rssi_dbm(d, -60.0, 2.0):.2f}" for d in (1, 2, 4, 8, 16)]
    path.write_text("beacon,distance_m,rssi_dbm\n" + "\n".join(rows) + "\n")
    model = calibrate(path)
    assert model.exponent == pytest.approx(2.0, abs=0.01)
    assert model.power_for("x") == pytest.approx(-60.0, abs=0.05)


def test_real_survey_in_one_command(capsys) -> None:
    args = [str(KOLA / "calibration_df.csv"), "--anchors", str(KOLA / "anchors.csv")]
    assert blindpilot(["calibrate", *args, "--receiver-z-m", "1.3"]) == 0
    model = json.loads(capsys.readouterr().out)
    assert 1.5 < model["exponent"] < 3.5
    assert set(model["power_1m_dbm"]) == {"1", "2", "3", "4", "5", "6"}


def test_bad_survey_exits_2(tmp_path, capsys) -> None:
    assert blindpilot(["calibrate", str(tmp_path / "missing.csv")]) == 2
    wide = tmp_path / "wide.csv"
    wide.write_text("x,y,rssi_1\n1,2,-60\n")
    assert blindpilot(["calibrate", str(wide)]) == 2  # wide survey without anchors
    assert "anchors" in capsys.readouterr().err
