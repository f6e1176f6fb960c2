"""The SQLModel tables of a GTFS timetable (``blindpilot import-gtfs``), kept compactly.

GTFS ids (text, often long) are stored once per stop, route, trip and service; everything that
refers to them uses a small integer id instead. ``transit_stop_times`` is the one big table: five
integers and a flag per row, times in seconds after the service day's start ("noon minus 12 h"),
which may pass 24 h (a trip leaving at 25:10:00 runs after midnight on the previous service
day). Dates are ``YYYYMMDD`` integers as GTFS writes them.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from navigator.storage.tables import table_of


class TransitFeed(SQLModel, table=True):
    """The one imported feed: where it came from and the time zone its times are in."""

    __tablename__ = "transit_feeds"
    id: int = Field(primary_key=True)
    source: str = Field(max_length=200)
    timezone: str = Field(max_length=60)
    imported_ts: float
    stop_times: int


class TransitStop(SQLModel, table=True):
    """A stop, pole or platform (``location_type`` 0) or a station grouping them (1)."""

    __tablename__ = "transit_stops"
    id: int = Field(primary_key=True)
    gtfs_id: str = Field(max_length=100, unique=True)
    name: str = Field(max_length=200)
    lat: float
    lon: float
    location_type: int = 0
    parent_id: int | None = None
    platform_code: str | None = Field(default=None, max_length=20)
    #: GTFS ``wheelchair_boarding``: 0 unknown, 1 possible, 2 not possible.
    wheelchair: int = 0
    #: The OSM stop or platform (a place of the map) this stop was matched to, if any.
    place_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    #: GTFS ``stop_code``, the code on the pole; matched to the map stop's OSM ``ref`` first.
    code: str | None = Field(default=None, max_length=40)


class TransitRoute(SQLModel, table=True):
    """A line as passengers know it (``route_short_name``, e.g. "105")."""

    __tablename__ = "transit_routes"
    id: int = Field(primary_key=True)
    gtfs_id: str = Field(max_length=100, unique=True)
    short_name: str = Field(default="", max_length=50)
    long_name: str = Field(default="", max_length=200)
    route_type: int = 3


class TransitService(SQLModel, table=True):
    """A service calendar: weekdays (bit 0 Monday … bit 6 Sunday) within a date range."""

    __tablename__ = "transit_services"
    id: int = Field(primary_key=True)
    gtfs_id: str = Field(max_length=100, unique=True)
    weekdays: int = 0
    start_date: int | None = None
    end_date: int | None = None


class TransitServiceDate(SQLModel, table=True):
    """An exception to a calendar: the service added (True) or removed on one date."""

    __tablename__ = "transit_service_dates"
    service_id: int = Field(primary_key=True, foreign_key="transit_services.id")
    date: int = Field(primary_key=True)
    added: bool


class TransitTrip(SQLModel, table=True):
    __tablename__ = "transit_trips"
    id: int = Field(primary_key=True)
    gtfs_id: str = Field(max_length=100, unique=True)
    route_id: int = Field(foreign_key="transit_routes.id")
    service_id: int = Field(foreign_key="transit_services.id")
    headsign: str = Field(default="", max_length=200)
    direction_id: int | None = None
    #: GTFS ``wheelchair_accessible``: 0 unknown, 1 yes, 2 no.
    wheelchair: int = 0


class TransitStopTime(SQLModel, table=True):
    """When a trip is at a stop; ``boards`` is False where nobody may get on (no pickup, or the
    trip's last stop), so departures boards list only what the walker can take."""

    __tablename__ = "transit_stop_times"
    __table_args__ = (sa.Index("ix_transit_stop_times_stop_departure", "stop_id", "departure_s"),)
    trip_id: int = Field(primary_key=True, foreign_key="transit_trips.id")
    seq: int = Field(primary_key=True)
    stop_id: int = Field(foreign_key="transit_stops.id")
    arrival_s: int
    departure_s: int
    boards: bool = True


TRANSIT_FEEDS = table_of(TransitFeed)
TRANSIT_STOPS = table_of(TransitStop)
TRANSIT_ROUTES = table_of(TransitRoute)
TRANSIT_SERVICES = table_of(TransitService)
TRANSIT_SERVICE_DATES = table_of(TransitServiceDate)
TRANSIT_TRIPS = table_of(TransitTrip)
TRANSIT_STOP_TIMES = table_of(TransitStopTime)
#: In the order a feed is inserted (referenced tables first); deleted in the reverse order.
TRANSIT_TABLES = (TRANSIT_FEEDS, TRANSIT_STOPS, TRANSIT_ROUTES, TRANSIT_SERVICES,
                  TRANSIT_SERVICE_DATES, TRANSIT_TRIPS, TRANSIT_STOP_TIMES)
