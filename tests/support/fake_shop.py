"""A fake Shopify and WooCommerce admin API on a local HTTP server, for the tests of orders
cancelled in Ordo and then in their shop: it keeps every request, knows which orders are
cancelled, and answers as the shops do (Shopify's 422 for an order cancelled already,
WooCommerce's order with its status)."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SHOPIFY_TOKEN = "shpat-nobody-may-see-this-token"
WOO_KEY, WOO_SECRET = "ck_nobody_may_see_this", "cs_nobody_may_see_this"
SHOPIFY_CANCEL = re.compile(r"/shopify/admin/api/[0-9-]+/orders/(\d+)/cancel\.json")
SHOPIFY_ORDER = re.compile(r"/shopify/admin/api/[0-9-]+/orders/(\d+)\.json(\?.*)?")
WOO_ORDER = re.compile(r"/woo/wp-json/wc/v3/orders/(\d+)")


@dataclass
class FakeShop:
    """Shopify under /shopify, WooCommerce under /woo: each request as (method, path, body),
    and the orders cancelled in each."""

    url: str = ""
    requests: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    cancelled: set[str] = field(default_factory=set)
    # Answered to each request instead, first come first served: (status, body).
    failures: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def cancels(self) -> list[tuple[str, str, dict[str, Any] | None]]:
        """The requests that cancel an order (Shopify's POST, WooCommerce's PUT)."""
        return [request for request in self.requests if request[0] in ("POST", "PUT")]

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        sent = json.loads(body) if body else None
        self.requests.append((method, path, sent))
        if self.failures:
            return self.failures.pop(0)
        if path.startswith("/shopify/"):
            if headers.get("X-Shopify-Access-Token") != SHOPIFY_TOKEN:
                return 401, {"errors": "[API] Invalid API key or access token"}
            return self._shopify(method, path)
        basic = base64.b64encode(f"{WOO_KEY}:{WOO_SECRET}".encode()).decode()
        if headers.get("Authorization") != f"Basic {basic}":
            return 401, {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot."}
        return self._woo(method, path, sent)

    def _shopify(self, method: str, path: str) -> Any:
        cancel = SHOPIFY_CANCEL.fullmatch(path)
        if method == "POST" and cancel:
            if f"shopify:{cancel[1]}" in self.cancelled:
                return 422, {"error": "Order has already been cancelled"}
            self.cancelled.add(f"shopify:{cancel[1]}")
            return 200, {"order": {"id": int(cancel[1]), "cancelled_at": "2026-11-24T10:00:00Z"}}
        order = SHOPIFY_ORDER.fullmatch(path)
        if method == "GET" and order:
            at = "2026-11-24T10:00:00Z" if f"shopify:{order[1]}" in self.cancelled else None
            return 200, {"order": {"id": int(order[1]), "cancelled_at": at}}
        return 404, {"errors": "Not Found"}

    def _woo(self, method: str, path: str, sent: dict[str, Any] | None) -> Any:
        order = WOO_ORDER.fullmatch(path)
        if order is None:
            return 404, {"code": "rest_no_route", "message": "No route was found."}
        key = f"woo:{order[1]}"
        if method == "PUT" and sent == {"status": "cancelled"}:
            self.cancelled.add(key)
        status = "cancelled" if key in self.cancelled else "processing"
        return 200, {"id": int(order[1]), "status": status}


@contextmanager
def fake_shop() -> Iterator[FakeShop]:
    """A `FakeShop` serving on 127.0.0.1, on a free port, until the block ends."""
    shop = FakeShop()

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, answer = shop.answer(self.command, self.path, dict(self.headers), body)
            content = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PUT = _any

        def log_message(self, *args: Any) -> None:
            """Quiet: the server's own line per request would only clutter the test output."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    shop.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield shop
    finally:
        server.shutdown()
        server.server_close()


def shopify_connector(shop: FakeShop, secret: str) -> dict[str, Any]:
    """ORDO_CHANNEL_CONNECTORS' entry of a Shopify connector that cancels in `shop`."""
    return {"connector": "shopify", "channel": "shopify-us", "secret": secret,
            "shop_url": f"{shop.url}/shopify", "access_token": SHOPIFY_TOKEN}  # fmt: skip


def woo_connector(shop: FakeShop, secret: str) -> dict[str, Any]:
    """ORDO_CHANNEL_CONNECTORS' entry of a WooCommerce connector that cancels in `shop`."""
    return {"connector": "woocommerce", "channel": "woo-us", "secret": secret,
            "store_url": f"{shop.url}/woo", "consumer_key": WOO_KEY,
            "consumer_secret": WOO_SECRET}  # fmt: skip
