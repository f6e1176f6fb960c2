"""The beacon likelihood with the phone's offset and the exponent unknown (pure, seeded)."""

from __future__ import annotations

import numpy as np
from scipy.stats import truncnorm

from beacons.kernels import heard_mean_shift
from beacons.likelihood import (
    EXPONENT_RANGE,
    MEAN,
    BodyLoss,
    beacon_update,
    exponent_grid,
    log_likelihood,
    offset_prior,
)
from beacons.pathloss import expected_rssi_dbm

BEACONS = np.array([[0.0, 3.0], [10.0, -3.0], [20.0, 3.0], [30.0, -3.0], [40.0, 3.0]])
LINE = np.column_stack([np.linspace(0.0, 40.0, 401), np.zeros(401)])  # a street, 0.1 m steps


def _readings(at_x: float, exponent: float, offset_db: float) -> np.ndarray:
    d = np.hypot(BEACONS[:, 0] - at_x, BEACONS[:, 1])
    return expected_rssi_dbm(d, -59.0, exponent) + offset_db


def test_the_best_place_does_not_move_with_the_phone_or_the_street() -> None:
    """Readings from a phone 8 dB low in a street with exponent 2.7, scored by a model that
    expects 0 dB and 2.0: the best place is still where the walker is."""
    power = np.full(len(BEACONS), -59.0)
    for offset_db in (-8.0, 0.0, 8.0):
        for exponent in (1.8, 2.7, 3.5):
            ll = log_likelihood(LINE, BEACONS, power, _readings(13.0, exponent, offset_db), 2.0,
                                4.0)
            assert abs(LINE[int(np.argmax(ll)), 0] - 13.0) < 1.0, (offset_db, exponent)


def test_the_offset_is_learnt_where_the_walker_is() -> None:
    excess = _readings(13.0, 2.0, -8.0) + 59.0
    _, post, _ = beacon_update(np.array([[13.0, 0.0]]), BEACONS, excess, offset_prior(6.0), 2.0,
                               4.0, 4.0)
    assert abs(post[MEAN, 0] + 8.0) < 1.0


def test_one_wild_reading_does_not_move_the_best_place() -> None:
    power = np.full(len(BEACONS), -59.0)
    rssi = _readings(13.0, 2.0, 0.0)
    rssi[4] += 40.0  # a spoofed or moved beacon at the far end, 40 dB too loud
    ll = log_likelihood(LINE, BEACONS, power, rssi, 2.0, 4.0)
    assert abs(LINE[int(np.argmax(ll)), 0] - 13.0) < 1.5


def test_exponent_grid_stands_for_its_prior() -> None:
    values, log_w = exponent_grid(3.0, 0.4, 101)
    assert abs(np.exp(log_w).sum() - 1.0) < 1e-9
    assert abs(values.mean() - 3.0) < 0.02 and abs(values.std() - 0.4) < 0.03
    low = exponent_grid(1.3, 0.8)[0]  # a prior leaning on the physical bound is cut, not piled
    assert low.min() > EXPONENT_RANGE[0] and len(set(low.round(6).tolist())) == low.size


def test_body_loss_is_expected_only_behind_the_walker() -> None:
    """Walking east at the origin: a beacon 10 m behind (west) expects the full loss, one 10 m
    ahead none, one beside none; facing unknown, half the loss either way along the street.

    Seen through the evidence itself: each beacon read exactly at the law, alone, with an offset
    prior so wide that the offset learnt is the reading's miss; a loss expected there makes the
    same reading say the phone reads that much high."""
    beacons = np.array([[-10.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    here = np.array([[0.0, 0.0]])
    law = expected_rssi_dbm(np.full(1, 10.0), 0.0, 2.0)  # excess over the 1 m power

    def learnt(body: BodyLoss | None) -> np.ndarray:
        return np.array([
            beacon_update(here, beacons[j:j + 1], law, offset_prior(1000.0), 2.0, 4.0, 4.0,
                          body=body)[1][MEAN, 0]
            for j in range(len(beacons))])

    plain = learnt(None)
    known = learnt(BodyLoss(np.array([[1.0, 0.0]]), 8.0)) - plain
    assert np.allclose(known, [8.0, 0.0, 0.0], atol=0.01)
    either = learnt(BodyLoss(np.array([[1.0, 0.0]]), 8.0, known=False)) - plain
    assert np.allclose(either, [4.0, 4.0, 0.0], atol=0.01)


def test_a_beacon_behind_reading_low_fits_the_walker_facing_away() -> None:
    """The same readings (the beacon behind 8 dB low) are better evidence for a walker facing
    away from that beacon than for one facing it."""
    beacons = np.array([[-10.0, 0.0], [10.0, 0.0], [0.0, 12.0]])
    excess = np.array([-28.0, -20.0, -21.6])  # 10 m at n = 2, the first behind a body
    here = np.array([[0.0, 0.0], [0.0, 0.0]])
    facing = np.array([[1.0, 0.0], [-1.0, 0.0]])
    log_ev, _, _ = beacon_update(here, beacons, excess, offset_prior(6.0), 2.0, 5.0, 4.0,
                                 body=BodyLoss(facing, 8.0))
    assert log_ev[0] > log_ev[1]


def test_a_heard_reading_lies_above_the_law_by_the_truncated_mean() -> None:
    """The shift a floor puts on the readings that are heard, in sigma, is the mean of a normal
    cut at the floor: nothing far below it, about the floor's own height past it."""
    for z in (-9.0, -3.0, -1.0, 0.0, 1.5, 4.0, 7.9, 8.1, 12.0):
        expected = truncnorm.mean(z, np.inf)
        assert abs(heard_mean_shift(z) - expected) < 1e-3 * max(1.0, expected), z


def test_readings_a_floor_censored_do_not_teach_a_low_exponent() -> None:
    """A phone that hears nothing below -92 dBm in a street with exponent 3 and 8 dB of
    shadowing and fading, its offset 0: the far beacons it does hear came out loud, so fitted
    as they are the readings favour an exponent of 1.5-1.6 and an offset 9 dB low (the street
    world's cloud believed 1.3 and -13.8 dB for a true 3.0 and -3.5); taken as heard above
    the floor, 3 and 0 again (medians of five draws)."""
    exponents = np.arange(1.5, 4.51, 0.1)
    points = np.zeros((exponents.size, 2))
    beacons = np.column_stack([np.linspace(2.0, 60.0, 400), np.full(400, 2.0)])
    d = np.hypot(beacons[:, 0], beacons[:, 1])
    plain, floored = [], []
    for seed in range(5):
        rssi = expected_rssi_dbm(d, -59.0, 3.0) + np.random.default_rng(seed).normal(0.0, 8.0,
                                                                                      d.size)
        heard = rssi >= -92.0
        for fits, floor in ((plain, None), (floored, np.full(int(heard.sum()), -92.0 + 59.0))):
            log_ev, post, _ = beacon_update(points, beacons[heard], rssi[heard] + 59.0,
                                            offset_prior(6.0), exponents, 5.0, 4.0, 1.0,
                                            floor_excess_db=floor, floor_sigma_db=8.0)
            best = int(np.argmax(log_ev))
            fits.append((exponents[best], post[MEAN, best]))
    (n_plain, offset_plain), (n_floored, offset_floored) = (np.median(plain, axis=0),
                                                            np.median(floored, axis=0))
    assert n_plain < 1.8 and offset_plain < -7.0
    assert abs(n_floored - 3.0) <= 0.3 and abs(offset_floored) < 2.0
