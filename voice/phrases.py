"""Maneuvers and live-guidance events as short spoken sentences (German and English).

Pure functions, no I/O. The wording follows the Wayfindr open standard (ITU-T F.921): every
instruction starts with its verb ("Turn left", "Biegen Sie links ab"), names the decision point
(street, crossing, steps, landmark) and says the safety-relevant facts (signal type, step count,
tactile paving). German uses the polite imperative so the verb comes first; an announcement ahead
puts the distance in front ("In 10 Metern biegen Sie ...").

Distances are spoken in whole metres: to the nearest metre below 20 m, to the nearest 5 m from
20 m on (halves round up), never below 1 m; from a kilometre on, in kilometres to the nearest
100 m ("1,5 Kilometer", "1.5 kilometres").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from routing.model import Maneuver, ManeuverKind

SUPPORTED_LANGS = ("de", "en")
QUADRANTS = ("ahead", "right", "behind", "left")

Verbosity = Literal["brief", "normal", "detailed"]
Verb = Literal["walk", "move"]


class UnsupportedLanguage(ValueError):
    """A language other than :data:`SUPPORTED_LANGS`; the message lists the supported ones."""

    def __init__(self, lang: str) -> None:
        super().__init__(f"unsupported language {lang!r}; supported: {', '.join(SUPPORTED_LANGS)}")
        self.lang = lang


@dataclass(frozen=True, slots=True)
class PhraseOptions:
    """Listener preferences: how much to say, clock-face turns, "move" instead of "walk"."""

    verbosity: Verbosity = "normal"
    clock_face: bool = False
    verb: Verb = "walk"


_DEFAULT = PhraseOptions()

# --- words and templates, one table per language -------------------------------------------

_T: dict[str, dict[str, str]] = {
    "en": {
        "go.walk": "Walk",
        "go.move": "Move",
        "keep.walk": "Keep walking",
        "keep.move": "Keep moving",
        "lead.join": "{lead}, {sentence}",
        "next": "Next",
        "depart": "{go}{heading}{along}.",
        "depart.heading": " {compass}",
        "depart.none": " straight ahead",
        "along": " along {street}",
        "continue": "{go} straight ahead{along}{length}.",
        "continue.length": " for {distance}",
        "turn": "Turn {direction}{onto}.",
        "turn.uturn": "Turn around.",
        "turn.onto": " onto {street}",
        "turn.clock": "to your {clock} o'clock",
        "dir.left": "left",
        "dir.right": "right",
        "severity.slight": "slightly {dir}",
        "severity.sharp": "sharp {dir}",
        "cross": "Cross {street}{signal}.",
        "cross.street": "{street}",
        "cross.nostreet": "the street",
        "signal.acoustic": " at the traffic light with sound signal",
        "signal.vibrating": " at the traffic light with vibration signal",
        "signal.acoustic_vibrating": " at the traffic light with sound and vibration signal",
        "signal.visual": " at the traffic light without sound signal",
        "signal.none": ". There is no traffic light; listen for traffic",
        "cross.tactile": "Tactile paving leads to the crossing.",
        "cross.island": "There is a traffic island halfway.",
        "cross.length": "The crossing is {distance} long.",
        "kerb.lowered": "The kerb is lowered.",
        "kerb.raised": "The kerb is raised.",
        "kerb.flush": "There is no kerb edge.",
        "kerb.no": "There is no kerb edge.",
        "kerb.rolled": "The kerb is rounded.",
        "steps.up": "Go up {steps}.",
        "steps.down": "Go down {steps}.",
        "steps.count": "{count} steps",
        "steps.one": "1 step",
        "steps.nocount": "the stairs",
        "steps.unknown": "Take the stairs{count}.",
        "steps.unknown.count": ", {steps}",
        "handrail.yes": "There is a handrail.",
        "handrail.no": "There is no handrail.",
        "side.left": "on your left",
        "side.right": "on your right",
        "side.ahead": "straight ahead of you",
        "landmark.side": "{keep}. {name} is {side}.",
        "landmark.pass": "{keep}, passing {name}.",
        "landmark.side.ahead": "{lead}, {name} will be {side}.",
        "landmark.pass.ahead": "{lead}, you pass {name}.",
        "arrive.name": "You have arrived at {name}.",
        "arrive.none": "You have arrived.",
        "arrive.name.ahead": "{lead}, you will arrive at {name}.",
        "arrive.none.ahead": "{lead}, you will arrive at your destination.",
        "arrive.side": "It is {side}.",
        "approaching": "You are approaching {target}.",
        "to_go": "{distance} to go.",
        "reassurance": "{keep}{along}. {to_go}",
        "off_route": "You have left the route. Please stop while a new route is found.",
        "rerouted": "New route. {first}",
        "location_unavailable": "Location unavailable. Please wait where you are.",
        "location_regained": "Location found again. Guidance continues.",
        "route_closed": "The way ahead is closed.",
        "where.street": "You are on {street}",
        "where.street_near": "You are on {street}, near {landmark}",
        "where.only_near": "You are near {landmark}",
        "where.unknown": "You are on your route",
        "around.ahead": "Ahead: {items}.",
        "around.right": "On your right: {items}.",
        "around.behind": "Behind you: {items}.",
        "around.left": "On your left: {items}.",
        "around.nothing": "Nothing is mapped nearby.",
        "and": "and",
        "target.turn": "the turn{onto}",
        "target.cross": "the crossing of {street}",
        "target.cross.nostreet": "the crossing",
        "target.steps": "the steps",
        "target.continue": "{street}",
        "target.continue.nostreet": "the next waypoint",
        "target.depart": "the starting point",
        "target.arrive": "your destination",
        "target.arrive.name": "your destination, {name}",
    },
    "de": {
        "go.walk": "Gehen Sie",
        "go.move": "Bewegen Sie sich",
        "keep.walk": "Gehen Sie weiter",
        "keep.move": "Bewegen Sie sich weiter",
        "lead.join": "{lead} {sentence}",
        "next": "Als Nächstes",
        "depart": "{go}{heading}{along}.",
        "depart.heading": " Richtung {compass}",
        "depart.none": " geradeaus",
        "along": " auf {street_dat}",
        "continue": "{go}{along}{length} geradeaus.",
        "continue.length": " {distance}",
        "turn": "Biegen Sie {direction}{onto} ab.",
        "turn.uturn": "Kehren Sie um.",
        "turn.onto": " in {street_acc}",
        "turn.clock": "Richtung {clock} Uhr",
        "dir.left": "links",
        "dir.right": "rechts",
        "severity.slight": "leicht {dir}",
        "severity.sharp": "scharf {dir}",
        "cross": "Überqueren Sie {street}{signal}.",
        "cross.street": "{street_acc}",
        "cross.nostreet": "die Straße",
        "signal.acoustic": " an der Ampel mit Signalton",
        "signal.vibrating": " an der Ampel mit Vibrationssignal",
        "signal.acoustic_vibrating": " an der Ampel mit Signalton und Vibrationssignal",
        "signal.visual": " an der Ampel ohne Signalton",
        "signal.none": ". Es gibt keine Ampel, achten Sie auf den Verkehr",
        "cross.tactile": "Ein Bodenleitsystem führt zum Überweg.",
        "cross.island": "In der Mitte ist eine Verkehrsinsel.",
        "cross.length": "Der Überweg ist {distance} lang.",
        "kerb.lowered": "Der Bordstein ist abgesenkt.",
        "kerb.raised": "Der Bordstein ist hoch.",
        "kerb.flush": "Es gibt keine Bordsteinkante.",
        "kerb.no": "Es gibt keine Bordsteinkante.",
        "kerb.rolled": "Der Bordstein ist abgerundet.",
        "steps.up": "Gehen Sie {steps} hinauf.",
        "steps.down": "Gehen Sie {steps} hinunter.",
        "steps.count": "{count} Stufen",
        "steps.one": "eine Stufe",
        "steps.nocount": "die Treppe",
        "steps.unknown": "Nehmen Sie die Treppe{count}.",
        "steps.unknown.count": ", {steps}",
        "handrail.yes": "Es gibt einen Handlauf.",
        "handrail.no": "Es gibt keinen Handlauf.",
        "side.left": "links von Ihnen",
        "side.right": "rechts von Ihnen",
        "side.ahead": "direkt vor Ihnen",
        "landmark.side": "{keep}. {name} ist {side}.",
        "landmark.pass": "{keep}, vorbei an {name}.",
        "landmark.side.ahead": "{lead} ist {name} {side}.",
        "landmark.pass.ahead": "{lead} passieren Sie {name}.",
        # the name as an apposition: German names would need an article we cannot know
        "arrive.name": "Sie haben Ihr Ziel erreicht: {name}.",
        "arrive.none": "Sie haben Ihr Ziel erreicht.",
        "arrive.name.ahead": "{lead} erreichen Sie Ihr Ziel, {name}.",
        "arrive.none.ahead": "{lead} erreichen Sie Ihr Ziel.",
        "arrive.side": "Es ist {side}.",
        "approaching": "Sie nähern sich {target}.",
        "to_go": "Noch {distance}.",
        "reassurance": "{keep}{along}. {to_go}",
        "off_route": (
            "Sie haben die Route verlassen. Bitte bleiben Sie stehen, "
            "eine neue Route wird berechnet."
        ),
        "rerouted": "Neue Route. {first}",
        "location_unavailable": "Standort nicht verfügbar. Bitte warten Sie, wo Sie sind.",
        "location_regained": "Standort wieder verfügbar. Die Führung geht weiter.",
        "route_closed": "Der Weg vor Ihnen ist gesperrt.",
        "where.street": "Sie sind auf {street_dat}",
        "where.street_near": "Sie sind auf {street_dat}, in der Nähe von {landmark}",
        "where.only_near": "Sie sind in der Nähe von {landmark}",
        "where.unknown": "Sie sind auf Ihrer Route",
        "around.ahead": "Vor Ihnen: {items}.",
        "around.right": "Rechts von Ihnen: {items}.",
        "around.behind": "Hinter Ihnen: {items}.",
        "around.left": "Links von Ihnen: {items}.",
        "around.nothing": "In der Nähe ist nichts verzeichnet.",
        "and": "und",
    },
}

_COMPASS = {
    "en": ("north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest"),
    "de": (
        "Norden",
        "Nordosten",
        "Osten",
        "Südosten",
        "Süden",
        "Südwesten",
        "Westen",
        "Nordwesten",
    ),
}

# --- German street names: article and case from the name's last word -----------------------

_DE_ARTICLE = {
    "acc": {"f": "die", "m": "den", "n": "das"},
    "dat": {"f": "der", "m": "dem", "n": "dem"},
}
_DE_SUFFIX_GENDER = (  # checked in order: "steige" (f) before "steig" (m)
    ("f", ("straße", "strasse", "gasse", "allee", "promenade", "brücke", "chaussee", "steige")),
    ("m", ("weg", "platz", "ring", "damm", "steig", "pfad", "markt", "graben", "wall", "hof")),
    ("n", ("ufer",)),
)
_DE_LEADING_PREPOSITIONS = frozenset(
    {"am", "an", "auf", "bei", "beim", "hinter", "im", "in", "über", "unter", "vor", "zum", "zur"}
)


def _de_gender(name: str) -> str | None:
    """Grammatical gender of a street name, or None when it cannot take an article ("Am Hof")."""
    words = name.lower().split()
    if not words or words[0] in _DE_LEADING_PREPOSITIONS:
        return None
    for gender, suffixes in _DE_SUFFIX_GENDER:
        if words[-1].endswith(suffixes):
            return gender
    return None


def _de_noun(case: str, gender: str | None, noun: str) -> str:
    """``noun`` with its article in ``case``; article-less names become "Straße <name>"."""
    if gender is None:
        gender, noun = "f", f"Straße {noun}"
    return f"{_DE_ARTICLE[case][gender]} {noun}"


def _street_slots(street: str) -> dict[str, str]:
    """Every form of a street name the templates may ask for."""
    gender = _de_gender(street)
    return {
        "street": street,
        "street_acc": _de_noun("acc", gender, street),
        "street_dat": _de_noun("dat", gender, street),
    }


# --- numbers ---------------------------------------------------------------------------------


def round_distance_m(distance_m: float) -> int:
    """Whole metres as spoken: 1 m steps below 20 m, 5 m steps from 20 m, at least 1."""
    if not math.isfinite(distance_m):
        raise ValueError(f"distance must be finite, got {distance_m}")
    step = 1 if distance_m < 20 else 5
    return max(1, step * math.floor(distance_m / step + 0.5))


#: (language, said ahead) -> one metre, n metres, one kilometre, n kilometres
_DISTANCE_FORMS = {
    ("de", False): ("ein Meter", "{n} Meter", "ein Kilometer", "{n} Kilometer"),
    ("de", True): ("In einem Meter", "In {n} Metern", "In einem Kilometer", "In {n} Kilometern"),
    ("en", False): ("1 metre", "{n} metres", "1 kilometre", "{n} kilometres"),
    ("en", True): ("In 1 metre", "In {n} metres", "In 1 kilometre", "In {n} kilometres"),
}


def format_distance(distance_m: float, lang: str) -> str:
    """A distance as spoken on its own: "10 Meter", "ein Meter", "10 metres", "1 metre",
    "1,5 Kilometer", "1.5 kilometres"."""
    return _distance(distance_m, lang, ahead=False)


def format_in_distance(distance_m: float, lang: str) -> str:
    """A distance ahead, capitalised: "In 10 Metern", "In einem Meter", "In 10 metres",
    "In 1,5 Kilometern", "In 1.5 kilometres"."""
    return _distance(distance_m, lang, ahead=True)


def _distance(distance_m: float, lang: str, ahead: bool) -> str:
    one_m, many_m, one_km, many_km = _DISTANCE_FORMS[(_check(lang), ahead)]
    km = _kilometres(distance_m, lang)
    if km is not None:
        return one_km if km == "1" else many_km.format(n=km)
    n = round_distance_m(distance_m)
    return one_m if n == 1 else many_m.format(n=n)


def _kilometres(distance_m: float, lang: str) -> str | None:
    """Kilometres to the nearest 100 m as written in ``lang`` ("1,5" / "1.5", "2"), or None
    below a kilometre (said in metres)."""
    if round_distance_m(distance_m) < 1000:
        return None
    tenths = math.floor(distance_m / 100 + 0.5)
    text = str(tenths // 10) if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"
    return text.replace(".", ",") if lang == "de" else text


# --- maneuvers -------------------------------------------------------------------------------


def _check(lang: str) -> str:
    if lang not in SUPPORTED_LANGS:
        raise UnsupportedLanguage(lang)
    return lang


def _say(lang: str, key: str, **slots: str) -> str:
    return _T[lang][key].format(**slots)


def _along(lang: str, street: str | None) -> str:
    return _say(lang, "along", **_street_slots(street)) if street else ""


def _lead(lang: str, lead: str, sentence: str) -> str:
    """Put ``lead`` ("In 10 metres", "Next") before a verb-first sentence."""
    return _say(lang, "lead.join", lead=lead, sentence=sentence[0].lower() + sentence[1:])


def _sentences(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _depart(m: Maneuver, lang: str, opts: PhraseOptions) -> str:
    heading = m.attributes.get("heading_deg")
    street = m.attributes.get("street") if opts.verbosity != "brief" else None
    compass = ""
    if heading is not None:
        compass = _say(lang, "depart.heading", compass=_COMPASS[lang][round(heading / 45) % 8])
    along = _along(lang, street)
    if not compass and not along:
        compass = _say(lang, "depart.none")
    return _say(lang, "depart", go=_say(lang, f"go.{opts.verb}"), heading=compass, along=along)


def _continue(m: Maneuver, lang: str, opts: PhraseOptions) -> str:
    brief = opts.verbosity == "brief"
    length_m = m.attributes.get("length_m")
    length = ""
    if length_m and not brief:
        length = _say(lang, "continue.length", distance=format_distance(length_m, lang))
    along = "" if brief else _along(lang, m.attributes.get("street"))
    return _say(lang, "continue", go=_say(lang, f"go.{opts.verb}"), along=along, length=length)


def _turn(m: Maneuver, lang: str, opts: PhraseOptions) -> str:
    severity = m.attributes.get("severity", "normal")
    if severity == "uturn":
        return _say(lang, "turn.uturn")
    clock = m.attributes.get("clock")
    if opts.clock_face and clock:
        direction = _say(lang, "turn.clock", clock=str(clock))
    else:
        direction = _say(lang, f"dir.{m.attributes['direction']}")
        if severity in ("slight", "sharp"):
            direction = _say(lang, f"severity.{severity}", dir=direction)
    street = m.attributes.get("street")
    onto = _say(lang, "turn.onto", **_street_slots(street)) if street else ""
    return _say(lang, "turn", direction=direction, onto="" if opts.verbosity == "brief" else onto)


def _cross(m: Maneuver, lang: str, opts: PhraseOptions) -> str:
    a = m.attributes
    street = a.get("street")
    target = _say(lang, "cross.street", **_street_slots(street)) if street else None
    signal_key = f"signal.{a.get('signal')}"
    signal = _say(lang, signal_key) if signal_key in _T[lang] else ""
    main = _say(lang, "cross", street=target or _say(lang, "cross.nostreet"), signal=signal)
    if opts.verbosity == "brief":
        return main
    extras = [
        _say(lang, "cross.tactile") if a.get("tactile_paving") else "",
        _say(lang, "cross.island") if a.get("island") else "",
    ]
    if opts.verbosity == "detailed":
        length_m = a.get("length_m")
        kerb_key = f"kerb.{a.get('kerb')}"
        extras += [
            _say(lang, "cross.length", distance=format_distance(length_m, lang))
            if length_m
            else "",
            _say(lang, kerb_key) if kerb_key in _T[lang] else "",
        ]
    return _sentences(main, *extras)


def _steps(m: Maneuver, lang: str, opts: PhraseOptions) -> str:
    a = m.attributes
    count = a.get("count")
    if count is None:
        steps = _say(lang, "steps.nocount")
    else:
        steps = _say(lang, "steps.one") if count == 1 else _say(lang, "steps.count", count=count)
    direction = a.get("direction")
    if direction in ("up", "down"):
        main = _say(lang, f"steps.{direction}", steps=steps)
    else:
        counted = _say(lang, "steps.unknown.count", steps=steps) if count is not None else ""
        main = _say(lang, "steps.unknown", count=counted)
    handrail = a.get("handrail")
    if opts.verbosity != "detailed" or handrail is None:
        return main
    return _sentences(main, _say(lang, "handrail.yes" if handrail else "handrail.no"))


def _landmark(m: Maneuver, lang: str, opts: PhraseOptions, lead: str | None) -> str:
    side = m.attributes.get("side")
    key = "landmark.side" if side in ("left", "right") else "landmark.pass"
    return _say(
        lang,
        f"{key}.ahead" if lead else key,
        lead=lead or "",
        keep=_say(lang, f"keep.{opts.verb}"),
        name=m.attributes["name"],
        side=_say(lang, f"side.{side}") if side in ("left", "right") else "",
    )


def _arrive(name: str | None, side: str | None, lang: str, lead: str | None) -> str:
    key = "arrive.name" if name else "arrive.none"
    main = _say(lang, f"{key}.ahead" if lead else key, lead=lead or "", name=name or "")
    if side not in ("left", "right", "ahead"):
        return main
    return _sentences(main, _say(lang, "arrive.side", side=_say(lang, f"side.{side}")))


_ACTIONS: dict[ManeuverKind, Callable[[Maneuver, str, PhraseOptions], str]] = {
    ManeuverKind.DEPART: _depart,
    ManeuverKind.CONTINUE: _continue,
    ManeuverKind.TURN: _turn,
    ManeuverKind.CROSS: _cross,
    ManeuverKind.STEPS: _steps,
}


def _maneuver(m: Maneuver, lang: str, opts: PhraseOptions, lead: str | None) -> str:
    """The maneuver's sentence(s), with ``lead`` ("In 10 metres", "Next") in front if given."""
    if m.kind is ManeuverKind.LANDMARK:
        return _landmark(m, lang, opts, lead)
    if m.kind is ManeuverKind.ARRIVE:
        return _arrive(m.attributes.get("name"), m.attributes.get("side"), lang, lead)
    text = _ACTIONS[m.kind](m, lang, opts)
    return _lead(lang, lead, text) if lead else text


