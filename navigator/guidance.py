"""Assembling one walker's guidance pipeline (positioning + session), for live use and tests.

The WebSocket sessions and the tester's simulations build the pipeline here, so a simulation
exercises exactly what a walker gets.
"""

from __future__ import annotations

from beacons.positioning import Positioner
from navigator.mapstate import MapState
from navigator.routeplan import plan_between
from navigator.session import GuidanceSettings, NavigationSession
from routing.graph import edge_or_none
from routing.model import Route
from routing.profiles import PROFILES, blocking_rule
from voice.phrases import PhraseOptions


def build_guidance(
    mapstate: MapState,
    start: tuple[float, float] | None,
    end: tuple[float, float],
    profile: str,
    lang: str,
    settings: GuidanceSettings,
    opts: PhraseOptions,
    seed: int,
    destination_name: str | None = None,
) -> tuple[NavigationSession, Positioner, Route | None]:
    """A session (with its first route when ``start`` is known) and a positioner seeded there.

    Raises ``routing.paths.RoutingError`` when ``start`` is given and no route exists.
    """

    def replan(origin: tuple[float, float]) -> Route:
        return plan_between(mapstate, origin, end, profile)

    route = replan(start) if start is not None else None
    nav = NavigationSession(route, replan, lang=lang, destination_name=destination_name,
                            settings=settings, opts=opts)
    positioner = Positioner(mapstate.positioning_map(), seed=seed)
    if start is not None:
        positioner.hint(*start)
    return nav, positioner, route


def blocked_ahead(mapstate: MapState, nav: NavigationSession, now_ts: float,
                  recheck_edges: bool) -> list[int]:
    """Edges of the route still ahead that may not be walked any more: closed now, removed from
    the map, or (checked when ``recheck_edges``, i.e. after a map edit) forbidden for the route's
    profile by their new attributes."""
    if nav.route is None:
        return []
    ahead = nav.edges_ahead()
    closed = mapstate.closed_edges(now_ts)
    profile = PROFILES[nav.route.profile]
    out = []
    for edge_id in ahead:
        edge = edge_or_none(mapstate.graph, edge_id)
        if edge_id in closed or edge is None or (recheck_edges and blocking_rule(edge, profile)):
            out.append(edge_id)
    return out
