"""All SQL of Blind Pilot, one module per job; :class:`Storage` is the gateway to all of them.

- :mod:`.tables`: the SQLModel tables, and the Base models the mapper API's schemas derive from
- :mod:`.engine`: URL, engine, migrations, and :class:`~.engine.Database`'s transactions
- :mod:`.mapread`, :mod:`.mapwrite`: the live map's snapshot; imports and beacon plans
- :mod:`.mapcache`, :mod:`.mapcodec`: the start-up copy of nodes and edges, always current
- :mod:`.mapstream`: the map a row at a time from one snapshot, for the export process (its own
  :class:`~.mapstream.MapStreams`, not part of :class:`Storage`)
- :mod:`.importlock`: one whole-map import at a time across every process
- :mod:`.beaconhealth`: when beacons were heard, their battery, silent ones first
- :mod:`.audit`: the map's audit log; :mod:`.changes`: what a live map applies (edits, sync)
- :mod:`.entities`, :mod:`.edits`: mappers' audited edits (:class:`~.edits.MapEditor`)
- :mod:`.sessions`: live-session descriptors and opted-in tracks; :mod:`.apikeys`: API keys, roles
- :mod:`.transittables`, :mod:`.transit`: the imported GTFS timetable and its departures
- :mod:`.alertclosures`: the closures GTFS-Realtime alerts made, kept in step with the feed
- :mod:`.rows`, :mod:`.errors`: row lookups and the errors the modules share

The names below are what the rest of the service imports from here.
"""

from __future__ import annotations

from navigator.storage.alertclosures import AlertClosures
from navigator.storage.apikeys import ROLES, KeyRecord, KeyStore, Role
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
from navigator.storage.importlock import ImportLocks
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
from navigator.storage.transit import FeedInfo, TransitStore

__all__ = [
    "Beacon",
    "BeaconBase",
    "ClosureBase",
    "ClosureWindow",
    "DB_INT_MAX",
    "EDGE_RECORD_FIELDS",
    "Edge",
    "EdgeBase",
    "EdgeTooLong",
    "EditConflict",
    "FeedInfo",
    "InvalidEdit",
    "KeyRecord",
    "LandmarkBase",
    "MapChange",
    "MapEditor",
    "MapRevision",
    "MapSnapshot",
    "Node",
    "NotFound",
    "Placed",
    "REVISION_WINDOW",
    "ROLES",
    "Role",
    "SegmentLength",
    "StaleRevision",
    "Storage",
    "StorageError",
    "TransitStore",
    "UnixTime",
    "cannot_open_reason",
    "make_engine",
    "write_beacon_layout",
]


class Storage(MapReads, MapWrites, ImportLocks, BeaconHealth, MapSync, SessionStore, KeyStore,
              TransitStore, AlertClosures):
    """Synchronous gateway over one engine, every job's methods on one object; the aiohttp layer
    calls it through a thread."""