def phrase_maneuver(
    m: Maneuver, lang: str, opts: PhraseOptions = _DEFAULT, distance_m: float | None = None
) -> str:
    """The instruction for ``m``: at the point (``distance_m`` None) or announced ahead."""
    _check(lang)
    lead = None if distance_m is None else format_in_distance(distance_m, lang)
    return _maneuver(m, lang, opts, lead)


# --- live guidance ---------------------------------------------------------------------------


def _target(m: Maneuver, lang: str) -> dict[str, str]:
    """The decision point ``m`` happens at, as a noun phrase ("the crossing of X")."""
    a = m.attributes
    street = a.get("street")
    if lang == "en":
        if m.kind is ManeuverKind.TURN:
            onto = _say(lang, "turn.onto", street=street) if street else ""
            return {"target": _say(lang, "target.turn", onto=onto)}
        if m.kind is ManeuverKind.LANDMARK:
            return {"target": a["name"]}
        key = f"target.{m.kind.value}"
        if m.kind in (ManeuverKind.CROSS, ManeuverKind.CONTINUE) and not street:
            key += ".nostreet"
        if m.kind is ManeuverKind.ARRIVE and a.get("name"):
            key += ".name"
        return {"target": _say(lang, key, street=street or "", name=a.get("name") or "")}
    return _de_target(m)


