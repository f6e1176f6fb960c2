"""Profiles: hard rules say why, factors order the choices people care about."""

from __future__ import annotations

import math

import pytest

from routing.model import EdgeRecord
from routing.profiles import DEFAULT_PROFILE, PROFILES, blocking_rule, edge_cost, get_profile

BLIND = PROFILES["blind_cane"]
WHEELCHAIR = PROFILES["wheelchair"]


def edge(**attrs) -> EdgeRecord:
    return EdgeRecord(id=1, u=1, v=2, length_m=attrs.pop("length_m", 10.0), **attrs)


def crossing(**attrs) -> EdgeRecord:
    return edge(highway="footway", footway="crossing", **attrs)


def test_profile_table():
    assert set(PROFILES) == {"blind_cane", "guide_dog", "low_vision", "wheelchair"}
    assert DEFAULT_PROFILE == "blind_cane"
    with pytest.raises(ValueError, match="known: blind_cane"):
        get_profile("horse")


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_plain_footway_costs_about_its_length(name):
    assert 10.0 <= edge_cost(edge(surface="asphalt"), PROFILES[name]) <= 12.0


def test_steps_forbidden_for_wheelchair_only():
    steps = edge(highway="steps", step_count=10)
    assert blocking_rule(steps, WHEELCHAIR) == "steps are not allowed for wheelchair"
    assert edge_cost(steps, WHEELCHAIR) == math.inf
    assert blocking_rule(steps, BLIND) is None
    assert edge(surface="asphalt").length_m < edge_cost(steps, BLIND) < math.inf


@pytest.mark.parametrize(
    "attrs, words",
    [
        ({"kerb": "raised"}, "raised kerbs"),
        ({"kerb": "lowered", "kerb_height_m": 0.06}, "kerbs higher than 3 cm"),
        ({"width_m": 0.7}, "narrower than 0.9 m"),
        ({"incline": "12%"}, "steeper than 8 %"),
        ({"smoothness": "horrible"}, "smoothness 'horrible'"),
    ],
)
def test_wheelchair_hard_rules_name_the_reason(attrs, words):
    assert words in blocking_rule(edge(**attrs), WHEELCHAIR)
    assert blocking_rule(edge(**attrs), BLIND) is None


def test_tactile_paving_divides_cost_by_three_for_blind_cane():
    plain, tactile = edge(surface="asphalt"), edge(surface="asphalt", tactile_paving=True)
    assert edge_cost(tactile, BLIND) == pytest.approx(edge_cost(plain, BLIND) / 3)


def test_signalled_crossings_preferred_strongly():
    acoustic = crossing(crossing="traffic_signals", traffic_signals_sound=True)
    vibrating = crossing(crossing="traffic_signals", traffic_signals_vibration=True)
    visual = crossing(crossing="traffic_signals")
    zebra = crossing(crossing="uncontrolled")
    for name in ("blind_cane", "guide_dog", "low_vision"):
        p = PROFILES[name]
        assert edge_cost(acoustic, p) == edge_cost(vibrating, p) < edge_cost(visual, p)
        assert edge_cost(visual, p) < edge_cost(zebra, p)
        assert edge_cost(zebra, p) >= 4 * edge_cost(acoustic, p)


def test_unknown_costs_a_little_more_than_known_good():
    known, unknown = edge(surface="asphalt"), edge()
    assert edge_cost(known, BLIND) < edge_cost(unknown, BLIND) < 1.2 * edge_cost(known, BLIND)
    rough = edge(surface="sett")
    assert edge_cost(unknown, WHEELCHAIR) < edge_cost(rough, WHEELCHAIR)


def test_roads_without_sidewalk_cost_more_than_with():
    with_sidewalk = edge(highway="residential", sidewalk="both")
    unknown = edge(highway="residential")
    on_carriageway = edge(highway="residential", sidewalk="no")
    costs = [edge_cost(e, BLIND) for e in (with_sidewalk, unknown, on_carriageway)]
    assert costs == sorted(costs) and costs[2] >= 3 * costs[0]


def test_cost_does_not_depend_on_how_a_way_is_split():
    whole = crossing(crossing="uncontrolled", length_m=12.0)
    half = crossing(crossing="uncontrolled", length_m=6.0)
    assert edge_cost(whole, BLIND) == pytest.approx(2 * edge_cost(half, BLIND))
