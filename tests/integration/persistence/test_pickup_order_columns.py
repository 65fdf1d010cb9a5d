"""Pickup orders (click and collect) on both databases: an order says how it is fulfilled and
where it is collected; the migration gives every order placed before `ship` and no store,
and its downgrade drops both columns and keeps the orders with their lines (rebuilding the
table on SQLite would have deleted those through the foreign key's cascade)."""

from __future__ import annotations

import json
from datetime import datetime
from types import ModuleType

import pytest
from sqlalchemy import Engine, text

from engine.adapters import migrations
from engine.domain.orders import Fulfilment
from tests.support.builders import an_order
from tests.support.engines import an_engine, columns_of, migration_named, uow_factory_on


def this_migration() -> ModuleType:
    return migration_named("pickup_orders")


BEFORE = str(this_migration().down_revision)


def an_order_placed_before(engine: Engine) -> None:
    value = "CAST(:{0} AS JSONB)" if engine.dialect.name == "postgresql" else ":{0}"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO orders (id, channel, channel_order_id, customer_id, email, "
                "email_lower, currency, service_level, priority, status, ship_to, holds, "
                "version, created_at, updated_at) VALUES ('ord_1', 'web', 'W-1', 'C-1', '', '', "
                f"'USD', 'standard', 0, 'received', {value.format('ship_to')}, "
                f"{value.format('holds')}, 0, :at, :at)"
            ),
            {
                "ship_to": json.dumps({"postal_code": "10001", "country": "US"}),
                "holds": "[]",
                "at": datetime(2026, 11, 28),
            },
        )
        connection.execute(
            text(
                "INSERT INTO order_lines (order_id, id, position, sku, quantity, price, status, "
                "quantity_shipped, quantity_cancelled) "
                "VALUES ('ord_1', '1', 0, 'MUG', 2, '12.00', 'open', 0, 0)"
            )
        )


@pytest.fixture
def before(database_url: str) -> str:
    migrations.downgrade(database_url, BEFORE)
    return database_url


def test_an_order_placed_before_is_shipped_and_a_pickup_keeps_its_store(before: str) -> None:
    with an_engine(before) as engine:
        assert not {"fulfilment", "pickup_location"} & columns_of(engine, "orders")
        an_order_placed_before(engine)

    migrations.upgrade(before)

    with an_engine(before) as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            old = uow.orders.get("ord_1")
            assert old is not None
            assert (old.fulfilment, old.pickup_location) == (Fulfilment.SHIP, None)
            uow.orders.add(
                an_order(
                    id="ord_2",
                    channel_order_id="W-2",
                    fulfilment=Fulfilment.PICKUP,
                    pickup_location="NYC-5",
                )
            )
            uow.commit()
        with uows() as uow:
            pickup = uow.orders.get("ord_2")
            assert pickup is not None
            assert (pickup.fulfilment, pickup.pickup_location) == (Fulfilment.PICKUP, "NYC-5")


def test_downgrading_drops_the_columns_and_keeps_the_orders_and_their_lines(
    database_url: str,
) -> None:
    with an_engine(database_url) as engine, uow_factory_on(engine)() as uow:
        uow.orders.add(an_order(fulfilment=Fulfilment.PICKUP, pickup_location="NYC-5"))
        uow.commit()

    migrations.downgrade(database_url, BEFORE)

    with an_engine(database_url) as engine:
        assert not {"fulfilment", "pickup_location"} & columns_of(engine, "orders")
        with engine.connect() as connection:
            lines = connection.execute(text("SELECT sku FROM order_lines ORDER BY id"))
            assert lines.scalars().all() == ["SKU-1", "SKU-2"]
    migrations.upgrade(database_url)
    assert migrations.current(database_url) == migrations.head()
    with an_engine(database_url) as engine, uow_factory_on(engine)() as uow:
        kept = uow.orders.get("O-1")
        assert kept is not None and len(kept.lines) == 2
        assert (kept.fulfilment, kept.pickup_location) == (Fulfilment.SHIP, None)
