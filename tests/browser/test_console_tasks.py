"""A care task in the console (docs/care.md, docs/console.md): offered with what to do (in the
agent's language) and its due time, worked like a call, wrapped up with its outcome."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from playwright.async_api import Browser, expect
from sqlalchemy import select

from app.care.rules import TaskPlan
from app.care.service import CareService
from app.db.models import Agent, CareTask, Customer, Interaction, Promise
from tests.browser.test_console import (
    browser,
    db_url,
    new_page,
    pytestmark,
    shot,
    sign_in,
)
from tests.conftest import LiveServer

# The module-scoped Chromium, the SQLite-only database and the browser marks, shared.
__all__ = ["browser", "db_url", "pytestmark"]

TEXT = {"en": "Win back: ask why and make an offer.", "zh": "挽回客户：询问原因并提出优惠。"}


async def test_a_win_back_task_is_worked_and_wrapped_up_with_its_outcome(
    live: LiveServer, browser: Browser
) -> None:
    r = await live.request(
        "POST", "/api/queues", json={"name": "care", "display_name": "Care", "skills": ["service"]}
    )
    assert r.status_code == 201, r.text
    async with live.uow() as uow:
        alice = await uow.session.scalar(select(Agent.id).where(Agent.username == "alice"))
        customer = Customer(name="Zhao Min", language="zh", account_manager_id=alice)
        uow.session.add(customer)
        await uow.session.flush()
        cid = customer.id
    hotline = live.app.state.hotline
    care = CareService(hotline.contacts, hotline.uow, hotline.care.config, time.time)
    now = datetime.now(UTC)
    due = now + timedelta(hours=48)
    plan = TaskPlan(cid, "win_back", "win_back", "drift:2026-01-01", "sales", "call", "care",
                    due, alice, None, TEXT)  # fmt: skip
    assert await care.make([plan], now) == 1

    page = await new_page(browser)
    await sign_in(page, live)
    await page.click("#go-available")
    (contact_id,) = await care.release()
    offer = page.locator(f".offer[data-contact-id='{contact_id}']")
    await expect(offer.locator(".offer-kind-label")).to_have_text("Care task")  # not a call in
    await expect(offer.locator(".task-text")).to_have_text(TEXT["en"])
    await expect(offer.locator("time")).to_have_attribute("datetime", due.isoformat())
    await expect(offer).not_to_contain_text("care_text_zh")  # no raw keys
    await page.keyboard.press("a")
    panel = page.locator(f".contact-panel[data-contact-id='{contact_id}']")
    await expect(panel).to_have_attribute("data-phase", "live")
    await panel.locator(".contact-end").click()
    form = panel.locator("form.wrapup")
    await form.locator("select[name=disposition]").select_option("sale")
    await form.locator("button[type=submit]").click()  # reached, but no reason given
    await expect(form.locator(".form-error")).to_contain_text("drifted")
    await form.locator("select[name=drift_reason]").select_option("price")
    await form.locator("input[name=offer]").fill("10% off for a year")
    await form.locator("input[name=won_back]").check()
    await form.locator("input[name=promise]").check()
    await form.locator("input[name=promise_text]").fill("Send the new price list")
    await shot(page, "task-wrap-up")
    # Kept on the server as typed (the draft), so a reload brings all of it back.
    await expect(form.locator(".wu-draft")).not_to_be_empty()
    async with live.uow() as uow:
        row = await uow.session.get(Interaction, int(contact_id))
        assert row is not None
        kept = row.attributes["_wrapup_draft"]
    assert kept["task"]["offer"] == "10% off for a year" and kept["promise"]["on"] is True
    await page.reload()
    panel = page.locator(f".contact-panel[data-contact-id='{contact_id}']")
    form = panel.locator("form.wrapup")
    await expect(form.locator("select[name=drift_reason]")).to_have_value("price")
    await expect(form.locator("input[name=offer]")).to_have_value("10% off for a year")
    await expect(form.locator("input[name=won_back]")).to_be_checked()
    await expect(form.locator("input[name=promise_text]")).to_have_value("Send the new price list")
    await form.locator("button[type=submit]").click()
    await expect(panel.locator(".saved-card")).to_be_visible()
    async with live.uow() as uow:
        task = await uow.session.scalar(select(CareTask).where(CareTask.customer_id == cid))
    assert task is not None and task.status == "done" and task.result == "won_back"
    assert task.outcome == {
        "recorded": True, "reached": True, "drift_reason": "price",
        "offer": "10% off for a year", "won_back": True,
    }  # fmt: skip
    async with live.uow() as uow:
        (promise,) = (await uow.session.scalars(select(Promise))).all()
    assert promise.text == "Send the new price list" and promise.customer_id == cid
    assert page.errors == []  # type: ignore[attr-defined]
