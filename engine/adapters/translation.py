"""Rows to domain entities and back, one pair of functions per entity.

Explicit translation keeps the domain free of SQLAlchemy. The functions are plain and
symmetric: `x_from(x_row(entity)) == entity` for every entity, which the round-trip tests
check on both databases. Value objects and small child lists become JSON-ready dicts here.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from engine.domain.catalog import Customer, Location, LocationType, Product, Service
from engine.domain.fulfilment import (
    FulfillmentOrder,
    Label,
    Parcel,
    Return,
    ReturnLine,
    ReturnStatus,
    ShipmentLine,
    ShipmentStatus,
    TrackingEvent,
)
from engine.domain.inventory import (
    InboundKind,
    InboundSupply,
    Reservation,
    ReservationStatus,
    Stock,
)
from engine.domain.operations import (
    Alert,
    AlertStatus,
    AuditEntry,
    DecisionTrace,
    RulesetStatus,
    RulesetVersion,
    Ticket,
    TicketStatus,
)
from engine.domain.orders import (
    Fulfilment,
    Hold,
    KitShape,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
)
from engine.domain.tracking_codes import Milestone
from engine.domain.values import Address, Dimensions

Row = dict[str, Any]


def show_key(key: object) -> str:
    return "/".join(map(str, key)) if isinstance(key, tuple) else str(key)


def db_reason(exc: IntegrityError) -> str:
    """The database's own one-line reason, without SQL or parameters."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return " ".join(text.split("\n")[0].split())


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def address_json(address: Address) -> Row:
    # Spelled out: dataclasses.asdict deep-copies and is the slowest part of saving an order.
    return {
        "postal_code": address.postal_code,
        "country": address.country,
        "line1": address.line1,
        "city": address.city,
        "state": address.state,
        "name": address.name,
        "lat": address.lat,
        "lon": address.lon,
    }


def address_from(data: Row) -> Address:
    return Address(**data)


# --- orders ---------------------------------------------------------------------------------


def order_row(order: Order) -> Row:
    return {
        "id": order.id,
        "channel": order.channel,
        "channel_order_id": order.channel_order_id,
        "customer_id": order.customer_id,
        "email": order.email,
        "email_lower": order.email.lower(),
        "currency": order.currency,
        "service_level": order.service_level,
        "requested_date": order.requested_date,
        "promised_date": order.promised_date,
        "priority": order.priority,
        "status": str(order.status),
        "ship_to": address_json(order.ship_to),
        "holds": [
            {
                "code": h.code,
                "message": h.message,
                "placed_at": _iso(h.placed_at),
                "released_at": _iso(h.released_at),
                "released_by": h.released_by,
            }
            for h in order.holds
        ],
        "version": order.version,
        "created_at": order.created_at,
        "fulfilment": order.fulfilment.value,
        "pickup_location": order.pickup_location,
    }


def order_line_rows(order: Order) -> list[Row]:
    return [
        {
            "order_id": order.id,
            "id": line.id,
            "position": position,
            "sku": line.sku,
            "quantity": line.quantity,
            "price": line.price,
            "status": str(line.status),
            "quantity_shipped": line.quantity_shipped,
            "quantity_cancelled": line.quantity_cancelled,
            "kit_sku": line.kit.sku if line.kit else None,
            "kit_units": line.kit.units if line.kit else None,
            "kit_kits": line.kit.kits if line.kit else None,
        }
        for position, line in enumerate(order.lines)
    ]


def _kit_shape(row: Row) -> KitShape | None:
    """A kit part's shape; None for a line that is none (or was filed before it was kept)."""
    if row.get("kit_sku") is None:
        return None
    return KitShape(row["kit_sku"], row["kit_units"], row["kit_kits"])


def order_from(row: Row, line_rows: list[Row]) -> Order:
    lines = [
        OrderLine(
            id=r["id"],
            sku=r["sku"],
            quantity=r["quantity"],
            price=r["price"],
            status=LineStatus(r["status"]),
            quantity_shipped=r["quantity_shipped"],
            quantity_cancelled=r["quantity_cancelled"],
            kit=_kit_shape(r),
        )
        for r in line_rows
    ]
    holds = [
        Hold(
            code=h["code"],
            message=h["message"],
            placed_at=_dt(h["placed_at"]),
            released_at=_dt(h["released_at"]),
            released_by=h["released_by"],
        )
        for h in row["holds"]
    ]
    return Order(
        id=row["id"],
        channel=row["channel"],
        channel_order_id=row["channel_order_id"],
        customer_id=row["customer_id"],
        ship_to=address_from(row["ship_to"]),
        lines=lines,
        created_at=row["created_at"],
        email=row["email"],
        currency=row["currency"],
        service_level=row["service_level"],
        requested_date=row["requested_date"],
        promised_date=row["promised_date"],
        priority=row["priority"],
        status=OrderStatus(row["status"]),
        holds=holds,
        version=row["version"],
        fulfilment=Fulfilment(row["fulfilment"]),
        pickup_location=row["pickup_location"],
    )


