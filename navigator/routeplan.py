"""Planning a route for the API and the CLI: resolve points, search, phrase, shape the JSON body."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from navigator.api import ApiError
from navigator.mapstate import MapState
from navigator.schemas import PointIn, RouteRequest
from routing.alternatives import alternative_routes, tradeoff
from routing.geojson import route_geometry
from routing.graph import edge_count
from routing.model import Maneuver, Route
from routing.profiles import PROFILES
from routing.simplicity import SimplicityReport, simplicity_report
from voice.phrases import PhraseOptions, phrase_maneuver
from voice.tradeoffs import phrase_tradeoff

#: Turns a sentence into an audio URL (None when speech is unavailable).
AudioUrlFor = Callable[[str, str], str | None]


MAP_EMPTY = ("no map is loaded: a mapper imports one with POST /v1/map/import, or "
             "`blindpilot import-osm FILE` on the server")


def resolve_point(mapstate: MapState, point: PointIn, name: str) -> tuple[float, float]:
    """(lat, lon) of a coordinate or of a place id; 503 ``map_empty`` while there is no map
    (every point would be "more than 50 m from any walkable path", which misleads)."""
    if not edge_count(mapstate.graph):
        raise ApiError(503, "map_empty", MAP_EMPTY)
    if point.stop is not None:  # resolved to its pole by navigator.transit before planning
        raise ApiError(422, "invalid_input", f"{name}: a stop with a line is a destination of "
                                             "the HTTP API only")
    if point.place is None:
        assert point.lat is not None and point.lon is not None
        return point.lat, point.lon
    place = mapstate.places.get(point.place)
    if place is None:
        raise ApiError(422, "unknown_place", f"{name}: place {point.place} does not exist")
    return place.lat, place.lon


Planned = list[tuple[Route, SimplicityReport]]


def plan_route(mapstate: MapState, request: RouteRequest) -> Planned:
    """Search the accessible route (and up to ``request.alternatives`` others) and report how
    simple each is; the recommended one first. RoutingError propagates to the caller (422 or
    exit 2)."""
    start = resolve_point(mapstate, request.from_, "from")
    end = resolve_point(mapstate, request.to, "to")
    with mapstate.lock:  # one map version for all: a mapper edit may replace edges in between
        if request.alternatives:
            closed = mapstate.closed_edges(time.time())
            routes = alternative_routes(mapstate.router, start, end, request.profile,
                                        request.alternatives, closed,
                                        list(mapstate.places.values()))
        else:
            routes = [plan_between(mapstate, start, end, request.profile)]
        return [(r, simplicity_report(mapstate.graph, r)) for r in routes]


def plan_between(mapstate: MapState, start: tuple[float, float], end: tuple[float, float],
                 profile: str, now_ts: float | None = None) -> Route:
    """Route between two points, honouring the closures active now."""
    with mapstate.lock:
        closed = mapstate.closed_edges(time.time() if now_ts is None else now_ts)
        return mapstate.router.route(start, end, profile, closed_edges=closed,
                                     places=list(mapstate.places.values()))


def maneuver_json(m: Maneuver, text: str, audio_url: str | None) -> dict[str, Any]:
    """One maneuver in the shape of docs/API.md."""
    return {
        "kind": m.kind.value,
        "distance_m": round(m.distance_m, 1),
        "angle_deg": None if m.angle_deg is None else round(m.angle_deg, 1),
        "at": {"lat": m.lat, "lon": m.lon},
        "text": text,
        "audio_url": audio_url,
        "attributes": dict(m.attributes),
    }


def route_body(route: Route, lang: str, audio_url_for: AudioUrlFor | None = None,
               opts: PhraseOptions | None = None,
               simplicity: SimplicityReport | None = None) -> dict[str, Any]:
    """The body of ``POST /v1/routes`` (and of ``blindpilot route --json``)."""
    opts = opts or PhraseOptions()
    maneuvers = []
    for m in route.maneuvers:
        text = phrase_maneuver(m, lang, opts)
        maneuvers.append(maneuver_json(m, text, audio_url_for(text, lang) if audio_url_for
                                       else None))
    return {
        "route_id": uuid.uuid4().hex,
        "profile": route.profile,
        "length_m": round(route.length_m, 1),
        "duration_s": round(route.length_m / PROFILES[route.profile].walking_speed_mps, 1),
        "geometry": route_geometry(route),
        "maneuvers": maneuvers,
        "warnings": list(route.warnings),
        "simplicity": None if simplicity is None else simplicity.as_json(),
    }


def routes_body(planned: Planned, request: RouteRequest,
                audio_url_for: AudioUrlFor | None = None) -> dict[str, Any]:
    """The recommended route's body, with the alternatives and every trade-off in words when
    they were asked for."""
    (best, best_report), others = planned[0], planned[1:]
    body = route_body(best, request.lang, audio_url_for, simplicity=best_report)
    if not request.alternatives:
        return body
    body["tradeoff"] = phrase_tradeoff(tradeoff(best_report, best_report), request.lang,
                                       recommended=True)
    body["alternatives"] = [
        {**route_body(route, request.lang, audio_url_for, simplicity=report),
         "tradeoff": phrase_tradeoff(tradeoff(best_report, report), request.lang)}
        for route, report in others
    ]
    return body


def plan_route_body(mapstate: MapState, request: RouteRequest,
                    audio_url_for: AudioUrlFor | None = None) -> dict[str, Any]:
    """Plan and shape in one call (the CLI's path; the API splits it to run search in a thread)."""
    return routes_body(plan_route(mapstate, request), request, audio_url_for)
