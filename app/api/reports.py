from __future__ import annotations

from fastapi import APIRouter

from app.customers.grades import pyramid_report
from app.customers.value_schemas import PyramidReport
from app.deps import SupervisorUser, UoW, ValuationDep
from app.errors import Invalid
from app.schemas import IsoDateTime

router = APIRouter(prefix="/api/reports", tags=["reports"])


@router.get("/pyramid")
async def pyramid(
    uow: UoW, _: SupervisorUser, valuation: ValuationDep, since: IsoDateTime | None = None
) -> PyramidReport:
    """Per grade: customers and share of value; with `since`, the moves between grades."""
    if since is not None and since.tzinfo is None:
        raise Invalid("since needs a timezone, e.g. 2026-01-01T00:00:00Z", field="since")
    async with uow:
        return await pyramid_report(uow, valuation, since)
