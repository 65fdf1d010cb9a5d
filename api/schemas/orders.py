"""Orders as channels send them and as the API shows them (summary and full detail)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from api.schemas.common import AddressOut, Country, Out, Problem, Strict
from api.schemas.inventory import TransferOut
from api.schemas.patterns import CURRENCY, EMAIL_OR_EMPTY, ID, SERVICE_LEVEL, SKU
from api.schemas.tickets import TicketOut
from engine.domain import commands
from engine.domain.fulfilment import FulfillmentOrder
from engine.domain.operations import AuditEntry, DecisionTrace
from engine.domain.orders import Fulfilment, InvalidLine, Order, OrderStatus, check_pickup

# A line's units wherever a request names them: a new order's line, an added line, a new
# quantity for an existing line. One bound, so none of them can store an absurd quantity
# (or one past SQLite's INTEGER, which failed with a 500).
Quantity = Annotated[int, Field(gt=0, le=100_000, examples=[2])]


class LineIn(Strict):
    sku: str = Field(pattern=SKU, examples=["SHOE-42"])
    quantity: Quantity
    price: Decimal | None = Field(
        default=None,
        strict=False,
        ge=0,
        le=1_000_000,
        decimal_places=2,
        description="Unit price; the catalogue price when omitted.",
        examples=["59.90"],
    )
    line_id: str | None = Field(default=None, pattern=ID, description="The channel's line id.")

    def to_command(self) -> commands.LineInput:
        return commands.LineInput(self.sku, self.quantity, self.price, self.line_id)


def refuse_repeated_line_ids(model: str, field: str, lines: Sequence[LineIn]) -> None:
    """Two lines of one request under one `line_id` are refused at the second one's path
    (`$.lines[1].line_id`): stored, the second would replace the first. Ids the order already
    has are the service layer's to refuse (`engine.domain.orders.check_line_ids`)."""
    first: dict[str, int] = {}
    errors: list[InitErrorDetails] = []
    for index, line in enumerate(lines):
        if line.line_id is None:
            continue
        if line.line_id not in first:
            first[line.line_id] = index
            continue
        message = (
            "line id '{line_id}' is already used by {field}[{first}]: each line needs its own "
            "id (choose another, or leave line_id out to have one assigned)"
        )
        context = {"line_id": line.line_id, "field": field, "first": first[line.line_id]}
        errors.append(
            InitErrorDetails(
                type=PydanticCustomError("line_id_repeated", message, context),
                loc=(field, index, "line_id"),
                input=line.line_id,
            )
        )
    if errors:
        raise ValidationError.from_exception_data(model, errors)


class ShipToIn(Strict):
    postal_code: str = Field(min_length=1, max_length=20, examples=["10001"])
    country: Country = "US"
    line1: str = Field(default="", max_length=200, examples=["350 5th Ave"])
    city: str = Field(default="", max_length=100, examples=["New York"])
    state: str = Field(default="", max_length=50, examples=["NY"])
    name: str = Field(default="", max_length=200, examples=["Ada Lovelace"])

    def to_command(self) -> commands.AddressInput:
        return commands.AddressInput(**self.model_dump())


