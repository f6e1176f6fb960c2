"""The rules one map entity's edit obeys, inside the caller's transaction: revisions, references,
edge lengths."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from navigator.storage.errors import (
    EdgeTooLong,
    EditConflict,
    InvalidEdit,
    NotFound,
    StaleRevision,
)
from navigator.storage.rows import primary_key, row_by_id
from navigator.storage.tables import (
    CLOSURES,
    EDGES,
    MAX_EDGE_M,
    Beacon,
    Closure,
    Edge,
    Landmark,
    Node,
    table_of,
)
from routing.geo import haversine_m

#: The map entities mappers edit one by one, by the name the API and the audit log use.
ENTITY_TABLES: dict[str, type[SQLModel]] = {
    "node": Node,
    "edge": Edge,
    "beacon": Beacon,
    "landmark": Landmark,
    "closure": Closure,
}
_ASSIGNED_IDS = (Node, Edge, Landmark)  # ids follow OSM; new ones are max + 1


def with_new_id(conn: Connection, table: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with the next free id where the table follows OSM ids and none was chosen."""
    if table not in _ASSIGNED_IDS or values.get("id") is not None:
        return values
    newest = conn.execute(sa.select(sa.func.coalesce(sa.func.max(table_of(table).c.id), 0)))
    return {**values, "id": int(newest.scalar_one()) + 1}


def current_row(
    conn: Connection,
    table: type[SQLModel],
    entity: str,
    entity_id: int,
    expected_revision: int | None,
) -> dict[str, Any]:
    """The row an edit starts from, held until commit; refused when it is gone or when the
    client edited an older revision than the stored one."""
    row = row_by_id(conn, table, entity_id, lock=True)
    if row is None:
        raise NotFound(f"{entity} {entity_id} does not exist")
    if expected_revision is not None and row.get("revision") != expected_revision:
        raise StaleRevision(
            f"{entity} {entity_id} is at revision {row.get('revision')}, not "
            f"{expected_revision}; reload it and apply your edit again"
        )
    return row


def guarded_update(
    conn: Connection,
    table: type[SQLModel],
    entity_id: int,
    before: dict[str, Any],
    changes: dict[str, Any],
) -> None:
    """Apply ``changes`` only if the row is still at ``before``'s revision, and count one up."""
    cols = table_of(table).c
    query = sa.update(table).where(cols[primary_key(table)] == entity_id)
    values = dict(changes)
    if "revision" in cols:
        query = query.where(cols.revision == before["revision"])
        values["revision"] = before["revision"] + 1
    try:
        updated = conn.execute(query.values(**values)).rowcount
    except sa.exc.IntegrityError as err:
        raise EditConflict(f"the edit conflicts with an existing object: {err.orig}") from None
    if updated != 1:
        raise StaleRevision("the object changed while this edit was applied; retry")


def check_references(conn: Connection, entity: str, values: dict[str, Any]) -> None:
    """Refuse an edge whose ends, or a closure whose edge, do not exist, and a loop edge."""
    refs: dict[str, tuple[tuple[str, type[SQLModel], str], ...]] = {
        "edge": (("u", Node, "node"), ("v", Node, "node")),
        "closure": (("edge_id", Edge, "edge"),),
    }
    for field, table, noun in refs.get(entity, ()):
        if row_by_id(conn, table, values[field]) is None:
            raise InvalidEdit(f"{field} = {values[field]} names no existing {noun}", field)
    if entity == "edge" and values["u"] == values["v"]:
        raise InvalidEdit("an edge must join two different nodes", "v")


def delete_entity(conn: Connection, entity: str, entity_id: int) -> None:
    """Delete one entity, as a delete and the revert of a create both do: a node only once no
    edge uses it (the edge would dangle), an edge together with its closures."""
    if entity == "node":
        n = conn.execute(
            sa.select(sa.func.count())
            .select_from(Edge)
            .where(sa.or_(EDGES.c.u == entity_id, EDGES.c.v == entity_id))
        ).scalar_one()
        if n:
            raise InvalidEdit(f"node {entity_id} still has {n} edge(s); delete them first", "id")
    if entity == "edge":
        conn.execute(sa.delete(Closure).where(CLOSURES.c.edge_id == entity_id))
    table = ENTITY_TABLES[entity]
    conn.execute(sa.delete(table).where(table_of(table).c[primary_key(table)] == entity_id))


def edge_length(conn: Connection, u: int, v: int, field: str = "v") -> float:
    """The straight length between two stored nodes; refuses spans over :data:`MAX_EDGE_M`."""
    a, b = row_by_id(conn, Node, u), row_by_id(conn, Node, v)
    assert a is not None and b is not None  # checked by check_references
    length = haversine_m(a["lat"], a["lon"], b["lat"], b["lon"])
    if length > MAX_EDGE_M:
        raise EdgeTooLong(
            f"this edit would make an edge {length / 1000:.1f} km long (nodes {u} "
            f"and {v}); check the coordinates",
            field,
        )
    return max(0.01, length)


def refresh_incident_lengths(conn: Connection, node_id: int) -> None:
    """A moved node changes the length of every edge that touches it."""
    for e in conn.execute(
        sa.select(EDGES.c.id, EDGES.c.u, EDGES.c.v).where(
            sa.or_(EDGES.c.u == node_id, EDGES.c.v == node_id)
        )
    ).all():
        conn.execute(
            sa.update(Edge)
            .where(EDGES.c.id == e.id)
            .values(
                length_m=edge_length(conn, e.u, e.v, field="lat"), revision=EDGES.c.revision + 1
            )
        )
