"""The live path's event stream: versioned events with sequence numbers, and the bus that
carries them from the command service to its subscribers (docs/events.md)."""

from app.events.bus import EventBus, InProcessBus, Subscription
from app.events.model import Event

__all__ = ["Event", "EventBus", "InProcessBus", "Subscription"]
