"""What the IVR flow may know of a caller: the answers to its lookups (the caller by the
calling number, a typed phone or account number, a complaint by its number), as the
flow's variables (docs/ivr.md). Reads only; one short unit of work per lookup."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from app.customers.identity import try_normalise_phone
from app.db.models.complaints import OPEN_STATUSES
from app.db.repositories.complaints import ComplaintRepository
from app.db.repositories.customers import CustomerRepository
from app.db.repositories.intake import IntakeRepository
from app.db.uow import UnitOfWork
from ivr.flow.model import Value

log = logging.getLogger(__name__)

Found = dict[str, Value] | None
PHONE_DIGITS = 7  # a typed number this long or longer is a phone number, else an account


class CallerLookup:
    """Answers the flow's :class:`ivr.flow.engine.LookupRequest` for one process."""

    def __init__(self, uow: Callable[[], UnitOfWork], region: str) -> None:
        self.uow = uow
        self.region = region

    async def lookup(self, kind: str, value: str | None, known: dict[str, Value]) -> Found:
        """``known``: the flow's variables so far (a complaint is only told to its
        customer)."""
        try:
            if kind == "caller":
                return await self._by_phone(value)
            if kind == "number":
                if not value or not value.isdigit():
                    return None
                if len(value) >= PHONE_DIGITS:
                    return await self._by_phone(value)
                return await self._by_account(int(value))
            if kind == "complaint":
                return await self._complaint(value, known.get("customer.id"))
        except (ValueError, OverflowError):
            return None
        return None

    async def _by_phone(self, raw: str | None) -> Found:
        phone = try_normalise_phone(raw, self.region) if raw else None
        if phone is None:
            return None
        async with self.uow() as uow:
            row = await IntakeRepository(uow.session).caller_by_identity("phone", phone)
            return None if row is None else await self._facts(uow, row)

    async def _by_account(self, customer_id: int) -> Found:
        if not 0 < customer_id < 2**62:
            return None
        async with self.uow() as uow:
            row = await IntakeRepository(uow.session).caller_by_id(customer_id)
            return None if row is None else await self._facts(uow, row)

    async def _facts(self, uow: UnitOfWork, row: Any) -> dict[str, Value]:
        customer = await CustomerRepository(uow.session).get(row.id)
        complaints, count = await ComplaintRepository(uow.session).search(
            customer_id=row.id, status=sorted(OPEN_STATUSES), limit=1
        )
        facts: dict[str, Value] = {
            "customer.id": int(row.id),
            "customer.grade": row.grade or "prospect",
            "customer.has_complaint": bool(row.has_complaint),
            "customer.open_complaints": count,
            "customer.account_manager": row.account_manager_id,
        }
        if customer is not None and customer.language:
            facts["language"] = customer.language
        if complaints:  # the one due first: the one the caller most likely calls about
            facts["complaint.id"] = complaints[0].id
            facts["complaint.status"] = complaints[0].status
        return facts

    async def _complaint(self, value: str | None, customer_id: Value) -> Found:
        if not value or not value.isdigit() or not isinstance(customer_id, int):
            return None  # an unidentified caller hears no complaint's status
        number = int(value)
        if not 0 < number < 2**62:
            return None
        async with self.uow() as uow:
            complaint = await ComplaintRepository(uow.session).get(number)
        if complaint is None or complaint.customer_id != customer_id:
            return None
        return {"complaint.id": complaint.id, "complaint.status": complaint.status}
