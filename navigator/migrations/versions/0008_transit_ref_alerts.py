"""transit_ref_alerts: a stop place's OSM ``ref`` and ``local_ref`` and a timetable stop's GTFS
``stop_code``, by which the timetable's stops are matched to the map first
Revision ID: 0008
Revises: 0006
Create Date: 2026-11-28
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

_text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("landmarks") as batch:
        batch.add_column(sa.Column("ref", _text(length=40), nullable=True))
        batch.add_column(sa.Column("local_ref", _text(length=40), nullable=True))
    with op.batch_alter_table("transit_stops") as batch:
        batch.add_column(sa.Column("code", _text(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transit_stops") as batch:
        batch.drop_column("code")
    with op.batch_alter_table("landmarks") as batch:
        batch.drop_column("local_ref")
        batch.drop_column("ref")
