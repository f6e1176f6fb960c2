"""GNSS as evidence: accuracy kinds, validation, heavy tails (pure, seeded)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from beacons.gnss_evidence import (
    BIAS_X,
    GnssTrack,
    LocalFix,
    bias_prior,
    gnss_update,
    motion_log_evidence,
    relax_bias,
    usable_gnss,
)
from beacons.model import AccuracyKind, GnssFix


@pytest.mark.parametrize(
    ("kind", "share_within"),
    [(AccuracyKind.W3C95, 0.95), (AccuracyKind.ANDROID68, 0.68), (AccuracyKind.IOS_RMS, None)],
)
def test_accuracy_kinds_convert_to_a_per_axis_sigma(kind, share_within) -> None:
    fix = GnssFix(52.47, 13.44, accuracy_m=10.0, t_s=0.0, accuracy_kind=kind)
    errors = np.random.default_rng(3).normal(0.0, fix.sigma_m, (200_000, 2))
    radius = np.hypot(*errors.T)
    if share_within is None:  # iOS: the radius is the RMS horizontal error
        assert math.sqrt(float(np.mean(radius**2))) == pytest.approx(10.0, rel=0.01)
    else:
        assert float(np.mean(radius <= 10.0)) == pytest.approx(share_within, abs=0.005)


@pytest.mark.parametrize(
    "fix",
    [
        GnssFix(math.nan, 13.4, 5.0, 0.0),
        GnssFix(52.4, math.inf, 5.0, 0.0),
        GnssFix(91.0, 13.4, 5.0, 0.0),
        GnssFix(52.4, -180.5, 5.0, 0.0),
        GnssFix(52.4, 13.4, 0.0, 0.0),
        GnssFix(52.4, 13.4, -3.0, 0.0),
        GnssFix(52.4, 13.4, math.nan, 0.0),
        GnssFix(52.4, 13.4, 5.0, math.nan),
    ],
)
def test_unusable_fixes_are_recognised(fix) -> None:
    assert not usable_gnss(fix)


def test_a_usable_fix_is_usable() -> None:
    assert usable_gnss(GnssFix(-33.9, 151.2, 4.0, 12.0, AccuracyKind.IOS_RMS))


def test_a_multipath_outlier_pulls_no_side() -> None:
    """A fix 40 m from the walker's side of the street and 25 m from the other side: the
    evidence hardly prefers the other side (it saturates), while an honest fix 5 m away does."""
    points = np.array([[0.0, 0.0], [0.0, 15.0]])  # this side, the other side of the street
    bias = bias_prior(0.8 * 5.0**2, 2)
    outlier, _, _ = gnss_update(points, (0.0, 40.0), bias, 5.0, 0.8, 0.1)
    honest, _, _ = gnss_update(points, (0.0, 5.0), bias, 5.0, 0.8, 0.1)
    assert abs(outlier[1] - outlier[0]) < 0.5
    assert honest[0] - honest[1] > 1.0


def test_the_bias_is_learnt_and_forgotten() -> None:
    bias = bias_prior(16.0)
    _, bias, _ = gnss_update(np.zeros((1, 2)), (6.0, 0.0), bias, 5.0, 0.8, 0.1)
    assert 2.0 < bias[0, 0] < 6.0 and bias[2, 0] < 16.0  # part of the offset is bias
    relax_bias(bias, 600.0, 30.0, 16.0)  # ten minutes later it is anyone's guess again
    assert abs(bias[0, 0]) < 1e-6 and bias[2, 0] == pytest.approx(16.0)


NORTH, SOUTH, EAST = (0.0, 1.0), (0.0, -1.0), (1.0, 0.0)


def test_doppler_speed_and_course_favour_particles_walking_like_the_phone() -> None:
    """Walking north at 1.2 m/s: a particle doing so beats one standing still and one walking
    south or east; a course the other way costs a bounded amount (a turn inside the second, a
    bad satellite), never everything."""
    fix = LocalFix(0.0, 0.0, 5.0, 0.0, speed_mps=1.2, course_deg=0.0)
    speed = np.array([1.2, 0.0, 1.2, 1.2])
    heading = np.array([NORTH, NORTH, SOUTH, EAST])
    ev = motion_log_evidence(fix, speed, heading, 0.4, 30.0, 0.2)
    assert ev is not None
    assert ev[0] > ev[1] + 2.0 and ev[0] > ev[2] + 2.0 and ev[0] > ev[3] + 2.0
    assert ev[0] - ev[2] < 5.0


def test_a_fix_without_speed_says_nothing_of_motion_and_a_slow_one_no_course() -> None:
    still = LocalFix(0.0, 0.0, 5.0, 0.0)
    assert motion_log_evidence(still, np.ones(2), np.array([NORTH, SOUTH]), 0.4, 30.0, 0.2) \
        is None
    slow = GnssTrack().local(GnssFix(52.4, 13.4, 8.0, 1.0, heading_deg=90.0, speed_mps=0.3),
                             (0.0, 0.0), 4.0, 1.5, min_course_speed_mps=0.6)
    assert slow is not None and slow.speed_mps == 0.3 and slow.course_deg is None
    ev = motion_log_evidence(slow, np.full(2, 0.3), np.array([NORTH, SOUTH]), 0.4, 30.0, 0.2)
    assert ev is not None and ev[0] == ev[1]


@pytest.mark.parametrize("speed", [math.nan, -1.0, 40.0])
def test_an_impossible_speed_is_not_used(speed: float) -> None:
    local = GnssTrack().local(GnssFix(52.4, 13.4, 8.0, 1.0, heading_deg=90.0, speed_mps=speed),
                              (0.0, 0.0), 4.0, 1.5, min_course_speed_mps=0.6)
    assert local is not None and local.speed_mps is None and local.course_deg is None



def test_a_bias_is_forgotten_only_when_the_fixes_stay_far_longer_than_a_jump() -> None:
    track = GnssTrack()
    track.scale2 = 4.0
    assert not track.bias_outlived(0.9, 100.0, jump_s=10.0)  # far: the clock starts
    assert not track.bias_outlived(0.9, 105.0, jump_s=10.0)  # a jump lasts seconds
    assert not track.bias_outlived(0.2, 107.0, jump_s=10.0)  # near again: it was a jump
    assert not track.bias_outlived(0.9, 108.0, jump_s=10.0)
    assert not track.bias_outlived(0.9, 117.0, jump_s=10.0)
    assert track.bias_outlived(0.9, 118.0, jump_s=10.0)  # far for 10 s: forget
    assert track.scale2 == 1.0  # and how much worse than claimed the fixes seemed
    assert not track.bias_outlived(0.9, 119.0, jump_s=10.0)  # not again at once


def _cloud(bias_x_m: float, count: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` equally weighted points at the origin that learnt a bias of ``bias_x_m`` east."""
    bias = bias_prior(4.0, count)
    bias[BIAS_X] = bias_x_m
    return np.zeros((count, 2)), bias, np.full(count, 1.0 / count)


