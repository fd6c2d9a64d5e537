"""Instances: the guest's metadata password, a revision counter, and
microsecond timestamps on MariaDB.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TIMESTAMPS = {"task_deadline": True, "launched_at": True,
               "terminated_at": True, "created_at": False,
               "updated_at": True, "deleted_at": True}


def upgrade():
    with op.batch_alter_table("instances") as batch:
        batch.add_column(sa.Column("password", sa.Text, nullable=True))
        batch.add_column(sa.Column("revision", sa.Integer, nullable=False,
                                   server_default="0"))
    if op.get_bind().dialect.name in ("mysql", "mariadb"):
        for column, nullable in _TIMESTAMPS.items():
            op.alter_column("instances", column,
                            existing_type=sa.DateTime(),
                            type_=mysql.DATETIME(fsp=6),
                            existing_nullable=nullable)
