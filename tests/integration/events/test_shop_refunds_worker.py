"""Returns refunded in Ordo, refunded in their shop, as an operator turns it on: the shop's API
credentials in ORDO_CHANNEL_CONNECTORS -> `build_workers` -> a return refunded by support ->
the outbox -> the worker, which refunds it in a fake Shopify and a fake WooCommerce (a local
HTTP server) once, keeps `return.refund_sent_to_channel` on the return's timeline, finds its
own refund again after a crash instead of paying twice, and raises an alert a person sees when
the shop has less left to refund, and names a kit returned whole as the shop's line of the
kit, counted in kits, but a part of one not at all; on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from engine.domain import commands as c
from engine.domain.catalog import Product
from engine.domain.inventory import Stock
from engine.service_layer.shop_refunds import FAILED_RULE, ShopRefunder
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


@pytest.fixture
def container(database_url: str, tmp_path: Path, shop: FakeShop) -> Iterator[Container]:
    with ordo_with_shops(database_url, tmp_path, shop, HOOK_SECRET) as built:
        yield built


def refunded_by_support(
    container: Container,
    channel: str,
    channel_order_id: str,
    line: c.LineInput = c.LineInput("JEANS", 2, line_id="9001"),
    returned: tuple[tuple[str, int], ...] = (("9001", 1),),
) -> str:
    """Two pairs of jeans (line `9001`, the shop's line id) shipped, one returned to Newark
    and refunded (or `line` shipped, `returned` units of its lines): the return's id."""
    address = c.AddressInput("10001", line1="1 Main St", city="New York", name="Ada")
    order_id = str(container.bus.handle(c.CreateOrder(channel, channel_order_id, "c1", address,
                                                      (line,))))  # fmt: skip
    with container.uow_factory() as uow:
        shipments = uow.shipments.for_order(order_id)
    for shipment in shipments:
        container.bus.handle(c.UpdateShipment(shipment.id, "shipped"))
    lines = tuple(c.ReturnLineInput(line_id, units, "too tight") for line_id, units in returned)
    return_id = str(container.bus.handle(c.RequestReturn(order_id, lines)))
    container.bus.handle(c.AuthoriseReturn(return_id))
    container.bus.handle(c.ReceiveReturn(return_id, "NJ"))
    container.bus.handle(c.RefundReturn(return_id, actor="support:sam"))
    return return_id


def rma_of(container: Container, return_id: str) -> str:
    with container.uow_factory() as uow:
        found = uow.returns.get(return_id)
        assert found is not None
        return found.rma


def test_the_worker_refunds_a_shopify_and_a_woocommerce_return_in_their_shop_once(
    container: Container, shop: FakeShop
) -> None:
    [worker] = build_workers(container, name="w1")
    assert ShopRefunder in {type(o) for o in worker.observers}
    shop.orders["shopify:450789469"] = ShopOrder(line_items=[{"id": 9001, "quantity": 2}])
    shopify_return = refunded_by_support(container, "shopify-us", "450789469")
    woo_return = refunded_by_support(container, "woo-us", "727")

    run(worker)
    run(worker)  # nothing more to do: each shop was asked once

    shopify_rma, woo_rma = rma_of(container, shopify_return), rma_of(container, woo_return)
    assert shop.refunds_made() == [
        ("POST", "/shopify/admin/api/2026-10/orders/450789469/refunds.json", {"refund": {
            "currency": "USD", "notify": False, "note": f"Ordo return {shopify_rma}",
            "refund_line_items": [
                {"line_item_id": 9001, "quantity": 1, "restock_type": "no_restock"}],
            "transactions": [{"parent_id": SALE_ID, "amount": "59.00", "kind": "refund",
                              "gateway": "bogus"}],
        }}),
        ("POST", "/woo/wp-json/wc/v3/orders/727/refunds", {
            "amount": "59.00", "reason": f"Ordo return {woo_rma}", "api_refund": True,
            "api_restock": False}),
    ]  # fmt: skip
    assert [(p["return_id"], p["channel"], p["amount"], p["outcome"])
            for p in outbox(container, "return.refund_sent_to_channel")] == [
        (shopify_return, "shopify-us", "59.00", "refunded"),
        (woo_return, "woo-us", "59.00", "refunded"),
    ]  # fmt: skip
    with container.uow_factory() as uow:
        [told] = [e for e in uow.audit.list(entity="return", entity_id=woo_return)
                  if e.action == "return.refund_sent_to_channel"]  # fmt: skip
    assert told.after["outcome"] == "refunded"


def test_a_refund_the_shop_made_before_a_crash_is_found_and_not_made_twice(
    container: Container, shop: FakeShop
) -> None:
    [worker] = build_workers(container, name="w1")
    return_id = refunded_by_support(container, "woo-us", "727")
    # The worker asked WooCommerce and crashed before its commit: the shop holds the refund.
    note = f"Ordo return {rma_of(container, return_id)}"
    shop.refunds["woo:727"] = [{"id": 801, "reason": note, "amount": "59.00"}]

    run(worker)

    assert shop.refunds_made() == []
    assert shop.refunds["woo:727"] == [{"id": 801, "reason": note, "amount": "59.00"}]
    [sent] = outbox(container, "return.refund_sent_to_channel")
    assert sent["outcome"] == "already_refunded"


def test_a_shop_with_less_left_to_refund_raises_an_alert_naming_the_amounts(
    container: Container, shop: FakeShop
) -> None:
    [worker] = build_workers(container, name="w1")
    shop.orders["shopify:450789469"] = ShopOrder(paid=Decimal("30.00"))
    return_id = refunded_by_support(container, "shopify-us", "450789469")

    run(worker)

    assert shop.refunds_made() == []  # refused before any money moved, and not retried
    [failed] = outbox(container, "return.channel_refund_failed")
    assert failed["return_id"] == return_id
    assert "has 30.00 USD left to refund, less than the 59.00 USD" in failed["message"]
    with container.uow_factory() as uow:
        [alert] = [a for a in uow.alerts.list() if a.rule == FAILED_RULE]
    assert (alert.key, alert.severity) == (return_id, "high")
    assert "30.00 USD left to refund" in alert.message


def test_a_shop_that_is_down_is_asked_again_until_it_answers(
    container: Container, shop: FakeShop
) -> None:
    [worker] = build_workers(container, name="w1")
    refunded_by_support(container, "woo-us", "727")
    shop.failures.append((503, {"code": "maintenance", "message": "Back soon"}))

    run(worker, turns=12)

    assert [status for status, _ in shop.failures] == []
    [made] = shop.refunds_made()
    assert made[2] is not None and made[2]["amount"] == "59.00"
    assert [p["outcome"] for p in outbox(container, "return.refund_sent_to_channel")] == [
        "refunded"
    ]


def a_denim_set(container: Container) -> c.LineInput:
    """A DENIM-SET kit (a pair of JEANS and two BELTs), and its line `9001` of 2 kits, which
    Ordo files as its parts `9001.1` (4 BELT, two per kit) and `9001.2` (2 JEANS)."""
    with container.uow_factory() as uow:
        uow.products.add(Product("BELT", "Belt", Decimal("10.00"), weight_kg=0.2))
        uow.products.add(Product("DENIM-SET", "Denim set", Decimal("79.00"), weight_kg=1.2,
                                 kit_components={"JEANS": 1, "BELT": 2}))  # fmt: skip
        uow.stock.add(Stock("BELT", "NJ", on_hand=10))
        uow.commit()
    return c.LineInput("DENIM-SET", 2, line_id="9001")


def test_a_denim_set_returned_whole_is_refunded_as_one_of_the_shops_kit_line(
    container: Container, shop: FakeShop
) -> None:
    [worker] = build_workers(container, name="w1")
    kit = {"id": 9001, "quantity": 2, "price": "79.00", "total": "158.00"}
    shop.orders["shopify:450789469"] = ShopOrder(line_items=[kit])
    shop.orders["woo:727"] = ShopOrder(line_items=[kit])
    line, one_kit = a_denim_set(container), (("9001.1", 2), ("9001.2", 1))
    refunded_by_support(container, "shopify-us", "450789469", line, one_kit)
    refunded_by_support(container, "woo-us", "727", line, one_kit)

    run(worker)

    [(_, _, shopify), (_, _, woo)] = shop.refunds_made()
    assert shopify is not None and woo is not None
    assert shopify["refund"]["refund_line_items"] == [
        {"line_item_id": 9001, "quantity": 1, "restock_type": "no_restock"}
    ]
    assert shopify["refund"]["transactions"][0]["amount"] == "79.00"
    assert woo["amount"] == "79.00"
    assert woo["line_items"] == [{"id": 9001, "quantity": 1, "refund_total": "79.00"}]


def test_the_belts_of_a_denim_set_returned_without_its_jeans_are_refunded_as_money_alone(
    container: Container, shop: FakeShop
) -> None:
    [worker] = build_workers(container, name="w1")
    kit = {"id": 9001, "quantity": 2, "price": "79.00", "total": "158.00"}
    shop.orders["shopify:450789469"] = ShopOrder(line_items=[kit])
    shop.orders["woo:727"] = ShopOrder(line_items=[kit])
    line, belts = a_denim_set(container), (("9001.1", 2),)
    refunded_by_support(container, "shopify-us", "450789469", line, belts)
    refunded_by_support(container, "woo-us", "727", line, belts)

    run(worker)

    [(_, _, shopify), (_, _, woo)] = shop.refunds_made()
    assert shopify is not None and woo is not None
    assert shopify["refund"]["refund_line_items"] == []
    assert shopify["refund"]["transactions"][0]["amount"] == "20.00"
    assert woo["amount"] == "20.00" and "line_items" not in woo
