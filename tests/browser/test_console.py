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

from app.contacts.commands import Arrive
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


# --- a whole shift: offers while reading, words, layout, search (issue 9) --------------------

# Text colour against the colours painted behind it (opacity included), for every visible
# text of the page; WCAG AA: 4.5:1, or 3:1 for large text. Disabled and pending controls are
# exempt (WCAG 1.4.3 excludes inactive components).
CONTRAST_JS = """
() => {
  const parse = (c) => {
    const m = c && c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat(1);
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const failures = [];
  for (const el of document.body.querySelectorAll("*")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    if (el.closest("[hidden], .sr-only, :disabled, .offer-pending, .offer-expired, option, dialog:not([open])")) continue;
    const st = getComputedStyle(el);
    if (st.visibility !== "visible" || parseFloat(st.opacity) === 0) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || r.bottom < 0 || r.top > innerHeight) continue;
    const chain = [];
    for (let e = el; e; e = e.parentElement) chain.unshift(e);
    let bg = [255, 255, 255, 1];
    let opacity = 1;
    for (const e of chain) {
      const s = getComputedStyle(e);
      const c = parse(s.backgroundColor);
      if (c && c[3] > 0) bg = over(c, bg);
      opacity *= parseFloat(s.opacity);
    }
    const fg = parse(st.color);
    const text = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
    const size = parseFloat(st.fontSize);
    const large = size >= 24 || (size >= 18.66 && parseInt(st.fontWeight) >= 700);
    const got = ratio(text, bg);
    if (got < (large ? 3 : 4.5)) {
      failures.push(`${got.toFixed(2)} ${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}"`);
    }
  }
  return failures;
}
"""


async def low_contrast(page: Page) -> list[str]:
    return await page.evaluate(CONTRAST_JS)


async def focused(page: Page) -> str:
    """The focused element as tag#id.class (the body when focus was lost)."""
    return await page.evaluate(
        "(() => { const e = document.activeElement;"
        " return `${e.tagName.toLowerCase()}#${e.id}.${e.className}`; })()"
    )


async def in_view(page: Page, selector: str) -> bool:
    """Wholly inside the viewport and not covered by anything else."""
    return await page.evaluate(
        """(sel) => {
          const el = document.querySelector(sel);
          if (!el) return false;
          const r = el.getBoundingClientRect();
          if (r.width < 1 || r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight) return false;
          const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          return !!hit && el.contains(hit);
        }""",
        selector,
    )


async def one_line(page: Page, selector: str) -> bool:
    """The element's text does not wrap."""
    return await page.evaluate(
        """(sel) => {
          const el = document.querySelector(sel);
          const range = document.createRange();
          range.selectNodeContents(el);
          const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
          return tops.size === 1;
        }""",
        selector,
    )