# --- catalogue ------------------------------------------------------------------------------


def product_row(p: Product) -> Row:
    return {
        "sku": p.sku,
        "name": p.name,
        "price": p.price,
        "weight_kg": p.weight_kg,
        "dimensions": {
            "length_cm": p.dimensions.length_cm,
            "width_cm": p.dimensions.width_cm,
            "height_cm": p.dimensions.height_cm,
        },
        "hazmat": p.hazmat,
        "category": p.category,
        "tags": sorted(p.tags),
        "attributes": dict(p.attributes),
        "preorder_release": p.preorder_release,
        "dropship_vendor": p.dropship_vendor,
        "kit_components": dict(p.kit_components),
    }


def product_from(r: Row) -> Product:
    return Product(
        sku=r["sku"],
        name=r["name"],
        price=r["price"],
        weight_kg=float(r["weight_kg"]),
        dimensions=Dimensions(**r["dimensions"]),
        hazmat=r["hazmat"],
        category=r["category"],
        tags=frozenset(r["tags"]),
        attributes=dict(r["attributes"]),
        preorder_release=r["preorder_release"],
        dropship_vendor=r["dropship_vendor"],
        kit_components={k: int(v) for k, v in r["kit_components"].items()},
    )


def location_row(loc: Location) -> Row:
    return {
        "code": loc.code,
        "name": loc.name,
        "type": str(loc.type),
        "address": address_json(loc.address),
        "daily_capacity": loc.daily_capacity,
        "cutoff": loc.cutoff,
        "tags": sorted(loc.tags),
        "services": sorted(str(s) for s in loc.services),
        "enabled": loc.enabled,
    }


def location_from(r: Row) -> Location:
    return Location(
        code=r["code"],
        name=r["name"],
        type=LocationType(r["type"]),
        address=address_from(r["address"]),
        daily_capacity=r["daily_capacity"],
        cutoff=r["cutoff"],
        tags=frozenset(r["tags"]),
        services=frozenset(Service(s) for s in r["services"]),
        enabled=r["enabled"],
    )


def customer_row(c: Customer) -> Row:
    return {
        "id": c.id,
        "email": c.email,
        "name": c.name,
        "tier": c.tier,
        "group_name": c.group,
        "default_address": None if c.default_address is None else address_json(c.default_address),
    }


def customer_from(r: Row) -> Customer:
    address = r["default_address"]
    return Customer(
        id=r["id"],
        email=r["email"],
        name=r["name"],
        tier=r["tier"],
        group=r["group_name"],
        default_address=None if address is None else address_from(address),
    )


# --- inventory ------------------------------------------------------------------------------


def stock_row(s: Stock) -> Row:
    return {
        "sku": s.sku,
        "location_code": s.location_code,
        "on_hand": s.on_hand,
        "reserved": s.reserved,
        "safety_stock": s.safety_stock,
        "reorder_point": s.reorder_point,
        "version": s.version,
    }


def allocation_rows(s: Stock) -> list[Row]:
    return [
        {"sku": s.sku, "location_code": s.location_code, "channel": channel, "units": units}
        for channel, units in sorted(s.channel_allocations.items())
    ]


def stock_from(r: Row, allocations: list[Row]) -> Stock:
    return Stock(
        sku=r["sku"],
        location_code=r["location_code"],
        on_hand=r["on_hand"],
        reserved=r["reserved"],
        safety_stock=r["safety_stock"],
        channel_allocations={a["channel"]: a["units"] for a in allocations},
        reorder_point=r["reorder_point"],
        version=r["version"],
    )


def inbound_row(i: InboundSupply) -> Row:
    return {
        "id": i.id,
        "sku": i.sku,
        "location_code": i.location_code,
        "quantity": i.quantity,
        "expected_on": i.expected_on,
        "kind": str(i.kind),
        "reference": i.reference,
        "received": i.received,
        "order_id": i.order_id,
        "cancelled": i.cancelled,
        "wms_reference": i.wms_reference,
        "shipped_at": i.shipped_at,
        "carrier": i.carrier,
        "tracking_number": i.tracking_number,
        "delivered_at": i.delivered_at,
        "inbound_reference": i.inbound_reference,
        "wms_attempted_at": i.wms_attempted_at,
    }


