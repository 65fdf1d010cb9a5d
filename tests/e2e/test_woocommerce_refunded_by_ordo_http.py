"""A WooCommerce order refunded in full by Ordo, over HTTP, is not cancelled by the status
WooCommerce then sets: support removes a line in Ordo (the worker refunds its units in the
fake WooCommerce), the rest ships, comes back and is refunded (the worker refunds the return
there too), and WooCommerce, its refunds now reaching the order's total, posts `order.updated`
to `refunded`. Ordo answers 200 `ignored`, naming its own refunds: the order stays as it was
and nobody is alerted. Once the shop has refunded something itself, the same status is the
shop's cancellation again: for an order all shipped whose return Ordo refunded (the shop
paying back the shipping) it cancels nothing and alerts nobody; for a shipped order the shop
refunded itself, it is refused, with its alert."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Api, run_worker, shop_api
from tests.e2e.test_channel_cancellations_http import history
from tests.e2e.test_shop_refunds_http import returned_and_refunded
from tests.e2e.test_woocommerce_topics_http import deliver
from tests.e2e.test_woocommerce_webhooks_http import PAYLOAD, WOO_SECRET
from tests.support.fake_shop import FakeShop, ShopOrder, woo_connector

WOO_ID = PAYLOAD["id"]
ACTOR = "channel:woo-us (woocommerce webhook)"


@pytest.fixture
def shops(database_url: str, tmp_path: Path, shop: FakeShop) -> Iterator[Api]:
    """Ordo releasing orders by hand (so a line can be removed before a location picks), with
    a WooCommerce connector that holds the fake shop's API credentials."""
    connectors = {"woo-us": woo_connector(shop, WOO_SECRET)}
    with shop_api(database_url, tmp_path / "data", connectors, auto_release=False) as api:
        yield api


def free_shipping() -> dict[str, Any]:
    """The fixture's order (a shoe at 79.90, two socks at 24.90) shipped free: 129.70."""
    payload = copy.deepcopy(PAYLOAD)
    payload["shipping_lines"][0].update(method_id="free_shipping", method_title="Free shipping",
                                        total="0.00")  # fmt: skip
    return {**payload, "shipping_total": "0.00", "total": "129.70"}


def refunded_by_ordo(api: Api, shop: FakeShop, payload: dict[str, Any]) -> str:
    """The order `payload` taken from WooCommerce, its socks removed by support, its shoe
    shipped, returned and refunded, each refund sent to the shop by the worker: its id."""
    shop.orders[f"woo:{WOO_ID}"] = ShopOrder(
        paid=Decimal(payload["total"]), line_items=payload["line_items"]
    )
    created = deliver(api, "order.created", payload, delivery="d-create")
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    [socks] = [line for line in created.json()["lines"] if line["sku"] == "SOCK-M"]
    removed = api.post(f"/v1/orders/{order_id}/modify", role="support",
                       json={"remove_lines": [socks["id"]]})  # fmt: skip
    assert removed.status_code == 200, removed.text
    assert api.post(f"/v1/orders/{order_id}/release", role="support").status_code == 200
    shipments = api.get(f"/v1/orders/{order_id}").json()["shipments"]
    for shipment in [s for s in shipments if s["status"] != "cancelled"]:  # the socks' went
        sent = api.post(f"/v1/shipments/{shipment['id']}/status", json={"status": "shipped"})
        assert sent.status_code == 200, sent.text
    returned_and_refunded(api, api.get(f"/v1/orders/{order_id}").json(), "SHOE-42", 1)
    run_worker(api)
    reasons = [body["reason"] for _, _, body in shop.refunds_made() if body is not None]
    assert [reason.split(" ")[:2] for reason in reasons] == [["Ordo", "cancelled"],
                                                             ["Ordo", "return"]]  # fmt: skip
    return str(order_id)


