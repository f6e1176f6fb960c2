"""The start-up copy of the map's nodes and edges (table ``map_cache``): when it may be used, and
writing it.

The copy can never be older than the rows: on SQLite, triggers on ``nodes`` and ``edges``
(migration ``0012_map_cache``) raise the row's ``generation`` and clear ``data`` inside the very
transaction of any change, whoever makes it (an edit, an import, a revert, a restore, a tool
writing SQL). A copy is trusted only where all six triggers exist, and it is written only under
the generation the map was read at: a change committed in between has moved the generation, so
the write then changes nothing. PostgreSQL has no triggers here and never uses a copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from navigator.storage.tables import MAP_CACHE

#: The triggers of migration 0012_map_cache; without every one of them no copy is trusted.
TRIGGERS = tuple(f"map_cache_{table}_{event}"
                 for table in ("nodes", "edges") for event in ("insert", "update", "delete"))


@dataclass(frozen=True, slots=True)
class CachedMap:
    """The generation the map is at now, and the copy made at it (None: none yet)."""

    generation: int
    data: bytes | None


def read_cached_map(conn: Connection) -> CachedMap | None:
    """The copy as this transaction sees it; None where copies are not kept (PostgreSQL, a
    database whose triggers are missing, or without the row)."""
    if conn.dialect.name != "sqlite":
        return None
    names: sa.BindParameter[list[str]] = sa.bindparam("names", expanding=True)
    found = conn.execute(
        sa.text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN :names")
        .bindparams(names), {"names": list(TRIGGERS)}).scalar_one()
    if found != len(TRIGGERS):
        return None
    row = conn.execute(
        sa.select(MAP_CACHE.c.generation, MAP_CACHE.c.data).where(MAP_CACHE.c.id == 1)
    ).first()
    return None if row is None else CachedMap(row.generation, row.data)


def write_cached_map(conn: Connection, generation: int, data: bytes) -> bool:
    """Store ``data`` as the copy of the map at ``generation``; False (nothing written) when the
    map has changed since."""
    done = conn.execute(
        sa.update(MAP_CACHE)
        .where(MAP_CACHE.c.id == 1, MAP_CACHE.c.generation == generation)
        .values(data=data)
    )
    return done.rowcount == 1
