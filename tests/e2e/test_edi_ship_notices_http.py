"""The trading partner's side of EDI over HTTP: the 997s Ordo answers with count up per
sender/receiver pair; a shipment of an EDI order shipped puts an 856 in the partner's
mailbox, which its gateway lists, fetches as X12 and acknowledges; and a channel key reaches
its own channel's mailbox only."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.channels import x12
from ordo.bootstrap import build_workers
from tests.e2e.conftest import Api
from tests.e2e.test_edi_orders_http import SAMPLE, interchange, post, purchase_order

MAILBOX = "/v1/edi/outbound"


@pytest.fixture
def stocked(api: Api) -> Api:
    api.seed("SHOE-42", units=10)
    api.seed("SOCK-M", units=10)
    return api


def shipped(api: Api, text: str = SAMPLE, channel: str = "web") -> dict[str, Any]:
    """Post the 850s of `text` on `channel`, ship the first order's shipment as its
    warehouse does, and let a worker handle what followed; the shipment as it stands."""
    answer = post(api, text, channel=channel)
    assert answer.status_code == 200, answer.text
    order = answer.json()["results"][0]["order"]
    [shipment] = api.get(f"/v1/orders/{order['id']}").json()["shipments"]
    moved = api.post(
        f"/v1/shipments/{shipment['id']}/status",
        role="warehouse",
        json={"status": "shipped", "tracking_number": "1Z999AA10123456784"},
    )
    assert moved.status_code == 200, moved.text
    [worker] = build_workers(api.container, name="w1")
    for _ in range(3):
        worker.run_once()
    return dict(moved.json())


def segments_of(text: str, tag: str) -> list[list[str]]:
    [tset] = x12.parse(text).groups[0].transaction_sets
    return [list(segment.elements) for segment in tset.segments if segment.tag == tag]


def test_the_997s_control_numbers_count_up_for_the_same_partner(stocked: Api) -> None:
    first = post(stocked, interchange(purchase_order("PO-1"))).json()["acknowledgement"]
    second = post(stocked, interchange(purchase_order("PO-2"))).json()["acknowledgement"]
    numbers = [x12.parse(ack).control_number for ack in (first, second)]
    assert numbers == ["000000001", "000000002"]
    assert [x12.parse(ack).groups[0].control_number for ack in (first, second)] == ["1", "2"]


def test_a_shipped_edi_order_puts_an_856_in_the_mailbox_fetched_as_x12_and_acknowledged(
    stocked: Api,
) -> None:
    shipment = shipped(stocked)

    [waiting] = stocked.get(MAILBOX, role="channel").json()
    assert (waiting["kind"], waiting["reference"], waiting["order_id"]) == (
        "856", shipment["id"], shipment["order_id"],
    )  # fmt: skip
    # The 997 for the 850 took number 1 of the pair; the 856 takes the next.
    assert (waiting["control_number"], waiting["acknowledged_at"]) == ("000000002", None)

    fetched = stocked.get(waiting["content_url"], role="channel")
    assert fetched.status_code == 200, fetched.text
    assert fetched.headers["content-type"].startswith("application/edi-x12")
    notice = x12.parse(fetched.text)
    assert (notice.header.get(6), notice.header.get(8)) == ("ORDO", "BUYERCO")
    assert notice.groups[0].functional_id == "SH"
    assert segments_of(fetched.text, "PRF") == [["PO-1001", "", "", "20261121"]]
    assert segments_of(fetched.text, "LIN") == [
        ["1", "VP", "SHOE-42", "UP", "012345678905"],
        ["2", "BP", "B-77", "SK", "SOCK-M"],
    ]
    assert segments_of(fetched.text, "SN1") == [["1", "2", "EA"], ["2", "3", "EA"]]
    assert segments_of(fetched.text, "REF") == [["CN", "1Z999AA10123456784"]]
    assert segments_of(fetched.text, "N1")[0][:2] == ["SF", "Dallas DC"]
    assert segments_of(fetched.text, "N1")[1] == ["ST", "Ada Lovelace, Receiving Dock 4", "92",
                                                  "STORE-7"]  # fmt: skip

    acknowledged = stocked.post(f"{MAILBOX}/{waiting['id']}/ack", role="channel")
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["acknowledged_at"] is not None
    assert stocked.get(MAILBOX, role="channel").json() == []
    collected = stocked.get(f"{MAILBOX}?status=acknowledged", role="channel").json()
    assert [d["id"] for d in collected] == [waiting["id"]]
    again = stocked.post(f"{MAILBOX}/{waiting['id']}/ack", role="channel").json()
    assert again["acknowledged_at"] == acknowledged.json()["acknowledged_at"]


def test_an_order_that_did_not_come_in_by_edi_puts_nothing_in_the_mailbox(stocked: Api) -> None:
    created = stocked.post("/v1/orders", role="channel", json={
        "channel_order_id": "W-1", "customer_id": "C-1",
        "ship_to": {"postal_code": "10001", "city": "New York", "state": "NY"},
        "lines": [{"sku": "SHOE-42", "quantity": 1}],
    })  # fmt: skip
    assert created.status_code == 201, created.text
    [shipment] = stocked.get(f"/v1/orders/{created.json()['id']}").json()["shipments"]
    path = f"/v1/shipments/{shipment['id']}/status"
    assert stocked.post(path, role="warehouse", json={"status": "shipped"}).status_code == 200
    [worker] = build_workers(stocked.container, name="w1")
    for _ in range(3):
        worker.run_once()
    assert stocked.get(f"{MAILBOX}?status=all", role="channel").json() == []


def test_a_channel_key_reaches_its_own_mailbox_only_and_an_admin_names_the_channel(
    stocked: Api,
) -> None:
    shipped(stocked, channel="shop")
    [waiting] = stocked.get(f"{MAILBOX}?channel=shop").json()
    assert stocked.get(f"{MAILBOX}?channel=web").json() == []
    unnamed = stocked.get(MAILBOX)
    assert unnamed.status_code == 422
    assert unnamed.json()["detail"].startswith("query parameter 'channel': is required")
    # The `web` channel's key: another channel's mailbox is refused, its documents unknown.
    other = stocked.get(f"{MAILBOX}?channel=shop", role="channel")
    assert other.status_code == 403
    assert "channel 'web', not 'shop'" in other.json()["detail"]
    assert stocked.get(f"{MAILBOX}?status=all", role="channel").json() == []
    for answer in (
        stocked.get(waiting["content_url"], role="channel"),
        stocked.post(f"{waiting['content_url']}/ack", role="channel"),
    ):
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
    assert stocked.get(waiting["content_url"]).status_code == 200


def test_the_documented_856_example_reads_back_with_its_counts_right(api: Api) -> None:
    operation = api.client.get("/openapi.json").json()["paths"][MAILBOX + "/{document_id}"]["get"]
    example = operation["responses"]["200"]["content"]["application/edi-x12"]["example"]
    [tset] = x12.parse(example).groups[0].transaction_sets
    assert tset.kind == "856"
    assert [error.code for error in tset.errors] == ["1"]  # only "not an 850"
