"""The audit log (``map_revisions``): who changed what on the map, when, from what to what."""

from __future__ import annotations

import json
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from navigator.storage.rows import inserted_id
from navigator.storage.tables import REVISIONS, MapRevision

#: How many audit-log ids below the newest may still be in flight (PostgreSQL hands ids out
#: before commit): map sync re-examines this many, and a snapshot lists this many.
REVISION_WINDOW = 200


def record_revision(
    conn: Connection,
    entity: str,
    action: str,
    actor: str | None,
    *,
    entity_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reverts_id: int | None = None,
) -> int:
    """Log one change (``before``/``after`` as JSON) in the caller's transaction; its id."""
    return inserted_id(
        conn.execute(
            sa.insert(MapRevision).values(
                entity=entity,
                entity_id=entity_id,
                action=action,
                actor=actor,
                at_ts=time.time(),
                before=json.dumps(before) if before is not None else None,
                after=json.dumps(after) if after is not None else None,
                reverts_id=reverts_id,
            )
        )
    )


def recent_revision_ids(conn: Connection, count: int) -> list[int]:
    """The ids of the newest ``count`` entries."""
    return list(conn.execute(
        sa.select(REVISIONS.c.id).order_by(REVISIONS.c.id.desc()).limit(count)
    ).scalars())


def revisions_after(conn: Connection, after_id: int, limit: int) -> list[Row[Any]]:
    """(id, entity, entity_id) of the entries above ``after_id``, oldest first."""
    return list(conn.execute(
        sa.select(REVISIONS.c.id, REVISIONS.c.entity, REVISIONS.c.entity_id)
        .where(REVISIONS.c.id > after_id).order_by(REVISIONS.c.id).limit(limit)
    ))


def revision_page(conn: Connection, limit: int, offset: int) -> list[dict[str, Any]]:
    """One page of whole entries, newest first."""
    rows = conn.execute(
        sa.select(REVISIONS).order_by(REVISIONS.c.id.desc()).limit(limit).offset(offset)
    )
    return [dict(r._mapping) for r in rows]
