"""The console's API client escapes every id it puts in a path: what a person types names
that id, never another route or a shorter id."""

from __future__ import annotations

import httpx
import pytest

from admin_ui.client import OrdoClient


@pytest.mark.parametrize(
    ("typed", "sent"),
    [("../auth/me", "/v1/orders/..%2Fauth%2Fme"), ("ord_1#zz", "/v1/orders/ord_1%23zz")],
)
def test_a_typed_order_id_is_sent_as_one_escaped_path_segment(typed: str, sent: str) -> None:
    seen: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path)
        return httpx.Response(200, json={"id": typed})

    with OrdoClient("http://api.test", "k", transport=httpx.MockTransport(answer)) as client:
        client.get_order(typed)
        client.stock_for_sku(typed)
    assert seen == [sent.encode(), sent.replace("/v1/orders/", "/v1/inventory/skus/").encode()]
