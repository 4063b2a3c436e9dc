"""Chat: conversations and their messages, sequenced per conversation

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 15:00:00.000000

A chat conversation is the customer's side of a chat contact; its messages are numbered per
conversation (``seq``) and keyed by the sender's client message id, so a message sent twice
is stored once (docs/chat.md).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "chat_conversations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "interaction_id",
            sa.Integer(),
            sa.ForeignKey(
                "interactions.id",
                name="fk_chat_conversations_interaction_id_interactions",
                ondelete="CASCADE",
            ),
            nullable=True,
        ),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "customer_id",
            sa.Integer(),
            sa.ForeignKey(
                "customers.id",
                name="fk_chat_conversations_customer_id_customers",
                ondelete="SET NULL",
            ),
            nullable=True,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("reach", sa.String(length=320), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column(
            "agent_id",
            sa.Integer(),
            sa.ForeignKey(
                "agents.id", name="fk_chat_conversations_agent_id_agents", ondelete="SET NULL"
            ),
            nullable=True,
        ),
        sa.Column("agent_name", sa.String(length=200), nullable=True),
        sa.Column("last_seq", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("customer_delivered_seq", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("customer_read_seq", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("agent_delivered_seq", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("agent_read_seq", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("callback_contact_id", sa.BigInteger(), nullable=True),
        sa.Column("ended_by", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_chat_conversations"),
        sa.UniqueConstraint("interaction_id", name="uq_chat_conversations_interaction_id"),
    )
    op.create_index(
        "ix_chat_conversations_address_created", "chat_conversations", ["address", "created_at"]
    )
    op.create_index(
        "ix_chat_conversations_customer_status", "chat_conversations", ["customer_id", "status"]
    )
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "interaction_id",
            sa.Integer(),
            sa.ForeignKey(
                "interactions.id",
                name="fk_chat_messages_interaction_id_interactions",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column(
            "conversation_id",
            sa.String(length=32),
            sa.ForeignKey(
                "chat_conversations.id",
                name="fk_chat_messages_conversation_id_chat_conversations",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=8), nullable=False),
        sa.Column(
            "agent_id",
            sa.Integer(),
            sa.ForeignKey(
                "agents.id", name="fk_chat_messages_agent_id_agents", ondelete="SET NULL"
            ),
            nullable=True,
        ),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("extra", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_chat_messages"),
        sa.UniqueConstraint("interaction_id", "seq", name="uq_chat_messages_interaction_seq"),
        sa.UniqueConstraint(
            "interaction_id", "sender", "client_id", name="uq_chat_messages_interaction_client"
        ),
    )


def downgrade() -> None:
    op.drop_table("chat_messages")
    op.drop_index("ix_chat_conversations_customer_status", table_name="chat_conversations")
    op.drop_index("ix_chat_conversations_address_created", table_name="chat_conversations")
    op.drop_table("chat_conversations")
