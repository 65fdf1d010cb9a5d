"""The ship-to-store migration on both databases: a transfer stored before belongs to no
order and is not cancelled; one sent for an order after keeps its order and can be called
off; the downgrade drops both columns and keeps the transfers."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from engine.domain.inventory import InboundKind, InboundSupply
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps

NEW_COLUMNS = {"order_id", "cancelled"}


MIGRATION = "ship_to_store_transfers"


def test_a_transfer_stored_before_is_nobodys_and_one_after_keeps_its_order(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert not NEW_COLUMNS & columns_of(engine, "inbound_supply")
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
            assert old is not None and (old.order_id, old.cancelled, old.pending) == (
                "",
                False,
                True,
            )
            uow.inbound.add(
                InboundSupply("trf_new", "MUG", "NYC-5", 3, date(2026, 12, 2),
                              InboundKind.TRANSFER, "from NJ-DC", order_id="ord_1")
            )  # fmt: skip
            uow.commit()
        with uows() as uow:
            sent = uow.inbound.get_for_update("trf_new")
            assert sent is not None
            sent.cancel()
            uow.commit()
        with uows() as uow:
            [kept] = uow.inbound.for_order("ord_1")
            assert (kept.id, kept.cancelled, kept.pending) == ("trf_new", True, False)
            assert uow.inbound.for_order("") != []  # the old one: ordinary supply


def test_downgrading_drops_the_columns_and_keeps_the_transfers(migration: MigrationSteps) -> None:
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        uow.inbound.add(
            InboundSupply("trf_1", "MUG", "NYC-5", 3, date(2026, 12, 2), InboundKind.TRANSFER,
                          "from NJ-DC", order_id="ord_1")
        )  # fmt: skip
        uow.commit()

    migration.downgrade()

    with migration.engine() as engine:
        assert not NEW_COLUMNS & columns_of(engine, "inbound_supply")
        with engine.connect() as connection:
            ids = connection.execute(text("SELECT id FROM inbound_supply"))
            assert ids.scalars().all() == ["trf_1"]
    migration.upgrade()
    with migration.engine() as engine, uow_factory_on(engine)() as uow:
        kept = uow.inbound.get("trf_1")
        assert kept is not None and kept.order_id == ""