async def test_offer_stays_in_view_and_answerable_while_the_agent_reads_a_record(
    live: LiveServer, browser: Browser
) -> None:
    customer_id = await setup_center(live)
    page = await new_page(browser)
    await sign_in(page, live)
    await go_available(page)
    contact_id = await arrive(live)
    offer = page.locator(f".offer[data-contact-id='{contact_id}']")
    await expect(offer).to_be_visible()

    # "Full record" from the screen pop: the record opens, the offer keeps ringing on top.
    await page.locator("#customer-col .pf-open").click()
    await expect(page.locator(f".record[data-customer-id='{customer_id}']")).to_be_visible()
    await expect(page.locator("#view-work")).to_be_hidden()
    await expect(offer).to_be_visible()
    await expect(offer.locator(".cd-num")).not_to_have_text("0")
    assert await in_view(page, f".offer[data-contact-id='{contact_id}'] .offer-accept")
    # Scrolling the record does not push the offer away.
    await page.locator(".record-col").evaluate("el => el.scrollTo(0, el.scrollHeight)")
    assert await in_view(page, f".offer[data-contact-id='{contact_id}'] .offer-accept")
    await shot(page, "09-offer-over-record")

    # Answerable from the keyboard there: A accepts, and the call is what shows next.
    await page.keyboard.press("a")
    panel = page.locator(f".contact-panel[data-contact-id='{contact_id}']")
    await expect(panel).to_have_attribute("data-phase", "live")
    await expect(page.locator("#view-work")).to_be_visible()
    await expect(page.locator(".offer")).to_have_count(0)
    # Focus goes to the call's notes, not the page body.
    assert await focused(page) == f"textarea#notes-{contact_id}.notes"
    await panel.locator(".contact-end").click()
    form = panel.locator("form.wrapup")
    await form.locator("select[name=disposition]").select_option("resolved")
    await form.locator("button[type=submit]").click()
    await expect(panel.locator(".saved-card")).to_be_visible()
    assert (await focused(page)).startswith("button#.btn btn-primary saved-done")

    # An offer that arrives while the agent is typing a search: in view, Alt+A accepts.
    await page.keyboard.press("Enter")  # Done
    await page.click("#nav-customers")
    await page.fill("#search-q", "Li")
    second = await arrive(live)
    card = page.locator(f".offer[data-contact-id='{second}']")
    await expect(card).to_be_visible()
    assert await in_view(page, f".offer[data-contact-id='{second}'] .offer-accept")
    await page.keyboard.press("Alt+a")
    await expect(page.locator(f".contact-panel[data-contact-id='{second}']")).to_have_attribute(
        "data-phase", "live"
    )
    assert page.errors == []  # type: ignore[attr-defined]


