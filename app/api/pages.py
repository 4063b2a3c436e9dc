"""The browser pages: plain HTML, CSS and JS served as they are (no build step), the API docs
(Swagger UI and ReDoc from the `fastapi-offline` package: no CDN), and the headers that
protect them all."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
# Swagger UI and ReDoc, as the package ships them (the files a CDN would serve).
DOCS_ASSETS = Path(str(files("fastapi_offline") / "static"))

# The app's own pages load scripts and styles from this server only, as files: no inline
# script can run even if some text slipped into the page unescaped. `connect-src 'self'`
# covers the websocket to the same host. Nothing may frame a page (clickjacking).
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Swagger UI and ReDoc set inline styles and ReDoc runs a worker from a blob; their scripts
# still come only from this server.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
# The customer chat page is made to be framed by the company's own pages (the embed snippet,
# /chat/embed.js): any site may frame it; everything else keeps `frame-ancestors 'none'`.
FRAMABLE_PATHS = ("/chat",)
CHAT_CSP = PAGE_CSP.replace("frame-ancestors 'none'", "frame-ancestors *")
# Static files are not fingerprinted: a browser keeps them but asks each time whether they
# changed (ETag / Last-Modified → 304), so a deploy is seen at once.
STATIC_CACHE = "no-cache"

router = APIRouter(include_in_schema=False)

SWAGGER_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Hotline API</title>
  <link rel="icon" href="/docs/assets/favicon.png">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-init.js"></script>
</body>
</html>
"""
# A file, not an inline script, so the page keeps `script-src 'self'`.
SWAGGER_INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""
REDOC_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Hotline API</title>
  <link rel="icon" href="/docs/assets/favicon.png">
</head>
<body>
  <redoc spec-url="/openapi.json"></redoc>
  <script src="/docs/assets/redoc.standalone.js"></script>
</body>
</html>
"""


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/console")


@router.get("/console")
async def console() -> FileResponse:
    return FileResponse(WEB_DIR / "console" / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/wallboard")
async def wallboard() -> FileResponse:
    """The supervisors' live wallboard (docs/supervisor.md)."""
    return FileResponse(WEB_DIR / "wallboard" / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/admin")
async def admin() -> FileResponse:
    """The admins' page: agents, queues, the routing policy (docs/admin.md)."""
    return FileResponse(WEB_DIR / "admin" / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return HTMLResponse(SWAGGER_PAGE, headers={"Cache-Control": "no-cache"})


@router.get("/docs/swagger-init.js")
async def swagger_init() -> Response:
    return Response(
        SWAGGER_INIT, media_type="text/javascript", headers={"Cache-Control": STATIC_CACHE}
    )


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return HTMLResponse(REDOC_PAGE, headers={"Cache-Control": "no-cache"})


class CachedStaticFiles(StaticFiles):
    """Static files with `Cache-Control` beside the ETag and Last-Modified they carry."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.setdefault("Cache-Control", STATIC_CACHE)
        return response


def _static(directory: Path) -> ASGIApp:
    # Compressed here, not app-wide: the API's small JSON answers and the websockets go as
    # they are. Level 6: most of level 9's gain for a fraction of its time.
    return GZipMiddleware(CachedStaticFiles(directory=directory), compresslevel=6)


def mount_static(app: FastAPI) -> None:
    app.mount("/web", _static(WEB_DIR), name="web")
    app.mount("/docs/assets", _static(DOCS_ASSETS), name="docs-assets")


class SecurityHeaders:
    """ASGI middleware: the protective headers on every HTTP answer (pages, files, API)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        docs = any(path == p or path.startswith(p + "/") for p in DOCS_PATHS)
        framable = path in FRAMABLE_PATHS
        csp = DOCS_CSP if docs else CHAT_CSP if framable else PAGE_CSP
        extra = [
            (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
        ]
        if not framable:
            extra.append((b"x-frame-options", b"DENY"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
