"""What a whole shift needs in the console (issue 9, item 20), in headless Chromium against the
real server: "My day" (waiting in the agent's queues, today's figures, their complaints to
acknowledge and resolve, their callbacks to mark done), transfer of a live contact, and a
desktop notification for an offer while the tab is hidden.

Screenshots (zh and en, 1366×768 and 1920×1080) land in tests/browser/screenshots/.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import update

from app.db.models import Complaint
from app.db.types import utcnow
from tests.browser.test_console import (
    CHROMIUM,
    PHONE,
    VIEWPORT,
    arrive,
    browser,
    go_available,
    in_view,
    low_contrast,
    new_page,
    one_line,
    setup_center,
    shot,
    sign_in,
)
from tests.conftest import LiveServer, add_agent
from tests.helpers import add_interaction

__all__ = ["browser"]  # the module-scoped Chromium fixture, shared

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]
POLL = 12_000  # ms: the waiting counts are polled every 5 s


@pytest.fixture
def db_url(request: pytest.FixtureRequest) -> str:
    """SQLite only: the page does not care which database is behind."""
    return str(request.getfixturevalue("sqlite_url"))


async def _alice(live: LiveServer) -> int:
    return int((await live.request("GET", "/api/auth/me", as_="alice")).json()["id"])


async def _seed_day(
    live: LiveServer, customer_id: int, text: str = "Charged twice for order 5521"
) -> tuple[int, int]:
    """A complaint of alice's and a callback she scheduled; returns their ids."""
    r = await live.request(
        "POST",
        "/api/complaints",
        as_="alice",
        json={
            "customer_id": customer_id,
            "category": "billing",
            "severity": "high",
            "description": text,
        },
    )
    assert r.status_code == 201, r.text
    alice = await _alice(live)
    due = (utcnow() + timedelta(minutes=40)).isoformat()
    callback = await add_interaction(
        live.uow,
        customer_id,
        agent_id=alice,
        disposition="follow_up",
        notes="Call back about the refund",
        from_address=PHONE,
        attributes={"_callback_at": due},
    )
    return int(r.json()["id"]), callback


async def test_my_day_counts_complaint_callback_and_transfer(
    live: LiveServer, browser: Browser
) -> None:
    customer_id = await setup_center(live)
    r = await live.request(
        "POST",
        "/api/queues",
        json={"name": "billing", "display_name": "Billing", "skills": ["billing"]},
    )
    assert r.status_code == 201, r.text
    complaint_id, callback_id = await _seed_day(live, customer_id)
    page = await new_page(browser)
    await sign_in(page, live)

    # Not ready yet: a call waits, and the strip shows it in alice's queue.
    strip = page.locator("#day-strip")
    await expect(strip).to_be_visible()
    chip = strip.locator(".q-chip[data-queue='service']")
    await expect(chip.locator(".q-n")).to_have_text("0")
    await expect(strip.locator(".q-chip[data-queue='billing']")).to_have_count(0)
    contact_id = await arrive(live)
    await expect(chip.locator(".q-n")).to_have_text("1", timeout=POLL)
    await expect(chip).to_have_class(re.compile("q-mine"))
    await expect(strip).to_contain_text("0 handled")
    await expect(strip).to_contain_text("Complaints 1")
    await expect(page.locator("#nav-day .nav-count")).to_have_count(0)  # nothing overdue

    # Available: the waiting call is offered at once, taken, and leaves the queue.
    await page.click("#go-available")
    await page.locator(f".offer[data-contact-id='{contact_id}'] .offer-accept").click()
    panel = page.locator(f".contact-panel[data-contact-id='{contact_id}']")
    await expect(panel).to_have_attribute("data-phase", "live")
    await expect(chip.locator(".q-n")).to_have_text("0", timeout=POLL)
    await shot(page, "20-day-strip-live-en")

    # Transfer to billing: a queue picker under the buttons, then the contact goes there and
    # alice wraps up her part.
    await panel.locator(".contact-transfer").click()
    picker = panel.locator(".transfer-pop")
    await expect(picker).to_be_visible()
    options = picker.locator("select option")
    await expect(options).to_have_count(1)  # every queue but the one the contact is in
    await expect(options.first).to_contain_text("Billing")
    await shot(page, "21-transfer-picker-en")
    await picker.locator(".transfer-go").click()
    await expect(panel).to_have_attribute("data-phase", "wrapup")
    await expect(page.locator(".toast").last).to_contain_text("Transferred to Billing")
    record = (await live.request("GET", f"/api/interactions/{contact_id}", as_="alice")).json()
    assert record["end_reason"] == "transferred"
    legs = (
        await live.request("GET", f"/api/customers/{customer_id}/interactions", as_="alice")
    ).json()["items"]
    leg = next(i for i in legs if i["attributes"].get("_transferred_from") == contact_id)
    assert leg["queue"] == "billing" and leg["status"] == "queued"
    # The strip steps aside during the wrap-up; saved, it is back and counts the contact.
    await expect(strip).to_be_hidden()
    form = panel.locator("form.wrapup")
    await form.locator("select[name=disposition]").select_option("resolved")
    await form.locator("button[type=submit]").click()
    await expect(panel.locator(".saved-card")).to_be_visible()
    await expect(strip).to_be_visible()
    await expect(strip).to_contain_text("1 handled", timeout=POLL)

    # My day: the complaint, acknowledged then resolved from the console.
    await page.click("#nav-day")
    view = page.locator("#view-day")
    await expect(view).to_be_visible()
    await expect(page.locator("#view-work")).to_be_hidden()
    await expect(page.locator("#nav-day")).to_have_attribute("aria-current", "page")
    await expect(view.locator(".day-queues tr[data-queue='service'] .q-waiting")).to_have_text("0")
    await expect(view.locator(".day-metric[data-metric='handled'] .dm-value")).to_have_text("1")
    await expect(view.locator(".day-metric[data-metric='missed'] .dm-value")).to_have_text("0")
    item = view.locator(f".day-complaints [data-complaint-id='{complaint_id}']")
    await expect(item).to_have_attribute("data-status", "open")
    await expect(item).to_contain_text("Li Wei")
    cb = view.locator(f".day-callbacks [data-interaction-id='{callback_id}']")
    await expect(cb).to_contain_text("Li Wei")
    await expect(cb).to_contain_text(PHONE)
    await expect(cb).to_contain_text("Call back about the refund")
    await shot(page, "22-my-day-en")
    assert await low_contrast(page) == []

    await item.locator(".cp-acknowledge").click()
    await expect(item).to_have_attribute("data-status", "acknowledged")
    await item.locator(".cp-resolve").click()
    await item.locator("textarea").fill("Refunded the second charge")
    await shot(page, "23-my-day-resolve-en")
    await item.locator("form button[type=submit]").click()
    await expect(item).to_have_count(0)
    await expect(view.locator(".day-complaints .empty-line")).to_be_visible()
    complaint = (await live.request("GET", f"/api/complaints/{complaint_id}", as_="alice")).json()
    assert complaint["status"] == "resolved"
    assert complaint["resolution"] == "Refunded the second charge"
    assert [h["to_status"] for h in complaint["history"]] == [
        "open",
        "acknowledged",
        "in_progress",
        "resolved",
    ]

    # The callback, marked as made.
    await cb.locator(".cb-done").click()
    await expect(cb).to_have_count(0)
    await expect(view.locator(".day-callbacks .empty-line")).to_be_visible()
    left = (await live.request("GET", "/api/me/callbacks", as_="alice")).json()
    assert left["items"] == []
    assert page.errors == []  # type: ignore[attr-defined]