class OrderIn(Strict):
    """One order as a sales channel sends it."""

    channel_order_id: str = Field(
        pattern=ID,
        description="The channel's own order id, unique per channel.",
        examples=["WEB-100234"],
    )
    channel: str | None = Field(
        default=None,
        pattern=ID,
        description="Channel keys may omit it (their own channel is used); admins must send it.",
        examples=["web"],
    )
    customer_id: str = Field(pattern=ID, examples=["C-1001"])
    email: str = Field(
        default="", max_length=254, pattern=EMAIL_OR_EMPTY, examples=["ada@example.com"]
    )
    ship_to: ShipToIn
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    currency: str = Field(
        default="USD", pattern=CURRENCY, description="ISO 4217, in capitals.", examples=["USD"]
    )
    service_level: str = Field(
        default="standard",
        pattern=SERVICE_LEVEL,
        description="The level the rules and the carriers' rate cards name (standard, two_day, "
        "next_day, overnight, same_day, ...); checked for shape only, since rulesets may "
        "define their own.",
        examples=["standard"],
    )
    requested_date: date | None = Field(default=None, strict=False)
    priority: int = Field(default=0, ge=-100, le=100)
    fulfilment: Fulfilment = Field(
        default=Fulfilment.SHIP,
        strict=False,
        description="`ship` to `ship_to`, or `pickup`: collected by the customer at "
        "`pickup_location` (click and collect); `ship_to` stays the customer's address.",
        examples=["pickup"],
    )
    pickup_location: str | None = Field(
        default=None,
        pattern=ID,
        description="The code of the store a `pickup` order is collected at: a location Ordo "
        "knows that offers `pickup`. Only with `fulfilment: pickup`, and required there.",
        examples=["NYC-STORE-5"],
    )

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "channel_order_id": "WEB-100234",
                    "customer_id": "C-1001",
                    "email": "ada@example.com",
                    "ship_to": {"postal_code": "10001", "country": "US", "city": "New York"},
                    "lines": [{"sku": "SHOE-42", "quantity": 1}, {"sku": "SOCK-M", "quantity": 3}],
                    "service_level": "standard",
                }
            ]
        },
    }

    @model_validator(mode="after")
    def _line_ids_differ(self) -> OrderIn:
        refuse_repeated_line_ids("OrderIn", "lines", self.lines)
        return self

    @model_validator(mode="after")
    def _pickup_has_a_store(self) -> OrderIn:
        # The domain's own check, answered at the field's path like any bad field; whether
        # the store exists and offers pickup is the service layer's to say.
        try:
            check_pickup(self.fulfilment, self.pickup_location)
        except InvalidLine as invalid:
            error = InitErrorDetails(
                type=PydanticCustomError("pickup_location", "{reason}", {"reason": invalid.reason}),
                loc=invalid.loc,
                input=self.pickup_location,
            )
            raise ValidationError.from_exception_data("OrderIn", [error]) from None
        return self

    def to_command(self, channel: str) -> commands.CreateOrder:
        return commands.CreateOrder(
            channel=channel,
            channel_order_id=self.channel_order_id,
            customer_id=self.customer_id,
            ship_to=self.ship_to.to_command(),
            lines=tuple(line.to_command() for line in self.lines),
            email=self.email,
            currency=self.currency,
            service_level=self.service_level,
            requested_date=self.requested_date,
            priority=self.priority,
            fulfilment=self.fulfilment.value,
            pickup_location=self.pickup_location,
        )


class BatchIn(Strict):
    # An order that is not a valid OrderIn still gets its own result (422 with the paths of
    # its bad fields) instead of failing the whole batch: hence "or any object".
    orders: list[OrderIn | dict[str, Any]] = Field(
        min_length=1,
        max_length=500,
        description="Orders as for POST /v1/orders (OrderIn); each is validated on its own.",
    )

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "orders": [
                        {
                            "channel_order_id": "WEB-100235",
                            "customer_id": "C-1001",
                            "ship_to": {"postal_code": "10001"},
                            "lines": [{"sku": "SHOE-42", "quantity": 1}],
                        },
                        {
                            "channel_order_id": "WEB-100236",
                            "customer_id": "C-1002",
                            "ship_to": {"postal_code": "94103"},
                            "lines": [{"sku": "SOCK-M", "quantity": 2}],
                        },
                    ]
                }
            ]
        },
    }


class KitOut(Out):
    sku: str = Field(description="The kit's SKU, as the order's line named it.")
    units: int = Field(description="Units of this line's component in one kit.")
    kits: int = Field(description="Kits ordered on the kit's line (`<line>` of `<line>.<n>`).")


class LineOut(Out):
    id: str
    sku: str
    quantity: int
    price: Decimal
    status: str
    quantity_shipped: int
    quantity_cancelled: int
    kit: KitOut | None = Field(
        default=None,
        description="For a line filed for one component of a kit (`<line>.<n>`), the kit it "
        "came from; null for any other line, and for a kit's part filed before Ordo kept it.",
    )


