"""Event buses: one interface (`EventBus`), an in-process default and Redis Streams.

Only the in-process bus is imported here; the Redis one is imported by the composition root
when `ORDO_REDIS_URL` is set, so a default install never touches the `redis` package.
"""

from __future__ import annotations

from engine.adapters.bus.base import DeadLetter, EventBus, Message
from engine.adapters.bus.memory import InProcessBus

__all__ = ["DeadLetter", "EventBus", "InProcessBus", "Message"]
