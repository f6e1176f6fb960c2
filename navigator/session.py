"""The guidance rules of one walker (:class:`NavigationSession`): a pure state machine, time
passed in, events out. (The WebSocket that feeds it is :mod:`navigator.live`; the sessions of a
process are :mod:`navigator.livesessions`.)

It consumes positioning results (a :class:`Fix` or :class:`Unavailable`), tracks progress along
the route, and decides what to say and when (Wayfindr / NavCog3 timing): announce each decision
point about 6 m ahead, say "approaching" at 2 m, reassure on long straight runs, never talk over
itself, detect leaving the route, ask for a new route, and say so honestly when the position is
lost. It knows when it does not know: a decision point's instruction waits for a fix certain
enough to tell that point from its neighbours (:mod:`navigator.certainty`) and the walker hears,
once, that the position is uncertain; distances are hedged ("in about 20 metres") when the error
is a sizeable part of them. It never reads a clock and does no I/O, so every rule is tested
exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from beacons.model import Fix, Unavailable
from navigator.announcements import Announcer, Event, Progress
from navigator.guidancesettings import GuidanceSettings
from navigator.routeline import RouteLine
from navigator.wording import RouteWording
from routing.geo import haversine_m, turn_angle_deg
from routing.model import DECISION_KINDS, Maneuver, ManeuverKind, Route
from routing.paths import RoutingError
from voice import phrases
from voice.phrases import PhraseOptions

#: Plans a new route from a point; raises ``routing.paths.RoutingError`` when none exists.
Replanner = Callable[[tuple[float, float]], Route]


class NavigationSession(Announcer):
    """One walker's guidance. Feed :meth:`on_position`; send the returned events."""

    def __init__(
        self,
        route: Route | None,
        replan: Replanner,
        lang: str = "de",
        destination_name: str | None = None,
        settings: GuidanceSettings | None = None,
        opts: PhraseOptions | None = None,
    ) -> None:
        self.replan = replan
        self.lang = lang
        self.destination_name = destination_name
        self.settings = settings or GuidanceSettings()
        self.opts = opts or PhraseOptions()
        self.route: Route | None = None
        self.line: RouteLine | None = None
        self.progress = Progress()
        self.location_available = True
        self.arrived = False
        self.last_fix: Fix | None = None
        self.last_instruction: Event | None = None
        self._instruction_seq = 0
        self._busy_until_s = -math.inf
        self._off_since_s: float | None = None
        #: When the position became unavailable for a reason with a grace period (None: it is
        #: not, or the loss is being said).
        self._unavailable_since_s: float | None = None
        #: When "location still unknown, walk on slowly" is due in this outage (None: said in
        #: it; read only while the position is lost, set anew by each loss).
        self._still_due_s: float | None = None
        self._last_off_route_s = -math.inf
        #: When the last fix was projected on a route (how far the walker may have come since).
        self._last_guided_t_s: float | None = None
        #: The orientation still to give ("orientation" at a (resumed) start, "regained" after an
        #: outage), kept while the fix is too uncertain for it.
        self._reorient: str | None = "orientation"
        self._pending: tuple[Maneuver, str] | None = None
        #: The route's sentences and decision places.
        self._wording: RouteWording | None = None
        #: "Position uncertain" was said and the position has not been certain since.
        self._uncertain_said = False
        self._uncertain_until_s = -math.inf
        self._lost_until_s = -math.inf
        #: Blocked edges already acted on (replanned around, or found impossible to avoid), and
        #: the route they were found on: a later route over the same edge is checked afresh.
        self._blocked: tuple[Route | None, frozenset[int]] = (None, frozenset())
        #: Since when every fix has had the destination within its reach (None: the last did
        #: not, or the position was lost since).
        self._end_in_reach_since_s: float | None = None
        if route is not None:
            self._set_route(route)

    # ---- public

    def on_position(self, pos: Fix | Unavailable, heading_deg: float | None = None
                    ) -> list[Event]:
        """Advance the session by one positioning result (time = ``pos.t_s``).

        The events caused come first; the last event is always one ``fix`` status (position, or
        ``available: false``), so a client can treat it as the answer to its scan.
        """
        if isinstance(pos, Unavailable):
            self._end_in_reach_since_s = None  # the walker may have moved unseen
            status = Event("fix", {"available": False, "reason": pos.reason, "t": pos.t_s})
            events = [] if self.arrived else self._on_unavailable(pos)
            return [*events, status]
        status = Event("fix", {"available": True, "lat": pos.lat, "lon": pos.lon,
                               "level": pos.level, "error_m": round(pos.error_m, 2),
                               "confidence": round(pos.confidence, 3), "t": pos.t_s})
        self.last_fix = pos
        if self.arrived:
            return [status]
        return [*self._guide(pos, heading_deg, status), status]

    def _guide(self, pos: Fix, heading_deg: float | None, status: Event) -> list[Event]:
        if self.route is None:
            return self._reroute((pos.lat, pos.lon), pos.t_s, initial=True)
        regained = not self.location_available
        self.location_available = True
        self._unavailable_since_s = None
        assert self.line is not None
        s = self.settings
        last_t = pos.t_s if self._last_guided_t_s is None else self._last_guided_t_s
        since_s, self._last_guided_t_s = max(0.0, pos.t_s - last_t), pos.t_s
        along, off_m, line_bearing = self.line.project(
            pos.lat, pos.lon, self.progress.along_m, s.route_window_m + s.catch_up_mps * since_s)
        limit = self._next_decision_limit(along)
        certain = limit is None or pos.error_m < limit
        if certain:
            self._uncertain_said = False
        status.data.update(along_m=round(along, 1), off_route_m=round(off_m, 1),
                           certain=certain, error_limit_m=None if limit is None else
                           round(limit, 2))
        if self._is_off_route(along, off_m - pos.error_m, line_bearing, heading_deg, pos.t_s):
            return self._off_route(pos)
        self.progress.along_m = along
        self.progress.max_along_m = max(self.progress.max_along_m, along)
        if self.line.length_m - along <= self.settings.arrival_m or self._stopped_at_end(pos):
            return self._arrive(pos.t_s)
        events = self._flush_pending(pos.t_s)
        if regained:
            self._reorient = "regained"
        if self._reorient is not None:
            events += self._orientation(pos.t_s)
            if self._reorient is not None:  # held until the position is certain enough
                return events
        return events + self._announcements(pos.t_s)

    def repeat(self) -> list[Event]:
        """The last instruction again (the walker missed it)."""
        return [self.last_instruction] if self.last_instruction else []

    def next_maneuver(self, said_only: bool = False) -> Maneuver | None:
        """The first maneuver still ahead of the walker (``said_only``: of those said at the
        session's verbosity)."""
        if self.route is None:
            return None
        return next((m for m in self.route.maneuvers
                     if m.along_m > self.progress.along_m + 0.5
                     and m.kind is not ManeuverKind.DEPART
                     and (not said_only or self._said_at_this_level(m))), None)

    def preview(self) -> list[dict[str, Any]]:
        """Every instruction of the route before starting (route preview)."""
        if self.route is None:
            return []
        return [{"kind": m.kind.value, "distance_m": round(m.distance_m, 1),
                 "text": phrases.phrase_maneuver(m, self.lang, self.opts)}
                for m in self.route.maneuvers]

    # ---- route changes

    def _set_route(self, route: Route) -> None:
        self.route = route
        self.line = RouteLine(route)
        self.progress = Progress()
        self._off_since_s = None
        self._reorient = "orientation"
        self._pending = None
        self._wording = RouteWording.of(route, self.lang, self.opts, self.settings)
        self._uncertain_said = False
        self._end_in_reach_since_s = None

    def edges_ahead(self) -> list[int]:
        """Edges of the route from the one being walked to the end (``edges[i]`` joins route
        points i and i + 1)."""
        if self.route is None or self.line is None:
            return []
        cum, along = self.line.cum, self.progress.along_m
        return [e for i, e in enumerate(self.route.edges) if cum[i + 1] > along]

    def acknowledge_blocked(self, edges: Iterable[int]) -> frozenset[int]:
        """Of the edges ahead found blocked, those not yet acted on for the current route; they
        count as acted on from now (so a closure replans once, also when no way round exists).
        Empty: nothing new to do."""
        blocked = frozenset(edges)
        route, known = self._blocked
        if route is not self.route:
            known = frozenset()
        new = blocked - known
        if new:
            self._blocked = (self.route, known | blocked)
        return new

    def route_blocked(self, pos: Fix) -> list[Event]:
        """The way ahead was closed or removed since the route was planned: plan again from
        here and say why, before the new route's first instruction."""
        if self.arrived or self.route is None:
            return []
        return self._reroute((pos.lat, pos.lon), pos.t_s, initial=False, reason="closed")

    def _reroute(self, start: tuple[float, float], t_s: float, initial: bool,
                 reason: str = "off_route") -> list[Event]:
        try:
            route = self.replan(start)
        except RoutingError as err:
            return [Event("error", {"code": err.code, "message": str(err)})]
        self._set_route(route)
        self._reorient = None
        first = route.maneuvers[0]
        if initial:
            return self._speak(first, "at", t_s, force=True)
        why = phrases.phrase_route_closed(self.lang) if reason == "closed" else None
        instruction = self._instruction(first, "rerouted", t_s, before=why)
        geometry = {"type": "LineString",
                    "coordinates": [[lon, lat] for lat, lon in route.coordinates]}
        return [Event("rerouted", {"instruction": instruction.data, "reason": reason,
                                   "length_m": round(route.length_m, 1), "geometry": geometry})]

    # ---- rules

    def _is_off_route(self, along: float, off_m: float, line_bearing: float,
                      heading_deg: float | None, t_s: float) -> bool:
        """``off_m``: how far off the route the walker is at least, 9 times in 10 (the fix's
        distance less its 90 % radius). A fix on a way a few metres beside the route (a
        sidewalk mapped beside the street's line, the street's other side) is not a walker who
        left it unless the fix is sure: a spurious "you have left the route" sends a blind
        walker onto a new route from where they are not (seen in the street world, where sparse
        beacons leave radii of several metres)."""
        s = self.settings
        backwards = self.progress.max_along_m - along > s.backwards_m and (
            heading_deg is None
            or abs(turn_angle_deg(line_bearing, heading_deg)) >= s.backwards_angle_deg
        )
        if off_m <= s.off_route_m and not backwards:
            self._off_since_s = None
            return False
        if self._off_since_s is None:
            self._off_since_s = t_s
        return t_s - self._off_since_s > s.off_route_after_s

    def _off_route(self, pos: Fix) -> list[Event]:
        if pos.t_s - self._last_off_route_s < self.settings.off_route_min_interval_s:
            return []
        self._last_off_route_s = pos.t_s
        text = phrases.phrase_off_route(self.lang)
        event = Event("off_route", {"text": text, "lang": self.lang})
        self._busy_until_s = pos.t_s + self._speech_s(text)
        return [event, *self._reroute((pos.lat, pos.lon), pos.t_s, initial=False)]

    def _on_unavailable(self, pos: Unavailable) -> list[Event]:
        if not self.location_available:
            return self._still_unavailable(pos)
        if pos.reason == "uncertain":
            if self._unavailable_since_s is None:
                self._unavailable_since_s = pos.t_s
            if pos.t_s - self._unavailable_since_s < self.settings.uncertain_grace_s:
                return []  # a blip: held silently (no fix, so no instruction either)
        self.location_available = False
        self._off_since_s = None
        self._uncertain_said = False  # once the position is back, uncertainty is news again
        text = phrases.phrase_location_unavailable(self.lang)
        self._busy_until_s = self._lost_until_s = pos.t_s + self._speech_s(text)
        self._still_due_s = pos.t_s + self.settings.still_unavailable_after_s
        return [Event("location_unavailable", {"reason": pos.reason, "phase": "lost",
                                               "text": text, "lang": self.lang, "t": pos.t_s})]

    def _still_unavailable(self, pos: Unavailable) -> list[Event]:
        """Once per outage, ``still_unavailable_after_s`` after the walker was told to wait:
        walk on slowly. A phone standing still reads the same shadowed beacons scan after
        scan, so waiting longer seldom brings the position back, and a wait without end is a
        trap. No instruction is due meanwhile (none is given without a position); the loss's
        own message is let finish, and the position coming back cuts this one short."""
        due = self._still_due_s
        if due is None or pos.t_s < max(due, self._busy_until_s):
            return []
        self._still_due_s = None
        text = phrases.phrase_location_still_unavailable(self.lang, self.opts)
        self._busy_until_s = self._lost_until_s = pos.t_s + self._speech_s(text)
        return [Event("location_unavailable", {"reason": pos.reason, "phase": "still",
                                               "text": text, "lang": self.lang, "t": pos.t_s})]

    def _stopped_at_end(self, pos: Fix) -> bool:
        """The walker has stood for ``arrival_dwell_s`` where the fix may put them within
        ``arrival_m`` of the destination (it is within ``arrival_m`` beyond the fix's 90 %
        radius, in a straight line and along the route from the furthest progress), and every
        decision point is behind them (the furthest progress reached the last one, the far kerb
        of a crossing). A still walker's fix can stay a few metres off (the same shadowed
        readings every scan) while the walker is at the door; a walker still short of the last
        turn, or at the kerb of a last crossing, is not told they have arrived."""
        assert self.route is not None and self.line is not None
        reach = self.settings.arrival_m + pos.error_m
        end = self.route.coordinates[-1]
        p = self.progress
        if (self.line.length_m - p.max_along_m > reach  # the cheap test first: on most fixes
                or haversine_m(pos.lat, pos.lon, *end) > reach
                or p.max_along_m < self._last_decision_passed_m()):
            self._end_in_reach_since_s = None
            return False
        if self._end_in_reach_since_s is None:
            self._end_in_reach_since_s = pos.t_s
        return pos.t_s - self._end_in_reach_since_s >= self.settings.arrival_dwell_s

    def _last_decision_passed_m(self) -> float:
        """Where along the route the walker is past the route's last decision point (a
        crossing: its far kerb), to the half metre that tells places apart."""
        assert self.route is not None
        last = next((m for m in reversed(self.route.maneuvers) if m.kind in DECISION_KINDS), None)
        if last is None:
            return 0.0
        length = last.attributes.get("length_m", 0.0) if last.kind is ManeuverKind.CROSS else 0.0
        return last.along_m + float(length or 0.0) - self.settings.same_place_m

    def _arrive(self, t_s: float) -> list[Event]:
        assert self.route is not None
        self.arrived = True
        last = self.route.maneuvers[-1]
        name = self.destination_name or last.attributes.get("name")
        text = phrases.phrase_arrived(name, last.attributes.get("side"), self.lang)
        return [Event("arrived", {"name": name, "text": text, "lang": self.lang, "t": t_s})]

    def _orientation(self, t_s: float) -> list[Event]:
        """After an outage (or at a resumed start) re-establish where to go next; a decision
        point due soon waits for a fix certain enough for it (``_reorient`` stays set). A walker
        who has heard nothing yet (the position was lost from the first scan on) is told where
        to set off first. Said within a decision point's window, it is that point's
        announcement ("In 6 metres, turn left"): said once more when that sentence ended, from a
        fix lagging the walker, the same words came at the corner (bench_guidance,
        Kaiserslautern harsh seed 301)."""
        assert self.route is not None
        phase, self._reorient = self._reorient, None
        first = self.route.maneuvers[0]
        if self.last_instruction is None and first.kind is ManeuverKind.DEPART:
            return self._speak(first, "at" if phase == "orientation" else "regained", t_s,
                               force=True)
        nxt = self._untold_here() or self.next_maneuver(said_only=True)
        if nxt is None:
            return []
        i = self.route.maneuvers.index(nxt)
        d = nxt.along_m - self.progress.along_m
        if self._too_uncertain(i, d):
            self._reorient = phase
            return self._uncertain(i, t_s)
        if d <= self._announce_within_m(i):  # its action and distance: as if said ahead
            self._mark(i, self.progress.announced)
        if d <= self.settings.approached_m:  # said as at the point: nothing more is due there
            self._mark(i, self.progress.approached)
        return self._speak(nxt, phase or "orientation", t_s, force=True)

    def _untold_here(self) -> Maneuver | None:
        """A decision point the walker stands at (within ``approached_m`` of it, at most that
        far past) whose action they have not heard. Found again at a crossing, the walker must
        be told to cross before anything beyond it: the next maneuver more than 0.5 m ahead was
        the turn after the crossing, and "cross" was queued behind that sentence and dropped
        once past (benchmarks/bench_guidance.py, Neukoelln harsh seed 402 at 126.5 m)."""
        assert self.route is not None
        p, reach = self.progress, self.settings.approached_m
        return next((m for m in self.route.maneuvers
                     if m.kind in DECISION_KINDS and id(m) not in p.told
                     and p.along_m - reach < m.along_m <= p.along_m + reach
                     and self._said_at_this_level(m)), None)
