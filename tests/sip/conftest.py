"""The SIP tier runs its calls on SQLite only: its subject is SIP and media, and what the calls
write goes through the same repositories the e2e tier runs on both databases. (Halves the
tier's time: every call test would otherwise run twice, for the same SIP.)"""

from __future__ import annotations

import pytest


@pytest.fixture
def db_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url"))
