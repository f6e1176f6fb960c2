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
from dataclasses import dataclass, field
from typing import Any

from beacons.model import Fix, Unavailable
from navigator.certainty import error_limit_m, hedged, too_uncertain
from navigator.decisionpoints import Place, decision_places, place_of
from navigator.guidancesettings import GuidanceSettings
from navigator.routeline import RouteLine
from routing.geo import turn_angle_deg
from routing.model import Maneuver, ManeuverKind, Route
from routing.paths import RoutingError
from voice import phrases
from voice.phrases import PhraseOptions


@dataclass(frozen=True, slots=True)
class Event:
    """Something to send to the walker's phone; ``data`` is the JSON payload beside ``type``."""

    type: str
    data: dict[str, Any]


#: Plans a new route from a point; raises ``routing.paths.RoutingError`` when none exists.
Replanner = Callable[[tuple[float, float]], Route]


@dataclass
class _Progress:
    """Where the walker is on the current route and what has been said about it."""

    along_m: float = 0.0
    max_along_m: float = 0.0
    announced: set[int] = field(default_factory=set)
    approached: set[int] = field(default_factory=set)
    last_reassurance_along_m: float = 0.0
    #: ``id()`` of the maneuvers whose action the walker has heard (the route holds them while
    #: this progress lives): an "approaching" without it says the action too.
    told: set[int] = field(default_factory=set)


