"""The simulated walker who heeds the guidance (#12): told to wait, it stands where it is until the
guidance speaks again, and told the position is still unknown, walks on slowly to its next turn;
told to slow down, it walks at its slow pace until the instruction comes;
the default walker walks on whatever it is told, exactly as before."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from beacons.model import Fix, Scan, Unavailable
from beacons.positioning import Positioner
from navigator.guidancesettings import GuidanceSettings
from navigator.mapstate import MapState
from navigator.routeplan import plan_between
from navigator.settings import DEFAULT_CITY_FILE
from navigator.simulation import Locator, SimulationResult, WalkOptions, run_simulation
from routing.geo import haversine_m
from routing.model import ManeuverKind
from tests.navigator.conftest import dense_map

STATION = (49.43666, 7.76797)
MARKET = (49.4432, 7.7717)
#: The position is lost over these seconds of the walk (a dead stretch of radio), shorter than
#: the wait after which the walker is told to walk on (GuidanceSettings.still_unavailable_after_s).
LOST = (20.0, 32.0)


@pytest.fixture(scope="module")
def city() -> MapState:
    return dense_map(DEFAULT_CITY_FILE)


@pytest.fixture(scope="module")
def walk_end(city: MapState) -> tuple[float, float]:
    """The first route node 150 m from the station as the crow flies (three turns on the way)."""
    route = plan_between(city, STATION, MARKET, "blind_cane")
    return next(p for p in route.coordinates if haversine_m(*STATION, *p) >= 150.0)


def altered_between(t0: float, t1: float,
                    alter: Callable[[Fix | Unavailable, Scan], Fix | Unavailable]) -> type:
    """The positioner, its answers over ``[t0, t1)`` replaced by ``alter(answer, scan)``."""

    class Altered:
        def __init__(self, positioner: Positioner) -> None:
            self.positioner = positioner

        def update(self, scan: Scan) -> Fix | Unavailable:
            fix = self.positioner.update(scan)
            return alter(fix, scan) if t0 <= scan.t_s < t1 else fix

    return Altered


def lost_between(t0: float, t1: float) -> type:
    """Nothing is reported over ``[t0, t1)`` (no beacon heard)."""
    return altered_between(t0, t1, lambda _, scan: Unavailable("too_few_beacons", scan.t_s))


def wide_between(t0: float, t1: float) -> type:
    """Fixes over ``[t0, t1)`` claim a 20 m error (too wide for any turn)."""
    return altered_between(t0, t1, lambda fix, _: replace(fix, error_m=20.0)
                           if isinstance(fix, Fix) else fix)


def steps_m(result: SimulationResult) -> dict[float, float]:
    """How far the walker truly went in the second before each scan."""
    return {t: haversine_m(*a, *b) for t, a, b in
            zip(result.truth_t[1:], result.truth, result.truth[1:], strict=False)}


def first(result: SimulationResult, kind: str, after: float = -1.0) -> float:
    """When the first event of type ``kind`` came after ``after``."""
    return next(e["t"] for e in result.events if e["type"] == kind and e["t"] > after)


def walk(city: MapState, end: tuple[float, float], heeds: bool,
         locate: type | None = None, seed: int = 1) -> SimulationResult:
    locator: type[Locator] | None = locate
    return run_simulation(city, STATION, end, "blind_cane", "en",
                          WalkOptions(seed=seed, heeds=heeds), locate=locator)


def test_told_to_wait_the_heeding_walker_stands_until_the_guidance_speaks_again(
        city: MapState, walk_end: tuple[float, float]) -> None:
    result = walk(city, walk_end, heeds=True, locate=lost_between(*LOST))
    told = first(result, "location_unavailable")
    resumed = first(result, "instruction", after=told)
    assert told == LOST[0] and resumed >= LOST[1]  # found again once the fixes are back
    assert next(e for e in result.events if e["t"] == resumed
                and e["type"] == "instruction")["phase"] == "regained"
    steps = steps_m(result)
    assert all(d == 0.0 for t, d in steps.items() if told < t <= resumed)  # stood where told
    assert steps[resumed + 1.0] == pytest.approx(1.2, abs=0.01)  # walks on along its path
    assert result.arrived and result.score().arrived
    # the walker who ignores the advice walked on through the whole outage and arrived sooner
    ignored = walk(city, walk_end, heeds=False, locate=lost_between(*LOST))
    assert first(ignored, "location_unavailable") == told
    assert all(d > 0.8 for t, d in steps_m(ignored).items() if told < t <= LOST[1])
    assert ignored.arrived and ignored.duration_s < result.duration_s


def test_still_lost_after_the_wait_the_heeding_walker_walks_on_slowly_to_the_next_turn(
        city: MapState, walk_end: tuple[float, float]) -> None:
    """Told "location still unknown, walk on slowly along this path, do not cross" when the
    wait did not bring the position back (#12), the walker walks on at its slow pace, but
    only to its route's next turn (it takes no turn and crosses no street it is not told to),
    stands there until the guidance speaks again, then walks on at its usual pace."""
    result = walk(city, walk_end, heeds=True, locate=lost_between(20.0, 120.0))
    told = first(result, "location_unavailable")
    still = next(e["t"] for e in result.events
                 if e["type"] == "location_unavailable" and e["phase"] == "still")
    resumed = first(result, "instruction", after=told)
    assert told == 20.0 and still == told + GuidanceSettings().still_unavailable_after_s
    assert resumed == 120.0  # found again once the fixes are back
    steps = steps_m(result)
    assert all(d == 0.0 for t, d in steps.items() if told < t <= still)  # waited as told
    walked = [t for t, d in steps.items() if still < t <= resumed and d > 0.0]
    assert len(walked) >= 20 and walked == [still + 1.0 + k for k in range(len(walked))]
    assert all(steps[t] == pytest.approx(0.6, abs=0.001) for t in walked[:-1])
    turn = next(m for m in result.route.maneuvers if m.kind == ManeuverKind.TURN)
    stood = result.truth[result.truth_t.index(walked[-1])]
    assert haversine_m(*stood, turn.lat, turn.lon) <= 1.0  # stopped at the corner
    assert steps[resumed + 1.0] == pytest.approx(1.2, abs=0.01)
    assert result.arrived and result.score().arrived
    assert result.metrics()["location_unavailable_events"] == 1  # one loss, said twice


def test_told_to_slow_down_the_heeding_walker_slows_until_the_fix_allows(
        city: MapState, walk_end: tuple[float, float]) -> None:
    """Slow from "location uncertain, slow down" until the instruction it is held for comes or
    a fix is certain again (here the latter: the walker was past the held point by then)."""
    result = walk(city, walk_end, heeds=True, locate=wide_between(20.0, 45.0))
    told = first(result, "position_uncertain")
    certain = next(e["t"] for e in result.events
                   if e["type"] == "fix" and e.get("certain") and e["t"] > told)
    resumed = min(certain, first(result, "instruction", after=told))
    assert 20.0 <= told and resumed == 45.0  # once the fixes are narrow again
    steps = steps_m(result)
    slow = [d for t, d in steps.items() if told < t <= resumed]
    assert len(slow) >= 10 and all(d <= 0.601 for d in slow)
    assert max(slow) == pytest.approx(0.6, abs=0.001)
    assert steps[resumed + 1.0] == pytest.approx(1.2, abs=0.01)
    assert result.arrived and result.score().arrived
    ignored = walk(city, walk_end, heeds=False, locate=wide_between(20.0, 45.0))
    assert first(ignored, "position_uncertain") == told
    assert all(d > 0.8 for t, d in steps_m(ignored).items() if told < t <= resumed)


def test_a_heeding_walk_is_replayed_exactly(city: MapState, walk_end: tuple[float, float]
                                           ) -> None:
    lost = lost_between(*LOST)
    assert walk(city, walk_end, True, lost).metrics() == walk(city, walk_end, True,
                                                              lost).metrics()


def test_with_nothing_to_heed_both_walkers_take_the_same_walk(
        city: MapState, walk_end: tuple[float, float]) -> None:
    """An ideal walk that is never told to wait or slow down: the heeding walker's is the
    default walker's, fix for fix (the option changes nothing else)."""
    default = walk(city, walk_end, heeds=False, seed=3)
    assert not any(e["type"] in ("location_unavailable", "position_uncertain")
                   for e in default.events)
    assert walk(city, walk_end, heeds=True, seed=3).metrics() == default.metrics()
    assert WalkOptions().heeds is False


def test_the_heeding_walker_follows_a_new_route(city: MapState) -> None:
    """Off the route it hears "please stop" and, in the same breath, the new route: it walks
    the new route (re-routing works for it as for the default walker)."""
    options = WalkOptions(seed=5, wrong_turn_at_m=60.0, heeds=True)
    result = run_simulation(city, STATION, MARKET, "blind_cane", "en", options)
    assert result.off_route_events >= 1
    assert any(i["phase"] == "rerouted" for i in result.instructions)
    assert result.arrived and result.score().arrived
