"""Neutron's ports of a server: the network info cache, one row per
address of each port (fixed or floating), written after every call that
changes them, read by the views.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "instance_ports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_uuid", sa.String(36),
                  sa.ForeignKey("instances.uuid", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("port_id", sa.String(36), nullable=False),
        sa.Column("network_id", sa.String(36), nullable=False),
        sa.Column("network", sa.String(255), nullable=False),
        sa.Column("mac_address", sa.String(17), nullable=False),
        sa.Column("address", sa.String(39), nullable=True),
        sa.Column("subnet_id", sa.String(36), nullable=True),
        sa.Column("ip_type", sa.String(16), nullable=False),
        sa.Column("created", sa.Boolean, nullable=False),
        sa.Column("port_state", sa.String(36), nullable=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_instance_ports_instance_uuid", "instance_ports",
                    ["instance_uuid"])
    op.create_index("ix_instance_ports_port_id", "instance_ports",
                    ["port_id"])


def downgrade():
    op.drop_table("instance_ports")
