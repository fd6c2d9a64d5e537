"""Console auth tokens: what POST /servers/{id}/remote-consoles issues and
GET /os-console-auth-tokens/{token} answers for. Only a hash of each
token is stored.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "console_auth_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(255), nullable=False, unique=True),
        sa.Column("console_type", sa.String(255), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer, nullable=False),
        sa.Column("tls_port", sa.Integer, nullable=True),
        sa.Column("internal_access_path", sa.String(255), nullable=True),
        sa.Column("instance_uuid", sa.String(36),
                  sa.ForeignKey("instances.uuid", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("expires", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_console_auth_tokens_instance_uuid",
                    "console_auth_tokens", ["instance_uuid"])
    op.create_index("ix_console_auth_tokens_expires", "console_auth_tokens",
                    ["expires"])


def downgrade():
    op.drop_table("console_auth_tokens")
