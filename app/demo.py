"""Demo data: queues, staff with skills, and a few thousand customers with purchase histories
and past contacts."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from app.auth.passwords import hash_password
from app.db.models import Agent, Customer, CustomerIdentity, Interaction, Queue, Transaction
from app.db.repositories.staff import StaffRepository
from app.db.types import utcnow
from app.db.uow import UnitOfWork

DEMO_PASSWORD = "hotline-demo"

QUEUES = [
    ("sales", "Sales / 销售", ["sales"], 20),
    ("service", "Customer service / 客户服务", ["service"], 30),
    ("complaints", "Complaints / 投诉", ["complaints"], 20),
    ("retention", "Retention / 客户挽留", ["retention"], 20),
    ("vip", "VIP line / 贵宾专线", ["vip"], 10),
]

# username, display name, role, skills, languages, team, senior
STAFF = [
    ("admin", "Admin 管理员", "admin", {}, ["zh", "en"], None, False),
    ("supervisor", "Sophie Supervisor 苏主管", "supervisor", {}, ["zh", "en"], "care", True),
    (
        "alice",
        "Alice Wang 王丽",
        "agent",
        {"vip": 5, "service": 5, "sales": 4},
        ["zh", "en"],
        "key-accounts",
        True,
    ),
    ("bob", "Bob Li 李博", "agent", {"complaints": 5, "service": 4}, ["zh"], "care", True),
    (
        "carol",
        "Carol Zhang 张卡",
        "agent",
        {"retention": 5, "sales": 3},
        ["zh", "en"],
        "care",
        False,
    ),
    ("dave", "Dave Chen 陈达", "agent", {"sales": 5, "service": 3}, ["zh"], "sales", False),
    (
        "erin",
        "Erin Liu 刘艾",
        "agent",
        {"service": 4, "complaints": 3},
        ["zh", "en"],
        "care",
        False,
    ),
    (
        "frank",
        "Frank Zhao 赵凡",
        "agent",
        {"service": 3, "sales": 3, "vip": 3},
        ["zh"],
        "key-accounts",
        False,
    ),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛"]
COMPANIES = [None, None, "华信科技", "东方贸易", "Acme Ltd", "远景物流", "Globex", "宏达制造"]

# Past contacts: a screen pop, a customer's page and the reports of earlier days have
# something to show, and the database has the history a centre in service has. None is
# recent (PAST_DAYS): the repeat-contact rule (48 h) waits for no demo agent.
PAST_DAYS = (3.0, 365.0)
PAST_QUEUES = {"service": 60, "sales": 25, "complaints": 10, "retention": 5}
DISPOSITIONS = {"resolved": 50, "information": 25, "sale": 10, "follow_up": 10, "complaint": 5}
NOTES = {
    "zh": ["查询订单状态", "咨询退货流程", "更新收货地址", "询问发票", "产品使用问题已解答"],
    "en": [
        "Order status checked",
        "Asked about returns",
        "Delivery address updated",
        "Invoice question",
        "Product question answered",
    ],
}


async def load_demo(
    uow_factory: Callable[[], UnitOfWork],
    customers: int = 3000,
    seed: int = 7,
    *,
    past_contacts: bool = True,
) -> list[tuple[str, str, str]]:
    """Idempotent: returns the logins; does nothing but report when demo staff exist.
    ``past_contacts``: customers have earlier, ended contacts (none in the last 3 days)."""
    rng = random.Random(seed)
    now = utcnow()
    logins = [(u, DEMO_PASSWORD, role) for u, _, role, *_ in STAFF]
    async with uow_factory() as uow:
        if await StaffRepository(uow.session).agent_by_username("admin"):
            return logins
        for name, display, skills, sla in QUEUES:
            uow.session.add(Queue(name=name, display_name=display, skills=skills, sla_seconds=sla))
        pw = hash_password(DEMO_PASSWORD)
        staff: dict[str, Agent] = {}
        for username, display, role, skills, langs, team, senior in STAFF:
            agent = Agent(
                username=username,
                display_name=display,
                password_hash=pw,
                role=role,
                skills=skills,
                languages=langs,
                team=team,
                senior=senior,
                chat_capacity=3,
                sip_uri=f"sip:{username}@127.0.0.1:5070",
            )
            uow.session.add(agent)
            staff[username] = agent
        await uow.session.flush()
        managers = [staff["alice"].id, staff["frank"].id]
        agents_by_queue = {
            queue: [agent.id for agent in staff.values() if queue in agent.skills]
            for queue in (PAST_QUEUES if past_contacts else ())
        }
        await _customers(uow, rng, customers, managers, agents_by_queue, now)
    return logins


async def _customers(
    uow: UnitOfWork,
    rng: random.Random,
    count: int,
    managers: list[int],
    agents_by_queue: dict[str, list[int]],
    now: datetime,
) -> None:
    rows, idents, txs, contacts = [], [], [], []
    for _ in range(count):
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        created = now - timedelta(days=rng.randint(1, 1500))
        rows.append(
            {
                "name": name,
                "language": "en" if rng.random() < 0.15 else "zh",
                "company": rng.choice(COMPANIES),
                "account_manager_id": rng.choice(managers) if rng.random() < 0.03 else None,
                "do_not_contact": rng.random() < 0.02,
                "consent_marketing": rng.random() < 0.6,
                "consent_recording": True,
                "is_prospect": False,
                "attributes": {},
                "created_at": created,
                "updated_at": created,
            }
        )
    session = uow.session
    # Ids come from the database so its sequence stays right on PostgreSQL.
    stmt = insert(Customer).returning(Customer.id, sort_by_parameter_order=True)
    ids = list((await session.execute(stmt, rows)).scalars())
    for n, (cid, row) in enumerate(zip(ids, rows, strict=True), 1):
        phone = f"+86138{n:08d}"
        idents.append({"customer_id": cid, "kind": "phone", "value": phone})
        if rng.random() < 0.7:
            idents.append(
                {"customer_id": cid, "kind": "email", "value": f"customer{n}@example.com"}
            )
        txs.extend(_history(rng, cid, row["created_at"], now))
        if agents_by_queue:
            contacts.extend(_past_contacts(rng, cid, row, phone, agents_by_queue, now))
    await session.execute(insert(CustomerIdentity), idents)
    for start in range(0, len(txs), 5000):
        await session.execute(insert(Transaction), txs[start : start + 5000])
    for start in range(0, len(contacts), 5000):
        await session.execute(insert(Interaction), contacts[start : start + 5000])


def _past_contacts(
    rng: random.Random,
    cid: int,
    customer: dict[str, Any],
    phone: str,
    agents_by_queue: dict[str, list[int]],
    now: datetime,
) -> list[dict[str, Any]]:
    """A customer's earlier calls and chats, answered and wrapped up: a third of customers
    have none, the others one to eight, some rated."""
    known_days = (now - customer["created_at"]).total_seconds() / 86400
    if rng.random() < 0.35 or known_days <= PAST_DAYS[0]:
        return []
    out = []
    for _ in range(min(8, 1 + int(rng.expovariate(0.8)))):
        queue = _pick(rng, PAST_QUEUES)
        created = now - timedelta(days=rng.uniform(PAST_DAYS[0], min(PAST_DAYS[1], known_days)))
        wait, talk, wrap = rng.uniform(3, 90), rng.uniform(45, 600), rng.uniform(5, 60)
        answered = created + timedelta(seconds=wait)
        ended = answered + timedelta(seconds=talk)
        chat = rng.random() < 0.2
        out.append(
            {
                "customer_id": cid,
                "channel": "chat" if chat else "voice",
                "direction": "inbound",
                "queue": queue,
                "agent_id": rng.choice(agents_by_queue[queue]),
                "status": "ended",
                "from_address": None if chat else phone,
                "created_at": created,
                "offered_at": answered - timedelta(seconds=min(wait, rng.uniform(1, 6))),
                "answered_at": answered,
                "ended_at": ended,
                "wrapped_up_at": ended + timedelta(seconds=wrap),
                "wait_seconds": round(wait, 1),
                "handle_seconds": round(talk + wrap, 1),
                "end_reason": "completed",
                "ended_by": "customer" if rng.random() < 0.6 else "agent",
                "disposition": _pick(rng, DISPOSITIONS),
                "notes": rng.choice(NOTES[customer["language"]]),
                "rating": rng.choice((3, 4, 4, 5, 5, 5)) if rng.random() < 0.4 else None,
                "language": customer["language"],
                "ivr_path": [],
                "attributes": {},
                "transcript": [],
                "routing_explanation": [],
            }
        )
    return out


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _history(rng: random.Random, cid: int, created: object, now: object) -> list[dict[str, object]]:
    """Pareto-sized spenders with different rhythms, so every grade and lifecycle stage shows."""
    style = rng.random()
    if style < 0.08:
        return []  # prospects
    scale = rng.paretovariate(1.2) * 200
    span_days = max(1, (now - created).days)  # type: ignore[operator]
    n = 1 if style < 0.15 else min(60, int(rng.paretovariate(1.0) * 3))
    out = []
    for _ in range(n):
        if style > 0.85:  # declining: bought mostly long ago
            age = rng.randint(min(span_days, 300), span_days) if span_days > 300 else span_days
        else:
            age = rng.randint(0, span_days)
        amount = Decimal(str(round(scale * rng.uniform(0.5, 1.5), 2)))
        margin = (amount * Decimal(str(round(rng.uniform(0.1, 0.4), 2)))).quantize(Decimal("0.01"))
        out.append(
            {
                "customer_id": cid,
                "amount": amount,
                "margin": margin if rng.random() < 0.9 else None,
                "occurred_at": now - timedelta(days=age, minutes=rng.randint(0, 1440)),  # type: ignore[operator]
                "created_at": now,
            }
        )
    return out
