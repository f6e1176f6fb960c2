"""The news share of a repeated reading, learnt from how the misfit persists."""

from __future__ import annotations

import numpy as np

from beacons.particles import systematic_pick
from beacons.persistence import Persistence
from beacons.readingkernels import news


def _feed(persistence: Persistence, misfit, scans: int) -> None:
    rows = np.arange(8)
    for t in range(scans):
        persistence.observe(rows, misfit(t), float(t))


def test_white_misfit_makes_a_repeat_reading_mostly_news() -> None:
    rng = np.random.default_rng(1)
    p = Persistence(0.6)
    assert np.isclose(news(p.rho, np.array([1.0]), p.lag_s)[0], 0.25)  # the ceiling before any data
    _feed(p, lambda t: rng.normal(0.0, 3.0, 8), 60)
    assert p.rho < 0.3 and news(p.rho, np.array([1.0]), p.lag_s)[0] > 0.5


def test_persistent_misfit_keeps_the_ceiling() -> None:
    rng = np.random.default_rng(2)
    shadow = rng.normal(0.0, 6.0, 8)
    p = Persistence(0.6)
    _feed(p, lambda t: shadow + rng.normal(0.0, 1.0, 8), 60)
    assert p.rho == 0.6


def test_a_beacon_not_heard_for_long_is_news_and_one_just_heard_is_not() -> None:
    p = Persistence(0.6)
    share = news(p.rho, np.array([0.0, 1.0, 3.0, np.inf]), p.lag_s)
    assert share[0] == 0.0 and np.all(np.diff(share) > 0) and share[-1] == 1.0


def test_scans_far_apart_are_not_paired() -> None:
    p = Persistence(0.6)
    rows = np.arange(4)
    p.observe(rows, np.zeros(4) + 1.0, 0.0)
    p.observe(rows, np.array([1.0, -1.0, 1.0, -1.0]), 10.0)  # would say "anti-correlated"
    assert p.rho == 0.6


def test_drawing_no_particles_is_an_empty_pick() -> None:
    pick = systematic_pick(np.full(5, 0.2), np.random.default_rng(0), 0)
    assert pick.size == 0
