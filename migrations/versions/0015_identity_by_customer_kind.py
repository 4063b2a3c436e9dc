"""A customer's identities indexed by (customer_id, kind, value)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 12:30:00.000000

The supervisor feed, today's list and callbacks read "the customer's first phone" as
``min(value) WHERE customer_id = ? AND kind = 'phone'``. With an index on ``customer_id``
alone, SQLite always (and PostgreSQL until ANALYZE had run) answered it from the unique
(kind, value) index: every phone of every customer read for each caller, ~1.5 ms at 20,000
customers and growing with them. (customer_id, kind, value) answers it with one index entry
and still serves every lookup by customer id, so it replaces the old index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_customer_identities_customer_kind",
        "customer_identities",
        ["customer_id", "kind", "value"],
    )
    op.drop_index("ix_customer_identities_customer_id", table_name="customer_identities")


def downgrade() -> None:
    op.create_index("ix_customer_identities_customer_id", "customer_identities", ["customer_id"])
    op.drop_index("ix_customer_identities_customer_kind", table_name="customer_identities")
