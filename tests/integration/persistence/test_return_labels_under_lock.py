"""Whether a return has its label yet is decided with the return's row locked: two requests
for its label at once print it once, with one tracking number, one audit entry and one
event, and the second is told it made nothing."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select

from connectors.base import Carrier, RateQuote, ShippingLabel, TrackingUpdate
from engine.adapters import orm
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.commands import LabelReturn
from engine.domain.fulfilment import Label
from engine.service_layer.labels import label_return
from tests.support import builders as b
from tests.support.engines import an_engine
from tests.support.racing import MEETING_SECONDS

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


class MeetingCarrier(Carrier):
    """Prints a label with a tracking number of its own each time it is asked, once the
    other request is printing too (or the wait has run out): both requests reach the
    carrier only if neither waits for the other's decision."""

    slug = "meeting"

    def __init__(self) -> None:
        super().__init__()
        self.meeting = threading.Barrier(2)
        self.printed: list[str] = []
        self._numbering = threading.Lock()

    def rates(self, shipment: Mapping[str, Any]) -> list[RateQuote]:
        return [RateQuote("ups", "ground", Decimal("7.10"), "USD", 3)]

    def label(self, shipment: Mapping[str, Any], service: str, format: str) -> ShippingLabel:
        with suppress(threading.BrokenBarrierError):  # the other request waits for our lock
            self.meeting.wait(timeout=MEETING_SECONDS)
        with self._numbering:
            number = f"1ZRET{len(self.printed) + 1:04d}"
            self.printed.append(number)
        return ShippingLabel(number, format, b"%PDF " + number.encode())

    def track(self, tracking_number: str) -> list[TrackingUpdate]:
        return []


def count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
        )


def test_two_label_requests_at_once_print_one_label_audited_and_raised_once(
    postgres_url: str,
) -> None:
    with an_engine(postgres_url) as engine:
        sessions = make_session_factory(engine)
        with SqlAlchemyUnitOfWork(sessions) as uow:
            uow.orders.add(b.an_order())
            uow.locations.add(b.a_location())
            uow.products.add(b.a_product(sku="SKU-1", weight_kg=1.25))
            uow.shipments.add(b.a_shipment())  # whose carrier takes the parcel back
            uow.returns.add(b.a_return())  # authorised, back to DAL-01, no label yet
            uow.commit()
        carrier = MeetingCarrier()

        def ask() -> bool:
            command = LabelReturn("RT-1", "pdf", "", "customer:C-1")
            return label_return(
                command, SqlAlchemyUnitOfWork(sessions), lambda: NOW, {"ups": carrier}.get
            )

        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = [future.result(timeout=30) for future in [pool.submit(ask) for _ in "ab"]]

        assert sorted(answers) == [False, True]  # one printed it, the other found it there
        [number] = carrier.printed
        with SqlAlchemyUnitOfWork(sessions) as uow:
            found = uow.returns.get("RT-1")
            assert found is not None and found.tracking_number == number
            assert uow.labels.get("return", "RT-1") == Label("pdf", b"%PDF " + number.encode())
        audit = orm.audit_log.c
        assert (
            count(engine, orm.audit_log, audit.entity_id == "RT-1", audit.action == "return.label")
            == 1
        )
        assert count(engine, orm.outbox, orm.outbox.c.name == "return.labelled") == 1
