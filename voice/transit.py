"""Departures as spoken sentences ("Line 105 to Hauptbahnhof in 3 minutes, 2 minutes late."),
in every language with a phrasebook; the words are the ``transit.*`` phrases. Pure.

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


def phrase_departures(stop_name: str | None, departures: Sequence[SpokenDeparture],
                      horizon_min: int, lang: str) -> str:
    """The stop, then its next :data:`SPOKEN` departures, or that nothing leaves soon."""
    book = phrasebook(lang)
    parts = [book.say("transit.from", name=stop_name)] if stop_name else []
    if departures:
        parts += [phrase_departure(d, lang) for d in departures[:SPOKEN]]
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
