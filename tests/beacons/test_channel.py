"""The honest radio world: each effect does what it says, seeded, exact to replay."""

from __future__ import annotations

import math

import numpy as np
import pytest

from beacons.channel import ChannelParams, RadioChannel, body_loss_db
from beacons.model import BeaconId, BeaconPlacement
from beacons.pathloss import expected_rssi_dbm
from beacons.simulator import ChannelSource, walk_along
from routing.geo import LocalFrame

FRAME = LocalFrame(52.48, 13.43)


def _placements(xy: list[tuple[float, float]], power: float = -59.0) -> list[BeaconPlacement]:
    return [
        BeaconPlacement(BeaconId.ibeacon("bb" * 16, 1, i), *FRAME.to_latlon(x, y), None, power)
        for i, (x, y) in enumerate(xy)
    ]


def _one_beacon(params: ChannelParams, seed: int = 0) -> tuple[RadioChannel, float, float]:
    """A channel with one beacon; returns the channel and the beacon's position in its frame."""
    channel = RadioChannel(_placements([(0.0, 0.0)]), params, seed)
    bx, by = channel.beacon_xy[0]
    return channel, float(bx), float(by)


def _rssi(readings) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.array([r.rssi_dbm for r in readings])


def test_defaults_are_the_bare_law_with_its_exponent() -> None:
    for n in (1.8, 2.0, 3.5):
        channel, bx, by = _one_beacon(ChannelParams(exponent=n, sensitivity_dbm=-200.0))
        for d in (1.0, 4.0, 20.0):
            mean = channel.mean_rssi_dbm(np.array([0]), bx + d, by, heading_deg=0.0)[0]
            assert mean == pytest.approx(expected_rssi_dbm(d, -59.0, n))
            (reading,) = channel.readings(bx + d, by, 0.0, t_s=5.0)
            assert reading.rssi_dbm == np.rint(mean)
            assert 4.0 <= reading.t_s <= 5.0 and reading.tx_power_dbm == -59.0


def test_shadowing_is_correlated_over_metres_not_scans() -> None:
    """Gudmundson: exp(-d / 10 m) gives ~0.9 after 1 m of walking and ~0.05 after 30 m."""
    rng = np.random.default_rng(0)
    spots = [tuple(p) for p in rng.uniform(-200, 200, (3000, 2))]
    params = ChannelParams(shadowing_sigma_db=6.0, shadowing_corr_m=10.0)
    channel = RadioChannel(_placements(spots), params, seed=2)
    rows = np.arange(len(spots))
    at = {lag: channel.shadowing_db(rows, 3.0 + lag, -7.0) for lag in (0.0, 1.0, 30.0)}
    assert np.std(at[0.0]) == pytest.approx(6.0, rel=0.05)
    assert np.corrcoef(at[0.0], at[1.0])[0, 1] == pytest.approx(math.exp(-0.1), abs=0.03)
    assert np.corrcoef(at[0.0], at[30.0])[0, 1] == pytest.approx(math.exp(-3.0), abs=0.05)
    # the same place later: the same shadow (only fast fading changes between scans)
    again = channel.shadowing_db(rows, 3.0, -7.0)
    assert np.array_equal(again, at[0.0])


def test_body_loss_only_when_the_beacon_is_behind() -> None:
    bearings = np.array([0.0, 45.0, 90.0, 135.0, 180.0, 270.0])
    loss = body_loss_db(0.0, bearings, 10.0)
    assert loss[[0, 1, 2, 5]] == pytest.approx(0.0, abs=1e-9)
    assert loss[3] == pytest.approx(10.0 * math.cos(math.radians(45.0)))
    assert loss[4] == pytest.approx(10.0)
    assert not body_loss_db(None, bearings, 10.0).any()
    # a walker 8 m east of the beacon: walking west it faces it, walking east it is behind
    channel, bx, by = _one_beacon(ChannelParams(body_loss_db=10.0))
    row = np.array([0])
    facing = channel.mean_rssi_dbm(row, bx + 8.0, by, heading_deg=270.0)[0]
    away = channel.mean_rssi_dbm(row, bx + 8.0, by, heading_deg=90.0)[0]
    beside = channel.mean_rssi_dbm(row, bx + 8.0, by, heading_deg=0.0)[0]
    assert facing - away == pytest.approx(10.0)
    assert beside == pytest.approx(facing)


def test_phone_offset_shifts_every_reading() -> None:
    base, bx, by = _one_beacon(ChannelParams(fading_sigma_db=4.0, adverts_per_scan=5))
    low, _, _ = _one_beacon(ChannelParams(fading_sigma_db=4.0, adverts_per_scan=5,
                                          phone_offset_db=-8.0))
    a = np.concatenate([_rssi(base.readings(bx + 5, by, None, t)) for t in range(200)])
    b = np.concatenate([_rssi(low.readings(bx + 5, by, None, t)) for t in range(200)])
    assert a.size == b.size == 1000
    assert np.mean(b) - np.mean(a) == pytest.approx(-8.0, abs=1e-9)  # same draws, whole dB