def as_refunded(shop: FakeShop, payload: dict[str, Any]) -> dict[str, Any]:
    """`order.updated` as WooCommerce posts it once the order is `refunded`: the whole order,
    its `refunds` listed as the REST API lists them (id, reason, a negative total)."""
    refunds = [{"id": r["id"], "reason": r["reason"], "total": f"-{r['amount']}"}
               for r in shop.refunds[f"woo:{WOO_ID}"]]  # fmt: skip
    return {**payload, "status": "refunded", "refunds": refunds}


def open_alerts(api: Api) -> list[dict[str, Any]]:
    run_worker(api)
    return list(api.get("/v1/alerts?status=open", role="support").json())


def test_an_order_refunded_in_full_by_ordo_is_not_cancelled_and_raises_no_alert(
    shops: Api, shop: FakeShop
) -> None:
    order_id = refunded_by_ordo(shops, shop, free_shipping())
    was = shops.get(f"/v1/orders/{order_id}").json()["status"]
    before = history(shops, order_id)

    echoed = deliver(shops, "order.updated", as_refunded(shop, free_shipping()), "d-refunded")

    assert echoed.status_code == 200, echoed.text
    assert echoed.json()["ignored"] is True
    assert echoed.json()["reason"].startswith(
        f"order {WOO_ID} is refunded by Ordo's own refunds alone (refunds "
    )
    assert shops.get(f"/v1/orders/{order_id}").json()["status"] == was
    assert history(shops, order_id) == before
    assert open_alerts(shops) == []


def test_the_shop_paying_back_the_shipping_of_a_shipped_and_returned_order_cancels_nothing(
    shops: Api, shop: FakeShop
) -> None:
    # Shipping (10.00) is not Ordo's to refund: the shop pays it back by hand, which takes
    # the order's refunds to its total of 139.70. A cancellation, but of an order with
    # nothing left to send: no parcel for a person to stop.
    order_id = refunded_by_ordo(shops, shop, PAYLOAD)
    shop.refunds[f"woo:{WOO_ID}"].append({"id": 990, "reason": "Shipping", "amount": "10.00"})
    before = history(shops, order_id)

    answered = deliver(shops, "order.updated", as_refunded(shop, PAYLOAD), "d-refunded")

    assert answered.status_code == 200, answered.text
    assert answered.json()["outcome"] == "unchanged"
    assert "nothing left to send" in answered.json()["reason"]
    assert shops.get(f"/v1/orders/{order_id}").json()["status"] == "shipped"
    assert history(shops, order_id) == before
    assert open_alerts(shops) == []


def test_a_shipped_order_the_shop_refunded_itself_is_its_refused_cancellation_with_an_alert(
    shops: Api, shop: FakeShop
) -> None:
    shop.orders[f"woo:{WOO_ID}"] = ShopOrder(
        paid=Decimal(PAYLOAD["total"]), line_items=PAYLOAD["line_items"]
    )
    created = deliver(shops, "order.created", PAYLOAD, delivery="d-create")
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    assert shops.post(f"/v1/orders/{order_id}/release", role="support").status_code == 200
    for shipment in shops.get(f"/v1/orders/{order_id}").json()["shipments"]:
        sent = shops.post(f"/v1/shipments/{shipment['id']}/status", json={"status": "shipped"})
        assert sent.status_code == 200, sent.text
    shop.refunds[f"woo:{WOO_ID}"] = [
        {"id": 990, "reason": "Customer complaint", "amount": PAYLOAD["total"]}
    ]

    refused = deliver(shops, "order.updated", as_refunded(shop, PAYLOAD), "d-refunded")

    assert refused.status_code == 200, refused.text
    assert refused.json()["outcome"] == "refused"
    assert (ACTOR, "order.cancel_refused") in history(shops, order_id)
    [alert] = open_alerts(shops)
    assert (alert["rule"], alert["key"]) == ("channels/cancellation refused", order_id)
    said = "refunded in WooCommerce (refund 990 made in the shop: Customer complaint)"
    assert said in alert["message"]
