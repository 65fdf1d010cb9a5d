"""A worker's steps run by hand on the in-memory unit of work: the messages its committed
events become, and each delivery handled as the worker handles it (the step, then the
commit)."""

from __future__ import annotations

from typing import Any

from engine.adapters.bus.base import Message
from engine.adapters.memory import InMemoryUnitOfWork


def published(uow: InMemoryUnitOfWork, name: str) -> list[Message]:
    """The committed events named `name`, as the bus delivers them."""
    return [
        Message(f"evt-{n}", event.name, event.payload(), "p")
        for n, event in enumerate(uow.committed_events)
        if event.name == name
    ]


def handled(observer: Any, uow: InMemoryUnitOfWork, messages: list[Message]) -> None:
    """Each delivery as the worker runs a step: the observer, then the commit."""
    for message in messages:
        with uow:
            if observer.wants(message):
                observer(message, uow)
            uow.commit()
