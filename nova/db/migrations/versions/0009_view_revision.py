"""Servers: ``view_revision``, the revision of the last change to anything
a server's view shows other than its state (vm, task and power state, their
pending transition, ``updated_at``, the lock). The compute API keeps a
server's rendered view by it, so an action that changes only the state
(a reboot) re-renders only those fields.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("instances") as batch:
        batch.add_column(sa.Column("view_revision", sa.Integer(),
                                   nullable=False, server_default="0"))
    op.execute("UPDATE instances SET view_revision = revision")


def downgrade():
    with op.batch_alter_table("instances") as batch:
        batch.drop_column("view_revision")
