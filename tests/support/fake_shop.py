"""A fake Shopify and WooCommerce admin API on a local HTTP server, for the tests of orders
cancelled, and returns refunded, in Ordo and then in their shop: it keeps every request, knows
which orders are cancelled and what each has had refunded, and answers as the shops do
(Shopify's 422 for an order cancelled already, its calculated refund on the sale's parent
transaction, suggesting what the refunded line items cost when they carry a `price`;
WooCommerce's order with its status, total and refunds, its refunds listed with their lines a
page at a time, and its 500 for a refund larger than what is left). Each refund made keeps the
lines it named; a refund's answer can be lost after it was made (`lost`)."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import select

from engine.adapters import orm
from engine.domain.catalog import Customer, Location, LocationType, Product
from engine.domain.inventory import Stock
from engine.domain.values import Address
from ordo.bootstrap import Container, build_app_container
from ordo.settings import load_settings
from tests.support.local_http import serving

SHOPIFY_TOKEN = "shpat-nobody-may-see-this-token"
WOO_KEY, WOO_SECRET = "ck_nobody_may_see_this", "cs_nobody_may_see_this"
SHOPIFY_CANCEL = re.compile(r"/shopify/admin/api/[0-9-]+/orders/(\d+)/cancel\.json")
SHOPIFY_ORDER = re.compile(r"/shopify/admin/api/[0-9-]+/orders/(\d+)\.json(\?.*)?")
WOO_ORDER = re.compile(r"/woo/wp-json/wc/v3/orders/(\d+)")
SHOPIFY_REFUNDS = re.compile(r"/shopify/admin/api/[0-9-]+/orders/(\d+)/refunds(/calculate)?\.json")
WOO_REFUNDS = re.compile(r"/woo/wp-json/wc/v3/orders/(\d+)/refunds(\?.*)?")
# The id of each Shopify order's sale, the transaction its refunds are made on.
SALE_ID = 801038806


@dataclass
class ShopOrder:
    """What the shop holds of one order: its currency, what was paid, its line items."""

    currency: str = "USD"
    paid: Decimal = Decimal("500.00")
    line_items: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeShop:
    """Shopify under /shopify, WooCommerce under /woo: each request as (method, path, body),
    and the orders cancelled in each."""

    url: str = ""
    requests: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    cancelled: set[str] = field(default_factory=set)
    # Answered to each request instead, first come first served: (status, body).
    failures: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    # Each order by "shopify:<id>" or "woo:<id>" (a default one when not set), and the refunds
    # made on it: {"id", "note" or "reason", "amount"}.
    orders: dict[str, ShopOrder] = field(default_factory=dict)
    refunds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # How many of the next refunds are made but their answers lost (a 504 from a proxy that
    # gave up waiting), as when Ordo crashes between the shop's answer and its own commit.
    lost: int = 0

    def cancels(self) -> list[tuple[str, str, dict[str, Any] | None]]:
        """The requests that cancel an order (Shopify's POST, WooCommerce's PUT)."""
        return [
            request
            for request in self.requests
            if request[0] in ("POST", "PUT") and "/refunds" not in request[1]
        ]

    def refunds_made(self) -> list[tuple[str, str, dict[str, Any] | None]]:
        """The requests that refund (Shopify's refunds.json, WooCommerce's refunds)."""
        return [
            request
            for request in self.requests
            if request[0] == "POST" and re.search(r"/refunds(\.json)?$", request[1])
        ]

    def _left(self, key: str) -> Decimal:
        made = sum((Decimal(r["amount"]) for r in self.refunds.get(key, [])), Decimal(0))
        return self.orders.setdefault(key, ShopOrder()).paid - made

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        sent = json.loads(body) if body else None
        self.requests.append((method, path, sent))
        if self.failures:
            return self.failures.pop(0)
        if path.startswith("/shopify/"):
            if headers.get("X-Shopify-Access-Token") != SHOPIFY_TOKEN:
                return 401, {"errors": "[API] Invalid API key or access token"}
            return self._shopify(method, path, sent)
        basic = base64.b64encode(f"{WOO_KEY}:{WOO_SECRET}".encode()).decode()
        if headers.get("Authorization") != f"Basic {basic}":
            return 401, {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot."}
        return self._woo(method, path, sent)

    def _shopify(self, method: str, path: str, sent: dict[str, Any] | None) -> Any:
        refunds = SHOPIFY_REFUNDS.fullmatch(path)
        if method == "POST" and refunds:
            return self._shopify_refund(f"shopify:{refunds[1]}", bool(refunds[2]), sent or {})
        cancel = SHOPIFY_CANCEL.fullmatch(path)
        if method == "POST" and cancel:
            if f"shopify:{cancel[1]}" in self.cancelled:
                return 422, {"error": "Order has already been cancelled"}
            self.cancelled.add(f"shopify:{cancel[1]}")
            return 200, {"order": {"id": int(cancel[1]), "cancelled_at": "2026-11-24T10:00:00Z"}}
        order = SHOPIFY_ORDER.fullmatch(path)
        if method == "GET" and order:
            key = f"shopify:{order[1]}"
            at = "2026-11-24T10:00:00Z" if key in self.cancelled else None
            held = self.orders.setdefault(key, ShopOrder())
            return 200, {"order": {"id": int(order[1]), "cancelled_at": at,
                                   "currency": held.currency, "line_items": held.line_items,
                                   "refunds": self.refunds.get(key, [])}}  # fmt: skip
        return 404, {"errors": "Not Found"}

    def _shopify_refund(self, key: str, calculate: bool, sent: dict[str, Any]) -> Any:
        refund = sent.get("refund", {})
        if calculate:
            prices = {item["id"]: Decimal(item["price"])
                      for item in self.orders.setdefault(key, ShopOrder()).line_items
                      if "price" in item}  # fmt: skip
            worth = sum((prices.get(line["line_item_id"], Decimal(0)) * line["quantity"]
                         for line in refund.get("refund_line_items", [])), Decimal(0))  # fmt: skip
            suggested = {"order_id": int(key.split(":")[1]), "kind": "suggested_refund",
                         "gateway": "bogus", "parent_id": SALE_ID, "amount": f"{worth:.2f}",
                         "currency": refund.get("currency"),
                         "maximum_refundable": str(self._left(key))}  # fmt: skip
            return 200, {"refund": {"currency": refund.get("currency"),
                                    "refund_line_items": refund.get("refund_line_items", []),
                                    "transactions": [suggested]}}  # fmt: skip
        transactions = refund.get("transactions", [])
        if any(t.get("kind") != "refund" or t.get("parent_id") != SALE_ID for t in transactions):
            return 422, {"errors": {"transactions": ["must be refunds of the order's sale"]}}
        amount = sum((Decimal(t["amount"]) for t in transactions), Decimal(0))
        if amount > self._left(key):
            return 422, {"errors": {"base": ["Refund amount exceeds the refundable amount"]}}
        made = {"id": 929361465 + len(self.requests), "note": refund.get("note"),
                "amount": str(amount)}  # fmt: skip
        if refund.get("refund_line_items"):
            made["refund_line_items"] = refund["refund_line_items"]
        self.refunds.setdefault(key, []).append(made)
        return self._answered(201, {"refund": made})

    def _answered(self, status: int, body: Any) -> Any:
        """A refund's answer, or the 504 in its place while answers are `lost`."""
        if self.lost:
            self.lost -= 1
            return 504, {"message": "Gateway Timeout"}
        return status, body

    def _woo(self, method: str, path: str, sent: dict[str, Any] | None) -> Any:
        refunds = WOO_REFUNDS.fullmatch(path)
        if method == "POST" and refunds:
            return self._woo_refund(f"woo:{refunds[1]}", sent or {})
        if method == "GET" and refunds:
            return _woo_refunds_page(self.refunds.get(f"woo:{refunds[1]}", []), refunds[2] or "?")
        order = WOO_ORDER.fullmatch(path)
        if order is None:
            return 404, {"code": "rest_no_route", "message": "No route was found."}
        key = f"woo:{order[1]}"
        if method == "PUT" and sent == {"status": "cancelled"}:
            self.cancelled.add(key)
        status = "cancelled" if key in self.cancelled else "processing"
        held = self.orders.setdefault(key, ShopOrder())
        made = [{"id": r["id"], "reason": r["reason"], "total": f"-{r['amount']}"}
                for r in self.refunds.get(key, [])]  # fmt: skip
        return 200, {"id": int(order[1]), "status": status, "currency": held.currency,
                     "total": str(held.paid), "line_items": held.line_items,
                     "refunds": made}  # fmt: skip

    def _woo_refund(self, key: str, sent: dict[str, Any]) -> Any:
        if Decimal(sent.get("amount", "0")) > self._left(key):
            return 500, {"code": "woocommerce_rest_cannot_create_order_refund",
                         "message": "Invalid refund amount.", "data": 500}  # fmt: skip
        made = {"id": 801 + len(self.requests), "reason": sent.get("reason"),
                "amount": sent["amount"]}  # fmt: skip
        if sent.get("line_items"):
            made["line_items"] = sent["line_items"]
        self.refunds.setdefault(key, []).append(made)
        return self._answered(201, made)


