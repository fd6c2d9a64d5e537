"""Admin views: service/hypervisor ids, forced down and deleted hosts, and
host aggregates with their hosts and metadata.

Revision ID: 0007
Revises: 0006
"""

import uuid

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_PRECISE = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql",
                                      "mariadb")


def upgrade():
    with op.batch_alter_table("compute_hosts") as batch:
        batch.add_column(sa.Column("uuid", sa.String(36), nullable=True))
        batch.add_column(sa.Column("node_uuid", sa.String(36),
                                   nullable=True))
        batch.add_column(sa.Column("forced_down", sa.Boolean(),
                                   nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("deleted", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("deleted_at", sa.DateTime(),
                                   nullable=True))
    hosts = sa.table("compute_hosts", sa.column("id", sa.Integer),
                     sa.column("uuid", sa.String),
                     sa.column("node_uuid", sa.String))
    bind = op.get_bind()
    for (host_id,) in bind.execute(sa.select(hosts.c.id)).all():
        bind.execute(hosts.update().where(hosts.c.id == host_id).values(
            uuid=str(uuid.uuid4()), node_uuid=str(uuid.uuid4())))
    with op.batch_alter_table("compute_hosts") as batch:
        batch.alter_column("uuid", existing_type=sa.String(36),
                           nullable=False)
        batch.alter_column("node_uuid", existing_type=sa.String(36),
                           nullable=False)
        # The model has no server defaults: the ORM fills these.
        batch.alter_column("forced_down", existing_type=sa.Boolean(),
                           existing_nullable=False, server_default=None)
        batch.alter_column("deleted", existing_type=sa.Integer(),
                           existing_nullable=False, server_default=None)
        batch.create_unique_constraint("uq_compute_hosts_uuid", ["uuid"])
        batch.create_unique_constraint("uq_compute_hosts_node_uuid",
                                       ["node_uuid"])

    op.create_table(
        "aggregates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("created_at", _PRECISE, nullable=False),
        sa.Column("updated_at", _PRECISE, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "aggregate_hosts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("aggregate_id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(["aggregate_id"], ["aggregates.id"],
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("aggregate_id", "host"),
    )
    op.create_index("ix_aggregate_hosts_aggregate_id", "aggregate_hosts",
                    ["aggregate_id"])
    op.create_index("ix_aggregate_hosts_host", "aggregate_hosts", ["host"])
    op.create_table(
        "aggregate_metadata",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("aggregate_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(["aggregate_id"], ["aggregates.id"],
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("aggregate_id", "key"),
    )
    op.create_index("ix_aggregate_metadata_aggregate_id",
                    "aggregate_metadata", ["aggregate_id"])
    op.create_index("ix_aggregate_metadata_key", "aggregate_metadata",
                    ["key"])


def downgrade():
    op.drop_table("aggregate_metadata")
    op.drop_table("aggregate_hosts")
    op.drop_table("aggregates")
    with op.batch_alter_table("compute_hosts") as batch:
        batch.drop_constraint("uq_compute_hosts_node_uuid", type_="unique")
        batch.drop_constraint("uq_compute_hosts_uuid", type_="unique")
        for column in ("deleted_at", "deleted", "forced_down", "node_uuid",
                       "uuid"):
            batch.drop_column(column)
