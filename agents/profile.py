"""Agent profile: who an agent is, as far as routing cares.

The profile is input from the adapter (built from the staff record at login). It is static
data; what the agent is doing right now lives in :class:`agents.state.Presence`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

VOICE = "voice"
CHAT = "chat"
# Outbound care and win-back work (docs/care.md). A task occupies the agent like a call:
# one at a time, never beside a call or chats (docs/routing-policy.md, "Capacity").
TASK = "task"
CHANNELS = frozenset({VOICE, CHAT, TASK})
SENIOR_TAG = "senior"
MIN_PROFICIENCY = 1
MAX_PROFICIENCY = 5


class InvalidAgent(ValueError):
    """An agent profile that cannot be routed to (bad proficiency, channel, capacity)."""

    status_code = 422


@dataclass(frozen=True, slots=True)
class Agent:
    """A call agent's routing profile.

    Attributes:
        id: stable agent id (the staff id).
        name: display name, used in routing explanations.
        skills: skill name -> proficiency 1..5.
        languages: languages the agent speaks (e.g. ``{"en", "de"}``).
        team: team name, used by ``team`` escalation steps and ``{team: ...}`` preferences.
        senior: senior agents serve the ``senior`` escalation step. A ``"senior"`` tag counts
            too, so the adapter can map either a flag or a tag.
        tags: free-form tags.
        channels: channels the agent handles, subset of ``{"voice", "chat", "task"}``.
        chat_capacity: how many chats at once (ignored if ``"chat"`` not in channels).
        idle_since: when the agent last finished work (seconds); ``None`` = login time.
        contacts_today: contacts handled today, the last tie-breaker in selection.
    """

    id: str
    name: str
    skills: Mapping[str, int] = field(default_factory=dict)
    languages: frozenset[str] = frozenset()
    team: str | None = None
    senior: bool = False
    tags: frozenset[str] = frozenset()
    channels: frozenset[str] = CHANNELS
    chat_capacity: int = 2
    idle_since: float | None = None
    contacts_today: int = 0

    def __post_init__(self) -> None:
        # Accept lists/sets from the adapter but keep the profile immutable.
        object.__setattr__(self, "skills", dict(self.skills))
        object.__setattr__(self, "languages", _frozen(self.languages))
        object.__setattr__(self, "tags", _frozen(self.tags))
        object.__setattr__(self, "channels", _frozen(self.channels))
        if not self.id:
            raise InvalidAgent("agent id must not be empty")
        for skill, level in self.skills.items():
            if not isinstance(level, int) or not MIN_PROFICIENCY <= level <= MAX_PROFICIENCY:
                raise InvalidAgent(
                    f"agent {self.id!r} skill {skill!r}: proficiency must be 1..5, got {level!r}"
                )
        unknown = self.channels - CHANNELS
        if unknown:
            raise InvalidAgent(f"agent {self.id!r}: unknown channel(s) {sorted(unknown)}")
        if self.chat_capacity < 0:
            raise InvalidAgent(f"agent {self.id!r}: chat_capacity must be >= 0")

    @property
    def is_senior(self) -> bool:
        """True for senior agents (``senior: true`` or a ``senior`` tag)."""
        return self.senior or SENIOR_TAG in self.tags

    @property
    def takes_voice(self) -> bool:
        return VOICE in self.channels

    @property
    def takes_tasks(self) -> bool:
        return TASK in self.channels

    @property
    def max_chats(self) -> int:
        """Chat capacity, 0 if the agent does not handle chat."""
        return self.chat_capacity if CHAT in self.channels else 0


def _frozen(values: Iterable[str] | str) -> frozenset[str]:
    if isinstance(values, str):  # a lone "en" must not become {"e", "n"}
        return frozenset({values})
    return frozenset(values)
