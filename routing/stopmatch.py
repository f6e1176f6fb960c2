"""Matching a timetable's stops to the stops and platforms of the map (pure).

A GTFS stop and the OSM stop it means rarely share an id, and their coordinates differ by a few
metres (different surveys), which is as far apart as the two poles of a pair across the street.
Codes decide before positions do, so the rules, in order:

1. ``ref``: the nearest map stop whose OSM ``ref`` is the stop's ``stop_code`` (the code
   printed on the pole), within :data:`SAME_NAME_M`;
2. pole letter: the nearest map stop of the same name whose ``local_ref`` (or ``ref``, where
   the mappers put the letter there) is the stop's ``platform_code``, within :data:`SAME_NAME_M`;
3. name: the nearest map stop with the same name (case and umlauts folded) within
   :data:`SAME_NAME_M`, which finds the right pole of a pair because the nearer one wins;
4. distance: the nearest map stop of any name within :data:`ANY_NAME_M` (a feed that names
   stops differently from OSM).

Anything further is unmatched and reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from routing.geo import haversine_m
from routing.model import PlaceKind, PlaceRecord
from routing.places import fold_name

SAME_NAME_M = 150.0
ANY_NAME_M = 30.0


@dataclass(frozen=True, slots=True)
class StopToMatch:
    key: str
    name: str
    lat: float
    lon: float
    #: GTFS ``stop_code`` and ``platform_code``; None when the feed leaves them empty.
    code: str | None = None
    platform: str | None = None


@dataclass(frozen=True, slots=True)
class StopMatch:
    place_id: int
    #: Which rule matched: "ref", "platform", "name" or "distance".
    by: str


def _same_code(a: str | None, b: str | None) -> bool:
    return bool(a and b) and fold_name(a or "") == fold_name(b or "")


def _rules(stop: StopToMatch) -> tuple[tuple[str, float, Callable[[PlaceRecord], bool]], ...]:
    folded = fold_name(stop.name)

    def same_name(p: PlaceRecord) -> bool:
        return fold_name(p.name) == folded

    return (
        ("ref", SAME_NAME_M, lambda p: _same_code(stop.code, p.ref)),
        ("platform", SAME_NAME_M, lambda p: same_name(p) and (
            _same_code(stop.platform, p.local_ref) or _same_code(stop.platform, p.ref))),
        ("name", SAME_NAME_M, same_name),
        ("distance", ANY_NAME_M, lambda p: True),
    )


def match_stops(stops: Iterable[StopToMatch], places: Sequence[PlaceRecord]
                ) -> dict[str, StopMatch]:
    """``{stop key: match}`` for every stop that matches a map stop by the rules above."""
    map_stops = [p for p in places if p.kind == PlaceKind.STOP]
    matched: dict[str, StopMatch] = {}
    for stop in stops:
        dist = ((haversine_m(stop.lat, stop.lon, p.lat, p.lon), p.id, p) for p in map_stops)
        near = sorted(n for n in dist if n[0] <= SAME_NAME_M)
        for by, limit_m, fits in _rules(stop):
            best = next((p for d, _, p in near if d <= limit_m and fits(p)), None)
            if best is not None:
                matched[stop.key] = StopMatch(best.id, by)
                break
    return matched
