"""Shipment updates, alerts, audit entries, API keys and tokens as the API shows them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from api.schemas.common import IsoDate, Out, Strict, UtcDateTime
from api.schemas.orders import ShipmentOut
from api.schemas.patterns import CODE, ID_OR_EMPTY, SKU_OR_EMPTY
from engine.domain import commands
from engine.domain.access import ApiKey, Principal, Role
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.operations import Alert, AlertStatus, AuditEntry
from engine.domain.tracking_codes import Milestone


class ReportedStatus(StrEnum):
    """What a location reports about a shipment. `pending` and `released` are Ordo's to set
    (with the order's release), and a shipment is cancelled with its order, so neither is
    offered here."""

    PICKED = ShipmentStatus.PICKED.value
    PACKED = ShipmentStatus.PACKED.value
    SHIPPED = ShipmentStatus.SHIPPED.value
    DELIVERED = ShipmentStatus.DELIVERED.value


_NOT_REPORTED = {
    ShipmentStatus.PENDING.value: "is set by Ordo, not reported",
    ShipmentStatus.RELEASED.value: "is set when the order is released (automatically, or by "
    "POST /v1/orders/{id}/release when releases are manual), not reported",
    ShipmentStatus.CANCELLED.value: "is not reported: a shipment is cancelled with its order "
    "(POST /v1/orders/{id}/cancel before release)",
}


def _reported(value: object) -> object:
    """The statuses a location may not report are refused saying who sets them, rather than
    with the bare list of the others."""
    if isinstance(value, str) and value in _NOT_REPORTED:
        allowed = ", ".join(status.value for status in ReportedStatus)
        raise PydanticCustomError(
            "shipment_status_not_reported",
            f"'{value}' {_NOT_REPORTED[value]}; a location reports one of {allowed}",
        )
    return value


class ShipmentStatusIn(Strict):
    status: Annotated[ReportedStatus, BeforeValidator(_reported)] = Field(
        strict=False, examples=["shipped"]
    )
    tracking_number: str = Field(default="", max_length=100, examples=["1Z999AA10123456784"])


def _milestone(value: object) -> object:
    """A milestone Ordo does not know is refused with the list of those it does, in words."""
    if value is not None and value not in {m.value for m in Milestone}:
        allowed = ", ".join(m.value for m in Milestone)
        raise PydanticCustomError(
            "tracking_milestone", f"must be one of {allowed}; got {{got}}", {"got": repr(value)}
        )
    return value


def _day_as_text(value: object) -> object:
    """A day is JSON text: pydantic would read a number as a moment since the epoch."""
    if value is not None and not isinstance(value, str):
        raise PydanticCustomError(
            "date_type", "must be an ISO 8601 date such as 2026-11-21, as text; got {got}",
            {"got": repr(value)},
        )  # fmt: skip
    return value


class TrackingIn(Strict):
    at: UtcDateTime = Field(
        strict=False,
        description="When the carrier saw it. A time without an offset is UTC.",
        examples=["2026-11-22T09:30:00Z"],
    )
    code: str = Field(min_length=1, max_length=50, examples=["in_transit"])
    description: str = Field(default="", max_length=500)
    location: str = Field(default="", max_length=200)
    milestone: Annotated[Milestone | None, BeforeValidator(_milestone)] = Field(
        default=None,
        strict=False,
        description="What the scan means, for a code Ordo does not read one from (the "
        "code table is in docs/api.md, Shipment tracking): one of "
        + ", ".join(m.value for m in Milestone)
        + ". A `delivered` scan delivers a shipped shipment; `attempted` and `exception` "
        "raise `shipment.delivery_exception`. Kept with the scan on the timeline.",
        examples=["attempted"],
    )
    estimated_delivery: Annotated[date | None, IsoDate, BeforeValidator(_day_as_text)] = Field(
        default=None,
        strict=False,
        description="The day the carrier expects to deliver, as of this scan (a day, "
        "2026-11-25). The shipment's estimate is its latest scan's that gave one; one past "
        "the promised date raises `shipment.delivery_estimate_slipped` and tells the "
        "customer, once per slip.",
        examples=["2026-11-25"],
    )
    tracking_number: str = Field(
        default="",
        max_length=64,
        description="The parcel the scan is of, for a shipment packed into several (its "
        "`parcels`, each with its own tracking number): one of its parcels' numbers, else "
        "422. A shipment of several parcels is delivered once each has a `delivered` scan; a "
        "scan without it is of the whole shipment (a `delivered` one delivers it all). "
        "Kept with the scan; a one-parcel or unpacked shipment takes its own number here.",
        examples=["PCL000123456789"],
    )


class ShortLineIn(Strict):
    """One line of the shipment and the units the location could not find; the line named by
    its `order_line_id`, or by its `sku` when the shipment carries that SKU on one line only."""

    order_line_id: str = Field(default="", pattern=ID_OR_EMPTY, examples=["1"])
    sku: str = Field(default="", pattern=SKU_OR_EMPTY, examples=["SHOE-42"])
    missing: int = Field(
        ge=1,
        le=100_000,
        description="Units not found: at least 1, at most what the shipment's line carries.",
        examples=[2],
    )

    @model_validator(mode="after")
    def _names_a_line(self) -> ShortLineIn:
        if not self.order_line_id and not self.sku:
            raise PydanticCustomError(
                "short_line_unnamed", "names no line: give its order_line_id or its sku"
            )
        return self

    def to_command(self) -> commands.ShortLineInput:
        return commands.ShortLineInput(self.missing, self.order_line_id, self.sku)


class ShortPickIn(Strict):
    """What a location could not find of a shipment it is picking."""

    reason: str = Field(min_length=1, max_length=500, examples=["not in its bin"])
    lines: list[ShortLineIn] = Field(min_length=1, max_length=500)

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {"reason": "not in its bin", "lines": [{"order_line_id": "1", "missing": 2}]},
                {"reason": "damaged", "lines": [{"sku": "SHOE-42", "missing": 1}]},
            ]
        },
    }


class ShortPickOut(Out):
    shipment: ShipmentOut = Field(
        description="The short shipment as it now stands: its lines without the missing "
        "units, `cancelled` when none were left."
    )
    new_shipments: list[ShipmentOut] = Field(
        description="The order's new shipments that carry the missing units now, from other "
        "locations, released as its others were; a warehouse key sees those of its own "
        "locations only."
    )
    resourced: dict[str, int] = Field(
        description="Order line id -> units sourced again in the new shipments.",
        examples=[{"1": 2}],
    )
    backordered: dict[str, int] = Field(
        description="Order line id -> units of the order that wait for stock now (served "
        "when stock arrives, like any backordered remainder); empty when nothing waits.",
        examples=[{}],
    )


class AlertOut(Out):
    id: str
    rule: str
    severity: str
    key: str
    message: str
    status: AlertStatus
    created_at: datetime
    occurrences: int
    last_seen_at: datetime | None
    acknowledged_by: str
    acknowledged_at: datetime | None
    ticket_id: str | None = Field(
        description="The ticket opened for it in the helpdesk (ORDO_TICKETING), by that "
        "system's id; null while none was opened (tickets off, or below "
        "ORDO_TICKET_MIN_SEVERITY).",
        examples=["35436"],
    )
    closed_by: str = Field(
        description="Who closed it: a person's actor, `system` when the worker closed it "
        "(acknowledged and quiet for ORDO_ALERT_CLOSE_AFTER_HOURS), `connector:<helpdesk>` "
        "when its ticket was closed there; empty while it is not closed.",
        examples=["user:ada@shop.example"],
    )
    closed_at: datetime | None

    @classmethod
    def of(cls, a: Alert) -> AlertOut:
        return cls(
            id=a.id,
            rule=a.rule,
            severity=a.severity,
            key=a.key,
            message=a.message,
            status=a.status,
            created_at=a.created_at,
            occurrences=a.occurrences,
            last_seen_at=a.last_seen_at,
            acknowledged_by=a.acknowledged_by,
            acknowledged_at=a.acknowledged_at,
            ticket_id=a.ticket_id,
            closed_by=a.closed_by,
            closed_at=a.closed_at,
        )


class AlertCloseIn(Strict):
    note: str = Field(
        default="",
        max_length=1000,
        description="Why it is over, for the audit log, `alert.closed` and the alert's "
        "helpdesk ticket (an internal note); optional.",
        examples=["reordered from the supplier; stock arrives Monday"],
    )


class AuditOut(Out):
    id: str
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any]
    after: dict[str, Any]

    @classmethod
    def of(cls, e: AuditEntry) -> AuditOut:
        return cls(
            id=e.id,
            at=e.at,
            actor=e.actor,
            action=e.action,
            entity=e.entity,
            entity_id=e.entity_id,
            before=dict(e.before),
            after=dict(e.after),
        )


class KeyIn(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["webshop"])
    role: Role = Field(strict=False, examples=["channel"])
    # The same shapes as the orders a key's scope stamps or matches: a channel key's orders
    # carry its channel, which an order's own `channel` field could not have held otherwise.
    channel: str = Field(
        default="",
        pattern=ID_OR_EMPTY,
        description="Required for role channel.",
        examples=["web"],
    )
    locations: list[Annotated[str, Field(pattern=CODE)]] = Field(
        default_factory=list,
        max_length=100,
        description="Required for role warehouse: codes of existing locations.",
    )
    customer_id: str = Field(
        default="",
        pattern=ID_OR_EMPTY,
        description="Required for role customer: a customer Ordo has, or who has orders.",
    )


class KeyOut(Out):
    id: str
    name: str
    role: Role
    channel: str
    locations: list[str]
    customer_id: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None

    @classmethod
    def of(cls, k: ApiKey) -> KeyOut:
        return cls(
            id=k.id,
            name=k.name,
            role=k.role,
            channel=k.channel,
            locations=list(k.locations),
            customer_id=k.customer_id,
            created_at=k.created_at,
            created_by=k.created_by,
            revoked_at=k.revoked_at,
        )


class KeyCreated(KeyOut):
    api_key: str = Field(description="The key itself. Shown once: Ordo stores only its hash.")


class TokenIn(Strict):
    ttl_seconds: int = Field(default=900, ge=60, le=86_400)


class TokenOut(Out):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class PrincipalOut(Out):
    key_id: str
    name: str
    role: Role
    channel: str
    locations: list[str]
    customer_id: str

    @classmethod
    def of(cls, p: Principal) -> PrincipalOut:
        return cls(
            key_id=p.key_id,
            name=p.name,
            role=p.role,
            channel=p.channel,
            locations=list(p.locations),
            customer_id=p.customer_id,
        )


LOCATION_CODE = CODE
