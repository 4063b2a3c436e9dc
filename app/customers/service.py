"""Customer record use cases. Services flush; the entry point's unit of work commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.audit import record_audit
from app.auth.tokens import Principal
from app.customers.identity import normalise_email, normalise_identity, normalise_phone
from app.customers.schemas import CustomerCreate, CustomerOut, CustomerUpdate
from app.db.models import Customer, CustomerIdentity
from app.db.repositories.customers import CustomerRepository
from app.db.repositories.staff import StaffRepository
from app.db.uow import UnitOfWork
from app.errors import Conflict, Forbidden, Invalid, NotFound


def _normalised(phones: Sequence[str], emails: Sequence[str], region: str) -> dict[str, list[str]]:
    return {
        "phone": list(dict.fromkeys(normalise_phone(p, region) for p in phones)),
        "email": list(dict.fromkeys(normalise_email(e) for e in emails)),
    }


async def _check_identities_free(
    repo: CustomerRepository, wanted: dict[str, list[str]], customer_id: int | None
) -> None:
    for kind, values in wanted.items():
        owners = await repo.owners_of(kind, values)
        for value, owner in owners.items():
            if owner != customer_id:
                other = await repo.get(owner)
                name = other.name if other else "?"
                raise Conflict(
                    f"{kind} {value} already belongs to customer {owner} ({name})",
                    customer_id=owner,
                )


async def _check_manager(uow: UnitOfWork, agent_id: int | None) -> None:
    if agent_id is not None and await StaffRepository(uow.session).get_agent(agent_id) is None:
        raise Invalid(f"account manager {agent_id} does not exist", field="account_manager_id")


def _check_may_assign_manager(
    actor: Principal | None, current: int | None, wanted: int | None
) -> None:
    """Only supervisors and admins assign account managers: the account manager may pin the
    customer's grade, so an agent naming themselves would grant themselves that right.
    Sending the current value again (a whole form saved back) is no assignment."""
    if wanted != current and actor is not None and not actor.has_role("supervisor"):
        raise Forbidden(
            "only supervisors and admins assign account managers: account_manager_id "
            f"cannot be changed by an {actor.role}",
            field="account_manager_id",
        )


def to_out(customer: Customer, identities: Sequence[CustomerIdentity]) -> CustomerOut:
    return CustomerOut(
        **{k: getattr(customer, k) for k in CustomerOut.model_fields if hasattr(customer, k)},
        phones=[i.value for i in identities if i.kind == "phone"],
        emails=[i.value for i in identities if i.kind == "email"],
    )


async def load_out(repo: CustomerRepository, customer: Customer) -> CustomerOut:
    return to_out(customer, (await repo.identities([customer.id]))[customer.id])


async def create_customer(
    uow: UnitOfWork, data: CustomerCreate, region: str, actor: Principal | None
) -> CustomerOut:
    repo = CustomerRepository(uow.session)
    _check_may_assign_manager(actor, None, data.account_manager_id)
    wanted = _normalised(data.phones, data.emails, region)
    await _check_identities_free(repo, wanted, None)
    await _check_manager(uow, data.account_manager_id)
    fields: dict[str, Any] = data.model_dump(exclude={"phones", "emails"})
    customer = await repo.add(Customer(**fields))
    for kind, values in wanted.items():
        await repo.replace_identities(customer.id, kind, values)
    await record_audit(uow, actor, "customer.create", "customer", customer.id, {"name": data.name})
    return await load_out(repo, customer)


async def get_customer(uow: UnitOfWork, customer_id: int) -> Customer:
    customer = await CustomerRepository(uow.session).get(customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return customer


async def claim_customer(
    uow: UnitOfWork, customer_id: int, expected_version: int | None = None
) -> Customer:
    """Start a change of the customer's record: bump its version (compare-and-set against
    `expected_version` when the client named one) and read it as it is now. Concurrent
    changes of one customer run one after the other; a stale version is a 409."""
    repo = CustomerRepository(uow.session)
    claimed = await repo.claim(customer_id, expected_version)
    customer = await repo.get_fresh(customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    if not claimed:
        raise Conflict(
            f"customer {customer_id} was changed since version {expected_version} (it is at "
            f"version {customer.version}); read it again and reapply your change",
            version=customer.version,
        )
    return customer


async def update_customer(
    uow: UnitOfWork, customer_id: int, data: CustomerUpdate, region: str, actor: Principal | None
) -> CustomerOut:
    repo = CustomerRepository(uow.session)
    changes = data.model_dump(exclude_unset=True)
    expected = changes.pop("version", None)
    for key, value in changes.items():
        # Only these columns may be cleared; a null elsewhere would hit NOT NULL (or store a
        # JSON null) and surface as a 409 or a 500. An empty list clears phones or e-mails.
        if value is None and key not in ("company", "account_manager_id"):
            raise Invalid(f"{key} cannot be null", field=key)
    # First claim the record (compare-and-set on its version), then read it: a concurrent
    # update of this customer waits for this one or is refused, never interleaved with it
    # (two phone lists replaced at once would otherwise both land, merged).
    customer = await claim_customer(uow, customer_id, expected)
    if "account_manager_id" in changes:
        _check_may_assign_manager(actor, customer.account_manager_id, changes["account_manager_id"])
    replace = {k for k in ("phone", "email") if f"{k}s" in changes}
    wanted = _normalised(
        changes.pop("phones", None) or [], changes.pop("emails", None) or [], region
    )
    await _check_identities_free(repo, {k: wanted[k] for k in replace}, customer_id)
    if "account_manager_id" in changes:
        await _check_manager(uow, changes["account_manager_id"])
    for key, value in changes.items():
        setattr(customer, key, value)
    for kind in replace:
        await repo.replace_identities(customer_id, kind, wanted[kind])
    await uow.session.flush()
    await record_audit(
        uow, actor, "customer.update", "customer", customer_id, {"fields": sorted(changes)}
    )
    return await load_out(repo, customer)


async def search_customers(
    uow: UnitOfWork,
    *,
    phone: str | None,
    email: str | None,
    name: str | None,
    region: str,
    limit: int,
    offset: int,
    grade: str | None = None,
    lifecycle: str | None = None,
    churn_min: float | None = None,
    churn_max: float | None = None,
) -> tuple[list[CustomerOut], int]:
    repo = CustomerRepository(uow.session)
    ids: list[int] | None = None
    for kind, raw in (("phone", phone), ("email", email)):
        if raw:
            value = normalise_identity(kind, raw, region)
            found = await repo.find_by_identity(kind, value)
            hit = [found.id] if found else []
            ids = hit if ids is None else [i for i in ids if i in hit]
    customers, total = await repo.search(
        name=name,
        ids=ids,
        grade=grade,
        lifecycle=lifecycle,
        churn_min=churn_min,
        churn_max=churn_max,
        limit=limit,
        offset=offset,
    )
    idents = await repo.identities([c.id for c in customers])
    return [to_out(c, idents[c.id]) for c in customers], total