async def test_chinese_console_shows_no_raw_code_or_english_server_sentence(
    live: LiveServer, browser: Browser
) -> None:
    await setup_center(live, name="李伟")
    page = await new_page(browser, locale="zh-CN")
    await sign_in(page, live)
    # Signed in: focus on the state buttons, not the page body.
    assert await focused(page) == "button#go-available.btn btn-sm st-btn st-btn-available"
    await go_available(page)
    contact_id = await arrive(live, intent="billing")
    offer = page.locator(f".offer[data-contact-id='{contact_id}']")
    # Codes by their display names from the server (config/names.yaml), not "service"/"vip".
    await expect(offer.locator(".offer-kind")).to_contain_text("客户服务")
    await expect(offer.locator(".kv")).to_contain_text("账务问题")
    await expect(offer.locator(".rule-line")).to_contain_text("规则: 贵宾客户")
    assert not re.search(r"\b(service|billing|vip)\b", await offer.inner_text())
    # Words the server sets by itself (a break for missed offers, a lost connection).
    names = await page.evaluate(
        "import('/web/console/store.js').then(({ catalog }) =>"
        " [catalog.breakReason('missed offers').label_zh,"
        "  catalog.breakReason('connection lost').label_zh])"
    )
    assert names == ["多次未接", "连接中断"]

    await page.keyboard.press("a")
    panel = page.locator(f".contact-panel[data-contact-id='{contact_id}']")
    await expect(panel).to_have_attribute("data-phase", "live")
    # The server refuses "offline" with a call in hand; its English sentence is not shown.
    await page.click("#go-offline")
    toast = page.locator(".toast-error")
    await expect(toast).to_contain_text("当前无法切换状态：请先完成进行中的服务和话后小结。")
    assert not re.search(r"[A-Za-z]{3,}", await toast.inner_text())
    await shot(page, "10-chinese-error")
    await toast.locator(".toast-close").click()

    # The customer hangs up: said as the record has it (ended by the customer).
    r = await live.request("POST", f"/api/contacts/{contact_id}/end", json={"by": "customer"})
    assert r.status_code == 200, r.text
    await expect(page.locator(".toast-info")).to_contain_text("客户已结束本次服务。")

    # An offer the customer abandons before it is answered: the agent is told it is recorded
    # as abandoned, which is what the record says.
    form = panel.locator("form.wrapup")
    await form.locator("select[name=disposition]").select_option("resolved")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#state-pill")).to_have_attribute("data-state", "available")
    second = await arrive(live)
    await expect(page.locator(f".offer[data-contact-id='{second}']")).to_be_visible()
    r = await live.request("POST", f"/api/contacts/{second}/end", json={"by": "customer"})
    assert r.status_code == 200, r.text
    await expect(page.locator(".toast-info").last).to_contain_text("记为客户放弃")
    interaction = (await live.request("GET", f"/api/interactions/{second}")).json()
    assert interaction["end_reason"] == "abandoned"
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
async def test_top_bar_at_125_percent_zoom_and_wrap_up_save_in_reach(
    live: LiveServer, browser: Browser, locale: str
) -> None:
    await setup_center(live)
    # 125 % zoom of a 1366×768 screen: 1093×614 CSS pixels, each 1.25 device pixels.
    context = await browser.new_context(
        viewport={"width": 1093, "height": 614}, device_scale_factor=1.25, locale=locale
    )
    context.set_default_timeout(TIMEOUT)
    page = await context.new_page()
    await sign_in(page, live)
    await expect(page.locator("#agent-name")).to_have_text("Alice")
    tag = locale[:2]
    await shot(page, f"11-topbar-125-{tag}")
    for selector in ("#logout", "#agent-name", "#go-available", "#go-offline", "#go-break"):
        assert await in_view(page, selector), selector
    assert await page.evaluate(
        "(() => { const e = document.getElementById('agent-name');"
        " return e.scrollWidth <= e.clientWidth; })()"
    ), "the agent's name is cut"
    for key in ("nav.workspace", "nav.customers"):  # "工作台" never breaks into 工作 / 台
        assert await one_line(page, f".views [data-i18n='{key}']"), key
    assert await page.evaluate("document.documentElement.scrollWidth") <= 1093
    # The console's narrowest layout (1024 px, e.g. 1280 px at 125 %), in a call with a break
    # asked for (the longest state text).
    await page.set_viewport_size({"width": 1024, "height": 614})
    await go_available(page)
    contact_id = await arrive(live)
    await page.locator(".offer-accept").click()
    panel = page.locator(f".contact-panel[data-contact-id='{contact_id}']")
    await expect(panel).to_have_attribute("data-phase", "live")
    await page.click("#go-break")
    await page.locator("#break-menu [data-reason=training]").click()
    await expect(page.locator("#state-text")).to_contain_text("培训" if tag == "zh" else "Training")
    await shot(page, f"11-topbar-1024-{tag}")
    for selector in ("#logout", "#agent-name", "#go-available"):
        assert await in_view(page, selector), selector
    for key in ("nav.workspace", "nav.customers"):
        assert await one_line(page, f".views [data-i18n='{key}']"), key

    # The wrap-up with complaint and callback open at 1366×768: Save is on screen.
    await page.set_viewport_size(VIEWPORT)
    await panel.locator(".contact-end").click()
    form = panel.locator("form.wrapup")
    await form.locator("input[name=complaint]").check()
    await form.locator("input[name=callback]").check()
    await form.locator("textarea[name=notes]").focus()
    submit = f".contact-panel[data-contact-id='{contact_id}'] form.wrapup button[type=submit]"
    assert await in_view(page, submit)
    await shot(page, f"12-wrap-up-long-{tag}")
    # Grey text and the green buttons are readable (WCAG AA), here and on the other screens.
    assert await low_contrast(page) == []
    await page.set_viewport_size({"width": 1920, "height": 1080})
    await shot(page, f"13-wrap-up-1920-{tag}")
    await context.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
async def test_contrast_of_every_screen(live: LiveServer, browser: Browser, locale: str) -> None:
    customer_id = await setup_center(live)
    page = await new_page(browser, locale=locale)
    await page.goto(f"{live.base_url}/console")
    await expect(page.locator("#login h1")).to_be_visible()
    assert await low_contrast(page) == []
    await sign_in(page, live)
    assert await low_contrast(page) == []
    await go_available(page)
    await arrive(live, ivr_path=["main", "2"], attributes={"account": "A-7"})
    await expect(page.locator(".offer")).to_be_visible()
    tag = locale[:2]
    for size in (VIEWPORT, {"width": 1920, "height": 1080}):
        await page.set_viewport_size(size)
        await shot(page, f"14-offer-{size['width']}-{tag}")
        assert await low_contrast(page) == []
    await page.set_viewport_size(VIEWPORT)
    await page.locator("#customer-col .pf-open").click()
    await expect(page.locator(f".record[data-customer-id='{customer_id}']")).to_be_visible()
    await shot(page, f"15-record-with-offer-{tag}")
    assert await low_contrast(page) == []


