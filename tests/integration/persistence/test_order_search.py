"""Support finds orders by customer, email, status, SKU, channel and date, on every backend."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from engine.domain.orders import LineStatus, OrderLine, OrderStatus
from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b


@pytest.fixture
def orders(uow_factory: UowFactory) -> UowFactory:
    """Five orders one minute apart (O-1 oldest), differing in one attribute each."""
    with uow_factory() as uow:
        uow.orders.add(b.a_plain_order(1, email="ada@example.com"))
        uow.orders.add(b.a_plain_order(2, customer_id="C-2", email="bob@example.com"))
        uow.orders.add(b.a_plain_order(3, channel="marketplace", status=OrderStatus.HELD))
        uow.orders.add(
            b.a_plain_order(
                4,
                lines=[
                    OrderLine("L1", "SKU-9", 2, Decimal("3")),
                    OrderLine("L2", "SKU-1", 1, Decimal("4")),
                ],
            )
        )
        uow.orders.add(b.a_plain_order(5, lines=[OrderLine("L1", "SKU-7", 1, Decimal("1"))]))
        uow.orders.add(
            b.a_plain_order(
                6,
                lines=[
                    OrderLine("L1", "SKU-7", 1, Decimal("1"), status=LineStatus.BACKORDERED),
                    OrderLine("L2", "SKU-9", 1, Decimal("1")),
                ],
            )
        )
        uow.commit()
    return uow_factory


def _ids(factory: UowFactory, **filters: object) -> list[str]:
    with factory() as uow:
        return [order.id for order in uow.orders.search(**filters)]  # type: ignore[arg-type]


def test_orders_are_listed_newest_first(orders: UowFactory) -> None:
    with orders() as uow:
        assert [o.id for o in uow.orders.list()] == ["O-6", "O-5", "O-4", "O-3", "O-2", "O-1"]


def test_search_by_customer_finds_only_that_customers_orders(orders: UowFactory) -> None:
    assert _ids(orders, customer_id="C-2") == ["O-2"]


def test_search_by_email_ignores_case(orders: UowFactory) -> None:
    assert _ids(orders, email="BOB@Example.COM") == ["O-2"]


def test_search_by_status(orders: UowFactory) -> None:
    assert _ids(orders, status=OrderStatus.HELD) == ["O-3"]


def test_search_by_several_statuses_finds_orders_in_any_of_them(orders: UowFactory) -> None:
    """A stock arrival asks once for the orders waiting in any of the waiting statuses."""
    received_or_held = {OrderStatus.RECEIVED, OrderStatus.HELD}
    assert _ids(orders, statuses=received_or_held, sku="SKU-1") == ["O-4", "O-3", "O-2", "O-1"]
    assert _ids(orders, statuses={OrderStatus.HELD}) == ["O-3"]
    assert _ids(orders, statuses={OrderStatus.CANCELLED, OrderStatus.RELEASED}) == []


def test_search_by_sku_matches_any_line_of_the_order(orders: UowFactory) -> None:
    assert _ids(orders, sku="SKU-1") == ["O-4", "O-3", "O-2", "O-1"]
    assert _ids(orders, sku="SKU-9") == ["O-6", "O-4"]


def test_search_by_line_status_needs_one_line_matching_sku_and_status(
    orders: UowFactory,
) -> None:
    """Stock arriving looks for orders waiting on that SKU: a backordered line of it, not a
    backordered line of something else beside a line of it."""
    backordered = LineStatus.BACKORDERED
    assert _ids(orders, line_status=backordered) == ["O-6"]
    assert _ids(orders, sku="SKU-7", line_status=backordered) == ["O-6"]
    assert _ids(orders, sku="SKU-9", line_status=backordered) == []


def test_search_by_channel(orders: UowFactory) -> None:
    assert _ids(orders, channel="marketplace") == ["O-3"]


def test_search_by_date_range_includes_the_start_and_excludes_the_end(
    orders: UowFactory,
) -> None:
    assert _ids(orders, created_from=b.at(2), created_to=b.at(4)) == ["O-3", "O-2"]


def test_search_filters_combine_and_pages_follow_each_other(orders: UowFactory) -> None:
    assert _ids(orders, sku="SKU-1", channel="web", created_from=b.at(2)) == ["O-4", "O-2"]
    assert _ids(orders, limit=2) == ["O-6", "O-5"]
    assert _ids(orders, limit=2, offset=2) == ["O-4", "O-3"]


def test_search_without_matches_returns_nothing(orders: UowFactory) -> None:
    assert _ids(orders, customer_id="nobody") == []
    assert _ids(orders, created_from=b.at(0) + timedelta(days=1)) == []


def test_an_order_is_found_by_its_channel_and_channel_order_id(orders: UowFactory) -> None:
    with orders() as uow:
        found = uow.orders.get_by_channel_id("marketplace", "W-3")
        missing = uow.orders.get_by_channel_id("web", "W-3")
    assert found is not None and found.id == "O-3"
    assert missing is None


def test_orders_with_a_line_in_a_status_are_counted_by_their_status_and_creation_time(
    orders: UowFactory,
) -> None:
    received, held = {OrderStatus.RECEIVED}, {OrderStatus.HELD}
    with orders() as uow:

        def count(statuses: set[OrderStatus], start: int = 1, end: int = 7) -> int:
            return uow.orders.count_with_line_status(
                LineStatus.BACKORDERED,
                statuses=statuses,
                created_from=b.at(start),
                created_to=b.at(end),
            )

        assert (count(received), count(held), count(received, end=6)) == (1, 0, 0)
        # A change this transaction has not yet written is counted too.
        fifth = uow.orders.get("O-5")
        assert fifth is not None
        fifth.lines[0].status = LineStatus.BACKORDERED
        assert count(received) == 2
