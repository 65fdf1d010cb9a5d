"""The transfers' shipping migration on both databases: a transfer stored before has not
shipped and can be reported shipped after; the downgrade drops the columns and keeps the
transfers."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text

from engine.domain.inventory import InboundKind, InboundSupply
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps

LEFT = datetime(2026, 11, 28, 14, 5, tzinfo=UTC)
SHIPPING = {"shipped_at", "carrier", "tracking_number"}


MIGRATION = "transfer_shipping"


def test_a_transfer_stored_before_has_not_shipped_and_can_be_reported_shipped(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert not SHIPPING & columns_of(engine, "inbound_supply")
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
            assert old is not None
            assert (old.shipped_at, old.carrier, old.tracking_number) == (None, "", "")
            assert old.report_shipped("ups", "1Z1", LEFT, None, LEFT)
            uow.commit()
        with uows() as uow:
            sent = uow.inbound.get("trf_old")
            assert sent is not None
            assert (sent.shipped_at, sent.carrier, sent.tracking_number) == (LEFT, "ups", "1Z1")


def test_downgrading_drops_the_columns_and_keeps_the_transfers(migration: MigrationSteps) -> None:
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        uow.inbound.add(
            InboundSupply("trf_1", "MUG", "NYC-5", 3, date(2026, 12, 2), InboundKind.TRANSFER,
                          "from NJ-DC", order_id="ord_1", shipped_at=LEFT, carrier="ups",
                          tracking_number="1Z1")
        )  # fmt: skip
        uow.commit()

    migration.downgrade()

    with migration.engine() as engine:
        assert not SHIPPING & columns_of(engine, "inbound_supply")
        with engine.connect() as connection:
            ids = connection.execute(text("SELECT id, order_id FROM inbound_supply"))
            assert [tuple(row) for row in ids] == [("trf_1", "ord_1")]
    migration.upgrade()
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        kept = uow.inbound.get("trf_1")
        assert kept is not None and (kept.shipped_at, kept.tracking_number) == (None, "")