def _de_target(m: Maneuver) -> dict[str, str]:
    """German decision points in the dative ("der Abzweigung", "dem Überweg")."""
    a = m.attributes
    street = a.get("street")
    gender: str | None
    if m.kind is ManeuverKind.LANDMARK:
        gender, noun = None, a["name"]
    elif m.kind is ManeuverKind.ARRIVE:
        gender, noun = None, "Ihrem Ziel" + (f", {a['name']}" if a.get("name") else "")
    elif m.kind is ManeuverKind.CONTINUE and street:
        gender, noun = _de_gender(street), street
        if gender is None:
            gender, noun = "f", f"Straße {street}"
    else:
        gender, noun = {
            ManeuverKind.TURN: ("f", "Abzweigung"),
            ManeuverKind.CROSS: ("m", "Überweg"),
            ManeuverKind.STEPS: ("f", "Treppe"),
            ManeuverKind.CONTINUE: ("m", "nächsten Wegpunkt"),
            ManeuverKind.DEPART: ("m", "Startpunkt"),
        }[m.kind]
        if street and m.kind is ManeuverKind.TURN:
            noun += " in " + _street_slots(street)["street_acc"]
        elif street and m.kind is ManeuverKind.CROSS:
            noun += " über " + _street_slots(street)["street_acc"]
    return {"target": noun if gender is None else _de_noun("dat", gender, noun)}


