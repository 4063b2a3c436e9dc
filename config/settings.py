"""The one Settings object: built at start-up from HOTLINE_* variables and an optional file."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

CONFIG_DIR = Path(__file__).resolve().parent


class Settings(BaseSettings):
    """Everything the server needs to start; nothing connects at import time."""

    model_config = SettingsConfigDict(
        env_prefix="HOTLINE_",
        env_file=None,
        extra="ignore",
    )

    http_host: str = "127.0.0.1"
    http_port: int = Field(8000, ge=0, le=65535)
    sip_host: str = "127.0.0.1"
    sip_port: int = Field(5060, ge=0, le=65535)
    # None: on for `hotline serve`, off for an app built in tests (which turn it on).
    sip_enabled: bool | None = None
    # None: on for `hotline serve`, off in tests (app/heap.py: start-up's objects are kept
    # out of the garbage collector's full passes).
    gc_freeze: bool | None = None
    telephony_file: Path = CONFIG_DIR / "telephony.yaml"
    # IVR mode (docs/ivr.md): the flows, the prompts, RTP ports ("low-high", even ports
    # used; "0": any free port) and the address put in SDP (default: sip_host).
    ivr_file: Path = CONFIG_DIR / "ivr.yaml"
    prompts_dir: Path = CONFIG_DIR / "prompts"
    rtp_ports: str = Field("20000-20999", pattern=r"^(0|\d{1,5}-\d{1,5})$")
    rtp_address: str | None = None
    # Callbacks (docs/ivr.md): calls Hotline makes go through this proxy ("host:port"; the
    # customer's number is reached as sip:<number>@<proxy>); unset: the agent's phone is
    # called directly and the customer through the host the caller's call came from.
    sip_outbound_proxy: str | None = Field(None, pattern=r"^[A-Za-z0-9.\-]+(:\d{1,5})?$")
    var_dir: Path = Path("var")
    database_url: str = ""
    # PostgreSQL connections kept open (and more at a peak, closed again after it): enough for
    # the commands, screen pops and projector that run at once, so that none waits for one and
    # no connection is opened per command under load.
    db_pool_size: int = Field(20, ge=1, le=500)
    db_pool_overflow: int = Field(0, ge=0, le=500)
    redis_url: str = ""
    redis_prefix: str = "hotline:"
    secret_key: str = ""
    token_ttl_seconds: int = Field(12 * 3600, gt=0)
    # Failed logins (docs/configuration.md): per address, per account, and the lockout.
    login_window_seconds: float = Field(900.0, gt=0)
    login_address_failures: int = Field(100, ge=1)
    login_account_failures: int = Field(10, ge=1)
    login_lockout_seconds: float = Field(900.0, ge=0)
    # Threads that hash and check passwords, apart from everything else.
    password_hash_threads: int = Field(2, ge=1, le=64)
    # A websocket sends {"type": "auth", "token": ...} first, within this many seconds.
    ws_auth_timeout_seconds: float = Field(10.0, gt=0, le=300)
    # How long a process trusts an account it read (active, role, token version) while another
    # process may have changed it; changes made through this process apply at once.
    account_cache_seconds: float = Field(5.0, ge=0, le=300)
    max_body_bytes: int = Field(1_000_000, gt=0)
    default_region: str = "CN"
    currency_symbol: str = "¥"
    routing_file: Path = CONFIG_DIR / "routing.yaml"
    grades_file: Path = CONFIG_DIR / "grades.yaml"
    console_file: Path = CONFIG_DIR / "console.yaml"
    # Care and win-back rules, reason codes and contact discipline (docs/care.md).
    care_file: Path = CONFIG_DIR / "care.yaml"
    # Off: no care rules run (tests that do not test them, a standby process).
    care_enabled: bool = True
    # The supervisor feed and wallboard: service-level targets per grade, value at risk, the
    # day's time zone, coalescing (docs/supervisor.md).
    supervisor_file: Path = CONFIG_DIR / "supervisor.yaml"
    # Display names of free codes (queues, rules, skills, break reasons, ...) per language.
    names_file: Path = CONFIG_DIR / "names.yaml"
    # The language of words sent when the reader asks for none (?lang=, Accept-Language).
    default_language: str = "en"
    agent_grace_seconds: float = Field(30.0, ge=0)
    # Messages queued for one agent socket before it counts as too slow and is closed (4008).
    ws_send_queue: int = Field(256, ge=8, le=100_000)
    # The intake door (app/contacts/intake_gate.py): arrivals written at once; more wait
    # their turn, so agents' commands stay fast.
    intake_concurrency: int = Field(8, ge=1, le=1000)
    # While the event loop runs later than this, arrivals pass one at a time (0: never).
    intake_lag_ms: float = Field(10.0, ge=0, le=10_000)
    # Arrivals waiting at the door before new ones from HTTP, SIP or a PBX get 503.
    intake_backlog: int = Field(500, ge=1, le=1_000_000)
    # The record's projector gathers this long of events into one transaction (docs/events.md).
    record_linger_ms: float = Field(100.0, ge=0, le=5_000)
    # When set, these win over offers.timeout_seconds / wrapup.timeout_seconds of routing.yaml.
    offer_timeout_seconds: float | None = Field(None, gt=0)
    wrapup_seconds: float | None = Field(None, ge=0)
    # When set, these win over wrapup.extend_seconds / wrapup.max_seconds of routing.yaml: what
    # the console's "more time" adds to a wrap-up, and the longest a wrap-up may last in all.
    wrapup_extend_seconds: float | None = Field(None, ge=1, le=3600)
    wrapup_max_seconds: float | None = Field(None, ge=0)
    # A wrap-up whose time ran out unsaved is saved from its draft, with this disposition (one
    # of console.yaml's) when the agent had chosen none.
    wrapup_default_disposition: str = "follow_up"
    complaint_deadline_hours: float = Field(24.0, gt=0)
    # A complaint owes a first answer (acknowledgement) sooner than its resolution
    # (docs/promises.md); capped at complaint_deadline_hours.
    complaint_first_answer_hours: float = Field(24.0, gt=0)
    # How often the server looks for promises past due to escalate (docs/promises.md).
    promise_check_seconds: float = Field(60.0, gt=0)
    # The chat channel (docs/chat.md): topics, hours, limits, canned replies; and the secret
    # the company's website signs customer identity tokens with (empty: no signed sign-in).
    chat_file: Path = CONFIG_DIR / "chat.yaml"
    chat_identity_secret: SecretStr = SecretStr("")
    # E-mail (docs/configuration.md): chat transcripts the customer asks for go out through
    # this SMTP server; no host: no e-mail, and the chat page does not offer it. The password
    # is a secret: never logged, never shown.
    smtp_host: str = ""
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_from: str = ""
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = Field(10.0, gt=0, le=300)
    # Keys of the business's systems, sent as X-Api-Key to record purchases; comma-separated.
    integration_keys: SecretStr = SecretStr("")
    # Operations (docs/operations.md): log lines as plain text or one JSON object per line;
    # the key a Prometheus server sends as its bearer token to scrape /metrics (admins'
    # tokens work too; empty: admins only).
    log_format: str = Field("text", pattern=r"^(text|json)$")
    metrics_scrape_key: SecretStr = SecretStr("")
    config_file: Path | None = None

    @field_validator("metrics_scrape_key")
    @classmethod
    def _strong_scrape_key(cls, key: SecretStr) -> SecretStr:
        if 0 < len(key.get_secret_value().strip()) < 16:
            raise ValueError("HOTLINE_METRICS_SCRAPE_KEY needs at least 16 characters")
        return key

    @field_validator("integration_keys")
    @classmethod
    def _strong_keys(cls, keys: SecretStr) -> SecretStr:
        if any(len(k.strip()) < 16 for k in keys.get_secret_value().split(",") if k.strip()):
            raise ValueError("each HOTLINE_INTEGRATION_KEYS key needs at least 16 characters")
        return keys

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, url: str) -> str:
        if url and not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "HOTLINE_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
            )
        return url

    @property
    def effective_database_url(self) -> str:
        """The embedded default is a SQLite file under var/."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.var_dir / 'hotline.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    def effective_secret(self) -> str:
        """A stable secret: configured, or generated once and kept under var/."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _ConfigFileSource(settings_cls))


class _ConfigFileSource(PydanticBaseSettingsSource):
    """Optional YAML file named by HOTLINE_CONFIG_FILE; environment variables win over it."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        import os

        import yaml

        name = os.environ.get("HOTLINE_CONFIG_FILE")
        if not name:
            return {}
        data = yaml.safe_load(Path(name).read_text()) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{name}: expected a mapping of setting names to values")
        return data


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)
