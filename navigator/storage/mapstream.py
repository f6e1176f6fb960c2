"""The map's rows as a GeoJSON export writes them: one committed state, streamed.

The export process (:mod:`navigator.exportchild`) reads here instead of copying the server's
live map: forking a 700 MB server to copy it held the event loop 40-70 ms. The live map always
equals a committed database state, and one read transaction is one such state (an edit or an
import committed meanwhile is wholly out of it). Rows come in batches, edges joined to their
ends' positions, so memory stays bounded whatever the city's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from navigator.bbox import BBox
from navigator.storage.audit import recent_revision_ids
from navigator.storage.engine import Database
from navigator.storage.mapread import EDGE_RECORD_FIELDS
from navigator.storage.tables import BEACONS, EDGES, LANDMARKS, NODES
from routing.model import EdgeRecord

#: Rows fetched at a time (PostgreSQL: through a server-side cursor).
BATCH_ROWS = 2000


@dataclass(frozen=True, slots=True)
class ExportRows:
    """What one export writes, read lazily from one snapshot: use it inside its ``with``."""

    #: The newest audit-log id the snapshot includes (0: none).
    revision: int
    conn: Connection
    bbox: BBox | None

    def nodes(self) -> Iterator[tuple[int, float, float, float | None]]:
        """(id, lat, lon, level) of every node (in the box)."""
        return self._points(NODES, "id", "lat", "lon", "level")

    def edges(self) -> Iterator[tuple[EdgeRecord, float, float, float, float]]:
        """Each edge (with an end in the box) and its ends' lat, lon: (edge, alat, alon, blat,
        blon), ``a`` at ``u``."""
        a, b = NODES.alias("a"), NODES.alias("b")
        query = (sa.select(*(EDGES.c[name] for name in EDGE_RECORD_FIELDS),
                           a.c.lat, a.c.lon, b.c.lat, b.c.lon)
                 .join(a, a.c.id == EDGES.c.u).join(b, b.c.id == EDGES.c.v))
        if self.bbox is not None:
            query = query.where(sa.or_(_inside(a, self.bbox), _inside(b, self.bbox)))
        width = len(EDGE_RECORD_FIELDS)
        for row in self._rows(query.order_by(EDGES.c.id)):
            yield (EdgeRecord._make(row[:width]), *row[width:])

    def places(self) -> Iterator[tuple[int, str, str, float, float]]:
        """(id, name, kind, lat, lon) of every landmark (in the box)."""
        return self._points(LANDMARKS, "id", "name", "kind", "lat", "lon")

    def beacons(self) -> Iterator[tuple[str, str, float, float, float]]:
        """(kind, ident, lat, lon, measured power) of every beacon (in the box)."""
        return self._points(BEACONS, "kind", "ident", "lat", "lon", "measured_power")

    def _points(self, table: sa.Table, *columns: str) -> Iterator[Any]:
        """Rows of a table of placed things (in the box), in id order."""
        query = sa.select(*(table.c[name] for name in columns))
        if self.bbox is not None:
            query = query.where(_inside(table, self.bbox))
        return self._rows(query.order_by(table.c.id))

    def _rows(self, query: sa.Select[Any]) -> Iterator[Any]:
        result = self.conn.execution_options(stream_results=True, yield_per=BATCH_ROWS
                                             ).execute(query)
        for batch in result.partitions():
            yield from map(tuple, batch)


class MapStreams(Database):
    """Reading the whole map a row at a time, for the export."""

    @contextmanager
    def export_rows(self, bbox: BBox | None) -> Iterator[ExportRows]:
        """The map (or what lies in ``bbox``) in one snapshot, taken before this returns."""
        with self.read_snapshot() as conn:
            # the first read fixes an SQLite snapshot; it is the revision it names
            revision = max(recent_revision_ids(conn, 1), default=0)
            yield ExportRows(revision, conn, bbox)


def _inside(table: sa.FromClause, bbox: BBox) -> sa.ColumnElement[bool]:
    """A row's point lies in the box or on its edge (as :meth:`BBox.contains`)."""
    return sa.and_(table.c.lat.between(bbox.min_lat, bbox.max_lat),
                   table.c.lon.between(bbox.min_lon, bbox.max_lon))