async def test_search_pages_through_every_match_and_a_miss_clears_the_record(
    live: LiveServer, browser: Browser
) -> None:
    first = await setup_center(live)
    for n in range(60):
        r = await live.request(
            "POST", "/api/customers", json={"name": f"Zhang {n:02d}", "phones": [f"+86139{n:08d}"]}
        )
        assert r.status_code == 201, r.text
    page = await new_page(browser)
    await sign_in(page, live)
    await page.click("#nav-customers")
    await page.fill("#search-q", "Li Wei")
    await page.keyboard.press("Enter")
    await expect(page.locator(f".record[data-customer-id='{first}']")).to_be_visible()

    await page.fill("#search-q", "Zhang")
    await page.keyboard.press("Enter")
    results = page.locator("#search-results .result")
    await expect(results).to_have_count(50)
    await expect(page.locator(".results-count")).to_have_text("50 of 60 shown")
    # The record of the earlier search is not an answer to this one.
    await expect(page.locator(".record")).to_have_count(0)
    await page.locator(".results-more").click()
    await expect(results).to_have_count(60)
    await expect(page.locator(".results-count")).to_have_text("60 found")
    await expect(page.locator(".results-more")).to_have_count(0)
    names = await results.locator(".result-name strong").all_inner_texts()
    assert sorted(names) == [f"Zhang {n:02d}" for n in range(60)]
    await results.nth(55).click()
    await expect(page.locator(".record .pf-name")).to_have_text(names[55])
    await shot(page, "16-search-paged")

    # No match: the previous customer is closed, not left open under "no customer matches".
    await page.fill("#search-q", "Nobody Matches This")
    await page.keyboard.press("Enter")
    await expect(page.locator("#search-results")).to_have_text("No customer matches.")
    await expect(page.locator(".record")).to_have_count(0)
    await expect(page.locator(".record-empty")).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
async def test_a_callback_offer_says_what_it_is_and_whom_to_call(
    live: LiveServer, browser: Browser, locale: str
) -> None:
    """A callback the server made at its time: the offer says so in the agent's words, with
    the number and the time promised, instead of the record's raw keys."""
    await setup_center(live)
    page = await new_page(browser, locale)
    await sign_in(page, live)
    await go_available(page)
    # As the server makes it at its time (app/contacts/scheduled_callbacks.py): outbound.
    contact, _ = await live.app.state.hotline.contacts.arrive(
        Arrive(
            channel="voice",
            queue="service",
            from_=PHONE,
            intent="callback",
            direction="outbound",
            attributes={
                "callback": "scheduled",
                "callback_of": "41",
                "callback_number": PHONE,
                "callback_due": "2026-11-30T07:30:00+00:00",
                "account": "A-7",
            },
        )
    )
    offer = page.locator(f".offer[data-contact-id='{contact.id}']")
    # An outbound call: not "Incoming call", in the title either.
    kind = "Callback to make" if locale == "en-US" else "待回电"
    await expect(offer.locator(".offer-kind-label")).to_have_text(kind)
    await expect(page).to_have_title(re.compile(re.escape(kind)))
    line = offer.locator(".callback-line")
    await expect(line).to_contain_text("Promised in wrap-up" if locale == "en-US" else "约定的回电")
    await expect(line).to_contain_text(PHONE)
    await expect(line.locator("time")).to_have_attribute("datetime", "2026-11-30T07:30:00+00:00")
    await expect(offer).to_contain_text("account: A-7")  # other attributes as they were
    await expect(offer).not_to_contain_text("callback_number")
    lang = "en" if locale == "en-US" else "zh"
    await shot(page, f"callback-offer-1366-{lang}")
    await page.set_viewport_size({"width": 1920, "height": 1080})
    await shot(page, f"callback-offer-1920-{lang}")
    assert page.errors == []  # type: ignore[attr-defined]
