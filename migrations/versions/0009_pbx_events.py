"""PBX events: API keys for PBXs (stored hashed), the calls they report, processed event ids

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 14:30:00.000000

A PBX that keeps the media (Asterisk, FreeSWITCH) asks Hotline where to send each call and
reports what happens to it (docs/telephony.md, "PBX events"). It authenticates with a key an
admin issues: only the key's SHA-256 is stored. Each event it delivers is applied once: its
id is kept, so a replayed batch changes nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pbx_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_by",
            sa.Integer(),
            sa.ForeignKey("agents.id", name="fk_pbx_keys_created_by_agents", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "revoked_by",
            sa.Integer(),
            sa.ForeignKey("agents.id", name="fk_pbx_keys_revoked_by_agents", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_pbx_keys"),
        sa.UniqueConstraint("key_hash", name="uq_pbx_keys_key_hash"),
    )
    op.create_table(
        "pbx_calls",
        sa.Column("call_id", sa.String(length=100), nullable=False),
        sa.Column(
            "contact_id",
            sa.Integer(),
            sa.ForeignKey(
                "interactions.id", name="fk_pbx_calls_contact_id_interactions", ondelete="SET NULL"
            ),
            nullable=True,
        ),
        sa.Column("from_number", sa.String(length=64), nullable=True),
        sa.Column("dialled", sa.String(length=64), nullable=True),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("digits", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=255), nullable=True),
        sa.Column("transferred_to", sa.String(length=255), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hangup_cause", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("call_id", name="pk_pbx_calls"),
    )
    op.create_index("ix_pbx_calls_contact_id", "pbx_calls", ["contact_id"])
    op.create_table(
        "pbx_events",
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("call_id", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "key_id",
            sa.Integer(),
            sa.ForeignKey("pbx_keys.id", name="fk_pbx_events_key_id_pbx_keys", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_pbx_events"),
    )
    op.create_index("ix_pbx_events_call", "pbx_events", ["call_id"])


def downgrade() -> None:
    op.drop_index("ix_pbx_events_call", table_name="pbx_events")
    op.drop_table("pbx_events")
    op.drop_index("ix_pbx_calls_contact_id", table_name="pbx_calls")
    op.drop_table("pbx_calls")
    op.drop_table("pbx_keys")
