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

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from navigator.storage.tables import MAP_CACHE

#: SQLite's page cache (KiB) while an import writes the whole map: see :func:`roomy_page_cache`.
BULK_CACHE_KIB = 65_536
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


@contextmanager
def roomy_page_cache(conn: Connection) -> Iterator[None]:
    """For a transaction that writes a whole map (SQLite): a 64 MiB page cache and statement
    journals in memory, then the connection's settings as they were.

    Each row written fires a trigger that rewrites ``map_cache``'s row, so every row's
    statement journals that page again, and the default 2 MB cache spills and reads it back.
    Storing the 101k-node city (300k rows) took 7.9 / 9.6 s of CPU with the triggers alone (a
    first import / one replacing a map) against 5.4 / 6.1 s without triggers; with these two
    settings 6.1-6.2 / 7.1 s.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    old_cache = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    old_temp = conn.exec_driver_sql("PRAGMA temp_store").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    conn.exec_driver_sql("PRAGMA temp_store = MEMORY")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA temp_store = {int(old_temp)}")
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(old_cache)}")
