"""`hotline serve` refuses a half-configured shared mode (app/preflight.py): run for real, as a
user would, it exits non-zero with a message naming the setting before anything listens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from app.preflight import PreflightError, check_shared_mode
from config.settings import Settings

HOTLINE = Path(sys.executable).parent / "hotline"
REDIS = "redis://127.0.0.1:6379/0"


def serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    clean.update(
        {
            "HOTLINE_VAR_DIR": str(tmp_path / "var"),
            "HOTLINE_HTTP_PORT": str(closed_port()),
            "HOTLINE_SIP_PORT": str(closed_port()),
            "COLUMNS": "300",
            **env,
        }
    )
    return subprocess.run(
        [str(HOTLINE), "serve"],
        env=clean,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_redis_with_a_sqlite_database_does_not_start(tmp_path: Path) -> None:
    run = serve(tmp_path, HOTLINE_REDIS_URL=REDIS)
    assert run.returncode == 3, run.stdout + run.stderr
    assert "cannot start" in run.stdout
    assert "SQLite" in run.stdout and "HOTLINE_DATABASE_URL" in run.stdout
    assert not (tmp_path / "var" / "hotline.db").exists()  # it stopped before migrating


def test_redis_that_does_not_answer_does_not_start(tmp_path: Path) -> None:
    port = closed_port()
    run = serve(
        tmp_path,
        HOTLINE_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/hotline_never_made",
        HOTLINE_REDIS_URL=f"redis://:s3cret-pass@127.0.0.1:{port}/0",
    )
    assert run.returncode == 3, run.stdout + run.stderr
    assert f"Redis at redis://:***@127.0.0.1:{port}/0" in run.stdout
    assert "does not answer" in run.stdout
    assert "s3cret-pass" not in run.stdout + run.stderr  # never a password in a log


@pytest.mark.redis
def test_a_complete_shared_mode_and_the_embedded_default_pass(tmp_path: Path) -> None:
    pg = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    check_shared_mode(Settings(database_url=pg, redis_url=REDIS))
    check_shared_mode(Settings(var_dir=tmp_path))  # SQLite, no Redis: nothing to check
    with pytest.raises(PreflightError, match="not a Redis URL"):
        check_shared_mode(Settings(database_url=pg, redis_url="http://127.0.0.1:6379"))
