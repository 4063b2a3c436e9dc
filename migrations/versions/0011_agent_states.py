"""Agents' state history and the time each wrap-up was saved

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 15:00:00.000000

Reports need both: occupancy is handling time over logged-in time less breaks, which only a
history of agents' states gives for a past period; and AHT is talk plus wrap-up, whose end
the record did not keep. Interactions get indexes by answer and by end time too: a report
reads a range of either.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_states",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agents.id"), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_agent_states_agent_at", "agent_states", ["agent_id", "at"])
    op.create_index("ix_agent_states_at", "agent_states", ["at"])
    with op.batch_alter_table("interactions") as batch:
        batch.add_column(sa.Column("wrapped_up_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_interactions_answered", "interactions", ["answered_at"])
    op.create_index("ix_interactions_ended", "interactions", ["ended_at"])


def downgrade() -> None:
    op.drop_index("ix_interactions_ended", table_name="interactions")
    op.drop_index("ix_interactions_answered", table_name="interactions")
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("wrapped_up_at")
    op.drop_index("ix_agent_states_at", table_name="agent_states")
    op.drop_index("ix_agent_states_agent_at", table_name="agent_states")
    op.drop_table("agent_states")
