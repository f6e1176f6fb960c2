"""When each sentence of the guidance is said (:class:`Announcer`, the timing half of
:class:`~navigator.session.NavigationSession`): each decision place about 6 m ahead and
"approaching" at 2 m, a chained place right after the one before it, reassurance on long straight
runs, never talking over itself (a decision waits for the current sentence and is then brought up
to date), and "position uncertain" once while a decision point's instruction is held
(:mod:`navigator.certainty`). What the sentences say is :mod:`navigator.wording`. Pure: time is
passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from beacons.model import Fix
from navigator.certainty import announce_within_m, error_limit_m, too_uncertain
from navigator.decisionpoints import Place
from navigator.guidancesettings import GuidanceSettings
from navigator.wording import RouteWording, speech_s
from routing.model import DECISION_KINDS, Maneuver, ManeuverKind, Route
from voice import phrases
from voice.phrases import PhraseOptions


@dataclass(frozen=True, slots=True)
class Event:
    """Something to send to the walker's phone; ``data`` is the JSON payload beside ``type``."""

    type: str
    data: dict[str, Any]


@dataclass
class Progress:
    """Where the walker is on the current route and what has been said about it."""

    along_m: float = 0.0
    max_along_m: float = 0.0
    announced: set[int] = field(default_factory=set)
    approached: set[int] = field(default_factory=set)
    last_reassurance_along_m: float = 0.0
    #: ``id()`` of the maneuvers whose action the walker has heard (the route holds them while
    #: this progress lives): an "approaching" without it says the action too.
    told: set[int] = field(default_factory=set)
    #: Maneuvers whose instruction was held for an uncertain fix: it is owed, and follows as
    #: soon as a fix allows within the widest window it could have been due in.
    held: set[int] = field(default_factory=set)


