"""Positioning accuracy: simulated walks on real OSM extracts, real RSSI from a flat, UCI cells.

Honesty rules kept here:

- Simulation: the positioner's defaults were chosen on Kaiserslautern walks; figures are reported
  on Neukoelln and Herrenberg only. The simulator draws i.i.d. shadowing around the same
  log-distance law the positioner assumes, so a second row adds per-beacon power errors (3 dB)
  that the positioner does not know about, and the "world" rows run worlds it does not assume
  (benchmarks/worlds.py: exponents 1.8-3.5, a phone +-8 dB off, correlated shadowing and body
  loss), each scored on whether the true error stays within the reported 90 % radius.
- Kolakowski flat: calibrated on ``calibration_df.csv`` only, reported on ``test_robot_df.csv``.
  The flat is open floor, not a street graph, so our positioner runs on a 0.5 m lattice graph
  covering the flat (no walls); the baseline is per-row log-distance trilateration with the same
  calibrated model.
- UCI: a seeded 50/50 row split; the path-loss model is fitted on one half in cell units and the
  other half is scored. Candidate cells (the "map") are the labels seen in the fitting half.
"""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.optimize import least_squares

from beacons.calibration import calibrate, read_anchors
from beacons.model import BeaconId, BeaconPlacement, Fix, Reading, Scan
from beacons.pathloss import PathLossModel, fit_path_loss
from beacons.planning import plan_beacons
from beacons.positioning import Positioner, PositioningMap, PositioningSettings, log_likelihood
from beacons.radiofit import UCI_BEACON_CELLS, cell_xy, read_rows
from beacons.simulator import SimulatedSource, walk_along
from benchmarks.common import BenchResult, ratio_lower_better
from benchmarks.worlds import RadioWorld, WorldSource
from routing.geo import LocalFrame, haversine_m
from routing.graph import build_graph
from routing.model import EdgeRecord, NodeRecord
from routing.osm import read_osm

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
REPORTED_EXTRACTS = (
    "berlin_neukoelln_karl-marx-platz_2024-03-30.osm",
    "herrenberg-minimal_2021.osm.pbf",
)
KOLA = DATA / "ble_rssi" / "kolakowski_flat_2021"
UCI = DATA / "ble_rssi" / "uci_wmu_ibeacon" / "iBeacon_RSSI_Labeled.csv"
KOLA_UUID = "00000000-0000-4000-8000-00000000f1a7"
TAG_Z_M = 1.3  # the tag rode a 1.3 m pole


def _p90(values: list[float]) -> float:
    return float(np.percentile(values, 90))


# --- simulated walks -----------------------------------------------------------------------------


def _random_walks(graph: nx.MultiGraph, count: int, rng: np.random.Generator) -> list[list[int]]:
    """Shortest paths of 150-600 m between random node pairs."""
    nodes, walks = sorted(graph.nodes), []
    while len(walks) < count:
        a, b = rng.choice(nodes, 2)
        try:
            path = nx.shortest_path(graph, a, b, weight="length_m")
        except nx.NetworkXNoPath:
            continue
        length = nx.path_weight(graph, path, "length_m") if len(path) > 1 else 0.0
        if 150.0 <= length <= 600.0:
            walks.append(path)
    return walks


