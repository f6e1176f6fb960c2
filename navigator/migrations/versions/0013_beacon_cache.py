"""beacon_cache: the beacon layout's columns as a second row of map_cache, for a fast start (#14)

Row 2 of ``map_cache`` holds the layout as the last start read it and the *generation* it was
read at, beside row 1 (nodes and edges). Each row has its own generation and its own triggers,
so a beacon edit (frequent while mapping) keeps the nodes' and edges' copy, and a map edit the
layout's. On SQLite, triggers on ``beacons`` raise row 2's generation and clear its copy inside
every transaction that inserts or deletes a beacon or updates a column the layout holds (kind,
ident, position, level, power, and the id that orders it); updates of only ``last_seen_ts``,
``battery_mv``, ``temperature_c`` or ``revision`` (every live scan's sightings write the first)
keep it. ``navigator.storage.mapcache`` trusts the copy only where all three triggers exist; a
later migration that rebuilds ``beacons`` (``batch_alter_table`` drops its triggers) must create
them again. PostgreSQL gets the row but no triggers and never uses it.

Revision ID: 0013_beacon_cache
Revises: 0012_map_cache
Create Date: 2026-11-29
"""

from alembic import op

revision = "0013_beacon_cache"
down_revision = "0012_map_cache"
branch_labels = None
depends_on = None

_CLEAR = "BEGIN UPDATE map_cache SET generation = generation + 1, data = NULL WHERE id = 2; END"
#: The columns ``navigator.storage.mapread`` reads into the layout (and the id it is ordered by).
_LAYOUT_COLUMNS = "id, kind, ident, lat, lon, level, measured_power"
_TRIGGERS = {
    "map_cache_beacons_insert": "AFTER INSERT ON beacons",
    "map_cache_beacons_update": f"AFTER UPDATE OF {_LAYOUT_COLUMNS} ON beacons",
    "map_cache_beacons_delete": "AFTER DELETE ON beacons",
}


def upgrade() -> None:
    op.execute("INSERT INTO map_cache (id, generation) VALUES (2, 0)")
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, when in _TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW {_CLEAR}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DELETE FROM map_cache WHERE id = 2")
