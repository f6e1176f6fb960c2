"""Answers to "where am I?" and "what is around me?", from the walker's last fix.

Pure: the navigation session, the route graph, the places and the heading are passed in, a
sentence comes out; the WebSocket only sends it.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from navigator.session import NavigationSession
from routing.geo import bearing_deg, haversine_m, turn_angle_deg
from routing.graph import edge_or_none
from routing.model import PlaceRecord
from voice import phrases

#: The nearest place within this distance is named in "where am I".
WHERE_LANDMARK_M = 40.0
#: Places within this distance are named in "around me", the nearest first ...
AROUND_ME_M = 60.0
#: ... and at most this many.
AROUND_ME_MAX = 8


def where_am_i(nav: NavigationSession, graph: nx.MultiGraph,
               places: Iterable[PlaceRecord]) -> str:
    """The street being walked, the nearest landmark and what comes next (or "not known")."""
    fix, lang = nav.last_fix, nav.lang
    if fix is None or not nav.location_available:
        return phrases.phrase_where_am_i(None, None, None, lang)
    edge = edge_or_none(graph, fix.edge)
    street = edge.name if edge is not None else None
    near = nearby_places(places, fix.lat, fix.lon, WHERE_LANDMARK_M)
    landmark = near[0][1].name if near else None
    return phrases.phrase_where_am_i(street, landmark, nav.next_maneuver(), lang)


def around_me(nav: NavigationSession, places: Iterable[PlaceRecord],
              heading_deg: float | None) -> str:
    """Named places within reach, per quadrant relative to the walker's heading (the phone's
    compass when known, else the route's direction where the walker is)."""
    fix, lang = nav.last_fix, nav.lang
    if fix is None or not nav.location_available:
        return phrases.phrase_where_am_i(None, None, None, lang)
    heading = heading_deg if heading_deg is not None else route_heading_deg(nav)
    return phrases.phrase_around_me(places_by_quadrant(fix.lat, fix.lon, heading, places), lang)


def places_by_quadrant(lat: float, lon: float, heading_deg: float,
                       places: Iterable[PlaceRecord]) -> dict[str, list[str]]:
    """Names of the :data:`AROUND_ME_MAX` nearest places within :data:`AROUND_ME_M`, by quadrant
    (ahead/right/behind/left of ``heading_deg``), nearest first within each."""
    quadrants: dict[str, list[str]] = {q: [] for q in phrases.QUADRANTS}
    for _, place in nearby_places(places, lat, lon, AROUND_ME_M)[:AROUND_ME_MAX]:
        rel = turn_angle_deg(heading_deg, bearing_deg(lat, lon, place.lat, place.lon))
        quadrants[quadrant_of(rel)].append(place.name)
    return quadrants


def quadrant_of(relative_deg: float) -> str:
    """ahead/right/behind/left for a bearing relative to the heading (-180..180, + = right)."""
    a = abs(relative_deg)
    if a <= 45:
        return "ahead"
    if a >= 135:
        return "behind"
    return "right" if relative_deg > 0 else "left"


def route_heading_deg(nav: NavigationSession) -> float:
    """The route's bearing at the walker's last fix (0, north, without a route)."""
    if nav.line is None:
        return 0.0
    fix = nav.last_fix
    assert fix is not None
    return nav.line.project(fix.lat, fix.lon, nav.progress.along_m)[2]


def nearby_places(places: Iterable[PlaceRecord], lat: float, lon: float, radius_m: float
                  ) -> list[tuple[float, PlaceRecord]]:
    """(distance_m, place) within ``radius_m``, nearest first (ties in the given order)."""
    found = [(haversine_m(lat, lon, p.lat, p.lon), p) for p in places]
    return sorted((t for t in found if t[0] <= radius_m), key=lambda t: t[0])
