from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.auth.throttle import TooManyAttempts
from app.auth.tokens import Principal, issue
from app.deps import AgentUser, HotlineDep, UoW
from app.errors import error_body
from app.schemas import Input
from app.staff.schemas import AgentOut, Password
from app.staff.service import get_agent, log_in, log_out

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginIn(Input):
    username: str = Field(min_length=1, max_length=64)
    password: Password = Field(min_length=1)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    agent: AgentOut


@router.post(
    "/login",
    responses={
        401: {"description": "wrong username or password (one answer for both)"},
        429: {"description": "too many failed logins from this address or for this account"},
    },
)
async def login(body: LoginIn, request: Request, uow: UoW, hotline: HotlineDep) -> TokenOut:
    # Behind a trusted proxy (uvicorn's FORWARDED_ALLOW_IPS) this is the client's own address.
    address = request.client.host if request.client else "unknown"
    try:
        agent = await log_in(uow, hotline.logins, body.username, body.password, address)
    except TooManyAttempts as exc:
        return JSONResponse(  # type: ignore[return-value]
            error_body(exc), status_code=429, headers={"Retry-After": str(exc.retry_after)}
        )
    principal = Principal(agent.id, agent.username, agent.role, agent.token_version)
    ttl = hotline.settings.token_ttl_seconds
    token = issue(hotline.secret, principal, time.time(), ttl)
    return TokenOut(access_token=token, expires_in=ttl, agent=AgentOut.model_validate(agent))


@router.post("/logout", status_code=204)
async def logout(user: AgentUser, uow: UoW, hotline: HotlineDep) -> Response:
    """Revoke every token of the account (every tab and device it is logged in on) and close
    its sockets; the next request with any of them is 401."""
    async with uow:
        await log_out(uow, hotline.accounts, user)
    return Response(status_code=204)


@router.get("/me")
async def me(user: AgentUser, uow: UoW) -> AgentOut:
    async with uow:
        return AgentOut.model_validate(await get_agent(uow, user.agent_id))
