"""All SQL of the customer profile (the 360 view and the screen pop), for many customers at
once: one statement per part, whatever the number of customers (see app/db/loader.py).

The statements are built once, here, with their customer ids as one array parameter, and
run on the driver (app/db/prepared.py): every screen pop runs these, and SQLAlchemy's
execution path cost several times what the statements themselves do. Rows come back as
named tuples with the columns' names (no ORM objects): the profile only reads them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import bindparam, exists, func, select

from app.db.models import (
    Agent,
    Complaint,
    Customer,
    CustomerIdentity,
    CustomerValueRow,
    GradeOverrideRow,
    Interaction,
    Promise,
)
from app.db.models.complaints import OPEN_STATUSES
from app.db.models.promises import OPEN as PROMISE_OPEN
from app.db.prepared import Prepared, in_ids, one_of, row_type
from app.db.repositories.base import Repository

HEAVY = ("routing_explanation", "transcript")
"""Interaction columns a screen pop leaves out: the record has them, the card does not."""


def _recent(with_logs: bool) -> Any:
    order = (Interaction.created_at.desc(), Interaction.id.desc())
    rank = func.row_number().over(partition_by=Interaction.customer_id, order_by=order)
    columns = [c for c in Interaction.__table__.c if with_logs or c.key not in HEAVY]
    ranked = select(*columns, rank.label("rank")).where(in_ids(Interaction.customer_id)).subquery()
    stmt = (
        select(ranked)
        .where(ranked.c.rank <= bindparam("limit"))
        .order_by(ranked.c.customer_id, ranked.c.rank)
    )
    if with_logs:
        return select(Interaction).from_statement(stmt)
    # A card names each contact's agent: joined here rather than looked up after.
    return stmt.add_columns(_AGENT.c.display_name.label("agent_name")).outerjoin(
        _AGENT, _AGENT.c.id == ranked.c.agent_id
    )


_CUSTOMER = Customer.__table__
_AGENT = Agent.__table__
_MANAGER = _AGENT.alias("manager")
_VALUE = CustomerValueRow.__table__
_OVERRIDE = GradeOverrideRow.__table__
_STATS_BY_CUSTOMER = (
    select(
        Interaction.customer_id.label("customer_id"),
        func.count().label("n"),
        func.avg(Interaction.rating).label("avg"),
        func.count(Interaction.rating).label("rated"),
    )
    .where(in_ids(Interaction.customer_id))
    .group_by(Interaction.customer_id)
    .subquery()
)
_CUSTOMER_ROWS = Prepared(select(Customer).where(in_ids(Customer.id)))
# The customer's row, their stored value and grade override (one each, or none), their
# interaction counts and whether they have open complaints or promises, in one statement:
# what an offer card shows of them, and which of the card's lists are worth a statement.
_CUSTOMERS = Prepared(
    select(
        *_CUSTOMER.c,
        *[c.label(f"v_{c.key}") for c in _VALUE.c],
        *[c.label(f"o_{c.key}") for c in _OVERRIDE.c],
        _STATS_BY_CUSTOMER.c.n,
        _STATS_BY_CUSTOMER.c.avg,
        _STATS_BY_CUSTOMER.c.rated,
        exists()
        .where(
            Complaint.customer_id == _CUSTOMER.c.id,
            one_of(Complaint.status, OPEN_STATUSES),
        )
        .label("complaining"),
        exists()
        .where(Promise.customer_id == _CUSTOMER.c.id, Promise.status == PROMISE_OPEN)
        .label("promised"),
        _MANAGER.c.id,
        _MANAGER.c.display_name,
        _MANAGER.c.team,
    )
    .select_from(
        _CUSTOMER.outerjoin(_VALUE, _VALUE.c.customer_id == _CUSTOMER.c.id)
        .outerjoin(_OVERRIDE, _OVERRIDE.c.customer_id == _CUSTOMER.c.id)
        .outerjoin(_STATS_BY_CUSTOMER, _STATS_BY_CUSTOMER.c.customer_id == _CUSTOMER.c.id)
        .outerjoin(_MANAGER, _MANAGER.c.id == _CUSTOMER.c.account_manager_id)
    )
    .where(in_ids(_CUSTOMER.c.id))
)
_CUSTOMER_ROW = row_type([c.key for c in _CUSTOMER.c])
_VALUE_ROW = row_type([c.key for c in _VALUE.c])
_OVERRIDE_ROW = row_type([c.key for c in _OVERRIDE.c])
_MANAGER_ROW = row_type(["id", "display_name", "team"])
_SPLIT = (
    len(_CUSTOMER.c),
    len(_CUSTOMER.c) + len(_VALUE.c),
    len(_CUSTOMER.c) + len(_VALUE.c) + len(_OVERRIDE.c),
)


class CustomerCards(NamedTuple):
    """What :meth:`ProfileRepository.cards` reads of each customer, by customer id."""

    customers: dict[int, Any]  # the columns of :class:`Customer`
    values: dict[int, Any]  # of :class:`CustomerValueRow`; absent: not valued yet
    overrides: dict[int, Any]  # of :class:`GradeOverrideRow`, beside a value only
    stats: dict[int, tuple[int, float | None, int]]  # interactions, average rating, ratings
    complaining: set[int]  # customers with an open complaint
    promised: set[int]  # customers with an open promise
    managers: dict[int, Any]  # the account manager's id, display_name and team, if any


_IDENTITIES = Prepared(
    select(CustomerIdentity)
    .where(in_ids(CustomerIdentity.customer_id))
    .order_by(CustomerIdentity.id)
)
_RECENT_WITH_LOGS = _recent(True)  # ORM objects, for the profile page (not a screen pop)
_RECENT = Prepared(_recent(False))
_OPEN_COMPLAINTS = Prepared(
    select(Complaint)
    .where(in_ids(Complaint.customer_id), one_of(Complaint.status, OPEN_STATUSES))
    .order_by(Complaint.customer_id, Complaint.due_at, Complaint.id)
)
_OPEN_PROMISES = Prepared(
    select(Promise)
    .where(in_ids(Promise.customer_id), Promise.status == PROMISE_OPEN)
    .order_by(Promise.due_at, Promise.id)
)
_AGENTS = Prepared(select(Agent.id, Agent.display_name, Agent.team).where(in_ids(Agent.id)))


class ProfileRepository(Repository):
    async def customers(self, ids: Sequence[int]) -> dict[int, Any]:
        """These customers' rows (the columns of :class:`Customer`), by id."""
        return {c.id: c for c in await _CUSTOMER_ROWS.all(self.db, {"ids": ids})}

    async def cards(self, ids: Sequence[int]) -> CustomerCards:
        """These customers' rows, values, grade overrides, interaction counts and account
        managers (one statement; those that do not exist are left out)."""
        cards = CustomerCards({}, {}, {}, {}, set(), set(), {})
        a, b, c = _SPLIT
        for row in await _CUSTOMERS.all(self.db, {"ids": ids}):
            cid = row.id
            cards.customers[cid] = _CUSTOMER_ROW(*row[:a])
            if row[a] is not None:  # the value's customer_id: there is a value
                cards.values[cid] = _VALUE_ROW(*row[a:b])
                if row[b] is not None:  # an override shows only beside a value
                    cards.overrides[cid] = _OVERRIDE_ROW(*row[b:c])
            n, avg, rated, complaining, promised, *manager = row[c:]
            if manager[0] is not None:
                cards.managers[cid] = _MANAGER_ROW(*manager)
            if complaining:
                cards.complaining.add(cid)
            if promised:
                cards.promised.add(cid)
            cards.stats[cid] = (
                int(n or 0),
                float(avg) if avg is not None else None,
                int(rated or 0),
            )
        return cards

    async def identities(self, customer_ids: Sequence[int]) -> dict[int, list[Any]]:
        """Each customer's phones and e-mails (rows of :class:`CustomerIdentity`). The same
        read as :meth:`CustomerRepository.identities`, on the driver: that one gives ORM
        objects, which editing a customer's identities deletes and adds."""
        out: dict[int, list[Any]] = {cid: [] for cid in customer_ids}
        for row in await _IDENTITIES.all(self.db, {"ids": customer_ids}):
            out[row.customer_id].append(row)
        return out

    async def open_promises(self, customer_ids: Sequence[int]) -> dict[int, list[Any]]:
        """Open promises of each of these customers, soonest due first."""
        found: dict[int, list[Any]] = {}
        for p in await _OPEN_PROMISES.all(self.db, {"ids": customer_ids}):
            found.setdefault(p.customer_id, []).append(p)
        return found

    async def recent_interactions(
        self, customer_ids: Sequence[int], limit: int, *, with_logs: bool
    ) -> dict[int, list[Any]]:
        """Each customer's latest ``limit`` interactions, newest first: ORM rows, or — without
        logs — plain rows lacking the routing log and the transcript, with ``agent_name``."""
        params = {"ids": list(customer_ids), "limit": limit}
        found: dict[int, list[Any]] = defaultdict(list)
        if with_logs:
            for row in (await self.session.execute(_RECENT_WITH_LOGS, params)).scalars():
                found[row.customer_id].append(row)
            return found
        for row in await _RECENT.all(self.db, params):
            found[row.customer_id].append(row)
        return found

    async def open_complaints(
        self, customer_ids: Sequence[int], limit: int
    ) -> dict[int, list[Any]]:
        """Each customer's open complaints (rows of :class:`Complaint`), the nearest
        deadline first."""
        found: dict[int, list[Any]] = defaultdict(list)
        for c in await _OPEN_COMPLAINTS.all(self.db, {"ids": customer_ids}):
            if len(found[c.customer_id]) < limit:
                found[c.customer_id].append(c)
        return found

    async def agents(self, ids: Sequence[int]) -> dict[int, Any]:
        """id, display name and team of these agents."""
        return {row.id: row for row in await _AGENTS.all(self.db, {"ids": ids})}
