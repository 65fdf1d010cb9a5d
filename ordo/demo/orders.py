"""The demo's orders: a deterministic mix at every stage of the lifecycle, with the
reservations and shipments that stage implies, so dashboards and searches have something real.

The demo writes history, not live traffic: events raised while an order is walked to its stage
are dropped before commit, so the worker does not replay weeks of backstory as notifications.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from engine.adapters.geo import haversine_km
from engine.domain.catalog import Customer, Location, LocationType, Product
from engine.domain.fulfilment import FulfillmentOrder, ShipmentLine, ShipmentStatus, TrackingEvent
from engine.domain.inventory import Reservation, ReservationStatus, Stock
from engine.domain.orders import LineStatus, Order, OrderLine, OrderStatus
from engine.domain.values import Address, money
from engine.service_layer.unit_of_work import UnitOfWork
from ordo.demo.stock import demo_id
from ordo.demo.world import World

S = OrderStatus
# How many demo orders end up in each stage (60 in all). "preordered" orders (of products not
# out yet) are left `received` here: the live pipeline pre-orders them with a sourcing trace,
# which is what releases them on the product's date (`ordo preorders release`).
ORDER_MIX = (
    ("received", 8), ("validated", 3), ("held", 4), ("rejected", 3), ("backordered", 4),
    ("preordered", 3), ("reserved", 6), ("released", 6), ("shipped", 10), ("delivered", 10),
    ("cancelled", 3),
)  # fmt: skip
_PATHS: dict[str, tuple[OrderStatus, ...]] = {
    "validated": (S.VALIDATED,),
    "backordered": (S.VALIDATED, S.BACKORDERED),
    "reserved": (S.VALIDATED, S.SOURCED, S.RESERVED),
    "released": (S.VALIDATED, S.SOURCED, S.RESERVED, S.CARRIER_ASSIGNED, S.RELEASED),
    "shipped": (S.VALIDATED, S.SOURCED, S.RESERVED, S.CARRIER_ASSIGNED, S.RELEASED, S.SHIPPED),
    "delivered": (
        S.VALIDATED, S.SOURCED, S.RESERVED, S.CARRIER_ASSIGNED, S.RELEASED, S.SHIPPED, S.DELIVERED,
    ),
}  # fmt: skip
_SHIPMENT_PATH = {
    "reserved": (),
    "released": (ShipmentStatus.RELEASED,),
    "shipped": (ShipmentStatus.RELEASED, ShipmentStatus.SHIPPED),
    "delivered": (ShipmentStatus.RELEASED, ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED),
}
# Days since the order came in, by stage: delivered orders are older than fresh arrivals.
_AGE_DAYS = {"received": (0, 0), "delivered": (8, 20), "shipped": (2, 6), "released": (0, 2)}
# Demo orders ship from distribution sites; stores and vendors are left for the pipeline.
_SHIPPING_SITES = (LocationType.WAREHOUSE, LocationType.THREE_PL)
_CHANNEL_PREFIX = {
    "web": "WEB", "mobile": "APP", "marketplace": "MKT", "pos": "POS", "b2b_edi": "EDI",
}  # fmt: skip
_SERVICE_LEVELS = ("standard", "expedited", "next_day", "same_day")
_SERVICE_WEIGHTS = (65, 20, 10, 5)
_CARRIER_BY_LEVEL = {
    "standard": ("PCL", "ground", 5),
    "expedited": ("SWX", "express_2day", 2),
    "next_day": ("PCL", "overnight", 1),
    "same_day": ("PCL", "overnight", 1),
}
_HOLDS = (
    ("fraud_review", "High-value order from a new customer: verify payment before release"),
    ("address_review", "Ship-to address could not be verified with the carrier"),
)
_REJECTIONS = (
    ("payment_declined", "The card issuer declined the payment"),
    ("embargoed_item", "An item on the order may not be sold to this destination"),
)


@dataclass(frozen=True)
class OrderPlan:
    """One demo order, still `received`, and the stage the seeder walks it to."""

    number: int
    stage: str
    order: Order


def plan_orders(world: World, now: datetime) -> list[OrderPlan]:
    rng = random.Random("ordo-demo:orders")
    stages = [stage for stage, count in ORDER_MIX for _ in range(count)]
    rng.shuffle(stages)
    in_stock = [
        p for p in world.products if not (p.is_kit or p.dropship_vendor or p.preorder_release)
    ]
    preorders = [p for p in world.products if p.preorder_release is not None]
    addressed = [(c, c.default_address) for c in world.customers if c.default_address]
    plans = []
    for number, stage in enumerate(stages, start=1):
        pool = preorders if stage == "preordered" else in_stock
        order = _order(rng, number, stage, addressed, pool, now)
        plans.append(OrderPlan(number, stage, order))
    return plans


def _order(
    rng: random.Random,
    number: int,
    stage: str,
    customers: list[tuple[Customer, Address]],
    pool: list[Product],
    now: datetime,
) -> Order:
    customer, ship_to = rng.choice(customers)
    b2b = customer.group == "b2b"
    channel = (
        "b2b_edi"
        if b2b
        else rng.choices(("web", "mobile", "marketplace", "pos"), (50, 28, 17, 5))[0]
    )
    products = rng.sample(pool, k=min(len(pool), rng.choices((1, 2, 3), (55, 30, 15))[0]))
    order_id = demo_id("order", number)
    lines = [
        OrderLine(
            id=demo_id("line", number, index),
            sku=product.sku,
            quantity=rng.randint(2, 10) if b2b else rng.choices((1, 2, 3), (80, 15, 5))[0],
            price=product.price,
        )
        for index, product in enumerate(products, start=1)
    ]
    low, high = _AGE_DAYS.get(stage, (0, 3))
    created = now - timedelta(days=rng.randint(low, high), hours=rng.randint(1, 20))
    return Order(
        id=order_id,
        channel=channel,
        channel_order_id=f"{_CHANNEL_PREFIX[channel]}-{100000 + number * 37}",
        customer_id=customer.id,
        ship_to=ship_to,
        lines=lines,
        created_at=created,
        email=customer.email,
        service_level="standard" if b2b else rng.choices(_SERVICE_LEVELS, _SERVICE_WEIGHTS)[0],
        priority={"platinum": 10, "gold": 5}.get(customer.tier, 0),
    )


@dataclass
class Placed:
    """What placing one order wrote besides the order itself."""

    reservations: int = 0
    shipments: int = 0


def place_order(
    uow: UnitOfWork, plan: OrderPlan, locations: list[Location], stock: list[Stock]
) -> Placed:
    """Walk the order to its stage, reserving stock and creating shipments as that implies."""
    order, stage = plan.order, plan.stage
    rng = random.Random(f"ordo-demo:order:{plan.number}")
    at = order.created_at + timedelta(minutes=5)
    placed = Placed()
    allocation: dict[str, str] | None = None
    if stage in _SHIPMENT_PATH:
        allocation = _reserve(uow, order, locations, stock)
        if allocation is None:
            stage = "backordered"  # the network ran dry: that is what would happen
    if stage == "held":
        order.hold(*rng.choice(_HOLDS), at=at)
    elif stage == "rejected":
        order.reject(*rng.choice(_REJECTIONS))
    elif stage == "cancelled":
        order.transition(S.VALIDATED)
        order.cancel("customer_request")
    for status in _PATHS.get(stage, ()):
        order.transition(status)
    if stage == "backordered":
        for line in order.lines:
            line.status = LineStatus.BACKORDERED
    if allocation is not None:
        placed = _fulfil(uow, order, stage, allocation, rng)
    order.events.clear()
    uow.orders.add(order)
    return placed


def _reserve(
    uow: UnitOfWork, order: Order, locations: list[Location], stock: list[Stock]
) -> dict[str, str] | None:
    """Reserve every line at the nearest distribution site that has it; None if one cannot."""
    sites = {loc.code: loc for loc in locations if loc.type in _SHIPPING_SITES}
    rows_by_sku: dict[str, list[Stock]] = defaultdict(list)
    for row in stock:
        if row.location_code in sites:
            rows_by_sku[row.sku].append(row)
    target = (order.ship_to.lat or 0.0, order.ship_to.lon or 0.0)
    allocation: dict[str, str] = {}
    for line in order.lines:
        candidates = sorted(
            rows_by_sku[line.sku],
            key=lambda row: haversine_km(target, _coordinates(sites[row.location_code])),
        )
        for row in candidates:
            if uow.stock.try_reserve(line.sku, row.location_code, line.quantity, order.channel):
                allocation[line.id] = row.location_code
                break
        else:
            for reserved in order.lines:
                if reserved.id in allocation:
                    uow.stock.release(reserved.sku, allocation[reserved.id], reserved.quantity)
            return None
    return allocation


def _coordinates(location: Location) -> tuple[float, float]:
    return (location.lat or 0.0, location.lon or 0.0)


def _fulfil(
    uow: UnitOfWork, order: Order, stage: str, allocation: dict[str, str], rng: random.Random
) -> Placed:
    placed = Placed()
    shipped = stage in ("shipped", "delivered")
    by_location: dict[str, list[OrderLine]] = defaultdict(list)
    for line in order.lines:
        by_location[allocation[line.id]].append(line)
        reservation = Reservation(
            id=demo_id("reservation", order.id, line.id),
            order_id=order.id,
            line_id=line.id,
            sku=line.sku,
            location_code=allocation[line.id],
            quantity=line.quantity,
            created_at=order.created_at,
            channel=order.channel,
        )
        if shipped:
            uow.stock.consume(line.sku, allocation[line.id], line.quantity)
            reservation.move(ReservationStatus.CONSUMED)
            line.status, line.quantity_shipped = LineStatus.SHIPPED, line.quantity
        else:
            line.status = LineStatus.ALLOCATED
        uow.reservations.add(reservation)
        placed.reservations += 1
    for code, lines in by_location.items():
        uow.shipments.add(_shipment(order, stage, code, lines, rng))
        placed.shipments += 1
    return placed


def _shipment(
    order: Order, stage: str, location_code: str, lines: list[OrderLine], rng: random.Random
) -> FulfillmentOrder:
    carrier, service, transit_days = _CARRIER_BY_LEVEL[order.service_level]
    shipment = FulfillmentOrder(
        id=demo_id("shipment", order.id, location_code),
        order_id=order.id,
        location_code=location_code,
        lines=[ShipmentLine(line.id, line.sku, line.quantity) for line in lines],
        created_at=order.created_at,
    )
    if stage != "reserved":
        shipment.carrier, shipment.service = carrier, service
        shipment.rate = money(Decimal("6.50") + Decimal(rng.randint(0, 2500)) / 100)
        shipment.promised_date = (order.created_at + timedelta(days=transit_days + 1)).date()
    at = order.created_at + timedelta(hours=6)
    for status in _SHIPMENT_PATH[stage]:
        if status is ShipmentStatus.SHIPPED:
            shipment.tracking_number = f"{carrier}{rng.randint(10**11, 10**12 - 1)}"
            shipment.tracking.append(TrackingEvent(at, "picked_up", "Picked up by carrier"))
        if status is ShipmentStatus.DELIVERED:
            at += timedelta(days=transit_days)
            shipment.tracking.append(TrackingEvent(at, "delivered", "Delivered to front door"))
        shipment.move(status, at)
        at += timedelta(hours=3)
    shipment.events.clear()
    return shipment
