"""Who is calling: API keys, the principal a request acts as, and idempotency records.

Plain dataclasses like the rest of the domain. A key's secret is never stored, only its
keyed hash; the principal carries the role and the scopes (channel, locations, customer)
that narrow what the role may touch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    SUPPORT = "support"
    WAREHOUSE = "warehouse"
    CHANNEL = "channel"
    CUSTOMER = "customer"


@dataclass(slots=True)
class ApiKey:
    """A credential issued to a person or a system; `secret_hash` is HMAC-SHA256 of the secret."""

    id: str
    name: str
    role: Role
    secret_hash: str
    created_at: datetime
    created_by: str = "system"
    # The channel a channel key ingests for; the locations a warehouse key works; the customer
    # a customer key belongs to. Empty for roles that are not narrowed.
    channel: str = ""
    locations: tuple[str, ...] = ()
    customer_id: str = ""
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller a request acts as, after its key or token was checked."""

    key_id: str
    name: str
    role: Role
    channel: str = ""
    locations: tuple[str, ...] = ()
    customer_id: str = ""

    @property
    def actor(self) -> str:
        """How the audit log and the domain name this caller."""
        return f"{self.role}:{self.name}"


class IdempotencyState(StrEnum):
    IN_FLIGHT = "in_flight"
    DONE = "done"


@dataclass(slots=True)
class IdempotencyRecord:
    """The first response to a request sent with an `Idempotency-Key`, replayed on retries."""

    key: str
    owner: str
    request_hash: str
    created_at: datetime
    state: IdempotencyState = IdempotencyState.IN_FLIGHT
    status_code: int = 0
    response: dict[str, object] = field(default_factory=dict)
    completed_at: datetime | None = None