def simulated_walks(
    quick: bool, power_spread_db: float = 0.0
) -> tuple[list[float], list[float], int, list[float]]:
    """Errors of our fixes and of the nearest-beacon baseline, unavailable count, ms per scan."""
    ours, nearest, unavailable, ms = [], [], 0, []
    for name in REPORTED_EXTRACTS:
        extract = read_osm(DATA / "osm" / name)
        graph = build_graph(extract.nodes, extract.edges)
        placements = plan_beacons(graph, spacing_m=10.0)
        by_id = {p.beacon: p for p in placements}
        shared = PositioningMap(graph, placements)
        rng = np.random.default_rng(7)
        for seed, path in enumerate(_random_walks(graph, 3 if quick else 12, rng)):
            walk = walk_along([(graph.nodes[n]["lat"], graph.nodes[n]["lon"]) for n in path])
            sim = SimulatedSource(
                placements, walk, seed=seed, noise_db=4.0, power_spread_db=power_spread_db
            )
            positioner = Positioner(shared, seed=seed)
            for scan in sim.iter_scans():
                t0 = time.perf_counter()
                result = positioner.update(scan)
                ms.append((time.perf_counter() - t0) * 1000.0)
                lat, lon = sim.position_at(scan.t_s)
                if isinstance(result, Fix):
                    ours.append(haversine_m(result.lat, result.lon, lat, lon))
                else:
                    unavailable += 1
                if scan.readings:
                    loudest = by_id[max(scan.readings, key=lambda r: r.rssi_dbm).beacon]
                    nearest.append(haversine_m(loudest.lat, loudest.lon, lat, lon))
    return ours, nearest, unavailable, ms


def per_scan_cost_ms(quick: bool, replays: int = 3) -> tuple[float, float]:
    """Per-scan cost of ``Positioner.update`` on the dense layouts' walks: the median over scans
    of each scan's fastest of ``replays`` identical replays (a shared machine's other work only
    ever adds time), and the plain median of all timings."""
    runs: list[list[float]] = []
    for _ in range(replays):
        ms: list[float] = []
        for name in REPORTED_EXTRACTS:
            graph, placements, shared = _dense(name)
            rng = np.random.default_rng(7)
            for seed, path in enumerate(_random_walks(graph, 2 if quick else 4, rng)):
                walk = walk_along([(graph.nodes[n]["lat"], graph.nodes[n]["lon"]) for n in path])
                scans = list(SimulatedSource(placements, walk, seed=seed).iter_scans())
                positioner = Positioner(shared, seed=seed)
                for scan in scans:
                    t0 = time.perf_counter()
                    positioner.update(scan)
                    ms.append((time.perf_counter() - t0) * 1000.0)
        runs.append(ms)
    return float(np.median(np.min(runs, axis=0))), float(np.median(runs))


def per_round_cost_ms(walkers: int) -> tuple[float, float]:
    """Per-scan cost of a busy worker's rounds: ``walkers`` walkers' scans positioned in one
    :func:`navigator.pipeline.position_all` call per round, and the same walkers (same seeds)
    each scan in a call of its own, taking turns round by round; each the CPU time (this
    thread's: what the worker pays, steadier than the clock on a shared machine) over all
    scans, on the first reported extract's dense layout (walker k replays one of four walks
    with seed k). A mean, not a median: a worker pays for every scan, the re-localisation
    every 5 s and the first scans' search included. Batching a round must make the first
    figure smaller than the second.

    The compiled loops are loaded first (a throwaway walker on a map of its own), and each way
    has its own map, so neither pays numba's start or finds the map's searches near beacons
    made by the other: at 10 walkers both had made the first figure 2.3 times the second."""
    from navigator.pipeline import position_all

    graph, placements, warm_map = _dense(REPORTED_EXTRACTS[0])
    walks = [walk_along([(graph.nodes[n]["lat"], graph.nodes[n]["lon"]) for n in path])
             for path in _random_walks(graph, 4, np.random.default_rng(7))]
    streams = [list(SimulatedSource(placements, walks[k % len(walks)], seed=k).iter_scans())
               for k in range(walkers)]
    warm = Positioner(warm_map, seed=walkers)
    for scan in SimulatedSource(placements, walks[0], seed=walkers).iter_scans():
        warm.update(scan)
    maps = PositioningMap(graph, placements), PositioningMap(graph, placements)
    together = [Positioner(maps[0], seed=k) for k in range(walkers)]
    alone = [Positioner(maps[1], seed=k) for k in range(walkers)]
    rounds = min(len(scans) for scans in streams)
    round_s = one_s = 0.0
    for i in range(rounds):
        scans = [stream[i] for stream in streams]
        t0 = time.thread_time()
        position_all(list(zip(together, scans, strict=True)))
        t1 = time.thread_time()
        for positioner, scan in zip(alone, scans, strict=True):
            position_all([(positioner, scan)])
        round_s, one_s = round_s + t1 - t0, one_s + time.thread_time() - t1
    return round_s * 1000.0 / (rounds * walkers), one_s * 1000.0 / (rounds * walkers)


