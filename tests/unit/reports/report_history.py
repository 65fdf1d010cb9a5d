"""A small hand-built history for the period reports, whose figures the tests work out by hand.

The period is Sunday 1 to Saturday 7 March 2026; the reports are read on 10 March at noon.
Six orders are created in it (O-1 to O-6, two currencies, two channels), one before it (O-0,
which makes customer C-2 a returning one) and one after it (O-9); seven shipments, four
returns and four stock rows go with them. `build(uow)` writes it all in one transaction, on
any unit of work, so the SQL queries can be held to the in-memory figures on the same data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from engine.domain.fulfilment import (
    FulfillmentOrder,
    Return,
    ReturnLine,
    ReturnStatus,
    ShipmentLine,
    ShipmentStatus,
)
from engine.domain.inventory import Stock
from engine.domain.orders import LineStatus, Order, OrderLine, OrderStatus
from engine.domain.values import Address
from engine.service_layer.analytics import Period
from engine.service_layer.unit_of_work import UnitOfWork
from tests.support.builders import a_location, a_product

PERIOD = Period(date(2026, 3, 1), date(2026, 3, 7))
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
S, L, F = OrderStatus, LineStatus, ShipmentStatus


def moment(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def line(
    line_id: str, sku: str, quantity: int, price: str, *, shipped: int = 0, cancelled: int = 0
) -> OrderLine:
    status = L.CANCELLED if cancelled == quantity else (L.SHIPPED if shipped else L.ALLOCATED)
    return OrderLine(
        line_id, sku, quantity, Decimal(price), status, shipped, quantity_cancelled=cancelled
    )


def order(
    number: int,
    created_at: datetime,
    status: OrderStatus,
    lines: list[OrderLine],
    *,
    customer: str,
    channel: str = "web",
    currency: str = "USD",
) -> Order:
    return Order(
        id=f"O-{number}",
        channel=channel,
        channel_order_id=f"{channel}-{number}",
        customer_id=customer,
        ship_to=Address("10001"),
        lines=lines,
        created_at=created_at,
        currency=currency,
        status=status,
    )


ORDERS = [
    order(0, moment(20, 10, month=2), S.DELIVERED, [line("1", "SKU-A", 1, "10.00", shipped=1)],
          customer="C-2"),
    # Monday 2 March, 09:00: 25.50 USD, 3 units; shipped in two parcels, one late.
    order(1, moment(2, 9), S.DELIVERED,
          [line("1", "SKU-A", 2, "10.00", shipped=2), line("2", "SKU-B", 1, "5.50", shipped=1)],
          customer="C-1"),
    # Monday 15:30: 10.00 USD, 1 unit.
    order(2, moment(2, 15, 30), S.SHIPPED, [line("1", "SKU-A", 1, "10.00", shipped=1)],
          customer="C-2"),
    # Tuesday 10:00, app, EUR: cancelled whole, so no units and no revenue.
    order(3, moment(3, 10), S.CANCELLED, [line("1", "SKU-C", 3, "7.00", cancelled=3)],
          customer="C-1", channel="app", currency="EUR"),
    # Wednesday 20:00, app: rejected, so counted as an order and nowhere else.
    order(4, moment(4, 20), S.REJECTED, [line("1", "SKU-A", 5, "10.00")],
          customer="C-3", channel="app"),
    # Thursday 08:15, EUR: 3 of 4 SKU-B (one cancelled) and 1 SKU-C = 22.00 EUR, 4 units.
    order(5, moment(5, 8, 15), S.PARTIALLY_SHIPPED,
          [line("1", "SKU-B", 4, "5.00", shipped=2, cancelled=1), line("2", "SKU-C", 1, "7.00")],
          customer="C-2", currency="EUR"),
    # Friday 23:59: 11.00 USD, 2 units, held.
    order(6, moment(6, 23, 59), S.HELD, [line("1", "SKU-B", 2, "5.50")], customer="C-4"),
    # After the period.
    order(9, moment(8, 9), S.RECEIVED, [line("1", "SKU-A", 1, "10.00")], customer="C-5"),
]  # fmt: skip


def shipment(
    shipment_id: str,
    order_id: str,
    location: str,
    created_at: datetime,
    status: ShipmentStatus,
    lines: list[tuple[str, str, int]],
    *,
    carrier: str,
    service: str,
    rate: str,
    promised: date,
    shipped_at: datetime | None = None,
    delivered_at: datetime | None = None,
) -> FulfillmentOrder:
    return FulfillmentOrder(
        id=shipment_id,
        order_id=order_id,
        location_code=location,
        lines=[ShipmentLine(*item) for item in lines],
        created_at=created_at,
        status=status,
        carrier=carrier,
        service=service,
        rate=Decimal(rate),
        promised_date=promised,
        shipped_at=shipped_at,
        delivered_at=delivered_at,
    )


UPS, FEDEX = {"carrier": "ups", "service": "ground"}, {"carrier": "fedex", "service": "express"}
SHIPMENTS = [
    shipment("F-0", "O-0", "DAL-01", moment(20, 11, month=2), F.DELIVERED, [("1", "SKU-A", 1)],
             rate="7.00", promised=date(2026, 2, 22), shipped_at=moment(21, 9, month=2),
             delivered_at=moment(22, 9, month=2), **UPS),
    # On time (shipped the 3rd, promised the 4th); delivered two days later.
    shipment("F-1", "O-1", "DAL-01", moment(2, 9, 10), F.DELIVERED, [("1", "SKU-A", 2)],
             rate="8.00", promised=date(2026, 3, 4), shipped_at=moment(3, 10),
             delivered_at=moment(5, 10), **UPS),
    # Late (shipped the 5th, promised the 4th); delivered 36 hours later.
    shipment("F-2", "O-1", "RNO-02", moment(2, 9, 10), F.DELIVERED, [("2", "SKU-B", 1)],
             rate="6.50", promised=date(2026, 3, 4), shipped_at=moment(5, 9),
             delivered_at=moment(6, 21), **UPS),
    # On time, not delivered yet.
    shipment("F-3", "O-2", "DAL-01", moment(2, 16), F.SHIPPED, [("1", "SKU-A", 1)],
             rate="15.25", promised=date(2026, 3, 3), shipped_at=moment(3, 12), **FEDEX),
    # Cancelled with its order.
    shipment("F-4", "O-3", "DAL-01", moment(3, 10, 5), F.CANCELLED, [("1", "SKU-C", 3)],
             rate="8.00", promised=date(2026, 3, 5), **UPS),
    # On time.
    shipment("F-5", "O-5", "RNO-02", moment(5, 8, 30), F.SHIPPED, [("1", "SKU-B", 2)],
             rate="5.00", promised=date(2026, 3, 8), shipped_at=moment(6, 10), **UPS),
    # Not shipped, promised the 7th: late by the 10th.
    shipment("F-6", "O-5", "DAL-01", moment(5, 8, 30), F.RELEASED, [("2", "SKU-C", 1)],
             rate="9.00", promised=date(2026, 3, 7), **FEDEX),
]  # fmt: skip


def a_return(
    return_id: str, order_id: str, reason: str, status: ReturnStatus, sku: str = "SKU-A"
) -> Return:
    return Return(
        id=return_id,
        order_id=order_id,
        lines=[ReturnLine("1", sku, 1, reason)],
        created_at=moment(9, 9),
        status=status,
    )


RETURNS = [
    a_return("R-1", "O-1", "Arrived DAMAGED", ReturnStatus.RECEIVED),
    a_return("R-2", "O-2", "Wrong item sent", ReturnStatus.REQUESTED),
    # Rejected: its claim does not count.
    a_return("R-3", "O-5", "wrong item", ReturnStatus.REJECTED, sku="SKU-B"),
    a_return("R-4", "O-1", "too small", ReturnStatus.REQUESTED),
]

STOCK = [
    Stock("SKU-A", "DAL-01", on_hand=10, reserved=2, safety_stock=1),  # 7 available
    Stock("SKU-B", "DAL-01", on_hand=0),
    Stock("SKU-B", "RNO-02", on_hand=6, reserved=1),  # 5 available
    Stock("SKU-C", "DAL-01", on_hand=3, reserved=3, safety_stock=2),  # 0, not -2
]


def build(uow: UnitOfWork) -> None:
    with uow:
        for code in ("DAL-01", "RNO-02"):
            uow.locations.add(a_location(code=code, enabled=True))
        for sku in ("SKU-A", "SKU-B", "SKU-C"):
            uow.products.add(a_product(sku=sku, preorder_release=None, kit_components={}))
        for item in (*ORDERS, *SHIPMENTS, *RETURNS):
            getattr(uow, _repository(item)).add(item)
        for row in STOCK:
            uow.stock.add(row)
        uow.commit()


def _repository(item: object) -> str:
    return {Order: "orders", FulfillmentOrder: "shipments", Return: "returns"}[type(item)]
