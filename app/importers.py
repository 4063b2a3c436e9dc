"""CSV import of customers and transactions: good rows land, bad rows are reported by line."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, StatementError

from app.customers.identity import normalise_identity
from app.customers.schemas import CustomerCreate, TransactionCreate
from app.customers.service import create_customer
from app.customers.transactions import record_transaction
from app.db.repositories.customers import CustomerRepository
from app.db.repositories.staff import StaffRepository
from app.db.uow import UnitOfWork
from app.errors import DomainError, refused_value, validation_message

CHUNK = 500


@dataclass
class ImportReport:
    imported: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            yield (
                reader.line_num,
                {k.strip().lower(): (v or "").strip() for k, v in row.items() if k},
            )


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.replace(",", ";").split(";") if v.strip()]


def _flag(value: str) -> bool:
    return value.lower() in ("1", "true", "yes", "y", "是")


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return validation_message(exc.errors())
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, IntegrityError):
        return "conflicts with an existing record"
    refused = refused_value(exc)
    if refused is not None:
        return f"a value is out of range or cannot be stored: {refused}"
    return f"{type(exc).__name__}: {exc}"


async def _customer_row(uow: UnitOfWork, row: dict[str, str], region: str) -> None:
    manager_id = None
    if row.get("account_manager"):
        agent = await StaffRepository(uow.session).agent_by_username(row["account_manager"])
        if agent is None:
            raise DomainError(f"account manager {row['account_manager']!r} is not an agent")
        manager_id = agent.id
    data = CustomerCreate(
        name=row.get("name", ""),
        phones=_split(row.get("phones", row.get("phone", ""))),
        emails=_split(row.get("emails", row.get("email", ""))),
        language=row.get("language") or "zh",
        company=row.get("company") or None,
        account_manager_id=manager_id,
        do_not_contact=_flag(row.get("do_not_contact", "")),
        consent_marketing=_flag(row.get("consent_marketing", "")),
    )
    await create_customer(uow, data, region, None)


async def _find_customer(uow: UnitOfWork, row: dict[str, str], region: str) -> int:
    repo = CustomerRepository(uow.session)
    if row.get("customer_id"):
        if not row["customer_id"].isdigit() or not await repo.get(int(row["customer_id"])):
            raise DomainError(f"customer {row['customer_id']!r} not found")
        return int(row["customer_id"])
    for kind in ("phone", "email"):
        if row.get(kind):
            value = normalise_identity(kind, row[kind], region)
            found = await repo.find_by_identity(kind, value)
            if found is None:
                raise DomainError(f"no customer with {kind} {value}")
            return found.id
    raise DomainError("row names no customer (customer_id, phone or email)")


async def _transaction_row(uow: UnitOfWork, row: dict[str, str], region: str) -> None:
    customer_id = await _find_customer(uow, row, region)
    try:
        amount = Decimal(row.get("amount", ""))
        margin = Decimal(row["margin"]) if row.get("margin") else None
    except InvalidOperation as exc:
        raise DomainError("amount and margin must be numbers") from exc
    occurred = datetime.fromisoformat(row.get("occurred_at", "").replace("Z", "+00:00"))
    data = TransactionCreate(
        amount=amount, margin=margin, occurred_at=occurred, reference=row.get("reference") or None
    )
    await record_transaction(uow, customer_id, data, None)


RowHandler = Callable[[UnitOfWork, dict[str, str], str], object]
HANDLERS = {"customers": _customer_row, "transactions": _transaction_row}


async def import_csv(
    kind: str,
    path: Path,
    uow_factory: Callable[[], UnitOfWork],
    region: str,
    progress: Callable[[int], None] = lambda _n: None,
) -> ImportReport:
    """Every row is checked before it writes, and runs in a savepoint of its own: a row the
    database refuses anyway (an id out of range, a NUL character) is undone alone and the
    chunk's transaction stays usable, so a bad row never takes good ones down with it."""
    handler = HANDLERS[kind]
    report = ImportReport()
    rows = list(_rows(path))
    for start in range(0, len(rows), CHUNK):
        async with uow_factory() as uow:
            for line, row in rows[start : start + CHUNK]:
                try:
                    async with uow.session.begin_nested():
                        await handler(uow, row, region)
                    report.imported += 1
                except (DomainError, ValidationError, ValueError, IntegrityError) as exc:
                    report.rejected.append((line, _reason(exc)))
                except (StatementError, OverflowError) as exc:
                    if refused_value(exc) is None:
                        raise  # not the row's fault (the database is down...): stop
                    report.rejected.append((line, _reason(exc)))
                progress(1)
    return report
