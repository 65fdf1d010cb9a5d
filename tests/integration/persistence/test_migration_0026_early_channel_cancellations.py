"""The early cancellations' table on both databases: the migration adds it and downgrading drops
it alone; a cancellation is kept once per (channel, channel order id), taken once, found when
its order is stored, and purged by age."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from engine.domain.orders import Order, OrderLine
from engine.domain.values import Address, utcnow
from engine.service_layer.unit_of_work import EarlyCancellation
from tests.support.engines import an_engine, uow_factory_on
from tests.support.migration_steps import MigrationSteps

MIGRATION = "early_channel_cancellations"
TABLE = "early_cancellations"


def a_cancellation(channel_order_id: str, days_ago: int = 0, reason: str = "customer") -> Any:
    at = utcnow() - timedelta(days=days_ago)
    return EarlyCancellation("shop", channel_order_id, reason, "channel:shop", "d-1", at)


def test_downgrading_drops_the_table_alone_and_upgrading_restores_it(
    migration: MigrationSteps,
) -> None:
    head = migration.tables()
    # The schema as this migration left it: later ones add tables of their own, which a
    # downgrade below it removes too.
    before = migration.at_this().tables()
    assert TABLE in before

    migration.downgrade()
    assert migration.tables() == before - {TABLE}

    migration.upgrade()
    assert migration.tables() == head


def test_a_cancellation_is_kept_once_taken_once_and_purged_by_age(database_url: str) -> None:
    with an_engine(database_url) as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            uow.early_cancellations.remember(a_cancellation("W-1"))
            uow.early_cancellations.remember(a_cancellation("W-1", reason="a retry"))
            uow.early_cancellations.remember(a_cancellation("W-old", days_ago=31))
            uow.commit()
        with uows() as uow:
            assert uow.early_cancellations.purge(utcnow() - timedelta(days=30)) == 1
            uow.commit()
        with uows() as uow:
            assert uow.early_cancellations.take("web", "W-1") is None
            taken = uow.early_cancellations.take("shop", "W-1")
            assert taken is not None
            assert (taken.reason, taken.actor, taken.delivery_id) == (
                "customer", "channel:shop", "d-1"
            )  # fmt: skip
            assert abs(taken.noted_at - utcnow()) < timedelta(minutes=1)
            assert uow.early_cancellations.take("shop", "W-1") is None
            # Not committed: the cancellation is still kept for the next transaction.
        with uows() as uow:
            assert uow.early_cancellations.take("shop", "W-1") is not None
            assert uow.early_cancellations.take("shop", "W-old") is None
            uow.commit()


def test_a_cancellation_whose_order_is_stored_is_found_by_the_worker(database_url: str) -> None:
    with an_engine(database_url) as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            uow.early_cancellations.remember(a_cancellation("W-1"))
            uow.early_cancellations.remember(a_cancellation("W-2"))
            uow.commit()
        assert _arrived(uows) == []
        with uows() as uow:
            line = OrderLine("l1", "A", 1, Decimal("5.00"))
            uow.orders.add(Order("ord_1", "shop", "W-2", "c1", Address("10001"), [line], utcnow()))
            uow.commit()
        assert _arrived(uows) == ["W-2"]


def _arrived(uows: Any) -> list[str]:
    with uows() as uow:
        return [early.channel_order_id for early in uow.early_cancellations.arrived()]