def phrase_approaching(m: Maneuver, lang: str, opts: PhraseOptions = _DEFAULT) -> str:
    """Wayfindr orientation: "You are approaching the crossing of X." (+ the action if detailed).

    Landmarks and arrival have no action to repeat: their own phrase is spoken at the point.
    """
    text = _say(_check(lang), "approaching", **_target(m, lang))
    if opts.verbosity != "detailed" or m.kind not in _ACTIONS:
        return text
    return _sentences(text, _ACTIONS[m.kind](m, lang, opts))


def phrase_reassurance(
    street: str | None, remaining_m: float, lang: str, opts: PhraseOptions = _DEFAULT
) -> str:
    """Reassurance on a long straight run: keep going, on which street, how far is left."""
    keep = _say(_check(lang), f"keep.{opts.verb}")
    if opts.verbosity == "brief":
        return f"{keep}."
    to_go = _say(lang, "to_go", distance=format_distance(remaining_m, lang))
    return _say(lang, "reassurance", keep=keep, along=_along(lang, street), to_go=to_go)


def phrase_off_route(lang: str) -> str:
    """The pedestrian left the route: stop (the safe default) while a new one is planned."""
    return _say(_check(lang), "off_route")


def phrase_rerouted(first: Maneuver, lang: str, opts: PhraseOptions = _DEFAULT) -> str:
    """A new route was planned: say so, then its first instruction."""
    return _say(_check(lang), "rerouted", first=_maneuver(first, lang, opts, None))


