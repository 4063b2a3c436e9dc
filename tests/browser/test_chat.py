"""The customer chat page (and its embed) in headless Chromium against the real server, with
an agent on the other side — a scripted socket, then the real console side by side.

Screenshots (1366×768, 1920×1080, a phone; zh and en) land in tests/browser/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from app.db.models import Interaction
from tests.agent_client import AgentClient
from tests.browser.test_console import (
    CHROMIUM,
    SHOTS,
    TIMEOUT,
    browser,  # noqa: F401  (a fixture)
    go_available,
    sign_in,
)
from tests.conftest import LiveServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]

PHONE_VIEW = {"width": 390, "height": 844}


@pytest.fixture
def db_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url")


async def open_page(chromium: Browser, viewport: dict[str, int], locale: str) -> Page:
    context = await chromium.new_context(viewport=viewport, locale=locale)
    context.set_default_timeout(TIMEOUT)
    page = await context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    return page


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), animations="disabled")


async def make_queue(live: LiveServer) -> None:
    r = await live.request(
        "POST",
        "/api/queues",
        json={"name": "service", "display_name": "Service", "skills": ["service"]},
    )
    assert r.status_code == 201, r.text


async def start_chat(page: Page, live: LiveServer, lang: str, reach: str) -> None:
    await page.goto(f"{live.base_url}/chat?lang={lang}")
    await expect(page.locator("#topics input")).to_have_count(3)
    await page.fill("#f-name", "王芳" if lang == "zh" else "Emma Clark")
    await page.fill("#f-reach", reach)
    await page.click("label[for=topic-billing]")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_customer_page_against_a_scripted_agent(
    live: LiveServer,
    browser: Browser,  # noqa: F811
    lang: str,
) -> None:
    await make_queue(live)
    page = await open_page(browser, PHONE_VIEW, "zh-CN" if lang == "zh" else "en-US")
    await start_chat(page, live, lang, f"emma.{lang}@example.com")
    await shot(page, f"chat-{lang}-phone-form")
    await page.click("#start")
    await expect(page.locator("#wait")).to_contain_text(
        "排在第 1 位" if lang == "zh" else "number 1 in line"
    )
    await page.fill("#text", "我的账单有问题" if lang == "zh" else "My bill looks wrong")
    await page.press("#text", "Enter")  # sent while waiting: the agent reads it on answering

    alice = await AgentClient(live, "alice").connect()
    # The chat waits: she is offered it at once (her state goes straight to "offered").
    await alice.send("state.set", state="available")
    offer = await alice.expect("offer")
    cid = offer["contact"]["id"]
    await alice.send("offer.accept", contact_id=cid)
    await alice.expect("contact.assigned")
    await expect(page.locator("#head-sub")).to_contain_text("Alice")
    await alice.send("chat.history", contact_id=cid, after=0)
    history = await alice.expect("chat.history")
    assert len(history["messages"]) == 1
    await alice.send("chat.read", contact_id=cid, seq=1)
    read = "已读" if lang == "zh" else "Read"
    await expect(page.locator(".msg-me .msg-state").first).to_have_text(read)
    await alice.send("chat.typing", contact_id=cid)
    await expect(page.locator("#typing")).to_be_visible()
    reply = "我帮您查询一下，请稍等。" if lang == "zh" else "Let me check that for you."
    await alice.send("chat.send", contact_id=cid, text=reply, client_id="a-1")
    await expect(page.locator(".msg-them .msg-bubble")).to_have_text(reply)
    await shot(page, f"chat-{lang}-phone-conversation")

    # The page's network drops: it resumes and shows nothing twice.
    await page.context.set_offline(True)
    await page.evaluate("() => window.dispatchEvent(new Event('offline'))")
    live.app.state.hotline.chat.rooms.close_all(1012, "test: network cut")
    await alice.send("chat.send", contact_id=cid, text="still there?", client_id="a-2")
    await page.context.set_offline(False)
    await expect(page.locator(".msg-them .msg-bubble")).to_have_count(2, timeout=15000)
    await expect(page.locator(".msg-bubble")).to_have_count(3)

    await alice.send("contact.end", contact_id=cid)
    await expect(page.locator("#rate-card")).to_be_visible()
    await page.click("#stars .star >> nth=3")
    await page.fill("#r-comment", "很好" if lang == "zh" else "Very helpful")
    await page.click("#rate-send")
    await expect(page.locator("#rate-card h2")).to_have_text(
        "感谢您的评价！" if lang == "zh" else "Thank you for your rating!"
    )
    await shot(page, f"chat-{lang}-phone-rated")
    r = await live.request("GET", f"/api/interactions/{cid}", as_="super")
    assert r.json()["rating"] == 4
    assert page.errors == []  # type: ignore[attr-defined]
    await alice.close()
    await page.context.close()


async def test_embed_snippet_opens_the_chat_in_a_panel(
    live: LiveServer,
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    await make_queue(live)
    host = tmp_path / "shop.html"
    host.write_text(
        "<!doctype html><html><head><meta charset='utf-8'></head>"
        "<body style='font:16px system-ui;margin:40px'>"
        "<h1>Example shop</h1><p>Our products…</p>"
        f"<script src='{live.base_url}/chat/embed.js' data-lang='zh' async></script>"
        "</body></html>",
        encoding="utf-8",
    )
    # The shop is another site (another origin) that frames the chat.
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    shop = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=shop.serve_forever, daemon=True).start()
    page = await open_page(browser, {"width": 1366, "height": 768}, "zh-CN")
    await page.goto(f"http://localhost:{shop.server_address[1]}/shop.html")
    await page.click("#hotline-chat-button")
    frame = page.frame_locator("#hotline-chat-panel iframe")
    await expect(frame.locator("#start")).to_have_text("开始咨询")
    # A whole chat runs in the frame, storage blocked or not (a third-party document).
    await frame.locator("#f-reach").fill("shop.visitor@example.com")
    await frame.locator("#start").click()
    await expect(frame.locator("#wait")).to_contain_text("排在第 1 位")
    await frame.locator("#text").fill("你好")
    await frame.locator("#text").press("Enter")
    await expect(frame.locator(".msg-me .msg-state")).to_have_text("已发送")
    await shot(page, "chat-zh-1366-embed")
    await frame.locator("#minimise").click()
    await expect(page.locator("#hotline-chat-panel")).to_be_hidden()
    assert page.errors == []  # type: ignore[attr-defined]
    await page.context.close()
    shop.shutdown()


@pytest.mark.parametrize(
    ("lang", "size"),
    [("en", (1366, 768)), ("zh", (1920, 1080)), ("zh", (1366, 768)), ("en", (1920, 1080))],
)
async def test_console_and_customer_side_by_side(
    live: LiveServer,
    browser: Browser,  # noqa: F811
    lang: str,
    size: tuple[int, int],
) -> None:
    """The customer pages and the agent console, each in its own window: two chats at once,
    a canned reply, typing both ways, read receipts, the end and the wrap-up."""
    await make_queue(live)
    zh = lang == "zh"
    viewport = {"width": size[0], "height": size[1]}
    locale = "zh-CN" if zh else "en-US"
    agent = await open_page(browser, viewport, locale)
    await agent.add_init_script(f"localStorage.setItem('hotline.lang', '{lang}')")
    await sign_in(agent, live)
    await go_available(agent)
    customers = []
    for n, name in enumerate(("王芳", "李雷") if zh else ("Emma Clark", "Noah Brown")):
        page = await open_page(browser, {"width": 420, "height": 760}, locale)
        await start_chat(page, live, lang, f"side{n}.{lang}@example.com")
        await page.fill("#f-name", name)
        await page.click("#start")
        await agent.locator(".offer-accept").click()
        await expect(page.locator("#head-sub")).to_contain_text("Alice")
        customers.append(page)
    first, second = customers
    # Two chats in hand: a tab each; the first one's conversation.
    await expect(agent.locator("#contact-tabs [role=tab]")).to_have_count(2)
    await agent.locator("#contact-tabs [role=tab]").first.click()
    panel = agent.locator(".contact-panel:not([hidden])")
    hello = "我的账单有问题，多扣了一笔钱" if zh else "Hello, I was charged twice this month"
    await first.fill("#text", hello)
    await expect(panel.locator(".chat-typing")).to_be_visible()  # the customer typing
    await first.press("#text", "Enter")
    await expect(panel.locator(".msg-customer .msg-text").last).to_have_text(hello)
    # On screen: read, and the customer sees it.
    await expect(first.locator(".msg-me .msg-state").last).to_have_text("已读" if zh else "Read")
    # A canned reply, adjusted, sent with Enter.
    await panel.locator(".canned-chip").first.click()
    box = panel.locator(".chat-input")
    greeting = (
        "您好，感谢您的咨询，请问有什么可以帮您？"
        if zh
        else "Hello, thank you for contacting us. How can I help you today?"
    )
    await expect(box).to_have_value(greeting)
    await box.fill("")
    reply = (
        "我来帮您查看这笔扣款。" if zh else "I am sorry about that — let me look into the charge."
    )
    await box.press_sequentially(reply[:4])
    await expect(first.locator("#typing")).to_be_visible()  # the agent typing
    await box.fill(reply)
    await box.press("Enter")
    await expect(first.locator(".msg-them .msg-bubble").last).to_have_text(reply)
    await expect(panel.locator(".msg-agent .msg-state").last).to_have_text("已读" if zh else "Read")
    # The second chat's message waits unread in its tab meanwhile.
    other = "请问配送需要多久？" if zh else "How long does delivery take?"
    await second.fill("#text", other)
    await second.press("#text", "Enter")
    await expect(agent.locator("#contact-tabs [role=tab]").nth(1)).to_contain_text("1")
    await shot(agent, f"chat-{lang}-{size[0]}-console")
    await shot(first, f"chat-{lang}-{size[0]}-customer")
    # The agent ends the first chat and wraps it up as after a call.
    await panel.locator(".contact-end").click()
    await expect(first.locator("#rate-card")).to_be_visible()
    await panel.locator("select").first.select_option(index=1)
    await panel.locator("button[type=submit]").click()
    await expect(panel.locator(".saved-card")).to_be_visible()
    await shot(agent, f"chat-{lang}-{size[0]}-console-saved")
    errors = [p.errors for p in (agent, first, second)]  # type: ignore[attr-defined]
    assert errors == [[], [], []]
    for page in (agent, first, second):
        await page.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_closed_hours_the_customer_leaves_a_message(
    live: LiveServer,
    browser: Browser,  # noqa: F811
    lang: str,
) -> None:
    from app.chat.config import Hours

    await make_queue(live)
    chat = live.app.state.hotline.chat
    chat.config = chat.config.model_copy(update={"hours": Hours(timezone="UTC", days={})})
    page = await open_page(browser, PHONE_VIEW, "zh-CN" if lang == "zh" else "en-US")
    await start_chat(page, live, lang, "+8613800000555")
    await expect(page.locator("#closed-note")).to_be_visible()
    await page.click("#start")
    await expect(page.locator("#offline-card")).to_be_visible()
    await expect(page.locator("#o-reach")).to_have_value("+8613800000555")
    text = "请明天上午给我回电" if lang == "zh" else "Please call me tomorrow morning"
    await page.fill("#o-text", text)
    await shot(page, f"chat-{lang}-phone-offline")
    await page.click("#offline-card button[type=submit]")
    await expect(page.locator("#rate-card h2")).to_contain_text("+8613800000555")
    await shot(page, f"chat-{lang}-phone-callback")
    async with live.uow() as uow:
        found = await uow.session.execute(
            select(Interaction).where(Interaction.source == "chat-callback")
        )
        callback = found.scalar_one()
    assert (callback.channel, callback.direction) == ("voice", "outbound")
    assert callback.attributes["message"] == text
    assert page.errors == []  # type: ignore[attr-defined]
    await page.context.close()