def _woo_refunds_page(made: list[dict[str, Any]], query: str) -> Any:
    """A page of an order's refunds as WooCommerce lists them: `per_page` (10 unless asked,
    1 to 100, its 400 otherwise) of `page` (the first unless asked), by when they were made
    (the order of `made`) or `orderby=id`, newest first unless `order=asc`."""
    asked = {name: values[-1] for name, values in parse_qs(query[1:]).items()}
    per_page, page = int(asked.get("per_page", "10")), int(asked.get("page", "1"))
    if not 1 <= per_page <= 100:
        return 400, {"code": "rest_invalid_param", "message": "Invalid parameter(s): per_page",
                     "data": {"status": 400}}  # fmt: skip
    listed = [_woo_refund_listed(r) for r in made]
    if asked.get("orderby") == "id":
        listed.sort(key=lambda refund: int(refund["id"]))
    if asked.get("order", "desc") != "asc":
        listed.reverse()
    return 200, listed[(page - 1) * per_page : page * per_page]


def _woo_refund_listed(made: dict[str, Any]) -> dict[str, Any]:
    """A refund as `GET .../orders/{id}/refunds` lists it: each of its lines an item of its
    own, its units negative, the order's line item it refunds in its meta."""
    items = [{"id": 9100 + n, "quantity": -line["quantity"], "total": f"-{line['refund_total']}",
              "meta_data": [{"id": 700 + n, "key": "_refunded_item_id", "value": str(line["id"])}]}
             for n, line in enumerate(made.get("line_items", []))]  # fmt: skip
    return {"id": made["id"], "reason": made["reason"], "amount": made["amount"],
            "line_items": items}  # fmt: skip


