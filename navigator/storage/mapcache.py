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
    """Whether the part has a copy to trust, without reading it: SQLite takes a blob's length
    from its header (0.6 ms for the 43 MB layout; ``data IS NOT NULL`` reads it whole, 47 ms)."""
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


@contextmanager
def rewriting(conn: Connection, part: CopyPart) -> Iterator[None]:
    """For a transaction that rewrites the part's tables whole (an import, a plan): the copy
    cleared once, and the part's triggers dropped for the transaction and made again from their
    own SQL before it commits, instead of firing for each of hundreds of thousands of rows
    (each fire rewrote ``map_cache``'s row: replacing the 101k-node city's 300k rows took 7.3 s
    of CPU with them firing, 5.6 s so; its 556k beacons 6.1 s against 3.9 s, and 3.75 s with
    no triggers at all).

    DDL is transactional in SQLite: no other connection ever sees the triggers missing, and a
    failed write rolls the drop back with everything else. The clearing comes first, as the
    transaction's first write, so the drop is inside it (pysqlite opens a transaction only
    before DML).
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.execute(sa.update(MAP_CACHE).where(MAP_CACHE.c.id == part.row)
                 .values(generation=MAP_CACHE.c.generation + 1, data=None))
    triggers = _triggers(conn, part)
    for name, _sql in triggers:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    for _name, sql in triggers:
        conn.exec_driver_sql(sql)


def _trusted(conn: Connection, part: CopyPart) -> bool:
    return conn.dialect.name == "sqlite" and len(_triggers(conn, part)) == len(part.triggers)


def _triggers(conn: Connection, part: CopyPart) -> list[tuple[str, str]]:
    """The part's triggers that exist (SQLite), with the SQL that made each."""
    names: sa.BindParameter[list[str]] = sa.bindparam("names", expanding=True)
    rows = conn.execute(
        sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN :names")
        .bindparams(names), {"names": list(part.triggers)})
    return [(name, sql) for name, sql in rows]
