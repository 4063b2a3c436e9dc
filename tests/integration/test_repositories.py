"""Repositories and the unit of work against real SQL on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from app.audit import record_audit
from app.auth.tokens import Principal
from app.db.models import (
    AuditEntry,
    Complaint,
    ComplaintTransition,
    Customer,
    CustomerIdentity,
    Queue,
    Transaction,
)
from app.db.repositories.complaints import ComplaintRepository
from app.db.repositories.customers import CustomerRepository
from app.db.repositories.interactions import InteractionRepository
from app.db.repositories.staff import StaffRepository
from tests.conftest import add_agent
from tests.helpers import add_interaction, cheap_argon2, count  # noqa: F401  (autouse fixture)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def add_customer(uow_factory: Any, name: str, **idents: list[str]) -> int:
    async with uow_factory() as uow:
        repo = CustomerRepository(uow.session)
        customer = await repo.add(Customer(name=name))
        for kind, values in idents.items():
            await repo.replace_identities(customer.id, kind, values)
        return customer.id


async def test_identities_owners_and_replacement(uow_factory: Any) -> None:
    li = await add_customer(uow_factory, "Li Lei", phone=["+8613800138000"], email=["li@x.cn"])
    han = await add_customer(uow_factory, "Han Meimei", phone=["+8613900139000"])
    async with uow_factory() as uow:
        repo = CustomerRepository(uow.session)
        assert await repo.owners_of("phone", ["+8613800138000", "+8613900139000", "+861"]) == {
            "+8613800138000": li,
            "+8613900139000": han,
        }
        assert await repo.owners_of("phone", []) == {}
        assert await repo.owners_of("email", ["+8613800138000"]) == {}  # kinds are separate
        found = await repo.find_by_identity("email", "li@x.cn")
        assert found is not None and found.id == li
        assert await repo.find_by_identity("phone", "li@x.cn") is None
        # Replacing phones keeps the one still wanted, drops the other, leaves e-mails alone.
        await repo.replace_identities(li, "phone", ["+8613800138000", "+8613700137000"])
        await repo.replace_identities(li, "phone", ["+8613700137000"])
        idents = await repo.identities([li, han, 999])
        assert [(i.kind, i.value) for i in idents[li]] == [
            ("email", "li@x.cn"),
            ("phone", "+8613700137000"),
        ]
        assert idents[999] == []
    # One phone, one customer: the database enforces it even past the service's checks.
    with pytest.raises(IntegrityError):
        async with uow_factory() as uow:
            uow.session.add(CustomerIdentity(customer_id=han, kind="phone", value="+8613700137000"))
    assert await count(uow_factory, CustomerIdentity) == 3


async def test_customer_search_by_name_and_ids(uow_factory: Any) -> None:
    names = ["Li Lei", "LI Xiaolong", "Han Meimei", "100% Cotton Ltd", "a_b", "axb"]
    cids = [await add_customer(uow_factory, n) for n in names]
    async with uow_factory() as uow:
        repo = CustomerRepository(uow.session)

        async def search(**kw: Any) -> tuple[list[str], int]:
            rows, total = await repo.search(**kw)
            return [c.name for c in rows], total

        assert await search(name="li") == (["Li Lei", "LI Xiaolong"], 2)
        assert await search(name="%") == (["100% Cotton Ltd"], 1)  # LIKE wildcards are literal
        assert await search(name="_") == (["a_b"], 1)
        assert await search(name="li", ids=[cids[1], cids[2]]) == (["LI Xiaolong"], 1)
        assert await search(ids=[]) == ([], 0)
        assert await search(limit=2, offset=1) == (["LI Xiaolong", "Han Meimei"], 6)


async def test_transactions_newest_first_and_by_reference(uow_factory: Any) -> None:
    cid = await add_customer(uow_factory, "Li Lei")
    async with uow_factory() as uow:
        repo = CustomerRepository(uow.session)
        for days, ref in ((30, "A"), (1, "B"), (10, None)):
            await repo.add_transaction(
                Transaction(
                    customer_id=cid,
                    amount=Decimal("12.34"),
                    occurred_at=T0 - timedelta(days=days),
                    reference=ref,
                )
            )
    async with uow_factory() as uow:
        repo = CustomerRepository(uow.session)
        rows = await repo.transactions(cid)
        assert [t.reference for t in rows] == ["B", None, "A"]
        assert rows[0].amount == Decimal("12.34")
        assert rows[0].occurred_at == T0 - timedelta(days=1)  # aware UTC on both backends
        assert rows[0].occurred_at.tzinfo is not None
        recent = await repo.transactions(cid, since=T0 - timedelta(days=15))
        assert [t.reference for t in recent] == ["B", None]
        assert [t.reference for t in await repo.transactions(cid, limit=1, offset=2)] == ["A"]
        found = await repo.transaction_by_reference("A")
        assert found is not None and found.customer_id == cid
        assert await repo.transaction_by_reference("Z") is None


async def test_naive_datetimes_are_refused(uow_factory: Any) -> None:
    cid = await add_customer(uow_factory, "Li Lei")
    with pytest.raises(StatementError, match="naive datetime"):
        async with uow_factory() as uow:
            tx = Transaction(customer_id=cid, amount=1, occurred_at=datetime(2026, 1, 1))
            await CustomerRepository(uow.session).add_transaction(tx)
    assert await count(uow_factory, Transaction) == 0


async def test_interactions_for_customer_and_ratings(uow_factory: Any) -> None:
    cid = await add_customer(uow_factory, "Li Lei")
    other = await add_customer(uow_factory, "Han Meimei")
    for i, rating in enumerate([5, None, 4, 2]):
        await add_interaction(uow_factory, cid, created_at=T0 + timedelta(minutes=i), rating=rating)
    await add_interaction(uow_factory, other, rating=1)
    async with uow_factory() as uow:
        repo = InteractionRepository(uow.session)
        rows, total = await repo.for_customer(cid, limit=3)
        assert total == 4
        assert [r.created_at for r in rows] == [T0 + timedelta(minutes=m) for m in (3, 2, 1)]
        avg, n = await repo.rating_summary(cid)
        assert n == 3 and avg == pytest.approx(11 / 3)
        assert await repo.rating_summary(999) == (None, 0)
        first = await repo.get(rows[0].id)
        assert first is not None and first.customer_id == cid
        assert await repo.get(10**6) is None


async def test_complaint_search_filters(uow_factory: Any) -> None:
    alice = await add_agent(uow_factory, "alice")
    cid = await add_customer(uow_factory, "Li Lei")
    other = await add_customer(uow_factory, "Han Meimei")
    specs = [
        (cid, "open", "high", "billing", alice, T0 - timedelta(hours=1)),
        (cid, "resolved", "low", "billing", None, T0 - timedelta(hours=5)),
        (other, "in_progress", "high", "delivery", alice, T0 + timedelta(hours=5)),
        (other, "acknowledged", "critical", "billing", None, T0 - timedelta(hours=2)),
    ]
    async with uow_factory() as uow:
        repo = ComplaintRepository(uow.session)
        made = []
        for customer, status, severity, category, owner, due in specs:
            c = await repo.add(
                Complaint(
                    customer_id=customer,
                    status=status,
                    severity=severity,
                    category=category,
                    owner_id=owner,
                    description="x",
                    due_at=due,
                )
            )
            made.append(c.id)
        for note in ("first", "second"):
            await repo.add_transition(
                ComplaintTransition(complaint_id=made[0], to_status="open", note=note)
            )
    async with uow_factory() as uow:
        repo = ComplaintRepository(uow.session)

        async def ids(**kw: Any) -> list[int]:
            rows, total = await repo.search(**kw)
            assert total == len(rows)
            return [c.id for c in rows]

        a, b, c, d = made
        assert await ids() == [b, d, a, c]  # earliest deadline first
        assert await ids(customer_id=cid) == [b, a]
        assert await ids(status=["open", "acknowledged"]) == [d, a]
        assert await ids(owner_id=alice) == [a, c]
        assert await ids(severity="high") == [a, c]
        assert await ids(category="delivery") == [c]
        assert await ids(overdue_at=T0) == [d, a]  # resolved ones are never overdue
        assert await ids(overdue_at=T0, severity="critical") == [d]
        history = await repo.transitions([a, c])
        assert [t.note for t in history[a]] == ["first", "second"] and history[c] == []
        locked = await repo.get(a, fresh=True)
        assert locked is not None and locked.status == "open"


async def test_staff_lookups(uow_factory: Any) -> None:
    await add_agent(uow_factory, "alice")
    sup = await add_agent(uow_factory, "sophie", "supervisor")
    await add_agent(uow_factory, "gone", active=False)
    async with uow_factory() as uow:
        repo = StaffRepository(uow.session)
        await repo.add(Queue(name="sales", display_name="Sales", skills=["sales"]))
        await repo.add(Queue(name="vip", display_name="VIP", overflow_queue="sales"))
    async with uow_factory() as uow:
        repo = StaffRepository(uow.session)
        assert [a.username for a in await repo.agents()] == ["alice", "sophie", "gone"]
        assert [a.username for a in await repo.agents(active_only=True)] == ["alice", "sophie"]
        assert [a.id for a in await repo.agents(role="supervisor")] == [sup]
        found = await repo.agent_by_username("sophie")
        assert found is not None and found.role == "supervisor"
        assert await repo.agent_by_username("Sophie") is None
        assert [q.name for q in await repo.queues()] == ["sales", "vip"]
        vip = await repo.queue_by_name("vip")
        assert vip is not None and vip.overflow_queue == "sales" and vip.sla_seconds == 20
        assert (await repo.get_queue(vip.id)) is vip
        assert await repo.get_queue(10**6) is None


async def test_unit_of_work_commits_or_rolls_back_with_its_effects(uow_factory: Any) -> None:
    agent = await add_agent(uow_factory, "alice")
    actor = Principal(agent, "alice", "agent")
    announced: list[str] = []

    async def announce() -> None:
        announced.append("sent")

    with pytest.raises(RuntimeError, match="boom"):
        async with uow_factory() as uow:
            await CustomerRepository(uow.session).add(Customer(name="Rolled back"))
            await record_audit(uow, actor, "customer.create", "customer", 1)
            uow.after_commit(announce)
            raise RuntimeError("boom")
    assert announced == []  # dropped on rollback
    assert await count(uow_factory, Customer) == 0
    assert await count(uow_factory, AuditEntry) == 0

    async with uow_factory() as uow:
        customer = await CustomerRepository(uow.session).add(Customer(name="Kept"))
        await record_audit(uow, actor, "customer.create", "customer", customer.id, {"a": 1})
        uow.after_commit(announce)
        assert announced == []  # not before the commit
    assert announced == ["sent"]
    async with uow_factory() as uow:
        entry = (await uow.session.execute(select(AuditEntry))).scalar_one()
    assert (entry.action, entry.entity, entry.entity_id, entry.actor_id) == (
        "customer.create",
        "customer",
        str(customer.id),
        agent,
    )
    assert entry.detail == {"a": 1} and entry.at.tzinfo is not None

    uow = uow_factory()
    with pytest.raises(RuntimeError, match="outside"):
        _ = uow.session
    async with uow:
        with pytest.raises(RuntimeError, match="re-entrant"):
            async with uow:
                pass
