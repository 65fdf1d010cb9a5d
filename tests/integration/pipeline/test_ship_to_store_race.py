"""Two backorder passes at once on PostgreSQL, both started by warehouse receipts, both
deciding to send a waiting pickup order its missing units: one transfer leaves, not two.

Each pass decides the order before either has sent anything (a Decider that waits for the
other pass to have decided too), so both plan the same transfer. The first commits; the
second's record of the order is refused (`Conflict`: the order changed since it read it),
and its pass, run again, finds the transfer on its way and sends nothing. SQLite runs whole
transactions one after the other (BEGIN IMMEDIATE), so the race needs PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from engine.adapters import orm
from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain import commands as c
from engine.domain.catalog import Customer, Location, LocationType, Product, Service
from engine.domain.inventory import Stock
from engine.domain.orders import Fulfilment, Order, OrderStatus
from engine.domain.values import Address
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, Decision
from engine.rules.registry import RulesetRegistry
from engine.service_layer.handlers import PipelineOptions
from engine.service_layer.messagebus import build_bus
from tests.support.clock import Clock

STORE = Location(
    "NYC-5", "Fifth Avenue", LocationType.STORE, Address("10001"),
    services=frozenset({Service.PICKUP, Service.SHIP_TO_STORE}),
)  # fmt: skip


class MeetingDecider(Decider):
    """Decides a pickup order, then waits until the other pass has decided it too (once per
    thread): both passes plan before either has sent anything."""

    def __init__(self, registry: RulesetRegistry) -> None:
        super().__init__(registry, load_catalog())
        self.meeting = threading.Barrier(2)
        self.met: set[int] = set()

    def decide(self, order: Order, *args: Any, **kwargs: Any) -> Decision:
        decision = super().decide(order, *args, **kwargs)
        me = threading.get_ident()
        if order.fulfilment is Fulfilment.PICKUP and me not in self.met:
            self.met.add(me)
            self.meeting.wait(timeout=60)
        return decision


def _transfers(uows: Any, order_id: str) -> Sequence[Mapping[str, Any]]:
    with uows() as uow:
        return [
            {"quantity": s.quantity, "pending": s.pending, "from": s.reference}
            for s in uow.inbound.for_order(order_id)
        ]


def test_two_passes_at_once_send_a_waiting_pickup_one_transfer_on_postgres(
    postgres_url: str,
) -> None:
    engine = make_engine(postgres_url)
    sessions = make_session_factory(engine)

    def uows() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    with uows() as uow:
        uow.locations.add(STORE)
        uow.locations.add(Location("NJ", "Newark", LocationType.WAREHOUSE, Address("07114")))
        uow.products.add(Product("MUG", "Mug", Decimal("12.00"), weight_kg=0.4))
        uow.customers.add(Customer("c1", "ann@example.com"))
        uow.stock.add(Stock("MUG", "NJ", on_hand=0))  # the row the receipts race on exists
        uow.commit()
    registry = RulesetRegistry()
    clock = Clock(datetime(2026, 11, 18, 10, 0))
    options = PipelineOptions(max_attempts=20)
    ordering = build_bus(uows, Decider(registry, load_catalog()), clock, options)
    order_id = str(
        ordering.handle(
            c.CreateOrder(
                "web", "W-1", "c1", c.AddressInput("10001"), (c.LineInput("MUG", 2),),
                fulfilment="pickup", pickup_location="NYC-5",
            )
        )
    )  # fmt: skip
    assert _transfers(uows, order_id) == []
    racing = build_bus(uows, MeetingDecider(registry), clock, options)
    failures: list[BaseException] = []

    def receive() -> None:
        try:
            racing.handle(c.ReceiveStock("MUG", "NJ", 2))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=receive) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not failures, failures
    assert _transfers(uows, order_id) == [{"quantity": 2, "pending": True, "from": "from NJ"}]
    with uows() as uow:
        nj = uow.stock.get(("MUG", "NJ"))
        assert nj is not None and (nj.on_hand, nj.reserved) == (2, 0)
        order = uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.BACKORDERED
        assert uow.session is not None
        names = list(uow.session.execute(select(orm.outbox.c.name)).scalars())
    assert names.count("order.awaiting_transfer") == 1
    engine.dispose()
