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
    #: ... and for a walker who chose "brief": its short "Keep walking." fitted into gaps the
    #: longer sentence did not, so brief said more per km than normal (127 vs 114 in the ideal
    #: world of benchmarks/bench_guidance.py).
    brief_reassurance_every_m: float = 30.0
    reassurance_quiet_start_m: float = 7.0
    #: A cloud too spread for a fix for a scan or two (a partial re-localisation, a burst of
    #: shadowed readings) is not news: a walker told "wait where you are" and, a few seconds
    #: later, "location found again" heard two sentences for nothing, and the second one took
    #: the slot of the next turn's announcement (seen in the street world of
    #: benchmarks/bench_guidance.py). "Location unavailable" for reason ``uncertain`` is said once
    #: the position has been unavailable this long; instructions are held meanwhile as for any
    #: loss. Other reasons already come late by their own rules (stale beacons after seconds of
    #: silence, contradictions after seconds, late scans after 3 s) and are said at once.
    uncertain_grace_s: float = 2.0
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
    # Certainty (:mod:`navigator.certainty`). ``Fix.error_m`` is the positioner's 90 % radius.
    #: Decision maneuvers this close along the route (or at one node) are one place, one
    #: instruction ("Turn left onto X. Then cross X."): half a metre is below what any fix or
    #: walker resolves.
    same_place_m: float = 0.5
    #: Whatever the neighbouring decision points, a fix whose 90 % radius reaches this far gives
    #: no decision point's instruction: between decision points the route passes side streets,
    #: driveways and crossings it goes straight over, a few tens of metres apart in a city, and a
    #: turn said that far off can be taken at one of them. Urban GNSS alone (7-13 m) stays below
    #: it, so a walker between sparse beacons is still guided.
    decision_error_max_m: float = 15.0
    #: A place closer than this to the previous one is chained to it: told right after it,
    #: relative to it ("After another 4 metres, turn right"), and never held for uncertainty.
    #: Below it no phone fix (90 % radii of 3-5 m with dense beacons) tells the two apart, and
    #: its own 6 m announcement would fall before the walker has reached the previous point.
    chain_m: float = 10.0
    #: ... and it is said right after the previous place's instruction once it is at most this
    #: far ahead: the Wayfindr window is 6 +- 1 m, so more than 9 m ahead is said too early.
    chain_ahead_max_m: float = 9.0
    #: A spoken distance is hedged ("in about 20 metres", rounded coarser) when the error is at
    #: least this ... (below it, the error is under the 2 m at which "approaching" is said: finer
    #: than the guidance resolves, and the walker hears exact figures as before),
    hedge_error_m: float = 2.0
    #: ... and at least this fraction of the distance: a fifth is the rounding step of spoken
    #: figures from 20 m on (5 m at 25 m), so with more the figure claims more than is known.
    hedge_error_fraction: float = 0.2