async def test_my_day_layout_zh_and_en(live: LiveServer, browser: Browser) -> None:
    """My day at 1366×768 and 1920×1080 in both languages, with an overdue complaint and a
    callback due: everything in view, nothing cut, readable."""
    customer_id = await setup_center(live, name="王小明")
    await add_agent(live.uow, "bob", display_name="Bob Wang", skills={"service": 2})
    complaint_id, _ = await _seed_day(live, customer_id, "同一订单 5521 被扣款两次")
    alice = await _alice(live)
    overdue = (utcnow() - timedelta(minutes=20)).isoformat()
    await add_interaction(
        live.uow,
        customer_id,
        agent_id=alice,
        disposition="follow_up",
        notes="客户希望下午回电确认退款",
        from_address="+8613900000002",
        attributes={"_callback_at": overdue},
    )
    async with live.uow() as uow:  # the complaint's deadline has passed
        await uow.session.execute(
            update(Complaint)
            .where(Complaint.id == complaint_id)
            .values(due_at=utcnow() - timedelta(hours=1))
        )
    await arrive(live)
    for tag, locale in (("en", "en-US"), ("zh", "zh-CN")):
        page = await new_page(browser, locale=locale)
        await sign_in(page, live)
        badge = page.locator("#nav-day .nav-count")
        await expect(badge).to_have_text("2")  # the overdue complaint and the callback due
        chip = page.locator("#day-strip .q-chip[data-queue='service'] .q-n")
        await expect(chip).to_have_text("1")
        await shot(page, f"24-workspace-strip-{tag}")
        assert await low_contrast(page) == [], tag
        for selector in ("#logout", "#agent-name", "#nav-day"):
            assert await in_view(page, selector), (tag, selector)
        assert await one_line(page, "#nav-day [data-i18n='nav.day']"), tag
        await page.click("#nav-day")
        view = page.locator("#view-day")
        await expect(view.locator(".day-complaints .cp-overdue")).to_have_count(1)
        await expect(view.locator(".day-callbacks .cb-overdue")).to_have_count(1)
        for panel in (".day-queues", ".day-today", ".day-complaints", ".day-callbacks"):
            assert await in_view(page, f"#view-day {panel} .day-title"), (tag, panel)
        assert await in_view(page, "#view-day .cp-acknowledge"), tag
        assert await in_view(page, "#view-day .cb-done"), tag
        assert await low_contrast(page) == [], tag
        await shot(page, f"25-my-day-1366-{tag}")
        await page.set_viewport_size({"width": 1920, "height": 1080})
        await shot(page, f"26-my-day-1920-{tag}")
        assert page.errors == []  # type: ignore[attr-defined]
        await page.context.close()


