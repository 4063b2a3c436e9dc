"""customer value reasons in Chinese

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 01:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASONS = ("grade_reason", "rfm_reason", "clv_reason", "lifecycle_reason", "churn_reason")


def upgrade() -> None:
    # Existing rows get '' (the console falls back to English) until the next regrade.
    with op.batch_alter_table("customer_values", schema=None) as batch_op:
        for name in REASONS:
            batch_op.add_column(
                sa.Column(f"{name}_zh", sa.Text(), nullable=False, server_default="")
            )


def downgrade() -> None:
    with op.batch_alter_table("customer_values", schema=None) as batch_op:
        for name in reversed(REASONS):
            batch_op.drop_column(f"{name}_zh")
