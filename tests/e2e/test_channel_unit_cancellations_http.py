"""A shop cancels some units of an order, and its webhook takes them off Ordo's order, over
HTTP: a signed Shopify `refunds/create` whose lines are `cancel`, and a WooCommerce
`order.updated` with a line lowered. The units come off as support's change would take them
off (stock back, the shipment made again for what is left); the same delivery again changes
nothing; units a location has picked are answered `refused` and raise one alert a person
sees. A kit's line loses whole kits: each of its parts the units of a kit."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ordo.bootstrap import build_workers
from tests.e2e.conftest import Api, shop_api
from tests.e2e.test_channel_cancellations_http import (
    SHOPIFY_ACTOR,
    SHOPIFY_ORDER,
    history,
    outbox,
    shopify,
)
from tests.e2e.test_channel_webhooks_http import SHOPIFY_SECRET
from tests.e2e.test_woocommerce_topics_http import deliver as woo_deliver
from tests.e2e.test_woocommerce_webhooks_http import PAYLOAD as WOO_ORDER
from tests.e2e.test_woocommerce_webhooks_http import WOO_SECRET

REFUND = json.loads(
    (Path(__file__).parents[1] / "unit" / "connectors" / "shopify_refund.json").read_text()
)
SHOE_LINE = "866550311766439020"


@pytest.fixture
def shops(database_url: str, tmp_path: Path) -> Iterator[Api]:
    """Ordo releasing orders by hand, with a Shopify and a WooCommerce connector."""
    connectors = {
        "shopify-us": {"connector": "shopify", "channel": "shopify-us", "secret": SHOPIFY_SECRET},
        "woo-us": {"connector": "woocommerce", "channel": "woo-us", "secret": WOO_SECRET},
    }
    with shop_api(database_url, tmp_path / "data", connectors, auto_release=False) as api:
        yield api


def reserved(api: Api, sku: str) -> int:
    return sum(s["reserved"] for s in api.get(f"/v1/inventory/skus/{sku}").json())


def three_shoes(api: Api) -> str:
    """Shopify's order for 3 shoes and 2 pairs of socks, in Ordo: reserved, not released."""
    payload = copy.deepcopy(SHOPIFY_ORDER)
    payload["line_items"][0]["quantity"] = 3
    created = shopify(api, "orders/create", payload, "w-create")
    assert created.status_code == 201, created.text
    assert reserved(api, "SHOE-42") == 3
    return str(created.json()["id"])


def live_units(api: Api, order_id: str) -> dict[str, int]:
    """Units per line in the order's shipments that are not cancelled."""
    units: dict[str, int] = {}
    for shipment in api.get(f"/v1/orders/{order_id}").json()["shipments"]:
        if shipment["status"] != "cancelled":
            for line in shipment["lines"]:
                units[line["order_line_id"]] = (
                    units.get(line["order_line_id"], 0) + line["quantity"]
                )
    return units


def test_a_shopify_refund_cancelling_one_of_three_shoes_leaves_two_reserved_and_shipped(
    shops: Api,
) -> None:
    order_id = three_shoes(shops)

    answer = shopify(shops, "refunds/create", REFUND, "w-refund")

    assert answer.status_code == 200, answer.text
    said = answer.json()
    assert {k: said[k] for k in ("connector", "channel_order_id", "outcome", "cancelled")} == {
        "connector": "shopify-us",
        "channel_order_id": "820982911946154508",
        "outcome": "cancelled",
        "cancelled": {SHOE_LINE: 1},
    }
    assert said["refused"] == {}
    lines = {line["id"]: line["quantity"] for line in said["order"]["lines"]}
    assert lines == {SHOE_LINE: 2, "141249953214522974": 2}  # the no_restock sock stays
    assert reserved(shops, "SHOE-42") == 2
    assert live_units(shops, order_id)[SHOE_LINE] == 2
    assert (SHOPIFY_ACTOR, "order.modify") in history(shops, order_id)


def test_the_same_refund_delivered_again_changes_nothing(shops: Api) -> None:
    order_id = three_shoes(shops)
    first = shopify(shops, "refunds/create", REFUND, "w-refund")
    seen = history(shops, order_id)

    retried = shopify(shops, "refunds/create", REFUND, "w-refund")
    resent = shopify(shops, "refunds/create", REFUND, "w-refund-2")

    assert (retried.status_code, retried.headers["Idempotent-Replayed"]) == (200, "true")
    assert retried.json() == first.json()
    assert (resent.status_code, resent.json()["outcome"]) == (200, "unchanged")
    assert reserved(shops, "SHOE-42") == 2
    assert history(shops, order_id) == seen


