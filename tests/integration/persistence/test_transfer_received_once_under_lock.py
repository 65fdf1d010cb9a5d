"""Whether a transfer (or purchase order) is still to be received is decided with its row
locked: two receipts of one transfer at the same moment book its units once, and the second
is refused as already received."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.catalog import Location, LocationType, Product
from engine.domain.commands import ReceiveTransfer
from engine.domain.errors import Conflict
from engine.domain.inventory import InboundKind, InboundSupply
from engine.domain.values import Address
from engine.service_layer.inventory import receive_transfer
from tests.support.engines import an_engine
from tests.support.racing import MeetingAtCommit


def a_transfer_on_its_way(sessions: sessionmaker[Session]) -> None:
    with SqlAlchemyUnitOfWork(sessions) as uow:
        uow.locations.add(Location("RNO-02", "Reno", LocationType.WAREHOUSE, Address("89501")))
        uow.products.add(Product("SHOE-42", "Shoe"))
        uow.inbound.add(
            InboundSupply(
                id="trf_1",
                sku="SHOE-42",
                location_code="RNO-02",
                quantity=4,
                expected_on=date(2026, 11, 24),
                kind=InboundKind.TRANSFER,
            )
        )
        uow.commit()


def test_two_receipts_of_one_transfer_at_once_book_its_units_once(postgres_url: str) -> None:
    with an_engine(postgres_url) as engine:
        sessions = make_session_factory(engine)
        a_transfer_on_its_way(sessions)
        meeting = threading.Barrier(2)

        def receive() -> int | str:
            try:
                return receive_transfer(
                    ReceiveTransfer("trf_1"), MeetingAtCommit(sessions, meeting)
                )
            except Conflict as refused:
                return refused.message

        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = [f.result(timeout=30) for f in [pool.submit(receive) for _ in "ab"]]

        [refusal] = [a for a in answers if isinstance(a, str)]
        assert [a for a in answers if isinstance(a, int)] == [4], answers
        assert refusal.startswith("transfer trf_1 was already received; nothing was booked")
        with SqlAlchemyUnitOfWork(sessions) as uow:
            stock = uow.stock.get(("SHOE-42", "RNO-02"))
            assert stock is not None and stock.on_hand == 4
