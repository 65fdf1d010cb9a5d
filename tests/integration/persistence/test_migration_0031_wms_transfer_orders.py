"""The transfers' WMS reference migration on both databases: a transfer stored before has
none and can be given one after; the downgrade drops the column and keeps the transfers."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from engine.domain.inventory import InboundKind, InboundSupply
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps

MIGRATION = "wms_transfer_orders"


def test_a_transfer_stored_before_has_no_wms_reference_and_can_be_given_one(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert "wms_reference" not in columns_of(engine, "inbound_supply")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO inbound_supply (id, sku, location_code, quantity, expected_on, "
                    "kind, reference, received) VALUES ('trf_old', 'MUG', 'NYC-5', 2, "
                    "'2026-12-01', 'transfer', 'from NJ-DC', :no)"
                ),
                {"no": False},
            )

    migration.upgrade()

    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            old = uow.inbound.get("trf_old")
            assert old is not None and old.wms_reference == ""
            old.wms_reference = "TO-000001"
            uow.commit()
        with uows() as uow:
            sent = uow.inbound.get("trf_old")
            assert sent is not None and (sent.wms_reference, sent.from_location) == (
                "TO-000001",
                "NJ-DC",
            )


def test_downgrading_drops_the_column_and_keeps_the_transfers(migration: MigrationSteps) -> None:
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        uow.inbound.add(
            InboundSupply("trf_1", "MUG", "NYC-5", 3, date(2026, 12, 2), InboundKind.TRANSFER,
                          "from NJ-DC", order_id="ord_1", wms_reference="TO-7")
        )  # fmt: skip
        uow.commit()

    migration.downgrade()

    with migration.engine() as engine:
        assert "wms_reference" not in columns_of(engine, "inbound_supply")
        with engine.connect() as connection:
            ids = connection.execute(text("SELECT id, order_id FROM inbound_supply"))
            assert [tuple(row) for row in ids] == [("trf_1", "ord_1")]
    migration.upgrade()
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        kept = uow.inbound.get("trf_1")
        assert kept is not None and kept.wms_reference == ""
