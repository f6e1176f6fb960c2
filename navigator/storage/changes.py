"""What a live map must apply to match the database: after an edit here, and after the edits
other processes made (map sync)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from navigator.storage.audit import revisions_after
from navigator.storage.engine import Database
from navigator.storage.mapread import edge_record, node_record, place_record
from navigator.storage.tables import EDGES, LANDMARKS, NODES
from routing.model import EdgeRecord, NodeRecord, PlaceRecord


@dataclass
class MapChange:
    """What one committed edit changed, for the live map to apply without a reload."""

    revision_id: int
    entity: str
    after: dict[str, Any] | None
    nodes: list[NodeRecord]
    edges: list[EdgeRecord]
    places: list[PlaceRecord]
    deleted_nodes: list[int]
    deleted_edges: list[int]
    deleted_places: list[int]
    beacons_changed: bool = False
    closures_changed: bool = False


class MapSync(Database):
    """Keeping every process's live map in step with the database."""

    def changes_since(
        self, after_id: int, skip: Collection[int], limit: int = 1000
    ) -> tuple[list[int], MapChange | None]:
        """Audit-log ids above ``after_id`` not in ``skip`` (oldest first, at most ``limit``) and
        one change that brings a live map to the database's *current* state of everything they
        touched, read in one go so it is consistent. Applying it twice is harmless. None instead
        of a change when one of them replaced the whole map (an import): reload it then.

        One snapshot for both reads: an import committed between them would otherwise be
        missed in the log and yet read as the current state of what the edits touched.
        """
        with self.read_snapshot() as conn:
            refs = [r for r in revisions_after(conn, after_id, limit) if r.id not in skip]
            ids = [r.id for r in refs]
            if any(r.entity == "map" for r in refs):
                return ids, None
            touched = [(r.entity, r.entity_id) for r in refs]
            return ids, change_now(conn, ids[-1] if ids else after_id, "sync", None, touched)


def change_now(
    conn: Connection,
    revision_id: int,
    entity: str,
    after: dict[str, Any] | None,
    touched: Sequence[tuple[str, int | None]],
) -> MapChange:
    """What a live map must apply to match the database's current state of the ``touched``
    (entity, id) pairs (a node brings its incident edges along; what is gone is deleted). One
    reader for an edit just made and for edits other processes made (map sync)."""
    change = MapChange(revision_id, entity, after, [], [], [], [], [], [])
    nodes, edges, places = (
        {i for e, i in touched if e == kind and i is not None}
        for kind in ("node", "edge", "landmark")
    )
    found = {r.id: node_record(dict(r._mapping)) for r in conn.execute(
        sa.select(NODES).where(NODES.c.id.in_(nodes)))} if nodes else {}
    change.nodes.extend(found.values())
    change.deleted_nodes.extend(nodes - found.keys())
    near = sa.or_(EDGES.c.id.in_(edges), EDGES.c.u.in_(list(found)), EDGES.c.v.in_(list(found)))
    live = {r.id: edge_record(dict(r._mapping)) for r in conn.execute(
        sa.select(EDGES).where(near))} if edges or found else {}
    change.edges.extend(live.values())
    change.deleted_edges.extend(edges - live.keys())
    kept = {r.id: place_record(dict(r._mapping)) for r in conn.execute(
        sa.select(LANDMARKS).where(LANDMARKS.c.id.in_(places)))} if places else {}
    change.places.extend(kept.values())
    change.deleted_places.extend(places - kept.keys())
    change.beacons_changed = any(e in ("beacon", "beacons") for e, _ in touched)
    # deleting an edge deletes its closures
    change.closures_changed = bool(change.deleted_edges) or any(e == "closure" for e, _ in touched)
    return change
