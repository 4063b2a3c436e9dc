"""Annotated dependency aliases: entry points declare what they need, nothing more."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.tokens import Principal, verify
from app.container import Hotline
from app.customers.valuation import Valuation
from app.db.repositories.staff import StaffRepository
from app.db.uow import UnitOfWork
from app.errors import Forbidden, Unauthorized
from config.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="token from POST /api/auth/login")


def get_hotline(request: Request) -> Hotline:
    return request.app.state.hotline


HotlineDep = Annotated[Hotline, Depends(get_hotline)]


def get_settings(hotline: HotlineDep) -> Settings:
    return hotline.settings


def get_uow(hotline: HotlineDep) -> UnitOfWork:
    return hotline.uow()


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_valuation(hotline: HotlineDep) -> Valuation:
    return hotline.valuation


ValuationDep = Annotated[Valuation, Depends(get_valuation)]
UoW = Annotated[UnitOfWork, Depends(get_uow)]


def principal_from_token(hotline: Hotline, token: str | None) -> Principal:
    if not token:
        raise Unauthorized("missing bearer token; log in at POST /api/auth/login")
    principal = verify(hotline.secret, token, time.time())
    if principal is None:
        raise Unauthorized("invalid or expired token; log in again")
    return principal


async def current_principal(hotline: Hotline, token: str | None) -> Principal:
    """The token's agent as the database has them now: a deactivated agent or a changed role
    takes effect at once, not when the token expires."""
    claimed = principal_from_token(hotline, token)
    async with hotline.uow() as uow:
        agent = await StaffRepository(uow.session).get_agent(claimed.agent_id)
    if agent is None or not agent.active:
        raise Unauthorized("this account is no longer active")
    return Principal(agent.id, agent.username, agent.role)


def _require(role: str):  # type: ignore[no-untyped-def]
    async def dep(
        hotline: HotlineDep,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        principal = await current_principal(hotline, creds.credentials if creds else None)
        if not principal.has_role(role):
            raise Forbidden(f"this needs the {role} role; you are {principal.role}")
        return principal

    return dep


AgentUser = Annotated[Principal, Depends(_require("agent"))]
SupervisorUser = Annotated[Principal, Depends(_require("supervisor"))]
AdminUser = Annotated[Principal, Depends(_require("admin"))]