def _dense(name: str) -> tuple[nx.MultiGraph, list[BeaconPlacement], PositioningMap]:
    extract = read_osm(DATA / "osm" / name)
    graph = build_graph(extract.nodes, extract.edges)
    placements = plan_beacons(graph, spacing_m=10.0)
    return graph, placements, PositioningMap(graph, placements)


#: Worlds unlike the positioner's defaults (n = 2, phone exact, white shadowing).
WORLDS = [RadioWorld()] + [
    RadioWorld(exponent=n, offset_db=o, shadow_db=sh, body_db=body)
    for n in (1.8, 2.7, 3.5) for o in (-8.0, 0.0, 8.0) for sh, body in ((0.0, 0.0), (5.0, 7.0))
]


def world_walks(world: RadioWorld, quick: bool) -> dict[str, float]:
    """Fixes' errors against ``error_m`` in one world, over the reported extracts' walks."""
    errors, radii, answers = [], [], 0
    for name in REPORTED_EXTRACTS:
        graph, placements, shared = _dense(name)
        rng = np.random.default_rng(7)
        for seed, path in enumerate(_random_walks(graph, 3 if quick else 6, rng)):
            walk = walk_along([(graph.nodes[n]["lat"], graph.nodes[n]["lon"]) for n in path])
            source = WorldSource(placements, walk, world, seed=seed)
            positioner = Positioner(shared, seed=seed)
            for scan in source.iter_scans():
                answers += 1
                result = positioner.update(scan)
                if isinstance(result, Fix):
                    errors.append(haversine_m(result.lat, result.lon,
                                              *source.position_at(scan.t_s)))
                    radii.append(result.error_m)
    err = np.array(errors)
    return {
        "over": 100.0 * float(np.mean(err > np.array(radii))),
        "mean": float(err.mean()),
        "p90": _p90(errors),
        "lost": 100.0 * float(np.mean(err > 10.0)),
        "available": 100.0 * len(errors) / answers,
    }


def _world_results(quick: bool) -> list[BenchResult]:
    out = []
    for world in WORLDS:
        r = world_walks(world, quick)
        out += [
            BenchResult(f"world {world.name}: fixes beyond error_m", r["over"], "%",
                        goal="<= 10 %", met=r["over"] <= 10.0),
            BenchResult(f"world {world.name}: mean error", r["mean"], "m"),
            BenchResult(f"world {world.name}: p90 error", r["p90"], "m"),
            BenchResult(f"world {world.name}: fixes > 10 m off", r["lost"], "%"),
            BenchResult(f"world {world.name}: fixes available", r["available"], "%"),
        ]
    return out


def _sim_results(quick: bool) -> list[BenchResult]:
    ours, nearest, unavailable, ms = simulated_walks(quick)
    mean, p90 = float(np.mean(ours)), _p90(ours)
    base_mean, base_p90 = float(np.mean(nearest)), _p90(nearest)
    ratio = ratio_lower_better(mean, base_mean)
    availability = len(ours) / (len(ours) + unavailable)
    hard, hard_near, _, _ = simulated_walks(quick, power_spread_db=3.0)
    best_ms, median_ms = per_scan_cost_ms(quick)
    round_ms = {n: per_round_cost_ms(n) for n in ((10,) if quick else (10, 100))}
    return [
        BenchResult(
            "sim walks 10 m beacons, 4 dB: mean error",
            mean,
            "m",
            "nearest beacon",
            base_mean,
            ratio,
            "<= 1.5 m and >= 2x",
            mean <= 1.5 and (ratio or 0) >= 2,
        ),
        BenchResult(
            "sim walks 10 m beacons, 4 dB: p90 error",
            p90,
            "m",
            "nearest beacon",
            base_p90,
            ratio_lower_better(p90, base_p90),
            "<= 3 m",
            p90 <= 3.0,
        ),
        BenchResult("sim walks: fixes available", availability * 100, "%"),
        BenchResult(
            "sim walks + 3 dB unknown power error: mean",
            float(np.mean(hard)),
            "m",
            "nearest beacon",
            float(np.mean(hard_near)),
            ratio_lower_better(float(np.mean(hard)), float(np.mean(hard_near))),
        ),
        BenchResult(
            "positioner update, median of per-scan best of 3", best_ms, "ms/scan",
            goal="<= 0.25 ms", met=best_ms <= 0.25,
        ),
        BenchResult("positioner update, plain median (machine load included)", median_ms,
                    "ms/scan"),
        *(BenchResult(f"positioner update, mean CPU per scan, rounds of {n} walkers in one "
                      "position_all call", together, "ms/scan", "each scan in a call of its own",
                      alone, ratio_lower_better(together, alone))
          for n, (together, alone) in round_ms.items()),
    ]


