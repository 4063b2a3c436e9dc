"""Indexes for an agent's day: interactions by (agent_id, answered_at), and by offered_at

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 13:30:00.000000

Every console asks several times a minute for its agent's figures today, callbacks and
contacts-today count (by agent and answer time), and the missed-offers count reads the routing
logs of contacts offered since midnight (by first offer time): without these, each question
scans the whole interactions table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_interactions_agent_answered", "interactions", ["agent_id", "answered_at"])
    op.create_index("ix_interactions_offered", "interactions", ["offered_at"])


def downgrade() -> None:
    op.drop_index("ix_interactions_offered", table_name="interactions")
    op.drop_index("ix_interactions_agent_answered", table_name="interactions")
