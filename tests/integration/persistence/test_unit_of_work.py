"""Commit and rollback behave the same on the in-memory fake, SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from engine.domain.errors import Conflict
from engine.domain.events import OrderStatusChanged, StockAdjusted
from engine.domain.orders import OrderStatus
from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b


def test_a_committed_order_is_visible_to_the_next_unit_of_work(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.orders.add(b.an_order())
        uow.commit()

    with uow_factory() as uow:
        assert uow.orders.get("O-1") == b.an_order()


def test_leaving_without_commit_discards_new_entities(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.orders.add(b.an_order())
        uow.audit.append(b.an_audit_entry())

    with uow_factory() as uow:
        assert uow.orders.get("O-1") is None
        assert list(uow.audit.list()) == []


def test_rollback_discards_changes_made_since_the_last_commit(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.orders.add(b.an_order())
        uow.commit()

    with uow_factory() as uow:
        order = uow.orders.get("O-1")
        assert order is not None
        order.transition(OrderStatus.SOURCED)
        order.lines[0].quantity = 99
        uow.rollback()

    with uow_factory() as uow:
        reloaded = uow.orders.get("O-1")
        assert reloaded is not None
        assert (reloaded.status, reloaded.lines[0].quantity) == (OrderStatus.VALIDATED, 2)


def test_an_exception_inside_the_block_rolls_the_transaction_back(
    uow_factory: UowFactory,
) -> None:
    with pytest.raises(RuntimeError, match="boom"), uow_factory() as uow:
        uow.products.add(b.a_product())
        raise RuntimeError("boom")

    with uow_factory() as uow:
        assert uow.products.get("SKU-1") is None


def test_stock_moves_are_rolled_back_with_the_transaction(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.stock.add(b.a_stock(reserved=0, channel_allocations={}))
        uow.commit()

    with uow_factory() as uow:
        assert uow.stock.try_reserve("SKU-1", "DAL-01", 5, None)
        uow.stock.adjust("SKU-1", "DAL-01", 10)

    with uow_factory() as uow:
        stock = uow.stock.get(("SKU-1", "DAL-01"))
        assert stock is not None
        assert (stock.on_hand, stock.reserved) == (100, 0)


def test_adding_a_key_that_already_exists_is_a_conflict(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.products.add(b.a_product())
        uow.commit()

    with pytest.raises(Conflict, match="SKU-1"), uow_factory() as uow:
        uow.products.add(b.a_product(name="another"))
        uow.commit()


def test_commit_hands_aggregate_and_recorded_events_to_the_bus_in_order(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.orders.add(b.an_order())
        uow.commit()

    with uow_factory() as uow:
        order = uow.orders.get("O-1")
        assert order is not None
        order.transition(OrderStatus.SOURCED)
        adjusted = StockAdjusted("SKU-1", "DAL-01", 5, 105, 90, "count")
        uow.record(adjusted)
        uow.commit()
        events = list(uow.collect_new_events())

    assert events == [
        OrderStatusChanged("O-1", OrderStatus.VALIDATED, OrderStatus.SOURCED),
        adjusted,
    ]


def test_rolled_back_events_never_reach_the_bus(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.orders.add(b.an_order())
        uow.commit()
        list(uow.collect_new_events())

    with uow_factory() as uow:
        order = uow.orders.get("O-1")
        assert order is not None
        order.transition(OrderStatus.SOURCED)
        uow.record(StockAdjusted("SKU-1", "DAL-01", 5, 105, 90))
        uow.rollback()
        uow.commit()
        assert list(uow.collect_new_events()) == []


def test_an_order_found_by_search_is_saved_when_changed(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.orders.add(b.an_order())
        uow.commit()

    with uow_factory() as uow:
        (order,) = uow.orders.search(customer_id="C-1")
        order.cancel("customer asked")
        uow.commit()

    with uow_factory() as uow:
        reloaded = uow.orders.get("O-1")
        assert reloaded is not None and reloaded.status is OrderStatus.CANCELLED


def test_reads_inside_a_transaction_see_its_own_unsaved_writes(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.orders.add(b.an_order())
        uow.stock.add(b.a_stock(reserved=0, channel_allocations={}))

        assert [o.id for o in uow.orders.search(sku="SKU-2")] == ["O-1"]
        assert uow.orders.get_by_channel_id("web", "W-1001") is not None
        assert uow.stock.try_reserve("SKU-1", "DAL-01", 95, None)
        assert not uow.stock.try_reserve("SKU-1", "DAL-01", 1, None)


def test_adding_an_entity_the_transaction_already_holds_changes_nothing(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.orders.add(b.an_order())
        uow.commit()

    with uow_factory() as uow:
        order = uow.orders.get("O-1")
        assert order is not None
        order.transition(OrderStatus.SOURCED)
        uow.orders.add(order)
        uow.commit()

    with uow_factory() as uow:
        reloaded = uow.orders.get("O-1")
        assert reloaded is not None and reloaded.status is OrderStatus.SOURCED
