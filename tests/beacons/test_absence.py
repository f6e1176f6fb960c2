"""Evidence from the beacons a phone did not hear (pure)."""

from __future__ import annotations

import math

import numpy as np

from beacons.absence import SilentBeacons, beacons_near_cloud, unheard_evidence, unheard_near
from beacons.likelihood import BodyLoss, offset_prior

#: A street along x, 0.5 m steps, 40 m long; beacons every 20 m, 2 m beside it (layout rows 0-2)
LINE = np.column_stack([np.arange(0.0, 40.5, 0.5), np.zeros(81)])
BEACONS = np.array([[0.0, 2.0], [20.0, 2.0], [40.0, 2.0]])
POWER_DBM = -59.0
FLOOR_DBM = -92.0  # a phone that hears down to -92 dBm ...
EXPONENT = 3.2  # ... in a street where signals fall fast: each beacon heard within ~7 m
MISS_FLOOR, WEIGHT = 0.1, 0.5


def _evidence(beacon_rows: list[int], offset_sd_db: float = 1.0, facing: float = 1.0,
              body_db: float = 0.0, dead: float = 0.0, at: float | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """The silence's evidence along the street and each beacon's expected hearing by a cloud
    evenly along it (or all at ``at``)."""
    n = LINE.shape[0]
    body = BodyLoss(np.tile([facing, 0.0], (n, 1)), np.full(n, body_db))
    w = np.full(n, 1.0 / n) if at is None else (np.arange(n) == _at(at)).astype(float)
    b = len(beacon_rows)
    return unheard_evidence(LINE, w, BEACONS[beacon_rows], np.full(b, FLOOR_DBM - POWER_DBM),
                            np.full(b, dead), offset_prior(offset_sd_db, n), np.full(n, EXPONENT),
                            body, 8.0, MISS_FLOOR, WEIGHT, 20.0)


def _at(x: float) -> int:
    return int(np.argmin(np.abs(LINE[:, 0] - x)))


def test_a_walker_who_does_not_hear_the_beacon_behind_has_left_it() -> None:
    """Between two beacons 20 m apart, the one at 0 m silent: the places next to it lose,
    those 12 m and more away a fifth as much; never more than the floor allows per scan."""
    ev, _ = _evidence([0])
    assert ev[_at(0.0)] < ev[_at(5.0)] < ev[_at(10.0)]
    assert ev[_at(0.0)] >= WEIGHT * math.log(MISS_FLOOR) - 1e-9  # dead, lost or shadowed
    assert ev[_at(0.0)] < 0.8 * WEIGHT * math.log(MISS_FLOOR)  # next to it: nearly all of it
    assert ev[_at(12.0)] > 0.25 * ev[_at(0.0)] and ev[_at(20.0)] == 0.0


def test_two_silent_beacons_leave_the_middle() -> None:
    """The beacons at 0 and 40 m silent (the one at 20 m heard): the places near either end
    lose, the middle stays the likeliest."""
    ev, _ = _evidence([0, 2])
    assert int(np.argmax(ev)) in range(_at(15.0), _at(25.0) + 1)
    assert ev[_at(20.0)] - ev[_at(2.0)] > 0.7


def test_beacons_beyond_reach_are_not_expected() -> None:
    far, _ = _evidence([2])
    assert (far[: _at(19.5)] == 0.0).all() and far[_at(40.0)] < 0.0


def test_an_unsure_offset_makes_silence_say_less() -> None:
    """A phone whose offset is not known yet may be a deaf one: 5 m from the beacon its silence
    costs less than with the offset known to a dB."""
    sure, unsure = _evidence([0], 1.0)[0], _evidence([0], 12.0)[0]
    assert unsure[_at(5.0)] > sure[_at(5.0)]


def test_a_beacon_behind_the_walkers_body_is_expected_less() -> None:
    """Walking away from the beacon (it is behind, 10 dB of body in between) a silence 4 m from
    it is likelier than walking toward it."""
    away, _ = _evidence([0], facing=1.0, body_db=10.0)
    toward, _ = _evidence([0], facing=-1.0, body_db=10.0)
    assert away[_at(4.0)] > toward[_at(4.0)]


def test_only_beacons_silent_now_count() -> None:
    """A beacon heard in this scan (weighed or not) is not silent."""
    near = np.array([3, 5, 8, 13])
    assert unheard_near(near, np.array([8, 21])).tolist() == [3, 5, 13]
    assert unheard_near(np.zeros(0, dtype=np.int64), np.array([8])).size == 0


def test_a_dead_beacon_next_to_the_walker_soon_stops_pushing_the_cloud_away() -> None:
    """A cloud sure the walker stands by a beacon that stays silent: within three scans the
    beacon is believed dead and its silence costs the walker's true place almost nothing;
    a beacon heard lately is alive whatever its silences."""
    silent = SilentBeacons(dead_prior=0.1)
    rows, lately = np.array([0]), np.array([False])
    costs = []
    for _ in range(4):
        dead = silent.dead(rows, lately)
        ev, expected = _evidence([0], dead=float(dead[0]), at=1.0)
        costs.append(float(ev[_at(1.0)]))
        silent.observe(rows, dead, expected)
    assert costs[0] < 0.7 * WEIGHT * math.log(MISS_FLOOR)
    assert costs[3] > 0.1 * costs[0] and silent.dead(rows, lately)[0] > 0.9
    assert silent.dead(rows, np.array([True]))[0] == 0.0


def test_a_beacon_far_from_the_cloud_is_not_believed_dead() -> None:
    """Silent, but the cloud is 15 m away and barely expected it: the belief hardly moves."""
    silent = SilentBeacons(dead_prior=0.1)
    rows, lately = np.array([0]), np.array([False])
    for _ in range(4):
        dead = silent.dead(rows, lately)
        _, expected = _evidence([0], dead=float(dead[0]), at=15.0)
        silent.observe(rows, dead, expected)
    assert silent.dead(rows, lately)[0] < 0.3


def test_every_beacon_within_reach_of_a_particle_is_asked_about(city_map) -> None:
    """A cloud in two clumps 60 m apart: each beacon within reach of either clump is found."""
    rng = np.random.default_rng(0)
    a, b = city_map.beacon_xy[0], city_map.beacon_xy[0] + (60.0, 0.0)
    xy = np.vstack([a + rng.normal(0, 2, (50, 2)), b + rng.normal(0, 2, (50, 2))])
    found = set(beacons_near_cloud(city_map, xy, np.full(100, 0.01), 20.0).tolist())
    d = np.hypot(*(city_map.beacon_xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert set(np.flatnonzero(d.min(axis=1) <= 20.0).tolist()) <= found
