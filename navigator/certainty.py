"""How well the guidance must know the walker's position before it tells them what to do.

``Fix.error_m`` is the positioner's calibrated 90 % radius: the walker is within it 9 times in
10. A decision point's instruction ("turn left", "cross") is given only from a fix that can tell
that point from its neighbours on the route, and a spoken distance is hedged ("in about 20
metres") when the error is a sizeable part of it. The thresholds, with their reasons, are
:class:`~navigator.guidancesettings.GuidanceSettings` fields. Pure, no state.
"""

from __future__ import annotations

import math

from navigator.guidancesettings import GuidanceSettings
from routing.geo import LocalFrame
from routing.model import DECISION_KINDS, Route


def decision_error_limits(route: Route, s: GuidanceSettings) -> tuple[float | None, ...]:
    """Per maneuver of ``route``, the error below which its instruction may be given: a fraction
    of the straight-line distance to the nearest other decision point of the route (points at
    the same node are one place), kept between the floor and the cap; None for a maneuver that
    is not a decision point.

    Straight-line, not along the route: where a route doubles back, a point across the street
    is as easily confused as one ahead.
    """
    frame = LocalFrame(*route.coordinates[0])
    points = [(i, m.at_node, frame.to_xy(m.lat, m.lon))
              for i, m in enumerate(route.maneuvers) if m.kind in DECISION_KINDS]
    limits: list[float | None] = [None] * len(route.maneuvers)
    for i, node, (x, y) in points:
        spacing = min((math.hypot(x - ox, y - oy) for _, other, (ox, oy) in points
                       if other != node), default=math.inf)
        limits[i] = min(s.decision_error_cap_m,
                        max(s.decision_error_floor_m, s.decision_error_fraction * spacing))
    return tuple(limits)


def too_uncertain(limit_m: float | None, error_m: float, distance_m: float, s: GuidanceSettings
                  ) -> bool:
    """Whether a fix with ``error_m`` is too uncertain for an instruction due ``distance_m`` ahead
    at a point with error limit ``limit_m`` (None: not a decision point, never held).

    A point far ahead even at the error's near end is not held: "in about 80 metres, turn left"
    orients, the walker does not act on it, and its announcement 6 m ahead is held if need be.
    """
    if limit_m is None:
        return False
    if distance_m - error_m > s.announce_ahead_m + s.announce_tolerance_m:
        return False
    return error_m >= limit_m


def hedged(error_m: float, distance_m: float, s: GuidanceSettings) -> bool:
    """Whether a distance is said "about" (the error is a sizeable part of it)."""
    return error_m >= s.hedge_error_m and error_m >= s.hedge_error_fraction * distance_m