class HoldOut(Out):
    code: str
    message: str
    placed_at: datetime | None
    released_at: datetime | None
    released_by: str


class OrderOut(Out):
    id: str = Field(examples=["ord_7f3a9c2e41d0"])
    channel: str
    channel_order_id: str
    customer_id: str
    email: str
    status: OrderStatus
    currency: str
    total: Decimal = Field(
        description="The order's value as placed (price times units of every line), cancelled "
        "units included; a change to a line's quantity changes it.",
        examples=["129.90"],
    )
    total_cancelled: Decimal = Field(
        description="The value of the units cancelled since: the whole order, or a backordered "
        "remainder. What is still to be charged is `total` less this.",
        examples=["0.00"],
    )
    service_level: str
    priority: int
    created_at: datetime
    requested_date: date | None
    promised_date: date | None
    ship_to: AddressOut
    fulfilment: Fulfilment = Field(
        description="`ship`, or `pickup`: collected at `pickup_location` (click and collect)."
    )
    pickup_location: str | None = Field(
        description="The store a pickup order is collected at; null for a shipped order."
    )
    lines: list[LineOut]
    holds: list[HoldOut]

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls(
            id=order.id,
            channel=order.channel,
            channel_order_id=order.channel_order_id,
            customer_id=order.customer_id,
            email=order.email,
            status=order.status,
            currency=order.currency,
            total=order.total,
            total_cancelled=order.total_cancelled,
            service_level=order.service_level,
            priority=order.priority,
            created_at=order.created_at,
            requested_date=order.requested_date,
            promised_date=order.promised_date,
            ship_to=AddressOut.of(order.ship_to),
            fulfilment=order.fulfilment,
            pickup_location=order.pickup_location,
            lines=[
                LineOut(
                    id=line.id,
                    sku=line.sku,
                    quantity=line.quantity,
                    price=line.price,
                    status=str(line.status),
                    quantity_shipped=line.quantity_shipped,
                    quantity_cancelled=line.quantity_cancelled,
                    kit=(
                        KitOut(sku=line.kit.sku, units=line.kit.units, kits=line.kit.kits)
                        if line.kit
                        else None
                    ),
                )
                for line in order.lines
            ],
            holds=[
                HoldOut(
                    code=h.code,
                    message=h.message,
                    placed_at=h.placed_at,
                    released_at=h.released_at,
                    released_by=h.released_by,
                )
                for h in order.holds
            ],
        )


class ShipmentLineOut(Out):
    order_line_id: str
    sku: str
    quantity: int


class ParcelOut(Out):
    """One box of a packed shipment (docs/packaging.md), in the order it was packed."""

    box: str = Field(
        description="The box's code in the catalogue; empty for a unit shipped alone, in its "
        "own packaging.",
        examples=["MEDIUM"],
    )
    dimensions_cm: list[float] = Field(
        description="Its outer sides in cm, longest first.", examples=[[45.0, 35.0, 25.0]]
    )
    weight_kg: float = Field(description="Its gross weight: units and box.", examples=[5.55])
    billable_weight_kg: float | None = Field(
        description="What its carrier service bills it at (dimensional weight when more); "
        "null when no service could take the shipment.",
        examples=[7.875],
    )
    units: dict[str, int] = Field(
        description="The units of each SKU in it.", examples=[{"BOOTS": 2, "MUG": 1}]
    )
    tracking_number: str = Field(
        description="Its own tracking number, issued with the shipment's label; the first "
        "parcel's is the shipment's. Empty until a label is made.",
        examples=["PCL000123456789"],
    )
    milestone: str = Field(
        description="Its latest milestone (`delivered`, `out_for_delivery`...): of the "
        "latest scan naming it or the whole shipment, for a shipment tracked parcel by "
        "parcel; else the shipment's latest. Empty while no scan meant one.",
        examples=["delivered"],
    )
    milestone_at: datetime | None = Field(
        description="When the carrier saw that milestone; null while there is none.",
        examples=["2026-11-22T09:30:00Z"],
    )


