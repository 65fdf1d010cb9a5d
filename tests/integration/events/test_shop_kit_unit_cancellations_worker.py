"""Units of a kit's parts cancelled in Ordo, cancelled in the shop as whole kits of its line,
as an operator runs it: a kit stored with its shape on both databases -> support lowering
its parts -> the outbox -> the worker, which asks a fake Shopify to cancel one kit of the
shop's line (a `cancel` refund line of 1), and nothing for units that make no whole kit; a
kit whose refund's answer was lost is refunded once, however many refunds the shop holds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from engine.domain import commands as c
from engine.domain.catalog import Product
from engine.domain.inventory import Stock
from ordo.bootstrap import Container, build_workers
from tests.integration.events.test_shop_unit_cancellations_worker import HOOK_SECRET, told
from tests.support.fake_shop import FakeShop, ShopOrder, ordo_with_shops, run

SUPPORT = "support:sam"


@pytest.fixture
def container(database_url: str, tmp_path: Path, shop: FakeShop) -> Iterator[Container]:
    """Ordo with the shops, and a DENIM-SET kit: a pair of JEANS and two BELTs."""
    with ordo_with_shops(database_url, tmp_path, shop, HOOK_SECRET) as built:
        with built.uow_factory() as uow:
            uow.products.add(Product("BELT", "Belt", Decimal("10.00"), weight_kg=0.2))
            uow.products.add(Product("DENIM-SET", "Denim set", Decimal("79.00"), weight_kg=1.2,
                                     kit_components={"JEANS": 1, "BELT": 2}))  # fmt: skip
            uow.stock.add(Stock("BELT", "NJ", on_hand=10))
            uow.commit()
        yield built


def two_denim_sets(
    container: Container, channel: str = "shopify-us", channel_order_id: str = "450789469",
    kits: int = 2,
) -> str:  # fmt: skip
    """Shopify's order 450789469 (or another): its line 9001 is 2 DENIM-SETs (or `kits`),
    parts 9001.1, 9001.2."""
    address = c.AddressInput("10001", line1="1 Main St", city="New York", name="Ada")
    line = c.LineInput("DENIM-SET", kits, line_id="9001")
    command = c.CreateOrder(channel, channel_order_id, "c1", address, (line,))
    return str(container.bus.handle(command))


def test_one_kit_of_parts_support_lowered_is_cancelled_in_shopify_as_one_of_its_line(
    container: Container, shop: FakeShop
) -> None:
    [worker] = build_workers(container, name="w1")
    shop.orders["shopify:450789469"] = ShopOrder(
        line_items=[{"id": 9001, "quantity": 2, "price": "79.00"}]
    )
    order_id = two_denim_sets(container)
    with container.uow_factory() as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        assert [(line.id, line.quantity, line.kit_line) for line in order.lines] == [
            ("9001.1", 4, "9001"),  # BELT, two per kit (components in SKU order)
            ("9001.2", 2, "9001"),
        ]
    one_belt = c.ModifyOrder(order_id, quantities={"9001.1": 3}, actor=SUPPORT)
    container.bus.handle(one_belt)
    run(worker)
    assert shop.refunds_made() == []  # one belt is no kit

    the_rest = c.ModifyOrder(order_id, quantities={"9001.1": 2, "9001.2": 1}, actor=SUPPORT)
    container.bus.handle(the_rest)
    run(worker)

    [(_, path, body)] = shop.refunds_made()
    assert path == "/shopify/admin/api/2026-10/orders/450789469/refunds.json"
    assert body is not None
    assert body["refund"]["refund_line_items"] == [
        {"line_item_id": 9001, "quantity": 1, "restock_type": "cancel"}
    ]
    assert told(container) == [(order_id, "shopify-us", {"9001": 1}, "cancelled")]


@pytest.mark.parametrize("goodwill", [0, 120], ids=["alone", "behind 120 other refunds"])
def test_a_kit_whose_refund_answer_was_lost_is_refunded_once_though_another_lands_meanwhile(
    container: Container, shop: FakeShop, goodwill: int
) -> None:
    [worker] = build_workers(container, name="w1")
    shop.orders["woo:727"] = ShopOrder(
        line_items=[{"id": 9001, "quantity": 3, "total": "237.00", "taxes": []}]
    )
    order_id = two_denim_sets(container, "woo-us", "727", kits=3)
    shop.lost = 1  # WooCommerce refunds the first kit, but its answer never reaches Ordo
    container.bus.handle(c.ModifyOrder(order_id, quantities={"9001.1": 4, "9001.2": 2},
                                       actor=SUPPORT))  # fmt: skip
    worker.run_once()
    assert len(shop.refunds["woo:727"]) == 1 and told(container) == []
    # The shop's own refunds made since: its newest 100 hold none of Ordo's.
    shop.refunds["woo:727"] += [
        {"id": 5000 + n, "reason": "goodwill", "amount": "0.01"} for n in range(goodwill)
    ]

    # Another kit is cancelled before the first change is handled again.
    container.bus.handle(c.ModifyOrder(order_id, quantities={"9001.1": 2, "9001.2": 1},
                                       actor=SUPPORT))  # fmt: skip
    deadline = time.monotonic() + 20  # the bus hands the failed event back after a backoff
    while len(told(container)) < 2 and time.monotonic() < deadline:
        worker.run_once()

    refunded = [line["quantity"] for made in shop.refunds["woo:727"]
                for line in made.get("line_items", [])]  # fmt: skip
    assert refunded == [1, 1]  # two kits, each refunded once
    assert sorted((lines, outcome) for _, _, lines, outcome in told(container)) == [
        ({"9001": 1}, "already_cancelled"), ({"9001": 1}, "cancelled"),
    ]  # fmt: skip
