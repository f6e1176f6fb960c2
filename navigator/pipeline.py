"""Assembling one walker's pipeline: a positioner seeded at the start and a navigation session.

The WebSocket sessions and the tester's simulations build it here, so a simulation exercises
exactly what a walker gets. (The guidance rules themselves are :mod:`navigator.session`.)
"""

from __future__ import annotations

from beacons.positioning import Positioner
from navigator.guidancesettings import GuidanceSettings
from navigator.mapstate import MapState
from navigator.routeplan import plan_between
from navigator.session import NavigationSession
from routing.model import Route
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