class TrackingOut(Out):
    at: datetime
    code: str
    description: str
    location: str
    milestone: str = Field(
        description="What the scan means (in_transit, out_for_delivery, delivered, "
        "attempted, exception, returned; docs/api.md): the milestone its post gave, else "
        "what its code stands for; empty for a code Ordo does not know.",
        examples=["delivered"],
    )
    estimated_delivery: date | None = Field(
        description="The day the carrier expected to deliver as of this scan, when it said.",
        examples=["2026-11-25"],
    )
    tracking_number: str = Field(
        description="The parcel the scan is of, by its tracking number; empty for a scan "
        "of the whole shipment.",
        examples=["PCL000123456789"],
    )


class ShipmentOut(Out):
    id: str
    order_id: str
    location_code: str
    status: str
    carrier: str
    service: str
    rate: Decimal
    promised_date: date | None
    planned_ship_date: date | None = Field(
        description="The day its location is planned to ship it, as the decision that "
        "planned it said (the location's cut-off and handling time); null for a shipment "
        "planned before Ordo kept the day.",
        examples=["2026-11-23"],
    )
    tracking_number: str
    created_at: datetime = Field(
        description="When the shipment was planned (the order's sourcing); a location's work "
        "queue is oldest first by it.",
    )
    label_format: str = Field(
        description="The format of the label made for it (`pdf`, `zpl`); empty until one is "
        "made. The label itself: GET /v1/shipments/{id}/label.",
        examples=["pdf"],
    )
    wms_reference: str = Field(
        description="The id its location's warehouse system (WMS) gave it when Ordo sent it "
        "there on its release; empty while it was not sent, or the location has no WMS "
        "(docs/integrations.md).",
        examples=["WMS-000123"],
    )
    shipped_at: datetime | None
    delivered_at: datetime | None
    estimated_delivery: date | None = Field(
        description="The day the carrier expects to deliver: its latest scan's estimate "
        "(POST /v1/shipments/{id}/tracking); for a shipment tracked parcel by parcel, the "
        "latest of its parcels' estimates. Null while no scan gave one.",
        examples=["2026-11-25"],
    )
    lines: list[ShipmentLineOut]
    tracking: list[TrackingOut]
    parcels: list[ParcelOut] = Field(
        description="The boxes it was packed into, each labelled on its own; empty when it "
        "was not packed (no box catalogue, ORDO_PACKAGING_FILE): it ships as one parcel.",
    )

    @classmethod
    def of(cls, s: FulfillmentOrder) -> ShipmentOut:
        return cls(
            id=s.id,
            order_id=s.order_id,
            location_code=s.location_code,
            status=str(s.status),
            carrier=s.carrier,
            service=s.service,
            rate=s.rate,
            promised_date=s.promised_date,
            planned_ship_date=s.planned_ship_date,
            tracking_number=s.tracking_number,
            created_at=s.created_at,
            label_format=s.label_format,
            wms_reference=s.wms_reference,
            shipped_at=s.shipped_at,
            delivered_at=s.delivered_at,
            estimated_delivery=s.estimated_delivery,
            lines=[
                ShipmentLineOut(order_line_id=x.order_line_id, sku=x.sku, quantity=x.quantity)
                for x in s.lines
            ],
            tracking=[
                TrackingOut(
                    at=t.at,
                    code=t.code,
                    description=t.description,
                    location=t.location,
                    milestone=str(t.meaning or ""),
                    estimated_delivery=t.estimated_delivery,
                    tracking_number=t.tracking_number,
                )
                for t in s.tracking
            ],
            parcels=[
                ParcelOut(
                    box=p.box,
                    dimensions_cm=list(p.dimensions_cm),
                    weight_kg=p.weight_kg,
                    billable_weight_kg=p.billable_weight_kg,
                    units=dict(p.units),
                    tracking_number=p.tracking_number,
                    milestone=str(latest.meaning or "") if latest else "",
                    milestone_at=latest.at if latest else None,
                )
                for p, latest in zip(s.parcels, s.parcel_milestones(), strict=True)
            ],
        )


