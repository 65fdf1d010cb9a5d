"""Handing commands to the service layer: the one place routes reach the message bus."""

from __future__ import annotations

from typing import Any

from api.deps import ApiServices
from engine.domain.commands import Command


class BusNotWired(RuntimeError):
    """The container has no message bus; the composition root must set `container.bus`."""


def dispatch(services: ApiServices, command: Command) -> Any:
    bus = services.container.bus
    if bus is None:
        raise BusNotWired("container.bus is not set; ordo.bootstrap must wire the message bus")
    return bus.handle(command)
