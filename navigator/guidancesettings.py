"""The guidance's rules as numbers (:class:`GuidanceSettings`), each with its reason: when to
speak (Wayfindr / NavCog3 timing), when the walker has left the route, and how certain of the
position the guidance must be before it tells the walker what to do (:mod:`navigator.certainty`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GuidanceSettings:
    """The timing rules (defaults from Wayfindr and NavCog3) and the certainty rules."""

    announce_ahead_m: float = 6.0
    announce_tolerance_m: float = 1.0
    approached_m: float = 2.0
    reassurance_every_m: float = 10.0
    reassurance_quiet_start_m: float = 7.0
    off_route_m: float = 6.0
    backwards_m: float = 5.0
    backwards_angle_deg: float = 120.0
    off_route_after_s: float = 5.0
    off_route_min_interval_s: float = 10.0
    arrival_m: float = 2.0
    #: Speaking rate used to know how long an instruction occupies the listener.
    words_per_s: float = 2.6
    earcon_s: float = 0.4
    #: Walking speed assumed when deciding whether a reassurance would delay an announcement.
    walking_speed_mps: float = 1.3
    # Certainty. ``Fix.error_m`` is the positioner's 90 % radius.
    #: A decision point's instruction needs a fix whose error is below this fraction of the
    #: distance to the nearest other decision point of the route: below half of it, the walker is
    #: (9 times in 10) nearer the point meant than its neighbour, so "turn left" cannot be heard
    #: at the neighbouring corner.
    decision_error_fraction: float = 0.5
    #: ... but the limit is never below this. Points closer than twice it are one corner to a
    #: walker (a turn and its crossing 1-4 m on; the city data has them): no beacon fix tells
    #: them apart, the order of the instructions and the cane do, and a limit no fix meets would
    #: hold the instruction for good. It is ``approached_m``, the resolution the timing rules
    #: work at anyway.
    decision_error_floor_m: float = 2.0
    #: ... and never above this, however clear the way around: a decision is announced about
    #: 6 m ahead (``announce_ahead_m``); with a larger error the walker may already be at or past
    #: the point when told "in 6 metres".
    decision_error_cap_m: float = 6.0
    #: A spoken distance is hedged ("in about 20 metres", rounded coarser) when the error is at
    #: least this ... (below it, the error is under the 2 m at which "approaching" is said: finer
    #: than the guidance resolves, and the walker hears exact figures as before),
    hedge_error_m: float = 2.0
    #: ... and at least this fraction of the distance: a fifth is the rounding step of spoken
    #: figures from 20 m on (5 m at 25 m), so with more the figure claims more than is known.
    hedge_error_fraction: float = 0.2
