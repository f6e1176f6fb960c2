"""transit: the imported GTFS timetable (stops matched to the map, routes, services, trips, and
stop times as small integers)
Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "transit_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", _text(length=200), nullable=False),
        sa.Column("timezone", _text(length=60), nullable=False),
        sa.Column("imported_ts", sa.Float(), nullable=False),
        sa.Column("stop_times", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "transit_stops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gtfs_id", _text(length=100), nullable=False),
        sa.Column("name", _text(length=200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("location_type", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("platform_code", _text(length=20), nullable=True),
        sa.Column("wheelchair", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gtfs_id"),
    )
    op.create_table(
        "transit_routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gtfs_id", _text(length=100), nullable=False),
        sa.Column("short_name", _text(length=50), nullable=False),
        sa.Column("long_name", _text(length=200), nullable=False),
        sa.Column("route_type", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gtfs_id"),
    )
    op.create_table(
        "transit_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gtfs_id", _text(length=100), nullable=False),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Integer(), nullable=True),
        sa.Column("end_date", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gtfs_id"),
    )
    op.create_table(
        "transit_service_dates",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Integer(), nullable=False),
        sa.Column("added", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["transit_services.id"]),
        sa.PrimaryKeyConstraint("service_id", "date"),
    )
    op.create_table(
        "transit_trips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gtfs_id", _text(length=100), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("headsign", _text(length=200), nullable=False),
        sa.Column("direction_id", sa.Integer(), nullable=True),
        sa.Column("wheelchair", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["route_id"], ["transit_routes.id"]),
        sa.ForeignKeyConstraint(["service_id"], ["transit_services.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gtfs_id"),
    )
    op.create_table(
        "transit_stop_times",
        sa.Column("trip_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("stop_id", sa.Integer(), nullable=False),
        sa.Column("arrival_s", sa.Integer(), nullable=False),
        sa.Column("departure_s", sa.Integer(), nullable=False),
        sa.Column("boards", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["stop_id"], ["transit_stops.id"]),
        sa.ForeignKeyConstraint(["trip_id"], ["transit_trips.id"]),
        sa.PrimaryKeyConstraint("trip_id", "seq"),
    )
    op.create_index("ix_transit_stop_times_stop_departure", "transit_stop_times",
                    ["stop_id", "departure_s"])


def downgrade() -> None:
    op.drop_index("ix_transit_stop_times_stop_departure", table_name="transit_stop_times")
    for table in ("transit_stop_times", "transit_trips", "transit_service_dates",
                  "transit_services", "transit_routes", "transit_stops", "transit_feeds"):
        op.drop_table(table)
