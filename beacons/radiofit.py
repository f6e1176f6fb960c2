"""The radio world's parameters, fitted to real RSSI (what each data set can honestly give).

Two public data sets (``../shared/data/ble_rssi``, CC BY 4.0; see the README there):

- **Kolakowski flat** (Sensors 21:6270, 2021): metric ground truth from a LiDAR robot and anchor
  coordinates. It gives the path-loss exponent, the spread of the anchors' 1 m powers, the
  shadowing sigma and its correlation distance and the fast (sample-to-sample) spread, from a
  semivariogram of the residuals over the distance between two positions of the walk, and the
  share of missing readings. Caveats: indoor (a furnished flat of 9 x 7 m, so correlation
  distances beyond a few metres cannot show), the reverse of our setup (a tag on a 1.3 m pole
  transmits and fixed receivers listen, two antennas averaged: single advertisements fade more
  than these rows), and a robot, not a person, carries it.
- **UCI WMU iBeacon** (Mohammadi et al. 2018): an iPhone 6S among 13 iBeacons, ground truth only
  as grid cells of unknown size, beacon cells read off an image. It gives the spread of readings
  within a cell, how often a beacon the cell hears is missing from a row (by how loud it is
  there), and the lowest level the phone reported. It cannot give anything in metres (no 1 m
  power, no correlation distance), nor body loss (the holder's orientation is unknown). An
  exponent can be fitted in cell units (it does not depend on the unit), but it is not to be
  trusted: far beacons are heard only when loud (censoring flattens the slope) and the beacon
  cells are uncertain by about one cell at distances of a few cells.

Pure fitting functions over arrays, plus readers for the two files' layouts.
"""

from __future__ import annotations

import csv
import math
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import curve_fit

from beacons.calibration import read_anchors
from beacons.pathloss import fit_path_loss

KOLAKOWSKI_TAG_Z_M = 1.3  # the tag rode a 1.3 m pole
UCI_NOT_SEEN = -198.0  # -200 means "not seen"; -198/-199 are the same sentinel
#: UCI beacon cells, read off the layout image (README: the first cell where two are listed).
UCI_BEACON_CELLS = {
    "b3001": "F08", "b3002": "J04", "b3003": "N04", "b3004": "S04", "b3005": "J07",
    "b3006": "N06", "b3007": "S07", "b3008": "J10", "b3009": "D15", "b3010": "J15",
    "b3011": "N15", "b3012": "R15", "b3013": "W15",
}  # fmt: skip


