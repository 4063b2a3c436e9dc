"""Care and win-back tasks, each once per customer per occasion

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 18:10:00.000000

A care rule (config/care.yaml) fires once per customer per occasion: ``care_tasks`` keeps
each task it made under that key (unique), with its hold (contact discipline), the contact
it became and the outcome its wrap-up recorded (docs/care.md).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "care_tasks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "customer_id",
            sa.Integer(),
            sa.ForeignKey("customers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("rule", sa.String(48), nullable=False),
        sa.Column("occasion", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column(
            "owner_id", sa.Integer(), sa.ForeignKey("agents.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("skill", sa.String(64), nullable=True),
        sa.Column("text", JSON, nullable=False),
        sa.Column("facts", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("hold", JSON, nullable=True),
        sa.Column(
            "interaction_id",
            sa.Integer(),
            sa.ForeignKey("interactions.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("outcome", JSON, nullable=True),
        sa.Column("result", sa.String(16), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("customer_id", "rule", "occasion", name="uq_care_tasks_occasion"),
    )
    op.create_index("ix_care_tasks_status", "care_tasks", ["status"])
    op.create_index("ix_care_tasks_interaction", "care_tasks", ["interaction_id"])
    # Grading reads a customer's latest win-back (app/db/repositories/values.py).
    op.create_index("ix_care_tasks_customer_result", "care_tasks", ["customer_id", "result"])


def downgrade() -> None:
    op.drop_index("ix_care_tasks_customer_result", table_name="care_tasks")
    op.drop_index("ix_care_tasks_interaction", table_name="care_tasks")
    op.drop_index("ix_care_tasks_status", table_name="care_tasks")
    op.drop_table("care_tasks")
