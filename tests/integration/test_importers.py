"""CSV import on both backends: good rows land, bad rows are reported by line and reason."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import importers
from app.db.models import Customer, CustomerIdentity, Transaction
from app.importers import import_csv
from tests.conftest import add_agent
from tests.helpers import HUGE_ID, cheap_argon2, count  # noqa: F401  (autouse fixture)


def write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "import.csv"
    path.write_text(text.lstrip(), encoding="utf-8")
    return path


async def identities(uow_factory: Any) -> dict[str, int]:
    async with uow_factory() as uow:
        rows = await uow.session.execute(select(CustomerIdentity))
        return {i.value: i.customer_id for i in rows.scalars()}


CUSTOMERS = """
name,phones,emails,language,company,account_manager,do_not_contact
Li Lei,138 0013 8000,LI@Example.com,zh,Acme,alice,no
Han Meimei,+86-139-0013-9000;(0)137 0013 7000,,en,,,yes
Bad Phone,12ab,,zh,,,
,+86 136 0013 6000,,zh,,,
Bad Mail,,not-an-email,zh,,,
Same Phone,13800138000,,zh,,,
Ghost Manager,+86 135 0013 5000,,zh,,nobody,
Wang Wu,+86 135 0013 5000,wang@example.com,zh,,,
"""


async def test_customers_import_keeps_good_rows_and_reports_bad_ones(
    uow_factory: Any, tmp_path: Path
) -> None:
    alice = await add_agent(uow_factory, "alice")
    seen: list[int] = []
    report = await import_csv(
        "customers", write_csv(tmp_path, CUSTOMERS), uow_factory, "CN", seen.append
    )

    assert report.imported == 3
    assert sum(seen) == 8
    reasons = dict(report.rejected)
    assert sorted(reasons) == [4, 5, 6, 7, 8]
    assert "invalid phone number '12ab'" in reasons[4]
    assert "name" in reasons[5]
    assert "invalid e-mail 'not-an-email'" in reasons[6]
    assert "+8613800138000 already belongs to customer" in reasons[7]
    assert "Li Lei" in reasons[7]
    assert "'nobody' is not an agent" in reasons[8]

    # Nothing from a rejected row: the phone of the "Ghost Manager" row went to Wang Wu.
    assert await count(uow_factory, Customer) == 3
    owners = await identities(uow_factory)
    assert set(owners) == {
        "+8613800138000",
        "li@example.com",
        "+8613900139000",
        "+8613700137000",
        "+8613500135000",
        "wang@example.com",
    }
    async with uow_factory() as uow:
        by_name = {c.name: c for c in (await uow.session.execute(select(Customer))).scalars()}
    assert by_name["Li Lei"].account_manager_id == alice
    assert by_name["Li Lei"].company == "Acme"
    assert by_name["Han Meimei"].language == "en"
    assert by_name["Han Meimei"].do_not_contact is True
    assert owners["+8613500135000"] == by_name["Wang Wu"].id


async def test_transactions_import_by_id_phone_or_email(uow_factory: Any, tmp_path: Path) -> None:
    await import_csv(
        "customers",
        write_csv(tmp_path, "name,phone,email\nLi Lei,13800138000,li@example.com\n"),
        uow_factory,
        "CN",
    )
    async with uow_factory() as uow:
        cid = (await uow.session.execute(select(Customer.id))).scalar_one()
    csv_text = f"""
customer_id,phone,email,amount,margin,occurred_at,reference
{cid},,,100.50,20.10,2026-01-05T10:00:00Z,INV-1
,+86 138 0013 8000,,80,,2026-02-01T08:30:00+08:00,INV-2
,,LI@EXAMPLE.COM,12.5,3,2026-03-01T00:00:00Z,
{cid},,,abc,,2026-01-05T10:00:00Z,INV-3
{cid},,,10,,2026-01-05 10:00:00,INV-4
{cid},,,10,,,INV-5
999999,,,10,,2026-01-05T10:00:00Z,INV-6
,+86 139 0000 0000,,10,,2026-01-05T10:00:00Z,INV-7
,,,10,,2026-01-05T10:00:00Z,INV-8
{cid},,,10,,2026-01-06T10:00:00Z,INV-1
{cid},,,123456789012345,,2026-01-05T10:00:00Z,INV-9
{HUGE_ID},,,10,,2026-01-05T10:00:00Z,INV-10
{cid},,,7,,2026-04-01T00:00:00Z,INV-11
"""
    report = await import_csv("transactions", write_csv(tmp_path, csv_text), uow_factory, "CN")

    reasons = dict(report.rejected)
    assert report.imported == 4, report.rejected
    assert sorted(reasons) == list(range(5, 14))
    assert "numbers" in reasons[5]
    assert "timezone" in reasons[6]
    assert "isoformat" in reasons[7].lower()
    assert "customer '999999' not found" in reasons[8]
    assert "no customer with phone +8613900000000" in reasons[9]
    assert "names no customer" in reasons[10]
    assert "INV-1" in reasons[11] and "already recorded" in reasons[11]
    assert "amount" in reasons[12]
    assert "out of range" in reasons[13]  # refused by the database, after the good rows
    async with uow_factory() as uow:
        rows = (await uow.session.execute(select(Transaction).order_by(Transaction.id))).all()
    txs = [r[0] for r in rows]
    assert [t.reference for t in txs] == ["INV-1", "INV-2", None, "INV-11"]
    assert {t.customer_id for t in txs} == {cid}
    assert txs[0].amount == Decimal("100.50") and txs[0].margin == Decimal("20.10")
    assert txs[1].occurred_at.isoformat() == "2026-02-01T00:30:00+00:00"


async def test_a_row_the_database_refuses_does_not_abort_its_chunk(
    uow_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a failed statement poisons the transaction: without a savepoint per row,
    every row after it in the chunk would be lost (or the whole import would crash)."""
    monkeypatch.setattr(importers, "CHUNK", 3)
    names = ["A", "B", "Nul\x00Name", "C", "D", "E", "F"]
    text = "name,account_manager\n" + "".join(f"{n},\n" for n in names)
    # A customer_id out of range is refused by the database on both backends.
    text_tx = "customer_id,amount,occurred_at\n" + f"{HUGE_ID},1,2026-01-01T00:00:00Z\n"
    report = await import_csv("customers", write_csv(tmp_path, text), uow_factory, "CN")
    imported = await count(uow_factory, Customer)
    assert report.imported == imported
    assert imported in (6, 7)  # SQLite stores a NUL character; PostgreSQL refuses it
    if imported == 6:
        assert report.rejected[0][0] == 4
        assert "cannot be stored" in report.rejected[0][1]

    report = await import_csv("transactions", write_csv(tmp_path, text_tx), uow_factory, "CN")
    assert report.imported == 0
    assert [line for line, _ in report.rejected] == [2]


async def test_chunks_commit_independently(
    uow_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importers, "CHUNK", 2)
    rows = "".join(f"Customer {i},+86 138 0000 {i:04d}\n" for i in range(5))
    rows += "Dup,+86 138 0000 0001\n"
    report = await import_csv(
        "customers", write_csv(tmp_path, "name,phones\n" + rows), uow_factory, "CN"
    )
    assert report.imported == 5
    assert [line for line, _ in report.rejected] == [7]
    assert await count(uow_factory, Customer) == 5
