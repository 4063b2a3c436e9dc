"""The console in headless Chromium: its socket carries no token in the URL, and signing out
revokes the token on the server (issue 9, items 6 and 7)."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.test_console import (  # noqa: F401  (fixtures)
    browser,
    db_url,
    new_page,
    pytestmark,
    sign_in,
)
from tests.conftest import LiveServer
from tests.helpers import cheap_argon2  # noqa: F401  (autouse fixture)


async def test_the_console_socket_has_no_token_in_its_url_and_sign_out_revokes_it(
    live: LiveServer,
    browser: Browser,  # noqa: F811  (the fixture imported above)
) -> None:
    page = await new_page(browser)
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    await sign_in(page, live)
    token = await page.evaluate("sessionStorage.getItem('hotline.token')")
    assert token and sockets
    assert all("/ws/agent" in url and "token" not in url and token not in url for url in sockets)
    assert (await live.client.get("/api/auth/me", headers=bearer(token))).status_code == 200

    async with page.expect_response("**/api/auth/logout") as logout:
        await page.click("#logout")
    assert (await logout.value).status == 204
    await expect(page.locator("#login")).to_be_visible()
    # The token is worth nothing now, even copied before the sign-out.
    r = await live.client.get("/api/auth/me", headers=bearer(token))
    assert r.status_code == 401 and "revoked" in r.json()["message"]
    assert page.errors == []  # type: ignore[attr-defined]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