# --- pure fitting -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variogram:
    """Squared differences of residual pairs, summed per receiver and per bin of the distance
    between the pair's two places."""

    lag_sum_m: np.ndarray  # (receivers, bins): sum of the pairs' distances
    sq_sum: np.ndarray  # (receivers, bins)
    pairs: np.ndarray  # (receivers, bins)

    def gamma_db2(self, receivers: list[int] | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per bin over some receivers (all: None): the pairs' mean distance, the semivariance
        ``0.5 E[(r_i - r_j)^2]`` and the number of pairs."""
        rows = slice(None) if receivers is None else receivers
        pairs = self.pairs[rows].sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (self.lag_sum_m[rows].sum(axis=0) / pairs,
                    0.5 * self.sq_sum[rows].sum(axis=0) / pairs, pairs)


def semivariogram(residual_db: np.ndarray, xy: np.ndarray, t_s: np.ndarray,
                  max_dt_s: float = math.inf, bin_m: float = 0.5, max_lag_m: float = 8.0
                  ) -> Variogram:
    """Pairs of residuals of the same receiver (columns of ``residual_db``, one row per place of
    a time-ordered walk; NaN: not heard) taken at most ``max_dt_s`` apart, binned by the distance
    between their two places."""
    res = residual_db.reshape(len(t_s), -1)
    n_bins = int(round(max_lag_m / bin_m))
    cells = n_bins * res.shape[1]
    receiver = np.arange(res.shape[1]) * n_bins
    lags, sums, counts = np.zeros(cells), np.zeros(cells), np.zeros(cells)
    for lag in range(1, len(t_s)):
        close = t_s[lag:] - t_s[:-lag] <= max_dt_s
        if not close.any():
            break
        d = np.hypot(*(xy[lag:] - xy[:-lag]).T)
        sq = (res[lag:] - res[:-lag]) ** 2
        ok = (close & (d < max_lag_m))[:, None] & np.isfinite(sq)
        b = ((d / bin_m).astype(int)[:, None] + receiver[None, :])[ok]
        lags += np.bincount(b, weights=np.broadcast_to(d[:, None], sq.shape)[ok], minlength=cells)
        sums += np.bincount(b, weights=sq[ok], minlength=cells)
        counts += np.bincount(b, minlength=cells)
    shape = (res.shape[1], n_bins)
    return Variogram(lags.reshape(shape), sums.reshape(shape), counts.reshape(shape))


def _exponential_model(h: np.ndarray, nugget: float, sill: float, corr_m: float) -> np.ndarray:
    return nugget + sill * (1.0 - np.exp(-h / corr_m))


def fit_exponential_variogram(v: Variogram, receivers: list[int] | None = None,
                              min_pairs: int = 50) -> tuple[float, float, float]:
    """``(fast_sigma_db, shadowing_sigma_db, corr_m)`` of ``gamma(h) = fast^2 + shadow^2 (1 -
    exp(-h / corr_m))`` over some receivers (all: None), weighted by pair counts: the nugget is
    what changes between two readings at one place, the rest grows with the distance between
    them (Gudmundson)."""
    lag, gamma, pairs = v.gamma_db2(receivers)
    ok = (pairs >= min_pairs) & np.isfinite(gamma)
    h, g, w = lag[ok], gamma[ok], pairs[ok]
    start = (max(g[0], 0.1), max(g[-1] - g[0], 0.1), 1.0)
    (nugget, sill, corr_m), _ = curve_fit(
        _exponential_model, h, g, p0=start, sigma=1.0 / np.sqrt(w),
        bounds=([0.0, 0.0, 0.05], [np.inf, np.inf, 100.0]))
    return math.sqrt(nugget), math.sqrt(sill), float(corr_m)


# --- Kolakowski flat ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KolakowskiFit:
    """The flat's values; ``*_se`` are jackknife standard errors over the six anchors (six
    shadowing fields in one small room are few: the spread is real)."""

    exponent: float
    power_spread_db: float  # spread of the anchors' fitted 1 m powers
    residual_sigma_db: float  # all of it: shadowing + fast
    shadowing_sigma_db: float
    shadowing_corr_m: float
    fast_sigma_db: float  # per row (two antennas averaged)
    shadowing_sigma_se_db: float
    shadowing_corr_se_m: float
    fast_sigma_se_db: float
    missing_share: float  # readings absent from the rows
    rows: int


def read_rows(path: str | Path) -> list[dict[str, float]]:
    """A Kolakowski CSV as rows of floats (an empty cell, i.e. no reading, is NaN)."""
    with open(path, newline="") as f:
        return [{k: float(v) if v else math.nan for k, v in r.items() if k}
                for r in csv.DictReader(f)]


def fit_kolakowski(directory: str | Path, max_dt_s: float = math.inf) -> KolakowskiFit:
    """Fit on ``calibration_df.csv`` (the robot's survey) with ``anchors.csv``."""
    directory = Path(directory)
    anchors = read_anchors(directory / "anchors.csv")
    rows = read_rows(directory / "calibration_df.csv")
    rows.sort(key=lambda r: r["ts"])
    t_s = np.array([r["ts"] for r in rows]) / 1e9
    xy = np.array([(r["x"], r["y"]) for r in rows])
    keys = sorted(anchors)
    rssi = np.array([[r[f"rssi_{k}"] for k in keys] for r in rows])
    axyz = np.array([anchors[k] for k in keys])
    dist = np.sqrt(((xy[:, None, :] - axyz[None, :, :2]) ** 2).sum(axis=2)
                   + (axyz[None, :, 2] - KOLAKOWSKI_TAG_Z_M) ** 2)
    heard = np.isfinite(rssi)
    i, a = np.nonzero(heard)
    model = fit_path_loss((keys[k], float(dist[j, k]), float(rssi[j, k]))
                          for j, k in zip(i.tolist(), a.tolist(), strict=True))
    power = np.array([model.power_for(k) for k in keys])
    residual = rssi - (power[None, :] - 10.0 * model.exponent * np.log10(np.maximum(dist, 0.5)))
    variogram = semivariogram(residual, xy, t_s, max_dt_s)
    fast, shadow, corr_m = fit_exponential_variogram(variogram)
    n = len(keys)
    leave_one_out = np.array([
        fit_exponential_variogram(variogram, [k for k in range(n) if k != out]) for out in range(n)
    ])
    se = np.sqrt((n - 1) / n * ((leave_one_out - leave_one_out.mean(axis=0)) ** 2).sum(axis=0))
    return KolakowskiFit(
        exponent=model.exponent,
        power_spread_db=float(np.std(power)),
        residual_sigma_db=model.sigma_db,
        shadowing_sigma_db=shadow,
        shadowing_corr_m=corr_m,
        fast_sigma_db=fast,
        shadowing_sigma_se_db=float(se[1]),
        shadowing_corr_se_m=float(se[2]),
        fast_sigma_se_db=float(se[0]),
        missing_share=float(1.0 - heard.mean()),
        rows=len(rows),
    )


# --- UCI WMU ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UciFit:
    exponent: float  # unit-free, over cell distances >= min_cells; NOT trusted (see module doc)
    residual_sigma_db: float
    within_cell_sigma_db: float  # pooled spread of one beacon's readings in one cell
    #: Share of a cell's rows missing a beacon that the cell hears in other rows, where its mean
    #: there is at least -70 dBm (loss) and below -75 dBm (near the phone's floor).
    loss_loud: float
    loss_faint: float
    lowest_heard_dbm: float
    rows: int


def cell_xy(label: str) -> tuple[float, float]:
    """A UCI cell label (column letter, row number) as grid coordinates."""
    return float(string.ascii_uppercase.index(label[0])), float(int(label[1:]))


def read_uci(path: str | Path) -> tuple[list[str], np.ndarray]:
    """Cell labels and an RSSI matrix (rows x the 13 beacons of :data:`UCI_BEACON_CELLS`;
    NaN: not seen)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    rssi = np.array([[float(r[b]) for b in UCI_BEACON_CELLS] for r in rows])
    rssi[rssi <= UCI_NOT_SEEN] = np.nan
    return [r["location"] for r in rows], rssi


def fit_uci(labels: list[str], rssi: np.ndarray,
            beacon_cells: Mapping[str, str] = UCI_BEACON_CELLS, min_cells: float = 1.0,
            min_rows: int = 3) -> UciFit:
    """What the cells can give. Readings in a beacon's own cell are left out of the exponent
    (the grid says nothing about distances under a cell)."""
    bxy = np.array([cell_xy(c) for c in beacon_cells.values()])
    rxy = np.array([cell_xy(c) for c in labels])
    dist = np.hypot(rxy[:, None, 0] - bxy[None, :, 0], rxy[:, None, 1] - bxy[None, :, 1])
    i, b = np.nonzero(np.isfinite(rssi) & (dist >= min_cells))
    model = fit_path_loss((int(k), float(dist[j, k]), float(rssi[j, k]))
                          for j, k in zip(i.tolist(), b.tolist(), strict=True))
    sq, dof = 0.0, 0
    groups = []  # (mean heard, missing rows, rows) per cell and beacon heard there
    for cell in sorted(set(labels)):
        block = rssi[[k for k, c in enumerate(labels) if c == cell]]
        if len(block) < min_rows:
            continue
        for col in block.T:
            seen = col[np.isfinite(col)]
            if not seen.size:
                continue
            groups.append((float(seen.mean()), len(col) - seen.size, len(col)))
            if seen.size >= 2:
                sq += float(((seen - seen.mean()) ** 2).sum())
                dof += seen.size - 1
    g = np.array(groups)
    loud, faint = g[:, 0] >= -70.0, g[:, 0] < -75.0
    return UciFit(
        exponent=model.exponent,
        residual_sigma_db=model.sigma_db,
        within_cell_sigma_db=math.sqrt(sq / dof),
        loss_loud=float(g[loud, 1].sum() / g[loud, 2].sum()),
        loss_faint=float(g[faint, 1].sum() / g[faint, 2].sum()),
        lowest_heard_dbm=float(np.nanmin(rssi)),
        rows=len(labels),
    )
