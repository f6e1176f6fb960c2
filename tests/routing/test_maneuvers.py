"""Maneuvers: a turn at every heading change > 22.5 deg, crossings, steps, landmarks, arrival."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from routing.geo import bearing_deg, haversine_m, turn_angle_deg
from routing.geojson import route_geometry
from routing.maneuvers import (
    HEADING_WINDOW_M,
    build_maneuvers,
    clock_direction,
    turn_severity,
)
from routing.model import ManeuverKind, PlaceRecord
from routing.paths import Router
from tests.routing.conftest import latlon, tiny_graph
from tests.routing.test_paths import NEUKOELLN_SIGNALS

K = ManeuverKind


@pytest.mark.parametrize(
    "angle, severity, clock",
    [
        (0, "straight", 12),
        (22.5, "straight", 1),
        (-30, "slight", 11),
        (60, "slight", 2),
        (90, "normal", 3),
        (-90, "normal", 9),
        (135, "sharp", 4),
        (-170, "uturn", 6),
        (180, "uturn", 6),
    ],
)
def test_severity_bins_and_clock(angle, severity, clock):
    assert turn_severity(angle) == severity
    assert clock_direction(angle) == clock


def test_l_shaped_path_turns_right_at_the_corner():
    g = tiny_graph(
        {1: (0, 0), 2: (0, 50), 3: (40, 50)},
        [(1, 2, {"name": "Nordweg"}), (2, 3, {"name": "Ostweg"})],
    )
    ms = build_maneuvers(g, [1, 2, 3], [1, 2])
    assert [m.kind for m in ms] == [K.DEPART, K.TURN, K.ARRIVE]
    depart, turn, arrive = ms
    assert depart.attributes["heading_deg"] == pytest.approx(0, abs=1)
    assert depart.attributes["street"] == "Nordweg"
    assert turn.at_node == 2 and turn.angle_deg == pytest.approx(90, abs=1)
    assert dict(turn.attributes) == {
        "direction": "right",
        "severity": "normal",
        "clock": 3,
        "street": "Ostweg",
    }
    assert turn.distance_m == pytest.approx(50, abs=0.5)
    assert arrive.distance_m == pytest.approx(40, abs=0.5) and arrive.along_m == pytest.approx(
        90, abs=1
    )


def test_straight_runs_are_merged_and_tiny_jogs_ignored():
    # ten collinear pieces, one with a 1 m sideways jog: one straight walk
    points = {i: (0.0, 10.0 * i) for i in range(11)}
    points[5] = (1.0, 50.0)
    g = tiny_graph(points, [(i, i + 1, {}) for i in range(10)])
    ms = build_maneuvers(g, list(range(11)), list(range(1, 11)))
    assert [m.kind for m in ms] == [K.DEPART, K.ARRIVE]


def test_crossing_steps_and_continue():
    g = tiny_graph(
        {1: (0, 0), 2: (0, 30), 3: (0, 42), 4: (0, 60), 5: (0, 70), 6: (0, 100)},
        [
            (1, 2, {"name": "Hauptstraße", "highway": "footway", "footway": "sidewalk"}),
            (
                2,
                3,
                {
                    "highway": "footway",
                    "footway": "crossing",
                    "crossing": "traffic_signals",
                    "traffic_signals_sound": True,
                    "crossing_island": False,
                    "tactile_paving": True,
                    "kerb": "lowered",
                    "name": "Ringstraße",
                    "button_operated": True,
                },
            ),
            (3, 4, {"name": "Hauptstraße"}),
            (5, 4, {"highway": "steps", "step_count": 20, "incline": "up", "handrail": True}),
            (5, 6, {"name": "Oberweg"}),
        ],
    )
    ms = build_maneuvers(g, [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5])
    kinds = [m.kind for m in ms]
    assert kinds == [K.DEPART, K.CROSS, K.CONTINUE, K.STEPS, K.CONTINUE, K.ARRIVE]
    cross, steps = ms[1], ms[3]
    assert dict(cross.attributes) == {
        "street": "Ringstraße",
        "signal": "acoustic",
        "island": False,
        "tactile_paving": True,
        "kerb": "lowered",
        "length_m": 12.0,
        "button": True,
    }
    # the steps are mapped 5 -> 4 going up, and walked 4 -> 5: down
    assert dict(steps.attributes) == {"direction": "down", "count": 20, "handrail": True}
    assert ms[2].attributes["street"] == "Hauptstraße" and ms[4].attributes["street"] == "Oberweg"
    assert ms[2].attributes["length_m"] == pytest.approx(18, abs=0.5)


def test_landmark_side_and_arrival_side():
    g = tiny_graph({1: (0, 0), 2: (0, 100)}, [(1, 2, {})])
    bakery = PlaceRecord(1, "Bäckerei", "shop", *latlon(-6, 40))
    far = PlaceRecord(2, "Far away", "shop", *latlon(60, 40))
    ms = build_maneuvers(g, [1, 2], [1], [bakery, far], destination=latlon(5, 100))
    landmarks = [m for m in ms if m.kind == K.LANDMARK]
    assert [(m.attributes["name"], m.attributes["side"]) for m in landmarks] == [
        ("Bäckerei", "left")
    ]
    assert landmarks[0].along_m == pytest.approx(40, abs=0.5)
    assert ms[-1].attributes["side"] == "right"


def windowed_turns(route) -> list[tuple[float, float]]:
    """Independent check: (along, angle) of every node whose heading over 8 m changes > 22.5."""
    pts = route.coordinates
    seg = [haversine_m(*a, *b) for a, b in zip(pts, pts[1:], strict=False)]
    along = [0.0]
    for s in seg:
        along.append(along[-1] + s)

    def point(s):
        s = min(max(s, 0.0), along[-1])
        i = max(k for k in range(len(seg)) if along[k] <= s)
        t = 0 if seg[i] == 0 else (s - along[i]) / seg[i]
        (la, lo), (lb, lob) = pts[i], pts[i + 1]
        return la + t * (lb - la), lo + t * (lob - lo)

    out = []
    for i in range(1, len(pts) - 1):
        back, ahead = point(along[i] - HEADING_WINDOW_M), point(along[i] + HEADING_WINDOW_M)
        angle = turn_angle_deg(bearing_deg(*back, *pts[i]), bearing_deg(*pts[i], *ahead))
        if abs(angle) > 22.5 + 2.0:  # a margin for the different projection
            out.append((along[i], angle))
    return out


@pytest.mark.parametrize("name", ["herrenberg", "neukoelln", "kaiserslautern"])
def test_a_turn_maneuver_at_every_turn_on_real_routes(graphs, routers, name):
    g, router = graphs[name], routers[name]
    rng = random.Random(4)
    nodes = list(max(nx.connected_components(g), key=len))
    checked = 0
    for _ in range(15):
        a, b = (g.nodes[n] for n in rng.sample(nodes, 2))
        route = router.route((a["lat"], a["lon"]), (b["lat"], b["lon"]))
        turns = [m for m in route.maneuvers if m.kind == K.TURN]
        assert all(abs(m.angle_deg) > 22.5 for m in turns)
        for along, angle in windowed_turns(route):
            near = [m for m in turns if abs(m.along_m - along) <= HEADING_WINDOW_M + 0.5]
            assert near, f"no turn maneuver near {along:.1f} m ({angle:.0f} deg)"
            checked += 1
        distances = sum(m.distance_m for m in route.maneuvers)
        assert distances == pytest.approx(route.length_m, abs=0.1 * len(route.maneuvers))
    assert checked > 20


def test_neukoelln_route_announces_the_signalled_crossing(routers, extracts):
    route = routers["neukoelln"].route(*NEUKOELLN_SIGNALS, places=extracts["neukoelln"].places)
    crossings = [m.attributes for m in route.maneuvers if m.kind == K.CROSS]
    assert {"street": "Thomasstraße", "signal": "acoustic_vibrating"}.items() <= crossings[
        -1
    ].items()
    assert crossings[-1]["tactile_paving"] is True


def test_route_geometry_is_geojson_lon_lat(routers):
    route = routers["neukoelln"].route(*NEUKOELLN_SIGNALS)
    geometry = route_geometry(route)
    assert geometry["type"] == "LineString"
    lon, lat = geometry["coordinates"][0]
    assert (lat, lon) == route.coordinates[0] and 13 < lon < 14 < 52 < lat


def test_maneuvers_of_a_route_on_one_edge():
    router = Router(tiny_graph({1: (0, 0), 2: (0, 100)}, [(1, 2, {})]))
    route = router.route(latlon(1, 20), latlon(-1, 70))
    assert route.edges == (1,) and route.nodes == ()
    assert [m.kind for m in route.maneuvers] == [K.DEPART, K.ARRIVE]
    assert route.length_m == pytest.approx(50, abs=0.5)
