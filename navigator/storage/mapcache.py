"""The start-up copies of the map (table ``map_cache``): when one may be used, and writing it.

Two copies, each a row with its own generation: nodes and edges (row 1, :data:`GRAPH`) and the
beacon layout (row 2, :data:`LAYOUT`), so a beacon edit, frequent while mapping, keeps the
graph's copy and a map edit the layout's.

A copy can never be older than its rows: on SQLite, triggers on its tables (migrations
``0012_map_cache`` and ``0013_beacon_cache``) raise its row's ``generation`` and clear ``data``
inside the very transaction of any change, whoever makes it (an edit, an import, a revert, a
restore, a tool writing SQL). A copy is trusted only where all its triggers exist, and it is
written only under the generation its rows were read at: a change committed in between has moved
the generation, so the write then changes nothing. PostgreSQL has no triggers here and never
uses a copy.
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
_EVENTS = ("insert", "update", "delete")


@dataclass(frozen=True, slots=True)
class CopyPart:
    """One copy: its row of ``map_cache`` and the tables whose triggers clear it."""

    name: str
    row: int
    tables: tuple[str, ...]

    @property
    def triggers(self) -> tuple[str, ...]:
        """Its triggers' names; without every one of them the copy is not trusted."""
        return tuple(f"map_cache_{table}_{event}" for table in self.tables for event in _EVENTS)


GRAPH = CopyPart("graph", 1, ("nodes", "edges"))
LAYOUT = CopyPart("beacons", 2, ("beacons",))


@dataclass(frozen=True, slots=True)
class CachedMap:
    """The generation a part is at now, and the copy made at it (None: none yet)."""

    generation: int
    data: bytes | None


def read_cached_map(conn: Connection, part: CopyPart) -> CachedMap | None:
    """The part's copy as this transaction sees it; None where copies are not kept (PostgreSQL,
    a database missing one of the part's triggers, or without its row)."""
    if not _trusted(conn, part):
        return None
    row = conn.execute(
        sa.select(MAP_CACHE.c.generation, MAP_CACHE.c.data).where(MAP_CACHE.c.id == part.row)
    ).first()
    return None if row is None else CachedMap(row.generation, row.data)


def copy_is_stored(conn: Connection, part: CopyPart) -> bool:
    """Whether the part has a copy to trust, without reading it (SQLite takes a blob's length
    from its header)."""
    if not _trusted(conn, part):
        return False
    length = conn.execute(
        sa.select(sa.func.length(MAP_CACHE.c.data)).where(MAP_CACHE.c.id == part.row)
    ).scalar()
    return length is not None


def write_cached_map(conn: Connection, part: CopyPart, generation: int, data: bytes) -> bool:
    """Store ``data`` as the part's copy at ``generation``; False (nothing written) when its
    rows have changed since."""
    done = conn.execute(
        sa.update(MAP_CACHE)
        .where(MAP_CACHE.c.id == part.row, MAP_CACHE.c.generation == generation)
        .values(data=data)
    )
    return done.rowcount == 1


def _trusted(conn: Connection, part: CopyPart) -> bool:
    if conn.dialect.name != "sqlite":
        return False
    names: sa.BindParameter[list[str]] = sa.bindparam("names", expanding=True)
    found = conn.execute(
        sa.text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN :names")
        .bindparams(names), {"names": list(part.triggers)}).scalar_one()
    return bool(found == len(part.triggers))


@contextmanager
def roomy_page_cache(conn: Connection) -> Iterator[None]:
    """For a transaction that writes a whole map or layout (SQLite): a 64 MiB page cache and
    statement journals in memory, then the connection's settings as they were.

    Each row written fires a trigger that rewrites a ``map_cache`` row, so every row's
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
