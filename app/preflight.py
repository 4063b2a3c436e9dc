"""Checks `hotline serve` makes before it listens: a half-configured shared mode is refused.

Shared mode (docs/scale-out.md) is several processes on one PostgreSQL and one Redis. With
HOTLINE_REDIS_URL set, a process that started anyway on a SQLite file, or without the Redis
it was told to share, would silently be a contact center of its own beside the others: its
calls and chats invisible to the rest. Better not to start, and to say why.
"""

from __future__ import annotations

from config.settings import Settings


class PreflightError(Exception):
    """A setting that lets the server start but not work as configured; the message says which
    and what to do."""


def check_shared_mode(settings: Settings, timeout: float = 3.0) -> None:
    """Raise :class:`PreflightError` if HOTLINE_REDIS_URL is set but shared mode cannot work:
    the database is not PostgreSQL, or Redis does not answer a PING within `timeout` seconds.
    Without HOTLINE_REDIS_URL (the embedded default) there is nothing to check."""
    if not settings.redis_url:
        return
    if settings.is_sqlite:
        raise PreflightError(
            "HOTLINE_REDIS_URL is set (shared mode), but the database is SQLite"
            + ("" if settings.database_url else " (HOTLINE_DATABASE_URL is not set)")
            + ": processes cannot share a SQLite file. Set HOTLINE_DATABASE_URL to "
            "postgresql+asyncpg://user:password@host/database, or unset HOTLINE_REDIS_URL "
            "to run one process alone."
        )
    import redis

    where = _redact(settings.redis_url)
    try:
        client = redis.Redis.from_url(
            settings.redis_url, socket_connect_timeout=timeout, socket_timeout=timeout
        )
    except ValueError as exc:
        raise PreflightError(f"HOTLINE_REDIS_URL is not a Redis URL ({where}): {exc}") from None
    try:
        client.ping()
    except redis.AuthenticationError as exc:
        raise PreflightError(f"Redis at {where} refused the credentials: {exc}") from None
    except redis.RedisError as exc:
        raise PreflightError(
            f"Redis at {where} (HOTLINE_REDIS_URL) does not answer: {str(exc).rstrip('.')}. "
            "Shared mode needs "
            "it before the server starts; start Redis, or fix HOTLINE_REDIS_URL."
        ) from None
    finally:
        client.close()


def _redact(url: str) -> str:
    """The URL without its password: the message goes to logs."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
