"""All SQL about PBXs: their API keys, the calls they report and the events they delivered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Interaction, PbxCall, PbxEvent, PbxKey


class PbxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- keys ----------------------------------------------------------------------------
    async def add_key(self, key: PbxKey) -> PbxKey:
        self.session.add(key)
        await self.session.flush()
        return key

    async def keys(self) -> list[PbxKey]:
        return list((await self.session.execute(select(PbxKey).order_by(PbxKey.id))).scalars())

    async def key(self, key_id: int) -> PbxKey | None:
        return await self.session.get(PbxKey, key_id)

    async def active_key_by_hash(self, key_hash: str) -> PbxKey | None:
        """The unrevoked key with this SHA-256, if any (one indexed lookup per request)."""
        stmt = select(PbxKey).where(PbxKey.key_hash == key_hash, PbxKey.revoked_at.is_(None))
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def revoke_key(self, key_id: int, at: datetime, by: int | None) -> bool:
        """Revoke an unrevoked key; False when it is unknown or already revoked. One
        conditional UPDATE: of two revocations at once, one wins."""
        stmt = (
            update(PbxKey)
            .where(PbxKey.id == key_id, PbxKey.revoked_at.is_(None))
            .values(revoked_at=at, revoked_by=by)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return bool(getattr(result, "rowcount", 0))

    # --- calls ---------------------------------------------------------------------------
    async def call(self, call_id: str, *, for_update: bool = False) -> PbxCall | None:
        if for_update:
            return await self.session.get(
                PbxCall, call_id, with_for_update=True, populate_existing=True
            )
        return await self.session.get(PbxCall, call_id)

    async def add_call(self, call: PbxCall) -> PbxCall:
        self.session.add(call)
        await self.session.flush()
        return call

    async def move_contact(self, old_contact_id: int, new_contact_id: int) -> None:
        """A call's contact was transferred: its new leg is the call's contact now (a no-op
        for contacts that are no PBX call's)."""
        stmt = (
            update(PbxCall)
            .where(PbxCall.contact_id == old_contact_id)
            .values(contact_id=new_contact_id, answered_at=None, answered_by=None)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(stmt)

    async def contact_status(self, contact_id: int) -> tuple[str, str | None] | None:
        """The record's (status, end_reason) of a contact: why it ended, after a restart
        has emptied what routing remembered."""
        stmt = select(Interaction.status, Interaction.end_reason).where(
            Interaction.id == contact_id
        )
        row = (await self.session.execute(stmt)).first()
        return None if row is None else (row[0], row[1])

    async def interaction_by_external_id(self, source: str, external_id: str) -> int | None:
        stmt = select(Interaction.id).where(
            Interaction.source == source, Interaction.external_id == external_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    # --- events --------------------------------------------------------------------------
    async def event(self, event_id: str) -> PbxEvent | None:
        return await self.session.get(PbxEvent, event_id)

    async def add_event(self, event: PbxEvent) -> None:
        self.session.add(event)
        await self.session.flush()
