"""Server actions: instance actions and their events, migrations (resize),
the old flavor of a resize and a second pending transition on instances.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PRECISE = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql",
                                     "mariadb")


def upgrade():
    with op.batch_alter_table("instances") as batch:
        batch.add_column(sa.Column("old_flavor", sa.Text, nullable=True))
        batch.add_column(sa.Column("then_deadline", PRECISE, nullable=True))
        batch.add_column(sa.Column("then_vm_state", sa.String(32),
                                   nullable=True))
        batch.add_column(sa.Column("then_power_state", sa.Integer,
                                   nullable=True))
        batch.create_index("ix_instances_then_deadline", ["then_deadline"])

    op.create_table(
        "instance_actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("action", sa.String(255), nullable=False),
        sa.Column("instance_uuid", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=True),
        sa.Column("project_id", sa.String(255), nullable=True),
        sa.Column("start_time", PRECISE, nullable=False),
        sa.Column("finish_time", PRECISE, nullable=True),
        sa.Column("message", sa.String(255), nullable=True),
        sa.Column("created_at", PRECISE, nullable=False),
        sa.Column("updated_at", PRECISE, nullable=True),
    )
    op.create_index("ix_instance_actions_instance_created",
                    "instance_actions", ["instance_uuid", "created_at", "id"])
    op.create_index("ix_instance_actions_request", "instance_actions",
                    ["instance_uuid", "request_id"])

    op.create_table(
        "instance_actions_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("action_id", sa.Integer,
                  sa.ForeignKey("instance_actions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("event", sa.String(255), nullable=False),
        sa.Column("start_time", PRECISE, nullable=False),
        sa.Column("finish_time", PRECISE, nullable=True),
        sa.Column("result", sa.String(255), nullable=True),
        sa.Column("traceback", sa.Text, nullable=True),
        sa.Column("details", sa.Text, nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
    )
    op.create_index("ix_instance_actions_events_action_id",
                    "instance_actions_events", ["action_id"])

    op.create_table(
        "migrations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("instance_uuid", sa.String(36), nullable=False),
        sa.Column("source_compute", sa.String(255), nullable=True),
        sa.Column("dest_compute", sa.String(255), nullable=True),
        sa.Column("old_instance_type_id", sa.Integer, nullable=True),
        sa.Column("new_instance_type_id", sa.Integer, nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("migration_type", sa.String(32), nullable=False),
        sa.Column("finish_at", PRECISE, nullable=True),
        sa.Column("confirm_at", PRECISE, nullable=True),
        sa.Column("user_id", sa.String(255), nullable=True),
        sa.Column("project_id", sa.String(255), nullable=True),
        sa.Column("created_at", PRECISE, nullable=False),
        sa.Column("updated_at", PRECISE, nullable=True),
    )
    op.create_index("ix_migrations_instance", "migrations",
                    ["instance_uuid"])
    op.create_index("ix_migrations_updated", "migrations",
                    ["updated_at", "id"])
