"""Projecting a walker's fixes onto the route: where along it they are."""

from __future__ import annotations

import math
import random

import pytest

from navigator.routeline import RouteLine
from routing.geo import LocalFrame, project_to_segment
from routing.model import Route

FRAME = LocalFrame(49.4447, 7.7690)


def route_through(*xy: tuple[float, float]) -> Route:
    """A route through points given in metres east and north of :data:`FRAME`'s origin."""
    coords = tuple(FRAME.to_latlon(x, y) for x, y in xy)
    return Route(tuple(range(len(xy))), tuple(range(len(xy) - 1)), 0.0, 0.0, "blind_cane", (),
                 coords)


def out_and_back() -> RouteLine:
    """100 m north in 10 m steps, then back south on a path 4 m to the east."""
    north = [(0.0, 10.0 * i) for i in range(11)]
    back = [(4.0, 10.0 * i) for i in range(10, -1, -1)]
    return RouteLine(route_through(*north, *back))


def test_a_walker_on_the_way_back_stays_on_the_way_back() -> None:
    line = out_and_back()
    lat, lon = FRAME.to_latlon(3.0, 30.0)  # 1 m from the way back, 3 m from the way out
    along, off_m, bearing = line.project(lat, lon, near_along_m=170.0)
    assert along == pytest.approx(4.0 + 170.0, abs=1.0)  # 100 m out, 4 m across, 70 m back
    assert off_m == pytest.approx(1.0, abs=0.05)
    assert bearing == pytest.approx(180.0, abs=1.0)


def test_a_walker_near_the_start_is_not_moved_onto_the_way_back() -> None:
    line = out_and_back()
    lat, lon = FRAME.to_latlon(2.5, 30.0)  # a little nearer the way back than the way out
    along, off_m, bearing = line.project(lat, lon, near_along_m=25.0)
    assert along == pytest.approx(30.0, abs=0.5)
    assert off_m == pytest.approx(2.5, abs=0.05)
    assert bearing == pytest.approx(0.0, abs=1.0)


def test_progress_beyond_the_route_searches_the_whole_route() -> None:
    line = out_and_back()
    lat, lon = FRAME.to_latlon(4.5, 60.0)  # on the way back
    along, off_m, _ = line.project(lat, lon, near_along_m=500.0)  # no part of the route near
    assert along == pytest.approx(104.0 + 40.0, abs=0.5)
    assert off_m == pytest.approx(0.5, abs=0.05)


def test_the_projection_is_the_nearest_point_of_every_segment() -> None:
    """The per-fix projection (segments precomputed once per route) finds, to the last bit,
    what :func:`routing.geo.project_to_segment` finds over every segment of the route."""
    rng = random.Random(7)
    xy = [(0.0, 0.0)]
    for _ in range(40):
        x, y = xy[-1]
        xy.append((x + rng.uniform(-15, 15), y + rng.choice((0.0, rng.uniform(0, 15)))))
    xy.append(xy[-1])  # a zero-length segment
    line = RouteLine(route_through(*xy))
    for _ in range(500):
        lat, lon = FRAME.to_latlon(rng.uniform(-100, 100), rng.uniform(-20, 300))
        px, py = line.frame.to_xy(lat, lon)
        best = (math.inf, 0.0, 0.0)
        for i in range(len(line.points) - 1):
            (ax, ay), (bx, by) = line.points[i], line.points[i + 1]
            t, dist = project_to_segment(px, py, ax, ay, bx, by)
            if dist < best[0]:
                bearing = math.degrees(math.atan2(bx - ax, by - ay)) % 360.0
                best = (dist, line.cum[i] + t * (line.cum[i + 1] - line.cum[i]), bearing)
        assert line.project(lat, lon) == (best[1], best[0], best[2])
