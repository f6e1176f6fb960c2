"""Alternative routes and what each trades against the recommended one (#18).

A walker or a trainer chooses between routes by what they cost in the terms they care about:
length, turns, crossings without a traffic light. The recommended route is the profile's (edge
and decision-point costs); the candidates are the route by edge costs alone (shorter, usually
more turns) and the profile's route with the recommended one's inner edges closed (another
way altogether). Repeats are dropped. :func:`tradeoff` compares two simplicity reports; turning
that into words is :mod:`voice.tradeoffs`'s business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from routing.model import PlaceRecord, Route
from routing.paths import Router, RoutingError
from routing.simplicity import SimplicityReport

#: Crossing types with a traffic light (routing.simplicity.CROSSING_TYPES).
SIGNALLED = ("signalled_sound", "signalled")


@dataclass(frozen=True, slots=True)
class Tradeoff:
    """One route against the recommended one: positive differences mean "more"."""

    length_diff_m: float
    turn_diff: int
    crossings: int
    unsignalled_crossings: int


def tradeoff(recommended: SimplicityReport, other: SimplicityReport) -> Tradeoff:
    """What ``other`` gives and takes compared with ``recommended``."""
    crossings = sum(other.crossings.values())
    signalled = sum(other.crossings.get(kind, 0) for kind in SIGNALLED)
    return Tradeoff(
        length_diff_m=other.length_m - recommended.length_m,
        turn_diff=other.turns - recommended.turns,
        crossings=crossings,
        unsignalled_crossings=crossings - signalled,
    )


def alternative_routes(
    router: Router,
    from_latlon: tuple[float, float],
    to_latlon: tuple[float, float],
    profile: str,
    count: int,
    closed_edges: frozenset[int] = frozenset(),
    places: Sequence[PlaceRecord] = (),
) -> list[Route]:
    """The recommended route first, then up to ``count`` different ones; RoutingError from the
    recommended search propagates, the alternatives' are skipped."""
    best = router.route(from_latlon, to_latlon, profile, closed_edges, places)
    routes = [best]
    tries = [(closed_edges, False)]  # by edge costs alone: shorter, more decisions
    inner = frozenset(best.edges[1:-1])
    if inner:
        tries.append((closed_edges | inner, True))  # another way altogether
    for closed, decisions in tries[:count]:
        try:
            route = router.route(from_latlon, to_latlon, profile, closed, places, decisions)
        except RoutingError:
            continue
        if all(route.edges != r.edges for r in routes):
            routes.append(route)
    return routes
