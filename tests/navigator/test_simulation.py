"""Simulated walks in the honest worlds, scored against their truth, through the real pipeline."""

from __future__ import annotations

import pytest

from beacons.layout import BeaconLayout
from beacons.model import Fix, Scan, Unavailable
from beacons.planning import plan_beacons, plan_decision_beacons
from beacons.positioning import Positioner
from navigator.mapstate import MapState
from navigator.routeplan import plan_between
from navigator.settings import DEFAULT_CITY_FILE
from navigator.simulation import Locator, WalkOptions, run_simulation
from navigator.storage import MapSnapshot
from routing.graph import build_graph
from routing.osm import read_osm
from voice.phrases import PhraseOptions

STATION = (49.43666, 7.76797)


@pytest.fixture(scope="module")
def city() -> MapState:
    extract = read_osm(DEFAULT_CITY_FILE)
    layout = plan_beacons(build_graph(extract.nodes, extract.edges), spacing_m=10.0)
    return MapState(MapSnapshot(extract.nodes, extract.edges, extract.places,
                                BeaconLayout.of(layout), []))


@pytest.fixture(scope="module")
def short_walk(city: MapState) -> tuple[tuple[float, float], tuple[float, float]]:
    """From the station towards the market, to the first route node 10 m past the third turn."""
    route = plan_between(city, STATION, (49.4432, 7.7717), "blind_cane")
    third = [m for m in route.maneuvers if m.kind.value == "turn"][2]
    end = next(p for p, m in zip(route.coordinates, _along(route), strict=True)
               if m >= third.along_m + 10.0)
    return STATION, end


def _along(route) -> list[float]:  # type: ignore[no-untyped-def]
    from routing.geo import haversine_m

    out = [0.0]
    for a, b in zip(route.coordinates, route.coordinates[1:], strict=False):
        out.append(out[-1] + haversine_m(*a, *b))
    return out


def test_ideal_walk_is_scored_against_its_truth(city: MapState, short_walk) -> None:
    result = run_simulation(city, *short_walk, "blind_cane", "en", WalkOptions(seed=1))
    m = result.metrics()
    g = m["guidance"]
    assert m["world"] == {"radio": "ideal", "gnss": False}
    assert m["arrived"] and g["arrived_pct"] == 100.0 and g["arrival_error_m"] < 3.0
    assert g["decision_points"] == len(g["points"]) >= 3
    assert g["on_time"] + g["early"] + g["short"] + g["late"] + g["missed"] == len(g["points"])
    assert g["confident_wrong"] == 0 and g["mean_error_m"] == m["mean_error_m"]
    assert len(result.truth_t) == len(result.truth)


def test_harsh_world_with_gnss_is_seeded_and_carries_gnss(city: MapState, short_walk) -> None:
    seen: list[Scan] = []

    class Spy:
        def __init__(self, positioner: Positioner) -> None:
            self.positioner = positioner

        def update(self, scan: Scan):  # type: ignore[no-untyped-def]
            seen.append(scan)
            return self.positioner.update(scan)

    walk = WalkOptions(seed=2, radio="harsh", gnss=True, max_duration_s=200.0)
    first = run_simulation(city, *short_walk, "blind_cane", "en", walk, locate=Spy)
    again = run_simulation(city, *short_walk, "blind_cane", "en", walk)
    assert first.metrics() == again.metrics()  # exact replay, the spy changes nothing
    world = first.metrics()["world"]
    assert world["radio"] == "harsh" and 1.8 <= world["channel"]["exponent"] <= 3.5
    assert world["gnss_accuracy_kind"] in ("w3c95", "android68", "ios_rms")
    assert seen and all(s.gnss is not None and s.gnss.t_s == s.t_s for s in seen)
    # several advertisements per beacon per scan
    assert max(len(s.readings) - len({r.beacon for r in s.readings}) for s in seen) > 0


