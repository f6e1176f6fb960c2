"""Coverage checks agree with the planner: a planned layout leaves nothing uncovered."""

from __future__ import annotations

import dataclasses

from beacons.coverage import beacons_far_from_edges, uncovered_decision_points
from beacons.positioning import PositioningMap


def test_planned_layout_is_fully_covered(city_graph, city_beacons, city_map) -> None:
    assert beacons_far_from_edges(city_map) == []
    # merged decision points share a beacon at most min_gap_m (2 m) away
    assert uncovered_decision_points(city_graph, city_map, max_distance_m=2.0) == []


def test_gaps_are_reported(city_graph, city_beacons) -> None:
    moved = dataclasses.replace(city_beacons[0], lat=city_beacons[0].lat + 0.01)  # ~1.1 km north
    layout = [moved, *city_beacons[1:]]
    pmap = PositioningMap(city_graph, layout)
    far = beacons_far_from_edges(pmap)
    assert [f["beacon"] for f in far] == [moved.beacon.to_json()]
    assert len(uncovered_decision_points(city_graph, pmap, max_distance_m=2.0)) == 1
