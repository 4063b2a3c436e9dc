"""customers.version: a record version for compare-and-set writes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-11 10:00:00.000000

Every change to a customer's record (its fields, phones and e-mails, its grade override) bumps
the version with ``UPDATE customers SET version = version + 1 WHERE id = :id [AND version =
:read]``; a client that names the version it read gets a 409 when someone changed the record in
between, and concurrent writers of one customer run one after the other on both databases.
Existing rows start at 0.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("version")
