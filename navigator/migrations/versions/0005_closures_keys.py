"""live session tokens: the hash of each session's secret, on its descriptor and its track

Issue 19 #14: a walk was taken over by anyone who knew its session id. A session now has a
separate secret token (shown once, stored as its sha256); any process that resumes the session
or serves its track checks it. Rows from before have no token and cannot be resumed or read.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("live_sessions", "tracks"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(
                "token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    for table in ("live_sessions", "tracks"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("token_hash")
