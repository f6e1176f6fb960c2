"""Departures as spoken sentences ("Line 105 to Hauptbahnhof in 3 minutes, 2 minutes late."),
and real-time alerts about a line, a trip or a stop, in every language with a phrasebook; the
words are the ``transit.*`` phrases. Pure.

Minutes count to the time the vehicle is *expected* (real time when there is any), as a stop's
display shows them; the delay is said only when the real-time feed gives one. A cancelled trip is
said with its scheduled clock time, so the walker knows which bus will not come.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voice.phrasebook import Phrasebook, phrasebook
from voice.phrases import _join, format_distance  # "A, B and C": one rule for all lists

#: How many departures one answer says; the rest are in the JSON.
SPOKEN = 3


@dataclass(frozen=True, slots=True)
class SpokenAlert:
    """A real-time alert about a departure's line or trip, said once after the first departure
    it concerns."""

    #: The alert's id: one alert about two departures of a line is said once.
    key: str
    #: The feed's header text in the walker's language; None: a generic sentence is said.
    header: str | None
    #: About this trip only (else the whole line).
    trip: bool = False


@dataclass(frozen=True, slots=True)
class SpokenStopAlert:
    """A real-time alert about a stop itself (moved, elevator out of order, reduced service)."""

    #: The GTFS-Realtime effect in lower case: picks the generic sentence without a header.
    effect: str
    #: The feed's header text in the walker's language; None: a generic sentence is said.
    header: str | None


#: Effects with a sentence of their own when the feed gives no header in the walker's language.
_STOP_EFFECTS = frozenset({"no_service", "reduced_service", "significant_delays", "stop_moved",
                           "accessibility_issue"})


@dataclass(frozen=True, slots=True)
class SpokenDeparture:
    line: str
    headsign: str
    platform: str | None
    #: Whole minutes until it leaves (as expected now).
    minutes: int
    #: Whole minutes late (negative: early); None without a real-time prediction.
    delay_min: int | None
    cancelled: bool
    #: Scheduled local clock time, "8:05", for a cancellation.
    clock: str
    alerts: tuple[SpokenAlert, ...] = ()


def _when(book: Phrasebook, minutes: int) -> str:
    if minutes <= 0:
        return book.say("transit.when.now")
    return book.say("transit.when.one") if minutes == 1 else book.say("transit.when.many",
                                                                       n=minutes)


def _delay(book: Phrasebook, delay_min: int | None) -> str:
    if delay_min is None:
        return ""
    if delay_min == 0:
        return book.say("transit.delay.on_time")
    kind = "late" if delay_min > 0 else "early"
    n = abs(delay_min)
    return book.say(f"transit.delay.{kind}_one") if n == 1 else book.say(f"transit.delay.{kind}",
                                                                         n=n)


def phrase_departure(d: SpokenDeparture, lang: str) -> str:
    book = phrasebook(lang)
    if d.cancelled:
        return book.say("transit.cancelled", line=d.line, headsign=d.headsign, time=d.clock)
    platform = book.say("transit.platform", platform=d.platform) if d.platform else ""
    return book.say("transit.departure", line=d.line, headsign=d.headsign, platform=platform,
                    when=_when(book, d.minutes), delay=_delay(book, d.delay_min))


def phrase_alert(d: SpokenDeparture, alert: SpokenAlert, lang: str) -> str:
    """"Line 105: HEADER." with the feed's header, else a generic sentence; a trip's alert
    names the trip by its scheduled time."""
    book = phrasebook(lang)
    subject = (book.say("transit.alert.trip", line=d.line, headsign=d.headsign, time=d.clock)
               if alert.trip else book.say("transit.alert.line", line=d.line))
    header = " ".join((alert.header or "").split())
    if not header:
        return book.say("transit.alert.generic", subject=subject)
    return book.say("transit.alert", subject=subject, text=_sentence(header))


def _sentence(text: str) -> str:
    return text if text[-1] in ".!?" else f"{text}."


def phrase_stop_alert(stop_name: str, alert: SpokenStopAlert, lang: str) -> str:
    """"Stop Post: HEADER." with the feed's header, else a sentence for the alert's effect
    ("Stop Post: an elevator or ramp is out of order.")."""
    book = phrasebook(lang)
    header = " ".join((alert.header or "").split())
    if header:
        return book.say("transit.stop_alert", name=stop_name, text=_sentence(header))
    effect = alert.effect if alert.effect in _STOP_EFFECTS else "other"
    return book.say(f"transit.stop_alert.{effect}", name=stop_name)


def _alerts_said(d: SpokenDeparture, said: set[str], lang: str) -> list[str]:
    """The departure's alerts not yet said in this answer; a generic sentence about a trip
    already said as cancelled would only repeat it."""
    out = []
    for a in d.alerts:
        if a.key in said or (d.cancelled and a.trip and not a.header):
            continue
        said.add(a.key)
        out.append(phrase_alert(d, a, lang))
    return out


def phrase_departures(stop_name: str | None, departures: Sequence[SpokenDeparture],
                      horizon_min: int, lang: str,
                      stop_alerts: Sequence[SpokenStopAlert] = ()) -> str:
    """The stop and the alerts about it, then its next :data:`SPOKEN` departures, each followed
    by the alerts about its line or trip not yet said, or that nothing leaves soon."""
    book = phrasebook(lang)
    parts = [book.say("transit.from", name=stop_name)] if stop_name else []
    parts += [phrase_stop_alert(stop_name or "", a, lang) for a in stop_alerts]
    said: set[str] = set()
    if departures:
        for d in departures[:SPOKEN]:
            parts += [phrase_departure(d, lang), *_alerts_said(d, said, lang)]
    else:
        parts.append(book.say("transit.none", n=horizon_min))
    return " ".join(parts)


def phrase_no_timetable(lang: str) -> str:
    return phrasebook(lang).say("transit.no_timetable")


def phrase_boarding(name: str, platform: str | None, line: str, headsign: str, lang: str) -> str:
    """On arrival at the boarding point (Wayfindr's transit advice: name the stop, the platform
    and the direction, say where to wait and what to listen for)."""
    book = phrasebook(lang)
    where = book.say("transit.platform", platform=platform) if platform else ""
    return " ".join((book.say("transit.boarding", name=name, platform=where, line=line,
                              headsign=headsign),
                     book.say("transit.boarding.wait", line=line, headsign=headsign)))


@dataclass(frozen=True, slots=True)
class NearbyStop:
    name: str
    platform: str | None
    distance_m: float
    lines: tuple[str, ...]


def phrase_nearby_stops(stops: Sequence[NearbyStop], lang: str) -> str:
    """For "where am I" and "around me": each nearby stop, how far, and its lines."""
    book = phrasebook(lang)
    parts = []
    for s in stops:
        lines = (book.say("transit.near.line", line=s.lines[0]) if len(s.lines) == 1
                 else book.say("transit.near.lines", items=_join(s.lines, book)))
        platform = book.say("transit.near.platform", platform=s.platform) if s.platform else ""
        parts.append(book.say("transit.near", name=s.name, platform=platform,
                              distance=format_distance(s.distance_m, lang), items=lines))
    return " ".join(parts)
