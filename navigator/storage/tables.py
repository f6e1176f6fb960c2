"""The SQLModel tables of Blind Pilot, and the Base models the mapper API's schemas derive from.

The schema itself is owned by the alembic migrations in ``navigator/migrations``; a test keeps it
equal to these models on SQLite and PostgreSQL. Times are unix seconds (``*_ts``), lengths metres,
power dBm.
"""

from __future__ import annotations

from typing import Annotated, cast

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

#: Ids and references are stored as 64-bit integers; a larger number cannot name anything, and
#: passing it to the database driver would fail (OverflowError -> 500).
DB_INT_MAX = 2**63 - 1
#: The longest walkable segment an edit may make. Longer ones are mistakes, and the live map's
#: snapping grid would have to cover the whole box between their ends.
MAX_EDGE_M = 10_000

#: The length of one walkable segment, metres.
SegmentLength = Annotated[float, Field(gt=0, le=MAX_EDGE_M)]
#: A point in time, unix seconds.
UnixTime = Annotated[float, Field(ge=0)]


class Placed(SQLModel):
    """Where a mapped point (node, beacon, landmark) is: WGS84 and an optional floor level."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    level: float | None = Field(default=None, ge=-20, le=200)


class Node(Placed, table=True):
    __tablename__ = "nodes"
    id: int = Field(primary_key=True, sa_type=sa.BigInteger)
    revision: int = Field(default=1)


class EdgeAttributes(SQLModel):
    """Accessibility attributes of a walkable segment; ``None`` means "not mapped".

    The text attributes hold OSM tag values as imported; the mapper API accepts a vocabulary of
    them (``navigator.mapschemas``).
    """

    highway: str = Field(default="footway", max_length=40)
    name: str | None = Field(default=None, max_length=200)
    footway: str | None = Field(default=None, max_length=40)
    sidewalk: str | None = Field(default=None, max_length=20)
    crossing: str | None = Field(default=None, max_length=40)
    crossing_island: bool | None = None
    traffic_signals_sound: bool | None = None
    traffic_signals_vibration: bool | None = None
    button_operated: bool | None = None
    tactile_paving: bool | None = None
    kerb: str | None = Field(default=None, max_length=20)
    kerb_height_m: float | None = Field(default=None, ge=0, le=1)
    #: A flight has at least one step; "no steps" is no count (None) or not ``highway=steps``.
    #: (An OSM import shares a way's count out over its segments by length, and could give a
    #: short segment 0; none of the three real extracts in ../shared/data does.)
    step_count: int | None = Field(default=None, ge=1, le=1000)
    handrail: bool | None = None
    incline: str | None = Field(default=None, max_length=20)
    surface: str | None = Field(default=None, max_length=40)
    smoothness: str | None = Field(default=None, max_length=40)
    width_m: float | None = Field(default=None, gt=0, le=100)
    lit: bool | None = None
    level: str | None = Field(default=None, max_length=20)
    #: For walkers, relative to u -> v: "yes" only that way, "-1" only back, "no" both ways.
    oneway: str | None = Field(default=None, max_length=3)


class EdgeBase(EdgeAttributes):
    u: int = Field(
        ge=-DB_INT_MAX, le=DB_INT_MAX, foreign_key="nodes.id", index=True, sa_type=sa.BigInteger
    )
    v: int = Field(
        ge=-DB_INT_MAX, le=DB_INT_MAX, foreign_key="nodes.id", index=True, sa_type=sa.BigInteger
    )
    length_m: SegmentLength


class Edge(EdgeBase, table=True):
    __tablename__ = "edges"
    id: int = Field(primary_key=True, sa_type=sa.BigInteger)
    osm_way_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    revision: int = Field(default=1)


class BeaconBase(Placed):
    measured_power: float = Field(default=-59.0, ge=-127, le=20, description="dBm at 1 m")


class Beacon(BeaconBase, table=True):
    __tablename__ = "beacons"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # ibeacon | altbeacon | eddystone
    ident: str = Field(max_length=80, unique=True)  # canonical BeaconId.ident
    last_seen_ts: float | None = None
    battery_mv: int | None = None
    temperature_c: float | None = None
    revision: int = Field(default=1)


class LandmarkBase(Placed):
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(default="other", max_length=40)
    #: A stop's OSM ``ref`` and ``local_ref`` (pole or platform letter): a timetable's stops are
    #: matched by them first (``routing.stopmatch``).
    ref: str | None = Field(default=None, max_length=40)
    local_ref: str | None = Field(default=None, max_length=40)


class Landmark(LandmarkBase, table=True):
    __tablename__ = "landmarks"
    id: int = Field(primary_key=True, sa_type=sa.BigInteger)
    osm_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    revision: int = Field(default=1)


class ClosureBase(SQLModel):
    """A temporary closure of one edge (building site, flooded underpass) with a validity window."""

    edge_id: int = Field(
        ge=-DB_INT_MAX, le=DB_INT_MAX, foreign_key="edges.id", index=True, sa_type=sa.BigInteger
    )
    reason: str = Field(default="", max_length=500)
    starts_ts: UnixTime
    ends_ts: UnixTime | None = Field(default=None, description="unix seconds; None: open-ended")


class Closure(ClosureBase, table=True):
    __tablename__ = "closures"
    id: int | None = Field(default=None, primary_key=True)
    created_by: str | None = Field(default=None, max_length=80)


class MapRevision(SQLModel, table=True):
    """Audit log of every map change: who, when, what it was before and after (JSON text)."""

    __tablename__ = "map_revisions"
    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=20)
    entity_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    action: str = Field(max_length=20)
    actor: str | None = Field(default=None, max_length=80)
    at_ts: float
    before: str | None = None
    after: str | None = None
    reverts_id: int | None = None


class MapCache(SQLModel, table=True):
    """Parts of the map as they were read at a start, each in a compact binary form
    (:mod:`navigator.storage.mapcodec`), so the next start reads one value instead of many rows.

    Row 1: nodes and edges; row 2: the beacon layout, each with its own ``generation``. On
    SQLite, triggers on ``nodes`` and ``edges`` (migration ``0012_map_cache``), and on
    ``beacons`` (``0013_beacon_cache``), raise their row's ``generation`` and clear its ``data``
    in the transaction of every change, whatever code or tool makes it; a copy is written only
    under the generation it was read at, so a stored copy is always that of the committed rows
    (see :mod:`navigator.storage.mapcache`).
    """

    __tablename__ = "map_cache"
    id: int = Field(primary_key=True)
    generation: int = Field(default=0, sa_type=sa.BigInteger)
    data: bytes | None = Field(default=None, sa_type=sa.LargeBinary)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"
    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12)
    role: str = Field(max_length=20)
    created_ts: float
    revoked: bool = False


class Track(SQLModel, table=True):
    """A walker's own track, kept only when they opted in when starting the session."""

    __tablename__ = "tracks"
    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(max_length=32, unique=True)
    started_ts: float
    ended_ts: float
    points: str  # JSON list of [t_s, lat, lon, error_m]
    #: sha256 of the session's token, which reading the track asks for (None: unreadable).
    token_hash: str | None = Field(default=None, max_length=64)


class LiveSessionRecord(SQLModel, table=True):
    """What a live session was asked for (destination, profile, language, options — never a
    position), so any process behind a proxy can resume it on reconnect; deleted at its end."""

    __tablename__ = "live_sessions"
    id: str = Field(primary_key=True, max_length=32)
    created_ts: float
    last_active_ts: float = Field(index=True)
    request: str
    #: sha256 of the session's token, which resuming it asks for (None: cannot be resumed).
    token_hash: str | None = Field(default=None, max_length=64)
    #: Raised by one for every connection that takes the walk: the newest holds it.
    claim: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


def table_of(model: type[SQLModel]) -> sa.Table:
    """The Core table of a table model (SQLModel adds ``__table__`` at runtime; typed here)."""
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]


NODES = table_of(Node)
EDGES = table_of(Edge)
MAP_CACHE = table_of(MapCache)
BEACONS = table_of(Beacon)
LANDMARKS = table_of(Landmark)
CLOSURES = table_of(Closure)
REVISIONS = table_of(MapRevision)
API_KEYS = table_of(ApiKey)
TRACKS = table_of(Track)
LIVE_SESSIONS = table_of(LiveSessionRecord)
