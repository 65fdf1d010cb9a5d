"""Reading shipments and returns never reads their labels: listings, searches, the lateness
clock's query, reads by key and the writes after a change send no statement that names a
label's bytes or the tables they are kept in. A label is several KB that only its download
reads (`uow.labels`); every shipment listing used to carry it along."""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from typing import Any

from sqlalchemy import event

from engine.adapters.shipment_queries import open_past_promise
from engine.domain.fulfilment import Label, ShipmentStatus
from tests.support.builders import a_label, a_return, a_shipment, an_order, at
from tests.support.engines import an_engine, uow_factory_on

# `label` as a column of its own (not `label_format`, which listings show), or a label table.
A_LABEL = re.compile(r"\blabel\b|_labels\b", re.IGNORECASE)


def test_listing_searching_and_changing_shipments_and_returns_sends_no_label(
    sqlite_url: str,
) -> None:
    sent: list[str] = []
    with an_engine(sqlite_url) as engine:

        def trace(connection: sqlite3.Connection, _: Any) -> None:
            connection.set_trace_callback(sent.append)

        event.listen(engine, "connect", trace)  # before any connection is made
        uows = uow_factory_on(engine)
        with uows() as uow:
            uow.orders.add(an_order())
            uow.shipments.add(a_shipment(status=ShipmentStatus.RELEASED, shipped_at=None))
            uow.returns.add(a_return(label_format="pdf"))
            uow.labels.put("shipment", "F-1", a_label())
            uow.labels.put("return", "RT-1", Label("pdf", b"%PDF-1.4"))
            uow.commit()
        sent.clear()

        with uows() as uow:
            assert [s.id for s in uow.shipments.list()] == ["F-1"]
            assert len(uow.shipments.search(status=ShipmentStatus.RELEASED)) == 1
            assert len(uow.shipments.search(customer_id="C-1", locations=["DAL-01"])) == 1
            assert len(uow.shipments.for_order("O-1")) == 1
            assert len(uow.shipments.for_location("DAL-01")) == 1
            assert len(open_past_promise(uow.shipments, date(2026, 4, 1))) == 1
            assert [r.id for r in uow.returns.search(customer_id="C-1")] == ["RT-1"]
            assert len(uow.returns.for_order("O-1")) == 1
        with uows() as uow:
            shipment = uow.shipments.get_for_update("F-1")
            found = uow.returns.get("RT-1")
            assert shipment is not None and found is not None
            shipment.move(ShipmentStatus.SHIPPED, at(100))
            found.location_code = "RNO-02"
            uow.commit()

    # The trace sees the reads and the writes.
    assert any(re.match(r"\s*SELECT\b.*\bFROM fulfillment_orders\b", sql, re.S) for sql in sent)
    assert any(re.match(r"\s*UPDATE fulfillment_orders ", sql) for sql in sent)
    assert any(re.match(r"\s*UPDATE returns ", sql) for sql in sent)
    assert [sql for sql in sent if A_LABEL.search(sql)] == []
