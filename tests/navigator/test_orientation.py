"""Where am I / around me: which street, landmark and places the walker hears (no aiohttp).

The session walks the hand-made L-shaped route of test_session.py: east along edge 10
(Marktstraße) to a left turn at 60 m, then north.
"""

from __future__ import annotations

import pytest

from beacons.model import Unavailable
from navigator.orientation import (
    AROUND_ME_MAX,
    around_me,
    places_by_quadrant,
    quadrant_of,
    route_heading_deg,
    where_am_i,
)
from navigator.session import NavigationSession
from routing.graph import build_graph
from routing.model import EdgeRecord, NodeRecord, PlaceRecord
from tests.navigator.test_session import fix, l_route, ll, no_replan
from voice import phrases

NODES = [NodeRecord(n, *ll(x, y)) for n, (x, y) in {1: (0, 0), 2: (60, 0), 3: (60, 40)}.items()]
FACKELSTRASSE = EdgeRecord(11, 2, 3, 40.0, name="Fackelstraße")
GRAPH = build_graph(NODES, [EdgeRecord(10, 1, 2, 60.0, name="Marktstraße"), FACKELSTRASSE])


def place(pid: int, name: str, x: float, y: float) -> PlaceRecord:
    return PlaceRecord(pid, name, "shop", *ll(x, y))


def walked_to(x: float, lang: str = "en") -> NavigationSession:
    """A session whose last fix is ``x`` metres east along the first leg."""
    session = NavigationSession(l_route(), no_replan, lang=lang)
    session.on_position(fix(x, 0.0, 0.0))
    return session


def test_where_am_i_names_the_street_of_the_fix_the_nearest_landmark_and_what_comes_next(
) -> None:
    session = walked_to(20.0)
    places = [place(1, "Bäckerei", 20.0, 30.0), place(2, "Apotheke", 25.0, 10.0),
              place(3, "Rathaus", 20.0, 45.0)]
    text = where_am_i(session, GRAPH, places)
    assert text == phrases.phrase_where_am_i("Marktstraße", "Apotheke", session.next_maneuver(),
                                             "en")
    assert "Marktstraße" in text and "Apotheke" in text and "Bäckerei" not in text
    assert session.next_maneuver() is not None and session.next_maneuver().kind.value == "turn"


def test_where_am_i_without_a_landmark_within_40m_or_a_known_edge() -> None:
    session = walked_to(20.0)
    far = [place(3, "Rathaus", 20.0, 45.0)]
    assert where_am_i(session, GRAPH, far) == phrases.phrase_where_am_i(
        "Marktstraße", None, session.next_maneuver(), "en")
    # the edge was removed from the map since the fix: no street, not a crash
    without = build_graph(NODES, [FACKELSTRASSE])
    assert where_am_i(session, without, far) == phrases.phrase_where_am_i(
        None, None, session.next_maneuver(), "en")


@pytest.mark.parametrize("ask", ["where", "around"])
def test_without_a_position_both_answers_say_so(ask: str) -> None:
    unknown = phrases.phrase_where_am_i(None, None, None, "de")
    fresh = NavigationSession(l_route(), no_replan, lang="de")
    lost = walked_to(20.0, lang="de")
    lost.on_position(Unavailable("stale", 1.0))
    places = [place(2, "Apotheke", 25.0, 10.0)]
    for session in (fresh, lost):
        said = (where_am_i(session, GRAPH, places) if ask == "where"
                else around_me(session, places, 90.0))
        assert said == unknown


def test_places_are_sorted_into_quadrants_relative_to_the_heading() -> None:
    lat, lon = ll(0.0, 0.0)
    places = [place(1, "North", 0.0, 20.0), place(2, "East", 20.0, 0.0),
              place(3, "South", 0.0, -20.0), place(4, "West", -20.0, 0.0),
              place(5, "Far north", 0.0, 70.0), place(6, "Near east", 10.0, 2.0)]
    facing_east = places_by_quadrant(lat, lon, 90.0, places)
    assert facing_east == {"ahead": ["Near east", "East"], "right": ["South"],
                           "behind": ["West"], "left": ["North"]}
    facing_north = places_by_quadrant(lat, lon, 0.0, places)
    assert facing_north == {"ahead": ["North"], "right": ["Near east", "East"],
                            "behind": ["South"], "left": ["West"]}


def test_only_the_nearest_places_are_named() -> None:
    lat, lon = ll(0.0, 0.0)
    places = [place(i, f"P{i}", 5.0 * i, 0.0) for i in range(1, 12)]  # 5..55 m east
    named = places_by_quadrant(lat, lon, 90.0, places)
    assert named["ahead"] == [f"P{i}" for i in range(1, AROUND_ME_MAX + 1)]


@pytest.mark.parametrize(("relative_deg", "quadrant"), [
    (0.0, "ahead"), (45.0, "ahead"), (-45.0, "ahead"), (46.0, "right"), (-46.0, "left"),
    (134.0, "right"), (135.0, "behind"), (-135.0, "behind"), (180.0, "behind"),
    (-180.0, "behind"),
])
def test_quadrant_boundaries(relative_deg: float, quadrant: str) -> None:
    assert quadrant_of(relative_deg) == quadrant


def test_around_me_faces_the_phones_heading_or_else_the_route() -> None:
    session = walked_to(20.0)
    places = [place(1, "Apotheke", 20.0, 15.0), place(2, "Kiosk", 35.0, 0.0)]
    assert route_heading_deg(session) == pytest.approx(90.0, abs=0.5)  # the first leg runs east
    along_route = around_me(session, places, None)
    assert along_route == phrases.phrase_around_me(
        {"ahead": ["Kiosk"], "right": [], "behind": [], "left": ["Apotheke"]}, "en")
    assert around_me(session, places, 90.0) == along_route
    assert around_me(session, places, 270.0) == phrases.phrase_around_me(
        {"ahead": [], "right": ["Apotheke"], "behind": ["Kiosk"], "left": []}, "en")


def test_around_me_faces_north_without_a_route_or_heading() -> None:
    session = NavigationSession(None, no_replan, lang="en")
    session.on_position(fix(0.0, 0.0, 0.0))  # no route yet: replanning fails, the fix is kept
    assert session.last_fix is not None and route_heading_deg(session) == 0.0
    places = [place(1, "Apotheke", 0.0, 15.0)]
    assert around_me(session, places, None) == phrases.phrase_around_me(
        {"ahead": ["Apotheke"], "right": [], "behind": [], "left": []}, "en")