def test_a_locator_takes_the_positioners_place(city: MapState, short_walk) -> None:
    class Blind:
        def __init__(self, positioner: Positioner) -> None:
            pass

        def update(self, scan: Scan) -> Unavailable:
            return Unavailable("blind", scan.t_s)

    walk = WalkOptions(seed=3, max_duration_s=30.0)
    m = run_simulation(city, *short_walk, "blind_cane", "en", walk, locate=Blind).metrics()
    assert m["fixes"] == 0 and not m["arrived"] and m["location_unavailable_events"] == 1
    assert m["guidance"]["fixes_available_pct"] == 0.0


def test_a_clean_walk_across_the_station_square_never_loses_the_fix(city: MapState) -> None:
    """The companion app's demo walk (station to the Subway across the square's lattice of
    paths, 10 m beacons, the ideal world): once the first fix is given none is withdrawn. With
    the loudest beacons weighed, the learnt exponent came out 1.4 for a true 2 and the cloud
    spread past 10 m at the square's junction in a third of the walks ("position unavailable,
    wait where you are" in a clean world)."""
    subway = (49.43658, 7.76708)
    lost: list[tuple[int, float]] = []
    for seed in range(20):
        said: list[Fix | Unavailable] = []

        def recorded(positioner: Positioner, said: list[Fix | Unavailable] = said) -> Locator:
            class Recorder:
                def update(self, scan: Scan) -> Fix | Unavailable:
                    said.append(positioner.update(scan))
                    return said[-1]
            return Recorder()

        result = run_simulation(city, STATION, subway, "blind_cane", "en", WalkOptions(seed=seed),
                                locate=recorded)
        assert result.arrived, seed
        first = next(i for i, r in enumerate(said) if isinstance(r, Fix))
        lost += [(seed, r.t_s) for r in said[first:] if isinstance(r, Unavailable)]
    assert lost == []


def test_brief_says_less_than_normal_on_the_same_walk(city: MapState, short_walk) -> None:
    """A walker who chose "brief" hears fewer messages, not just shorter ones: the same walk
    (same seed, so the same fixes) with fewer reassurances and no more of anything else."""
    said = {}
    for verbosity in ("normal", "brief"):
        result = run_simulation(city, *short_walk, "blind_cane", "en", WalkOptions(seed=1),
                                opts=PhraseOptions(verbosity=verbosity))
        assert result.arrived
        said[verbosity] = [i["phase"] for i in result.instructions]
    normal, brief = said["normal"], said["brief"]
    assert brief.count("reassurance") < normal.count("reassurance")
    assert [p for p in brief if p != "reassurance"] == [p for p in normal if p != "reassurance"]


@pytest.fixture(scope="module")
def street_city() -> MapState:
    """The shipped city with beacons at decision points only (the street world's layout)."""
    extract = read_osm(DEFAULT_CITY_FILE)
    layout = plan_decision_beacons(build_graph(extract.nodes, extract.edges), extract.places)
    return MapState(MapSnapshot(extract.nodes, extract.edges, extract.places,
                                BeaconLayout.of(layout), []))


@pytest.mark.parametrize("seed", [2, 102])
def test_a_street_walk_with_a_multipath_jump_stays_on_its_street(street_city: MapState,
                                                                 seed: int) -> None:
    """Harsh radio, sparse beacons, the phone's GNSS, and 15-20 s in a multipath jump of ~50 m
    while several beacons are heard (benchmarks/bench_guidance.py's third Kaiserslautern route).
    The cloud used to jump with the fix (35 m off, radius 7 m) and the walker heard a spurious
    "you have left the route"; now no fix is that far off, and the walk arrives."""
    walk = WalkOptions(seed=seed, radio="harsh", gnss=True, speed_mps=1.2, max_duration_s=480.0)
    result = run_simulation(street_city, (49.44563, 7.77147), (49.44538, 7.76739), "blind_cane",
                            "en", walk)
    g = result.guidance()
    assert g["arrived_pct"] == 100.0
    assert g["off_route_events"] == 0
    assert max(result.errors_m) < 20.0

