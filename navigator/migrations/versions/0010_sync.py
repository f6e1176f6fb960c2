"""live session claims: which connection holds a walk, across processes

Issue 19 #14: a second connection with a session's token takes the walk over and the first is told
and closed. Within one process that was the socket it replaced; a connection that reached another
process left the first one talking. Each connection now claims the descriptor (the count goes up
by one); the process whose connection's claim is no longer the newest tells its walker and closes.

Revision ID: 0010_sync
Revises: 0009_oneway
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_sync"
down_revision = "0009_oneway"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("live_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("live_sessions", schema=None) as batch_op:
        batch_op.drop_column("claim")
