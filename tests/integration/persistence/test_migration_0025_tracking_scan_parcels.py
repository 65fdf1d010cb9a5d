"""The tracking scan parcels migration on both databases: a scan stored before is of the whole
shipment and keeps its fingerprint (a carrier's retry of it is still known as one), scans
posted after keep the parcel they name, and scans alike but for their parcel are stored
each; the downgrade drops the column and keeps every scan."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from engine.adapters import translation as tr
from engine.adapters.repositories import tracking_fingerprint
from engine.domain.commands import TrackShipment
from engine.domain.fulfilment import FulfillmentOrder, Parcel, ShipmentStatus
from engine.service_layer.tracking import track_shipment
from tests.support import builders as b
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps
from tests.support.stored_rows import insert_as_stored

SCANNED = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
NUMBERS = ("PCL0001", "PCL0002")


MIGRATION = "tracking_scan_parcels"


def packed() -> FulfillmentOrder:
    """A shipped shipment of two labelled parcels, its timeline empty."""
    parcels = [
        Parcel("SHOEBOX", 30.0, 20.0, 10.0, 1.7, 1.7, {"SKU-1": 1}, number) for number in NUMBERS
    ]
    return b.a_shipment(tracking=[], tracking_number=NUMBERS[0], parcels=parcels)


def delivered(number: str = "") -> TrackShipment:
    return TrackShipment("F-1", SCANNED, "DL", "Front door", "Dallas", "ups-hook",
                         tracking_number=number)  # fmt: skip


def test_a_scan_stored_before_is_of_the_whole_shipment_and_its_retry_is_still_known(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert "tracking_number" not in columns_of(engine, "shipment_tracking")
        with engine.begin() as connection:
            connection.execute(*insert_as_stored(connection, tr.shipment_row(packed())))
            connection.execute(
                text(
                    "INSERT INTO shipment_tracking (shipment_id, at, code, description, "
                    "location, fingerprint) VALUES ('F-1', :at, 'DL', 'Front door', 'Dallas', "
                    ":fingerprint)"
                ),
                {
                    "at": SCANNED,
                    "fingerprint": tracking_fingerprint(SCANNED, "DL", "Front door", "Dallas"),
                },
            )

    migration.upgrade()

    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            shipment = uow.shipments.get("F-1")
            assert shipment is not None
            assert [t.tracking_number for t in shipment.tracking] == [""]
            uow.orders.add(b.a_plain_order(1))  # which a delivery moves along
            uow.commit()
        assert not track_shipment(delivered(), uows())  # the carrier's retry of it
        assert track_shipment(delivered(NUMBERS[1]), uows())
        with uows() as uow:
            again = uow.shipments.get("F-1")
            assert again is not None
            assert [t.tracking_number for t in again.tracking] == ["", NUMBERS[1]]


def test_scans_alike_but_for_their_parcel_are_stored_each_and_deliver_the_shipment(
    migration: MigrationSteps,
) -> None:
    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            uow.orders.add(b.a_plain_order(1))
            uow.shipments.add(packed())
            uow.commit()
        assert track_shipment(delivered(NUMBERS[0]), uows())
        assert not track_shipment(delivered(NUMBERS[0]), uows())
        assert track_shipment(delivered(NUMBERS[1]), uows())
        with uows() as uow:
            shipment = uow.shipments.get("F-1")
            assert shipment is not None and shipment.status is ShipmentStatus.DELIVERED
            assert [t.tracking_number for t in shipment.tracking] == list(NUMBERS)


def test_downgrading_drops_the_column_and_keeps_every_scan(migration: MigrationSteps) -> None:
    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            uow.orders.add(b.a_plain_order(1))
            uow.shipments.add(packed())
            uow.commit()
        for number in NUMBERS:
            track_shipment(delivered(number), uows())

    migration.downgrade()

    with migration.engine() as engine:
        assert "tracking_number" not in columns_of(engine, "shipment_tracking")
        with engine.connect() as connection:
            codes = connection.execute(text("SELECT code FROM shipment_tracking"))
            assert codes.scalars().all() == ["DL", "DL"]
    migration.to_head()