def test_a_woocommerce_update_lowering_a_line_takes_the_units_off(shops: Api) -> None:
    created = woo_deliver(shops, "order.created", WOO_ORDER, delivery="d1")
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    assert reserved(shops, "SOCK-M") == 2
    edited = copy.deepcopy(WOO_ORDER)
    edited["line_items"][1]["quantity"] = 1

    answer = woo_deliver(shops, "order.updated", edited, delivery="d2")
    again = woo_deliver(shops, "order.updated", edited, delivery="d3")

    assert answer.status_code == 200, answer.text
    assert (answer.json()["outcome"], answer.json()["cancelled"]) == ("cancelled", {"316": 1})
    assert reserved(shops, "SOCK-M") == 1
    assert live_units(shops, order_id)["316"] == 1
    # The same order again, nothing lower: answered with the order as it stands.
    assert (again.status_code, again.json()["id"]) == (200, order_id)
    assert reserved(shops, "SOCK-M") == 1


def test_units_already_picked_are_refused_and_alert_a_person_once(shops: Api) -> None:
    order_id = three_shoes(shops)
    assert shops.post(f"/v1/orders/{order_id}/release", role="support").status_code == 200
    for shipment in shops.get(f"/v1/orders/{order_id}").json()["shipments"]:
        path = f"/v1/shipments/{shipment['id']}/status"
        picked = shops.post(path, role="warehouse", json={"status": "picked"})
        assert picked.status_code == 200, picked.text

    refused = shopify(shops, "refunds/create", REFUND, "w-refund")
    again = shopify(shops, "refunds/create", REFUND, "w-refund-2")

    assert refused.status_code == 200, refused.text
    assert (refused.json()["outcome"], refused.json()["refused"]) == ("refused", {SHOE_LINE: 1})
    assert (again.status_code, again.json()["outcome"]) == (200, "refused")
    assert reserved(shops, "SHOE-42") == 3
    [event] = outbox(shops, "order.channel_change_refused")
    assert (event["order_id"], event["status"], event["lines"]) == (
        order_id, "picked", {SHOE_LINE: 1},
    )  # fmt: skip
    [worker] = build_workers(shops.container, name="w1")
    for _ in range(3):
        worker.run_once()
    [alert] = shops.get("/v1/alerts?status=open", role="support").json()
    assert (alert["rule"], alert["key"], alert["severity"]) == (
        "channels/unit cancellation refused", order_id, "high",
    )  # fmt: skip


def test_a_refund_that_cancels_no_unit_is_left_alone(shops: Api) -> None:
    three_shoes(shops)
    money_only: dict[str, Any] = copy.deepcopy(REFUND)
    for line in money_only["refund_line_items"]:
        line["restock_type"] = "no_restock"

    answer = shopify(shops, "refunds/create", money_only, "w-refund")

    assert (answer.status_code, answer.json()["ignored"]) == (200, True)
    assert reserved(shops, "SHOE-42") == 3


# A kit on the shoe line is filed as its parts, by component SKU.
SHOE, SOCKS = f"{SHOE_LINE}.1", f"{SHOE_LINE}.2"


def two_shoe_sets(api: Api) -> str:
    """Shopify's order of 2 SHOE-SETs (its shoe line) and 2 pairs of socks, in Ordo."""
    kit = {"name": "Shoe set", "price": "99.90", "kit_components": {"SHOE-42": 1, "SOCK-M": 2}}
    assert api.put("/v1/products/SHOE-SET", json=kit).status_code == 200
    payload = copy.deepcopy(SHOPIFY_ORDER)
    payload["line_items"][0].update(sku="SHOE-SET", quantity=2)
    created = shopify(api, "orders/create", payload, "w-create")
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_a_shopify_refund_of_one_kit_takes_its_parts_off_and_the_order_shows_the_kit(
    shops: Api,
) -> None:
    order_id = two_shoe_sets(shops)
    lines = shops.get(f"/v1/orders/{order_id}").json()["lines"]
    assert [(line["id"], line["quantity"], line["kit"]) for line in lines] == [
        (SHOE, 2, {"sku": "SHOE-SET", "units": 1, "kits": 2}),
        (SOCKS, 4, {"sku": "SHOE-SET", "units": 2, "kits": 2}),
        ("141249953214522974", 2, None),
    ]
    assert (reserved(shops, "SHOE-42"), reserved(shops, "SOCK-M")) == (2, 6)

    answer = shopify(shops, "refunds/create", REFUND, "w-refund")

    assert answer.status_code == 200, answer.text
    said = answer.json()
    assert (said["outcome"], said["cancelled"], said["refused"]) == (
        "cancelled", {SHOE: 1, SOCKS: 2}, {},
    )  # fmt: skip
    quantities = {line["id"]: line["quantity"] for line in said["order"]["lines"]}
    assert quantities == {SHOE: 1, SOCKS: 2, "141249953214522974": 2}
    assert (reserved(shops, "SHOE-42"), reserved(shops, "SOCK-M")) == (1, 4)
