from __future__ import annotations

import time

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.auth.tokens import issue
from app.deps import AgentUser, HotlineDep, UoW
from app.schemas import Input
from app.staff.schemas import AgentOut
from app.staff.service import authenticate, get_agent

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginIn(Input):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    agent: AgentOut


@router.post("/login")
async def login(body: LoginIn, uow: UoW, hotline: HotlineDep) -> TokenOut:
    async with uow:
        principal = await authenticate(uow, body.username, body.password)
        agent = AgentOut.model_validate(await get_agent(uow, principal.agent_id))
    ttl = hotline.settings.token_ttl_seconds
    token = issue(hotline.secret, principal, time.time(), ttl)
    return TokenOut(access_token=token, expires_in=ttl, agent=agent)


@router.get("/me")
async def me(user: AgentUser, uow: UoW) -> AgentOut:
    async with uow:
        return AgentOut.model_validate(await get_agent(uow, user.agent_id))
