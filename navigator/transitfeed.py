"""A GTFS feed as Blind Pilot stores it: plain rows with small integer ids, and what the import
found wrong with it. Pure data, no I/O (the reader is :mod:`navigator.transitimport`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class StopRow(NamedTuple):
    id: int
    gtfs_id: str
    name: str
    lat: float
    lon: float
    location_type: int
    parent_id: int | None
    platform_code: str | None
    wheelchair: int
    place_id: int | None
    #: GTFS ``stop_code``: the code riders see on the pole (None: the feed has none).
    code: str | None = None


class RouteRow(NamedTuple):
    id: int
    gtfs_id: str
    short_name: str
    long_name: str
    route_type: int


class ServiceRow(NamedTuple):
    id: int
    gtfs_id: str
    weekdays: int  # bit 0 Monday … bit 6 Sunday
    start_date: int | None
    end_date: int | None


class ServiceDateRow(NamedTuple):
    service_id: int
    date: int
    added: bool


class TripRow(NamedTuple):
    id: int
    gtfs_id: str
    route_id: int
    service_id: int
    headsign: str
    direction_id: int | None
    wheelchair: int


class StopTimeRow(NamedTuple):
    """Named tuples, not dataclasses: a feed has hundreds of thousands of these."""

    trip_id: int
    seq: int
    stop_id: int
    arrival_s: int
    departure_s: int
    boards: bool


class DepartureRow(NamedTuple):
    """One boardable departure at a stop as stored: its time counts from its service day."""

    departure_s: int
    service_id: int
    trip_gtfs_id: str
    headsign: str
    trip_wheelchair: int
    line: str
    route_type: int
    stop_gtfs_id: str
    platform_code: str | None
    stop_wheelchair: int
    #: The stop's place in its trip (GTFS stop_sequence), for real-time delays carried on.
    seq: int = 0
    #: The line's GTFS route_id, for real-time alerts about the line.
    route_gtfs_id: str = ""


class TripInfo(NamedTuple):
    """What a departure says about its trip and line: one per trip, shared by its stops."""

    id: int
    service_id: int
    gtfs_id: str
    headsign: str
    wheelchair: int
    line: str
    route_type: int
    route_gtfs_id: str


@dataclass(frozen=True, slots=True)
class UnmatchedStop:
    """A boarding stop of the feed with no OSM stop or platform of the map near it."""

    gtfs_id: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class FeedExtract:
    """What the importer made of a feed: stored in one transaction, or not at all."""

    source: str
    timezone: str
    stops: list[StopRow]
    routes: list[RouteRow]
    services: list[ServiceRow]
    service_dates: list[ServiceDateRow]
    trips: list[TripRow]
    stop_times: list[StopTimeRow]
    #: Precise, one line each: what the import accepted but a person should know.
    warnings: tuple[str, ...] = ()
    unmatched: tuple[UnmatchedStop, ...] = ()
    #: How many stops each matching rule found (``routing.stopmatch``: ref, platform, name,
    #: distance).
    matched_by: tuple[tuple[str, int], ...] = ()


class GtfsImportError(ValueError):
    """The feed cannot be imported; the message is one human-readable line naming the file."""
