"""The console when an offer times out (a short offer timeout, so the test waits ~2 s)."""

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


@pytest.fixture
def db_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url")


@pytest.fixture
async def live_settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, offer_timeout_seconds=2)


async def test_timeout_notice_says_what_happened_not_another_agent(
    live: LiveServer, browser: Browser
) -> None:
    # Alice is the only agent signed in: the contact cannot have gone to someone else.
    await setup_center(live, name="李伟")
    page = await new_page(browser, locale="zh-CN")
    await sign_in(page, live)
    await go_available(page)
    contact_id = await arrive(live)
    offer = page.locator(f".offer[data-contact-id='{contact_id}']")
    await expect(offer).to_be_visible()
    await expect(offer).to_have_count(0)  # not answered: the server withdraws it
    toast = page.locator(".toast-info .toast-text")
    await expect(toast).to_have_text("分配已超时：2 秒内未应答。该联系已回到队列。")
    await shot(page, "17-chinese-offer-timed-out")
    assert page.errors == []  # type: ignore[attr-defined]
