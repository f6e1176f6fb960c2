"""Single rows by primary key: the lookups every edit and the audit log share."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from navigator.storage.tables import table_of


def primary_key(table: type[SQLModel]) -> str:
    """The name of a table's (single-column) primary key."""
    return table_of(table).primary_key.columns.keys()[0]


def row_by_id(
    conn: Connection, table: type[SQLModel], entity_id: int, lock: bool = False
) -> dict[str, Any] | None:
    """One row as a dict, or None; ``lock`` holds it (PostgreSQL) until the transaction ends."""
    query = sa.select(table_of(table)).where(table_of(table).c[primary_key(table)] == entity_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    return dict(row._mapping) if row else None


def inserted_id(result: Any) -> int:
    """The primary key a single-row INSERT produced."""
    key = result.inserted_primary_key
    assert key is not None  # every table here has a primary key
    return int(key[0])
