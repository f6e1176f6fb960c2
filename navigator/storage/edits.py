"""Mappers' edits: audited create/update/delete/revert of one map entity, each one transaction
(and an edge split, one transaction of several audited steps)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from navigator.storage.audit import record_revision, revision_page
from navigator.storage.changes import MapChange, change_now
from navigator.storage.engine import Database
from navigator.storage.entities import (
    ENTITY_TABLES,
    check_references,
    current_row,
    delete_entity,
    edge_length,
    guarded_update,
    refresh_incident_lengths,
    with_new_id,
)
from navigator.storage.errors import EditConflict, InvalidEdit, NotFound
from navigator.storage.rows import inserted_id, primary_key, row_by_id
from navigator.storage.tables import CLOSURES, Closure, Edge, MapRevision, Node, table_of

#: What a split edge does not pass on to its halves: the rest (tags, OSM way) both keep.
_OWN_TO_ONE_EDGE = ("id", "u", "v", "length_m", "revision")


class MapEditor:
    """Audited create/update/delete/revert of map entities, each in one transaction.

    Every method returns a :class:`MapChange`; the caller applies it to the live map after the
    commit, so what the router sees is always what the database holds.
    """

    def __init__(self, storage: Database) -> None:
        self.storage = storage

    # ---- reads

    def list_rows(self, entity: str, limit: int, offset: int,
                  equal: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """One page of an entity's rows by id; ``equal`` keeps those whose columns hold these
        values."""
        table = table_of(ENTITY_TABLES[entity])
        with self.storage.engine.connect() as conn:
            rows = conn.execute(
                sa.select(table)
                .where(*(table.c[k] == v for k, v in (equal or {}).items()))
                .order_by(table.c[primary_key(ENTITY_TABLES[entity])])
                .limit(limit)
                .offset(offset)
            )
            return [dict(r._mapping) for r in rows]

    def get(self, entity: str, entity_id: int) -> dict[str, Any]:
        with self.storage.engine.connect() as conn:
            row = row_by_id(conn, ENTITY_TABLES[entity], entity_id)
        if row is None:
            raise NotFound(f"{entity} {entity_id} does not exist")
        return row

    def revisions(self, limit: int, offset: int) -> list[dict[str, Any]]:
        with self.storage.engine.connect() as conn:
            return revision_page(conn, limit, offset)

    # ---- writes

    def create(self, entity: str, values: dict[str, Any], actor: str | None) -> MapChange:
        with self.storage.write() as conn:
            return _create(conn, entity, values, actor)

    def update(
        self,
        entity: str,
        entity_id: int,
        changes: dict[str, Any],
        expected_revision: int | None,
        actor: str | None,
    ) -> MapChange:
        table = ENTITY_TABLES[entity]
        with self.storage.write() as conn:
            before = current_row(conn, table, entity, entity_id, expected_revision)
            merged = {**before, **changes}
            check_references(conn, entity, merged)
            if entity == "edge" and {"u", "v"} & changes.keys():
                span = edge_length(
                    conn, merged["u"], merged["v"], field="v" if "v" in changes else "u"
                )
                changes = {"length_m": span, **changes}
            guarded_update(conn, table, entity_id, before, changes)
            if entity == "node" and ({"lat", "lon"} & changes.keys()):
                refresh_incident_lengths(conn, entity_id)
            after = row_by_id(conn, table, entity_id)
            return _audited(conn, entity, "update", before, after, actor)

    def delete(
        self, entity: str, entity_id: int, expected_revision: int | None, actor: str | None
    ) -> MapChange:
        table = ENTITY_TABLES[entity]
        with self.storage.write() as conn:
            before = current_row(conn, table, entity, entity_id, expected_revision)
            delete_entity(conn, entity, entity_id)
            return _audited(conn, entity, "delete", before, None, actor)

    def split_edge(
        self, edge_id: int, fraction: float, expected_revision: int | None, actor: str | None
    ) -> list[MapChange]:
        """Put a new node on an edge ``fraction`` of the way from ``u`` to ``v`` and replace the
        edge by two that keep its tags, in one transaction. Each step is its own revision, so
        the audit log shows (and can undo) exactly what changed. An edge with closures is
        refused: which half a closure blocks is the mapper's call, not a guess."""
        with self.storage.write() as conn:
            edge = current_row(conn, Edge, "edge", edge_id, expected_revision)
            if conn.execute(
                sa.select(sa.func.count()).select_from(Closure).where(CLOSURES.c.edge_id == edge_id)
            ).scalar_one():
                raise InvalidEdit(f"edge {edge_id} is closed; reopen it before splitting", "id")
            a, b = row_by_id(conn, Node, edge["u"]), row_by_id(conn, Node, edge["v"])
            assert a is not None and b is not None  # an edge's nodes exist (foreign keys)
            point = {
                "lat": a["lat"] + (b["lat"] - a["lat"]) * fraction,
                "lon": a["lon"] + (b["lon"] - a["lon"]) * fraction,
                "level": a["level"] if a["level"] == b["level"] else None,
            }
            made = [_create(conn, "node", point, actor)]
            middle = int((made[0].after or {})["id"])
            tags = {k: v for k, v in edge.items() if k not in _OWN_TO_ONE_EDGE}
            for u, v in ((edge["u"], middle), (middle, edge["v"])):
                made.append(_create(conn, "edge", {**tags, "u": u, "v": v}, actor))
            delete_entity(conn, "edge", edge_id)
            return [*made, _audited(conn, "edge", "delete", edge, None, actor)]

    def revert(self, revision_id: int, actor: str | None) -> MapChange:
        """Undo one revision by applying its inverse (a revert of a revert redoes the edit)."""
        with self.storage.write() as conn:
            rev = row_by_id(conn, MapRevision, revision_id)
            if rev is None:
                raise NotFound(f"revision {revision_id} does not exist")
            entity = rev["entity"]
            if entity not in ENTITY_TABLES:
                raise InvalidEdit(
                    f"a {rev['action']} of the whole {entity} cannot be reverted; "
                    "import the previous data instead",
                    "id",
                )
            table = ENTITY_TABLES[entity]
            before_rev = json.loads(rev["before"]) if rev["before"] else None
            entity_id = rev["entity_id"]
            current = row_by_id(conn, table, entity_id, lock=True)
            if before_rev is None:  # undo a create
                if current is None:
                    raise EditConflict(f"{entity} {entity_id} is already gone")
                delete_entity(conn, entity, entity_id)
                after = None
            elif current is None:  # undo a delete
                check_references(conn, entity, before_rev)
                conn.execute(sa.insert(table).values(**{**before_rev, "revision": 1}))
                after = row_by_id(conn, table, entity_id)
            else:  # undo an update
                changes = {k: v for k, v in before_rev.items() if k not in ("id", "revision")}
                check_references(conn, entity, {**current, **changes})
                guarded_update(conn, table, entity_id, current, changes)
                if entity == "node":
                    refresh_incident_lengths(conn, entity_id)
                after = row_by_id(conn, table, entity_id)
            return _audited(
                conn,
                entity,
                "revert",
                current,
                after,
                actor,
                reverts_id=revision_id,
                entity_id=entity_id,
            )