def inbound_from(r: Row) -> InboundSupply:
    return InboundSupply(**{**r, "kind": InboundKind(r["kind"])})


def reservation_row(r: Reservation) -> Row:
    return {
        "id": r.id,
        "order_id": r.order_id,
        "line_id": r.line_id,
        "sku": r.sku,
        "location_code": r.location_code,
        "quantity": r.quantity,
        "channel": r.channel,
        "status": str(r.status),
        "created_at": r.created_at,
        "expires_at": r.expires_at,
        "from_allocation": r.from_allocation,
    }


def reservation_from(r: Row) -> Reservation:
    return Reservation(**{**r, "status": ReservationStatus(r["status"])})


# --- fulfilment -----------------------------------------------------------------------------


def shipment_row(s: FulfillmentOrder) -> Row:
    return {
        "id": s.id,
        "order_id": s.order_id,
        "location_code": s.location_code,
        "status": str(s.status),
        "lines": [
            {"order_line_id": line.order_line_id, "sku": line.sku, "quantity": line.quantity}
            for line in s.lines
        ],
        "carrier": s.carrier,
        "service": s.service,
        "rate": s.rate,
        "promised_date": s.promised_date,
        "planned_ship_date": s.planned_ship_date,
        "tracking_number": s.tracking_number,
        "label_format": s.label_format,
        "wms_reference": s.wms_reference,
        "wms_attempted_at": s.wms_attempted_at,
        "tracking": [_scan_row(t) for t in s.tracking],
        "parcels": [_parcel_row(p) for p in s.parcels],
        "created_at": s.created_at,
        "shipped_at": s.shipped_at,
        "delivered_at": s.delivered_at,
        "tracking_polled_at": s.tracking_polled_at,
    }


def shipment_from(r: Row) -> FulfillmentOrder:
    return FulfillmentOrder(
        id=r["id"],
        order_id=r["order_id"],
        location_code=r["location_code"],
        lines=[ShipmentLine(**line) for line in r["lines"]],
        created_at=r["created_at"],
        status=ShipmentStatus(r["status"]),
        carrier=r["carrier"],
        service=r["service"],
        rate=r["rate"],
        promised_date=r["promised_date"],
        planned_ship_date=r["planned_ship_date"],
        tracking_number=r["tracking_number"],
        label_format=r["label_format"],
        wms_reference=r["wms_reference"],
        wms_attempted_at=r["wms_attempted_at"],
        shipped_at=r["shipped_at"],
        delivered_at=r["delivered_at"],
        tracking_polled_at=r["tracking_polled_at"],
        tracking=_timeline(r["tracking"]),
        parcels=[_parcel(p) for p in r["parcels"]],
    )


def _parcel_row(p: Parcel) -> Row:
    return {
        "box": p.box, "length_cm": p.length_cm, "width_cm": p.width_cm,
        "height_cm": p.height_cm, "weight_kg": p.weight_kg,
        "billable_weight_kg": p.billable_weight_kg, "units": dict(p.units),
        "tracking_number": p.tracking_number,
    }  # fmt: skip


def _parcel(r: Row) -> Parcel:
    # By SKU, as they were packed (`PackedParcel.stored`): JSONB does not keep key order.
    units = {str(sku): int(n) for sku, n in sorted(r["units"].items())}
    return Parcel(**{**r, "units": units})


def _timeline(rows: list[Row]) -> list[TrackingEvent]:
    """Tracking events in time order, in UTC. Rows written before the API placed each event in
    its time (and read a time without a zone as UTC) may hold neither; a stable sort keeps
    events of one moment in the order they came."""
    return sorted((_scan(t) for t in rows), key=lambda t: t.at)


def _scan_row(t: TrackingEvent) -> Row:
    estimate = t.estimated_delivery
    return {
        "at": _iso(t.at), "code": t.code, "description": t.description, "location": t.location,
        "milestone": str(t.milestone) if t.milestone else None,
        "estimated_delivery": estimate.isoformat() if estimate else None,
        "tracking_number": t.tracking_number,
    }  # fmt: skip


