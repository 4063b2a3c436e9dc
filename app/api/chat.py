"""The customer's chat page, its embed snippet and what the page reads before a chat starts
(docs/chat.md). The conversation itself runs over /ws/chat."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from app.schemas import Output

router = APIRouter()
CHAT_DIR = Path(__file__).resolve().parents[1] / "web" / "chat"


class TopicOut(Output):
    code: str
    label: dict[str, str]  # language → words


class ChatConfigOut(Output):
    topics: list[TopicOut]
    open_now: bool  # within opening hours: an agent may answer (else: leave a message)
    message_chars: int
    heartbeat_seconds: float
    identity_enabled: bool  # the website may sign its customers in (HOTLINE_CHAT_IDENTITY_SECRET)


@router.get("/api/chat/config", tags=["chat"])
async def chat_config(request: Request) -> ChatConfigOut:
    """Topics, opening hours now and limits, for the chat page's pre-chat form. Public: the
    customer is not logged in."""
    chat = request.app.state.hotline.chat
    public = chat.config.public()
    return ChatConfigOut(
        topics=[TopicOut(**t) for t in public["topics"]],
        open_now=chat.config.hours.open_at(chat.wall_clock()),
        message_chars=public["message_chars"],
        heartbeat_seconds=public["heartbeat_seconds"],
        identity_enabled=bool(chat.identity_secret),
    )


@router.get("/chat", include_in_schema=False)
async def chat_page() -> FileResponse:
    """The customer's chat page (framable by any site: see app/api/pages.py)."""
    return FileResponse(CHAT_DIR / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/chat/embed.js", include_in_schema=False)
async def embed_script() -> FileResponse:
    """The one-line embed: ``<script src="https://hotline.example/chat/embed.js" async>``."""
    return FileResponse(
        CHAT_DIR / "embed.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Cross-Origin-Resource-Policy": "cross-origin"},
    )
