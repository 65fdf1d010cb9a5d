"""The shipment parcels migration on both databases: a shipment stored before has no parcels
(it ships as one parcel, as it did) and keeps those given after; a packed shipment's parcels
come back as stored, through every store, and a change of a parcel's tracking number is
saved; the downgrade drops the column and keeps the shipments and their tracking events."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import text

from engine.adapters import translation as tr
from engine.domain.fulfilment import Parcel
from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps
from tests.support.stored_rows import insert_as_stored

PARCELS = [
    Parcel("MEDIUM", 45.0, 35.0, 25.0, 5.55, 7.875, {"BOOTS": 2, "JEANS": 1, "MUG": 1}),
    Parcel("", 140.0, 20.0, 20.0, 4.0, None, {"TENT": 1}, "PCL000000000002"),
]


MIGRATION = "shipment_parcels"


def test_a_shipment_stored_before_has_no_parcels_and_keeps_those_given_after(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert "parcels" not in columns_of(engine, "fulfillment_orders")
        with engine.begin() as connection:
            connection.execute(*insert_as_stored(connection, tr.shipment_row(b.a_shipment())))

    migration.upgrade()

    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            found = uow.shipments.get("F-1")
            assert found is not None and found.parcels == []
            found.parcels = list(PARCELS)
            uow.commit()
        with uows() as uow:
            again = uow.shipments.get("F-1")
            assert again is not None and again.parcels == PARCELS


def test_parcels_come_back_as_stored_and_a_tracking_number_given_later_is_saved(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.shipments.add(b.a_shipment(parcels=list(PARCELS)))
        uow.commit()
    with uow_factory() as uow:
        shipment = uow.shipments.get_for_update("F-1")
        assert shipment is not None and shipment.parcels == PARCELS
        shipment.parcels[0] = replace(shipment.parcels[0], tracking_number="PCL000000000001")
        uow.commit()
    with uow_factory() as uow:
        [listed] = uow.shipments.for_order("O-1")
        assert [p.tracking_number for p in listed.parcels] == ["PCL000000000001", "PCL000000000002"]
        assert listed.parcels[0].units == {"BOOTS": 2, "JEANS": 1, "MUG": 1}
        assert listed.parcels[1].billable_weight_kg is None


def test_downgrading_drops_the_column_and_keeps_the_shipment_and_its_tracking(
    migration: MigrationSteps,
) -> None:
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        uow.shipments.add(b.a_shipment(parcels=list(PARCELS)))
        uow.commit()

    migration.downgrade()

    with migration.engine() as engine:
        assert "parcels" not in columns_of(engine, "fulfillment_orders")
        with engine.connect() as connection:
            codes = connection.execute(text("SELECT code FROM shipment_tracking"))
            assert codes.scalars().all() == ["in_transit"]
    migration.upgrade()
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        kept = uow.shipments.get("F-1")
        assert kept is not None and kept.parcels == [] and len(kept.tracking) == 1
