"""The console through a shift: the wrap-up kept as a draft, more time, and saved by the server
when the time runs out (short wrap-up times, so the test waits a few seconds); one live window
per agent. Screenshots at 1366×768 in English and Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from config.settings import Settings
from tests.browser.test_console import (
    arrive,
    browser,
    go_available,
    new_page,
    setup_center,
    shot,
    sign_in,
)
from tests.conftest import LiveServer, make_settings

__all__ = ["browser"]  # the module-scoped Chromium fixture, shared
pytestmark = pytest.mark.browser

WRAPUP, MORE, LONGEST = 6, 3, 9  # seconds


@pytest.fixture
def db_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url")


@pytest.fixture
async def live_settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        db_url,
        tmp_path,
        wrapup_seconds=WRAPUP,
        wrapup_extend_seconds=MORE,
        wrapup_max_seconds=LONGEST,
    )


def _presence(live: LiveServer) -> object:
    (alice,) = [r for r in live.app.state.hotline.contacts.router.store.agents()]
    return alice.presence


@pytest.mark.parametrize(
    ("locale", "outcome"), [("en-US", "resolved"), ("zh-CN", None)], ids=["en", "zh"]
)
async def test_unsaved_wrapup_is_saved_when_its_time_runs_out(
    live: LiveServer, browser: Browser, locale: str, outcome: str | None
) -> None:
    lang = locale[:2]
    await setup_center(live)
    page = await new_page(browser, locale=locale)
    await sign_in(page, live)
    await go_available(page)
    contact_id = await arrive(live)
    await expect(page.locator(f".offer[data-contact-id='{contact_id}']")).to_be_visible()
    await page.keyboard.press("a")
    panel = page.locator(f".contact-panel[data-contact-id='{contact_id}']")
    await expect(panel).to_have_attribute("data-phase", "live")
    await panel.locator(".contact-end").click()
    await expect(panel).to_have_attribute("data-phase", "wrapup")

    form = panel.locator("form.wrapup")
    if outcome:
        await form.locator("select[name=disposition]").select_option(outcome)
    await form.locator("textarea[name=notes]").fill("Refund promised / 已承诺退款")
    # Kept on the server as it is typed.
    await expect(form.locator(".wu-draft[data-i18n='wrapup.draft_saved']")).to_be_visible()
    more = form.locator(".wu-more")
    await expect(more).to_have_text(f"+{MORE} 秒" if lang == "zh" else f"+{MORE} s")
    await more.click()
    # Once: the maximum (LONGEST from the end) is reached, so the button greys out.
    await expect(more).to_be_disabled()
    p = _presence(live)
    assert p.wrapup_until == p.wrapup_started + LONGEST  # type: ignore[attr-defined]
    await shot(page, f"40-wrap-up-more-time-{lang}")

    # Nobody saves: when the time runs out the server saves the draft and says so.
    saved = panel.locator(".saved-card")
    await expect(saved).to_be_visible(timeout=(LONGEST + 5) * 1000)
    notice = page.locator(".toast-info .toast-text").first
    if lang == "zh":
        await expect(notice).to_have_text(
            "话后处理时间已到：未选择处理结果，草稿已按“需跟进”保存。"
        )
    else:
        await expect(notice).to_have_text("Wrap-up time ended: your draft was saved to the record.")
    await expect(page.locator("#state-pill")).to_have_attribute("data-state", "available")
    await shot(page, f"41-wrap-up-saved-by-the-server-{lang}")

    record = (await live.request("GET", f"/api/interactions/{contact_id}")).json()
    assert record["disposition"] == (outcome or "follow_up")
    assert record["notes"] == "Refund promised / 已承诺退款"
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"], ids=["en", "zh"])
async def test_a_second_window_takes_over_and_the_first_says_so(
    live: LiveServer, browser: Browser, locale: str
) -> None:
    lang = locale[:2]
    await setup_center(live)
    first = await new_page(browser, locale=locale)
    await sign_in(first, live)
    await go_available(first)
    second = await new_page(browser, locale=locale)  # another window, its own tab storage
    await sign_in(second, live)

    dialog = first.locator("#takeover")
    await expect(dialog).to_be_visible()
    title = "已在另一个窗口打开" if lang == "zh" else "Opened in another window"
    await expect(dialog.locator("h2")).to_have_text(title)
    await expect(first.locator("#takeover-back")).to_be_focused()
    live_elsewhere = "已在其他窗口使用" if lang == "zh" else "Live in another window"
    await expect(first.locator("#conn-text")).to_have_text(live_elsewhere)  # not "connecting"
    # The agent did not flap: still available, in the new window too.
    await expect(second.locator("#state-pill")).to_have_attribute("data-state", "available")
    assert _presence(live).state == "available"  # type: ignore[attr-defined]
    await shot(first, f"42-taken-over-{lang}")

    # An offer rings in the live window only.
    contact_id = await arrive(live)
    await expect(second.locator(f".offer[data-contact-id='{contact_id}']")).to_be_visible()
    await expect(first.locator(".offer")).to_have_count(0)

    # Taking it back: the first window reconnects and gets the offer; the second says so.
    await first.locator("#takeover-back").click()
    await expect(dialog).to_be_hidden()
    await expect(first.locator("#conn")).to_have_attribute("data-status", "open")
    await expect(first.locator(f".offer[data-contact-id='{contact_id}']")).to_be_visible()
    await expect(second.locator("#takeover")).to_be_visible()
    await expect(second.locator(".offer")).to_have_count(0)
    await shot(first, f"43-taken-back-{lang}")
    assert first.errors == [] and second.errors == []  # type: ignore[attr-defined]
