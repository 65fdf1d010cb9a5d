"""Orders waiting for stock, served through the real handlers on SQLite and PostgreSQL.

A released order's backordered remainder is sourced when stock arrives, a pre-order when its
product comes out, contended stock goes to the reservation rules' priority first; and with
threads receiving stock while others order, no unit is reserved twice and every ordered unit
stays allocated, backordered or cancelled.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from engine.adapters import orm
from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain import commands as c
from engine.domain.catalog import Customer, Location, LocationType, Product
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.inventory import ReservationStatus, Stock
from engine.domain.orders import LineStatus, OrderStatus
from engine.domain.values import Address
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, DeciderSettings
from engine.rules.registry import RulesetRegistry
from engine.service_layer.backorders import latest_sourcing
from engine.service_layer.handlers import PipelineOptions
from engine.service_layer.messagebus import MessageBus, build_bus
from engine.service_layer.preorders import PreorderRelease
from tests.support.clock import Clock

PRIORITY = (
    "reservation ruleset first on order.received policy all\n"
    'rule "Gold customers reserve first" when customer.tier == "gold" then priority 10\n'
)


@dataclass
class Pipeline:
    bus: MessageBus
    uows: Callable[[], SqlAlchemyUnitOfWork]
    clock: Clock

    def order(self, ref: str, sku: str, qty: int, customer: str = "c1") -> str:
        command = c.CreateOrder(
            "web", ref, customer, c.AddressInput("10001"), (c.LineInput(sku, qty),)
        )
        return str(self.bus.handle(command))

    def status(self, order_id: str) -> OrderStatus:
        with self.uows() as uow:
            order = uow.orders.get(order_id)
            assert order is not None
            return order.status


@pytest.fixture
def pipeline(database_url: str) -> Iterator[Pipeline]:
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)

    def uows() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    with uows() as uow:
        uow.locations.add(Location("NJ", "Newark", LocationType.WAREHOUSE, Address("07114")))
        uow.locations.add(Location("PA", "Philadelphia", LocationType.WAREHOUSE, Address("19153")))
        uow.products.add(Product("JEANS", "Jeans", Decimal("59.00"), weight_kg=0.8))
        uow.products.add(
            Product(
                "CONSOLE",
                "Console",
                Decimal("499.00"),
                weight_kg=4.0,
                preorder_release=datetime(2026, 12, 15).date(),
            )
        )
        uow.customers.add(Customer("c1", "ann@example.com"))
        uow.customers.add(Customer("gold", "gil@example.com", tier="gold"))
        uow.stock.add(Stock("JEANS", "NJ", on_hand=2))
        # Rows for every place stock arrives: creating a row is not what these tests race.
        uow.stock.add(Stock("JEANS", "PA", on_hand=0))
        uow.stock.add(Stock("CONSOLE", "NJ", on_hand=1))
        uow.commit()
    decider = Decider(
        RulesetRegistry.from_sources([PRIORITY]), load_catalog(), DeciderSettings("greedy")
    )
    clock = Clock(datetime(2026, 11, 18, 10, 0))
    bus = build_bus(uows, decider, clock, PipelineOptions(max_attempts=20))
    yield Pipeline(bus, uows, clock)
    engine.dispose()


def _outbox_names(pipeline: Pipeline) -> list[str]:
    with pipeline.uows() as uow:
        assert uow.session is not None
        return list(uow.session.execute(select(orm.outbox.c.name)).scalars())


def test_a_released_orders_remainder_is_sourced_as_stock_arrives(pipeline: Pipeline) -> None:
    order_id = pipeline.order("R-1", "JEANS", 8)
    assert pipeline.status(order_id) is OrderStatus.RELEASED
    pipeline.bus.handle(c.ReceiveStock("JEANS", "PA", 4))
    with pipeline.uows() as uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.RELEASED
        assert order.lines[0].status is LineStatus.BACKORDERED
        shipments = list(uow.shipments.for_order(order_id))
        assert sorted((s.location_code, s.quantity, s.status) for s in shipments) == [
            ("NJ", 2, ShipmentStatus.RELEASED),
            ("PA", 4, ShipmentStatus.RELEASED),
        ]
        active = [
            r for r in uow.reservations.for_order(order_id) if r.status is ReservationStatus.ACTIVE
        ]
        assert sorted((r.location_code, r.quantity) for r in active) == [("NJ", 2), ("PA", 4)]
        trace = latest_sourcing(uow, order_id)
        assert trace is not None and trace.detail["resourced"] is True
        assert [(b["line"], b["quantity"]) for b in trace.detail["backorders"]] == [("1", 2)]
    pipeline.bus.handle(c.AdjustStock("JEANS", "PA", 10))
    with pipeline.uows() as uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.lines[0].status is LineStatus.ALLOCATED
        pa = uow.stock.get(("JEANS", "PA"))
        assert pa is not None and (pa.on_hand, pa.reserved) == (14, 6)
    names = _outbox_names(pipeline)
    assert names.count("order.resourced") == 2
    assert names.count("stock.reserved") == 3


def test_a_pre_order_is_sourced_on_its_release_date_and_only_once(pipeline: Pipeline) -> None:
    order_id = pipeline.order("P-1", "CONSOLE", 1)
    assert pipeline.status(order_id) is OrderStatus.PREORDERED
    early = pipeline.bus.handle(c.ReleaseDuePreorders())
    assert isinstance(early, PreorderRelease) and early.count == 0
    pipeline.clock.now = datetime(2026, 12, 15, 9, 0)
    done = pipeline.bus.handle(c.ReleaseDuePreorders())
    assert done.released == [order_id]
    assert pipeline.status(order_id) is OrderStatus.RELEASED
    again = pipeline.bus.handle(c.ReleaseDuePreorders())
    assert again.count == 0
    with pipeline.uows() as uow:
        active = [
            r for r in uow.reservations.for_order(order_id) if r.status is ReservationStatus.ACTIVE
        ]
        assert [(r.sku, r.quantity) for r in active] == [("CONSOLE", 1)]


def test_stock_for_one_of_two_waiting_orders_goes_to_the_priority_one(pipeline: Pipeline) -> None:
    pipeline.bus.handle(c.AdjustStock("JEANS", "NJ", -2))
    older = pipeline.order("O-1", "JEANS", 2)
    pipeline.clock.now += timedelta(hours=1)
    gold = pipeline.order("G-1", "JEANS", 2, customer="gold")
    assert pipeline.status(older) is pipeline.status(gold) is OrderStatus.BACKORDERED
    pipeline.bus.handle(c.ReceiveStock("JEANS", "PA", 2))
    assert pipeline.status(gold) is OrderStatus.RELEASED
    assert pipeline.status(older) is OrderStatus.BACKORDERED


def test_threads_receiving_stock_while_orders_wait_never_reserve_a_unit_twice(
    pipeline: Pipeline,
) -> None:
    ids = [pipeline.order(f"T-{n}", "JEANS", 3) for n in range(8)]
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def receive(number: int) -> None:
        start.wait()
        try:
            for _ in range(4):
                pipeline.bus.handle(c.ReceiveStock("JEANS", "NJ" if number % 2 else "PA", 1))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=receive, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    # One more arrival serves whatever a lost race left waiting.
    pipeline.bus.handle(c.ReceiveStock("JEANS", "PA", 1))
    with pipeline.uows() as uow:
        reserved_total = 0
        remainders_waiting = 0
        for order_id in ids:
            order = uow.orders.get(order_id)
            assert order is not None
            placed = sum(
                s.quantity
                for s in uow.shipments.for_order(order_id)
                if s.status is not ShipmentStatus.CANCELLED
            )
            active = sum(
                r.quantity
                for r in uow.reservations.for_order(order_id)
                if r.status is ReservationStatus.ACTIVE
            )
            assert active == placed, order_id
            trace = latest_sourcing(uow, order_id)
            assert trace is not None
            waiting = sum(b["quantity"] for b in trace.detail["backorders"])
            assert placed + waiting == 3, (order_id, order.status, placed, waiting)
            reserved_total += active
            remainders_waiting += 1 if placed and waiting else 0
        rows = list(uow.stock.for_sku("JEANS"))
    assert sum(row.reserved for row in rows) == reserved_total
    assert all(0 <= row.reserved <= row.on_hand for row in rows)
    # 2 on hand and 17 received for 8 orders of 3. How the 19 units fall depends on how the
    # threads interleave (an order sent back to `received` with 3 free may find 1 left when it
    # is decided, and go on partially allocated), so the end state is checked, not a count:
    # every unit is reserved at most once, and a free unit is left only when no order on its
    # way still waits for a remainder and too few are free to fill a wholly backordered order.
    free = sum(row.on_hand for row in rows) - reserved_total
    assert sum(row.on_hand for row in rows) == 19
    assert 0 <= free < 3
    if free:
        assert remainders_waiting == 0


def _manual(pipeline: Pipeline) -> MessageBus:
    """The same pipeline with manual release and reservations kept for 30 minutes."""
    options = PipelineOptions(auto_release=False, reservation_ttl=timedelta(minutes=30))
    return build_bus(pipeline.uows, pipeline.bus.dependencies["decider"], pipeline.clock, options)


def _order(bus: MessageBus, ref: str, qty: int) -> str:
    line = (c.LineInput("JEANS", qty),)
    return str(bus.handle(c.CreateOrder("web", ref, "c1", c.AddressInput("10001"), line)))


def test_units_a_cancelled_order_gives_back_serve_the_order_waiting_for_them(
    pipeline: Pipeline,
) -> None:
    bus = _manual(pipeline)
    first = _order(bus, "G-1", 2)
    waiting = _order(bus, "G-2", 2)
    assert pipeline.status(waiting) is OrderStatus.BACKORDERED
    bus.handle(c.CancelOrder(first, "customer request"))
    assert pipeline.status(waiting) is OrderStatus.CARRIER_ASSIGNED
    with pipeline.uows() as uow:
        nj = uow.stock.get(("JEANS", "NJ"))
        assert nj is not None and (nj.on_hand, nj.reserved) == (2, 2)


def test_an_order_held_when_its_reservations_expire_keeps_no_unit_of_its_remainder(
    pipeline: Pipeline,
) -> None:
    pipeline.clock.now = pipeline.clock.now.replace(tzinfo=UTC)  # expiry compares with the row's
    bus = _manual(pipeline)
    order_id = _order(bus, "E-1", 3)
    pipeline.clock.now += timedelta(minutes=20)
    bus.handle(c.ReceiveStock("JEANS", "PA", 1))  # the remainder reserves 10 minutes later
    pipeline.clock.now += timedelta(minutes=15)
    bus.handle(c.ExpireReservations())
    with pipeline.uows() as uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.HELD
        live = [s for s in uow.shipments.for_order(order_id) if s.status is ShipmentStatus.PENDING]
        active = [
            r for r in uow.reservations.for_order(order_id) if r.status is ReservationStatus.ACTIVE
        ]
        assert (live, active) == ([], [])
        assert [uow.stock.get(("JEANS", site)).reserved for site in ("NJ", "PA")] == [0, 0]  # type: ignore[union-attr]
    bus.handle(c.ReleaseHold(order_id, "support"))
    with pipeline.uows() as uow:
        shipped = [
            s for s in uow.shipments.for_order(order_id) if s.status is not ShipmentStatus.CANCELLED
        ]
        assert sum(item.quantity for s in shipped for item in s.lines) == 3
        assert sum(uow.stock.get(("JEANS", site)).reserved for site in ("NJ", "PA")) == 3  # type: ignore[union-attr]