def _create(conn: Connection, entity: str, values: dict[str, Any], actor: str | None) -> MapChange:
    """Insert one entity (an edge's length from its nodes unless given) and audit it."""
    table = ENTITY_TABLES[entity]
    values = with_new_id(conn, table, values)
    check_references(conn, entity, values)
    if entity == "edge":
        span = edge_length(conn, values["u"], values["v"])
        values = {**values, "length_m": values.get("length_m") or span}
    try:
        new_id = inserted_id(conn.execute(sa.insert(table).values(**values)))
    except sa.exc.IntegrityError as err:
        raise EditConflict(f"{entity} conflicts with an existing one: {err.orig}") from None
    after = row_by_id(conn, table, new_id)
    return _audited(conn, entity, "create", None, after, actor)


def _audited(
    conn: Connection,
    entity: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    actor: str | None,
    reverts_id: int | None = None,
    entity_id: int | None = None,
) -> MapChange:
    """Log the edit in the audit log and say what the live map must apply for it."""
    row = after or before or {}
    pk = primary_key(ENTITY_TABLES[entity])
    rev_id = record_revision(
        conn,
        entity,
        action,
        actor,
        entity_id=entity_id if entity_id is not None else row.get(pk),
        before=before,
        after=after,
        reverts_id=reverts_id,
    )
    return change_now(conn, rev_id, entity, after, [(entity, int(row[pk]))])
