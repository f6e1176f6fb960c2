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
    #: An uncertain fix brings an announcement forward by this share of its 90 % radius beyond
    #: ``announce_lead_from_m``, at most ``announce_lead_max_m``
    #: (:func:`navigator.certainty.announce_within_m`). From 2 m, like hedging: a fix finer than
    #: that is announced exactly as Wayfindr says. At most 1.5 m: said at most 8.5 m ahead of
    #: the fix, so a walker truly there hears it inside the 3-10 m the benchmark scores as on
    #: time. In the street world (decision-point beacons + GNSS, 36 walks) late announcements
    #: fell from 9 to 3, on time rose from 88.6 to 90.7 %; the ideal world is unchanged.
    announce_lead_share: float = 0.5
    announce_lead_from_m: float = 2.0
    announce_lead_max_m: float = 1.5
    approached_m: float = 2.0
    #: "detailed": "keep walking" every this many metres of a straight run (since the last
    #: thing said on it), as long as it does not push the next announcement out of its window.
    reassurance_every_m: float = 10.0
    #: "normal" and "brief" reassure only on a long straight run: while the next decision point
    #: (or the destination) is at least this far ahead. Nearer, its own announcement 6 m ahead
    #: comes within about 25 s at a walking pace (1.3 m/s), and a reminder before it is only
    #: noise: every 10 m was one message every 8 s (#15).
    long_run_m: float = 40.0
    #: ... and on such a run at most every this many metres (about 25 s at 1.2-1.3 m/s): the
    #: walker never walks long in silence, and a landmark passed counts as said.
    normal_reassurance_every_m: float = 30.0
    #: ... and for a walker who chose "brief", half as often: brief says less, not only shorter.
    brief_reassurance_every_m: float = 60.0
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
    #: A walker told "location unavailable, please wait where you are" hears, once, this long
    #: after it and if the position is still lost, to walk on slowly along the path to the next
    #: corner or kerb (#12). Standing still does not bring the position back: the phone reads
    #: the same shadowed beacons scan after scan and the cloud does not narrow (bench_guidance,
    #: harsh world, heeding walker: 28 of 216 walks stood 170-445 s and never arrived). 15 s is
    #: the "wait" message (about 4 s) and some ten seconds of the filter's own recovery
    #: (re-localisation, a few more scans) without making a short outage a second message.
    still_unavailable_after_s: float = 15.0
    #: A fix is projected on the part of the route within this of the last progress (a route
    #: that doubles back must not make the walker jump ahead) ...
    route_window_m: float = 30.0
    #: ... widened by this speed times the seconds since the last fix: after a minute without
    #: a position the walker may be 100 m on, and a fix there projected inside the old window
    #: put them back at a corner they had long passed, 86 m from the fix, and told them to
    #: turn and cross there (bench_guidance, Kaiserslautern harsh seed 600). A brisk walk.
    catch_up_mps: float = 2.0
    off_route_m: float = 6.0
    backwards_m: float = 5.0
    backwards_angle_deg: float = 120.0
    off_route_after_s: float = 5.0
    off_route_min_interval_s: float = 10.0
    arrival_m: float = 2.0
    #: ... or the walker has stood this long where the destination is within the fix's reach
    #: (``arrival_m`` beyond its 90 % radius, in a straight line and along the route from the
    #: furthest progress) with the last decision point behind them (see
    #: ``NavigationSession._stopped_at_end``). Within reach for this long at a walking pace
    #: (1.2 m/s: 12 m) is a walker who stopped there, or walked on past the end. A walker standing
    #: still reads the same shadowed radio every scan, and the fix can settle 2-4 m off, sure of
    #: it, for minutes (bench_guidance, Kaiserslautern harsh seeds 700, 800, 1000: the walker at
    #: the destination, 2.2 m after a turn, the fix 2-3 m before the turn until the walk's end).
    arrival_dwell_s: float = 10.0
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
