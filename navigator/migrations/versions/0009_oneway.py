"""edges.oneway: a path walkers may use in one direction only (issue 18)

"yes": only from u to v; "-1": only from v to u; "no" or NULL: both ways. Imported from
``oneway:foot`` anywhere, ``foot:backward|forward=no``, or ``oneway`` on footway, path and steps
(never a road's oneway, which binds vehicles): see routing.tags.parse_foot_oneway. Rows from
before are NULL, as their map was imported without the rule.

Revision ID: 0009_oneway
Revises: 0008
Create Date: 2026-11-28
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009_oneway"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("edges", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "oneway", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("edges", schema=None) as batch_op:
        batch_op.drop_column("oneway")
