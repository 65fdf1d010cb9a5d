"""A WooCommerce order set `refunded` by Ordo's own refunds is no cancellation: WooCommerce
sets the status once refunds reach the order's total, so an order Ordo refunded in full (units
it cancelled, a return it refunded) comes back as `order.updated` to `refunded`. When every
refund the delivery lists carries a reason Ordo writes and together they reach the total, the
delivery is left alone, saying so; a refund the shop made itself, or Ordo's refunds short of
the total, keep it the shop's cancellation, its reason naming what the shop did."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.channels.base import CancelledUnits, ShopRefund
from connectors.channels.woocommerce import WooCommerceChannel

PAYLOAD = json.loads((Path(__file__).parent / "woocommerce_order.json").read_text())
UPDATED = {"X-WC-Webhook-Topic": "order.updated"}
# The reasons Ordo's refunds carry, as the connector writes them when it refunds.
UNITS = CancelledUnits("ord_1", "evt_7", "USD", {"316": 2}).note
RETURN = ShopRefund("RMA-20261124-0A1B2C3D", Decimal("79.90"), "USD").note


def refunded(total: str, *refunds: tuple[int, str, str], status: str = "refunded") -> Any:
    """Order 727 in `status` as `order.updated` posts it: its `total`, and its `refunds` as
    (id, reason, amount), each `total` negative as WooCommerce lists money paid back."""
    listed = [{"id": i, "reason": reason, "total": f"-{amount}"} for i, reason, amount in refunds]
    return {**PAYLOAD, "status": status, "total": total, "refunds": listed}


def woocommerce() -> WooCommerceChannel:
    return WooCommerceChannel({"channel": "woo-us", "secret": "hush"})


def test_an_order_refunded_by_ordos_refunds_alone_is_no_cancellation_and_says_why() -> None:
    echo = refunded("129.70", (801, UNITS, "49.80"), (805, RETURN, "79.90"))

    assert woocommerce().cancellation(UPDATED, echo) is None
    assert woocommerce().unit_cancellation(UPDATED, echo) is None
    said = woocommerce().passed_over(UPDATED, echo)
    assert said is not None
    assert said.startswith("order 727 is refunded by Ordo's own refunds alone (refunds 801, 805")
    # The same refunds do not explain a status the shop chose: cancelled is cancelled.
    cancelled = refunded(
        "129.70", (801, UNITS, "49.80"), (805, RETURN, "79.90"), status="cancelled"
    )
    assert woocommerce().cancellation(UPDATED, cancelled) is not None


def test_a_refund_the_shop_made_itself_keeps_the_refunded_order_its_cancellation() -> None:
    beside = refunded(
        "139.70", (801, UNITS, "49.80"), (805, RETURN, "79.90"), (809, "Goodwill: late", "10.00")
    )

    said = woocommerce().cancellation(UPDATED, beside)

    assert said is not None
    assert said.reason == "refunded in WooCommerce (refund 809 made in the shop: Goodwill: late)"
    # WooCommerce's own refund of the rest, when a person sets the status by hand, is the shop's.
    by_hand = refunded(
        "139.70", (801, UNITS, "49.80"), (810, "Order status set to refunded.", "89.90")
    )
    assert woocommerce().cancellation(UPDATED, by_hand) is not None


def test_ordos_refunds_short_of_the_total_or_unreadable_do_not_explain_the_status() -> None:
    short = refunded("139.70", (801, UNITS, "49.80"), (805, RETURN, "79.90"))
    unreadable = {**refunded("49.80", (801, UNITS, "49.80")), "refunds": [
        {"id": 801, "reason": UNITS, "total": "-49.80"}, "805",
    ]}  # fmt: skip
    no_total = {**refunded("49.80", (801, UNITS, "49.80")), "total": None}

    said = woocommerce().cancellation(UPDATED, short)

    assert said is not None
    assert said.reason == "refunded in WooCommerce (Ordo's refunds come to 129.70 of 139.70)"
    assert woocommerce().cancellation(UPDATED, unreadable) is not None
    assert woocommerce().cancellation(UPDATED, no_total) is not None
