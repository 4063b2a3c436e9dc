"""Health with Redis configured: up on the real server, 503 when it cannot be reached."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app.main import create_app
from tests.conftest import make_settings


@pytest.mark.parametrize(
    ("redis_url", "status", "redis_status"),
    [("redis://127.0.0.1:6379/0", 200, "ok"), ("redis://127.0.0.1:1/0", 503, "error")],
)
async def test_health_reports_redis(
    sqlite_url: str, tmp_path: Path, redis_url: str, status: int, redis_status: str
) -> None:
    app = create_app(make_settings(sqlite_url, tmp_path, redis_url=redis_url), migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline") as client:
            r = await client.get("/api/health")
    assert r.status_code == status
    body = r.json()
    assert body["redis"]["status"] == redis_status and body["database"]["status"] == "ok"
