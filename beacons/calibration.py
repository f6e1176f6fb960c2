"""Fit the path-loss model from survey data in one call (and one CLI command).

Two survey layouts are read, both CSV with a header:

- long: ``beacon,distance_m,rssi_dbm`` (one reading per row);
- wide: ``x,y,rssi_<id>...`` (receiver position in metres and one column per beacon, empty =
  not heard) plus an anchors file ``id,x,y[,z]``; ``receiver_z_m`` is the receiver's height.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Hashable, Iterable
from pathlib import Path

from beacons.pathloss import PathLossModel, fit_path_loss

Sample = tuple[Hashable, float, float]


def read_anchors(path: str | Path) -> dict[str, tuple[float, float, float]]:
    """Anchor id -> (x, y, z) in metres; z defaults to 0."""
    with open(path, newline="") as f:
        return {
            row["id"]: (float(row["x"]), float(row["y"]), float(row.get("z") or 0.0))
            for row in csv.DictReader(f)
        }


def survey_samples(
    path: str | Path,
    anchors: dict[str, tuple[float, float, float]] | None = None,
    receiver_z_m: float = 0.0,
) -> list[Sample]:
    """``(beacon, distance_m, rssi_dbm)`` from either survey layout."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"{path}: no survey rows")
    if "distance_m" in rows[0]:
        return [(r["beacon"], float(r["distance_m"]), float(r["rssi_dbm"])) for r in rows]
    if anchors is None:
        raise ValueError(f"{path}: a wide survey (x, y, rssi_<id>) needs an anchors file")
    out: list[Sample] = []
    for r in rows:
        x, y = float(r["x"]), float(r["y"])
        for key, (ax, ay, az) in anchors.items():
            value = r.get(f"rssi_{key}")
            if value:
                d = math.sqrt((x - ax) ** 2 + (y - ay) ** 2 + (receiver_z_m - az) ** 2)
                out.append((key, d, float(value)))
    return out


def calibrate(
    survey: str | Path | Iterable[Sample],
    anchors: str | Path | None = None,
    receiver_z_m: float = 0.0,
) -> PathLossModel:
    """Path-loss exponent, per-beacon power at 1 m and residual spread from a survey."""
    if isinstance(survey, str | Path):
        anchor_xyz = None if anchors is None else read_anchors(anchors)
        survey = survey_samples(survey, anchor_xyz, receiver_z_m)
    return fit_path_loss(survey)


def model_to_json(model: PathLossModel) -> dict[str, object]:
    return {
        "exponent": model.exponent,
        "measured_power_dbm": model.measured_power_dbm,
        "sigma_db": model.sigma_db,
        "power_1m_dbm": {str(k): v for k, v in model.power_1m_dbm.items()},
    }
