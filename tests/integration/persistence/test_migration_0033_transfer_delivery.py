"""The transfers' delivery migration on both databases: a transfer shipped before it has not
been delivered, is found by its tracking number after it (through the new index), and can be
delivered; the downgrade drops the column and the index and keeps the transfers."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text

from engine.domain.inventory import InboundKind, InboundSupply
from tests.support.engines import columns_of, migration_named, uow_factory_on
from tests.support.migration_steps import MigrationSteps, indexes_of

LEFT = datetime(2026, 11, 28, 14, 5, tzinfo=UTC)
AT_THE_STORE = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


MIGRATION = "transfer_delivery"
INDEX = str(migration_named(MIGRATION).INDEX)


def test_a_transfer_shipped_before_is_found_by_its_number_and_can_be_delivered_after(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert "delivered_at" not in columns_of(engine, "inbound_supply")
        assert INDEX not in indexes_of(engine, "inbound_supply")
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
        assert INDEX in indexes_of(engine, "inbound_supply")
        uows = uow_factory_on(engine)
        with uows() as uow:
            [old] = uow.inbound.with_tracking_number("1Z1")
            assert (old.id, old.delivered_at) == ("trf_old", None)
            assert uow.inbound.with_tracking_number("1Z2") == []
            assert old.mark_delivered(AT_THE_STORE)
            uow.commit()
        with uows() as uow:
            kept = uow.inbound.get("trf_old")
            assert kept is not None and kept.delivered_at == AT_THE_STORE


def test_downgrading_drops_the_column_and_the_index_and_keeps_the_transfers(
    migration: MigrationSteps,
) -> None:
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        uow.inbound.add(
            InboundSupply("trf_1", "MUG", "NYC-5", 3, date(2026, 12, 2), InboundKind.TRANSFER,
                          "from NJ-DC", shipped_at=LEFT, carrier="ups", tracking_number="1Z1",
                          delivered_at=AT_THE_STORE)
        )  # fmt: skip
        uow.commit()

    migration.downgrade()

    with migration.engine() as engine:
        assert "delivered_at" not in columns_of(engine, "inbound_supply")
        assert INDEX not in indexes_of(engine, "inbound_supply")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, tracking_number FROM inbound_supply"))
            assert [tuple(row) for row in rows] == [("trf_1", "1Z1")]
    migration.upgrade()
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        kept = uow.inbound.get("trf_1")
        assert kept is not None and (kept.tracking_number, kept.delivered_at) == ("1Z1", None)
