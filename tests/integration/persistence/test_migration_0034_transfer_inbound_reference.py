"""The transfers' inbound-reference migration on both databases: a transfer shipped before it
has not been announced to its receiving WMS and can keep the name that WMS gives it after;
the downgrade drops the column and keeps the transfers."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text

from engine.domain.inventory import InboundKind, InboundSupply
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps

LEFT = datetime(2026, 11, 28, 14, 5, tzinfo=UTC)


MIGRATION = "transfer_inbound_reference"


def test_a_transfer_shipped_before_is_unannounced_and_keeps_the_receiving_wms_name_after(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert "inbound_reference" not in columns_of(engine, "inbound_supply")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO inbound_supply (id, sku, location_code, quantity, expected_on, "
                    "kind, reference, received, shipped_at, carrier, tracking_number) VALUES "
                    "('trf_old', 'MUG', 'NYC-5', 2, '2026-12-01', 'transfer', 'from NJ-DC', "
                    ":no, :left, 'ups', '1Z1')"
                ),
                {"no": False, "left": LEFT},
            )

    migration.upgrade()

    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            old = uow.inbound.get("trf_old")
            assert old is not None and old.inbound_reference == ""
            assert (old.carrier, old.tracking_number) == ("ups", "1Z1")  # the rest kept
            old.inbound_reference = "ASN-1"
            uow.commit()
        with uows() as uow:
            announced = uow.inbound.get("trf_old")
            assert announced is not None and announced.inbound_reference == "ASN-1"


def test_downgrading_drops_the_column_and_keeps_the_transfers(migration: MigrationSteps) -> None:
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        uow.inbound.add(
            InboundSupply("trf_1", "MUG", "NYC-5", 3, date(2026, 12, 2), InboundKind.TRANSFER,
                          "from NJ-DC", order_id="ord_1", shipped_at=LEFT, carrier="ups",
                          tracking_number="1Z1", inbound_reference="ASN-1")
        )  # fmt: skip
        uow.commit()

    migration.downgrade()

    with migration.engine() as engine:
        assert "inbound_reference" not in columns_of(engine, "inbound_supply")
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT id, tracking_number FROM inbound_supply"))
            assert [tuple(row) for row in kept] == [("trf_1", "1Z1")]
    migration.upgrade()
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        again = uow.inbound.get("trf_1")
        assert again is not None and again.inbound_reference == ""
