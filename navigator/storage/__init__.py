"""All SQL of Blind Pilot, one module per job; :class:`Storage` is the one gateway to all of them.

Modules: :mod:`.tables` (SQLModel tables and the Base models API schemas derive from),
:mod:`.engine` (URL, engine, migrations, transactions), :mod:`.mapread` and :mod:`.mapwrite` (the
map in and out), :mod:`.beaconhealth`, :mod:`.audit` (the map's audit log), :mod:`.changes` (what a
live map applies), :mod:`.entities` and :mod:`.edits` (mappers' audited edits).
"""

from __future__ import annotations

from navigator.storage.audit import REVISION_WINDOW
from navigator.storage.beaconhealth import BeaconHealth
from navigator.storage.changes import MapChange, MapSync
from navigator.storage.edits import MapEditor
from navigator.storage.engine import make_engine
from navigator.storage.errors import (
    EdgeTooLong,
    EditConflict,
    InvalidEdit,
    NotFound,
    StaleRevision,
    StorageError,
    cannot_open_reason,
)
from navigator.storage.keys import ROLES, KeyStore, Role
from navigator.storage.mapread import (
    EDGE_RECORD_FIELDS,
    ClosureWindow,
    MapReads,
    MapSnapshot,
    write_beacon_layout,
)
from navigator.storage.mapwrite import MapWrites
from navigator.storage.sessions import SessionStore
from navigator.storage.tables import (
    DB_INT_MAX,
    Beacon,
    BeaconBase,
    ClosureBase,
    Edge,
    EdgeBase,
    LandmarkBase,
    MapRevision,
    Node,
    Placed,
    SegmentLength,
    UnixTime,
)

__all__ = [
    "DB_INT_MAX",
    "EDGE_RECORD_FIELDS",
    "REVISION_WINDOW",
    "ROLES",
    "Role",
    "Beacon",
    "BeaconBase",
    "ClosureBase",
    "ClosureWindow",
    "EdgeTooLong",
    "Edge",
    "EdgeBase",
    "EditConflict",
    "InvalidEdit",
    "LandmarkBase",
    "MapChange",
    "MapEditor",
    "MapRevision",
    "MapSnapshot",
    "Node",
    "NotFound",
    "Placed",
    "StaleRevision",
    "Storage",
    "SegmentLength",
    "StorageError",
    "UnixTime",
    "cannot_open_reason",
    "make_engine",
    "write_beacon_layout",
]


class Storage(MapReads, MapWrites, BeaconHealth, MapSync, SessionStore, KeyStore):
    """Synchronous gateway over one engine; the aiohttp layer calls it through a thread."""