class Announcer:
    """The announcement rules over the state a session keeps (declared here, set by it)."""

    route: Route | None
    progress: Progress
    settings: GuidanceSettings
    lang: str
    opts: PhraseOptions
    last_fix: Fix | None
    last_instruction: Event | None
    _instruction_seq: int
    _busy_until_s: float
    _pending: tuple[Maneuver, str] | None
    _reorient: str | None
    _wording: RouteWording | None
    _uncertain_said: bool
    #: When the last "position uncertain" ends: until then the speech it holds is only that.
    _uncertain_until_s: float
    #: When the last "location unavailable" ends: until then the speech it holds is only that.
    _lost_until_s: float

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
            if (m.kind is ManeuverKind.DEPART or m.along_m <= p.along_m - s.approached_m
                    or not self._said_at_this_level(m)):
                continue
            if i in p.announced and i in p.approached:
                continue  # all said (with its place, or before the walker reached it)
            if self._untold_pending(m):
                return []
            d = m.along_m - p.along_m
            ahead = (i not in p.announced and d <= self._announce_within_m(i)
                     and self._said_ahead(m))
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
                return [] if self._too_uncertain(i, d) else self._reassurance(m, d, t_s)
        return []

    def _untold_pending(self, m: Maneuver) -> bool:
        """Whether an instruction waiting for speech to end is for another decision point whose
        action the walker has not heard: it goes first, and ``m``'s must not take its slot (a
        turn held for a wide fix, due once certain, was replaced by "you will arrive" and never
        said). A reminder of an action already told ("approaching") may give way, and so may
        where to set off, once a decision point is due."""
        pending = self._pending
        return (pending is not None and pending[0] is not m
                and pending[0].kind in DECISION_KINDS and id(pending[0]) not in self.progress.told)

    def _chained_after(self, i: int) -> Place | None:
        """Maneuver ``i``'s place if it has been announced and the next place is chained to it."""
        w = self._wording
        assert w is not None
        k = w.place_of[i]
        if (k is None or i not in self.progress.announced or k + 1 >= len(w.places)
                or not w.places[k + 1].chained):
            return None
        return w.places[k]

    def _said_at_this_level(self, m: Maneuver) -> bool:
        """Landmarks only orient: "decision_points" leaves them out (decision points, safety
        messages and arrival are said at every level)."""
        return not (self.opts.verbosity == "decision_points" and m.kind is ManeuverKind.LANDMARK)

    def _said_ahead(self, m: Maneuver) -> bool:
        """Whether ``m`` is announced ahead as well as at its point. A landmark is said once,
        as the walker passes it ("Keep walking. X is on your right.": there it can be heard or
        felt and confirms the way), except for "detailed", which also announces it ahead."""
        return m.kind is not ManeuverKind.LANDMARK or self.opts.verbosity == "detailed"

    # ---- uncertainty

    def _next_decision_limit(self, along_m: float) -> float | None:
        """The error limit, as of ``along_m``, of the first place not yet passed that may be
        held (None: none is left)."""
        reach = along_m - self.settings.approached_m
        assert self._wording is not None
        return next((error_limit_m(p, p.along_m - along_m, self.settings)
                     for p in self._wording.unchained if p.along_m > reach), None)

    def _mark(self, i: int, said: set[int]) -> None:
        """Maneuver ``i`` and the rest of its place (said with it) count as said."""
        place = self._place(i)
        said.update(place.members if place is not None else (i,))

    def _place(self, i: int) -> Place | None:
        assert self._wording is not None
        return self._wording.place_at(i)

    def _announce_within_m(self, i: int | None) -> float:
        """How far ahead maneuver ``i`` (None: any) falls due from the current fix."""
        if i is not None and i in self.progress.held:
            return announce_within_m(math.inf, self.settings)
        return announce_within_m(None if self.last_fix is None else self.last_fix.error_m,
                                 self.settings)

    def _too_uncertain(self, i: int, distance_m: float) -> bool:
        fix = self.last_fix
        return fix is not None and too_uncertain(self._place(i), fix.error_m, distance_m,
                                                 self.settings)

    def _supersedes(self, m: Maneuver, phase: str) -> bool:
        """Whether ``m``'s instruction cuts short the safety message still being said (the only
        speech left), which it makes obsolete: "position uncertain" once ``m``, held for it, is
        certain enough, and "location unavailable" once the position is found again. Waiting 5 s
        for the first brought the turn to the walker at the corner; waiting up to 3 s for the
        second, found again 1-2 m before a crossing, said "cross" at the kerb or past it, or
        dropped it (benchmarks/bench_guidance.py, harsh world, Neukoelln seeds 302 and 402)."""
        assert self.route is not None
        if phase == "regained" and self._busy_until_s <= self._lost_until_s:
            return True
        return (self._busy_until_s <= self._uncertain_until_s
                and self.route.maneuvers.index(m) in self.progress.held)

    def _uncertain(self, i: int, t_s: float) -> list[Event]:
        """Hold maneuver ``i``'s instruction and say so once. A safety message: never held back
        by speech, it is said at once (apps speak it assertively)."""
        self._mark(i, self.progress.held)
        if self._uncertain_said:
            return []
        assert self.route is not None and self.last_fix is not None
        self._uncertain_said = True
        m = self.route.maneuvers[i]
        limit = error_limit_m(self._place(i), m.along_m - self.progress.along_m,
                              self.settings)
        text = phrases.phrase_position_uncertain(m, self.lang, self.opts)
        self._busy_until_s = self._uncertain_until_s = t_s + self._speech_s(text)
        return [Event("position_uncertain", {
            "text": text, "lang": self.lang, "kind": m.kind.value,
            "error_m": round(self.last_fix.error_m, 2),
            "error_limit_m": None if limit is None else round(limit, 2),
            "at": {"lat": m.lat, "lon": m.lon}, "t": t_s,
        })]

    def _reassurance(self, nxt: Maneuver, d_next: float, t_s: float) -> list[Event]:
        """Keep-going on long runs (:meth:`_reassurance_every_m`), but never where it would
        delay the next announcement, nor while the walker has been told to slow down for an
        uncertain position ("keep walking" would contradict it; the caller also keeps quiet
        while the next decision point's distance is too uncertain to say)."""
        s, p = self.settings, self.progress
        every = self._reassurance_every_m()
        if every is None or self._uncertain_said:
            return []
        assert self._wording is not None
        prev_along = self._wording.last_along_m(p.along_m)
        if p.along_m - prev_along < s.reassurance_quiet_start_m:
            return []
        if p.along_m - max(p.last_reassurance_along_m, prev_along) < every:
            return []
        about = nxt
        if self.opts.verbosity != "detailed":  # only on a long run, and "to go" to its end
            about = self._next_decision(p.along_m)
            if about.along_m - p.along_m < s.long_run_m:
                return []
        text = self._text(about, "reassurance")
        window_in_m = d_next - self._announce_within_m(None)
        if window_in_m < self._speech_s(text) * s.walking_speed_mps or t_s < self._busy_until_s:
            return []
        p.last_reassurance_along_m = p.along_m
        return self._speak(about, "reassurance", t_s, force=False)

    def _reassurance_every_m(self) -> float | None:
        """How often a long run is reassured at this verbosity (None: never)."""
        s, verbosity = self.settings, self.opts.verbosity
        if verbosity == "detailed":
            return s.reassurance_every_m
        if verbosity == "normal":
            return s.normal_reassurance_every_m
        return s.brief_reassurance_every_m if verbosity == "brief" else None

    def _next_decision(self, along_m: float) -> Maneuver:
        """The next decision point's lead maneuver after ``along_m``, or the arrival."""
        assert self.route is not None and self._wording is not None
        place = next((p for p in self._wording.places if p.along_m > along_m), None)
        return self.route.maneuvers[-1 if place is None else place.lead]

    # ---- speech

    def _text(self, m: Maneuver, phase: str) -> str:
        assert self._wording is not None
        fix = self.last_fix
        return self._wording.text(m, phase, self.progress.along_m,
                                  None if fix is None else fix.error_m, self.progress.told)

    def _speech_s(self, text: str) -> float:
        return speech_s(text, self.settings)

    def _instruction(self, m: Maneuver, phase: str, t_s: float, before: str | None = None,
                     interrupts: bool = False) -> Event:
        """``before``: a sentence said first (why the route changed); ``interrupts``: it cuts
        short what is being said (the app stops it and says this at once)."""
        text = self._text(m, phase) if before is None else f"{before} {self._text(m, phase)}"
        self._instruction_seq += 1
        if phase != "reassurance":
            assert self._wording is not None
            self.progress.told.update(id(f) for f in self._wording.members(m))
        distance = max(0.0, m.along_m - self.progress.along_m)
        event = Event("instruction", {
            "id": self._instruction_seq, "kind": m.kind.value,
            "phase": "ahead" if phase == "chained" else phase, "text": text,
            "lang": self.lang, "distance_m": round(distance, 1), "t": t_s,
            "at": {"lat": m.lat, "lon": m.lon},
        })
        if interrupts:
            event.data["interrupts"] = True
            self._uncertain_until_s = self._lost_until_s = -math.inf  # cut short: not said
        self.last_instruction = event
        start = t_s if interrupts else max(self._busy_until_s, t_s)
        self._busy_until_s = start + self._speech_s(text)
        return event

    def _speak(self, m: Maneuver, phase: str, t_s: float, force: bool) -> list[Event]:
        """Emit an instruction unless the walker is still hearing the previous one.

        A decision-point instruction (``force``) waits for the current speech to end and is
        emitted then, with its distance brought up to date; an optional reassurance is dropped.
        """
        if t_s >= self._busy_until_s:
            self._pending = None
            return self._say(m, phase, t_s)
        if force and self._supersedes(m, phase):
            self._pending = None
            return self._say(m, phase, t_s, interrupts=True)
        if force:
            # "location found again" is still owed to a walker told to wait: it goes in front
            # of whatever instruction is due by the time the speech ends
            owed = self._pending is not None and self._pending[1] == "regained"
            self._pending = (m, "regained" if owed else phase)
        return []

    def _chain_from_m(self, m: Maneuver, phase: str, said_s: float) -> float:
        """Where the next place's distance is measured from when it is chained to ``m``'s
        instruction (``said_s`` long): the walker, or ``m`` itself when re-orienting at it, that
        is when the walker stands there or reaches it while the sentence is said. Found again at
        a crossing with the turn 9 m beyond it, "cross" and "after another 9 metres, turn right"
        belong in one breath; said apart, the turn waited for the crossing's long sentence and
        came at the corner or past it (bench_guidance, Neukoelln harsh seeds 302 and 402)."""
        along, s = self.progress.along_m, self.settings
        if (phase in ("orientation", "regained")
                and m.along_m - along <= max(s.approached_m, said_s * s.walking_speed_mps)):
            return max(along, m.along_m)
        return along

    def _flush_pending(self, t_s: float) -> list[Event]:
        """The instruction that waited for speech to end (or only for a safety message it makes
        obsolete, which it cuts short: :meth:`_supersedes`), if the walker is not past it and the
        fix now is certain enough for it (else it waits on)."""
        if self._pending is None:
            return []
        m, phase = self._pending
        if t_s < self._busy_until_s and not self._supersedes(m, phase):
            return []
        d = m.along_m - self.progress.along_m
        if d < -self.settings.approached_m and m.kind is not ManeuverKind.DEPART:
            self._pending = None
            if phase == "regained":  # told to wait, the walker is still owed "found again":
                self._reorient = phase  # with the next maneuver instead
            return []  # walked past it while the previous sentence played (where to set off
            # is said wherever the walker is: it comes first, and after a loss at the start)
        assert self.route is not None
        i = self.route.maneuvers.index(m)
        if self._too_uncertain(i, d):
            return self._uncertain(i, t_s)
        self._pending = None
        return self._say(m, phase, t_s, interrupts=t_s < self._busy_until_s)

    def _say(self, m: Maneuver, phase: str, t_s: float, interrupts: bool = False
             ) -> list[Event]:
        """The instruction (``interrupts``: cutting short what is being said), and right after
        it the next place if that is chained to this one and now near enough
        (:mod:`navigator.decisionpoints`)."""
        first = self._instruction(m, phase, t_s, interrupts=interrupts)
        events = [first]
        w = self._wording
        assert self.route is not None and w is not None
        k = w.place_of[self.route.maneuvers.index(m)]
        if phase == "reassurance" or k is None or k + 1 >= len(w.places):
            return events
        nxt = w.places[k + 1]
        lead = self.route.maneuvers[nxt.lead]
        if (nxt.chained and nxt.lead not in self.progress.announced
                and lead.along_m - self._chain_from_m(m, phase, self._speech_s(first.data["text"]))
                <= self.settings.chain_ahead_max_m):
            self._mark(nxt.lead, self.progress.announced)
            events += self._say(lead, "chained", t_s)
        return events
