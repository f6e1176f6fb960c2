"""Maneuvers and live-guidance events as short spoken sentences, in every language there is a
phrasebook for (:mod:`voice.phrasebook`; German and English today).

Pure functions, no I/O. These are the rules, the same in every language; the words are the
phrasebook's. The wording follows the Wayfindr open standard (ITU-T F.921): every instruction
starts with its verb ("Turn left", "Biegen Sie links ab"), names the decision point (street,
crossing, steps, landmark) and says the safety-relevant facts (signal type, step count, tactile
paving). German uses the polite imperative so the verb comes first; an announcement ahead puts
the distance in front ("In 10 Metern biegen Sie ...").

Distances are spoken in whole metres: to the nearest metre below 20 m, to the nearest 5 m from
20 m on (halves round up), never below 1 m; from a kilometre on, in kilometres to the nearest
100 m ("1,5 Kilometer", "1.5 kilometres"). A *hedged* distance (the walker's position is not
known well enough for the exact figure; the guidance decides when) is said as "about" and
rounded coarser: to 5 m below 20 m, to 10 m from 20 m on, "a few metres" below 2.5 m ("In etwa
10 Metern", "In about 10 metres", "In wenigen Metern").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from routing.model import Maneuver, ManeuverKind
from voice.phrasebook import Phrasebook, phrasebook

QUADRANTS = ("ahead", "right", "behind", "left")
_COMPASS_POINTS = tuple("north northeast east southeast south southwest west northwest".split())

#: "decision_points" is worded as "normal"; how much each level says (landmarks, reassurance)
#: is the guidance's rule (:mod:`navigator.announcements`).
Verbosity = Literal["brief", "normal", "detailed", "decision_points"]
Verb = Literal["walk", "move"]
DistanceForm = Literal["distance", "in_distance"]  # on its own, or ahead ("In 10 metres")


@dataclass(frozen=True, slots=True)
class PhraseOptions:
    """Listener preferences: how much to say, clock-face turns, "move" instead of "walk"."""

    verbosity: Verbosity = "normal"
    clock_face: bool = False
    verb: Verb = "walk"


_DEFAULT = PhraseOptions()


# --- numbers ---------------------------------------------------------------------------------


def round_distance_m(distance_m: float, hedged: bool = False) -> int:
    """Whole metres as spoken: 1 m steps below 20 m, 5 m steps from 20 m, at least 1.

    Hedged: 5 m steps below 20 m, 10 m steps from 20 m; 0 means "a few metres".
    """
    if not math.isfinite(distance_m):
        raise ValueError(f"distance must be finite, got {distance_m}")
    if hedged:
        step = 5 if distance_m < 20 else 10
        return step * math.floor(distance_m / step + 0.5)
    step = 1 if distance_m < 20 else 5
    return max(1, step * math.floor(distance_m / step + 0.5))


def format_distance(distance_m: float, lang: str, hedged: bool = False) -> str:
    """A distance as spoken on its own: "10 Meter", "ein Meter", "10 metres", "1 metre",
    "1,5 Kilometer", "1.5 kilometres"; hedged "etwa 10 Meter", "about 10 metres"."""
    return _distance(distance_m, phrasebook(lang), "distance", hedged)


def format_in_distance(distance_m: float, lang: str, hedged: bool = False) -> str:
    """A distance ahead, capitalised: "In 10 Metern", "In einem Meter", "In 10 metres",
    "In 1,5 Kilometern", "In 1.5 kilometres"; hedged "In etwa 10 Metern", "In about 10
    metres"."""
    return _distance(distance_m, phrasebook(lang), "in_distance", hedged)


#: The phrasebook key prefix of each distance form when hedged.
_HEDGED: dict[DistanceForm, str] = {"distance": "about", "in_distance": "in_about"}


def _distance(distance_m: float, book: Phrasebook, form: DistanceForm, hedged: bool = False
              ) -> str:
    key = _HEDGED[form] if hedged else form
    km = _kilometres(distance_m, book, hedged)
    if km is not None:
        return book.say(f"{key}.kilometre") if km == "1" else book.say(f"{key}.kilometres", n=km)
    n = round_distance_m(distance_m, hedged)
    if hedged:
        return book.say(f"{key}.few") if n == 0 else book.say(f"{key}.metres", n=n)
    return book.say(f"{key}.metre") if n == 1 else book.say(f"{key}.metres", n=n)


