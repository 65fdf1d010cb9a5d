"""Sending a transfer's transfer order to its WMS is claimed by locking the transfer's row:
the worker and `ordo wms send-transfers` sending one transfer at the same moment call the
WMS once and record `transfer.sent_to_wms` once; the second finds it sent and does
nothing."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.adapters import orm
from engine.adapters.bus.base import Message
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain import events
from engine.domain.inventory import Stock
from engine.domain.values import Address
from engine.service_layer import ship_to_store
from engine.service_layer.unsent_transfers import TRANSFER_ORDER, Unsent, UnsentTransfers
from engine.service_layer.wms_transfers import TransferReleaser
from tests.support.builders import a_location, a_product, an_order
from tests.support.engines import an_engine
from tests.support.racing import MEETING_SECONDS
from tests.unit.events.test_transfer_releaser import DUE
from tests.unit.events.test_unsent_transfers import BothWays


class MeetingWms(BothWays):
    """A WMS whose every send waits for the other sender to be sending too: the widest
    window two sends of one transfer can race through (with the lock, the second never
    gets here while the first waits, and the first goes on once the wait runs out)."""

    def __init__(self, meeting: threading.Barrier) -> None:
        super().__init__()
        self.meeting = meeting

    def send_transfer(self, transfer: Mapping[str, Any]) -> str | None:
        with suppress(threading.BrokenBarrierError):
            self.meeting.wait(timeout=MEETING_SECONDS)
        return super().send_transfer(transfer)


def a_transfer_requested(sessions: sessionmaker[Session]) -> Message:
    """A ship-to-store transfer of 2 MUG from DAL-01 to NYC-5, and its request's message."""
    with SqlAlchemyUnitOfWork(sessions) as uow:
        for code in ("DAL-01", "NYC-5"):
            uow.locations.add(a_location(code=code, address=Address("10001"), enabled=True))
        uow.products.add(a_product(sku="MUG", kit_components={}))
        uow.stock.add(Stock("MUG", "DAL-01", on_hand=8))
        uow.orders.add(an_order(id="O-1", holds=[]))
        transfer = ship_to_store.book_transfer(uow, "MUG", "DAL-01", "NYC-5", 2, DUE, "O-1")
        uow.commit()
    payload = events.TransferRequested(
        transfer.id, "O-1", "MUG", "DAL-01", "NYC-5", 2, DUE.isoformat()
    ).payload()
    return Message("evt-1", events.TransferRequested.name, payload, "p")


def test_the_worker_and_the_command_sending_one_transfer_at_once_send_and_record_it_once(
    postgres_url: str,
) -> None:
    with an_engine(postgres_url) as engine:
        sessions = make_session_factory(engine)
        requested = a_transfer_requested(sessions)
        transfer_id = str(requested.payload["transfer_id"])
        wms = MeetingWms(threading.Barrier(2))

        def worker() -> None:
            TransferReleaser({"DAL-01": wms})(requested, SqlAlchemyUnitOfWork(sessions))

        def command() -> str:
            walk = UnsentTransfers({"DAL-01": wms, "NYC-5": wms})
            due = Unsent(transfer_id, TRANSFER_ORDER, "DAL-01")
            outcome = walk.send(lambda: SqlAlchemyUnitOfWork(sessions), due, "cli:ann")
            assert outcome.sent is not None, outcome.failure
            return outcome.sent.reference or outcome.sent.why

        with ThreadPoolExecutor(max_workers=2) as pool:
            worked, commanded = pool.submit(worker), pool.submit(command)
            worked.result(timeout=30)
            said = commanded.result(timeout=30)

        assert len(wms.sent) == 1, said
        assert said in ("TO-1", "was sent meanwhile (TO-1); not sent again")
        with SqlAlchemyUnitOfWork(sessions) as uow:
            assert uow.session is not None
            names = list(uow.session.execute(select(orm.outbox.c.name)).scalars())
            assert names.count(events.TransferSentToWms.name) == 1
            transfer = uow.inbound.get(transfer_id)
            assert transfer is not None and transfer.wms_reference == "TO-1"
