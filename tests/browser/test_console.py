"""The agent console in headless Chromium against the real server (uvicorn, real websockets).

Screenshots at 1366×768 land in tests/browser/screenshots/ (gitignored) for a human look.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.conftest import PASSWORD, LiveServer

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
VIEWPORT = {"width": 1366, "height": 768}
PHONE = "+8613800000001"
TIMEOUT = 8000  # ms, for anything the server has to do first


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


async def new_page(browser: Browser, locale: str = "en-US") -> Page:
    context = await browser.new_context(viewport=VIEWPORT, locale=locale)
    context.set_default_timeout(TIMEOUT)
    page = await context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    return page


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(SHOTS / f"{name}.png"), animations="disabled")


async def setup_center(live: LiveServer, name: str = "Li Wei") -> int:
    """A service queue and a graded customer calling from PHONE; returns the customer id."""
    r = await live.request(
        "POST",
        "/api/queues",
        json={"name": "service", "display_name": "Service", "skills": ["service"]},
    )
    assert r.status_code == 201, r.text
    r = await live.request(
        "POST",
        "/api/customers",
        json={"name": name, "phones": [PHONE], "emails": ["li.wei@example.com"]},
    )
    assert r.status_code == 201, r.text
    customer_id = r.json()["id"]
    r = await live.request(
        "POST",
        f"/api/customers/{customer_id}/transactions",
        json={"amount": "1200.00", "margin": "300.00", "occurred_at": "2026-01-15T10:00:00Z"},
    )
    assert r.status_code == 201, r.text
    return customer_id


async def arrive(live: LiveServer, channel: str = "voice", **extra: Any) -> str:
    body = {"channel": channel, "from": PHONE, "queue": "service", **extra}
    r = await live.request("POST", "/api/contacts", json=body, as_="super")
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def sign_in(page: Page, live: LiveServer, username: str = "alice") -> None:
    await page.goto(f"{live.base_url}/console")
    await page.fill("#login-user", username)
    await page.fill("#login-pass", PASSWORD)
    await page.click("#login-submit")
    await expect(page.locator("#conn")).to_have_attribute("data-status", "open")


async def go_available(page: Page) -> None:
    await page.click("#go-available")
    await expect(page.locator("#state-pill")).to_have_attribute("data-state", "available")


async def drop_agent_sockets(live: LiveServer, agent_id: int) -> int:
    """Close the agent's sockets from the server side, as a network cut or a proxy would."""
    return live.app.state.hotline.hub.disconnect(agent_id)


