"""Supervisor actions over HTTP (docs/supervisor.md, "Actions"). A thin adapter."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response
from pydantic import Field

from app.deps import HotlineDep, SupervisorUser
from app.schemas import Input, Output
from app.supervisor.actions import (
    call_back,
    move_contact,
    offer_to_agent,
    raise_priority,
    set_agent_state,
    withdraw_offer,
)

router = APIRouter(prefix="/api/supervisor", tags=["supervisor"])

# Ids of agents and contacts in the path: positive, and no larger than the record's keys.
RecordId = Annotated[int, Path(ge=1, le=10**18)]
# What an action on a waiting contact may meet instead.
WAITING_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "the contact is not waiting"},
    409: {"description": "an agent has the contact already"},
}


class AgentStateIn(Input):
    state: Literal["available", "break", "offline"]
    reason: str | None = Field(None, min_length=1, max_length=64, description="a break reason code")


class AgentStateOut(Output):
    agent_id: int
    state: str
    reason: str | None
    pending_break: str | None


@router.put(
    "/agents/{agent_id}/state",
    responses={
        404: {"description": "no such active agent"},
        409: {"description": "the agent is not signed in, or routing refuses (a live contact)"},
    },
)
async def put_agent_state(
    agent_id: int, body: AgentStateIn, hotline: HotlineDep, user: SupervisorUser
) -> AgentStateOut:
    """Set a signed-in agent's state: a break (with a reason), offline, or available. A
    break asked for while the agent works starts when the work ends (`pending_break`).
    Audited (`supervisor.agent_state`)."""
    out = await set_agent_state(
        hotline.uow(), hotline.presence, hotline.console, user, agent_id, body.state, body.reason
    )
    return AgentStateOut(**out)


class WithdrawnOut(Output):
    contact_id: str
    withdrawn_from: int  # the agent the offer was made to


@router.post(
    "/contacts/{contact_id}/withdraw-offer",
    responses={
        404: {"description": "the contact is not waiting"},
        409: {"description": "the contact has no open offer"},
    },
)
async def post_withdraw_offer(
    contact_id: RecordId, hotline: HotlineDep, user: SupervisorUser
) -> WithdrawnOut:
    """Take back an open offer: the agent's offer card goes (`offer.cancelled`, cause
    `withdrawn`, not a missed offer), the contact keeps its place and goes to someone else
    first. On the contact's routing log with the supervisor's name; audited
    (`supervisor.offer_withdrawn`)."""
    out = await withdraw_offer(hotline.uow(), hotline.center, user, contact_id)
    return WithdrawnOut(**out)


class PriorityIn(Input):
    points: float = Field(gt=0, le=1000, description="priority points to add (a VIP's boost is 60)")


class PriorityOut(Output):
    contact_id: str
    priority: float | None  # the contact's effective priority now


@router.post(
    "/contacts/{contact_id}/priority",
    responses=WAITING_ERRORS,
)
async def post_priority(
    contact_id: RecordId,
    body: PriorityIn,
    hotline: HotlineDep,
    user: SupervisorUser,
) -> PriorityOut:
    """Move a waiting contact up its queue: `points` more priority for good (it keeps aging
    from there); its step and the agents it may go to stay as they are. On the contact's
    routing log (an `escalated` entry naming the supervisor); audited
    (`supervisor.priority_raised`)."""
    out = await raise_priority(hotline.uow(), hotline.center, user, contact_id, body.points)
    return PriorityOut(**out)


class MoveIn(Input):
    queue: str = Field(min_length=1, max_length=64, description="the queue to wait in now")


class MovedOut(Output):
    contact_id: str
    from_queue: str
    queue: str


@router.post(
    "/contacts/{contact_id}/move",
    responses=WAITING_ERRORS,
)
async def post_move(
    contact_id: RecordId,
    body: MoveIn,
    hotline: HotlineDep,
    user: SupervisorUser,
) -> MovedOut:
    """Move a waiting contact to another queue: an open offer is withdrawn first; the routing
    policy is matched again there and the contact starts at its first step, keeping its age.
    On the contact's routing log (a `queued` entry naming the supervisor and both queues);
    audited (`supervisor.contact_moved`)."""
    out = await move_contact(hotline.uow(), hotline.center, user, contact_id, body.queue)
    return MovedOut(**out)


class DirectIn(Input):
    agent_id: int = Field(ge=1, le=2**31 - 1, description="the agent to offer the contact to")


class DirectedOut(Output):
    contact_id: str
    agent_id: int
    withdrawn_from: int | None  # the agent whose open offer was withdrawn first, if any


@router.post(
    "/contacts/{contact_id}/offer",
    responses={
        404: {"description": "the contact is not waiting, or no such active agent"},
        409: {"description": "an agent has the contact, or the named one cannot take it now"},
    },
)
async def post_offer(
    contact_id: RecordId,
    body: DirectIn,
    hotline: HotlineDep,
    user: SupervisorUser,
) -> DirectedOut:
    """Offer a waiting contact to a named agent, whatever its routing step allows (skills,
    preferences, a recent decline); the agent must be signed in and free for the channel. An
    open offer to another agent is withdrawn first. On the contact's routing log (an
    `offered` entry naming the supervisor); audited (`supervisor.offer_directed`)."""
    out = await offer_to_agent(hotline.uow(), hotline.center, user, contact_id, body.agent_id)
    return DirectedOut(**out)


class CallbackOut(Output):
    contact_id: str  # the callback: a new outbound voice contact
    callback_of: str  # the abandoned contact it calls back
    queue: str
    number: str  # the number to call
    created: bool  # false: this contact had been called back already (the same callback)


@router.post(
    "/abandoned/{contact_id}/callback",
    status_code=201,
    responses={
        200: {"model": CallbackOut, "description": "called back already: the same callback"},
        404: {"description": "no such contact"},
        409: {
            "description": "the contact was answered or is still live, or its customer has "
            "no phone number"
        },
    },
)
async def post_callback(
    contact_id: RecordId,
    hotline: HotlineDep,
    user: SupervisorUser,
    response: Response,
) -> CallbackOut:
    """Call back a contact abandoned today (the wallboard's abandoned list): a new outbound
    voice contact for the same customer in the same queue, routed like any contact, whose
    attributes say it is a callback of that contact (`callback_of`) and the number to call.
    One callback per abandoned contact: a repeat answers 200 with the same one. Audited
    (`supervisor.callback`)."""
    out = await call_back(hotline.uow, hotline.contacts, user, contact_id)
    if not out["created"]:
        response.status_code = 200
    return CallbackOut(**out)
