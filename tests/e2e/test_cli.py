"""The `hotline` command and Settings: HOTLINE_* variables, options, and real runs of the CLI."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError
from typer.testing import CliRunner

from app.cli import cli
from app.demo import DEMO_PASSWORD, STAFF
from config.settings import Settings

HOTLINE = Path(sys.executable).parent / "hotline"


def run_hotline(
    *args: str, tmp_path: Path, db: Path | None = None, url: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed `hotline` command on the SQLite file ``db``, or on the database ``url``."""
    assert (db is None) != (url is None), "a SQLite file or a database URL"
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": url or f"sqlite+aiosqlite:///{db}",
        "HOTLINE_VAR_DIR": str(tmp_path / "var"),
        "COLUMNS": "200",  # rich wraps long report lines at the terminal width
    }
    return subprocess.run(
        [str(HOTLINE), *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_demo_then_import_with_the_real_command(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    demo = run_hotline("demo", "--customers", "200", db=db, tmp_path=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert "Demo logins" in demo.stdout
    for username, _, role, *_ in STAFF:
        assert any(
            line.split() == [username, DEMO_PASSWORD, role] for line in demo.stdout.splitlines()
        ), username

    _past_contacts_are_answered_and_not_recent(db)

    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(
        "name,phones,emails,account_manager\n"
        "Li Lei,+86 139 0013 9000,LI@Example.com,alice\n"
        "Bad Phone,12ab,,\n"
        "Han Meimei,(0)137 0013 7000,,\n",
        encoding="utf-8",
    )
    result = run_hotline("import", "customers", str(csv_file), db=db, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "imported 2, rejected 1" in result.stdout
    assert "line 3: invalid phone number '12ab'" in result.stdout

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == (202,)
        assert conn.execute("SELECT count(*) FROM agents").fetchone() == (len(STAFF),)
        row = conn.execute(
            "SELECT c.name, a.username FROM customer_identities i"
            " JOIN customers c ON c.id = i.customer_id"
            " JOIN agents a ON a.id = c.account_manager_id"
            " WHERE i.value = '+8613900139000'"
        ).fetchone()
    assert row == ("Li Lei", "alice")


def _past_contacts_are_answered_and_not_recent(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT i.customer_id, i.queue, i.status, i.created_at, i.answered_at,"
            " i.wrapped_up_at, i.disposition, a.skills"
            " FROM interactions i JOIN agents a ON a.id = i.agent_id"
        ).fetchall()
        (total,) = conn.execute("SELECT count(*) FROM interactions").fetchone()
    assert rows and len(rows) == total  # every past contact was answered by a demo agent
    customers = {r[0] for r in rows}
    assert 0.4 * 200 < len(customers) < 0.9 * 200  # many customers have some, not all
    newest = max(datetime.fromisoformat(r[3]).replace(tzinfo=UTC) for r in rows)
    # None recent: a demo caller is not held for a demo agent by the 48 h repeat-contact rule.
    assert newest < datetime.now(UTC) - timedelta(days=2.9)
    for _, queue, status, created, answered, wrapped, disposition, skills in rows:
        assert status == "ended" and disposition
        times = [datetime.fromisoformat(t) for t in (created, answered, wrapped)]
        assert times == sorted(times) and len(set(times)) == 3
        assert queue in json.loads(skills)  # answered by an agent of that queue


def test_demo_without_past_contacts(tmp_path: Path) -> None:
    db = tmp_path / "bare.db"
    demo = run_hotline("demo", "--customers", "50", "--no-past-contacts", db=db, tmp_path=tmp_path)
    assert demo.returncode == 0, demo.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM interactions").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == (50,)


def test_import_of_nothing_good_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("COLUMNS", "200")
    bad = tmp_path / "tx.csv"
    bad.write_text("customer_id,amount,occurred_at\n1,abc,2026-01-01T00:00:00Z\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "transactions", str(bad)])
    assert result.exit_code == 1, result.output
    assert "imported 0, rejected 1" in result.output
    assert "line 2: customer '1' not found" in result.output
    result = CliRunner().invoke(cli, ["import", "customers", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key, value in {
        "HOTLINE_HTTP_HOST": "0.0.0.0",
        "HOTLINE_HTTP_PORT": "9100",
        "HOTLINE_DATABASE_URL": "postgresql+asyncpg://u@db.example:5432/hotline",
        "HOTLINE_REDIS_URL": "redis://cache:6379/0",
        "HOTLINE_MAX_BODY_BYTES": "2048",
        "HOTLINE_SIP_ENABLED": "true",
        "HOTLINE_COMPLAINT_DEADLINE_HOURS": "48",
        "HOTLINE_SECRET_KEY": "from-env",
    }.items():
        monkeypatch.setenv(key, value)
    s = Settings()
    assert (s.http_host, s.http_port, s.max_body_bytes) == ("0.0.0.0", 9100, 2048)
    assert s.sip_enabled is True and s.complaint_deadline_hours == 48
    assert s.redis_url == "redis://cache:6379/0"
    assert s.effective_database_url == "postgresql+asyncpg://u@db.example:5432/hotline"
    assert not s.is_sqlite
    assert s.effective_secret() == "from-env"
    assert Settings(http_port=9200).http_port == 9200  # explicit arguments beat the environment


def test_settings_defaults_and_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    s = Settings(var_dir=tmp_path / "var")
    assert s.is_sqlite
    assert s.effective_database_url == f"sqlite+aiosqlite:///{(tmp_path / 'var' / 'hotline.db')}"
    secret = s.effective_secret()
    assert len(secret) > 40 and s.effective_secret() == secret  # generated once, then kept
    assert (tmp_path / "var" / "secret.key").stat().st_mode & 0o777 == 0o600

    config = tmp_path / "hotline.yaml"
    config.write_text("http_port: 7000\nsip_port: 5070\n", encoding="utf-8")
    monkeypatch.setenv("HOTLINE_CONFIG_FILE", str(config))
    monkeypatch.setenv("HOTLINE_HTTP_PORT", "9000")
    s = Settings()
    assert (s.http_port, s.sip_port) == (9000, 5070)  # the environment wins over the file
    config.write_text("- not a mapping\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected a mapping"):
        Settings()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("HOTLINE_DATABASE_URL", "mysql://u@h/db", "must start with sqlite+aiosqlite://"),
        ("HOTLINE_DATABASE_URL", "postgresql://u@h/db", "postgresql+asyncpg://"),
        ("HOTLINE_HTTP_PORT", "70000", "http_port"),
        ("HOTLINE_HTTP_PORT", "eighty", "http_port"),
        ("HOTLINE_MAX_BODY_BYTES", "0", "max_body_bytes"),
    ],
)
def test_invalid_settings_are_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, message: str
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError, match=re.escape(message)):
        Settings()
    result = CliRunner().invoke(cli, ["migrate"])  # the command refuses with a plain message
    assert result.exit_code == 2
    assert f"invalid setting {key}" in result.output


def test_serve_options_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    monkeypatch.setenv("HOTLINE_HTTP_HOST", "10.0.0.1")
    monkeypatch.setenv("HOTLINE_HTTP_PORT", "8100")
    runner = CliRunner()

    assert runner.invoke(cli, ["serve"]).exit_code == 0
    result = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "9001"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(cli, ["serve", "--port", "9002"]).exit_code == 0
    assert [(c["host"], c["port"]) for c in calls] == [
        ("10.0.0.1", 8100),
        ("0.0.0.0", 9001),
        ("10.0.0.1", 9002),
    ]
    assert all(isinstance(c["app"], FastAPI) for c in calls)

    bad = runner.invoke(cli, ["serve", "--port", "eighty"])
    assert bad.exit_code == 2 and "Invalid value" in bad.output
    bad = runner.invoke(cli, ["serve", "--port", "70000"])
    assert bad.exit_code == 2 and "invalid setting HOTLINE_HTTP_PORT" in bad.output
    assert len(calls) == 3
