from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.customers.grades import clear_override, set_override, value_of
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
from app.deps import AgentUser, SettingsDep, UoW, ValuationDep
from app.errors import NotFound
from app.i18n.http import Lang
from app.interactions.schemas import InteractionOut
from app.interactions.service import customer_interactions
from app.schemas import Page

router = APIRouter(prefix="/api/customers", tags=["customers"])
Lifecycle = Literal["exploration", "formation", "stable", "decline"]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0)]


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
    user: AgentUser,
    valuation: ValuationDep,
) -> TransactionOut:
    async with uow:
        return await record_transaction(uow, customer_id, body, user, valuation)


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
    """Pin a grade (the customer's account manager or a supervisor), until `expires_at`."""
    async with uow:
        return await set_override(uow, valuation, customer_id, body, user, lang)


@router.delete("/{customer_id}/grade-override")
async def unpin_grade(
    customer_id: int, uow: UoW, user: AgentUser, valuation: ValuationDep, lang: Lang
) -> ValueOut:
    async with uow:
        return await clear_override(uow, valuation, customer_id, user, lang)
