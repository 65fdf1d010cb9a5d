"""Ticketing connectors: helpdesks and issue trackers that Ordo opens tickets in (`zendesk`).

`build_ticketing` turns the configured connector (ORDO_TICKETING and its options) into a
connector, checked against its own settings model. Zendesk is built in; a plugin's connector
registered through the `ordo.connectors` entry point (`connectors.base`) is found too, though
the settings name only zendesk so far.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from connectors.base import ConnectorRegistry, Ticketing
from connectors.ticketing.zendesk import ZendeskTicketing


class TicketingSettingsError(ValueError):
    """Options that build no connector: `field` names the option at fault ("" for the
    connector itself) and the message says what is wrong, never quoting a value that may be
    the token."""

    def __init__(self, field: str, message: str, missing: bool = False) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.reason = message
        self.missing = missing


def build_ticketing(slug: str, options: Mapping[str, Any]) -> Ticketing:
    """The ticketing connector `slug` (zendesk, or a plugin's), built with `options`."""
    registry = ConnectorRegistry()
    registry.register(ZendeskTicketing)
    registry.load_entry_points()
    try:
        connector = registry.build(Ticketing.kind, slug, options)
    except LookupError as error:
        raise TicketingSettingsError("", str(error)) from None
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        if first["type"] == "missing":
            raise TicketingSettingsError(field, "is required", missing=True) from None
        if first["type"] == "extra_forbidden":
            raise TicketingSettingsError(field, f"is not a setting of {slug}") from None
        message = str(first["msg"]).removeprefix("Value error, ")
        raise TicketingSettingsError(field, message) from None
    assert isinstance(connector, Ticketing)  # registered under the ticketing kind
    return connector
