"""Reading grades: a customer's value, manual overrides, and the pyramid report."""

from __future__ import annotations

from datetime import datetime

from app.audit import record_audit
from app.auth.tokens import Principal
from app.customers.service import claim_customer
from app.customers.valuation import Valuation, regrade_customer
from app.customers.value_schemas import (
    Movement,
    OverrideIn,
    OverrideOut,
    PyramidReport,
    PyramidTier,
    ValueOut,
)
from app.db.models import CustomerValueRow, GradeOverrideRow
from app.db.repositories.values import ValueRepository
from app.db.uow import UnitOfWork
from app.errors import Forbidden, Invalid, NotFound
from app.i18n.render import VALUE_REASONS, render_value_reasons


def value_out(row: CustomerValueRow, language: str | None = "en") -> ValueOut:
    """A stored value with its reasons rendered in ``language`` (the messages in ``reasons``);
    ``None``: texts left empty, for the edge to fill in its reader's language."""
    fields = {name: getattr(row, name) for name in ValueOut.model_fields if hasattr(row, name)}
    if language is None:
        fields.update({f"{figure}_reason": "" for figure in VALUE_REASONS})
    else:
        fields.update(render_value_reasons(fields, language))
    fields["reasons"] = {f: getattr(row, f"{f}_reason") for f in VALUE_REASONS}
    return ValueOut.model_validate(fields)


async def value_of(uow: UnitOfWork, customer_id: int, lang: str = "en") -> ValueOut | None:
    repo = ValueRepository(uow.session)
    row = await repo.get(customer_id)
    if row is None:
        return None
    out = value_out(row, lang)
    override = await repo.override_row(customer_id)
    out.override = OverrideOut.model_validate(override) if override else None
    return out


async def _check_may_pin(
    uow: UnitOfWork, customer_id: int, actor: Principal, verb: str, version: int | None
) -> None:
    # The override is part of the customer's record: claimed first (version compare-and-set),
    # so concurrent pins run one after the other and the account manager read is current.
    customer = await claim_customer(uow, customer_id, version)
    if not actor.has_role("supervisor") and customer.account_manager_id != actor.agent_id:
        raise Forbidden(f"only the customer's account manager or a supervisor may {verb} a grade")


def _grades(valuation: Valuation) -> list[str]:
    return [*valuation.config.tier_names, valuation.config.pyramid.prospect_grade]


async def set_override(
    uow: UnitOfWork,
    valuation: Valuation,
    customer_id: int,
    data: OverrideIn,
    actor: Principal,
    lang: str = "en",
) -> ValueOut:
    await _check_may_pin(uow, customer_id, actor, "pin", data.version)
    if data.grade not in _grades(valuation):
        raise Invalid(f"unknown grade {data.grade!r}; one of {', '.join(_grades(valuation))}")
    now = valuation.clock()
    if data.expires_at is not None and data.expires_at <= now:
        raise Invalid("expires_at is in the past", field="expires_at")
    await ValueRepository(uow.session).set_override(
        GradeOverrideRow(
            customer_id=customer_id,
            grade=data.grade,
            reason=data.reason,
            set_by=actor.username,
            expires_at=data.expires_at,
            set_at=now,
        )
    )
    await record_audit(uow, actor, "grade.override", "customer", customer_id, {"grade": data.grade})
    await regrade_customer(uow, valuation, customer_id)
    return await _value_or_404(uow, customer_id, lang)


async def clear_override(
    uow: UnitOfWork,
    valuation: Valuation,
    customer_id: int,
    actor: Principal,
    lang: str = "en",
    version: int | None = None,
) -> ValueOut:
    await _check_may_pin(uow, customer_id, actor, "unpin", version)
    if not await ValueRepository(uow.session).clear_override(customer_id):
        raise NotFound(f"customer {customer_id} has no grade override")
    await record_audit(uow, actor, "grade.override.clear", "customer", customer_id)
    await regrade_customer(uow, valuation, customer_id)
    return await _value_or_404(uow, customer_id, lang)


async def _value_or_404(uow: UnitOfWork, customer_id: int, lang: str = "en") -> ValueOut:
    value = await value_of(uow, customer_id, lang)
    if value is None:
        raise NotFound(f"customer {customer_id} is not graded yet")
    return value


async def pyramid_report(
    uow: UnitOfWork, valuation: Valuation, since: datetime | None
) -> PyramidReport:
    repo = ValueRepository(uow.session)
    rows = {grade: (n, v) for grade, n, v in await repo.pyramid()}
    customers = sum(n for n, _ in rows.values()) or 1
    value = sum(v for _, v in rows.values()) or 1.0
    order = _grades(valuation)
    tiers = [
        PyramidTier(
            grade=g,
            customers=rows.get(g, (0, 0.0))[0],
            share_of_customers=round(rows.get(g, (0, 0.0))[0] / customers, 4),
            value_12m=round(rows.get(g, (0, 0.0))[1], 2),
            share_of_value=round(rows.get(g, (0, 0.0))[1] / value, 4),
        )
        for g in order + sorted(set(rows) - set(order))
    ]
    moves = await repo.movements_since(since) if since else []
    rank = {g: i for i, g in enumerate(order)}
    up = sum(n for a, b, n in moves if a in rank and b in rank and rank[b] < rank[a])
    down = sum(n for a, b, n in moves if a in rank and b in rank and rank[b] > rank[a])
    snapshot = await repo.latest_snapshot()
    return PyramidReport(
        computed_at=snapshot.computed_at if snapshot else None,
        tiers=tiers,
        since=since,
        movements=[Movement(from_grade=a, to_grade=b, customers=n) for a, b, n in moves],
        upgrades=up,
        downgrades=down,
    )
