from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.deps import HotlineDep

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health")
async def health(hotline: HotlineDep) -> JSONResponse:
    """Database and Redis reachability; 503 when one that is configured is down."""
    checks: dict[str, dict[str, str]] = {}
    try:
        async with asyncio.timeout(3), hotline.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = {"status": "ok", "backend": hotline.engine.dialect.name}
    except Exception as exc:
        checks["database"] = {"status": "error", "error": type(exc).__name__}
    if hotline.redis is None:
        checks["redis"] = {"status": "not configured", "backend": "in-process"}
    else:
        try:
            async with asyncio.timeout(3):
                await hotline.redis.ping()
            checks["redis"] = {"status": "ok"}
        except Exception as exc:
            checks["redis"] = {"status": "error", "error": type(exc).__name__}
    ok = all(c["status"] in ("ok", "not configured") for c in checks.values())
    body = {"status": "ok" if ok else "degraded", **checks}
    return JSONResponse(body, status_code=200 if ok else 503)
