"""The supervisor wallboard in headless Chromium against the real server (uvicorn, real
websockets): a supervisor lands on it after signing in, it follows the floor live, and it
reads in English and Chinese at 1366×768 and 1920×1080.

Screenshots land in tests/browser/screenshots/ (gitignored) for a human look.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlalchemy import select

from app.db.models import Agent, CustomerIdentity, Interaction
from app.main import create_app
from app.supervisor.feed import day_start
from config.settings import Settings
from tests.agent_client import AgentClient
from tests.conftest import PASSWORD, LiveServer, add_agent, start_live_server
from tests.helpers import cheap_argon2  # noqa: F401  (autouse fixture)

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).parent / "screenshots"
LAPTOP = {"width": 1366, "height": 768}
WALL = {"width": 1920, "height": 1080}
TIMEOUT = 8000  # ms


@pytest.fixture
def db_url(request: pytest.FixtureRequest) -> str:
    """Browser tests run on SQLite only: the page does not care which database is behind."""
    return request.getfixturevalue("sqlite_url")


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        await b.close()


async def new_page(browser: Browser, viewport: dict[str, int], locale: str = "en-US") -> Page:
    context = await browser.new_context(viewport=viewport, locale=locale)
    context.set_default_timeout(TIMEOUT)
    page = await context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    return page


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), animations="disabled")


async def sign_in(page: Page, live: LiveServer, username: str, at: str = "/console") -> None:
    await page.goto(f"{live.base_url}{at}")
    await page.fill("#login-user", username)
    await page.fill("#login-pass", PASSWORD)
    await page.click("#login-submit")


async def _customer(live: LiveServer, name: str, phone: str, grade: str | None) -> int:
    r = await live.request("POST", "/api/customers", json={"name": name, "phones": [phone]})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    # Purchases give the customer a lifetime value, which value at risk adds up.
    r = await live.request(
        "POST",
        f"/api/customers/{cid}/transactions",
        json={"amount": "58000.00", "margin": "21000.00", "occurred_at": "2026-06-15T10:00:00Z"},
    )
    assert r.status_code == 201, r.text
    if grade:
        r = await live.request(
            "PUT",
            f"/api/customers/{cid}/grade-override",
            json={"grade": grade, "reason": "test"},
        )
        assert r.status_code == 200, r.text
    return cid


async def arrive(live: LiveServer, phone: str, queue: str = "service") -> str:
    body = {"channel": "voice", "from": phone, "queue": queue}
    r = await live.request("POST", "/api/contacts", json=body, as_="super")
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def floor(live: LiveServer) -> dict[str, Any]:
    """Queues, agents on the floor and customers calling: a small contact centre."""
    for name, display, skills, sla in (
        ("service", "Service", ["service"], 30),
        ("billing", "Billing", ["billing"], 60),
        ("support", "Support", ["support"], 90),
    ):
        body = {"name": name, "display_name": display, "skills": skills, "sla_seconds": sla}
        r = await live.request("POST", "/api/queues", json=body)
        assert r.status_code == 201, r.text
    await add_agent(live.uow, "bob", "agent", skills={"billing": 3}, display_name="Bob Chen")
    await add_agent(
        live.uow, "carol", "agent", skills={"service": 2, "support": 2}, display_name="Carol Liu"
    )
    await add_agent(live.uow, "dave", "agent", skills={"support": 3}, display_name="Dave Zhang")
    people = {
        "vip": ("Wang Lei", "+8613800000101", "vip"),
        "key": ("Zhao Min", "+8613800000102", "key"),
        "ordinary": ("Sun Yu", "+8613800000103", "ordinary"),
        "gone": ("Qian Hao", "+8613800000104", "vip"),
        "gone2": ("Zhou Jie", "+8613800000105", "small"),
    }
    for name, phone, grade in people.values():
        await _customer(live, name, phone, grade)
    return {k: v[1] for k, v in people.items()}


async def _history(live: LiveServer) -> int:
    """Today so far, written to the record as finished contacts (the feed reads them at
    start-up): a quiet morning, a busy spell where waits pile up and callers give up, and a
    recovery, in service and billing. Returns how many were abandoned."""
    rng = random.Random(11)
    now = time.time()
    start = max(day_start(now, live.app.state.hotline.supervisor.config), now - 8 * 3600)
    async with live.uow() as uow:
        # Not the two who give up live in the test: their rows there stay their own.
        rows = await uow.session.execute(
            select(CustomerIdentity.value, CustomerIdentity.customer_id).where(
                CustomerIdentity.value.in_(["+8613800000101", "+8613800000102", "+8613800000103"])
            )
        )
        by_phone = {r[0]: r[1] for r in rows}
        customers = sorted(by_phone.values())
        # Bob's billing calls were the VIP's only: a VIP goes by the vip rule, whereas the
        # ordinary customer calling again would be offered to their last agent first
        # (repeat-contact), and whether that was Bob hung on the time of day the test ran.
        billing_customers = [by_phone["+8613800000101"]]
        agents = {r[0]: r[1] for r in await uow.session.execute(select(Agent.username, Agent.id))}
    gone = 0
    span = max(600.0, now - 1200 - start)
    async with live.uow() as uow:
        t = start
        while t < start + span:
            share = (t - start) / span
            busy = 0.45 < share < 0.7  # the busy spell: more callers, longer waits
            t += rng.uniform(15, 45) if busy else rng.uniform(50, 130)
            for queue, agent in (("service", "carol"), ("billing", "bob")):
                if queue == "billing" and rng.random() < 0.5:
                    continue
                wait = rng.uniform(10, 200) if busy else rng.uniform(2, 28)
                answered = not (busy and rng.random() < 0.25) and rng.random() > 0.03
                gone += not answered
                created = datetime.fromtimestamp(t, UTC)
                done = datetime.fromtimestamp(t + wait, UTC)
                talk = rng.uniform(120, 420)
                uow.session.add(
                    Interaction(
                        customer_id=rng.choice(billing_customers if agent == "bob" else customers),
                        channel="voice",
                        queue=queue,
                        status="ended",
                        created_at=created,
                        wait_seconds=wait,
                        answered_at=done if answered else None,
                        agent_id=agents[agent] if answered else None,
                        ended_at=datetime.fromtimestamp(t + wait + talk, UTC) if answered else done,
                        handle_seconds=talk if answered else None,
                        end_reason="completed" if answered else "abandoned",
                    )
                )
    return gone


@pytest.fixture
async def seasoned(live_settings: Settings) -> AsyncIterator[tuple[LiveServer, dict[str, str]]]:
    """A server whose day has a history: the floor set up and today's earlier contacts put
    on the record by a first server, then a second one started on it (as after a restart)."""
    app = create_app(live_settings, migrate=False)
    server, task, base_url = await start_live_server(app)
    try:
        factory = app.state.hotline.uow
        await add_agent(factory, "admin", "admin")
        await add_agent(factory, "super", "supervisor")
        await add_agent(factory, "alice", "agent", skills={"service": 4})
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            first = LiveServer(client, app, base_url)
            phones = await floor(first)
            await _history(first)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
    again = create_app(live_settings, migrate=False)
    server, task, base_url = await start_live_server(again)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            yield LiveServer(client, again, base_url), phones
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def test_a_supervisor_lands_on_the_wallboard_and_sees_the_floor_live(
    seasoned: tuple[LiveServer, dict[str, str]], browser: Browser
) -> None:
    live, phones = seasoned
    page = await new_page(browser, LAPTOP)
    # Signing in on the console takes a supervisor to the wallboard.
    await sign_in(page, live, "super")
    await page.wait_for_url("**/wallboard")
    await expect(page.locator("#conn")).to_have_attribute("data-status", "open")
    await expect(page.locator(".qt")).to_have_count(3)
    await expect(page.locator("#waiting-empty")).to_be_visible()

    alice = await AgentClient(live, "alice").connect()
    await alice.available()
    bob = await AgentClient(live, "bob").connect()
    await bob.available()
    carol = await AgentClient(live, "carol").connect()
    await carol.send("state.set", state="break", reason="lunch")
    await carol.expect("state", state="break", reason="lunch")
    dave = await AgentClient(live, "dave").connect()
    await dave.send("state.set", state="offline")
    await expect(page.locator(".ag", has_text="Carol Liu")).to_contain_text("Break · Lunch")
    await expect(page.locator(".ag", has_text="Alice")).to_have_attribute("data-state", "available")

    # A VIP calls: offered to Alice; the wallboard shows who waits, their grade and rule.
    vip = await arrive(live, phones["vip"])
    row = page.locator("#waiting tr", has_text="Wang Lei")
    await expect(row).to_contain_text("VIP")
    await expect(row).to_contain_text("ringing Alice")
    await alice.expect("offer")
    await alice.send("offer.accept", contact_id=vip)
    await alice.expect("contact.assigned")
    await expect(page.locator(".ag", has_text="Alice")).to_contain_text("Wang Lei")
    await expect(page.locator(".ag", has_text="Alice")).to_have_attribute("data-state", "busy")
    await expect(row).to_have_count(0)

    # Nobody free for service: a key and an ordinary customer wait; a VIP and a small
    # customer give up.
    await arrive(live, phones["key"])
    await arrive(live, phones["ordinary"])
    for who in ("gone", "gone2"):
        cid = await arrive(live, phones[who])
        r = await live.request(
            "POST", f"/api/contacts/{cid}/end", json={"by": "customer"}, as_="super"
        )
        assert r.status_code == 200, r.text
    billing = await arrive(live, phones["ordinary"], queue="billing")
    await bob.expect("offer")
    await bob.send("offer.accept", contact_id=billing)
    await bob.expect("contact.assigned")

    await expect(page.locator("#waiting tr")).to_have_count(2)
    await expect(page.locator("#abandoned tr", has_text="Zhou Jie")).to_have_count(1)
    gone = page.locator("#abandoned tr", has_text="Qian Hao").first  # the latest first
    await expect(gone).to_contain_text("+8613800000104")
    risk = page.locator("#risk")
    await expect(risk).to_contain_text(re.compile(r"1 · ¥[1-9]"))  # the key customer waits
    service = page.locator(".qt[data-queue=service]")
    await expect(service.locator(".qt-waiting .qt-big")).to_have_text("2")
    await expect(service.locator(".qt-today")).to_contain_text("Abandoned")
    await expect(page.locator("#totals")).to_contain_text("Abandoned today")

    # The day so far, charted per queue: the most waiting at once each quarter hour, and the
    # service level of each grade against its own target; the agents needed now (Erlang C
    # on the last half hour) beside the agents logged in (Alice busy, Carol on a break).
    chart = service.locator(".qt-chart")
    await expect(chart.locator("rect.qt-chart-bar").first).to_be_attached()
    assert await chart.locator("path.qt-chart-line").count() >= 2  # several grades
    await expect(chart).to_contain_text("VIP")
    await expect(service.locator(".qt-staff")).to_contain_text(re.compile(r"^.*\d+ / 2$"))

    # One click calls the VIP who gave up back: a callback waits in the queue, marked so,
    # and her row says it is waiting.
    await gone.get_by_role("button", name=re.compile("Call back")).click()
    await expect(page.locator(".toast", has_text="Callback for Qian Hao queued.")).to_be_visible()
    callback = page.locator("#waiting tr", has_text="Qian Hao")
    await expect(callback).to_contain_text("callback")
    await expect(gone).to_contain_text("callback waiting")
    await expect(page.locator("#waiting tr")).to_have_count(3)

    # Updates of a queue or an agent come at most once a second: the last one follows.
    await expect(page.locator(".ag", has_text="Bob Chen")).to_have_attribute("data-state", "busy")
    await shot(page, "wallboard-1366-en")
    await page.set_viewport_size(WALL)
    await shot(page, "wallboard-1920-en")
    overflow = await page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert overflow[0] <= WALL["width"] and overflow[1] <= WALL["height"], overflow

    # In Chinese: the page's words and the server's (the rule's step) change together.
    await page.locator(".wb-top .lang-toggle").click()
    await expect(page.locator(".wb-title")).to_have_text("监控大屏")
    await expect(page.locator("#waiting tr").first).to_contain_text(re.compile(r"第 \d/\d 步"))
    await expect(page.locator(".ag", has_text="Carol Liu")).to_contain_text("午餐")
    await shot(page, "wallboard-1920-zh")
    await page.set_viewport_size(LAPTOP)
    await shot(page, "wallboard-1366-zh")

    # Nothing spills off the laptop screen: the page does not scroll sideways or down.
    overflow = await page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert overflow[0] <= LAPTOP["width"] and overflow[1] <= LAPTOP["height"], overflow
    assert page.errors == []  # type: ignore[attr-defined]
    for agent in (alice, bob, carol, dave):
        await agent.close()


async def test_a_supervisor_acts_from_the_wallboard(live: LiveServer, browser: Browser) -> None:
    phones = await floor(live)
    page = await new_page(browser, LAPTOP)
    await sign_in(page, live, "super", at="/wallboard")
    await expect(page.locator("#conn")).to_have_attribute("data-status", "open")
    carol = await AgentClient(live, "carol").connect()  # signed in, not ready
    await arrive(live, phones["ordinary"])
    await arrive(live, phones["key"])
    rows = page.locator("#waiting tr")
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_contain_text("Sun Yu")  # the longest waiting first

    # Raise the key customer's priority: the server says so, the routing log too.
    await rows.nth(1).get_by_role("button", name=re.compile("Raise priority")).click()
    await expect(page.locator(".toast")).to_contain_text("Zhao Min moved up the queue.")

    # Make Carol available from her card: she is offered the raised contact first.
    await page.locator(".ag", has_text="Carol Liu").get_by_role("button").click()
    await page.get_by_role("menuitem", name="Available").click()
    offer = await carol.expect("offer")
    assert offer["customer"]["customer"]["name"] == "Zhao Min"
    ringing = page.locator("#waiting tr", has_text="Zhao Min")
    await expect(ringing).to_contain_text("ringing Carol Liu")

    # Withdraw it: Carol's card clears, the contact waits again, nobody is charged.
    await ringing.get_by_role("button", name=re.compile("Withdraw the offer")).click()
    cancelled = await carol.expect("offer.cancelled")
    assert cancelled["cause"] == "withdrawn"
    await expect(ringing).not_to_contain_text("ringing")
    # She is skipped for that one for a while, not for the other waiting contact.
    second = await carol.expect("offer")
    assert second["customer"]["customer"]["name"] == "Sun Yu"
    await expect(page.locator("#waiting tr", has_text="Sun Yu")).to_contain_text("ringing Carol")
    # A break from the menu, with a reason from console.yaml: her open offer goes back.
    await page.locator(".ag", has_text="Carol Liu").get_by_role("button").click()
    await page.get_by_role("menuitem", name="Break · Meeting").click()
    await carol.expect("state", state="break", reason="meeting")
    await expect(page.locator(".ag", has_text="Carol Liu")).to_contain_text("Break · Meeting")

    # Move Sun Yu to billing (nobody there), then offer Zhao Min to Carol by name: she is
    # available but skipped for Zhao Min since the withdrawal; the supervisor's word wins.
    await (
        page.locator("#waiting tr", has_text="Sun Yu")
        .get_by_role("button", name=re.compile("move to another queue"))
        .click()
    )
    await page.get_by_role("menuitem", name="Billing").click()
    await expect(page.locator(".toast", has_text="Sun Yu moved to Billing.")).to_be_visible()
    await expect(page.locator("#waiting tr", has_text="Sun Yu")).to_contain_text("Billing")
    await page.locator(".ag", has_text="Carol Liu").get_by_role("button").click()
    await page.get_by_role("menuitem", name="Available").click()
    await carol.expect("state", state="available")
    await expect(page.locator(".ag", has_text="Carol Liu")).to_have_attribute(
        "data-state", "available"
    )
    await (
        page.locator("#waiting tr", has_text="Zhao Min")
        .get_by_role("button", name=re.compile("move to another queue"))
        .click()
    )
    await shot(page, "wallboard-menu-1366-en")
    await page.get_by_role("menuitem", name="Carol Liu").click()
    directed = await carol.expect("offer")
    assert directed["customer"]["customer"]["name"] == "Zhao Min"
    await expect(page.locator("#waiting tr", has_text="Zhao Min")).to_contain_text(
        "ringing Carol Liu"
    )
    await shot(page, "wallboard-actions-1366-en")
    assert page.errors == []  # type: ignore[attr-defined]
    await carol.close()


async def test_an_agent_signing_in_on_the_wallboard_goes_to_the_console(
    live: LiveServer, browser: Browser
) -> None:
    page = await new_page(browser, LAPTOP)
    await sign_in(page, live, "alice", at="/wallboard")
    await page.wait_for_url("**/console")
    await expect(page.locator("#go-available")).to_be_visible()
    # And a reconnecting wallboard keeps its picture: the feed resumes from its last seq.
    admin = await new_page(browser, LAPTOP)
    await sign_in(admin, live, "admin", at="/wallboard")
    await expect(admin.locator("#conn")).to_have_attribute("data-status", "open")
    live.app.state.hotline.supervisor.disconnect_all(1012, "restart")
    await expect(admin.locator("#conn")).to_have_attribute("data-status", "open", timeout=10000)
    assert page.errors == [] and admin.errors == []  # type: ignore[attr-defined]
