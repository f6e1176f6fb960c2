"""How well the guidance must know the walker's position before it tells them what to do.

``Fix.error_m`` is the positioner's calibrated 90 % radius: the walker is within it 9 times in
10, so truly somewhere between ``error_m`` behind and ``error_m`` ahead of the fix along the
route. A decision point's instruction ("turn left", "cross") is given only when that stretch
reaches neither the previous decision point nor the next one: then the walker cannot act on it
at the wrong corner. With its neighbours far away a rough fix is enough, with them close a fine
one is needed — up to a ceiling (:attr:`GuidanceSettings.decision_error_max_m`), because
between decision points the walker also passes side streets, driveways and crossings that the
route goes straight over, and a fix that far off may put them at one of those. The farther the
walker has come the less of the previous point is in doubt, so an instruction held at 6 m is
given late but safe (at 3 m, say) rather than never. A place chained to the previous one
(:mod:`navigator.decisionpoints`) is told relative to it and is never held, and the chain is one
unit: its first place is held only while the doubt reaches the place before it or the place
after the chain, since the places inside it are told in one breath and met in order. A spoken
distance is hedged ("in about 20 metres") when the error is a sizeable part of it. Pure, no
state.
"""

from __future__ import annotations

from navigator.decisionpoints import Place
from navigator.guidancesettings import GuidanceSettings


def error_limit_m(place: Place | None, distance_m: float, s: GuidanceSettings) -> float | None:
    """The error below which the instruction for ``place``, ``distance_m`` ahead of the fix,
    may be given: the fix's stretch of doubt must end short of both neighbouring places, and
    never exceed the ceiling (None: never held: not a decision point, or chained to the previous
    place)."""
    if place is None or place.chained:
        return None
    limit = min(place.gap_before_m - distance_m, place.gap_after_m + distance_m,
                s.decision_error_max_m)
    return max(0.0, limit)


def too_uncertain(place: Place | None, error_m: float, distance_m: float, s: GuidanceSettings
                  ) -> bool:
    """Whether a fix with ``error_m`` is too uncertain for an instruction due ``distance_m`` ahead
    at ``place`` (None: not a decision point, never held).

    A point far ahead even at the error's near end is not held: "in about 80 metres, turn left"
    orients, the walker does not act on it, and its announcement 6 m ahead is held if need be.
    """
    limit = error_limit_m(place, distance_m, s)
    if limit is None:
        return False
    if distance_m - error_m > announce_within_m(error_m, s):
        return False
    return error_m >= limit


def announce_within_m(error_m: float | None, s: GuidanceSettings) -> float:
    """How far ahead of the fix a decision point's instruction falls due: the Wayfindr window's
    far end, moved out by a share of the fix's error beyond ``announce_lead_from_m`` (``None``:
    no fix yet). The costs are not even: a walker truly nearer than the fix says hears the
    instruction at the corner, too late to act; one truly farther hears it a few steps early and
    still in time."""
    doubt = 0.0 if error_m is None else max(0.0, error_m - s.announce_lead_from_m)
    lead = min(s.announce_lead_max_m, s.announce_lead_share * doubt)
    return s.announce_ahead_m + s.announce_tolerance_m + lead


def hedged(error_m: float, distance_m: float, s: GuidanceSettings) -> bool:
    """Whether a distance is said "about" (the error is a sizeable part of it)."""
    return error_m >= s.hedge_error_m and error_m >= s.hedge_error_fraction * distance_m
