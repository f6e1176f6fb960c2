"""The guidance benchmark judges a change on several draws of the positioner's random numbers
(#12: one draw of the harsh table was a lucky one)."""

from __future__ import annotations

import pytest

from benchmarks.bench_guidance import (
    WORLDS,
    City,
    Row,
    World,
    _results,
    _scored_walks,
    _walk,
)
from navigator.groundtruth import PointScore, WalkScore
from navigator.routeplan import plan_between
from navigator.settings import DEFAULT_CITY_FILE
from navigator.simulation import run_simulation
from routing.geo import haversine_m
from tests.navigator.conftest import dense_map

STATION = (49.43666, 7.76797)
HARSH = World("dense", "harsh", False, ("ours",))
SEED = 5


@pytest.fixture(scope="module")
def tiny() -> City:
    """One walk in Kaiserslautern's dense layout: from the station to the first node of its
    route 120 m away as the crow flies."""
    mapstate = dense_map(DEFAULT_CITY_FILE)
    route = plan_between(mapstate, STATION, (49.4432, 7.7717), "blind_cane")
    end = next(p for p in route.coordinates if haversine_m(*STATION, *p) >= 120.0)
    return City("Kaiserslautern", {"dense": mapstate},
                [(STATION, end, plan_between(mapstate, STATION, end, "blind_cane"))])


@pytest.fixture(scope="module")
def two_draws(tiny: City) -> list[tuple[int, int, WalkScore]]:
    return list(_scored_walks(tiny, HARSH, SEED, draws=2))


def test_two_draws_are_two_distinct_walks_replayed_exactly(
        tiny: City, two_draws: list[tuple[int, int, WalkScore]]) -> None:
    assert [(seed, draw) for seed, draw, _ in two_draws] == [(SEED, 0), (SEED, 1)]
    first, second = (score for _, _, score in two_draws)
    assert first.scans == second.scans > 0  # the same walker, path and world
    assert first.errors_m != second.errors_m  # but other particles
    assert list(_scored_walks(tiny, HARSH, SEED, draws=2)) == two_draws


def test_one_draw_is_the_walk_as_the_table_had_it(
        tiny: City, two_draws: list[tuple[int, int, WalkScore]]) -> None:
    start, end, route = tiny.routes[0]
    today = run_simulation(tiny.maps["dense"], start, end, "blind_cane", "en",
                           _walk(SEED, route, "harsh"))
    assert today.score() == two_draws[0][2]
    assert list(_scored_walks(tiny, HARSH, SEED)) == two_draws[:1]


def _score(late: bool) -> WalkScore:
    point = PointScore("turn", 50.0, 0.5 if late else 6.0, "late" if late else "on_time")
    return WalkScore((point,), 100, 100, (1.0,) * 100, 0, 0, True, 1.0)


def _rows(harsh_draws: list[list[WalkScore]]) -> list[Row]:
    return [Row(world, method, harsh_draws if (world, method) == ("b harsh", "ours")
                else [[_score(False)]], [0.1])
            for world, w in WORLDS.items() for method in w.methods]


def _late_goal(harsh_draws: list[list[WalkScore]]) -> tuple[str, float, bool | None]:
    goal = next(r for r in _results(_rows(harsh_draws), 0.1)
                if r.name.startswith("guidance b harsh: late"))
    return goal.name, goal.value, goal.met


def test_a_goal_is_met_only_if_every_draw_meets_it() -> None:
    assert _late_goal([[_score(False)], [_score(False)]])[2] is True
    name, value, met = _late_goal([[_score(False)], [_score(True)]])
    assert met is False and value == 1  # pooled: one late point over both draws
    assert name.endswith("[2 draws: 0-1]")
    assert _late_goal([[_score(False)]])[0] == "guidance b harsh: late announcements (none " \
                                                "missed either)"


def test_the_goals_are_judged_on_the_walker_who_ignores_the_advice() -> None:
    """The heeding walker's rows are information beside the ignoring walker's: a late point of
    theirs is shown, against the ignoring walker's figure, and judges no goal."""
    heeding = [Row(world, "ours", [[_score(world == "b harsh")]], [0.1], heeds=True)
               for world in ("b harsh", "c street")]
    results = _results(_rows([[_score(False)]]) + heeding, 0.1)
    late = next(r for r in results if r.name.startswith("guidance b harsh: late"))
    assert late.met is True and late.value == 0
    info = next(r for r in results
                if r.name.startswith("guidance b harsh, heeding walker (information): late"))
    assert info.value == 1 and info.met is None and info.goal is None
    assert info.baseline == "ignoring walker" and info.baseline_value == 0