@contextmanager
def fake_shop() -> Iterator[FakeShop]:
    """A `FakeShop` serving on 127.0.0.1, on a free port, until the block ends."""
    shop = FakeShop()
    with serving(shop.answer) as url:
        shop.url = url
        yield shop


def shopify_connector(shop: FakeShop, secret: str) -> dict[str, Any]:
    """ORDO_CHANNEL_CONNECTORS' entry of a Shopify connector that cancels in `shop`."""
    return {"connector": "shopify", "channel": "shopify-us", "secret": secret,
            "shop_url": f"{shop.url}/shopify", "access_token": SHOPIFY_TOKEN}  # fmt: skip


def woo_connector(shop: FakeShop, secret: str) -> dict[str, Any]:
    """ORDO_CHANNEL_CONNECTORS' entry of a WooCommerce connector that cancels in `shop`."""
    return {"connector": "woocommerce", "channel": "woo-us", "secret": secret,
            "store_url": f"{shop.url}/woo", "consumer_key": WOO_KEY,
            "consumer_secret": WOO_SECRET}  # fmt: skip


@contextmanager
def ordo_with_shops(
    database_url: str, data_dir: Path, shop: FakeShop, secret: str, **settings: Any
) -> Iterator[Container]:
    """Ordo (no Redis) with a Shopify channel `shopify-us` and a WooCommerce one `woo-us`
    whose connectors call `shop`, a warehouse NJ (Newark) holding five pairs of JEANS, and
    customer c1; `settings` are passed on (`auto_release=False`, say)."""
    connectors = {"shopify-us": shopify_connector(shop, secret),
                  "woo-us": woo_connector(shop, secret)}  # fmt: skip
    loaded = load_settings(
        database_url=database_url,
        data_dir=data_dir,
        redis_url=None,
        channel_connectors=json.dumps(connectors),
        **settings,
    )
    with build_app_container(loaded) as built:
        with built.uow_factory() as uow:
            uow.locations.add(Location("NJ", "Newark", LocationType.WAREHOUSE, Address("07114")))
            uow.products.add(Product("JEANS", "Jeans", Decimal("59.00"), weight_kg=0.8))
            uow.customers.add(Customer("c1", "c1@example.com"))
            uow.stock.add(Stock("JEANS", "NJ", on_hand=5))
            uow.commit()
        yield built


def run(worker: Any, turns: int = 8) -> None:
    """Let `worker` take what is on the bus, `turns` times."""
    for _ in range(turns):
        worker.run_once()


def outbox(container: Container, name: str) -> list[dict[str, Any]]:
    """The payloads of the events named `name` in the outbox, oldest first."""
    with container.engine.connect() as connection:
        rows = connection.execute(
            select(orm.outbox.c.payload).where(orm.outbox.c.name == name).order_by(orm.outbox.c.id)
        ).all()
    return [dict(row.payload) for row in rows]
