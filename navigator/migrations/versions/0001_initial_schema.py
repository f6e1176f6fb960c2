"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_ts", sa.Float(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_table(
        "beacons",
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("ident", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("level", sa.Float(), nullable=True),
        sa.Column("measured_power", sa.Float(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seen_ts", sa.Float(), nullable=True),
        sa.Column("battery_mv", sa.Integer(), nullable=True),
        sa.Column("temperature_c", sa.Float(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ident"),
    )
    op.create_table(
        "landmarks",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("level", sa.Float(), nullable=True),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("osm_id", sa.BigInteger(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "map_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("at_ts", sa.Float(), nullable=False),
        sa.Column("before", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("after", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("reverts_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "meta",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "nodes",
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("level", sa.Float(), nullable=True),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "edges",
        sa.Column("highway", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("footway", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("sidewalk", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("crossing", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("crossing_island", sa.Boolean(), nullable=True),
        sa.Column("traffic_signals_sound", sa.Boolean(), nullable=True),
        sa.Column("traffic_signals_vibration", sa.Boolean(), nullable=True),
        sa.Column("tactile_paving", sa.Boolean(), nullable=True),
        sa.Column("kerb", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("kerb_height_m", sa.Float(), nullable=True),
        sa.Column("step_count", sa.Integer(), nullable=True),
        sa.Column("handrail", sa.Boolean(), nullable=True),
        sa.Column("incline", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("surface", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("smoothness", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("width_m", sa.Float(), nullable=True),
        sa.Column("lit", sa.Boolean(), nullable=True),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("u", sa.BigInteger(), nullable=False),
        sa.Column("v", sa.BigInteger(), nullable=False),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("osm_way_id", sa.BigInteger(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["u"],
            ["nodes.id"],
        ),
        sa.ForeignKeyConstraint(
            ["v"],
            ["nodes.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("edges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_edges_u"), ["u"], unique=False)
        batch_op.create_index(batch_op.f("ix_edges_v"), ["v"], unique=False)

    op.create_table(
        "closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edge_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("starts_ts", sa.Float(), nullable=False),
        sa.Column("ends_ts", sa.Float(), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["edge_id"],
            ["edges.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("closures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closures_edge_id"), ["edge_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("closures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closures_edge_id"))

    op.drop_table("closures")
    with op.batch_alter_table("edges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_edges_v"))
        batch_op.drop_index(batch_op.f("ix_edges_u"))

    op.drop_table("edges")
    op.drop_table("nodes")
    op.drop_table("meta")
    op.drop_table("map_revisions")
    op.drop_table("landmarks")
    op.drop_table("beacons")
    op.drop_table("api_keys")
