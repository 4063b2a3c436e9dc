"""agents.token_version: revocable bearer tokens

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 10:00:00.000000

Every token carries the version of its account at the time it was issued; logging out,
changing the password, deactivating or changing the role bumps the account's version, and a
token of an older version is refused. Existing rows start at 0, the version a token issued
before this revision is read as, so nobody is logged out by the upgrade itself.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("token_version")
