"""Statements run on the driver (app/db/prepared.py), on both backends: in the unit of
work's transaction, with the columns' conversions, and with SQLAlchemy's errors."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from app.db.engine import make_engine, make_sessionmaker
from app.db.models import Customer, CustomerIdentity, Interaction
from app.db.prepared import Prepared, PreparedInsert, in_ids, one_of
from app.db.uow import UnitOfWork
from config.settings import Settings
from tests.helpers import cheap_argon2  # noqa: F401  (autouse fixture)

_NEW_CUSTOMER = PreparedInsert(Customer)
_NEW_IDENTITY = PreparedInsert(CustomerIdentity)
_NEW_INTERACTION = PreparedInsert(Interaction)
_BY_IDS = Prepared(
    select(Customer.id, Customer.name, Customer.attributes, Customer.created_at)
    .where(in_ids(Customer.id))
    .order_by(Customer.id)
)
_ALL_NAMES = Prepared(select(Customer.name))
_NAMED = Prepared(select(Customer.id).where(one_of(Customer.name, ["O'Brien", "Li"])))


async def test_an_insert_fills_the_models_defaults_and_reads_back_typed(uow_factory: Any) -> None:
    async with uow_factory() as uow:
        customer = await _NEW_CUSTOMER.add(
            uow.session, Customer(name="Zhou Min", attributes={"source": "voice"})
        )
        interaction = await _NEW_INTERACTION.add(
            uow.session, Interaction(customer_id=customer.id, channel="voice")
        )
    # The ORM's Python-side defaults, as a flush would have set them.
    assert customer.id and customer.language == "zh" and customer.is_prospect is False
    assert interaction.status == "queued" and interaction.direction == "inbound"
    assert interaction.transcript == [] and interaction.created_at.tzinfo is not None
    async with uow_factory() as uow:
        rows = await _BY_IDS.all(uow.session, {"ids": [customer.id, 999_999]})
        again = await uow.session.get(Interaction, interaction.id)
    (row,) = rows
    assert row.name == "Zhou Min" and row.attributes == {"source": "voice"}  # JSON decoded
    assert isinstance(row.created_at, datetime) and row.created_at.tzinfo == UTC
    assert row._mapping["name"] == "Zhou Min"
    assert again is not None and again.customer_id == customer.id


async def test_ids_go_as_one_parameter_whatever_their_number(uow_factory: Any) -> None:
    async with uow_factory() as uow:
        ids = [(await _NEW_CUSTOMER.add(uow.session, Customer(name=f"c{n}"))).id for n in range(70)]
        assert await _BY_IDS.all(uow.session, {"ids": []}) == []
        assert [r.id for r in await _BY_IDS.all(uow.session, {"ids": ids[:1]})] == ids[:1]
        assert [r.id for r in await _BY_IDS.all(uow.session, {"ids": ids})] == ids
        await _NEW_CUSTOMER.add(uow.session, Customer(name="O'Brien"))
        assert len(await _NAMED.all(uow.session, {})) == 1  # a quote in a constant


async def test_driver_statements_roll_back_with_the_unit_of_work(uow_factory: Any) -> None:
    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            await _NEW_CUSTOMER.add(uow.session, Customer(name="Never"))
            raise RuntimeError("the command failed after its insert")
    async with uow_factory() as uow:
        names = (await uow.session.execute(select(Customer.name))).scalars().all()
    assert "Never" not in names


async def test_a_unique_key_refusal_is_sqlalchemys_integrity_error(uow_factory: Any) -> None:
    # The arrival's retry (app/contacts/service.py) catches exactly this.
    async with uow_factory() as uow:
        customer = await _NEW_CUSTOMER.add(uow.session, Customer(name="Li Na"))
        phone = CustomerIdentity(customer_id=customer.id, kind="phone", value="+8613800000001")
        await _NEW_IDENTITY.add(uow.session, phone)
    with pytest.raises(IntegrityError):
        async with uow_factory() as uow:
            again = CustomerIdentity(customer_id=customer.id, kind="phone", value=phone.value)
            await _NEW_IDENTITY.add(uow.session, again)


def test_a_list_expanded_at_each_run_is_refused() -> None:
    from sqlalchemy.dialects.sqlite import aiosqlite

    expanding = select(Customer.id).where(Customer.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="expand"):
        Prepared(expanding).plan(aiosqlite.dialect())


# --- units of work on a bare driver connection (app/db/uow.py) ---------------------------
# On a database committed for real: the unit checks its own connection out of the pool.


@pytest.fixture
async def pooled(db_url: str) -> AsyncIterator[Callable[[], UnitOfWork]]:
    engine = make_engine(Settings(database_url=db_url))
    maker = make_sessionmaker(engine)
    yield lambda: UnitOfWork(maker)
    await engine.dispose()


def _checked_out(uow: UnitOfWork) -> int:
    engine = uow._sessionmaker.kw["bind"]
    return int(engine.pool.checkedout())


async def _names(make: Callable[[], UnitOfWork]) -> list[str]:
    async with make().reading() as uow:
        return sorted(r.name for r in await _ALL_NAMES.all(uow, {}))


async def test_a_unit_of_driver_statements_commits_without_a_session(
    pooled: Callable[[], UnitOfWork],
) -> None:
    async with pooled() as uow:
        await _NEW_CUSTOMER.add(uow, Customer(name="Wang Fang"))
        await _NEW_CUSTOMER.add(uow, Customer(name="Chen Jie"))
        assert uow._session is None and _checked_out(uow) == 1
    assert _checked_out(uow) == 0  # back in the pool
    assert await _names(pooled) == ["Chen Jie", "Wang Fang"]


async def test_a_failed_unit_of_driver_statements_rolls_back_and_the_pool_goes_on(
    pooled: Callable[[], UnitOfWork],
) -> None:
    with pytest.raises(RuntimeError):
        async with pooled() as uow:
            await _NEW_CUSTOMER.add(uow, Customer(name="Never"))
            raise RuntimeError("the command failed after its insert")
    async with pooled() as uow:
        customer = await _NEW_CUSTOMER.add(uow, Customer(name="Li Na"))
        await _NEW_IDENTITY.add(
            uow, CustomerIdentity(customer_id=customer.id, kind="phone", value="+1")
        )
    with pytest.raises(IntegrityError):
        async with pooled() as uow:
            await _NEW_CUSTOMER.add(uow, Customer(name="Also never"))
            await _NEW_IDENTITY.add(
                uow, CustomerIdentity(customer_id=customer.id, kind="phone", value="+1")
            )
    assert _checked_out(uow) == 0
    assert await _names(pooled) == ["Li Na"]


@pytest.mark.parametrize("commit", [True, False])
async def test_a_session_asked_for_later_joins_the_driver_transaction(
    pooled: Callable[[], UnitOfWork], commit: bool
) -> None:
    with contextlib.suppress(RuntimeError):
        async with pooled() as uow:
            await _NEW_CUSTOMER.add(uow, Customer(name="By the driver"))
            uow.session.add(Customer(name="By the session"))
            await uow.session.flush()
            # The driver statements after it run in the same transaction too.
            seen = sorted(r.name for r in await _ALL_NAMES.all(uow, {}))
            assert seen == ["By the driver", "By the session"]
            if not commit:
                raise RuntimeError("the command failed")
    assert _checked_out(uow) == 0
    assert await _names(pooled) == (["By the driver", "By the session"] if commit else [])


async def test_a_reading_unit_runs_its_statements_outside_a_transaction(
    pooled: Callable[[], UnitOfWork],
) -> None:
    async with pooled().reading() as uow:
        assert await _ALL_NAMES.all(uow, {}) == []
        conn = await uow.driver()
        if conn.postgres:  # no BEGIN was sent: asyncpg is not in a transaction
            assert not conn.adapter._connection.is_in_transaction()
        else:
            assert not conn.adapter._connection._conn.in_transaction
    async with pooled() as uow:
        await _ALL_NAMES.all(uow, {})
        conn = await uow.driver()
        if conn.postgres:
            assert conn.adapter._connection.is_in_transaction()
