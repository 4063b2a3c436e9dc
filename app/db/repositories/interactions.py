"""All SQL about contacts and interactions."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Text, bindparam, case, func, select, type_coerce, update
from sqlalchemy.dialects.postgresql import JSONB

from app.db.models import Interaction
from app.db.prepared import Prepared, PreparedInsert, dialect_of, in_ids
from app.db.repositories.base import Repository

PROJECTED = (
    Interaction.status,
    Interaction.queue,
    Interaction.agent_id,
    Interaction.offered_at,
    Interaction.answered_at,
    Interaction.ended_at,
    Interaction.wait_seconds,
    Interaction.handle_seconds,
    Interaction.end_reason,
    Interaction.ended_by,
    Interaction.last_event_seq,
)
"""The columns the live path's events decide (see app/contacts/projector.py); their routing
explanation is appended to, never read back (:meth:`InteractionRepository.save_projection`)."""

CARD = (
    Interaction.id,
    Interaction.customer_id,
    Interaction.channel,
    Interaction.direction,
    Interaction.queue,
    Interaction.intent,
    Interaction.from_address,
    Interaction.attributes,
    Interaction.ivr_path,
    Interaction.created_at,
    Interaction.answered_at,
    Interaction.status,
    Interaction.notes,
)
"""What an agent's card shows of a contact."""

# Built once: the live path runs these for every contact, and building a statement costs
# SQLAlchemy more than running it.
_CARDS = Prepared(select(*CARD).where(in_ids(Interaction.id)))
_CLOSE_WRAPUP = Prepared(
    update(Interaction)
    .where(
        Interaction.id == bindparam("key"),
        Interaction.agent_id == bindparam("agent"),
        Interaction.status == "wrapup",
    )
    .values(
        disposition=bindparam("disposition"),
        notes=bindparam("notes"),
        status="ended",
        wrapped_up_at=bindparam("at"),
    )
    .returning(Interaction.id, Interaction.customer_id, Interaction.attributes)
)
_PROJECTION_ROWS = Prepared(
    select(Interaction.id, Interaction.created_at, *PROJECTED).where(in_ids(Interaction.id))
)


def _save_projection(postgres: bool, *, returning: bool = False) -> Any:
    table = Interaction.__table__
    log = table.c.routing_explanation
    if postgres:
        # jsonb || jsonb: two arrays joined.
        grown = log.op("||")(bindparam("v_added", type_=JSONB))
    else:
        # SQLite keeps JSON as text, "[...]" as json.dumps wrote it: join the two texts
        # (the entries to add come as JSON text, see save_projection).
        old, new = type_coerce(func.coalesce(log, "[]"), Text), bindparam("v_added", type_=Text)
        grown = type_coerce(
            case(
                (new == "[]", old),
                (old == "[]", new),
                else_=func.substr(old, 1, func.length(old) - 1) + "," + func.substr(new, 2),
            ),
            JSON,
        )
    values = {c.key: bindparam(f"v_{c.key}") for c in PROJECTED}
    values["routing_explanation"] = grown
    # Only over the row as it was read (compare and set on the last event applied): a row
    # another writer advanced meanwhile — a wrap-up writing its contact's end ahead of the
    # projector — already has these events, and keeps them once.
    seen = func.coalesce(table.c.last_event_seq, 0) == bindparam("seen_seq")
    stmt = update(table).where(table.c.id == bindparam("row_id"), seen).values(values)
    return stmt.returning(table.c.id) if returning else stmt


def _projection_params(rows: list[dict[str, Any]], postgres: bool) -> list[dict[str, Any]]:
    """The parameters of a projection write, one set per row (see ``_save_projection``)."""
    names = [c.key for c in PROJECTED]
    return [
        {
            "row_id": r["id"],
            "seen_seq": r["seen_seq"],
            # PostgreSQL: a jsonb parameter; SQLite: the JSON text to join to the column's.
            "v_added": r["explanation_added"] if postgres else json.dumps(r["explanation_added"]),
            **{f"v_{n}": r[n] for n in names},
        }
        for r in rows
    ]


# Run on the driver (app/db/prepared.py): every contact pays for these.
_OPEN = PreparedInsert(Interaction)
_WRAPUP_STATE = Prepared(
    select(Interaction.agent_id, Interaction.status, Interaction.disposition).where(
        Interaction.id == bindparam("id")
    )
)

_SAVE_PROJECTION = Prepared(_save_projection(postgres=False))
_SAVE_PROJECTION_PG = Prepared(_save_projection(postgres=True))
_SAVE_PROJECTION_ROW = Prepared(_save_projection(postgres=False, returning=True))
_SAVE_PROJECTION_ROW_PG = Prepared(_save_projection(postgres=True, returning=True))


