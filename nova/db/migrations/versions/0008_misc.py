"""Images: ``size`` as a 64-bit integer (an image of 4 GiB or more did not
fit the 32-bit column on MariaDB and PostgreSQL).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # batch_alter_table: SQLite rebuilds the table (its INTEGER is 64-bit
    # already, but the declared type is kept honest); the servers alter
    # the column in place.
    with op.batch_alter_table("images") as batch:
        batch.alter_column("size", existing_type=sa.Integer(),
                           type_=sa.BigInteger(), existing_nullable=False)


def downgrade():
    with op.batch_alter_table("images") as batch:
        batch.alter_column("size", existing_type=sa.BigInteger(),
                           type_=sa.Integer(), existing_nullable=False)