async def test_offer_accept_end_wrap_up_with_complaint_then_find_it(
    live: LiveServer, browser: Browser
) -> None:
    customer_id = await setup_center(live)
    profile = (await live.request("GET", f"/api/customers/{customer_id}/profile")).json()
    grade = profile["value"]["grade"]
    page = await new_page(browser)
    await sign_in(page, live)
    # First connection of the day: signed in but not ready.
    await expect(page.locator("#state-pill")).to_have_attribute("data-state", "break")
    await go_available(page)

    contact_id = await arrive(
        live, ivr_path=["main", "2", "billing"], attributes={"account": "A-7"}, intent="billing"
    )
    offer = page.locator(f".offer[data-contact-id='{contact_id}']")
    await expect(offer).to_be_visible()
    await expect(offer.locator(".offer-name")).to_have_text("Li Wei")
    await expect(offer.locator(".grade")).to_have_attribute("data-grade", grade)
    await expect(offer.locator(".ivr-path .chip")).to_have_text(["main", "2", "billing"])
    await expect(offer).to_contain_text("account: A-7")
    await expect(offer.locator(".why")).not_to_be_empty()
    await expect(page.locator("#announcer")).to_contain_text("Li Wei")
    # Screen pop on the right: the 360 view with the grade and its reason.
    pop = page.locator("#customer-col .profile")
    await expect(pop.locator(".pf-name")).to_have_text("Li Wei")
    await expect(pop.locator(".pf-reason")).to_contain_text(grade)
    await expect(pop).to_contain_text("li.wei@example.com")
    assert await page.evaluate("window.__hotlineChimes || 0") >= 1
    await shot(page, "01-offer")

    await page.keyboard.press("a")  # accept from the keyboard
    panel = page.locator(f".contact-panel[data-contact-id='{contact_id}']")
    await expect(panel).to_have_attribute("data-phase", "live")
    await expect(page.locator("#state-pill")).to_have_attribute("data-state", "busy")
    await expect(page.locator(".offer")).to_have_count(0)
    await panel.locator(".notes").fill("Double charge on order 5521; refund promised.")
    await shot(page, "02-active-call")

    await panel.locator(".contact-end").click()
    await expect(panel).to_have_attribute("data-phase", "wrapup")
    await expect(page.locator("#state-pill")).to_have_attribute("data-state", "wrapup")
    await expect(page.locator("#state-timer")).to_contain_text("left")
    form = panel.locator("form.wrapup")
    await expect(form.locator("textarea[name=notes]")).to_have_value(
        "Double charge on order 5521; refund promised."
    )
    # Submitting without an outcome is stopped in the page.
    await form.locator("button[type=submit]").click()
    await expect(form.locator(".form-error")).to_contain_text("outcome")
    await form.locator("select[name=disposition]").select_option("complaint")
    await form.locator("input[name=complaint]").check()
    await form.locator("select[name=category]").select_option("billing")
    await form.locator(".sev-opt-high").click()
    await form.locator("textarea[name=description]").fill("Charged twice for order 5521")
    await shot(page, "03-wrap-up")
    await form.locator("select[name=disposition]").press("Control+Enter")

    saved = panel.locator(".saved-card")
    await expect(saved).to_be_visible()
    await expect(page.locator("#state-pill")).to_have_attribute("data-state", "available")
    assert await saved.get_attribute("data-interaction-id") == contact_id
    complaint_id = await saved.get_attribute("data-complaint-id")
    assert complaint_id

    # The record through the API ...
    interaction = (await live.request("GET", f"/api/interactions/{contact_id}")).json()
    assert interaction["disposition"] == "complaint"
    assert interaction["notes"] == "Double charge on order 5521; refund promised."
    assert interaction["ivr_path"] == ["main", "2", "billing"]
    r = await live.request("GET", "/api/complaints", params={"customer_id": customer_id})
    complaints = r.json()["items"]
    assert [c["id"] for c in complaints] == [int(complaint_id)]
    assert complaints[0]["category"] == "billing" and complaints[0]["severity"] == "high"
    assert complaints[0]["interaction_id"] == int(contact_id)

    # ... and through the console's own customer search.
    await page.keyboard.press("/")
    await expect(page.locator("#search-q")).to_be_focused()
    await page.fill("#search-q", "138 0000 0001")
    await expect(page.locator("#search-hint")).to_have_text("Searching by phone")
    await page.keyboard.press("Enter")
    record = page.locator(f".record[data-customer-id='{customer_id}']")
    await expect(record).to_be_visible()
    await expect(record.locator(f"[data-interaction-id='{contact_id}']")).to_contain_text(
        "Complaint logged"
    )
    item = record.locator(f"[data-complaint-id='{complaint_id}']")
    await expect(item).to_contain_text("Charged twice for order 5521")
    await expect(item).to_contain_text("due in")
    await shot(page, "04-customer-record")
    assert page.errors == []  # type: ignore[attr-defined]


async def test_reconnect_and_reload_restore_state_and_live_call(
    live: LiveServer, browser: Browser
) -> None:
    await setup_center(live)
    page = await new_page(browser)
    await sign_in(page, live)
    await go_available(page)
    contact_id = await arrive(live)
    await page.locator(".offer-accept").click()
    panel = page.locator(f".contact-panel[data-contact-id='{contact_id}']")
    await expect(panel).to_have_attribute("data-phase", "live")
    await panel.locator(".notes").fill("notes typed before the cut")

    # A server error comes back as a calm toast: no going offline with a call in hand.
    await page.click("#go-offline")
    toast = page.locator(".toast-error")
    await expect(toast).to_contain_text("Not possible right now")
    await toast.locator(".toast-close").click()

    alice = (await live.request("GET", "/api/auth/me", as_="alice")).json()["id"]
    assert await drop_agent_sockets(live, alice) == 1
    await expect(page.locator("#conn")).to_have_attribute("data-status", "waiting")
    await expect(page.locator("#conn-text")).to_contain_text("Reconnecting")
    await shot(page, "05-reconnecting")
    await expect(page.locator("#conn")).to_have_attribute("data-status", "open")
    await expect(page.locator("#state-pill")).to_have_attribute("data-state", "busy")
    await expect(panel).to_have_attribute("data-phase", "live")
    await expect(panel.locator(".notes")).to_have_value("notes typed before the cut")
    assert live.app.state.hotline.hub.connected(alice)

    # A reload of the tab: the token is in sessionStorage; the server re-sends the call.
    await page.reload()
    await expect(page.locator("#conn")).to_have_attribute("data-status", "open")
    await expect(panel).to_have_attribute("data-phase", "live")
    await expect(panel.locator(".notes")).to_have_value("notes typed before the cut")
    await expect(page.locator("#state-pill")).to_have_attribute("data-state", "busy")

    # The customer hangs up; the wrap-up survives a reload too (the server re-sends it).
    r = await live.request("POST", f"/api/contacts/{contact_id}/end", json={"by": "customer"})
    assert r.status_code == 200, r.text
    await expect(panel).to_have_attribute("data-phase", "wrapup")
    await expect(page.locator(".toast")).to_contain_text(["The customer ended the contact."])
    await page.reload()
    await expect(panel).to_have_attribute("data-phase", "wrapup")
    form = panel.locator("form.wrapup")
    await expect(form.locator("textarea[name=notes]")).to_have_value("notes typed before the cut")
    await form.locator("select[name=disposition]").select_option("resolved")
    await form.locator("input[name=callback]").check()
    await form.locator("button[type=submit]").click()
    await expect(panel.locator(".saved-card")).to_be_visible()
    await panel.locator(".saved-done").click()
    await expect(page.locator(".contact-panel")).to_have_count(0)
    await expect(page.locator("#state-pill")).to_have_attribute("data-state", "available")
    interaction = (await live.request("GET", f"/api/interactions/{contact_id}")).json()
    assert interaction["disposition"] == "resolved" and interaction["ended_by"] == "customer"
    assert interaction["attributes"]["_callback_at"]  # the default: within the next 90 minutes
    assert page.errors == []  # type: ignore[attr-defined]


