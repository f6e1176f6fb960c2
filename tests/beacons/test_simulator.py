"""The simulated radio: seeded, time from the walk, physics as documented."""

from __future__ import annotations

import numpy as np
import pytest

from beacons.model import BeaconId, BeaconPlacement
from beacons.pathloss import expected_rssi_dbm
from beacons.simulator import SimulatedSource, walk_along
from beacons.sources import ReadingSource, RecordedSource
from routing.geo import LocalFrame, haversine_m

FRAME = LocalFrame(52.48, 13.43)


def _placements(n: int = 5, step_m: float = 10.0) -> list[BeaconPlacement]:
    return [
        BeaconPlacement(
            BeaconId.ibeacon("aa" * 16, 1, i), *FRAME.to_latlon(i * step_m, 0.0), None, -59.0
        )
        for i in range(n)
    ]


def _walk(length_m: float = 40.0) -> list[tuple[float, float, float]]:
    return walk_along([FRAME.to_latlon(0, 0), FRAME.to_latlon(length_m, 0)], speed_mps=1.0)


def test_walk_along_paces_and_ends_on_the_last_point() -> None:
    coords = [FRAME.to_latlon(0, 0), FRAME.to_latlon(10, 0), FRAME.to_latlon(10, 5.5)]
    walk = walk_along(coords, speed_mps=1.2, dt_s=1.0, t0_s=100.0)
    assert walk[0] == (100.0, *coords[0])
    assert walk[-1][1:] == pytest.approx(coords[-1])
    assert walk[-1][0] == pytest.approx(100.0 + 15.5 / 1.2)
    steps = [haversine_m(a[1], a[2], b[1], b[2]) for a, b in zip(walk, walk[1:-1], strict=False)]
    assert max(steps) == pytest.approx(1.2, abs=0.01)  # corners cut at most by the chord
    assert all(b[0] > a[0] for a, b in zip(walk, walk[1:], strict=False))


def test_seeded_and_replayable() -> None:
    a = SimulatedSource(_placements(), _walk(), seed=3)
    assert list(a.iter_scans()) == list(a.iter_scans())
    assert list(a.iter_scans()) == list(
        SimulatedSource(_placements(), _walk(), seed=3).iter_scans()
    )
    assert list(a.iter_scans()) != list(
        SimulatedSource(_placements(), _walk(), seed=4).iter_scans()
    )


def test_noise_free_readings_follow_the_model_within_range() -> None:
    sim = SimulatedSource(_placements(), _walk(), noise_db=0.0, dropout=0.0, max_range_m=15.0)
    for scan in sim.iter_scans():
        x, _ = FRAME.to_xy(*sim.position_at(scan.t_s))
        for r in scan.readings:
            d = abs(x - 10.0 * int(r.beacon.ident.rsplit(":", 1)[1]))
            assert d <= 15.0 + 1e-6
            assert r.rssi_dbm == np.rint(expected_rssi_dbm(d, -59.0, 2.0))
            assert r.t_s == scan.t_s and r.tx_power_dbm == -59.0


def test_shadowing_spread_and_dropouts() -> None:
    placements = _placements(1)
    walk = [(float(t), *FRAME.to_latlon(5.0, 0.0)) for t in range(2000)]
    sim = SimulatedSource(placements, walk, seed=1, noise_db=4.0, dropout=0.25)
    rssi = [r.rssi_dbm for s in sim.iter_scans() for r in s.readings]
    assert 0.7 < len(rssi) / len(walk) < 0.8
    assert np.std(rssi) == pytest.approx(4.0, abs=0.3)
    assert np.mean(rssi) == pytest.approx(expected_rssi_dbm(5.0, -59.0, 2.0), abs=0.3)


def test_dead_beacons_never_speak() -> None:
    sim = SimulatedSource(_placements(), _walk(), dead=1.0)
    assert sim.dead_beacons == {p.beacon for p in _placements()}
    assert all(not s.readings for s in sim.iter_scans())
    half = SimulatedSource(_placements(20), _walk(190), seed=2, dead=0.5, dropout=0.0)
    heard = {r.beacon for s in half.iter_scans() for r in s.readings}
    assert heard and not heard & half.dead_beacons


async def test_sources_share_one_interface() -> None:
    sim = SimulatedSource(_placements(), _walk(), seed=1)
    replay = RecordedSource(sim.iter_scans())
    assert isinstance(sim, ReadingSource) and isinstance(replay, ReadingSource)
    assert [s async for s in sim.scans()] == [s async for s in replay.scans()]
