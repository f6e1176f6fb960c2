"""Whole layers replaced at once: an import replaces the map, a plan the beacon layout."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from beacons.model import BeaconPlacement
from navigator.storage.audit import record_revision
from navigator.storage.engine import Database
from navigator.storage.mapcache import GRAPH, LAYOUT, rewriting
from navigator.storage.mapread import PLACE_RECORD_FIELDS
from navigator.storage.tables import Beacon, Closure, Edge, Landmark, Node
from routing.model import MapExtract

log = logging.getLogger(__name__)


class MapWrites(Database):
    """Each replacement is one transaction and one audit-log entry: all of it or none of it."""

    def replace_map(self, extract: MapExtract, *, actor: str | None, source: str) -> int:
        """Replace nodes, edges and landmarks with an import, in one transaction; the id of its
        audit-log entry.

        Closures are dropped with the edges they named; beacons stay (they hang on real poles)
        and the audit log records the import.
        """
        with self.write() as conn, rewriting(conn, GRAPH):
            for table in (Closure, Edge, Landmark, Node):
                conn.execute(sa.delete(table))
            _insert_many(conn, Node, ({**n._asdict(), "revision": 1} for n in extract.nodes))
            _insert_many(conn, Edge, ({**e._asdict(), "revision": 1} for e in extract.edges))
            _insert_many(
                conn,
                Landmark,
                ({**{c: getattr(p, c) for c in PLACE_RECORD_FIELDS}, "revision": 1}
                 for p in extract.places),
            )
            summary = {
                "source": source,
                "nodes": len(extract.nodes),
                "edges": len(extract.edges),
                "landmarks": len(extract.places),
            }
            revision = record_revision(conn, "map", "import", actor, after=summary)
        log.info("map imported", extra={"event": "map_import", **summary})
        return revision

    def replace_beacons(self, placements: Sequence[BeaconPlacement], *, actor: str | None) -> int:
        """Store a planned layout in place of the current beacons, audited as one revision (its
        id is returned)."""
        with self.write() as conn, rewriting(conn, LAYOUT):
            conn.execute(sa.delete(Beacon))
            _insert_many(
                conn,
                Beacon,
                (
                    {
                        "kind": p.beacon.kind.value,
                        "ident": p.beacon.ident,
                        "lat": p.lat,
                        "lon": p.lon,
                        "level": p.level,
                        "measured_power": p.measured_power_dbm,
                        "revision": 1,
                    }
                    for p in placements
                ),
            )
            return record_revision(conn, "beacons", "plan", actor,
                                   after={"beacons": len(placements)})


def _insert_many(
    conn: Connection, table: type[SQLModel], rows: Iterable[dict[str, Any]], chunk: int = 5000
) -> None:
    """Bulk insert in chunks (executemany through SQLAlchemy core, no ORM objects)."""
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            conn.execute(sa.insert(table), batch)
            batch = []
    if batch:
        conn.execute(sa.insert(table), batch)
