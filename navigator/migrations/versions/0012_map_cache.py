"""map_cache: the nodes and edges in one binary value, for a fast start (issue 14)

One row (id 1) holding the map as the last start read it and the *generation* it was read at. On
SQLite, triggers on ``nodes`` and ``edges`` raise the generation and clear the copy inside every
transaction that inserts, updates or deletes a row, so a stored copy is always the committed map
(``navigator.storage.mapcache`` checks that all six triggers exist before trusting one). A later
migration that rebuilds ``nodes`` or ``edges`` (``batch_alter_table`` on SQLite copies the table
and drops its triggers) must create them again; until then the copy is simply not used.
PostgreSQL gets the table but no triggers: its starts read the rows, as before.

Revision ID: 0012_map_cache
Revises: 0011_button
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_map_cache"
down_revision = "0011_button"
branch_labels = None
depends_on = None

_EVENTS = ("insert", "update", "delete")


def _trigger_names() -> list[tuple[str, str, str]]:
    return [(f"map_cache_{table}_{event}", table, event)
            for table in ("nodes", "edges") for event in _EVENTS]


def upgrade() -> None:
    op.create_table(
        "map_cache",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO map_cache (id, generation) VALUES (1, 0)")
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, table, event in _trigger_names():
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} FOR EACH ROW BEGIN "
            "UPDATE map_cache SET generation = generation + 1, data = NULL WHERE id = 1; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name, _table, _event in _trigger_names():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("map_cache")
