"""Entity builders for tests: every field set to a non-default value unless overridden.

Round-trip tests need entities where a forgotten column would show; other tests override the
few fields they care about: `an_order(id="o-2", lines=[a_line(sku="B", quantity=3)])`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from engine.domain.catalog import Customer, Location, LocationType, Product, Service
from engine.domain.fulfilment import (
    FulfillmentOrder,
    Label,
    Return,
    ReturnLine,
    ReturnStatus,
    ShipmentLine,
    ShipmentStatus,
    TrackingEvent,
)
from engine.domain.inventory import InboundKind, InboundSupply, Reservation, Stock
from engine.domain.operations import (
    Alert,
    AlertStatus,
    AuditEntry,
    DecisionTrace,
    RulesetStatus,
    RulesetVersion,
)
from engine.domain.orders import Hold, LineStatus, Order, OrderLine, OrderStatus
from engine.domain.values import Address, Dimensions

T0 = datetime(2026, 3, 2, 14, 30, 15, 123000, tzinfo=UTC)


def at(minutes: int = 0) -> datetime:
    return T0 + timedelta(minutes=minutes)


def an_address(**kw: Any) -> Address:
    values: dict[str, Any] = dict(
        postal_code="75201",
        country="US",
        line1="1 Elm St",
        city="Dallas",
        state="TX",
        name="Ada Lovelace",
        lat=32.7876,
        lon=-96.7994,
    )
    return Address(**{**values, **kw})


def a_line(**kw: Any) -> OrderLine:
    values: dict[str, Any] = dict(
        id="L1",
        sku="SKU-1",
        quantity=2,
        price=Decimal("19.99"),
        status=LineStatus.ALLOCATED,
        quantity_shipped=1,
        quantity_cancelled=0,
    )
    return OrderLine(**{**values, **kw})


def an_order(**kw: Any) -> Order:
    values: dict[str, Any] = dict(
        id="O-1",
        channel="web",
        channel_order_id="W-1001",
        customer_id="C-1",
        ship_to=an_address(),
        lines=[a_line(), a_line(id="L2", sku="SKU-2", quantity=1, price=Decimal("5.00"))],
        created_at=T0,
        email="Ada@Example.com",
        currency="USD",
        service_level="express",
        requested_date=date(2026, 3, 5),
        promised_date=date(2026, 3, 6),
        priority=3,
        status=OrderStatus.VALIDATED,
        holds=[
            Hold(
                code="fraud",
                message="score 91",
                placed_at=at(1),
                released_at=at(5),
                released_by="sam",
            )
        ],
        version=2,
    )
    return Order(**{**values, **kw})


def a_plain_order(number: int, **kw: Any) -> Order:
    """A minimal received order, for tests that create many."""
    values: dict[str, Any] = dict(
        id=f"O-{number}",
        channel="web",
        channel_order_id=f"W-{number}",
        customer_id="C-1",
        ship_to=Address("10001"),
        lines=[OrderLine(id="L1", sku="SKU-1", quantity=1, price=Decimal("10"))],
        created_at=at(number),
    )
    return Order(**{**values, **kw})


def a_product(**kw: Any) -> Product:
    values: dict[str, Any] = dict(
        sku="SKU-1",
        name="Lithium battery pack",
        price=Decimal("49.95"),
        weight_kg=1.25,
        dimensions=Dimensions(30.0, 20.0, 10.5),
        hazmat=True,
        category="electronics",
        tags=frozenset({"battery", "fragile"}),
        attributes={"colour": "black"},
        preorder_release=date(2026, 4, 1),
        dropship_vendor="VEND-9",
        kit_components={"SKU-1A": 2, "SKU-1B": 1},
    )
    return Product(**{**values, **kw})


def a_location(**kw: Any) -> Location:
    values: dict[str, Any] = dict(
        code="DAL-01",
        name="Dallas DC",
        type=LocationType.WAREHOUSE,
        address=an_address(),
        daily_capacity=750,
        cutoff=time(16, 30),
        tags=frozenset({"hazmat", "south"}),
        services=frozenset({Service.SHIP, Service.PICKUP}),
        enabled=False,
    )
    return Location(**{**values, **kw})


def a_customer(**kw: Any) -> Customer:
    values: dict[str, Any] = dict(
        id="C-1",
        email="ada@example.com",
        name="Ada Lovelace",
        tier="gold",
        group="b2b",
        default_address=an_address(),
    )
    return Customer(**{**values, **kw})


def a_stock(**kw: Any) -> Stock:
    values: dict[str, Any] = dict(
        sku="SKU-1",
        location_code="DAL-01",
        on_hand=100,
        reserved=10,
        safety_stock=5,
        channel_allocations={"marketplace": 20, "pos": 4},
        reorder_point=15,
        version=3,
    )
    return Stock(**{**values, **kw})


def an_inbound(**kw: Any) -> InboundSupply:
    values: dict[str, Any] = dict(
        id="IN-1",
        sku="SKU-1",
        location_code="DAL-01",
        quantity=40,
        expected_on=date(2026, 3, 9),
        kind=InboundKind.TRANSFER,
        reference="TR-77",
        received=True,
        wms_reference="WMS-TO-7",
        shipped_at=at(30),
        carrier="ups",
        tracking_number="1Z999AA10123456784",
        delivered_at=at(40),
    )
    return InboundSupply(**{**values, **kw})


def a_reservation(**kw: Any) -> Reservation:
    values: dict[str, Any] = dict(
        id="R-1",
        order_id="O-1",
        line_id="L1",
        sku="SKU-1",
        location_code="DAL-01",
        quantity=2,
        created_at=at(2),
        channel="web",
        expires_at=at(60),
    )
    return Reservation(**{**values, **kw})


def a_shipment(**kw: Any) -> FulfillmentOrder:
    values: dict[str, Any] = dict(
        id="F-1",
        order_id="O-1",
        location_code="DAL-01",
        lines=[ShipmentLine("L1", "SKU-1", 2), ShipmentLine("L2", "SKU-2", 1)],
        created_at=at(3),
        status=ShipmentStatus.SHIPPED,
        carrier="ups",
        service="ground",
        rate=Decimal("12.40"),
        promised_date=date(2026, 3, 6),
        tracking_number="1Z999",
        label_format="zpl",
        shipped_at=at(90),
        delivered_at=None,
        tracking=[TrackingEvent(at(95), "in_transit", "Departed facility", "Dallas, TX")],
    )
    return FulfillmentOrder(**{**values, **kw})


def a_label(**kw: Any) -> Label:
    # A NUL and a byte that is not UTF-8: a label is binary, and comes back byte for byte.
    values: dict[str, Any] = dict(format="zpl", content=b"^XA^FO50,50^FDOrdo\x00\xff^FS^XZ")
    return Label(**{**values, **kw})


def a_return(**kw: Any) -> Return:
    values: dict[str, Any] = dict(
        id="RT-1",
        order_id="O-1",
        lines=[ReturnLine("L1", "SKU-1", 1, reason="damaged", restock=False)],
        created_at=at(2000),
        status=ReturnStatus.AUTHORISED,
        rma="RMA-5",
        location_code="DAL-01",
        refund_amount=Decimal("19.99"),
    )
    return Return(**{**values, **kw})


def an_alert(**kw: Any) -> Alert:
    values: dict[str, Any] = dict(
        id="A-1",
        rule="late shipments",
        severity="high",
        key="carrier=ups",
        message="6 late shipments from ups within an hour",
        created_at=at(10),
        status=AlertStatus.ACKNOWLEDGED,
        occurrences=4,
        last_seen_at=at(20),
        recipients=["ops@example.com", "lead@example.com"],
        acknowledged_by="sam",
        acknowledged_at=at(25),
    )
    return Alert(**{**values, **kw})


def an_audit_entry(**kw: Any) -> AuditEntry:
    values: dict[str, Any] = dict(
        id="AU-1",
        at=at(30),
        actor="sam",
        action="cancel",
        entity="order",
        entity_id="O-1",
        before={"status": "validated", "lines": [1, 2]},
        after={"status": "cancelled", "reason": "customer asked"},
    )
    return AuditEntry(**{**values, **kw})


def a_ruleset_version(**kw: Any) -> RulesetVersion:
    values: dict[str, Any] = dict(
        id="RS-1",
        name="routing",
        kind="sourcing",
        version=4,
        source='ruleset routing on order.received policy best_score\n# "quoted" ünïcode\n',
        author="ana",
        created_at=at(40),
        status=RulesetStatus.PUBLISHED,
        published_at=at(45),
        published_by="lead",
    )
    return RulesetVersion(**{**values, **kw})


def a_trace(**kw: Any) -> DecisionTrace:
    values: dict[str, Any] = dict(
        id="T-1",
        order_id="O-1",
        step="sourcing",
        ruleset="routing",
        ruleset_version=4,
        at=at(4),
        outcome="split",
        detail={
            "matched": ["Hazmat lines ship only from certified sites"],
            "scores": {"DAL-01": 12.5, "RNO-02": 3},
            "excluded": [{"location": "NYC-03", "why": "distance 42 km > 30 km"}],
        },
    )
    return DecisionTrace(**{**values, **kw})
