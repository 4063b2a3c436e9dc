"""GET /metrics for Prometheus (docs/operations.md): queues, agents, sockets, routing lock,
event stream and event-loop lag, in the text exposition format.

A scraper presents the configured scrape key (``HOTLINE_METRICS_SCRAPE_KEY``) as its bearer
token, as Prometheus's ``authorization`` setting sends it; an admin's login token works too.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from app.deps import HotlineDep, current_principal
from app.errors import Forbidden, Unauthorized
from app.observability.prometheus import make_registry

router = APIRouter(tags=["operations"])

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="MetricsBearer",
    description="HOTLINE_METRICS_SCRAPE_KEY, or an admin's token from POST /api/auth/login",
)


async def _scraper(
    hotline: HotlineDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    token = creds.credentials if creds else None
    key = hotline.settings.metrics_scrape_key.get_secret_value().strip()
    # Constant time: the comparison must not tell a guesser how much of the key was right.
    if key and token and hmac.compare_digest(token.encode(), key.encode()):
        return
    if not token:
        raise Unauthorized("missing bearer token: the scrape key or an admin's token")
    principal = await current_principal(hotline, token)
    if not principal.has_role("admin"):
        raise Forbidden(f"this needs the admin role or the scrape key; you are {principal.role}")


def _registry(request: Request) -> CollectorRegistry:
    """The app's own registry, made on the first scrape."""
    state = request.app.state
    registry = getattr(state, "prometheus_registry", None)
    if registry is None:

        def source() -> tuple[Any, Any]:
            return getattr(state, "hotline", None), getattr(state, "loop_lag", None)

        registry = state.prometheus_registry = make_registry(source)
    return registry


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(_scraper)],
    responses={
        200: {
            "description": "Prometheus text exposition format",
            "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
        }
    },
)
async def metrics(request: Request) -> Response:
    """Queue and agent figures from the live routing state, and the server's health."""
    return Response(generate_latest(_registry(request)), media_type=CONTENT_TYPE_LATEST)
