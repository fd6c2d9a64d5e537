"""Quotas (project, user and class limits, the lock rows of quota checks)
and server groups with their members.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _timestamps(updated=True):
    columns = [sa.Column("created_at", sa.DateTime(), nullable=False)]
    if updated:
        columns.append(sa.Column("updated_at", sa.DateTime(), nullable=True))
    return columns


def upgrade():
    op.create_table(
        "quotas",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("resource", sa.String(64), nullable=False),
        sa.Column("hard_limit", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("project_id", "user_id", "resource"))
    op.create_table(
        "quota_classes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("class_name", sa.String(255), nullable=False),
        sa.Column("resource", sa.String(64), nullable=False),
        sa.Column("hard_limit", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("class_name", "resource"))
    op.create_table(
        "quota_locks",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key"))
    op.create_table(
        "instance_groups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("project_id", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("policy", sa.String(32), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        *_timestamps(updated=False),
        sa.UniqueConstraint("uuid"))
    op.create_index("ix_instance_groups_project_id", "instance_groups",
                    ["project_id"])
    op.create_table(
        "instance_group_members",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("group_id", sa.Integer(),
                  sa.ForeignKey("instance_groups.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("instance_uuid", sa.String(36), nullable=False),
        *_timestamps(updated=False),
        sa.UniqueConstraint("group_id", "instance_uuid"))
    op.create_index("ix_instance_group_members_group_id",
                    "instance_group_members", ["group_id"])
    op.create_index("ix_instance_group_members_instance_uuid",
                    "instance_group_members", ["instance_uuid"])
