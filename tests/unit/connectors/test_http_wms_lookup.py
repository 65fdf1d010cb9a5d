"""The HTTP warehouse connector's lookup against a fake WMS (httpx.MockTransport): asked for
the order it made for one of Ordo's ids (a release whose answer was lost), it GETs
`/fulfilment-orders?id=` (or `/transfer-orders?id=`) and reads a reference, "none here" (a 404
saying `{"found": false}`) or "cannot be asked" (405, 501, a bare 404); anything else is a
failure to retry. A connector without the lookup says it cannot be asked."""

from __future__ import annotations

import hashlib
import hmac

import httpx
import pytest

from connectors.base import DeliveryError, FoundOrder
from connectors.warehouse import build_warehouses
from tests.unit.connectors.test_http_wms import (
    BASE,
    SECRET,
    TOKEN,
    FakeWms,
    ShipmentsOnly,
    a_wms,
)


def answering(status: int, **body: object) -> FakeWms:
    return FakeWms(lambda _: httpx.Response(status, json=body))


def test_a_lookup_gets_the_fulfilment_order_by_the_shipments_id_and_reads_its_reference() -> None:
    fake = answering(200, reference="WMS-000123")

    found = a_wms(fake).find_fulfilment_order("ful 1/a")

    assert found == FoundOrder("WMS-000123")
    [request] = fake.requests
    assert (request.method, str(request.url)) == ("GET", f"{BASE}/fulfilment-orders?id=ful%201%2Fa")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "Idempotency-Key" not in request.headers and request.content == b""


def test_a_404_saying_found_false_is_a_wms_that_holds_none() -> None:
    found = a_wms(answering(404, found=False)).find_fulfilment_order("ful_1")

    assert found == FoundOrder() and found.supported and not found.reference


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(404, json={"message": f"no such route ({TOKEN})"}),
        httpx.Response(404, text="Not Found"),
        httpx.Response(404, json={"found": "no"}),
        httpx.Response(405, json={"message": "method not allowed"}),
        httpx.Response(501),
    ],
)
def test_a_wms_built_before_the_lookup_cannot_be_asked_and_says_so_without_the_token(
    answer: httpx.Response,
) -> None:
    found = a_wms(FakeWms(lambda _: answer)).find_fulfilment_order("ful_1")

    assert not found.supported and not found.reference
    assert found.said.startswith(
        "WMS https://wms.example.com does not look orders up by Ordo's id: asked for the "
        f"fulfilment order of shipment ful_1, it answered {answer.status_code}"
    )
    assert '404 {"found": false}' in found.said and TOKEN not in found.said


@pytest.mark.parametrize("status", [401, 409, 500, 503])
def test_any_other_answer_to_a_lookup_is_a_delivery_error_to_retry(status: int) -> None:
    with pytest.raises(
        DeliveryError,
        match=rf"refused the lookup of the fulfilment order of shipment ful_1: {status} busy",
    ):
        a_wms(answering(status, message="busy")).find_fulfilment_order("ful_1")


def test_a_found_order_without_a_usable_reference_is_a_delivery_error() -> None:
    with pytest.raises(DeliveryError, match="without a reference"):
        a_wms(answering(200, found=True)).find_fulfilment_order("ful_1")


def test_an_unreachable_wms_is_a_delivery_error_naming_the_lookup() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(DeliveryError, match="unreachable for the fulfilment order of shipment"):
        a_wms(FakeWms(down)).find_fulfilment_order("ful_1")


def test_a_lookup_is_signed_over_its_empty_body_with_a_message_id_of_its_own_each_time() -> None:
    fake = answering(200, reference="WMS-7")
    wms = a_wms(fake, token=None, secret=SECRET)

    wms.find_fulfilment_order("ful_1")
    wms.find_fulfilment_order("ful_1")

    first, again = fake.requests
    assert first.headers["webhook-id"] != again.headers["webhook-id"]
    empty = hmac.new(SECRET.encode(), b"", hashlib.sha256).hexdigest()
    assert first.headers["X-Ordo-Signature"] == f"sha256={empty}"
    assert first.headers["webhook-signature"].startswith("v1,")


def test_a_transfer_order_is_looked_up_at_transfer_orders() -> None:
    fake = answering(200, reference="TO-9")

    assert a_wms(fake).find_transfer_order("trf_1") == FoundOrder("TO-9")
    assert str(fake.requests[0].url) == f"{BASE}/transfer-orders?id=trf_1"
    assert a_wms(answering(404, found=False)).find_transfer_order("trf_1") == FoundOrder()


def test_a_wms_whose_transfers_setting_is_off_holds_no_transfer_order_and_is_not_asked() -> None:
    fake = answering(200, reference="TO-9")

    assert a_wms(fake, transfers=False).find_transfer_order("trf_1") == FoundOrder()
    assert fake.requests == []


def test_a_connector_without_the_lookup_cannot_be_asked_and_one_without_transfers_holds_none() -> (
    None
):
    wms = ShipmentsOnly()

    found = wms.find_fulfilment_order("ful_1")
    assert not found.supported
    assert found.said == (
        "warehouse connector shipments-only cannot look up a fulfilment order by Ordo's id"
    )
    assert wms.find_transfer_order("trf_1") == FoundOrder()  # it was sent none


def test_each_wms_knows_the_ordo_wms_entry_it_was_built_from() -> None:
    built = build_warehouses(
        {"dallas": {"base_url": BASE, "token": TOKEN, "locations": ["DAL-01"]}}
    )

    assert built["DAL-01"].entry_name == "dallas"
