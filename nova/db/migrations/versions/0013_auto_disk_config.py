"""Servers: ``auto_disk_config``, the disk config extension's value
(``OS-DCF:diskConfig``: AUTO when true, MANUAL when false), chosen at
create, rebuild, resize and update, or taken from the image's
``auto_disk_config`` property. Existing servers are MANUAL, as every view
showed them.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("instances") as batch:
        batch.add_column(sa.Column("auto_disk_config", sa.Boolean(),
                                   nullable=False,
                                   server_default="0"))


def downgrade():
    with op.batch_alter_table("instances") as batch:
        batch.drop_column("auto_disk_config")