async def test_chinese_ui_language_switch_and_reject_from_the_keyboard(
    live: LiveServer, browser: Browser
) -> None:
    await setup_center(live, name="李伟")
    page = await new_page(browser, locale="zh-CN")
    await page.goto(f"{live.base_url}/console")
    # The default comes from the browser's language.
    await expect(page.locator("#login h1")).to_have_text("登录坐席工作台")
    await page.fill("#login-user", "alice")
    await page.fill("#login-pass", "wrong-password")
    await page.click("#login-submit")
    await expect(page.locator("#login-error")).to_have_text("用户名或密码错误。")
    await sign_in(page, live)
    await expect(page.locator("#go-available")).to_have_text("示闲")
    await expect(page.locator("#state-text")).to_have_text("小休 · 未就绪")

    # Switch to English; the choice is remembered over a reload.
    await page.locator(".topbar .lang-toggle").click()
    await expect(page.locator("#go-available")).to_have_text("Available")
    await expect(page.locator("#state-text")).to_have_text("Break · Not ready")
    await page.reload()
    await expect(page.locator("#nav-work")).to_have_text("Workspace")
    await page.locator(".topbar .lang-toggle").click()
    await expect(page.locator("#nav-work")).to_have_text("工作台")

    # A break with a reason from hello.break_reasons, then available.
    await page.click("#go-break")
    await page.locator("#break-menu [data-reason=lunch]").click()
    await expect(page.locator("#state-text")).to_have_text("小休 · 午餐")
    await go_available(page)
    await expect(page.locator("#state-text")).to_have_text("空闲")

    contact_id = await arrive(live, ivr_path=["1", "3"])
    offer = page.locator(f".offer[data-contact-id='{contact_id}']")
    await expect(offer.locator(".offer-kind-label")).to_have_text("来电")
    await expect(offer.locator(".offer-accept")).to_contain_text("接受")
    await expect(offer.locator(".offer-name")).to_have_text("李伟")
    await expect(page.locator("#customer-col")).to_contain_text("近期服务记录")
    # The server's sentences in Chinese: the grade reason and the routing explanation.
    why = offer.locator(".why")
    await expect(offer.locator(".offer-grade-reason")).to_contain_text("贵宾：近 12 个月毛利 ¥300")
    await expect(why).to_contain_text("贵宾客户：分配给 Alice")
    await expect(page.locator("#customer-col .pf-reason")).to_contain_text("贵宾")
    # A language switch redraws them, and back.
    await page.locator(".topbar .lang-toggle").click()
    await expect(why).to_contain_text("vip customer: offered to Alice")
    await expect(offer.locator(".offer-grade-reason")).to_contain_text("vip: 12-month margin")
    await page.locator(".topbar .lang-toggle").click()
    await expect(why).to_contain_text("贵宾客户")
    await shot(page, "06-chinese-offer")

    await page.keyboard.press("r")  # reject: pick a reason, confirm with Enter
    reasons = offer.locator(".reject-panel")
    await expect(reasons).to_be_visible()
    await expect(reasons.locator("legend")).to_have_text("拒绝原因")
    await shot(page, "07-chinese-reject")
    await page.keyboard.press("ArrowRight")  # second reason: language
    await page.keyboard.press("Enter")
    await expect(offer).to_have_count(0)
    interaction = (await live.request("GET", f"/api/interactions/{contact_id}")).json()
    cancelled = [e for e in interaction["routing_explanation"] if e["event"] == "offer_cancelled"]
    assert cancelled and cancelled[0]["cause"] == "rejected"
    assert cancelled[0]["reason_message"]["code"] == "cancel.rejected"  # stored as a code
    assert cancelled[0]["reason"] == "declined (language I don't speak)"  # rendered for the reader
    await page.click("#nav-customers")
    await page.fill("#search-q", "李")
    await page.keyboard.press("Enter")
    await expect(page.locator(".record .pf-name")).to_have_text("李伟")
    await expect(page.locator(".record")).to_contain_text(re.compile("服务记录"))
    await shot(page, "08-chinese-record")
    assert page.errors == []  # type: ignore[attr-defined]
