"""Purchase history: what the customer's value is computed from."""

from __future__ import annotations

from app.audit import record_audit
from app.auth.tokens import Principal
from app.customers.integration import Integration
from app.customers.schemas import TransactionCreate, TransactionOut
from app.customers.service import get_customer
from app.customers.valuation import Valuation, regrade_customer
from app.db.models import Transaction
from app.db.repositories.customers import CustomerRepository
from app.db.uow import UnitOfWork
from app.errors import Conflict


async def record_transaction(
    uow: UnitOfWork,
    customer_id: int,
    data: TransactionCreate,
    actor: Principal | Integration | None,
    valuation: Valuation | None = None,
) -> TransactionOut:
    """Record a purchase; with `valuation`, the customer's grade is recomputed in the same
    transaction (bulk imports pass None and regrade the touched customers afterwards).

    `actor` is an admin, the business system that sent it, or None (a CSV import)."""
    await get_customer(uow, customer_id)
    repo = CustomerRepository(uow.session)
    if data.reference and await repo.transaction_by_reference(data.reference):
        raise Conflict(f"transaction reference {data.reference!r} was already recorded")
    tx = await repo.add_transaction(Transaction(customer_id=customer_id, **data.model_dump()))
    detail: dict[str, object] = {"tx": tx.id}
    if isinstance(actor, Integration):
        detail["via"] = actor.label
    person = actor if isinstance(actor, Principal) else None
    await record_audit(uow, person, "transaction.record", "customer", customer_id, detail)
    if valuation is not None:
        await regrade_customer(uow, valuation, customer_id)
    return TransactionOut.model_validate(tx)


async def list_transactions(
    uow: UnitOfWork, customer_id: int, limit: int, offset: int
) -> list[TransactionOut]:
    await get_customer(uow, customer_id)
    rows = await CustomerRepository(uow.session).transactions(
        customer_id, limit=limit, offset=offset
    )
    return [TransactionOut.model_validate(t) for t in rows]
