"""Migration 0005 on both backends: reason texts + *_zh columns become one message column.

Rows graded before it keep their words (code ``legacy``) and render as they were, in English
and Chinese; a downgrade gives the texts back.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from app.customers.grades import value_out
from app.db.engine import make_engine, make_sessionmaker
from app.db.migrate import alembic_config, upgrade
from app.db.repositories.values import ValueRepository
from config.settings import Settings
from tests.conftest import _pg_admin, _pg_url, run_in_thread

REASONS = ("grade_reason", "rfm_reason", "clv_reason", "lifecycle_reason", "churn_reason")
CUSTOMER = (
    "INSERT INTO customers (id, name, language, is_prospect, do_not_contact, consent_marketing, "
    "consent_recording, attributes, created_at, updated_at) VALUES (1, 'Li Lei', 'zh', false, "
    "false, false, false, '{}', '2025-01-01 00:00:00', '2025-01-01 00:00:00'), (2, 'Han Meimei', "
    "'zh', false, false, false, false, '{}', '2025-01-01 00:00:00', '2025-01-01 00:00:00')"
)
VALUE = (
    "INSERT INTO customer_values (customer_id, grade, computed_grade, rank, base_size, "
    "value_12m, r, f, m, clv, lifecycle, churn_risk, computed_at, {columns}) VALUES ({cid}, "
    "'vip', 'vip', 1, 2, 900.0, 5, 3, 4, 1200.0, 'stable', 0.1, '2025-06-01 00:00:00', {values})"
)


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
        return
    name = f"hotline_mig_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    run_in_thread(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield _pg_url(name)
    finally:
        run_in_thread(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _execute(url: str, *statements: str) -> list[list[tuple]]:
    engine = create_async_engine(url)
    out = []
    async with engine.begin() as conn:
        for sql in statements:
            result = await conn.execute(text(sql))
            out.append(list(result.fetchall()) if result.returns_rows else [])
    await engine.dispose()
    return out


async def _columns(url: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(
            lambda sync: {c["name"] for c in inspect(sync).get_columns("customer_values")}
        )
    await engine.dispose()
    return names


async def test_reasons_become_messages_and_old_rows_keep_their_words(fresh_url: str) -> None:
    await asyncio.to_thread(upgrade, fresh_url, "0004")
    both = ", ".join(f"{n}, {n}_zh" for n in REASONS)
    texts = ", ".join(f"'{n} in English', '{n} 中文'" for n in REASONS)
    english_only = ", ".join(f"'{n} old', ''" for n in REASONS)  # graded before 0003
    await _execute(
        fresh_url,
        CUSTOMER,
        VALUE.format(columns=both, cid=1, values=texts),
        VALUE.format(columns=both, cid=2, values=english_only),
    )

    await asyncio.to_thread(upgrade, fresh_url)
    columns = await _columns(fresh_url)
    assert set(REASONS) <= columns
    assert not {f"{n}_zh" for n in REASONS} & columns
    assert not {f"{n}_msg" for n in REASONS} & columns

    engine = make_engine(Settings(database_url=fresh_url))
    async with make_sessionmaker(engine)() as session:
        repo = ValueRepository(session)
        row = await repo.get(1)
        assert row is not None
        assert row.grade_reason == {
            "code": "legacy",
            "facts": {"en": "grade_reason in English", "zh": "grade_reason 中文"},
        }
        english, chinese = value_out(row, "en"), value_out(row, "zh")
        for name in REASONS:
            assert getattr(english, name) == f"{name} in English"
            assert getattr(chinese, name) == f"{name} 中文"
        assert chinese.reasons["churn"]["code"] == "legacy"
        old = await repo.get(2)
        assert old is not None and value_out(old, "zh").rfm_reason == "rfm_reason old"
    await engine.dispose()

    # Down and up again: the words survive the round trip.
    await asyncio.to_thread(command.downgrade, alembic_config(fresh_url), "0004")
    (rows,) = await _execute(
        fresh_url, "SELECT grade_reason, grade_reason_zh FROM customer_values ORDER BY customer_id"
    )
    assert [tuple(r) for r in rows] == [
        ("grade_reason in English", "grade_reason 中文"),
        ("grade_reason old", ""),
    ]
    await asyncio.to_thread(upgrade, fresh_url)
    assert set(REASONS) <= await _columns(fresh_url)


async def test_a_new_grade_is_stored_as_code_and_facts(fresh_url: str) -> None:
    await asyncio.to_thread(upgrade, fresh_url)
    await _execute(fresh_url, CUSTOMER)
    from datetime import UTC, datetime

    from app.grading import CustomerStats, GradingConfig, grade_base

    now = datetime(2025, 6, 1, tzinfo=UTC)
    stats = CustomerStats(1, datetime(2024, 1, 1, tzinfo=UTC))
    (value,), _ = grade_base([stats], GradingConfig.default(), now)
    engine = make_engine(Settings(database_url=fresh_url))
    async with make_sessionmaker(engine)() as session:
        await ValueRepository(session).save_one(value, now)
        await session.commit()
    async with make_sessionmaker(engine)() as session:
        row = await ValueRepository(session).get(1)
        assert row is not None and row.grade_reason == value.grade_reason
        assert row.grade_reason["code"] == "grade.prospect"
        assert value_out(row, "en").grade_reason.startswith("prospect: no purchases yet")
    await engine.dispose()
