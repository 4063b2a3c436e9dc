"""Pages under their Content-Security-Policy in headless Chromium: the console works with no
violation, and /docs renders Swagger UI with every request outside the server blocked
(issue 9, items 9 and 10)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page, Route, expect

from tests.browser.test_console import browser, db_url, new_page, setup_center, shot, sign_in
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser
__all__ = ["browser", "db_url"]  # fixtures shared with the console's tests


def _watch(page: Page) -> list[str]:
    """Console messages that report a blocked script, style, image or connection."""
    violations: list[str] = []

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    return violations


async def _offline(page: Page, live: LiveServer) -> list[str]:
    """Abort every request that does not go to the server under test (no CDN, no internet)."""
    outside: list[str] = []

    async def route(r: Route) -> None:
        if r.request.url.startswith(live.base_url) or r.request.url.startswith("data:"):
            await r.continue_()
        else:
            outside.append(r.request.url)
            await r.abort()

    await page.route("**/*", route)
    return outside


async def test_the_console_works_under_its_csp(browser: Browser, live: LiveServer) -> None:
    await setup_center(live)
    page = await new_page(browser)
    violations = _watch(page)
    outside = await _offline(page, live)
    await sign_in(page, live)
    await expect(page.locator("#app")).to_be_visible()
    await expect(page.locator("#conn")).to_have_attribute("data-status", "open")
    await page.click("#nav-customers")
    await page.fill("#search-q", "Li")
    await page.press("#search-q", "Enter")
    await expect(page.locator("#search-results")).to_contain_text("Li Wei")
    await shot(page, "csp-console")
    assert violations == [] and outside == [], (violations, outside)
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("path", "ready"), [("/docs", ".swagger-ui .info .title"), ("/redoc", "h1")]
)
async def test_api_docs_render_offline(
    browser: Browser, live: LiveServer, path: str, ready: str
) -> None:
    page = await new_page(browser)
    violations = _watch(page)
    outside = await _offline(page, live)
    await page.goto(f"{live.base_url}{path}")
    await expect(page.locator(ready).first).to_contain_text("Hotline", timeout=15_000)
    await shot(page, f"docs{path.replace('/', '-')}")
    # ReDoc's footer asks for its maker's logo from a CDN: the CSP keeps it from leaving.
    blocked = [v for v in violations if not (path == "/redoc" and "img-src" in v)]
    assert blocked == [] and outside == [], (violations, outside)
