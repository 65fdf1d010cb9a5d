"""The migration that has a kit's parts keep the kit's shape, on both databases: parts filed
before have none (their units are left alone, as before), a kit's parts stored after keep
theirs through a round trip; the downgrade drops the columns and keeps the lines."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine, text

from engine.domain.orders import KitShape, OrderLine
from tests.integration.persistence.test_pickup_order_columns import an_order_placed_before
from tests.support.builders import an_order
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps

MIGRATION = "order_line_kits"
ADDED = {"kit_sku", "kit_units", "kit_kits"}
GIFT_SET = [
    OrderLine("7.1", "MUG", 3, Decimal("10.00"), kit=KitShape("GIFTSET", 1, 3)),
    OrderLine("7.2", "TEA", 6, Decimal("5.00"), kit=KitShape("GIFTSET", 2, 3)),
]


def parts_filed_before(engine: Engine) -> None:
    """Order ord_1 (line 1, 2 MUGs) and the parts of a kit on its line 7, with no shape."""
    an_order_placed_before(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO order_lines (order_id, id, position, sku, quantity, price, status, "
                "quantity_shipped, quantity_cancelled) VALUES "
                "('ord_1', '7.1', 1, 'MUG', 3, '10.00', 'open', 0, 0), "
                "('ord_1', '7.2', 2, 'TEA', 6, '5.00', 'open', 0, 0)"
            )
        )


def test_parts_filed_before_have_no_shape_and_parts_stored_after_keep_theirs(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert not ADDED & columns_of(engine, "order_lines")
        parts_filed_before(engine)

    migration.upgrade()

    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            old = uow.orders.get("ord_1")
            assert old is not None
            assert [(line.id, line.kit, line.kit_line) for line in old.lines] == [
                ("1", None, None),
                ("7.1", None, None),
                ("7.2", None, None),
            ]
            uow.orders.add(an_order(id="ord_2", channel_order_id="W-2", lines=GIFT_SET))
            uow.commit()
        with uows() as uow:
            new = uow.orders.get("ord_2")
            assert new is not None
            assert [(line.id, line.kit, line.kit_line) for line in new.lines] == [
                ("7.1", KitShape("GIFTSET", 1, 3), "7"),
                ("7.2", KitShape("GIFTSET", 2, 3), "7"),
            ]


def test_downgrading_drops_the_columns_and_keeps_the_lines(migration: MigrationSteps) -> None:
    with migration.engine() as engine:
        assert columns_of(engine, "order_lines") >= ADDED
        with uow_factory_on(engine)() as uow:
            uow.orders.add(an_order(id="ord_2", channel_order_id="W-2", lines=GIFT_SET))
            uow.commit()

    migration.downgrade()

    with migration.engine() as engine:
        assert not ADDED & columns_of(engine, "order_lines")
        with engine.connect() as connection:
            kept = connection.execute(
                text("SELECT id, quantity FROM order_lines WHERE order_id = 'ord_2' ORDER BY id")
            )
            assert [tuple(row) for row in kept] == [("7.1", 3), ("7.2", 6)]
    migration.to_head()
