"""The closures GTFS-Realtime alerts made, kept in step with the feed: stored and audited like a
mapper's closures, so every process's live map gets them (map sync) and a restart keeps them."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from navigator.alertclosures import (
    CREATED_BY_PREFIX,
    AlertClosure,
    StoredClosure,
    plan_closure_sync,
)
from navigator.storage.audit import record_revision
from navigator.storage.changes import MapChange, change_now
from navigator.storage.engine import Database
from navigator.storage.rows import inserted_id, row_by_id
from navigator.storage.tables import CLOSURES, EDGES, Closure

#: Any number, the same in every process: PostgreSQL's lock on syncing alert closures.
_PG_LOCK = 0x6774_6673  # "gtfs"


class AlertClosures(Database):
    def sync_alert_closures(self, wanted: Sequence[AlertClosure], now_ts: float
                            ) -> tuple[list[int], MapChange] | None:
        """Make the stored alert closures the ``wanted`` ones (new ones without a start start at
        ``now_ts``); the audit-log ids and the change for the live map, or None when nothing
        changed. One process at a time: each server process polls the same feed."""
        with self.write() as conn:
            _one_at_a_time(conn)
            stored = [StoredClosure(*r) for r in conn.execute(
                sa.select(CLOSURES.c.id, CLOSURES.c.edge_id, CLOSURES.c.starts_ts,
                          CLOSURES.c.ends_ts, CLOSURES.c.reason, CLOSURES.c.created_by)
                .where(CLOSURES.c.created_by.startswith(CREATED_BY_PREFIX)))]
            gone, new = plan_closure_sync(wanted, stored)
            edges = {e for (e,) in conn.execute(sa.select(EDGES.c.id).where(
                EDGES.c.id.in_({c.edge_id for c in new})))} if new else set()
            touched: list[tuple[str, int | None]] = []
            revisions = []
            for s in gone:
                before = row_by_id(conn, Closure, s.id)
                conn.execute(sa.delete(CLOSURES).where(CLOSURES.c.id == s.id))
                revisions.append(record_revision(conn, "closure", "delete", s.created_by,
                                                 entity_id=s.id, before=before))
                touched.append(("closure", s.id))
            for c in new:
                if c.edge_id not in edges:  # the map changed since the live graph was read
                    continue
                closure_id = inserted_id(conn.execute(sa.insert(CLOSURES).values(
                    edge_id=c.edge_id, reason=c.reason, created_by=c.created_by,
                    starts_ts=now_ts if c.starts_ts is None else c.starts_ts,
                    ends_ts=c.ends_ts)))
                revisions.append(record_revision(conn, "closure", "create", c.created_by,
                                                 entity_id=closure_id,
                                                 after=row_by_id(conn, Closure, closure_id)))
                touched.append(("closure", closure_id))
            if not revisions:
                return None
            return revisions, change_now(conn, revisions[-1], "closure", None, touched)


def _one_at_a_time(conn: Connection) -> None:
    """Hold the sync lock until commit: PostgreSQL's advisory lock; SQLite's write lock, which
    a write statement takes even when it changes nothing."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK)))
    else:
        conn.execute(sa.delete(CLOSURES).where(sa.false()))
