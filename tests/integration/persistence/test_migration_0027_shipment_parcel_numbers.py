"""The shipment parcel numbers migration on both databases: the upgrade indexes the numbers of
the parcels every stored shipment has (not those of parcels not labelled yet), so a shipment
stored before is found by any of them; the downgrade drops the table and the returns'
tracking number index, and the shipments keep their parcels."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from engine.adapters import translation as tr
from engine.domain.fulfilment import FulfillmentOrder, Parcel
from tests.support import builders as b
from tests.support.engines import uow_factory_on
from tests.support.migration_steps import MigrationSteps
from tests.support.stored_rows import insert_as_stored

MIGRATION = "shipment_parcel_numbers"


def parcel(number: str = "") -> Parcel:
    return Parcel("SHOEBOX", 30.0, 20.0, 10.0, 1.7, 1.7, {"SKU-1": 1}, number)


def packed(shipment_id: str, *numbers: str) -> FulfillmentOrder:
    """A shipment of one parcel per number given ("": a parcel not labelled yet)."""
    parcels = [parcel(number) for number in numbers]
    return b.a_shipment(id=shipment_id, tracking_number=numbers[0], parcels=parcels)


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def indexed_numbers(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT shipment_id, tracking_number FROM shipment_parcel_numbers "
                "ORDER BY shipment_id, tracking_number"
            )
        )
        return [(str(shipment), str(number)) for shipment, number in rows]


def test_upgrading_indexes_the_numbers_of_the_parcels_stored_before(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert "shipment_parcel_numbers" not in tables(engine)
        with engine.begin() as connection:
            for shipment in (
                packed("F-1", "PCL0001", "PCL0002", "PCL0003"),
                packed("F-2", "", ""),  # packed, not labelled yet: nothing to index
                b.a_shipment(id="F-3", tracking_number="1Z777"),  # never packed
            ):
                connection.execute(*insert_as_stored(connection, tr.shipment_row(shipment)))

    migration.upgrade()

    with migration.engine() as engine:
        assert indexed_numbers(engine) == [
            ("F-1", "PCL0001"),
            ("F-1", "PCL0002"),
            ("F-1", "PCL0003"),
        ]
        with uow_factory_on(engine)() as uow:
            [found] = uow.shipments.search(tracking_number="PCL0003")
            assert found.id == "F-1"
            assert [s.id for s in uow.shipments.search(tracking_number="1Z777")] == ["F-3"]


def test_downgrading_drops_the_numbers_and_the_shipments_keep_their_parcels(
    migration: MigrationSteps,
) -> None:
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        uow.shipments.add(packed("F-1", "PCL0001", "PCL0002"))
        uow.commit()

    migration.downgrade()

    with migration.engine() as engine:
        assert "shipment_parcel_numbers" not in tables(engine)
        returns_indexes = {str(ix["name"]) for ix in inspect(engine).get_indexes("returns")}
        assert "ix_returns_tracking_number" not in returns_indexes
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT parcels FROM fulfillment_orders"))
            assert "PCL0002" in str(stored.scalar_one())
    migration.upgrade()
    with migration.engine() as engine:
        assert indexed_numbers(engine) == [("F-1", "PCL0001"), ("F-1", "PCL0002")]
