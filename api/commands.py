"""Handing commands to the service layer: the one place routes reach the message bus."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError

from api.deps import ApiServices
from engine.domain.commands import Command
from engine.domain.errors import Conflict
from engine.service_layer.unit_of_work import UnitOfWork


def dispatch(
    services: ApiServices,
    command: Command,
    audit: Callable[[UnitOfWork], None] | None = None,
) -> Any:
    """Run `command` and every event it causes; returns the command handler's result.
    `audit` writes the request's audit entry inside the command's own commit, so the change
    and its entry are written together or not at all."""
    try:
        return services.container.bus.handle(command, before_commit=audit)
    except IntegrityError as error:
        # Two requests raced past a handler's existence check; the database's unique key
        # stopped the second. Same meaning as the check itself: a conflict, not a crash.
        raise Conflict(
            f"{type(command).__name__} conflicts with a record written at the same moment "
            "(a duplicate id); nothing was changed"
        ) from error
