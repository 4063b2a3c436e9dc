"""A screen pop reads only the lists its customer has: every offer pays for its statements,
and most callers have no open complaint or promise (both backends)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.customers.profile import build_profiles
from app.db import statement_counter
from app.db.models import Complaint
from app.db.types import utcnow
from tests.helpers import add_interaction, cheap_argon2  # noqa: F401  (autouse fixture)
from tests.integration.test_repositories import add_customer


async def _pop(uow_factory: Any, customer_id: int) -> tuple[Any, list[str]]:
    seen: list[str] = []

    def note(_n: int, sql: str) -> None:
        seen.append(sql.split(" FROM ")[-1].split()[0])  # the statement's last table

    statement_counter.listen(note)
    try:
        async with uow_factory().reading() as uow:
            profiles = await build_profiles(uow, [customer_id], None, with_logs=False)
    finally:
        statement_counter.stop_listening(note)
    return profiles[customer_id], seen


async def test_a_pop_reads_complaints_and_promises_only_for_a_customer_who_has_them(
    uow_factory: Any,
) -> None:
    cid = await add_customer(uow_factory, "Wang Fang", phone=["+8613800000001"])
    await add_interaction(uow_factory, cid)
    profile, statements = await _pop(uow_factory, cid)
    assert len(statements) == 3, statements  # card, identities, recent contacts
    assert len(profile.last_interactions) == 1 and profile.open_complaints == []

    async with uow_factory() as uow:
        uow.session.add(
            Complaint(
                customer_id=cid,
                category="billing",
                severity="high",
                description="charged twice",
                due_at=utcnow() + timedelta(hours=24),
            )
        )
    profile, statements = await _pop(uow_factory, cid)
    assert len(statements) == 4, statements
    assert [c.description for c in profile.open_complaints] == ["charged twice"]
