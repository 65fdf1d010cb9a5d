"""Two requests writing again the same rejected document at the same moment, on PostgreSQL:
one writes the replacement, and the other, refused by the store's unique `replaces`, answers
with it; the mailbox holds one replacement."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker

from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.edi import FA_REJECTED, SHIP_NOTICE, EdiPurchaseOrder
from engine.domain.fulfilment import ShipmentLine
from engine.service_layer import edi
from engine.service_layer.edi_resends import Resent, resend
from engine.service_layer.unit_of_work import UnitOfWork
from tests.support.builders import a_line, a_location, a_shipment, an_order
from tests.support.engines import an_engine
from tests.support.racing import MeetingAtCommit
from tests.unit.events import test_ship_notice_writer as notices


def a_rejected_856(sessions: sessionmaker[Session]) -> str:
    """The 856 of shipment F-1 of EDI order O-1, as the worker writes it, rejected."""
    with SqlAlchemyUnitOfWork(sessions) as uow:
        lines = [a_line(id="1", sku="SHOE-42", quantity=2)]
        uow.orders.add(an_order(id="O-1", channel="b2b-acme", channel_order_id="PO-1001",
                                lines=lines))  # fmt: skip
        uow.locations.add(a_location(code="DAL-01", name="Dallas DC"))
        uow.shipments.add(
            a_shipment(id="F-1", order_id="O-1", location_code="DAL-01", carrier="SWX",
                       lines=[ShipmentLine("1", "SHOE-42", 2)], shipped_at=notices.NOW)
        )  # fmt: skip
        uow.edi.keep_purchase_order(
            EdiPurchaseOrder("b2b-acme", "PO-1001", notices.ENVELOPE, notices.SENT[:1],
                             notices.NOW, "20261121")
        )  # fmt: skip
        uow.commit()
    notices.writer()(notices.status_changed(), SqlAlchemyUnitOfWork(sessions))
    with SqlAlchemyUnitOfWork(sessions) as uow:
        document = uow.edi.document_about(SHIP_NOTICE, "F-1")
        assert document is not None
        uow.edi.record_functional_ack(document.id, FA_REJECTED, ["AK502=5"], notices.NOW)
        uow.commit()
        return document.id


def meeting_to_write(
    sessions: sessionmaker[Session], meeting: threading.Barrier
) -> Callable[[], UnitOfWork]:
    """The units of work of one resend: its transaction writing the replacement (the third)
    waits for the other request's to be about to commit too."""
    calls = iter(range(100))

    def uow() -> UnitOfWork:
        if next(calls) == 2:
            return MeetingAtCommit(sessions, meeting)
        return SqlAlchemyUnitOfWork(sessions)

    return uow


def test_two_resends_at_once_write_one_replacement_and_both_answer_with_it(
    postgres_url: str,
) -> None:
    with an_engine(postgres_url) as engine:
        sessions = make_session_factory(engine)
        rejected = a_rejected_856(sessions)
        meeting = threading.Barrier(2)

        def ask() -> Resent:
            uows = meeting_to_write(sessions, meeting)
            return resend(uows, rejected, None, "admin:ops", {"SWX": "Swift Express"})

        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = [f.result(timeout=30) for f in [pool.submit(ask) for _ in "ab"]]

        assert sorted(answer.created for answer in answers) == [False, True]
        assert answers[0].document.id == answers[1].document.id
        documents = edi.outbound(lambda: SqlAlchemyUnitOfWork(sessions), "b2b-acme", pending=None)
        assert [d.replaces for d in documents] == ["", rejected]