def phrase_location_unavailable(lang: str) -> str:
    """No usable beacon fix: ask the pedestrian to wait rather than guess."""
    return _say(_check(lang), "location_unavailable")


def phrase_route_closed(lang: str) -> str:
    """Said before a new route when the planned one runs into a closure or a removed path."""
    return _say(_check(lang), "route_closed")


def phrase_location_regained(lang: str) -> str:
    """Fixes are back after an outage."""
    return _say(_check(lang), "location_regained")


def phrase_arrived(name: str | None, side: str | None, lang: str) -> str:
    """Arrival with the layout of the destination when known ("It is on your left.")."""
    return _arrive(name, side, _check(lang), None)


def phrase_where_am_i(
    street: str | None, landmark: str | None, ahead: Maneuver | None, lang: str
) -> str:
    """Answer to "where am I": street, nearest landmark, then what comes next."""
    _check(lang)
    slots = {"landmark": landmark or "", **(_street_slots(street) if street else {})}
    if street and landmark:
        key = "where.street_near"
    elif street:
        key = "where.street"
    elif landmark:
        key = "where.only_near"
    else:
        key = "where.unknown"
    here = _say(lang, key, **slots) + "."
    if ahead is None:
        return here
    return _sentences(here, _maneuver(ahead, lang, _DEFAULT, _say(lang, "next")))


def _join(items: Sequence[str], lang: str) -> str:
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {_say(lang, 'and')} {items[-1]}"


def phrase_around_me(quadrants: Mapping[str, Sequence[str]], lang: str) -> str:
    """What is around, clockwise from ahead; empty quadrants are skipped."""
    _check(lang)
    unknown = set(quadrants) - set(QUADRANTS)
    if unknown:
        raise ValueError(f"unknown quadrants {sorted(unknown)}; expected {', '.join(QUADRANTS)}")
    parts = [
        _say(lang, f"around.{q}", items=_join(quadrants[q], lang))
        for q in QUADRANTS
        if quadrants.get(q)
    ]
    return " ".join(parts) if parts else _say(lang, "around.nothing")