class TraceOut(Out):
    id: str
    step: str
    ruleset: str
    ruleset_version: int
    at: datetime
    outcome: str
    detail: dict[str, Any]

    @classmethod
    def of(cls, t: DecisionTrace) -> TraceOut:
        return cls(
            id=t.id,
            step=t.step,
            ruleset=t.ruleset,
            ruleset_version=t.ruleset_version,
            at=t.at,
            outcome=t.outcome,
            detail=dict(t.detail),
        )


class HistoryOut(Out):
    """One thing that happened to the order: who did what, with before/after."""

    at: datetime
    actor: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]

    @classmethod
    def of(cls, e: AuditEntry) -> HistoryOut:
        return cls(
            at=e.at, actor=e.actor, action=e.action, before=dict(e.before), after=dict(e.after)
        )


class OrderDetail(OrderOut):
    shipments: list[ShipmentOut]
    events: list[HistoryOut]
    trace: list[TraceOut]
    tickets: list[TicketOut] = Field(
        description="Helpdesk tickets opened about the order (POST /v1/orders/{id}/tickets), "
        "oldest first; listed for the roles that may open them (admin, support), empty for "
        "the others."
    )
    transfers: list[TransferOut] = Field(
        default_factory=list,
        description="Ship to store: the transfers bringing a pickup order's missing units to "
        "its store, by expected arrival (in transit, received, or cancelled).",
    )


class CancelIn(Strict):
    reason: str = Field(min_length=1, max_length=500, examples=["customer changed their mind"])


class CancelBackorderedIn(Strict):
    """Units of the backordered lines to cancel; without `lines`, every unit that waits."""

    reason: str = Field(min_length=1, max_length=500, examples=["customer no longer wants to wait"])
    lines: dict[str, Quantity] | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="line id -> units of its backordered remainder to cancel (1 to the units "
        "that wait); omitted or null: every unit of every backordered line that waits",
        examples=[{"2": 1}],
    )

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {"reason": "customer no longer wants to wait", "lines": {"2": 1}},
                {"reason": "customer no longer wants to wait"},
            ]
        },
    }


class ModifyIn(Strict):
    """At least one change; a line is either removed or given a new quantity, not both
    (the service layer refuses either with 422, as it does for any caller). Whether a
    `fulfilment` and `pickup_location` fit together depends on the order (a pickup keeps its
    store), so the service layer says that too, at `$.pickup_location`."""

    quantities: dict[str, Quantity] = Field(
        default_factory=dict, description="line id -> new quantity (1 to 100000, as for a line)"
    )
    ship_to: ShipToIn | None = None
    add_lines: list[LineIn] = Field(
        default_factory=list,
        max_length=500,
        description="New lines; a `line_id` must be new to the order (numbered when omitted), "
        "and the SKU in the catalogue.",
    )
    remove_lines: list[str] = Field(default_factory=list, max_length=500)
    kits: dict[str, Quantity] = Field(
        default_factory=dict,
        description="kit line id (`7`, filed as its parts `7.1`, `7.2`) -> the kits it is to "
        "order, more than it did: each part gains its units per kit for each kit added. Kits "
        "are taken off by lowering or removing the parts.",
        examples=[{"7": 4}],
    )
    fulfilment: Fulfilment | None = Field(
        default=None,
        strict=False,
        description="Switch to `ship` (to `ship_to`) or to `pickup` at `pickup_location` "
        "(click and collect); omitted: as it is.",
        examples=["pickup"],
    )
    pickup_location: str | None = Field(
        default=None,
        pattern=ID,
        description="The store to collect the order at: with `fulfilment: pickup`, or alone "
        "to move a pickup to another store; a location Ordo knows that offers `pickup`.",
        examples=["NYC-STORE-5"],
    )

    @model_validator(mode="after")
    def _line_ids_differ(self) -> ModifyIn:
        refuse_repeated_line_ids("ModifyIn", "add_lines", self.add_lines)
        return self


class BatchItem(Out):
    """One order's own result inside a batch: its status code and the order or the problem."""

    index: int
    channel_order_id: str
    status: int = Field(examples=[201])
    order: OrderOut | None = None
    problem: Problem | None = None


class BatchOut(Out):
    created: int
    failed: int
    results: list[BatchItem]
