"""Box stock on both databases, and in the fake that stands for them: the migration adds its
two tables and downgrading drops them alone; a level is tracked from its first change, set
by a count, moved by receipts and uses (below 0 too), and a shipment's boxes are noted once."""

from __future__ import annotations

from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b
from tests.support.migration_steps import MigrationSteps

MIGRATION = "box_stock"
TABLES = {"box_stock", "box_stock_uses"}


def test_downgrading_drops_the_tables_alone_and_upgrading_restores_them(
    migration: MigrationSteps,
) -> None:
    head = migration.tables()
    before = migration.at_this().tables()
    assert before >= TABLES

    migration.downgrade()
    assert migration.tables() == before - TABLES

    migration.upgrade()
    assert migration.tables() == head


def test_a_level_is_counted_moved_and_listed_by_location_and_box(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        assert uow.box_stock.add("DAL-01", "SMALL", -2, b.at(0))[0] is None
        before, counted = uow.box_stock.set("DAL-01", "MEDIUM", 40, b.at(1))
        assert (before, counted.on_hand, counted.version) == (None, 40, 1)
        uow.box_stock.set("RNO-02", "MEDIUM", 7, b.at(1))
        uow.commit()
    with uow_factory() as uow:
        before, received = uow.box_stock.add("DAL-01", "MEDIUM", 10, b.at(2))
        assert (before, received.on_hand, received.version) == (40, 50, 2)
        assert received.updated_at == b.at(2)
        before, recounted = uow.box_stock.set("DAL-01", "SMALL", 5, b.at(3))
        assert (before, recounted.on_hand) == (-2, 5)
        uow.commit()
    with uow_factory() as uow:
        uow.box_stock.add("DAL-01", "SMALL", 100, b.at(4))
        # Not committed: the receipt is gone with the transaction.
    with uow_factory() as uow:
        shown = [(x.location_code, x.box_code, x.on_hand) for x in uow.box_stock.levels()]
        assert shown == [("DAL-01", "MEDIUM", 50), ("DAL-01", "SMALL", 5), ("RNO-02", "MEDIUM", 7)]
        assert [x.box_code for x in uow.box_stock.levels("RNO-02")] == ["MEDIUM"]


def test_a_shipment_s_boxes_are_noted_once(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        assert uow.box_stock.mark_used("F-1", "DAL-01", {"SMALL": 2}, b.at(0))
        assert not uow.box_stock.mark_used("F-1", "DAL-01", {"SMALL": 2}, b.at(1))
        uow.commit()
    with uow_factory() as uow:
        assert not uow.box_stock.mark_used("F-1", "DAL-01", {"SMALL": 2}, b.at(2))
        assert uow.box_stock.mark_used("F-2", "DAL-01", {"MEDIUM": 1}, b.at(2))
