"""What the guest's network_data.json needs of a Neutron port, kept in
the network info cache (JSON): the network's MTU, the VIF type and the
subnet of each fixed address (CIDR, gateway, DNS servers, routes, DHCP).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("instance_ports") as batch:
        batch.add_column(sa.Column("details", sa.Text, nullable=True))


def downgrade():
    with op.batch_alter_table("instance_ports") as batch:
        batch.drop_column("details")