def test_fast_fading_per_advertisement_within_the_scan_window() -> None:
    channel, bx, by = _one_beacon(ChannelParams(fading_sigma_db=5.0, adverts_per_scan=4))
    scans = [channel.readings(bx + 3, by, None, float(t), window_s=1.0) for t in range(1, 501)]
    assert all(len(s) == 4 for s in scans)
    for t, s in enumerate(scans, start=1):
        times = [r.t_s for r in s]
        assert times == sorted(times) and t - 1.0 <= times[0] and times[-1] <= t
    rssi = np.concatenate([_rssi(s) for s in scans])
    assert np.std(rssi) == pytest.approx(5.0, rel=0.06)
    assert np.mean(rssi) == pytest.approx(expected_rssi_dbm(3.0, -59.0, 2.0), abs=0.4)


def test_packet_loss_rate() -> None:
    channel, bx, by = _one_beacon(ChannelParams(packet_loss=0.3, adverts_per_scan=3))
    heard = sum(len(channel.readings(bx + 2, by, None, float(t))) for t in range(2000))
    assert heard / 6000 == pytest.approx(0.7, abs=0.02)


def test_dead_beacons_never_speak_and_power_spread() -> None:
    spots = [(float(x), 0.0) for x in range(0, 400, 2)]
    params = ChannelParams(dead=0.25, power_spread_db=3.0, max_range_m=1000.0,
                           sensitivity_dbm=-200.0)
    channel = RadioChannel(_placements(spots), params, seed=5)
    assert len(channel.dead_beacons) / len(spots) == pytest.approx(0.25, abs=0.07)
    heard = {r.beacon for t in range(20) for r in channel.readings(0.0, 0.0, None, float(t))}
    assert heard and not heard & channel.dead_beacons
    assert len(heard) == len(spots) - len(channel.dead_beacons)
    assert np.std(channel.power_dbm + 59.0) == pytest.approx(3.0, rel=0.2)


def test_sensitivity_floor_and_range() -> None:
    spots = [(float(d), 0.0) for d in (2, 10, 30, 60, 90)]
    params = ChannelParams(exponent=3.5, sensitivity_dbm=-100.0, fading_sigma_db=3.0,
                           adverts_per_scan=3, max_range_m=80.0)
    channel = RadioChannel(_placements(spots), params, seed=1)
    x0, y0 = channel.beacon_xy[0] - (2.0, 0.0)  # 2 m from the first beacon
    readings = [r for t in range(300) for r in channel.readings(x0, y0, None, float(t))]
    assert min(r.rssi_dbm for r in readings) >= -100.0
    minors = {int(r.beacon.ident.rsplit(":", 1)[1]) for r in readings}
    # 2 m and 10 m are heard; 30 m (mean -111 dBm) essentially never; beyond 80 m never
    assert {0, 1} <= minors and 4 not in minors


def test_exact_replay_in_any_order() -> None:
    spots = [(float(x), 3.0) for x in range(0, 100, 10)]
    params = ChannelParams(exponent=2.7, shadowing_sigma_db=6.0, body_loss_db=8.0,
                           fading_sigma_db=4.0, adverts_per_scan=3, phone_offset_db=-4.0,
                           packet_loss=0.2, dead=0.1, power_spread_db=2.0)
    a = RadioChannel(_placements(spots), params, seed=9)
    b = RadioChannel(_placements(spots), params, seed=9)
    times = [float(t) for t in range(30)]
    forward = [a.readings(t * 1.2, 0.0, 90.0, t) for t in times]
    backward = [b.readings(t * 1.2, 0.0, 90.0, t) for t in reversed(times)][::-1]
    assert forward == backward and any(forward)
    c = RadioChannel(_placements(spots), params, seed=10)
    assert forward != [c.readings(t * 1.2, 0.0, 90.0, t) for t in times]


def test_channel_source_walks_with_its_heading_and_replays() -> None:
    spots = [(float(x), 2.0) for x in range(0, 60, 10)]
    params = ChannelParams(exponent=2.5, shadowing_sigma_db=5.0, fading_sigma_db=3.0,
                           adverts_per_scan=2, packet_loss=0.1)
    channel = RadioChannel(_placements(spots), params, seed=4)
    east_then_north = [FRAME.to_latlon(0, 0), FRAME.to_latlon(20, 0), FRAME.to_latlon(20, 10)]
    walk = walk_along(east_then_north, speed_mps=1.0)
    source = ChannelSource(channel, walk)
    assert source.heading_at(3.0) == pytest.approx(90.0, abs=0.5)
    assert source.heading_at(25.0) == pytest.approx(0.0, abs=0.5)
    assert source.heading_at(1000.0) == pytest.approx(0.0, abs=0.5)  # stopped: last heading
    scans = list(source.iter_scans())
    assert len(scans) == 31 and scans == list(source.iter_scans())
    assert all(r.t_s <= s.t_s for s in scans for r in s.readings)
    # a second leg over the same ground (a re-route) meets the same world
    leg = ChannelSource(channel, walk_along(east_then_north[:2], speed_mps=1.0))
    assert list(leg.iter_scans())[:10] == scans[:10]
    standing = ChannelSource(channel, [(0.0, *FRAME.to_latlon(5, 0))] * 2)
    assert standing.heading_at(0.0) is None
