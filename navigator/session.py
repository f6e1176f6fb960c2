"""The guidance rules of one walker (:class:`NavigationSession`): a pure state machine, time
passed in, events out. (The WebSocket that feeds it is :mod:`navigator.live`; the sessions of a
process are :mod:`navigator.livesessions`.)

It consumes positioning results (a :class:`Fix` or :class:`Unavailable`), tracks progress along
the route, and decides what to say and when (Wayfindr / NavCog3 timing): announce each decision
point about 6 m ahead, say "approaching" at 2 m, reassure on long straight runs, never talk over
itself, detect leaving the route, ask for a new route, and say so honestly when the position is
lost. It never reads a clock and does no I/O, so every rule is tested exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from beacons.model import Fix, Unavailable
from routing.geo import LocalFrame, project_to_segment, turn_angle_deg
from routing.model import Maneuver, ManeuverKind, Route
from routing.paths import RoutingError
from voice import phrases
from voice.phrases import PhraseOptions


@dataclass(frozen=True, slots=True)
class GuidanceSettings:
    """The timing rules, with the defaults from Wayfindr and NavCog3."""

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


class RouteLine:
    """The route as a polyline in local metres, for projecting fixes onto it."""

    def __init__(self, route: Route) -> None:
        lat0, lon0 = route.coordinates[0]
        self.frame = LocalFrame(lat0, lon0)
        self.points = [self.frame.to_xy(lat, lon) for lat, lon in route.coordinates]
        self.cum = [0.0]
        for (ax, ay), (bx, by) in zip(self.points, self.points[1:], strict=False):
            self.cum.append(self.cum[-1] + math.hypot(bx - ax, by - ay))
        self.length_m = self.cum[-1]

    def project(self, lat: float, lon: float, near_along_m: float | None = None,
                window_m: float = 30.0) -> tuple[float, float, float]:
        """(along_m, distance_m from the line, bearing of the line there).

        With ``near_along_m`` the search prefers the part of the route near the last progress,
        so a route that doubles back does not make the walker jump ahead.
        """
        px, py = self.frame.to_xy(lat, lon)
        best = (math.inf, 0.0, 0.0)
        for i in range(len(self.points) - 1):
            if near_along_m is not None and not (
                self.cum[i] - window_m <= near_along_m <= self.cum[i + 1] + window_m
            ):
                continue
            (ax, ay), (bx, by) = self.points[i], self.points[i + 1]
            t, dist = project_to_segment(px, py, ax, ay, bx, by)
            if dist < best[0]:
                seg_bearing = math.degrees(math.atan2(bx - ax, by - ay)) % 360.0
                best = (dist, self.cum[i] + t * (self.cum[i + 1] - self.cum[i]), seg_bearing)
        if best[0] == math.inf:
            return self.project(lat, lon)
        return best[1], best[0], best[2]


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
        self._needs_orientation = True
        self._pending: tuple[Maneuver, str] | None = None
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
        status.data.update(along_m=round(along, 1), off_route_m=round(off_m, 1))
        if self._is_off_route(along, off_m, line_bearing, heading_deg, pos.t_s):
            return self._off_route(pos)
        self.progress.along_m = along
        self.progress.max_along_m = max(self.progress.max_along_m, along)
        if self.line.length_m - along <= self.settings.arrival_m:
            return self._arrive(pos.t_s)
        events = self._flush_pending(pos.t_s)
        if regained or self._needs_orientation:
            events += self._orientation(pos.t_s, regained)
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
        self._needs_orientation = True
        self._pending = None

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
        self._needs_orientation = False
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

    def _orientation(self, t_s: float, regained: bool) -> list[Event]:
        """After an outage (or at a resumed start) re-establish where to go next."""
        self._needs_orientation = False
        assert self.route is not None
        first = self.route.maneuvers[0]
        if not regained and self.last_instruction is None and first.kind is ManeuverKind.DEPART:
            return self._speak(first, "at", t_s, force=True)
        nxt = self.next_maneuver()
        if nxt is None:
            return []
        return self._speak(nxt, "regained" if regained else "orientation", t_s, force=True)

    def _announcements(self, t_s: float) -> list[Event]:
        assert self.route is not None
        s, p = self.settings, self.progress
        for i, m in enumerate(self.route.maneuvers):
            if m.kind is ManeuverKind.DEPART or m.along_m <= p.along_m - s.approached_m:
                continue
            d = m.along_m - p.along_m
            if i not in p.announced and d <= s.announce_ahead_m + s.announce_tolerance_m:
                p.announced.add(i)
                if d > s.approached_m:
                    return self._speak(m, "ahead", t_s, force=True)
            if i not in p.approached and d <= s.approached_m:
                p.approached.add(i)
                p.announced.add(i)
                return self._speak(m, "approaching", t_s, force=True)
            return self._reassurance(m, d, t_s)
        return []

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
        """The sentence for a maneuver in a phase, with the distance as of now."""
        lang, opts = self.lang, self.opts
        distance = m.along_m - self.progress.along_m
        if phase == "at":
            return phrases.phrase_maneuver(m, lang, opts)
        if phase == "rerouted":
            return phrases.phrase_rerouted(m, lang, opts)
        if phase == "reassurance":
            return phrases.phrase_reassurance(self._current_street(), distance, lang, opts)
        if phase == "approaching":
            if m.kind in (ManeuverKind.LANDMARK, ManeuverKind.ARRIVE):
                return phrases.phrase_maneuver(m, lang, opts)
            return phrases.phrase_approaching(m, lang, opts)
        text = phrases.phrase_maneuver(m, lang, opts, distance_m=max(1.0, distance))
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
        distance = max(0.0, m.along_m - self.progress.along_m)
        event = Event("instruction", {
            "id": self._instruction_seq, "kind": m.kind.value, "phase": phase, "text": text,
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
            return [self._instruction(m, phase, t_s)]
        if force:
            self._pending = (m, phase)
        return []

    def _flush_pending(self, t_s: float) -> list[Event]:
        if self._pending is None or t_s < self._busy_until_s:
            return []
        m, phase = self._pending
        self._pending = None
        if m.along_m < self.progress.along_m - self.settings.approached_m:
            return []  # walked past it while the previous sentence played
        return [self._instruction(m, phase, t_s)]