class InteractionRepository(Repository):
    async def add(self, interaction: Interaction) -> Interaction:
        self.session.add(interaction)
        await self.session.flush()
        return interaction

    async def open(self, interaction: Interaction) -> Interaction:
        """A new contact's row, inserted on the driver: ``interaction`` gets its id and
        defaults, and stays out of the session (it is read, never changed, afterwards)."""
        return await _OPEN.add(self.db, interaction)  # type: ignore[no-any-return]

    async def get(self, interaction_id: int, *, for_update: bool = False) -> Interaction | None:
        stmt = select(Interaction).where(Interaction.id == interaction_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_many(self, ids: list[int]) -> dict[int, Interaction]:
        if not ids:
            return {}
        stmt = select(Interaction).where(Interaction.id.in_(ids))
        return {i.id: i for i in (await self.session.execute(stmt)).scalars()}

    async def cards(self, ids: list[int]) -> dict[int, Any]:
        """What agents' offer cards show of these contacts (no routing log, no transcript),
        in one statement."""
        return {row.id: row for row in await _CARDS.all(self.db, {"ids": ids})}

    async def projection_rows(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """The columns the live-path projector writes, for these contacts (plain dicts: the
        projector runs for every event and needs no ORM objects), and an empty
        ``explanation_added``: the entries to append to the routing explanation."""
        if not ids:
            return {}
        rows = await _PROJECTION_ROWS.all(self.db, {"ids": ids})
        return {
            row.id: row._mapping | {"explanation_added": [], "seen_seq": row.last_event_seq or 0}
            for row in rows
        }

    async def save_projection(self, rows: list[dict[str, Any]]) -> None:
        """Write back what the projector changed, in one statement for all the rows. The
        routing explanation grows by ``explanation_added`` in the database itself: reading
        and rewriting the whole log for every event cost more than the rest of the
        projector's work. A row whose last applied event changed since it was read is left
        as it is (see :meth:`save_projection_row`)."""
        if not rows:
            return
        postgres = dialect_of(self.db).name == "postgresql"
        stmt = _SAVE_PROJECTION_PG if postgres else _SAVE_PROJECTION
        await stmt.many(self.db, _projection_params(rows, postgres))

    async def save_projection_row(self, row: dict[str, Any]) -> bool:
        """One row, as :meth:`save_projection`; False when another writer applied events to
        it since it was read (nothing written)."""
        postgres = dialect_of(self.db).name == "postgresql"
        stmt = _SAVE_PROJECTION_ROW_PG if postgres else _SAVE_PROJECTION_ROW
        return await stmt.first(self.db, _projection_params([row], postgres)[0]) is not None

    async def close_wrapup(
        self, interaction_id: int, agent_id: int, disposition: str, notes: str, at: datetime
    ) -> Any | None:
        """The agent's wrap-up becomes the record's: disposition and notes set, the contact
        ended — only if it is this agent's and in wrap-up, in one conditional statement, so
        that of two concurrent wrap-ups exactly one wins. The row (id, customer_id,
        attributes), or None when nothing matched (see :meth:`wrapup_state`)."""
        params = {"key": interaction_id, "agent": agent_id}
        params |= {"disposition": disposition, "notes": notes, "at": at}
        return await _CLOSE_WRAPUP.first(self.db, params)

    async def wrapup_state(self, interaction_id: int) -> Any | None:
        """Agent, status and disposition: why a wrap-up did not match."""
        return await _WRAPUP_STATE.first(self.db, {"id": interaction_id})

    async def set_attributes(self, interaction_id: int, attributes: dict[str, Any]) -> None:
        stmt = (
            update(Interaction)
            .where(Interaction.id == interaction_id)
            .values(attributes=attributes)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def by_external_id(self, source: str, external_id: str) -> Interaction | None:
        """The contact an earlier delivery of the same arrival made, if any."""
        stmt = select(Interaction).where(
            Interaction.source == source, Interaction.external_id == external_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def answered_since(self, agent_id: int, since: datetime) -> int:
        """How many contacts the agent answered since ``since`` (contacts today)."""
        stmt = select(func.count()).where(
            Interaction.agent_id == agent_id, Interaction.answered_at >= since
        )
        return int(await self.session.scalar(stmt) or 0)

    async def for_customer(
        self, customer_id: int, *, limit: int = 20, offset: int = 0
    ) -> tuple[list[Interaction], int]:
        base = select(Interaction).where(Interaction.customer_id == customer_id)
        total = await self.session.scalar(select(func.count()).select_from(base.subquery()))
        rows = await self.session.execute(
            base.order_by(Interaction.created_at.desc(), Interaction.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(rows.scalars()), int(total or 0)

    async def live(self) -> list[Interaction]:
        """Contacts not ended yet (queued, offered, active): what routing must know about,
        in the order they started."""
        stmt = select(Interaction).where(Interaction.status.in_(("queued", "offered", "active")))
        return list((await self.session.execute(stmt.order_by(Interaction.id))).scalars())

    async def never_routed(self, before: datetime) -> list[Interaction]:
        """Queued contacts created before ``before`` that no routing event ever reached:
        shared mode's orphans (their process died between the row and the routing)."""
        stmt = select(Interaction).where(
            Interaction.status == "queued",
            Interaction.last_event_seq.is_(None),
            Interaction.created_at < before,
        )
        return list((await self.session.execute(stmt.order_by(Interaction.id))).scalars())

    async def awaiting_wrapup(self, agent_id: int) -> list[Interaction]:
        stmt = select(Interaction).where(
            Interaction.agent_id == agent_id, Interaction.status == "wrapup"
        )
        return list((await self.session.execute(stmt.order_by(Interaction.id))).scalars())

    async def rating_summary(self, customer_id: int) -> tuple[float | None, int]:
        stmt = select(func.avg(Interaction.rating), func.count(Interaction.rating)).where(
            Interaction.customer_id == customer_id, Interaction.rating.is_not(None)
        )
        avg, count = (await self.session.execute(stmt)).one()
        return (float(avg) if avg is not None else None), int(count)
