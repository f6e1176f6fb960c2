"""What the guidance says about one route (:class:`RouteWording`): the sentences of each phase of
an instruction ("ahead", "approaching", "reassurance", ...), with the distance as of the walker's
progress, hedged by the fix's error, and the rest of a decision place said after its lead. Pure:
the session (:mod:`navigator.session`) decides *when*; this says *what*.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection
from dataclasses import dataclass, field

from navigator.certainty import hedged
from navigator.decisionpoints import Place, decision_places, place_of
from navigator.guidancesettings import GuidanceSettings
from routing.model import Maneuver, ManeuverKind, Route
from voice import phrases
from voice.phrases import PhraseOptions


def speech_s(text: str, s: GuidanceSettings) -> float:
    """How long ``text`` occupies the listener (earcon included)."""
    return s.earcon_s + len(text.split()) / s.words_per_s


@dataclass(frozen=True, slots=True)
class RouteWording:
    """The sentences of one route's guidance, in one language and verbosity."""

    route: Route
    lang: str
    opts: PhraseOptions
    settings: GuidanceSettings
    places: tuple[Place, ...]
    #: Per maneuver, the index of its place in ``places`` (None: not a decision point).
    place_of: tuple[int | None, ...]
    #: The places that may be held (not chained to the previous one), in route order: the
    #: guidance looks for the next one on every fix.
    unchained: tuple[Place, ...] = field(init=False)
    #: Every maneuver's ``along_m``, ascending: the last one passed is found by bisection on
    #: every fix instead of a scan of the route.
    alongs: tuple[float, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "unchained", tuple(p for p in self.places if not p.chained))
        object.__setattr__(self, "alongs",
                           tuple(sorted(m.along_m for m in self.route.maneuvers)))

    @classmethod
    def of(cls, route: Route, lang: str, opts: PhraseOptions, s: GuidanceSettings
           ) -> RouteWording:
        places = decision_places(route, s)
        return cls(route, lang, opts, s, places, place_of(places, len(route.maneuvers)))

    def place(self, m: Maneuver) -> Place | None:
        """The decision place ``m`` belongs to (None: not a decision point)."""
        return self.place_at(self.route.maneuvers.index(m))

    def place_at(self, i: int) -> Place | None:
        """The decision place of maneuver ``i`` (None: not a decision point)."""
        k = self.place_of[i]
        return None if k is None else self.places[k]

    def last_along_m(self, along_m: float) -> float:
        """Where the furthest maneuver at or before ``along_m`` is (0: none)."""
        k = bisect_right(self.alongs, along_m)
        return self.alongs[k - 1] if k else 0.0

    def members(self, m: Maneuver) -> tuple[Maneuver, ...]:
        """``m`` and the rest of its place: what one instruction about ``m`` says."""
        place = self.place(m)
        return (m,) if place is None else tuple(self.route.maneuvers[i] for i in place.members)

    def text(self, m: Maneuver, phase: str, along_m: float, error_m: float | None,
             told: Collection[int]) -> str:
        """The sentences for ``m`` in ``phase`` with the walker at ``along_m``, and the rest of
        its place after it ("Then cross X."). ``told``: ``id()`` of the maneuvers whose action
        the walker has heard (an "approaching" without it says the action too)."""
        text = self._lead_text(m, phase, along_m, error_m, told)
        if phase == "reassurance":
            return text
        rest = self.members(m)[1:]
        if phase == "approaching":  # an orientation: the actions were said ahead
            rest = tuple(f for f in rest if id(f) not in told)
        return " ".join([text, *(phrases.phrase_then(f, self.lang, self.opts) for f in rest)])

    def _lead_text(self, m: Maneuver, phase: str, along_m: float, error_m: float | None,
                   told: Collection[int]) -> str:
        lang, opts = self.lang, self.opts
        distance = max(1.0, m.along_m - along_m)
        about = error_m is not None and hedged(error_m, distance, self.settings)
        if phase == "at":
            return phrases.phrase_maneuver(m, lang, opts)
        if phase == "chained":
            place = self.place(m)
            assert place is not None
            return phrases.phrase_chained(m, place.gap_before_m, lang, opts)
        if phase == "rerouted":
            return phrases.phrase_rerouted(m, lang, opts)
        if phase == "reassurance":
            return phrases.phrase_reassurance(self.current_street(along_m), distance, lang, opts,
                                              about)
        if phase == "approaching":
            if m.kind in (ManeuverKind.LANDMARK, ManeuverKind.ARRIVE):
                return phrases.phrase_maneuver(m, lang, opts)
            return phrases.phrase_approaching(m, lang, opts, with_action=id(m) not in told)
        at_point = m.along_m - along_m <= self.settings.approached_m
        # where to set off, or what to do at the point the walker stands at, is said without
        # a distance ("In 1 metre, cross" to a walker at the kerb)
        ahead = None if m.kind is ManeuverKind.DEPART or at_point else distance
        text = phrases.phrase_maneuver(m, lang, opts, ahead, about)
        if phase == "regained":
            return f"{phrases.phrase_location_regained(lang)} {text}"
        return text  # "ahead" and "orientation"

    def current_street(self, along_m: float) -> str | None:
        """The street being walked: named by the last depart/turn/continue already passed."""
        street = None
        for m in self.route.maneuvers:
            if m.along_m > along_m:
                break
            if m.kind in (ManeuverKind.DEPART, ManeuverKind.TURN, ManeuverKind.CONTINUE):
                street = m.attributes.get("street")
            elif m.kind in (ManeuverKind.CROSS, ManeuverKind.STEPS):
                street = None
        return street