# --- Kolakowski flat -----------------------------------------------------------------------------


def _lattice(xmax: float, ymax: float, frame: LocalFrame, step: float = 0.5) -> nx.MultiGraph:
    """A 4-neighbour grid graph over the flat's bounding box (open floor, walls not modelled)."""
    nx_, ny_ = int(xmax / step) + 1, int(ymax / step) + 1
    nodes, edges = [], []
    for i in range(nx_):
        for j in range(ny_):
            lat, lon = frame.to_latlon(i * step, j * step)
            nodes.append(NodeRecord(i * ny_ + j, lat, lon))
            if i:
                edges.append(EdgeRecord(len(edges) + 1, (i - 1) * ny_ + j, i * ny_ + j, step))
            if j:
                edges.append(EdgeRecord(len(edges) + 1, i * ny_ + j - 1, i * ny_ + j, step))
    return build_graph(nodes, edges)


def _trilaterate(
    rssi: dict[str, float], anchors: dict[str, tuple[float, float, float]], model: PathLossModel
) -> tuple[float, float]:
    keys = [k for k, v in rssi.items() if not math.isnan(v)]
    a = np.array([anchors[k] for k in keys])
    r = np.array([rssi[k] for k in keys])
    p0 = np.array([model.power_for(k) for k in keys])
    dist = 10.0 ** ((p0 - r) / (10.0 * model.exponent))
    horiz = np.sqrt(np.maximum(dist**2 - (a[:, 2] - TAG_Z_M) ** 2, 0.0))
    fit = least_squares(lambda p: np.hypot(*(a[:, :2] - p).T) - horiz, a[:, :2].mean(axis=0))
    return float(fit.x[0]), float(fit.x[1])


