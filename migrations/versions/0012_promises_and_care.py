"""Promises, per-channel opt-outs, complaints' first-answer deadline and kind

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 18:05:00.000000

The CRM doctrine (docs/promises.md): an agent's promise to a customer is kept on the record
with its due time and owner; a customer may refuse calls or messages separately; a complaint
owes a first answer sooner than its resolution, and a complaint may be a suggestion or a
request. Old complaints get a first-answer deadline of their creation plus 24 h (the
default) and count as answered when they were acknowledged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "promises",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "customer_id",
            sa.Integer(),
            sa.ForeignKey("customers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "interaction_id",
            sa.Integer(),
            sa.ForeignKey("interactions.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "owner_id", sa.Integer(), sa.ForeignKey("agents.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column(
            "created_by_id",
            sa.Integer(),
            sa.ForeignKey("agents.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_promises_customer_status", "promises", ["customer_id", "status"])
    op.create_index("ix_promises_status_due", "promises", ["status", "due_at"])
    with op.batch_alter_table("customers") as batch:
        batch.add_column(
            sa.Column("do_not_call", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("do_not_message", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(16), nullable=False, server_default="complaint")
        )
        batch.add_column(sa.Column("first_answer_due_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("first_answered_at", sa.DateTime(timezone=True)))
    # Backfill in Python: date arithmetic differs between PostgreSQL and SQLite, and the
    # table is small (complaints, not contacts).
    bind = op.get_bind()
    complaints = sa.table(
        "complaints",
        sa.column("id", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.column("first_answer_due_at", sa.DateTime(timezone=True)),
        sa.column("first_answered_at", sa.DateTime(timezone=True)),
    )
    from datetime import timedelta

    rows = bind.execute(
        sa.select(complaints.c.id, complaints.c.created_at, complaints.c.acknowledged_at)
    ).all()
    for cid, created_at, acknowledged_at in rows:
        if created_at is None:
            continue
        bind.execute(
            complaints.update()
            .where(complaints.c.id == cid)
            .values(
                first_answer_due_at=created_at + timedelta(hours=24),
                first_answered_at=acknowledged_at,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("first_answered_at")
        batch.drop_column("first_answer_due_at")
        batch.drop_column("kind")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("do_not_message")
        batch.drop_column("do_not_call")
    op.drop_index("ix_promises_status_due", table_name="promises")
    op.drop_index("ix_promises_customer_status", table_name="promises")
    op.drop_table("promises")
