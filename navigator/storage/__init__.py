"""All SQL of Blind Pilot, one module per job; :class:`Storage` is the one gateway to all of them.

Modules: :mod:`.tables` (SQLModel tables and the Base models API schemas derive from),
:mod:`.engine` (URL, engine, migrations, transactions), :mod:`.mapread` and :mod:`.mapwrite` (the
map in and out), :mod:`.beaconhealth`, :mod:`.audit` (the map's audit log), :mod:`.changes` (what a
live map applies), :mod:`.entities` and :mod:`.edits` (mappers' audited edits).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

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
from navigator.storage.tables import (
    API_KEYS,
    LIVE_SESSIONS,
    META,
    TRACKS,
    ApiKey,
    Beacon,
    Edge,
    LiveSessionRecord,
    MapRevision,
    Meta,
    Node,
    Track,
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


class Storage(MapReads, MapWrites, BeaconHealth, MapSync):
    """Synchronous gateway over one engine; the aiohttp layer calls it through a thread."""


    # ---- live session descriptors (for resuming in another process)

    def save_session(self, session_id: str, request_json: str, now_ts: float) -> None:
        with self.write() as conn:
            conn.execute(
                sa.insert(LiveSessionRecord).values(
                    id=session_id, created_ts=now_ts, last_active_ts=now_ts, request=request_json
                )
            )

    def load_session(self, session_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(LIVE_SESSIONS.c.request).where(LIVE_SESSIONS.c.id == session_id)
            ).scalar_one_or_none()

    def touch_sessions(self, session_ids: list[str], now_ts: float) -> None:
        if session_ids:
            with self.write() as conn:
                conn.execute(
                    sa.update(LiveSessionRecord)
                    .where(LIVE_SESSIONS.c.id.in_(session_ids))
                    .values(last_active_ts=now_ts)
                )

    def delete_session(self, session_id: str, untouched_since: float | None = None) -> None:
        """Forget a session's descriptor; with ``untouched_since``, only if no process touched it
        after that (an idle copy expiring here while another process carries the walk on)."""
        query = sa.delete(LiveSessionRecord).where(LIVE_SESSIONS.c.id == session_id)
        if untouched_since is not None:
            query = query.where(LIVE_SESSIONS.c.last_active_ts <= untouched_since)
        with self.write() as conn:
            conn.execute(query)

    def delete_idle_sessions(self, before_ts: float) -> int:
        """Forget sessions no process has touched since ``before_ts`` (their process died)."""
        with self.write() as conn:
            return conn.execute(
                sa.delete(LiveSessionRecord).where(LIVE_SESSIONS.c.last_active_ts < before_ts)
            ).rowcount

    # ---- opted-in tracks

    def save_track(
        self, session_id: str, started_ts: float, ended_ts: float, points: list[list[float]]
    ) -> None:
        """Store an opted-in track, merged by time with what is already stored for the session:
        a session resumed in another process (behind a proxy) is saved by each process that
        served part of it, in any order."""
        for attempt in (1, 2):  # a concurrent first save by another process: merge into it
            try:
                with self.write() as conn:
                    self._merge_track(conn, session_id, started_ts, ended_ts, points)
                return
            except sa.exc.IntegrityError:
                if attempt == 2:
                    raise

    @staticmethod
    def _merge_track(conn: Connection, session_id: str, started_ts: float, ended_ts: float,
                     points: list[list[float]]) -> None:
        query = sa.select(TRACKS.c.started_ts, TRACKS.c.ended_ts, TRACKS.c.points).where(
            TRACKS.c.session_id == session_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        old = conn.execute(query).first()
        if old is None:
            conn.execute(sa.insert(Track).values(session_id=session_id, started_ts=started_ts,
                                                 ended_ts=ended_ts, points=json.dumps(points)))
            return
        by_time = {p[0]: p for p in json.loads(old.points)}
        by_time.update((p[0], p) for p in points)
        conn.execute(sa.update(Track).where(TRACKS.c.session_id == session_id).values(
            started_ts=min(old.started_ts, started_ts), ended_ts=max(old.ended_ts, ended_ts),
            points=json.dumps([by_time[t] for t in sorted(by_time)])))

    def load_track(self, session_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(TRACKS.c.started_ts, TRACKS.c.ended_ts, TRACKS.c.points).where(
                    TRACKS.c.session_id == session_id
                )
            ).first()
        if row is None:
            return None
        return {"started_ts": row[0], "ended_ts": row[1], "points": json.loads(row[2])}

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

