"""Where a re-seeded cloud may be drawn from: after a hint, only where the walker can have walked
since (exact, hand-made candidates, no radio); a routine check's coarse search."""

from __future__ import annotations

import numpy as np
import pytest

from beacons.heard import HeardBeacons
from beacons.particles import BIAS, EXPONENT, OFFSET
from beacons.positioning_settings import PositioningSettings
from beacons.relocalization import StartHint, candidates


def test_the_walker_reaches_the_hints_radius_plus_walking_since_the_first_scan() -> None:
    hint = StartHint(0.0, 0.0, 10.0)
    assert hint.reach_m(5.0, 2.0) == 10.0  # no scan yet: the radius alone
    hint.t_s = 5.0
    assert hint.reach_m(5.0, 2.0) == 10.0
    assert hint.reach_m(8.0, 2.0) == pytest.approx(16.0)


def test_only_reachable_points_are_kept() -> None:
    """3 s after a hint within 10 m, a walker of at most 1 m/s is within 13 m of it: the places
    beyond are not searched (in the harsh world a first fix went 13 m ahead, sure of it, while
    the walker was 3.6 m from the start)."""
    hint = StartHint(0.0, 0.0, 10.0, t_s=0.0)
    xy = np.column_stack([[-20.0, -5.0, 3.0, 13.0, 30.0], np.zeros(5)])
    keep = hint.within(xy, hint.reach_m(3.0, 1.0))  # 13 m
    assert keep is not None and keep.tolist() == [False, True, True, True, False]
    keep = hint.within(xy, 12.0)
    assert keep is not None and keep.tolist() == [False, True, True, False, False]


def test_a_hint_nowhere_near_the_points_filters_nothing() -> None:
    """A wrong hint (the walker started elsewhere) does not empty the search: the beacons'
    places are kept as they are."""
    xy = np.array([[100.0, 0.0], [110.0, 0.0]])
    assert StartHint(0.0, 0.0, 10.0, t_s=0.0).within(xy, 12.0) is None
    assert StartHint(105.0, 0.0, 10.0, t_s=0.0).within(xy, 12.0) is None  # all reachable


def test_a_coarse_search_keeps_every_fourth_point_with_the_priors(city_map) -> None:
    """The screen of a routine check (``check_screen_stride``) weighs every 4th of
    the points a full search weighs, each with the same prior beliefs per exponent."""
    heard = HeardBeacons(np.array([0, 1, 2]), np.array([-5.0, -12.0, -20.0]), np.ones(3),
                         np.full(3, -40.0))
    s = PositioningSettings()
    full, coarse = candidates(city_map, heard, None, s), candidates(city_map, heard, None, s,
                                                                    stride=4)
    assert full is not None and coarse is not None
    assert coarse.points == len(range(0, full.points, 4)) and coarse.copies == full.copies
    assert np.array_equal(coarse.xy, full.xy[::4]) and np.array_equal(coarse.edge, full.edge[::4])
    each = np.tile(np.arange(full.points) % 4 == 0, full.copies)
    assert np.array_equal(coarse.log_prior, full.log_prior[each])
    rows = [OFFSET.start, OFFSET.start + 1, EXPONENT, *range(BIAS.start, BIAS.stop)]
    assert np.array_equal(coarse.state[rows], full.state[rows][:, each])


def test_a_hinted_search_weighs_the_reachable_points_with_the_priors(city_map) -> None:
    """A search after a hint weighs exactly the points within the walker's reach that
    :meth:`StartHint.within` keeps of the whole search, each with the same prior beliefs
    (the points are cut before the beliefs are laid out: a live walker's searches are hinted)."""
    heard = HeardBeacons(np.array([0, 1, 2]), np.array([-5.0, -12.0, -20.0]), np.ones(3),
                         np.full(3, -40.0))
    s = PositioningSettings()
    full = candidates(city_map, heard, None, s)
    assert full is not None
    x, y = full.xy[0]
    hint = StartHint(float(x), float(y), 5.0, t_s=0.0)
    hinted = candidates(city_map, heard, None, s, hint, t_s=2.0)
    keep = hint.within(full.xy, hint.reach_m(2.0, s.max_speed_mps))
    assert keep is not None and hinted is not None and 0 < hinted.points < full.points
    each = np.tile(keep, full.copies)  # candidate k is at point k % points
    assert hinted.points == keep.sum() and hinted.copies == full.copies
    assert np.array_equal(hinted.xy, full.xy[keep]) and np.array_equal(hinted.edge, full.edge[keep])
    assert np.array_equal(hinted.along, full.along[keep])
    assert np.array_equal(hinted.log_prior, full.log_prior[each])
    rows = [OFFSET.start, OFFSET.start + 1, EXPONENT, *range(BIAS.start, BIAS.stop)]
    assert np.array_equal(hinted.state[rows], full.state[rows][:, each])
