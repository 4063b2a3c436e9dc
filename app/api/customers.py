from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.auth.tokens import Principal
from app.customers.grades import clear_override, set_override, value_of
from app.customers.integration import Integration, match_key
from app.customers.profile import CustomerProfile, build_profile
from app.customers.schemas import (
    CustomerCreate,
    CustomerOut,
    CustomerUpdate,
    TransactionCreate,
    TransactionOut,
)
from app.customers.service import (
    create_customer,
    get_customer,
    load_out,
    search_customers,
    update_customer,
)
from app.customers.transactions import list_transactions, record_transaction
from app.customers.value_schemas import OverrideIn, ValueOut
from app.db.repositories.customers import CustomerRepository
from app.deps import AgentUser, HotlineDep, SettingsDep, UoW, ValuationDep, current_principal
from app.errors import Forbidden, NotFound, Unauthorized
from app.i18n.http import Lang
from app.interactions.schemas import InteractionOut
from app.interactions.service import customer_interactions
from app.schemas import Page

router = APIRouter(prefix="/api/customers", tags=["customers"])
Lifecycle = Literal["exploration", "formation", "stable", "decline"]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0)]

# The same scheme as app.deps' (same name and words): the spec lists one bearer scheme.
_bearer = HTTPBearer(auto_error=False, description="token from POST /api/auth/login")
_api_key = APIKeyHeader(
    name="X-Api-Key",
    auto_error=False,
    description="an integration key of the business's systems (HOTLINE_INTEGRATION_KEYS)",
)


async def purchase_source(
    hotline: HotlineDep,
    key: Annotated[str | None, Security(_api_key)],
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | Integration:
    """Who may record purchases: the business's systems (an integration key) or an admin.
    Purchases set a customer's grade; an agent who could post them could make anyone VIP."""
    if key is not None:
        integration = match_key(hotline.settings.integration_keys, key)
        if integration is None:  # the key is neither echoed nor logged
            raise Unauthorized("unknown integration key (X-Api-Key)")
        return integration
    principal = await current_principal(hotline, creds.credentials if creds else None)
    if not principal.has_role("admin"):
        raise Forbidden(
            "recording a purchase needs the admin role or an integration key (X-Api-Key): "
            f"purchases come from the business's systems; you are {principal.role}"
        )
    return principal


PurchaseSource = Annotated[Principal | Integration, Depends(purchase_source)]


@router.post("", status_code=201)
async def create(
    body: CustomerCreate, uow: UoW, user: AgentUser, settings: SettingsDep
) -> CustomerOut:
    async with uow:
        return await create_customer(uow, body, settings.default_region, user)


@router.get("")
async def search(
    uow: UoW,
    _: AgentUser,
    settings: SettingsDep,
    phone: Annotated[str | None, Query(max_length=64)] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
    grade: Annotated[str | None, Query(max_length=32)] = None,
    lifecycle: Annotated[Lifecycle | None, Query()] = None,
    churn_min: Annotated[float | None, Query(ge=0, le=1)] = None,
    churn_max: Annotated[float | None, Query(ge=0, le=1)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CustomerOut]:
    """Search by phone (any common format), e-mail, name; filter by grade, lifecycle, churn."""
    async with uow:
        items, total = await search_customers(
            uow,
            phone=phone,
            email=email,
            name=name,
            region=settings.default_region,
            limit=limit,
            offset=offset,
            grade=grade,
            lifecycle=lifecycle,
            churn_min=churn_min,
            churn_max=churn_max,
        )
    return Page[CustomerOut](items=items, total=total, limit=limit, offset=offset)


@router.get("/{customer_id}")
async def read(customer_id: int, uow: UoW, _: AgentUser) -> CustomerOut:
    async with uow:
        return await load_out(CustomerRepository(uow.session), await get_customer(uow, customer_id))


@router.patch("/{customer_id}")
async def update(
    customer_id: int, body: CustomerUpdate, uow: UoW, user: AgentUser, settings: SettingsDep
) -> CustomerOut:
    async with uow:
        return await update_customer(uow, customer_id, body, settings.default_region, user)


@router.get("/{customer_id}/profile")
async def profile(customer_id: int, uow: UoW, _: AgentUser, lang: Lang) -> CustomerProfile:
    """Record, value, recent contacts, open complaints, satisfaction; words in the reader's
    language (``?lang=``, ``Accept-Language``)."""
    async with uow:
        return await build_profile(uow, customer_id, lang=lang)


@router.get("/{customer_id}/interactions")
async def interactions(
    customer_id: int, uow: UoW, _: AgentUser, lang: Lang, limit: Limit = 20, offset: Offset = 0
) -> Page[InteractionOut]:
    async with uow:
        await get_customer(uow, customer_id)
        items, total = await customer_interactions(uow, customer_id, limit, offset, lang)
    return Page[InteractionOut](items=items, total=total, limit=limit, offset=offset)


@router.post("/{customer_id}/transactions", status_code=201)
async def add_transaction(
    customer_id: int,
    body: TransactionCreate,
    uow: UoW,
    source: PurchaseSource,
    valuation: ValuationDep,
) -> TransactionOut:
    """Record a purchase (admin, or a business system with ``X-Api-Key``); the customer's
    grade is recomputed at once."""
    async with uow:
        return await record_transaction(uow, customer_id, body, source, valuation)


@router.get("/{customer_id}/transactions")
async def transactions(
    customer_id: int, uow: UoW, _: AgentUser, limit: Limit = 100, offset: Offset = 0
) -> list[TransactionOut]:
    async with uow:
        return await list_transactions(uow, customer_id, limit, offset)


@router.get("/{customer_id}/value")
async def value(customer_id: int, uow: UoW, _: AgentUser, lang: Lang) -> ValueOut:
    """Grade and reason, RFM, 12-month value, CLV, lifecycle and churn risk; the reasons in
    the reader's language (``?lang=``, ``Accept-Language``), their codes in ``reasons``."""
    async with uow:
        await get_customer(uow, customer_id)
        found = await value_of(uow, customer_id, lang)
    if found is None:
        raise NotFound(f"customer {customer_id} is not graded yet; run `hotline regrade`")
    return found


@router.put("/{customer_id}/grade-override")
async def pin_grade(
    customer_id: int,
    body: OverrideIn,
    uow: UoW,
    user: AgentUser,
    valuation: ValuationDep,
    lang: Lang,
) -> ValueOut:
    """Pin a grade (the customer's account manager or a supervisor), until `expires_at`; with
    `version` (the customer's, as read), only if nobody changed the customer since (else 409)."""
    async with uow:
        return await set_override(uow, valuation, customer_id, body, user, lang)


@router.delete("/{customer_id}/grade-override")
async def unpin_grade(
    customer_id: int,
    uow: UoW,
    user: AgentUser,
    valuation: ValuationDep,
    lang: Lang,
    version: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
) -> ValueOut:
    """Remove the pinned grade; with ``?version=`` (the customer's, as read), only if nobody
    changed the customer since (else 409)."""
    async with uow:
        return await clear_override(uow, valuation, customer_id, user, lang, version)
