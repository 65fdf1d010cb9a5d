"""Handing commands to the service layer: the one place routes reach the message bus."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from api.deps import ApiServices
from engine.domain.commands import Command
from engine.domain.errors import Conflict


class BusNotWired(RuntimeError):
    """The container has no message bus; the composition root must set `container.bus`."""


def dispatch(services: ApiServices, command: Command) -> Any:
    """Run `command` and every event it causes; returns the command handler's result."""
    bus = services.container.bus
    if bus is None:
        raise BusNotWired("container.bus is not set; ordo.bootstrap must wire the message bus")
    try:
        return bus.handle(command)
    except IntegrityError as error:
        # Two requests raced past a handler's existence check; the database's unique key
        # stopped the second. Same meaning as the check itself: a conflict, not a crash.
        raise Conflict(
            f"{type(command).__name__} conflicts with a record written at the same moment "
            "(a duplicate id); nothing was changed"
        ) from error
