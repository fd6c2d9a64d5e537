"""Flavors, their extra specs and their project access.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "flavors",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("flavorid", sa.String(255), nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("memory_mb", sa.Integer, nullable=False),
        sa.Column("vcpus", sa.Integer, nullable=False),
        sa.Column("root_gb", sa.Integer, nullable=False),
        sa.Column("ephemeral_gb", sa.Integer, nullable=False),
        sa.Column("swap", sa.Integer, nullable=False),
        sa.Column("rxtx_factor", sa.Float, nullable=False),
        sa.Column("vcpu_weight", sa.Integer, nullable=True),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("is_public", sa.Boolean, nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "flavor_extra_specs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("flavor_id", sa.Integer,
                  sa.ForeignKey("flavors.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.UniqueConstraint("flavor_id", "key"),
    )
    op.create_table(
        "flavor_projects",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("flavor_id", sa.Integer,
                  sa.ForeignKey("flavors.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("project_id", sa.String(255), nullable=False),
        sa.UniqueConstraint("flavor_id", "project_id"),
    )
