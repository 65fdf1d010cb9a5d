"""An order's ship-to-store transfers are cancelled with their rows locked: a cancellation
of the order racing the transfer's arrival waits for it, or makes it wait, so the units are
booked once (back at the warehouse, or arrived at the store, never both) and a claim the
arrival made for the order is given back with the order's other reservations."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.catalog import Location, LocationType, Product
from engine.domain.commands import CancelOrder, ReceiveTransfer
from engine.domain.errors import Conflict
from engine.domain.inventory import InboundKind, InboundSupply, ReservationStatus, Stock
from engine.domain.orders import Fulfilment, LineStatus, OrderStatus
from engine.domain.values import Address, utcnow
from engine.service_layer.inventory import receive_transfer
from engine.service_layer.lifecycle import cancel_order
from tests.support import builders as b
from tests.support.engines import an_engine
from tests.support.racing import MeetingAtCommit

SKU, WAREHOUSE, STORE = "SHOE-42", "DAL-01", "STORE-7"


def an_order_awaiting_its_transfer(sessions: sessionmaker[Session]) -> None:
    """A pickup order at STORE-7 backordered for 4 SHOE-42, which trf_1 brings from DAL-01
    (whose stock the 4 units already left)."""
    with SqlAlchemyUnitOfWork(sessions) as uow:
        for code, kind in ((WAREHOUSE, LocationType.WAREHOUSE), (STORE, LocationType.STORE)):
            uow.locations.add(Location(code, code, kind, Address("75201")))
        uow.products.add(Product(SKU, "Shoe"))
        uow.stock.add(Stock(SKU, WAREHOUSE, on_hand=0))
        uow.stock.add(Stock(SKU, STORE, on_hand=0))
        line = b.a_line(sku=SKU, quantity=4, status=LineStatus.BACKORDERED, quantity_shipped=0)
        uow.orders.add(
            b.an_order(id="O-1", lines=[line], status=OrderStatus.BACKORDERED, holds=[],
                       fulfilment=Fulfilment.PICKUP, pickup_location=STORE, version=1)
        )  # fmt: skip
        uow.inbound.add(
            InboundSupply(id="trf_1", sku=SKU, location_code=STORE, quantity=4,
                          expected_on=date(2026, 11, 24), kind=InboundKind.TRANSFER,
                          reference=f"from {WAREHOUSE}", order_id="O-1")
        )  # fmt: skip
        uow.commit()


def test_cancelling_an_order_as_its_transfer_arrives_books_the_units_once(
    postgres_url: str,
) -> None:
    with an_engine(postgres_url) as engine:
        sessions = make_session_factory(engine)
        an_order_awaiting_its_transfer(sessions)
        meeting = threading.Barrier(2)

        def receive() -> str:
            try:
                receive_transfer(ReceiveTransfer("trf_1"), MeetingAtCommit(sessions, meeting))
            except Conflict as refused:
                return refused.message
            return "received"

        def cancel() -> str:
            command = CancelOrder("O-1", "changed my mind", "support")
            return cancel_order(command, MeetingAtCommit(sessions, meeting), utcnow)

        with ThreadPoolExecutor(max_workers=2) as pool:
            received, cancelled = (f.result(timeout=30) for f in
                                   [pool.submit(receive), pool.submit(cancel)])  # fmt: skip

        assert cancelled == "cancelled"
        with SqlAlchemyUnitOfWork(sessions) as uow:
            transfer = uow.inbound.get("trf_1")
            at_warehouse, at_store = (uow.stock.get((SKU, code)) for code in (WAREHOUSE, STORE))
            assert transfer is not None and at_warehouse is not None and at_store is not None
            # Either the cancellation went first (the arrival is refused, the units are back
            # at the warehouse) or the arrival did (the units are at the store, free).
            assert (transfer.received, transfer.cancelled) in ((True, False), (False, True))
            assert at_warehouse.on_hand + at_store.on_hand == 4, (received, transfer)
            assert at_store.reserved == 0
            active = [r for r in uow.reservations.for_order("O-1")
                      if r.status is ReservationStatus.ACTIVE]  # fmt: skip
            assert active == []
            if transfer.cancelled:
                assert received.startswith("transfer trf_1 was cancelled")
