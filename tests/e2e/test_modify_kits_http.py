"""Support adding whole kits to a kit's line over HTTP: the 850's PO1 1 orders 3 SHOE-SETs of
2 shoes and 2 socks, filed as `1.1`, `1.2`; `POST /v1/orders/{id}/modify` with `kits`
raises both parts by two units for each set added, and the sets the line ordered with them;
kits the line cannot take are 422 at `kits.<line>`."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api
from tests.e2e.test_edi_orders_http import post
from tests.e2e.test_edi_po_change_kits_http import SHOE_SET, THREE_SETS
from tests.e2e.test_edi_po_changes_http import partner

__all__ = ["partner"]  # the fixture: shoes and socks in stock


def three_sets(api: Api) -> dict[str, Any]:
    assert api.put("/v1/products/SHOE-SET", json=SHOE_SET).status_code == 200
    created = post(api, THREE_SETS)
    assert created.status_code == 200, created.text
    return dict(created.json()["results"][0]["order"])


def test_kits_raise_a_kit_lines_parts_and_the_kits_it_ordered(partner: Api) -> None:
    order = three_sets(partner)

    answer = partner.post(
        f"/v1/orders/{order['id']}/modify", role="support", json={"kits": {"1": 4}}
    )

    assert answer.status_code == 200, answer.text
    assert [(line["id"], line["quantity"], line["kit"]["kits"])
            for line in answer.json()["lines"][:2]] == [("1.1", 8, 4), ("1.2", 8, 4)]  # fmt: skip


def test_kits_no_more_than_the_line_ordered_or_for_no_kit_line_are_422_at_their_path(
    partner: Api,
) -> None:
    order = three_sets(partner)
    url = f"/v1/orders/{order['id']}/modify"

    fewer = partner.post(url, role="support", json={"kits": {"1": 2}})
    plain = partner.post(url, role="support", json={"kits": {"2": 4}})

    assert fewer.status_code == 422, fewer.text
    [error] = fewer.json()["errors"]
    assert error["path"] == "$.kits.1"
    assert "ordered 3 kits: kits raises it to more, got 2" in error["message"]
    assert plain.status_code == 422, plain.text
    assert "has no kit line '2'" in plain.json()["errors"][0]["message"]
    now = partner.get(f"/v1/orders/{order['id']}").json()
    assert [line["quantity"] for line in now["lines"]] == [6, 6, 3]
