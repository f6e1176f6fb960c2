"""All SQL of Blind Pilot, one module per job; :class:`Storage` is the one gateway to all of them.

Modules: :mod:`.tables` (SQLModel tables and the Base models API schemas derive from),
:mod:`.engine` (URL, engine, migrations, transactions), :mod:`.mapread` and :mod:`.mapwrite` (the
map in and out), :mod:`.beaconhealth`, :mod:`.audit` (the map's audit log), :mod:`.changes` (what a
live map applies), :mod:`.entities` and :mod:`.edits` (mappers' audited edits).
"""

from __future__ import annotations

import hashlib
import secrets
import time

import sqlalchemy as sa

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
)
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
    API_KEYS,
    META,
    ApiKey,
    Beacon,
    Edge,
    MapRevision,
    Meta,
    Node,
)

__all__ = [
    "EDGE_RECORD_FIELDS",
    "REVISION_WINDOW",
    "ROLES",
    "Beacon",
    "ClosureWindow",
    "EdgeTooLong",
    "Edge",
    "EditConflict",
    "InvalidEdit",
    "MapChange",
    "MapEditor",
    "MapRevision",
    "MapSnapshot",
    "Node",
    "NotFound",
    "StaleRevision",
    "Storage",
    "StorageError",
    "make_engine",
    "write_beacon_layout",
]

ROLES = ("pedestrian", "mapper", "tester", "admin")


def hash_key(key: str) -> str:
    """API keys are stored as sha256 only (keys are 32 random bytes, so no salt is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


class Storage(MapReads, MapWrites, BeaconHealth, MapSync, SessionStore):
    """Synchronous gateway over one engine; the aiohttp layer calls it through a thread."""

    # ---- meta

    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(META.c.value).where(META.c.key == key)
            ).scalar_one_or_none()

    def set_meta(self, key: str, value: str) -> None:
        with self.write() as conn:
            conn.execute(sa.delete(Meta).where(META.c.key == key))
            conn.execute(sa.insert(Meta).values(key=key, value=value))

    # ---- api keys

    def create_api_key(self, role: str) -> str:
        """Make a new key for a role and return it; only its hash is stored."""
        if role not in ROLES:
            raise StorageError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
        key = "bp_" + secrets.token_urlsafe(32)
        with self.write() as conn:
            conn.execute(
                sa.insert(ApiKey).values(
                    key_hash=hash_key(key), prefix=key[:10], role=role, created_ts=time.time()
                )
            )
        return key

    def role_of_key(self, key: str) -> tuple[str, str] | None:
        """(role, key prefix for audit) of a valid, unrevoked key, else None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(API_KEYS.c.role, API_KEYS.c.prefix).where(
                    API_KEYS.c.key_hash == hash_key(key), API_KEYS.c.revoked == sa.false()
                )
            ).first()
        return (row[0], row[1]) if row else None

