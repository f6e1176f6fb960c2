"""Matching a timetable's stops to the stops and platforms of the map (pure).

A GTFS stop and the OSM stop it means rarely share an id, and their coordinates differ by a few
metres (different surveys). Two rules, in order: the nearest map stop with the same name (case
and umlauts folded) within :data:`SAME_NAME_M`, which finds the right pole of a pair across the
street because the pair shares the name and the nearer one wins; else the nearest map stop of
any name within :data:`ANY_NAME_M` (a feed that names stops differently from OSM). Anything
further is unmatched and reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


def match_stops(stops: Iterable[StopToMatch], places: Sequence[PlaceRecord]) -> dict[str, int]:
    """``{stop key: place id}`` for every stop that matches a map stop by the rules above."""
    map_stops = [p for p in places if p.kind == PlaceKind.STOP]
    matched: dict[str, int] = {}
    for stop in stops:
        folded = fold_name(stop.name)
        best: tuple[float, int] | None = None
        for place in map_stops:
            limit = SAME_NAME_M if fold_name(place.name) == folded else ANY_NAME_M
            d = haversine_m(stop.lat, stop.lon, place.lat, place.lon)
            if d > limit:
                continue
            # same name first, then distance
            rank = d if limit == SAME_NAME_M else d + SAME_NAME_M
            if best is None or rank < best[0]:
                best = (rank, place.id)
        if best is not None:
            matched[stop.key] = best[1]
    return matched
