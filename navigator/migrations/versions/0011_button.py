"""edges.button_operated: a signalled crossing's push button (issue 16)

The button a walker presses to ask for green (OSM ``button_operated=yes|no`` on the crossing way
or node): a blind walker must find it, usually on the pole by the kerb, often under the
vibrating arrow. Rows from before are NULL (not recorded).

Revision ID: 0011_button
Revises: 0010_sync
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_button"
down_revision = "0010_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("edges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("button_operated", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("edges", schema=None) as batch_op:
        batch_op.drop_column("button_operated")
