"""Simulated phone GNSS: a wandering bias, multipath jumps, a canyon side, optimistic accuracy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from beacons.channel import ChannelParams, RadioChannel
from beacons.gnss_simulator import GnssParams, GnssSimulator
from beacons.model import AccuracyKind, BeaconId, BeaconPlacement
from beacons.simulator import ChannelSource, SimulatedSource, walk_along
from routing.geo import LocalFrame

FRAME = LocalFrame(49.44, 7.77)
QUIET = GnssParams(jumps_per_hour=0.0, canyon_bias_m=0.0, optimism_per_hour=0.0)


def _error_xy(sim: GnssSimulator, t_s: float, x: float = 0.0, y: float = 0.0,
              heading: float | None = None) -> np.ndarray:
    fix = sim.fix_at(t_s, *FRAME.to_latlon(x, y), heading, 1.2)
    fx, fy = FRAME.to_xy(fix.lat, fix.lon)
    return np.array([fx - x, fy - y])


def test_bias_wanders_slowly_with_its_spread() -> None:
    sim = GnssSimulator(GnssParams(bias_sigma_m=4.0, bias_corr_s=30.0), FRAME, seed=1)
    t = np.arange(0.0, 40_000.0)
    bias = np.array([sim.bias_m(float(s)) for s in t])
    assert np.std(bias[:, 0]) == pytest.approx(4.0, rel=0.1)
    assert np.std(bias[:, 1]) == pytest.approx(4.0, rel=0.1)
    for lag_s, expected in ((1, math.exp(-1 / 30)), (30, math.exp(-1.0)), (150, math.exp(-5.0))):
        r = np.corrcoef(bias[:-lag_s, 0], bias[lag_s:, 0])[0, 1]
        assert r == pytest.approx(expected, abs=0.06)
    # between whole seconds it is interpolated, and it continues across blocks smoothly
    assert sim.bias_m(10.5) == pytest.approx((sim.bias_m(10.0) + sim.bias_m(11.0)) / 2)
    assert np.hypot(*(sim.bias_m(256.0) - sim.bias_m(255.0))) < 3.0


def test_multipath_jumps_are_rare_big_and_short() -> None:
    params = GnssParams(jumps_per_hour=30.0, jump_m=(20.0, 50.0), jump_s=(2.0, 6.0))
    sim = GnssSimulator(params, FRAME, seed=2)
    t = np.arange(0.0, 36_000.0, 0.5)
    size = np.array([np.hypot(*sim.jump_m(float(s))) for s in t])
    jumping = size > 0
    # 30 per hour x 4 s mean = 3.3 % of the time
    assert jumping.mean() == pytest.approx(30 * 4.0 / 3600, rel=0.2)
    assert size[jumping].min() >= 20.0 and size[jumping].max() <= 50.0
    edges = np.diff(jumping.astype(int))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    assert starts[0] < ends[0] and len(starts) == len(ends)
    lengths_s = (ends - starts) * 0.5
    assert 250 <= len(starts) <= 350  # some overlap: two jumps in a row read as one longer one
    assert np.percentile(lengths_s, 95) <= 6.0 and lengths_s.min() >= 1.5


def test_canyon_bias_is_across_the_street_on_one_side_either_way() -> None:
    sim = GnssSimulator(GnssParams(canyon_bias_m=5.0), FRAME, seed=3)
    for x in (0.0, 40.0, 300.0):
        east = sim.canyon_m(x, 0.0, 90.0)
        west = sim.canyon_m(x, 0.0, 270.0)
        assert np.allclose(east, west)  # the same side of the street, whichever way one walks
        assert abs(east[0]) < 1e-9 and abs(east[1]) <= 5.0  # across an east-west street
    sides = np.array([sim.canyon_m(x, 0.0, 90.0)[1] for x in np.arange(0.0, 4000.0, 10.0)])
    assert (np.abs(sides) > 2.5).mean() > 0.5  # mostly clearly to one side
    assert (sides > 0).any() and (sides < 0).any()  # which side changes along the city
    assert np.corrcoef(sides[:-1], sides[1:])[0, 1] > 0.7  # but not every 10 m
    assert not sim.canyon_m(0.0, 0.0, None).any()


@pytest.mark.parametrize(("kind", "outside"), [(AccuracyKind.W3C95, 0.05),
                                               (AccuracyKind.ANDROID68, 0.32),
                                               (AccuracyKind.IOS_RMS, math.exp(-1.0))])
def test_reported_accuracy_is_honest_without_the_street_effects(kind: AccuracyKind,
                                                                 outside: float) -> None:
    sim = GnssSimulator(GnssParams(jumps_per_hour=0.0, canyon_bias_m=0.0, optimism_per_hour=0.0,
                                   accuracy_kind=kind), FRAME, seed=4)
    fixes = [sim.fix_at(float(t), *FRAME.to_latlon(0.0, 0.0), 90.0, 1.2)
             for t in range(0, 30_000, 6)]
    assert {f.accuracy_kind for f in fixes} == {kind}
    assert fixes[0].sigma_m == pytest.approx(sim.honest_sigma_m())
    err = np.array([np.hypot(*np.subtract(FRAME.to_xy(f.lat, f.lon), (0.0, 0.0))) for f in fixes])
    assert (err > np.array([f.accuracy_m for f in fixes])).mean() == pytest.approx(outside,
                                                                                   abs=0.03)


def test_the_street_makes_reported_accuracy_optimistic() -> None:
    sim = GnssSimulator(GnssParams(), FRAME, seed=5)  # jumps, canyon, optimistic episodes
    fixes = [sim.fix_at(float(t), *FRAME.to_latlon(t * 1.2, 0.0), 90.0, 1.2)
             for t in range(0, 20_000, 4)]
    sigma = np.array([f.sigma_m for f in fixes])
    assert (sigma < 0.7 * sim.honest_sigma_m()).mean() == pytest.approx(60 * 20 / 3600, rel=0.35)
    err = np.array([np.hypot(*np.subtract(FRAME.to_xy(f.lat, f.lon), (t * 1.2, 0.0)))
                    for f, t in zip(fixes, range(0, 20_000, 4), strict=True)])
    assert (err > np.array([f.accuracy_m for f in fixes])).mean() > 0.08  # a 95 % claim


def test_course_speed_and_exact_replay() -> None:
    a = GnssSimulator(GnssParams(), FRAME, seed=6)
    b = GnssSimulator(GnssParams(), FRAME, seed=6)
    times = [float(t) for t in range(0, 600, 7)]
    forward = [a.fix_at(t, 49.44, 7.77, 45.0, 1.3) for t in times]
    backward = [b.fix_at(t, 49.44, 7.77, 45.0, 1.3) for t in reversed(times)][::-1]
    assert forward == backward
    assert forward != [GnssSimulator(GnssParams(), FRAME, seed=7).fix_at(t, 49.44, 7.77, 45.0, 1.3)
                       for t in times]
    courses = np.array([f.heading_deg for f in forward], dtype=float)
    assert np.mean(courses) == pytest.approx(45.0, abs=5.0)
    assert np.mean([f.speed_mps for f in forward]) == pytest.approx(1.3, abs=0.1)
    standing = a.fix_at(3.0, 49.44, 7.77, 45.0, 0.0)
    assert standing.heading_deg is None and standing.t_s == 3.0


def test_channel_source_carries_gnss_on_every_scan() -> None:
    beacon = BeaconPlacement(BeaconId.ibeacon("cc" * 16, 1, 1), *FRAME.to_latlon(5, 0), None,
                             -59.0)
    channel = RadioChannel([beacon], ChannelParams(), seed=0)
    gnss = GnssSimulator(QUIET, channel.frame, seed=0)
    walk = walk_along([FRAME.to_latlon(0, 0), FRAME.to_latlon(30, 0)], speed_mps=1.5)
    source = ChannelSource(channel, walk, gnss=gnss)
    scans = list(source.iter_scans())
    assert all(s.gnss is not None and s.gnss.t_s == s.t_s for s in scans)
    assert source.speed_at(3.0) == pytest.approx(1.5, rel=0.01) and source.speed_at(99.0) == 0
    errors = [np.hypot(*np.subtract(FRAME.to_xy(s.gnss.lat, s.gnss.lon),  # type: ignore[union-attr]
                                    FRAME.to_xy(*source.position_at(s.t_s)))) for s in scans]
    assert max(errors) < 25.0
    assert ChannelSource(channel, walk).scan_at(3.0).gnss is None


def test_the_ideal_world_can_carry_gnss_too() -> None:
    beacon = BeaconPlacement(BeaconId.ibeacon("cc" * 16, 1, 1), *FRAME.to_latlon(5, 0), None,
                             -59.0)
    walk = walk_along([FRAME.to_latlon(0, 0), FRAME.to_latlon(30, 0)], speed_mps=1.5)
    gnss = GnssSimulator(QUIET, FRAME, seed=0)
    source = SimulatedSource([beacon], walk, seed=1, gnss=gnss)
    with_gnss = list(source.iter_scans())
    without = list(SimulatedSource([beacon], walk, seed=1).iter_scans())
    assert [s.readings for s in with_gnss] == [s.readings for s in without]  # same radio
    assert source.heading_at(5.0) == pytest.approx(90.0, abs=0.01)
    assert source.speed_at(5.0) == pytest.approx(1.5, rel=0.01) and source.speed_at(25.0) == 0
    assert all(s.gnss == gnss.fix_at(s.t_s, *source.position_at(s.t_s), source.heading_at(s.t_s),
                                     source.speed_at(s.t_s)) for s in with_gnss)
