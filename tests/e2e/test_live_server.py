from __future__ import annotations

from tests.conftest import LiveServer


async def test_live_server_serves_http_and_pages(live: LiveServer) -> None:
    r = await live.client.get("/api/health")
    assert r.status_code == 200
    r = await live.client.get("/console")
    assert r.status_code == 200 and "<html" in r.text
    r = await live.request("GET", "/api/auth/me", as_="alice")
    assert r.json()["username"] == "alice"
