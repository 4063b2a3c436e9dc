"""When a callback scheduled in wrap-up is due, as a column of its own

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 18:00:00.000000

The wrap-up kept the time only in the interaction's attributes (``_callback_at``), which is
enough for an agent's own list but not for the server, which now makes every due callback at
its time (app/contacts/scheduled_callbacks.py): finding them must not read every
interaction's JSON. ``callback_due_at`` is set by the wrap-up and cleared once the callback
is made (by the server or by the agent), so its index holds only the pending ones' times.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.add_column(sa.Column("callback_due_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_interactions_callback_due", "interactions", ["callback_due_at"])
    # Callbacks already scheduled and not yet made: few rows, read in Python so that one
    # reading of the ISO times (with their offsets) serves both databases.
    interactions = sa.table(
        "interactions",
        sa.column("id", sa.Integer()),
        sa.column("attributes", sa.JSON()),
        sa.column("callback_due_at", sa.DateTime(timezone=True)),
    )
    bind = op.get_bind()
    for row in bind.execute(sa.select(interactions.c.id, interactions.c.attributes)):
        attributes = row.attributes or {}
        if not attributes.get("_callback_at") or attributes.get("_callback_done_at"):
            continue
        try:
            due = datetime.fromisoformat(str(attributes["_callback_at"]).replace("Z", "+00:00"))
        except ValueError:
            continue  # unreadable: nobody could keep it
        due = due if due.tzinfo is not None else due.replace(tzinfo=UTC)
        bind.execute(
            interactions.update()
            .where(interactions.c.id == row.id)
            .values(callback_due_at=due.astimezone(UTC))
        )


def downgrade() -> None:
    op.drop_index("ix_interactions_callback_due", table_name="interactions")
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("callback_due_at")
