"""The migration that moves printed labels out of the shipment and return rows, on both
databases: labels stored before are found in the label tables after upgrading, byte for byte,
and the downgrade puts them back in their columns; shipments keep their tracking events both
ways (rebuilding the shipments table on SQLite would have deleted them through the foreign
key's cascade)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Engine, inspect, text

from engine.domain.fulfilment import Label, TrackingEvent
from tests.support.builders import a_label, a_return, a_shipment, at
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps, json_value

# A NUL, a byte that is not UTF-8 and a non-ASCII letter: labels are bytes, not text.
ZPL = "^XA^FDZoë Lovelace^FS^XZ".encode("latin-1") + b"\x00\xff"
PDF = b"%PDF-1.4\n\x00\xff\xfe%%EOF"


MIGRATION = "label_tables"


def shipment_made_before(engine: Engine, key: str, label_format: str, label: bytes) -> None:
    lines = json.dumps([{"order_line_id": "L1", "sku": "SHOE-42", "quantity": 1}])
    value = json_value(engine, ":lines")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO fulfillment_orders (id, order_id, location_code, status, lines, "
                "carrier, service, rate, tracking_number, label_format, label, wms_reference, "
                f"created_at) VALUES (:id, 'ord_1', 'DAL-01', 'shipped', {value}, 'ups', "
                "'ground', '9.50', :tracking, :format, :label, '', :created)"
            ),
            {"id": key, "lines": lines, "tracking": "1Z" + key, "format": label_format,
             "label": label, "created": datetime(2026, 11, 24)},
        )  # fmt: skip
        connection.execute(
            text(
                "INSERT INTO shipment_tracking (shipment_id, at, code, description, location, "
                "fingerprint) VALUES (:id, :at, 'in_transit', 'Departed', 'Dallas', :print)"
            ),
            {"id": key, "at": datetime(2026, 11, 24, 12), "print": "f" * 64},
        )


def return_made_before(engine: Engine, key: str, label_format: str, label: bytes) -> None:
    lines = json.dumps([{"order_line_id": "L1", "sku": "SHOE-42", "quantity": 1, "reason": "",
                         "restock": True}])  # fmt: skip
    value = json_value(engine, ":lines")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO returns (id, order_id, status, rma, location_code, refund_amount, "
                "lines, created_at, carrier, service, tracking_number, label_format, label) "
                f"VALUES (:id, 'ord_1', 'authorised', 'RMA-1', 'DAL-01', '0.00', {value}, "
                ":created, 'ups', 'ground', '1ZR', :format, :label)"
            ),
            {"id": key, "lines": lines, "format": label_format, "label": label,
             "created": datetime(2026, 11, 24)},
        )  # fmt: skip


def stored_labels(engine: Engine, table: str) -> dict[str, tuple[str, bytes]]:
    """id -> (label_format, label) of the rows of a schema that keeps labels in columns."""
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT id, label_format, label FROM {table}"))
        return {row.id: (row.label_format, bytes(row.label)) for row in rows}


def test_labels_stored_before_are_found_apart_from_their_rows_after_upgrading(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        shipment_made_before(engine, "ful_zpl", "zpl", ZPL)
        shipment_made_before(engine, "ful_none", "", b"")
        # A format and no label: nothing to download, so after upgrading it has none.
        shipment_made_before(engine, "ful_stray", "pdf", b"")
        return_made_before(engine, "ret_pdf", "pdf", PDF)
        return_made_before(engine, "ret_none", "", b"")

    migration.upgrade()

    with migration.engine() as engine:
        assert "label" not in columns_of(engine, "fulfillment_orders")
        assert "label" not in columns_of(engine, "returns")
        with uow_factory_on(engine)() as uow:
            assert uow.labels.get("shipment", "ful_zpl") == Label("zpl", ZPL)
            assert uow.labels.get("shipment", "ful_none") is None
            assert uow.labels.get("shipment", "ful_stray") is None
            assert uow.labels.get("return", "ret_pdf") == Label("pdf", PDF)
            assert uow.labels.get("return", "ret_none") is None
            shipments = {s.id: s for s in uow.shipments.list()}
            assert {key: s.label_format for key, s in shipments.items()} == {
                "ful_zpl": "zpl", "ful_none": "", "ful_stray": "",
            }  # fmt: skip
            assert all(len(s.tracking) == 1 for s in shipments.values())
            found = uow.returns.get("ret_pdf")
            assert found is not None and found.label_format == "pdf"


def test_downgrading_puts_the_labels_back_in_their_columns_and_keeps_the_tracking_events(
    migration: MigrationSteps,
) -> None:
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        departed = [TrackingEvent(at(95), "in_transit", "Departed", "Dallas, TX")]
        uow.shipments.add(a_shipment(id="ful_zpl", label_format="zpl", tracking=departed))
        uow.shipments.add(a_shipment(id="ful_none", label_format="", tracking=departed))
        uow.returns.add(a_return(id="ret_pdf", label_format="pdf"))
        uow.returns.add(a_return(id="ret_none", label_format=""))
        uow.labels.put("shipment", "ful_zpl", a_label(content=ZPL))
        uow.labels.put("return", "ret_pdf", Label("pdf", PDF))
        uow.commit()

    migration.downgrade()

    with migration.engine() as engine:
        assert not {"shipment_labels", "return_labels"} & set(inspect(engine).get_table_names())
        assert stored_labels(engine, "fulfillment_orders") == {
            "ful_zpl": ("zpl", ZPL), "ful_none": ("", b""),
        }  # fmt: skip
        assert stored_labels(engine, "returns") == {"ret_pdf": ("pdf", PDF), "ret_none": ("", b"")}
        with engine.connect() as connection:
            events = connection.execute(text("SELECT count(*) FROM shipment_tracking"))
            assert events.scalar_one() == 2

    migration.to_head()
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        assert uow.labels.get("shipment", "ful_zpl") == Label("zpl", ZPL)
        assert uow.labels.get("return", "ret_pdf") == Label("pdf", PDF)
        assert uow.labels.get("shipment", "ful_none") is None
