"""Care and win-back tasks (docs/care.md): what the rules made, what waits and why."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from app.db.repositories.care import CareRepository
from app.deps import SupervisorUser, UoW
from app.errors import Unavailable
from app.i18n import render_message
from app.i18n.http import Lang

router = APIRouter(prefix="/api/care", tags=["care"])


class CareTaskOut(BaseModel):
    id: int
    customer_id: int
    rule: str
    kind: str
    purpose: str
    via: str
    queue: str
    owner_id: int | None
    status: Literal["held", "released", "done"]
    text: str  # the task's text in the reader's language
    hold: str | None  # why it waits, in words
    hold_message: dict[str, Any] | None  # the same as code and facts
    contact_id: str | None
    due_at: datetime
    created_at: datetime
    released_at: datetime | None
    done_at: datetime | None
    outcome: dict[str, Any] | None


class CareRunOut(BaseModel):
    made: int  # tasks the rules made
    released: list[str]  # contacts made of tasks discipline let go


@router.get("/tasks")
async def tasks(
    uow: UoW,
    _: SupervisorUser,
    lang: Lang,
    status: Literal["held", "released", "done"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CareTaskOut]:
    """The latest care tasks, newest first; a held one says why it waits."""
    async with uow:
        rows = await CareRepository(uow.session).list(status, limit)
    return [
        CareTaskOut(
            id=t.id,
            customer_id=t.customer_id,
            rule=t.rule,
            kind=t.kind,
            purpose=t.purpose,
            via=t.via,
            queue=t.queue,
            owner_id=t.owner_id,
            status=t.status,  # type: ignore[arg-type]
            text=str(t.text.get(lang) or t.text.get("en") or ""),
            hold=render_message(t.hold, lang) if t.hold else None,
            hold_message=t.hold,
            contact_id=str(t.interaction_id) if t.interaction_id is not None else None,
            due_at=t.due_at,
            created_at=t.created_at,
            released_at=t.released_at,
            done_at=t.done_at,
            outcome=t.outcome,
        )
        for t in rows
    ]


@router.post("/run", responses={503: {"description": "care rules are not running here"}})
async def run(request: Request, _: SupervisorUser) -> CareRunOut:
    """Evaluate the care rules and release what contact discipline allows, now (rather
    than at the next scheduled pass)."""
    care = getattr(request.app.state.hotline, "care", None)
    if care is None:
        raise Unavailable("care rules are not running in this process")
    made = await care.scan()
    return CareRunOut(made=made, released=await care.release())