def test_a_learnt_bias_too_large_for_gnss_is_forgotten_though_single_fixes_fall_near() -> None:
    """A cloud 15 m behind the walker took the distance to the fixes for their bias; the phone's
    fixes scatter around the truth, some within 3 sigma of the cloud (9 m), some beyond. Judged
    by the fixes alone, each near one restarted the clock and the bias was never forgotten (the
    street world, seed 402: a minute 11-13 m behind with a 2-3 m radius); judged also by the
    bias learnt (the fixes' misfit with their noise averaged out), 15 m is beyond 3 sigma of
    what satellites do, and it is forgotten after a jump's time."""
    points, bias, weight = _cloud(15.0)
    track = GnssTrack()
    fresh = [track.refit(LocalFix(9.0 if t % 2 else 18.0, 0.0, 4.0, float(t)), points, bias,
                         weight, contradiction=4.5, jump_s=10.0, bias_share=0.8)
             for t in range(100, 112)]
    assert [f is not None for f in fresh] == [False] * 10 + [True, False]
    assert fresh[10] is not None and fresh[10].sigma_m == 4.0


def test_a_plausible_learnt_bias_is_kept() -> None:
    """Fixes 9 m from the cloud and a learnt bias of 5 m (within what satellites do) are no
    reason to forget it, however long they last."""
    points, bias, weight = _cloud(5.0)
    track = GnssTrack()
    assert all(track.refit(LocalFix(9.0, 0.0, 4.0, float(t)), points, bias, weight,
                           contradiction=4.5, jump_s=10.0, bias_share=0.8) is None
               for t in range(100, 160))
