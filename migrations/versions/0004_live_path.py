"""live path: idempotent arrivals, routing facts kept across restarts, projector cursor

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 09:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        # An arrival is idempotent by (source, external_id): a retried INVITE or webhook
        # finds the contact it already made. NULLs never collide, so arrivals without an
        # external id are unaffected.
        batch_op.add_column(sa.Column("source", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        # What routing needs to put a waiting contact back in its place after a restart.
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("priority", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("last_event_seq", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint(
            "uq_interactions_source_external_id", ["source", "external_id"]
        )
        batch_op.create_index("ix_interactions_status", ["status"])
    op.create_table(
        "event_cursors",
        sa.Column("consumer", sa.String(length=64), primary_key=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("event_cursors")
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_index("ix_interactions_status")
        batch_op.drop_constraint("uq_interactions_source_external_id", type_="unique")
        for name in ("last_event_seq", "priority", "language", "external_id", "source"):
            batch_op.drop_column(name)