def _kilometres(distance_m: float, book: Phrasebook, hedged: bool = False) -> str | None:
    """Kilometres to the nearest 100 m as written in the book's language ("1,5" / "1.5", "2"),
    or None below a kilometre (said in metres)."""
    if round_distance_m(distance_m, hedged) < 1000:
        return None
    tenths = math.floor(distance_m / 100 + 0.5)
    whole, tenth = divmod(tenths, 10)
    return str(whole) if tenth == 0 else f"{whole}{book.decimal_mark}{tenth}"


# --- maneuvers -------------------------------------------------------------------------------


def _along(book: Phrasebook, street: str | None) -> str:
    return book.say("along", **book.street_slots(street)) if street else ""


def _lead(book: Phrasebook, lead: str, sentence: str) -> str:
    """Put ``lead`` ("In 10 metres", "Next") before a verb-first sentence."""
    return book.say("lead.join", lead=lead, sentence=_lower_first(sentence))


def _sentences(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _depart(m: Maneuver, book: Phrasebook, opts: PhraseOptions) -> str:
    heading = m.attributes.get("heading_deg")
    street = m.attributes.get("street") if opts.verbosity != "brief" else None
    compass = ""
    if heading is not None:
        point = _COMPASS_POINTS[round(heading / 45) % 8]
        compass = book.say("depart.heading", compass=book.say(f"compass.{point}"))
    along = _along(book, street)
    if not compass and not along:
        compass = book.say("depart.none")
    return book.say("depart", go=book.say(f"go.{opts.verb}"), heading=compass, along=along)


def _continue(m: Maneuver, book: Phrasebook, opts: PhraseOptions) -> str:
    brief = opts.verbosity == "brief"
    length_m = m.attributes.get("length_m")
    length = ""
    if length_m and not brief:
        length = book.say("continue.length", distance=_distance(length_m, book, "distance"))
    along = "" if brief else _along(book, m.attributes.get("street"))
    return book.say("continue", go=book.say(f"go.{opts.verb}"), along=along, length=length)


def _onto(book: Phrasebook, street: str | None) -> str:
    return book.say("turn.onto", **book.street_slots(street)) if street else ""


def _turn(m: Maneuver, book: Phrasebook, opts: PhraseOptions) -> str:
    severity = m.attributes.get("severity", "normal")
    if severity == "uturn":
        return book.say("turn.uturn")
    clock = m.attributes.get("clock")
    if opts.clock_face and clock:
        direction = book.say("turn.clock", clock=str(clock))
    else:
        direction = book.say(f"dir.{m.attributes['direction']}")
        if severity in ("slight", "sharp"):
            direction = book.say(f"severity.{severity}", dir=direction)
    onto = "" if opts.verbosity == "brief" else _onto(book, m.attributes.get("street"))
    return book.say("turn", direction=direction, onto=onto)


def _optional(book: Phrasebook, key: str) -> str:
    """The phrase ``key``, or nothing for a value the phrasebook has no words for ("unknown")."""
    return book.say(key) if key in book.phrases else ""


def _cross(m: Maneuver, book: Phrasebook, opts: PhraseOptions) -> str:
    a = m.attributes
    street = a.get("street")
    target = book.say("cross.street", **book.street_slots(street)) if street else None
    signal = _optional(book, f"signal.{a.get('signal')}")
    main = book.say("cross", street=target or book.say("cross.nostreet"), signal=signal)
    if a.get("button") and a.get("signal") != "none":  # the light stays red until pressed
        main = _sentences(main, book.say("cross.button"))
    if opts.verbosity == "brief":
        return main
    extras = [
        book.say("cross.tactile") if a.get("tactile_paving") else "",
        book.say("cross.island") if a.get("island") else "",
    ]
    if opts.verbosity == "detailed":
        length_m = a.get("length_m")
        extras += [
            book.say("cross.length", distance=_distance(length_m, book, "distance"))
            if length_m
            else "",
            _optional(book, f"kerb.{a.get('kerb')}"),
        ]
    return _sentences(main, *extras)


def _steps(m: Maneuver, book: Phrasebook, opts: PhraseOptions) -> str:
    a = m.attributes
    count = a.get("count")
    if count is None:
        steps = book.say("steps.nocount")
    else:
        steps = book.say("steps.one") if count == 1 else book.say("steps.count", count=count)
    direction = a.get("direction")
    if direction in ("up", "down"):
        main = book.say(f"steps.{direction}", steps=steps)
    else:
        counted = book.say("steps.unknown.count", steps=steps) if count is not None else ""
        main = book.say("steps.unknown", count=counted)
    handrail = a.get("handrail")
    if opts.verbosity != "detailed" or handrail is None:
        return main
    return _sentences(main, book.say("handrail.yes" if handrail else "handrail.no"))


def _landmark(m: Maneuver, book: Phrasebook, opts: PhraseOptions, lead: str | None) -> str:
    side = m.attributes.get("side")
    key = "landmark.side" if side in ("left", "right") else "landmark.pass"
    return book.say(
        f"{key}.ahead" if lead else key,
        lead=lead or "",
        keep=book.say(f"keep.{opts.verb}"),
        name=m.attributes["name"],
        side=book.say(f"side.{side}") if side in ("left", "right") else "",
    )


def _arrive(name: str | None, side: str | None, book: Phrasebook, lead: str | None) -> str:
    key = "arrive.name" if name else "arrive.none"
    main = book.say(f"{key}.ahead" if lead else key, lead=lead or "", name=name or "")
    if side not in ("left", "right", "ahead"):
        return main
    return _sentences(main, book.say("arrive.side", side=book.say(f"side.{side}")))


_ACTIONS: dict[ManeuverKind, Callable[[Maneuver, Phrasebook, PhraseOptions], str]] = {
    ManeuverKind.DEPART: _depart,
    ManeuverKind.CONTINUE: _continue,
    ManeuverKind.TURN: _turn,
    ManeuverKind.CROSS: _cross,
    ManeuverKind.STEPS: _steps,
}


def _maneuver(m: Maneuver, book: Phrasebook, opts: PhraseOptions, lead: str | None) -> str:
    """The maneuver's sentence(s), with ``lead`` ("In 10 metres", "Next") in front if given."""
    if m.kind is ManeuverKind.LANDMARK:
        return _landmark(m, book, opts, lead)
    if m.kind is ManeuverKind.ARRIVE:
        return _arrive(m.attributes.get("name"), m.attributes.get("side"), book, lead)
    text = _ACTIONS[m.kind](m, book, opts)
    return _lead(book, lead, text) if lead else text


def phrase_maneuver(
    m: Maneuver,
    lang: str,
    opts: PhraseOptions = _DEFAULT,
    distance_m: float | None = None,
    hedged: bool = False,
) -> str:
    """The instruction for ``m``: at the point (``distance_m`` None) or announced ahead
    (``hedged``: "In about 10 metres")."""
    book = phrasebook(lang)
    lead = None if distance_m is None else _distance(distance_m, book, "in_distance", hedged)
    return _maneuver(m, book, opts, lead)


def phrase_then(m: Maneuver, lang: str, opts: PhraseOptions = _DEFAULT) -> str:
    """A decision at the same point as the one just said, as its follow-on: "Then cross X."."""
    book = phrasebook(lang)
    return _join_lead(book, "then.join", _ACTIONS[m.kind](m, book, opts))


def phrase_chained(m: Maneuver, gap_m: float, lang: str, opts: PhraseOptions = _DEFAULT) -> str:
    """A decision ``gap_m`` after the one just said, told relative to it: "After another 4
    metres, turn right." (the gap is map geometry, said exactly)."""
    book = phrasebook(lang)
    n = round_distance_m(gap_m)
    key = "chain.after.metre" if n == 1 else "chain.after.metres"
    return book.say(key, n=n, sentence=_lower_first(_ACTIONS[m.kind](m, book, opts)))


def _join_lead(book: Phrasebook, key: str, sentence: str) -> str:
    return book.say(key, sentence=_lower_first(sentence))


def _lower_first(sentence: str) -> str:
    return sentence[0].lower() + sentence[1:]


# --- live guidance ---------------------------------------------------------------------------


def _target(m: Maneuver, book: Phrasebook) -> str:
    """The decision point ``m`` happens at, as a noun phrase ("the crossing of X", German in the
    dative: "dem Überweg über die X")."""
    a = m.attributes
    if m.kind is ManeuverKind.LANDMARK:
        return a["name"]
    street = a.get("street")
    if m.kind is ManeuverKind.TURN:
        return book.say("target.turn", onto=_onto(book, street))
    key = f"target.{m.kind.value}"
    if m.kind in (ManeuverKind.CROSS, ManeuverKind.CONTINUE) and not street:
        key += ".nostreet"
    if m.kind is ManeuverKind.ARRIVE and a.get("name"):
        key += ".name"
    streets = book.street_slots(street) if street else {}
    return book.say(key, name=a.get("name") or "", **streets)


def phrase_approaching(
    m: Maneuver, lang: str, opts: PhraseOptions = _DEFAULT, with_action: bool = False
) -> str:
    """Wayfindr orientation: "You are approaching the crossing of X." (+ the action if detailed,
    or ``with_action``: the walker has not heard it yet).

    Landmarks and arrival have no action to repeat: their own phrase is spoken at the point.
    """
    book = phrasebook(lang)
    text = book.say("approaching", target=_target(m, book))
    if (opts.verbosity != "detailed" and not with_action) or m.kind not in _ACTIONS:
        return text
    return _sentences(text, _ACTIONS[m.kind](m, book, opts))


def phrase_position_uncertain(m: Maneuver, lang: str, opts: PhraseOptions = _DEFAULT) -> str:
    """The position is too uncertain to say what to do at ``m``, which is near: slow down (the
    instruction follows as soon as the position allows)."""
    book = phrasebook(lang)
    return book.say("position_uncertain", go=book.say(f"go.{opts.verb}"), target=_target(m, book))


def phrase_reassurance(
    street: str | None,
    remaining_m: float,
    lang: str,
    opts: PhraseOptions = _DEFAULT,
    hedged: bool = False,
) -> str:
    """Reassurance on a long straight run: keep going, on which street, how far is left."""
    book = phrasebook(lang)
    keep = book.say(f"keep.{opts.verb}")
    if opts.verbosity == "brief":
        return f"{keep}."
    to_go = book.say("to_go", distance=_distance(remaining_m, book, "distance", hedged))
    to_go = to_go[0].upper() + to_go[1:]  # a sentence of its own ("About 20 metres to go.")
    return book.say("reassurance", keep=keep, along=_along(book, street), to_go=to_go)


def phrase_off_route(lang: str) -> str:
    """The pedestrian left the route: stop (the safe default) while a new one is planned."""
    return phrasebook(lang).say("off_route")


def phrase_rerouted(first: Maneuver, lang: str, opts: PhraseOptions = _DEFAULT) -> str:
    """A new route was planned: say so, then its first instruction."""
    book = phrasebook(lang)
    return book.say("rerouted", first=_maneuver(first, book, opts, None))


def phrase_location_unavailable(lang: str) -> str:
    """No usable beacon fix: ask the pedestrian to wait rather than guess."""
    return phrasebook(lang).say("location_unavailable")


def phrase_location_still_unavailable(lang: str, opts: PhraseOptions = _DEFAULT) -> str:
    """The position stayed lost after "please wait": waiting no longer helps, so walk on
    slowly along the same path, stopping at the next corner or kerb (never across a street or
    round a corner), until guidance resumes."""
    book = phrasebook(lang)
    return book.say("location_still_unavailable", go=book.say(f"go.{opts.verb}"))


def phrase_route_closed(lang: str) -> str:
    """Said before a new route when the planned one runs into a closure or a removed path."""
    return phrasebook(lang).say("route_closed")


def phrase_session_replaced(lang: str) -> str:
    """Said on a connection another one (with the walk's token) took the walk over from: the
    walker learns that this device stops guiding, and what to do if it was not them."""
    return phrasebook(lang).say("session_replaced")


def phrase_location_regained(lang: str) -> str:
    """Fixes are back after an outage."""
    return phrasebook(lang).say("location_regained")


def phrase_arrived(name: str | None, side: str | None, lang: str) -> str:
    """Arrival with the layout of the destination when known ("It is on your left.")."""
    return _arrive(name, side, phrasebook(lang), None)


def phrase_where_am_i(
    street: str | None, landmark: str | None, ahead: Maneuver | None, lang: str
) -> str:
    """Answer to "where am I": street, nearest landmark, then what comes next."""
    book = phrasebook(lang)
    slots = {"landmark": landmark or "", **(book.street_slots(street) if street else {})}
    if street and landmark:
        key = "where.street_near"
    elif street:
        key = "where.street"
    elif landmark:
        key = "where.only_near"
    else:
        key = "where.unknown"
    here = book.say(key, **slots) + "."
    if ahead is None:
        return here
    return _sentences(here, _maneuver(ahead, book, _DEFAULT, book.say("next")))


def _join(items: Sequence[str], book: Phrasebook) -> str:
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {book.say('and')} {items[-1]}"


def phrase_around_me(quadrants: Mapping[str, Sequence[str]], lang: str) -> str:
    """What is around, clockwise from ahead; empty quadrants are skipped."""
    book = phrasebook(lang)
    unknown = set(quadrants) - set(QUADRANTS)
    if unknown:
        raise ValueError(f"unknown quadrants {sorted(unknown)}; expected {', '.join(QUADRANTS)}")
    parts = [
        book.say(f"around.{q}", items=_join(quadrants[q], book))
        for q in QUADRANTS
        if quadrants.get(q)
    ]
    return " ".join(parts) if parts else book.say("around.nothing")