class NavigationSession:
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
        self.progress = _Progress()
        self.location_available = True
        self.arrived = False
        self.last_fix: Fix | None = None
        self.last_instruction: Event | None = None
        self._instruction_seq = 0
        self._busy_until_s = -math.inf
        self._off_since_s: float | None = None
        self._last_off_route_s = -math.inf
        #: The orientation still to give ("orientation" at a (resumed) start, "regained" after an
        #: outage), kept while the fix is too uncertain for it.
        self._reorient: str | None = "orientation"
        self._pending: tuple[Maneuver, str] | None = None
        #: The route's decision places, and per maneuver the index of its place (None: none).
        self._places: tuple[Place, ...] = ()
        self._place_of: tuple[int | None, ...] = ()
        #: "Position uncertain" was said and the position has not been certain since.
        self._uncertain_said = False
        #: Blocked edges already acted on (replanned around, or found impossible to avoid), and
        #: the route they were found on: a later route over the same edge is checked afresh.
        self._blocked: tuple[Route | None, frozenset[int]] = (None, frozenset())
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
        assert self.line is not None
        along, off_m, line_bearing = self.line.project(pos.lat, pos.lon,
                                                       self.progress.along_m)
        limit = self._next_decision_limit(along)
        certain = limit is None or pos.error_m < limit
        if certain:
            self._uncertain_said = False
        status.data.update(along_m=round(along, 1), off_route_m=round(off_m, 1),
                           certain=certain, error_limit_m=None if limit is None else
                           round(limit, 2))
        if self._is_off_route(along, off_m, line_bearing, heading_deg, pos.t_s):
            return self._off_route(pos)
        self.progress.along_m = along
        self.progress.max_along_m = max(self.progress.max_along_m, along)
        if self.line.length_m - along <= self.settings.arrival_m:
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

    def next_maneuver(self) -> Maneuver | None:
        """The first maneuver still ahead of the walker."""
        if self.route is None:
            return None
        for m in self.route.maneuvers:
            if m.along_m > self.progress.along_m + 0.5 and m.kind is not ManeuverKind.DEPART:
                return m
        return None

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
        self.progress = _Progress()
        self._off_since_s = None
        self._reorient = "orientation"
        self._pending = None
        self._places = decision_places(route, self.settings)
        self._place_of = place_of(self._places, len(route.maneuvers))
        self._uncertain_said = False

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
            return []
        self.location_available = False
        self._off_since_s = None
        self._uncertain_said = False  # once the position is back, uncertainty is news again
        text = phrases.phrase_location_unavailable(self.lang)
        self._busy_until_s = pos.t_s + self._speech_s(text)
        return [Event("location_unavailable", {"reason": pos.reason, "text": text,
                                               "lang": self.lang, "t": pos.t_s})]

    def _arrive(self, t_s: float) -> list[Event]:
        assert self.route is not None
        self.arrived = True
        last = self.route.maneuvers[-1]
        name = self.destination_name or last.attributes.get("name")
        text = phrases.phrase_arrived(name, last.attributes.get("side"), self.lang)
        return [Event("arrived", {"name": name, "text": text, "lang": self.lang, "t": t_s})]

    def _orientation(self, t_s: float) -> list[Event]:
        """After an outage (or at a resumed start) re-establish where to go next; a decision
        point due soon waits for a fix certain enough for it (``_reorient`` stays set)."""
        assert self.route is not None
        phase, self._reorient = self._reorient, None
        first = self.route.maneuvers[0]
        if (phase == "orientation" and self.last_instruction is None
                and first.kind is ManeuverKind.DEPART):
            return self._speak(first, "at", t_s, force=True)
        nxt = self.next_maneuver()
        if nxt is None:
            return []
        i = self.route.maneuvers.index(nxt)
        if self._too_uncertain(i, nxt.along_m - self.progress.along_m):
            self._reorient = phase
            return self._uncertain(i, t_s)
        return self._speak(nxt, phase or "orientation", t_s, force=True)

    def _announcements(self, t_s: float) -> list[Event]:
        """What is due at the first maneuver with something left to say. A decision point's
        instruction due from a fix too uncertain for it is not marked as given: the rules give
        it (distance up to date) as soon as a fix allows, or drop it once the walker is past, as
        for any announcement. A place chained to one already announced is due in its own window
        even before the walker reaches that one: it is told relative to it."""
        assert self.route is not None
        s, p = self.settings, self.progress
        after: Place | None = None  # the announced place whose chained successor is looked at
        for i, m in enumerate(self.route.maneuvers):
            if m.kind is ManeuverKind.DEPART or m.along_m <= p.along_m - s.approached_m:
                continue
            if i in p.announced and i in p.approached:
                continue  # all said (with its place, or before the walker reached it)
            d = m.along_m - p.along_m
            ahead = i not in p.announced and d <= s.announce_ahead_m + s.announce_tolerance_m
            approaching = i not in p.approached and d <= s.approached_m
            if after is not None:  # only the chained place's own announcement, and not queued
                if not ahead or t_s < self._busy_until_s:
                    return []
                self._mark(i, p.announced)
                return self._speak(m, "chained" if p.along_m < after.along_m else "ahead", t_s,
                                   force=True)
            if (ahead or approaching) and self._too_uncertain(i, d):
                return self._uncertain(i, t_s)
            if ahead:
                self._mark(i, p.announced)
                if d > s.approached_m:
                    return self._speak(m, "ahead", t_s, force=True)
            if approaching:
                self._mark(i, p.approached)
                self._mark(i, p.announced)
                return self._speak(m, "approaching", t_s, force=True)
            after = self._chained_after(i)
            if after is None:
                return self._reassurance(m, d, t_s)
        return []

    def _chained_after(self, i: int) -> Place | None:
        """Maneuver ``i``'s place if it has been announced and the next place is chained to it."""
        k = self._place_of[i]
        if (k is None or i not in self.progress.announced or k + 1 >= len(self._places)
                or not self._places[k + 1].chained):
            return None
        return self._places[k]

    # ---- uncertainty

    def _next_decision_limit(self, along_m: float) -> float | None:
        """The error limit, as of ``along_m``, of the first place not yet passed that may be
        held (None: none is left)."""
        reach = along_m - self.settings.approached_m
        return next((error_limit_m(p, p.along_m - along_m) for p in self._places
                     if not p.chained and p.along_m > reach), None)

    def _mark(self, i: int, said: set[int]) -> None:
        """Maneuver ``i`` and the rest of its place (said with it) count as said."""
        place = self._place(i)
        said.update(place.members if place is not None else (i,))

    def _place(self, i: int) -> Place | None:
        k = self._place_of[i]
        return None if k is None else self._places[k]

    def _too_uncertain(self, i: int, distance_m: float) -> bool:
        fix = self.last_fix
        return fix is not None and too_uncertain(self._place(i), fix.error_m, distance_m,
                                                 self.settings)

    def _uncertain(self, i: int, t_s: float) -> list[Event]:
        """Hold maneuver ``i``'s instruction and say so once. A safety message: never held back
        by speech, it is said at once (apps speak it assertively)."""
        if self._uncertain_said:
            return []
        assert self.route is not None and self.last_fix is not None
        self._uncertain_said = True
        m = self.route.maneuvers[i]
        limit = error_limit_m(self._place(i), m.along_m - self.progress.along_m)
        text = phrases.phrase_position_uncertain(m, self.lang, self.opts)
        self._busy_until_s = t_s + self._speech_s(text)
        return [Event("position_uncertain", {
            "text": text, "lang": self.lang, "kind": m.kind.value,
            "error_m": round(self.last_fix.error_m, 2),
            "error_limit_m": None if limit is None else round(limit, 2),
            "at": {"lat": m.lat, "lon": m.lon}, "t": t_s,
        })]

    def _hedged(self, distance_m: float) -> bool:
        fix = self.last_fix
        return fix is not None and hedged(fix.error_m, distance_m, self.settings)

    def _reassurance(self, nxt: Maneuver, d_next: float, t_s: float) -> list[Event]:
        """Keep-going on long runs, but never where it would delay the next announcement."""
        s, p = self.settings, self.progress
        prev_along = max((m.along_m for m in self.route.maneuvers  # type: ignore[union-attr]
                          if m.along_m <= p.along_m), default=0.0)
        if p.along_m - prev_along < s.reassurance_quiet_start_m:
            return []
        if p.along_m - max(p.last_reassurance_along_m, prev_along) < s.reassurance_every_m:
            return []
        text = self._text(nxt, "reassurance")
        window_in_m = d_next - (s.announce_ahead_m + s.announce_tolerance_m)
        if window_in_m < self._speech_s(text) * s.walking_speed_mps or t_s < self._busy_until_s:
            return []
        p.last_reassurance_along_m = p.along_m
        return self._speak(nxt, "reassurance", t_s, force=False)

    # ---- speech

    def _text(self, m: Maneuver, phase: str) -> str:
        """The sentences for a maneuver in a phase, with the distance as of now, and the rest of
        its place after it ("Then cross X.")."""
        text = self._lead_text(m, phase)
        if phase == "reassurance":
            return text
        assert self.route is not None
        place = self._place(self.route.maneuvers.index(m))
        rest = [] if place is None else [self.route.maneuvers[i] for i in place.members[1:]]
        if phase == "approaching":  # an orientation: the actions were said ahead
            rest = [f for f in rest if id(f) not in self.progress.told]
        return " ".join([text, *(phrases.phrase_then(f, self.lang, self.opts) for f in rest)])

    def _lead_text(self, m: Maneuver, phase: str) -> str:
        lang, opts = self.lang, self.opts
        distance = max(1.0, m.along_m - self.progress.along_m)
        if phase == "at":
            return phrases.phrase_maneuver(m, lang, opts)
        if phase == "chained":
            place = self._place(self.route.maneuvers.index(m))  # type: ignore[union-attr]
            assert place is not None
            return phrases.phrase_chained(m, place.gap_before_m, lang, opts)
        if phase == "rerouted":
            return phrases.phrase_rerouted(m, lang, opts)
        if phase == "reassurance":
            return phrases.phrase_reassurance(self._current_street(), distance, lang, opts,
                                              self._hedged(distance))
        if phase == "approaching":
            if m.kind in (ManeuverKind.LANDMARK, ManeuverKind.ARRIVE):
                return phrases.phrase_maneuver(m, lang, opts)
            return phrases.phrase_approaching(m, lang, opts,
                                              with_action=id(m) not in self.progress.told)
        text = phrases.phrase_maneuver(m, lang, opts, distance, self._hedged(distance))
        if phase == "regained":
            return f"{phrases.phrase_location_regained(lang)} {text}"
        return text  # "ahead" and "orientation"

    def _current_street(self) -> str | None:
        """The street being walked: named by the last depart/turn/continue already passed."""
        assert self.route is not None
        street = None
        for m in self.route.maneuvers:
            if m.along_m > self.progress.along_m:
                break
            if m.kind in (ManeuverKind.DEPART, ManeuverKind.TURN, ManeuverKind.CONTINUE):
                street = m.attributes.get("street")
            elif m.kind in (ManeuverKind.CROSS, ManeuverKind.STEPS):
                street = None
        return street

    def _speech_s(self, text: str) -> float:
        return self.settings.earcon_s + len(text.split()) / self.settings.words_per_s

    def _instruction(self, m: Maneuver, phase: str, t_s: float, before: str | None = None
                     ) -> Event:
        """``before``: a sentence said first (why the route changed)."""
        text = self._text(m, phase) if before is None else f"{before} {self._text(m, phase)}"
        self._instruction_seq += 1
        if phase != "reassurance":
            assert self.route is not None
            place = self._place(self.route.maneuvers.index(m))
            members = (m,) if place is None else (self.route.maneuvers[i] for i in place.members)
            self.progress.told.update(id(f) for f in members)
        distance = max(0.0, m.along_m - self.progress.along_m)
        event = Event("instruction", {
            "id": self._instruction_seq, "kind": m.kind.value,
            "phase": "ahead" if phase == "chained" else phase, "text": text,
            "lang": self.lang, "distance_m": round(distance, 1), "t": t_s,
            "at": {"lat": m.lat, "lon": m.lon},
        })
        self.last_instruction = event
        self._busy_until_s = max(self._busy_until_s, t_s) + self._speech_s(text)
        return event

    def _speak(self, m: Maneuver, phase: str, t_s: float, force: bool) -> list[Event]:
        """Emit an instruction unless the walker is still hearing the previous one.

        A decision-point instruction (``force``) waits for the current speech to end and is
        emitted then, with its distance brought up to date; an optional reassurance is dropped.
        """
        if t_s >= self._busy_until_s:
            self._pending = None
            return self._say(m, phase, t_s)
        if force:
            # "location found again" is still owed to a walker told to wait: it goes in front
            # of whatever instruction is due by the time the speech ends
            owed = self._pending is not None and self._pending[1] == "regained"
            self._pending = (m, "regained" if owed else phase)
        return []

    def _flush_pending(self, t_s: float) -> list[Event]:
        """The instruction that waited for speech to end, if the walker is not past it and the
        fix now is certain enough for it (else it waits on)."""
        if self._pending is None or t_s < self._busy_until_s:
            return []
        m, phase = self._pending
        d = m.along_m - self.progress.along_m
        if d < -self.settings.approached_m:
            self._pending = None
            return []  # walked past it while the previous sentence played
        assert self.route is not None
        i = self.route.maneuvers.index(m)
        if self._too_uncertain(i, d):
            return self._uncertain(i, t_s)
        self._pending = None
        return self._say(m, phase, t_s)

    def _say(self, m: Maneuver, phase: str, t_s: float) -> list[Event]:
        """The instruction, and right after it the next place if that is chained to this one and
        now near enough (:mod:`navigator.decisionpoints`)."""
        events = [self._instruction(m, phase, t_s)]
        assert self.route is not None
        k = self._place_of[self.route.maneuvers.index(m)]
        if phase == "reassurance" or k is None or k + 1 >= len(self._places):
            return events
        nxt = self._places[k + 1]
        lead = self.route.maneuvers[nxt.lead]
        if (nxt.chained and nxt.lead not in self.progress.announced
                and lead.along_m - self.progress.along_m <= self.settings.chain_ahead_max_m):
            self._mark(nxt.lead, self.progress.announced)
            events += self._say(lead, "chained", t_s)
        return events