# Records what the page asks of the Notification API, around the browser's own (a spy, not a
# stand-in: the real API still runs). Visibility is emulated: headless Chromium keeps every tab
# visible, so `document.visibilityState` is made settable from the test. Counts are mirrored on
# <html> (data-notes, data-closed, data-asked) for `expect` to wait on: the page's CSP forbids
# the string evaluation `wait_for_function` needs.
SPY = """
(() => {
  window.__notes = [];
  window.__asked = 0;
  const mirror = () => {
    const d = document.documentElement.dataset;
    d.notes = String(window.__notes.length);
    d.closed = String(window.__notes.filter((n) => n.closed).length);
    d.asked = String(window.__asked);
  };
  window.__visibility = "visible";
  Object.defineProperty(document, "visibilityState", { get: () => window.__visibility, configurable: true });
  Object.defineProperty(document, "hidden", { get: () => window.__visibility === "hidden", configurable: true });
  const Real = window.Notification;
  if (!Real) return;
  class Spy extends Real {
    constructor(title, options) {
      super(title, options);
      const entry = { title, body: options && options.body, tag: options && options.tag, closed: false };
      window.__notes.push(entry);
      mirror();
      const close = this.close.bind(this);
      this.close = () => { entry.closed = true; mirror(); close(); };
    }
  }
  Object.defineProperty(Spy, "permission", { get: () => Real.permission });
  Spy.requestPermission = (...args) => { window.__asked += 1; mirror(); return Real.requestPermission(...args); };
  window.Notification = Spy;
})();
"""


async def _set_visibility(page: Page, state: str) -> None:
    await page.evaluate(
        "(s) => { window.__visibility = s; document.dispatchEvent(new Event('visibilitychange')); }",
        state,
    )


async def test_offer_notifies_while_the_tab_is_hidden(live: LiveServer, browser: Browser) -> None:
    await setup_center(live)
    context = await browser.new_context(viewport=VIEWPORT, locale="en-US")
    await context.grant_permissions(["notifications"], origin=live.base_url)
    await context.add_init_script(SPY)
    page = await context.new_page()
    page.set_default_timeout(8000)
    await sign_in(page, live)
    await go_available(page)
    assert await page.evaluate("Notification.permission") == "granted"

    # In view: the card and the chime, no desktop notification.
    first = await arrive(live)
    card = page.locator(f".offer[data-contact-id='{first}']")
    await expect(card).to_be_visible()
    await card.locator(".offer-reject").click()
    await card.locator(".reject-actions .btn-danger-solid").click()
    await expect(card).to_have_count(0)
    assert await page.evaluate("window.__notes.length") == 0

    # Hidden: one notification naming the caller, and the title flips to the caller's name.
    await _set_visibility(page, "hidden")
    second = await arrive(live, **{"from": "+8613800000077", "name": "Zhao Min"})
    await expect(page.locator(f".offer[data-contact-id='{second}']")).to_be_visible()
    html = page.locator("html")
    await expect(html).to_have_attribute("data-notes", "1")
    note = await page.evaluate("window.__notes[0]")
    assert note["title"] == "Incoming call" and "Zhao Min" in note["body"]
    assert note["tag"] == f"hotline-offer-{second}"
    await expect(page).to_have_title("☎ Zhao Min")
    await expect(page).to_have_title(re.compile("^● Incoming call"))
    # Looking at the tab closes it and the title rests.
    await _set_visibility(page, "visible")
    await expect(html).to_have_attribute("data-closed", "1")
    assert not (await page.title()).startswith("☎")
    await page.locator(f".offer[data-contact-id='{second}'] .offer-accept").click()
    await expect(page.locator(f".contact-panel[data-contact-id='{second}']")).to_be_visible()
    assert await page.evaluate("window.__notes.length") == 1  # never twice for one offer
    await context.close()


async def test_permission_is_asked_once_on_a_click(live: LiveServer, browser: Browser) -> None:
    await setup_center(live)
    context = await browser.new_context(viewport=VIEWPORT, locale="en-US")
    await context.add_init_script(SPY)
    page = await context.new_page()
    page.set_default_timeout(8000)
    await sign_in(page, live)
    assert await page.evaluate("window.__asked") == 0  # never on load
    await page.click("#go-available")
    await expect(page.locator("html")).to_have_attribute("data-asked", "1")
    await page.click("#go-offline")
    await expect(page.locator("#state-pill")).to_have_attribute("data-state", "offline")
    await page.click("#go-available")
    await expect(page.locator("#state-pill")).to_have_attribute("data-state", "available")
    assert await page.evaluate("window.__asked") == 1  # once, not on every "Available"
    await context.close()
