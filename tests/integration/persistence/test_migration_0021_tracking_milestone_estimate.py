"""The tracking milestone and estimate migration on both databases: a scan stored before has
neither (its meaning is read from its code, the shipment has no estimate) and a scan posted
after keeps both; the downgrade drops the columns and keeps the scans."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, text

from engine.adapters import translation as tr
from engine.adapters.repositories import tracking_fingerprint
from engine.domain.commands import TrackShipment
from engine.domain.tracking_codes import Milestone
from engine.service_layer.tracking import track_shipment
from tests.support import builders as b
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps
from tests.support.stored_rows import insert_as_stored

NEW_COLUMNS = {"milestone", "estimated_delivery"}
SCANNED = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)


MIGRATION = "tracking_milestone_estimate"


def a_scan_stored_before(engine: Engine) -> None:
    with engine.begin() as connection:
        shipment = tr.shipment_row(b.a_shipment(tracking=[]))
        connection.execute(*insert_as_stored(connection, shipment))
        connection.execute(
            text(
                "INSERT INTO shipment_tracking (shipment_id, at, code, description, location, "
                "fingerprint) VALUES ('F-1', :at, 'OD', 'On vehicle', 'Dallas', :fingerprint)"
            ),
            {
                "at": SCANNED,
                "fingerprint": tracking_fingerprint(SCANNED, "OD", "On vehicle", "Dallas"),
            },
        )


def test_a_scan_stored_before_reads_its_code_and_one_posted_after_keeps_what_it_said(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert not NEW_COLUMNS & columns_of(engine, "shipment_tracking")
        a_scan_stored_before(engine)

    migration.upgrade()

    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            shipment = uow.shipments.get("F-1")
            assert shipment is not None and shipment.estimated_delivery is None
            [old] = shipment.tracking
            assert (old.milestone, old.meaning) == (None, Milestone.OUT_FOR_DELIVERY)
        later = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
        assert track_shipment(
            TrackShipment("F-1", later, "hold-42", "Weather", "Dallas", "ups-hook",
                          Milestone.EXCEPTION, date(2026, 3, 9)),
            uows(),
        )  # fmt: skip
        with uows() as uow:
            again = uow.shipments.get("F-1")
            assert again is not None and again.estimated_delivery == date(2026, 3, 9)
            assert [(t.code, t.milestone, t.estimated_delivery) for t in again.tracking] == [
                ("OD", None, None),
                ("hold-42", Milestone.EXCEPTION, date(2026, 3, 9)),
            ]


def test_downgrading_drops_the_columns_and_keeps_the_scans(migration: MigrationSteps) -> None:
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        uow.orders.add(b.a_plain_order(1))
        uow.shipments.add(b.a_shipment(tracking=[]))
        uow.commit()
    with migration.engine() as engine:
        track_shipment(
            TrackShipment("F-1", SCANNED, "IT", "", "", "ups-hook", None, date(2026, 3, 6)),
            uow_factory_on(engine)(),
        )

    migration.downgrade()

    with migration.engine() as engine:
        assert not NEW_COLUMNS & columns_of(engine, "shipment_tracking")
        with engine.connect() as connection:
            codes = connection.execute(text("SELECT code FROM shipment_tracking"))
            assert codes.scalars().all() == ["IT"]
    migration.to_head()
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        kept = uow.shipments.get("F-1")
        assert kept is not None and [t.code for t in kept.tracking] == ["IT"]
        assert kept.estimated_delivery is None
