"""Units cancelled in Ordo, cancelled and refunded in their shop, as an operator turns it on:
the shop's API credentials in ORDO_CHANNEL_CONNECTORS -> `build_workers` -> support lowering
a line, or cancelling units of the remainder -> the outbox -> the worker, which cancels those
units in a fake Shopify (a `cancel` refund line and its money) and a fake WooCommerce (a
refund of the line) once, and keeps `order.units_cancel_sent_to_channel` on the order's
timeline; the shop's own cancellation of units is not sent back to it; on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.domain import commands as c
from engine.service_layer.channel_unit_cancellations import (
    ChannelUnitCancellation,
    cancel_units_for_channel,
)
from engine.service_layer.shop_unit_cancellations import ShopUnitCanceller
from ordo.bootstrap import Container, build_workers
from tests.support.fake_shop import (
    SALE_ID,
    FakeShop,
    ShopOrder,
    ordo_with_shops,
    outbox,
    run,
)

HOOK_SECRET = "a-webhook-secret-of-some-length"
SUPPORT = "support:sam"


@pytest.fixture
def container(database_url: str, tmp_path: Path, shop: FakeShop) -> Iterator[Container]:
    with ordo_with_shops(database_url, tmp_path, shop, HOOK_SECRET) as built:
        yield built


def an_order(container: Container, channel: str, channel_order_id: str, jeans: int) -> str:
    """`jeans` pairs of jeans (line `9001`, the shop's line id) ordered in the shop: its id."""
    address = c.AddressInput("10001", line1="1 Main St", city="New York", name="Ada")
    line = c.LineInput("JEANS", jeans, line_id="9001")
    command = c.CreateOrder(channel, channel_order_id, "c1", address, (line,))
    return str(container.bus.handle(command))


def told(container: Container) -> list[tuple[str, str, dict[str, Any], str]]:
    return [(p["order_id"], p["channel"], p["lines"], p["outcome"])
            for p in outbox(container, "order.units_cancel_sent_to_channel")]  # fmt: skip


def test_a_line_support_lowers_is_cancelled_and_refunded_in_shopify_once(
    container: Container, shop: FakeShop
) -> None:
    [worker] = build_workers(container, name="w1")
    assert ShopUnitCanceller in {type(o) for o in worker.observers}
    shop.orders["shopify:450789469"] = ShopOrder(
        line_items=[{"id": 9001, "quantity": 3, "price": "59.00"}]
    )
    order_id = an_order(container, "shopify-us", "450789469", jeans=3)
    container.bus.handle(c.ModifyOrder(order_id, quantities={"9001": 1}, actor=SUPPORT))

    run(worker)
    run(worker)  # nothing more to do: the shop was asked once

    [(_, path, body)] = shop.refunds_made()
    assert path == "/shopify/admin/api/2026-10/orders/450789469/refunds.json"
    assert body is not None
    refund = body["refund"]
    assert refund["refund_line_items"] == [
        {"line_item_id": 9001, "quantity": 2, "restock_type": "cancel"}
    ]
    assert refund["transactions"] == [
        {"parent_id": SALE_ID, "amount": "118.00", "kind": "refund", "gateway": "bogus"}
    ]
    assert refund["notify"] is False
    assert refund["note"].startswith(f"Ordo cancelled units of order {order_id} (event ")
    assert told(container) == [(order_id, "shopify-us", {"9001": 2}, "cancelled")]
    with container.uow_factory() as uow:
        [entry] = [e for e in uow.audit.list(entity="order", entity_id=order_id)
                   if e.action == "order.units_cancel_sent_to_channel"]  # fmt: skip
    assert entry.after["lines"] == {"9001": 2}


def test_units_of_the_remainder_cancelled_are_refunded_in_woocommerce_once(
    container: Container, shop: FakeShop
) -> None:
    [worker] = build_workers(container, name="w1")
    shop.orders["woo:727"] = ShopOrder(
        line_items=[{"id": 9001, "quantity": 7, "total": "413.00", "taxes": []}]
    )
    order_id = an_order(container, "woo-us", "727", jeans=7)  # Newark has 5: 2 wait
    container.bus.handle(c.CancelBackordered(order_id, "would not wait", {"9001": 2}, SUPPORT))

    run(worker)
    run(worker)

    [(_, path, body)] = shop.refunds_made()
    assert path == "/woo/wp-json/wc/v3/orders/727/refunds"
    assert body is not None
    assert {k: body[k] for k in ("amount", "api_refund", "api_restock", "line_items")} == {
        "amount": "118.00", "api_refund": True, "api_restock": False,
        "line_items": [{"id": 9001, "quantity": 2, "refund_total": "118.00", "refund_tax": []}],
    }  # fmt: skip
    assert told(container) == [(order_id, "woo-us", {"9001": 2}, "cancelled")]


def test_the_shops_own_cancellation_of_units_is_not_sent_back_to_it(
    container: Container, shop: FakeShop
) -> None:
    [worker] = build_workers(container, name="w1")
    shop.orders["shopify:450789469"] = ShopOrder(
        line_items=[{"id": 9001, "quantity": 3, "price": "59.00"}]
    )
    an_order(container, "shopify-us", "450789469", jeans=3)
    asked = ChannelUnitCancellation("shopify-us", "450789469", "cancelled in Shopify",
                                    "channel:shopify-us", cancelled={"9001": 2},
                                    change="shopify refund 929361464")  # fmt: skip
    done = cancel_units_for_channel(
        container.uow_factory,
        lambda command, audited: container.bus.handle(command, before_commit=audited),
        asked,
    )
    assert done is not None and done.outcome == "cancelled"

    run(worker)

    assert shop.requests == []  # not even asked
    assert told(container) == [] and outbox(container, "order.channel_units_cancel_failed") == []
    assert len(outbox(container, "order.modified")) == 1