def kolakowski() -> list[BenchResult]:
    anchors = read_anchors(KOLA / "anchors.csv")
    model = calibrate(KOLA / "calibration_df.csv", KOLA / "anchors.csv", receiver_z_m=TAG_Z_M)
    ids = {k: BeaconId.ibeacon(KOLA_UUID, 1, int(k)) for k in anchors}
    frame = LocalFrame(52.2, 21.0)  # any origin: the flat lives in its own metres
    placements = [
        BeaconPlacement(ids[k], *frame.to_latlon(x, y), None, model.power_for(k))
        for k, (x, y, _z) in anchors.items()
    ]
    layout = np.loadtxt(KOLA / "layout.csv", delimiter=",", skiprows=1)
    graph = _lattice(float(layout[:, 0].max()), float(layout[:, 1].max()), frame)
    mean_height = float(np.mean([z for _, _, z in anchors.values()])) - TAG_Z_M
    settings = PositioningSettings(
        path_loss=PathLossModel(model.exponent, model.measured_power_dbm, model.sigma_db),
        model_sigma_db=model.sigma_db,
        height_m=mean_height,
    )
    positioner = Positioner(graph, placements, settings)
    rows = read_rows(KOLA / "test_robot_df.csv")
    t0 = rows[0]["ts"]
    ours, tri, unavailable = [], [], 0
    for row in rows:
        rssi = {k: row[f"rssi_{k}"] for k in anchors}
        t_s = (row["ts"] - t0) / 1e9
        readings = tuple(
            Reading(ids[k], v, None, t_s) for k, v in rssi.items() if not math.isnan(v)
        )
        result = positioner.update(Scan(readings, t_s))
        if isinstance(result, Fix):
            ours.append(
                math.hypot(*np.subtract(frame.to_xy(result.lat, result.lon), (row["x"], row["y"])))
            )
        else:
            unavailable += 1
        tx, ty = _trilaterate(rssi, anchors, model)
        tri.append(math.hypot(tx - row["x"], ty - row["y"]))
    mean, p90 = float(np.mean(ours)), _p90(ours)
    tri_mean, tri_p90 = float(np.mean(tri)), _p90(tri)
    gain = 1.0 - mean / tri_mean
    return [
        BenchResult(
            "kolakowski flat (lattice PF): mean error",
            mean,
            "m",
            "log-distance trilateration",
            tri_mean,
            ratio_lower_better(mean, tri_mean),
            ">= 25 % better",
            gain >= 0.25,
        ),
        BenchResult(
            "kolakowski flat (lattice PF): p90 error",
            p90,
            "m",
            "log-distance trilateration",
            tri_p90,
            ratio_lower_better(p90, tri_p90),
        ),
        BenchResult("kolakowski: fixes available", 100.0 * len(ours) / len(rows), "%"),
    ]


# --- UCI WMU cells -------------------------------------------------------------------------------

def uci_cells() -> list[BenchResult]:
    with open(UCI, newline="") as f:
        rows = list(csv.DictReader(f))
    rng = np.random.default_rng(435)
    fit_half = rng.random(len(rows)) < 0.5
    beacons = list(UCI_BEACON_CELLS)
    bxy = np.array([cell_xy(UCI_BEACON_CELLS[b]) for b in beacons])

    def heard(row: dict[str, str]) -> dict[int, float]:
        return {i: float(row[b]) for i, b in enumerate(beacons) if float(row[b]) > -198}

    samples = []
    for row, fit in zip(rows, fit_half, strict=True):
        if fit:
            cx, cy = cell_xy(row["location"])
            for i, r in heard(row).items():
                samples.append((i, math.hypot(cx - bxy[i, 0], cy - bxy[i, 1]), r))
    model = fit_path_loss(samples)
    cells = sorted({r["location"] for r, fit in zip(rows, fit_half, strict=True) if fit})
    cells_xy = np.array([cell_xy(c) for c in cells])
    power = np.array([model.power_for(i) for i in range(len(beacons))])
    ours, nearest = [], []  # Chebyshev cell distance of each answer to the label
    for row, fit in zip(rows, fit_half, strict=True):
        h = heard(row)
        if fit or not h:
            continue
        idx = np.array(sorted(h))
        rssi = np.array([h[i] for i in idx])
        ll = log_likelihood(cells_xy, bxy[idx], power[idx], rssi, model.exponent, model.sigma_db)
        truth = np.array(cell_xy(row["location"]))
        loud = bxy[idx[int(np.argmax(rssi))]]
        for answer, out in (
            (int(np.argmax(ll)), ours),
            (int(np.argmin(np.hypot(*(cells_xy - loud).T))), nearest),
        ):
            out.append(float(np.abs(cells_xy[answer] - truth).max()))
    results = []
    for label, within in (("exact cell", 0), ("within 1 cell", 1)):
        acc = 100.0 * float(np.mean(np.array(ours) <= within))
        base = 100.0 * float(np.mean(np.array(nearest) <= within))
        results.append(
            BenchResult(
                f"uci wmu: {label} accuracy (map-constrained ML)",
                acc,
                "%",
                "cell nearest the loudest beacon",
                base,
                None if base == 0 else acc / base,
            )
        )
    return results


def run(quick: bool) -> list[BenchResult]:
    return [*_sim_results(quick), *_world_results(quick), *kolakowski(), *uci_cells()]
