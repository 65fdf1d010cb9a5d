"""Domain errors: the one hierarchy every layer maps to a clear message (and the API to HTTP)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable


class DomainError(Exception):
    """A request the domain refuses; the message is written for the person who made it."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IllegalTransition(DomainError):
    code = "illegal_transition"

    def __init__(
        self, entity: str, entity_id: str, current: str, target: str, hint: str = ""
    ) -> None:
        """`hint`: what the caller can do instead, appended to the message."""
        refused = f"{entity} {entity_id} cannot go from '{current}' to '{target}'"
        super().__init__(f"{refused}; {hint}" if hint else refused)
        self.current = current
        self.target = target


class NotFound(DomainError):
    code = "not_found"

    def __init__(self, entity: str, key: str) -> None:
        super().__init__(f"{entity} '{key}' does not exist")
        self.entity = entity
        self.key = key


class InsufficientStock(DomainError):
    code = "insufficient_stock"

    def __init__(self, sku: str, location: str, requested: int, available: int) -> None:
        super().__init__(
            f"only {available} of SKU {sku} available at {location}, {requested} requested"
        )
        self.sku = sku
        self.location = location
        self.requested = requested
        self.available = available


class InvalidQuantity(DomainError):
    code = "invalid_quantity"


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate key, a finished order...)."""

    code = "conflict"


class Unavailable(DomainError):
    """An outside system the request needs (a carrier's API buying a label) did not answer,
    or failed on its side: nothing is wrong with the request, so it may be sent again
    shortly (the API's 503, with `Retry-After`)."""

    code = "unavailable"
    retry_after_seconds = 30


class AlreadyExists(Conflict):
    """A record was to be created under a key a stored one already has: `keys`, the keys of
    `entity` the refused write was creating (one of them clashed). Told apart from other
    conflicts for a create-or-replace that found the key free when it read it: another
    request has created the record since, and replacing it is what its caller asked for."""

    def __init__(self, message: str, entity: str, keys: Iterable[Hashable]) -> None:
        super().__init__(message)
        self.entity = entity
        self.keys = tuple(keys)
