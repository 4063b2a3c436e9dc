"""customer value reasons as codes and facts (JSON), not a column per language

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00.000000

Each ``*_reason`` text column and its ``*_reason_zh`` twin become one JSON column holding a
message ``{"code", "facts"}`` that ``app.i18n`` renders in the reader's language. Rows graded
before this revision keep their words as ``{"code": "legacy", "facts": {"en": ..., "zh":
...}}`` (shown as they are; an empty Chinese falls back to the English) until the next regrade
replaces them. Downgrading writes the English of legacy rows back, and the code of the others
(a regrade after the downgrade restores the sentences).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASONS = ("grade_reason", "rfm_reason", "clv_reason", "lifecycle_reason", "churn_reason")
JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _legacy(dialect: str, name: str) -> str:
    if dialect == "postgresql":
        return (
            f"jsonb_build_object('code', 'legacy', 'facts', "
            f"jsonb_build_object('en', {name}, 'zh', {name}_zh))"
        )
    return f"json_object('code', 'legacy', 'facts', json_object('en', {name}, 'zh', {name}_zh))"


def _words(dialect: str, name: str, language: str) -> str:
    """The text of a stored message for the downgrade: a legacy row's words, else its code."""
    if dialect == "postgresql":
        code, words = f"{name} ->> 'code'", f"{name} -> 'facts' ->> '{language}'"
    else:
        code = f"json_extract({name}, '$.code')"
        words = f"json_extract({name}, '$.facts.{language}')"
    fallback = code if language == "en" else "''"
    return f"CASE WHEN {code} = 'legacy' THEN COALESCE({words}, '') ELSE {fallback} END"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("customer_values", schema=None) as batch_op:
        for name in REASONS:
            batch_op.add_column(sa.Column(f"{name}_msg", JSON, nullable=True))
    sets = ", ".join(f"{name}_msg = {_legacy(dialect, name)}" for name in REASONS)
    op.execute(f"UPDATE customer_values SET {sets}")
    with op.batch_alter_table("customer_values", schema=None) as batch_op:
        for name in REASONS:
            batch_op.drop_column(f"{name}_zh")
            batch_op.drop_column(name)
    with op.batch_alter_table("customer_values", schema=None) as batch_op:
        for name in REASONS:
            batch_op.alter_column(
                f"{name}_msg", new_column_name=name, existing_type=JSON, nullable=False
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("customer_values", schema=None) as batch_op:
        for name in REASONS:
            batch_op.add_column(sa.Column(f"{name}_text", sa.Text(), nullable=True))
            batch_op.add_column(
                sa.Column(f"{name}_zh", sa.Text(), nullable=False, server_default="")
            )
    sets = ", ".join(
        f"{name}_text = {_words(dialect, name, 'en')}, {name}_zh = {_words(dialect, name, 'zh')}"
        for name in REASONS
    )
    op.execute(f"UPDATE customer_values SET {sets}")
    with op.batch_alter_table("customer_values", schema=None) as batch_op:
        for name in REASONS:
            batch_op.drop_column(name)
    with op.batch_alter_table("customer_values", schema=None) as batch_op:
        for name in REASONS:
            batch_op.alter_column(
                f"{name}_text", new_column_name=name, existing_type=sa.Text(), nullable=False
            )
