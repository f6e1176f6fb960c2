from __future__ import annotations

import pytest

from routing.paths import Router
from routing.simplicity import crossing_type, simplicity_report
from tests.routing.conftest import latlon, tiny_graph

SIDEWALK = {"highway": "footway", "footway": "sidewalk", "surface": "paving_stones"}


def _staircase():
    """Walk north on Hauptstraße, cross a signalled road, turn right into Nebenweg (tactile),
    then left again, crossing an unmarked street on the way."""
    return tiny_graph(
        {1: (0, 0), 2: (0, 100), 3: (0, 112), 4: (0, 150), 5: (100, 150), 6: (100, 162),
         7: (100, 250)},
        [
            (1, 2, {**SIDEWALK, "name": "Hauptstraße"}),
            (2, 3, {"highway": "footway", "footway": "crossing", "crossing": "traffic_signals",
                    "traffic_signals_sound": True, "kerb": "lowered", "tactile_paving": True}),
            (3, 4, {**SIDEWALK, "name": "Hauptstraße"}),
            (4, 5, {**SIDEWALK, "name": "Nebenweg", "tactile_paving": True, "lit": True}),
            (5, 6, {"highway": "footway", "footway": "crossing", "crossing": "unmarked"}),
            (6, 7, {"highway": "residential", "name": "Gasse"}),
        ],
    )


def test_report_counts_turns_crossings_tactile_and_unknowns():
    g = _staircase()
    route = Router(g).route(latlon(0, 0), latlon(100, 250), "guide_dog")
    r = simplicity_report(g, route)
    assert r.length_m == pytest.approx(350, abs=1)
    assert r.turns == 2  # right at (0, 150), left at (100, 150)
    assert r.crossings == {"signalled_sound": 1, "signalled": 0, "marked": 0, "unmarked": 1,
                           "unknown": 0}
    assert r.decision_points == 4
    assert r.turns_per_km == pytest.approx(2 / 0.350, rel=0.01)
    assert r.street_changes == 2  # Hauptstraße -> Nebenweg -> Gasse
    assert r.tactile_share == pytest.approx(112 / 350, abs=0.01)
    assert r.unknown_m["sidewalk"] == pytest.approx(88, abs=1)  # Gasse: a road, sidewalk unmapped
    assert r.unknown_m["surface"] == pytest.approx(24, abs=1)  # the two crossings
    assert r.unknown_crossings == {"signal": 0, "kerb": 1, "tactile_paving": 1}
    body = r.as_json()
    assert body["crossings"]["unmarked"] == 1 and body["tactile_share"] == round(112 / 350, 3)


@pytest.mark.parametrize(
    ("attrs", "kind"),
    [
        ({"crossing": "traffic_signals", "traffic_signals_vibration": True}, "signalled_sound"),
        ({"crossing": "traffic_signals"}, "signalled"),
        ({"crossing": "zebra"}, "marked"),
        ({"crossing": "uncontrolled"}, "marked"),
        ({"crossing": "unmarked"}, "unmarked"),
        ({}, "unknown"),
    ],
)
def test_crossing_types_rank_from_sound_signal_to_unknown(attrs, kind):
    g = tiny_graph({1: (0, 0), 2: (0, 10)}, [(1, 2, {"footway": "crossing", **attrs})])
    edge = next(iter(g.edges(data=True)))[2]["edge"]
    assert crossing_type(edge) == kind


def test_a_route_on_one_edge_has_an_empty_report():
    g = tiny_graph({1: (0, 0), 2: (0, 100)}, [(1, 2, SIDEWALK)])
    r = simplicity_report(g, Router(g).route(latlon(0, 10), latlon(0, 60)))
    assert r.turns == 0 and r.decision_points == 0 and r.length_m == pytest.approx(50, abs=0.5)