def _scan(t: Row) -> TrackingEvent:
    """One scan as stored: its day a date or ISO text; rows stored before migration 0021 have
    no `milestone` (read it from the code) nor `estimated_delivery`, and those stored before
    0025 no `tracking_number` (of the whole shipment, as every scan was)."""
    milestone, estimate = t.get("milestone"), t.get("estimated_delivery")
    return TrackingEvent(
        datetime.fromisoformat(t["at"]), t["code"], t["description"], t["location"],
        Milestone(milestone) if milestone else None,
        date.fromisoformat(estimate) if isinstance(estimate, str) else estimate,
        t.get("tracking_number") or "",
    ).in_utc()  # fmt: skip


def return_row(r: Return) -> Row:
    return {
        "id": r.id,
        "order_id": r.order_id,
        "status": str(r.status),
        "rma": r.rma,
        "location_code": r.location_code,
        "refund_amount": r.refund_amount,
        "lines": [asdict(line) for line in r.lines],
        "created_at": r.created_at,
        "carrier": r.carrier,
        "service": r.service,
        "tracking_number": r.tracking_number,
        "label_format": r.label_format,
    }


def return_from(r: Row) -> Return:
    return Return(
        id=r["id"],
        order_id=r["order_id"],
        lines=[ReturnLine(**line) for line in r["lines"]],
        created_at=r["created_at"],
        status=ReturnStatus(r["status"]),
        rma=r["rma"],
        location_code=r["location_code"],
        refund_amount=r["refund_amount"],
        carrier=r["carrier"],
        service=r["service"],
        tracking_number=r["tracking_number"],
        label_format=r["label_format"],
    )


def label_from(r: Row) -> Label:
    """A label as `shipment_labels` and `return_labels` keep it (a driver may hand back the
    bytes as a memoryview)."""
    return Label(r["format"], bytes(r["content"]))


# --- operations -----------------------------------------------------------------------------


def alert_row(a: Alert) -> Row:
    return {
        "id": a.id,
        "rule": a.rule,
        "severity": a.severity,
        "key": a.key,
        "message": a.message,
        "status": str(a.status),
        "occurrences": a.occurrences,
        "recipients": list(a.recipients),
        "acknowledged_by": a.acknowledged_by,
        "created_at": a.created_at,
        "last_seen_at": a.last_seen_at,
        "acknowledged_at": a.acknowledged_at,
        "ticket_id": a.ticket_id,
        "closed_by": a.closed_by,
        "closed_at": a.closed_at,
        "version": a.version,
        "noted_occurrences": a.noted_occurrences,
        "noted_window": a.noted_window,
    }


def alert_from(r: Row) -> Alert:
    return Alert(**{**r, "status": AlertStatus(r["status"]), "recipients": list(r["recipients"])})


def audit_row(e: AuditEntry) -> Row:
    return {
        "id": e.id,
        "at": e.at,
        "actor": e.actor,
        "action": e.action,
        "entity": e.entity,
        "entity_id": e.entity_id,
        "before": e.before,
        "after": e.after,
    }


def audit_from(r: Row) -> AuditEntry:
    return AuditEntry(**r)


def ticket_row(t: Ticket) -> Row:
    return {
        "id": t.id,
        "system": t.system,
        "external_ticket_id": t.external_ticket_id,
        "entity": t.entity,
        "entity_id": t.entity_id,
        "subject": t.subject,
        "created_at": t.created_at,
        "created_by": t.created_by,
        "status": str(t.status),
        "updated_at": t.updated_at,
        "comment_author": t.comment_author,
        "comment_excerpt": t.comment_excerpt,
        "version": t.version,
    }


def ticket_from(r: Row) -> Ticket:
    return Ticket(**{**r, "status": TicketStatus(r["status"])})


def ruleset_row(v: RulesetVersion) -> Row:
    return {
        "id": v.id,
        "name": v.name,
        "kind": v.kind,
        "version": v.version,
        "source": v.source,
        "author": v.author,
        "status": str(v.status),
        "published_by": v.published_by,
        "created_at": v.created_at,
        "published_at": v.published_at,
    }


def ruleset_from(r: Row) -> RulesetVersion:
    return RulesetVersion(**{**r, "status": RulesetStatus(r["status"])})


def trace_row(t: DecisionTrace) -> Row:
    return {
        "id": t.id,
        "order_id": t.order_id,
        "step": t.step,
        "ruleset": t.ruleset,
        "ruleset_version": t.ruleset_version,
        "outcome": t.outcome,
        # Not copied: traces are append-only (SqlTraces never diffs them), and the JSON column
        # serialises the dict when the row is inserted.
        "detail": t.detail,
        "at": t.at,
    }


def trace_from(r: Row) -> DecisionTrace:
    return DecisionTrace(**r)
