"""Annotated dependency aliases: entry points declare what they need, nothing more."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.auth.tokens import Principal, verify
from app.container import Hotline
from app.customers.valuation import Valuation
from app.db.uow import UnitOfWork
from app.errors import Forbidden, Unauthorized, Unavailable
from app.telephony.pbx import PbxCaller, PbxCalls
from config.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="token from POST /api/auth/login")


# Dependencies are coroutines even when they do not await: FastAPI runs a plain ``def``
# dependency in a worker thread, a thread hop per request for a dictionary lookup.
async def get_hotline(request: Request) -> Hotline:
    return request.app.state.hotline


HotlineDep = Annotated[Hotline, Depends(get_hotline)]


async def get_settings(hotline: HotlineDep) -> Settings:
    return hotline.settings


async def get_uow(hotline: HotlineDep) -> UnitOfWork:
    return hotline.uow()


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_valuation(hotline: HotlineDep) -> Valuation:
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
    """The token's agent as the account is now: a deactivated agent, a changed role or a
    revoked token (logout, new password) takes effect at once, not when the token expires.
    The account is read from an in-process cache the staff service clears on every change
    (app/staff/accounts.py), so the common request runs no SQL for it."""
    claimed = principal_from_token(hotline, token)
    account = await hotline.accounts.get(hotline.uow, claimed.agent_id)
    if account is None or not account.active:
        raise Unauthorized("this account is no longer active")
    if account.token_version != claimed.version:
        raise Unauthorized("this token was revoked (logged out or account changed); log in again")
    return Principal(account.agent_id, account.username, account.role, account.token_version)


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


# A PBX's key (docs/telephony.md, "PBX events"): its own scheme in the spec, beside the
# integration keys' X-Api-Key of app.api.customers.
_pbx_key = APIKeyHeader(
    name="X-Api-Key",
    scheme_name="PbxKey",
    auto_error=False,
    description="a PBX's key, issued by an admin (POST /api/telephony/keys)",
)
PbxKeyHeader = Annotated[str | None, Security(_pbx_key)]


async def get_pbx(hotline: HotlineDep) -> PbxCalls:
    if hotline.pbx is None:  # only between start-up steps
        raise Unavailable("the PBX event API is starting; try again")
    return hotline.pbx


PbxDep = Annotated[PbxCalls, Depends(get_pbx)]


async def pbx_caller(pbx: PbxDep, key: PbxKeyHeader) -> PbxCaller:
    """The PBX whose key the request carries: 401 for none, an unknown or a revoked key."""
    return await pbx.authenticate(key)


PbxUser = Annotated[PbxCaller, Depends(pbx_caller)]
