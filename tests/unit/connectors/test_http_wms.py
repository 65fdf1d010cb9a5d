"""The HTTP warehouse connector against a fake WMS (httpx.MockTransport): what it posts (a
shipment, its changes, a stock transfer, its cancellation and its expected receipt at the
location it goes to), how it proves it is Ordo, the
reference it brings back, refusals named without the token or the secret, and ORDO_WMS
checked entry by entry when Ordo starts."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from connectors.base import DeliveryError, PermanentRefusal, WarehouseSystem
from connectors.warehouse import build_warehouses
from connectors.warehouse.http_wms import CONTRACT, HttpWarehouse
from engine.domain.inventory import InboundKind, InboundSupply
from engine.service_layer.warehouse import fulfilment_order_facts
from engine.service_layer.wms_transfers import inbound_facts, transfer_facts
from ordo.bootstrap import build_warehouses as warehouses_of
from ordo.settings import SettingsError, load_settings, shown_value
from tests.support.builders import a_location, a_shipment, an_address, an_order

TOKEN = "wms-token-nobody-may-see"
SECRET = "wms-signing-secret-nobody-may-see"
BASE = "https://wms.example.com/api/ordo"


@pytest.fixture(autouse=True)
def _clean_ordo_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ORDO_"):
            monkeypatch.delenv(name)


class FakeWms:
    """Answers each request with `answer(request)` and keeps the requests."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer or (lambda _: httpx.Response(201, json={"reference": "WMS-000123"}))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)


def a_wms(fake: FakeWms, **options: Any) -> HttpWarehouse:
    config = {"base_url": BASE, "token": TOKEN, "locations": ["DAL-01"], **options}
    return HttpWarehouse(config, client=httpx.Client(transport=httpx.MockTransport(fake)))


def facts() -> dict[str, Any]:
    shipment = a_shipment(id="ful_1", tracking_number="", label_format="")
    return fulfilment_order_facts(shipment, an_order(id="ord_1", channel_order_id="W-1001"))


def test_a_release_posts_the_fulfilment_order_with_its_id_as_the_idempotency_key() -> None:
    fake = FakeWms()
    reference = a_wms(fake).release(facts())

    assert reference == "WMS-000123"
    [request] = fake.requests
    assert (request.method, str(request.url)) == ("POST", f"{BASE}/fulfilment-orders")
    assert request.headers["Idempotency-Key"] == "ful_1"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "X-Ordo-Signature" not in request.headers  # no secret configured
    assert not [name for name in request.headers if name.startswith("webhook-")]
    body = json.loads(request.content)
    assert body["contract"] == CONTRACT == "ordo.wms.v1"
    assert body["id"] == "ful_1" and body["location_code"] == "DAL-01"
    assert body["order"] == {
        "id": "ord_1",
        "reference": "W-1001",
        "channel": "web",
        "service_level": "express",
        "priority": 3,
    }
    assert body["ship_to"]["postal_code"] == "75201" and body["ship_to"]["name"] == "Ada Lovelace"
    assert body["lines"] == [
        {"line_id": "L1", "sku": "SKU-1", "units": 2},
        {"line_id": "L2", "sku": "SKU-2", "units": 1},
    ]
    assert body["carrier"] == {
        "code": "ups",
        "service": "ground",
        "promised_date": "2026-03-06",
        "tracking_number": None,
    }
    assert body["label"] is None


def test_a_label_made_before_release_travels_as_its_tracking_number_and_download_path() -> None:
    fake = FakeWms()
    shipment = a_shipment(id="ful_1", tracking_number="1Z999", label_format="zpl")
    a_wms(fake).release(fulfilment_order_facts(shipment, an_order()))

    body = json.loads(fake.requests[0].content)
    assert body["carrier"]["tracking_number"] == "1Z999"
    assert body["label"] == {"format": "zpl", "path": "/v1/shipments/ful_1/label"}


def test_with_a_secret_the_body_is_signed_with_hmac_sha256() -> None:
    fake = FakeWms()
    a_wms(fake, token=None, secret=SECRET).release(facts())

    [request] = fake.requests
    expected = hmac.new(SECRET.encode(), request.content, hashlib.sha256).hexdigest()
    assert request.headers["X-Ordo-Signature"] == f"sha256={expected}"
    assert "Authorization" not in request.headers


def test_a_refusal_names_the_status_and_what_the_wms_said_never_the_token() -> None:
    fake = FakeWms(lambda _: httpx.Response(422, json={"message": f"unknown SKU-2 ({TOKEN})"}))
    with pytest.raises(DeliveryError) as refused:
        a_wms(fake, secret=SECRET).release(facts())

    message = str(refused.value)
    assert message == "WMS https://wms.example.com refused shipment ful_1: 422 unknown SKU-2 (***)"
    assert TOKEN not in message and SECRET not in message


def test_an_unreachable_wms_is_a_delivery_error_naming_the_shipment() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(
        DeliveryError,
        match=r"WMS https://wms\.example\.com unreachable for "
        "shipment ful_1: connection refused",
    ):
        a_wms(FakeWms(down)).release(facts())


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, json={}),
        httpx.Response(200, text="ok"),
        httpx.Response(201, json={"reference": "  "}),
        httpx.Response(201, json=["WMS-1"]),
    ],
)
def test_an_answer_without_a_reference_is_a_delivery_error(answer: httpx.Response) -> None:
    with pytest.raises(DeliveryError, match="without a reference"):
        a_wms(FakeWms(lambda _: answer)).release(facts())


def test_a_reference_too_long_to_keep_is_a_delivery_error() -> None:
    fake = FakeWms(lambda _: httpx.Response(201, json={"reference": "W" * 129}))
    with pytest.raises(DeliveryError, match="1 to 128 printable characters"):
        a_wms(fake).release(facts())


def test_a_wms_needs_a_token_or_a_secret_and_the_locations_it_serves() -> None:
    with pytest.raises(ValidationError, match="token: is required unless a secret is given"):
        HttpWarehouse({"base_url": BASE, "locations": ["DAL-01"]})
    with pytest.raises(ValidationError, match="locations"):
        HttpWarehouse({"base_url": BASE, "token": TOKEN, "locations": []})


def entries(**named: dict[str, Any]) -> str:
    return json.dumps(named)


def refusal(value: str) -> str:
    with pytest.raises(SettingsError) as raised:
        warehouses_of(load_settings(wms=value))
    message = str(raised.value)
    assert "\n" not in message and TOKEN not in message
    return message


def test_ordo_wms_maps_each_location_to_its_wms_and_star_to_every_other() -> None:
    settings = load_settings(
        wms=entries(
            dallas={"base_url": BASE, "token": TOKEN, "locations": ["DAL-01", "DAL-02"]},
            threepl={
                "connector": "http",
                "base_url": "https://3pl.example.com",
                "secret": SECRET,
                "locations": ["*"],
            },
        )
    )
    built = warehouses_of(settings)

    assert set(built) == {"DAL-01", "DAL-02", "*"}
    assert built["DAL-01"] is built["DAL-02"] is not built["*"]
    assert shown_value(settings, "wms") == "dallas (DAL-01, DAL-02), threepl (*)"
    assert warehouses_of(load_settings()) == {}


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ({"token": TOKEN, "locations": ["DAL-01"]}, "ORDO_WMS: dallas.base_url: is required"),
        (
            {"base_url": "ftp://wms", "token": TOKEN, "locations": ["DAL-01"]},
            "ORDO_WMS: dallas.base_url: must be an http:// or https:// URL with a host",
        ),
        (
            {"base_url": BASE, "tokn": TOKEN, "locations": ["DAL-01"]},
            "ORDO_WMS: dallas.tokn: is not a setting of this connector (see docs/integrations.md)",
        ),
        (
            {"base_url": BASE, "secret": SECRET, "token": TOKEN, "locations": ["DAL 01"]},
            "ORDO_WMS: dallas.locations: each must be a location code",
        ),
        (
            {"base_url": BASE, "locations": ["DAL-01"]},
            "ORDO_WMS: dallas.token: is required unless a secret is given",
        ),
        (
            {"connector": "sap", "base_url": BASE},
            "ORDO_WMS: dallas.connector: no warehouse connector 'sap' (known: http)",
        ),
    ],
)
def test_a_bad_entry_stops_start_up_naming_the_entry_and_the_field(
    entry: dict[str, Any], said: str
) -> None:
    assert refusal(entries(dallas=entry)).startswith(said)


def test_a_location_served_by_two_systems_is_refused() -> None:
    one = {"base_url": BASE, "token": TOKEN, "locations": ["DAL-01"]}
    message = refusal(entries(dallas=one, backup={**one, "locations": ["RNO-02", "DAL-01"]}))
    assert message == (
        "ORDO_WMS: backup.locations: DAL-01 is served by dallas already; a location's "
        "shipments go to one WMS"
    )


def test_ordo_wms_that_is_not_json_is_refused_without_showing_it() -> None:
    message = refusal('{"dallas": {"token": "' + TOKEN + '"')
    assert message.startswith("ORDO_WMS: is not valid JSON (line 1, column")
    assert build_warehouses({}) == {}


# --- changes after release: update and cancel -------------------------------------------


def test_an_update_puts_the_shipment_as_it_is_now_at_the_wms_reference() -> None:
    fake = FakeWms(lambda _: httpx.Response(204))
    a_wms(fake).update("WMS/00 7", {**facts(), "reason": "damaged"}, "412")

    [request] = fake.requests
    assert (request.method, str(request.url)) == (
        "PUT",
        f"{BASE}/fulfilment-orders/WMS%2F00%207",
    )
    assert request.headers["Idempotency-Key"] == "ful_1:update:412"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    body = json.loads(request.content)
    assert (body["contract"], body["message"], body["reference"]) == (
        "ordo.wms.v1",
        "update",
        "WMS/00 7",
    )
    assert body["id"] == "ful_1" and body["reason"] == "damaged"
    assert body["lines"] == facts()["lines"] and body["ship_to"] == facts()["ship_to"]


def test_a_cancellation_posts_the_shipment_and_its_order_to_the_cancel_path() -> None:
    fake = FakeWms(lambda _: httpx.Response(200, json={"status": "cancelled"}))
    a_wms(fake).cancel("WMS-7", facts())

    [request] = fake.requests
    assert (request.method, str(request.url)) == (
        "POST",
        f"{BASE}/fulfilment-orders/WMS-7/cancel",
    )
    assert request.headers["Idempotency-Key"] == "ful_1:cancel"
    assert json.loads(request.content) == {
        "contract": "ordo.wms.v1",
        "message": "cancel",
        "reference": "WMS-7",
        "id": "ful_1",
        "order": facts()["order"],
        "location_code": "DAL-01",
    }


def test_a_repeated_change_is_signed_with_the_same_message_id_and_the_next_one_with_another() -> (
    None
):
    fake = FakeWms(lambda _: httpx.Response(204))
    wms = a_wms(fake, token=None, secret=SECRET)
    wms.update("WMS-7", facts(), "412")
    wms.update("WMS-7", facts(), "412")  # the same event, redelivered
    wms.update("WMS-7", facts(), "415")  # the shipment's next change
    wms.cancel("WMS-7", facts())
    wms.cancel("WMS-7", facts())

    ids = [request.headers["webhook-id"] for request in fake.requests]
    assert ids[0] == ids[1] and ids[3] == ids[4]
    assert len({ids[0], ids[2], ids[3]}) == 3
    for request in fake.requests:
        expected = hmac.new(SECRET.encode(), request.content, hashlib.sha256).hexdigest()
        assert request.headers["X-Ordo-Signature"] == f"sha256={expected}"
        assert request.headers["webhook-signature"].startswith("v1,")
        assert "Authorization" not in request.headers


def test_a_409_is_a_permanent_refusal_naming_the_change_and_what_the_wms_said() -> None:
    answer = httpx.Response(409, json={"status": "shipped", "message": f"shipped ({TOKEN})"})
    with pytest.raises(PermanentRefusal) as refused:
        a_wms(FakeWms(lambda _: answer), secret=SECRET).cancel("WMS-7", facts())

    message = str(refused.value)
    assert message == (
        "WMS https://wms.example.com refused the cancellation of shipment ful_1: 409 shipped (***)"
    )
    assert TOKEN not in message and SECRET not in message


@pytest.mark.parametrize("status", [404, 422, 503])
def test_any_other_refusal_of_a_change_is_a_delivery_error_to_retry(status: int) -> None:
    answer = httpx.Response(status, json={"message": "no such order"})
    with pytest.raises(DeliveryError) as refused:
        a_wms(FakeWms(lambda _: answer)).update("WMS-7", facts(), "412")

    assert not isinstance(refused.value, PermanentRefusal)
    assert f"refused the update of shipment ful_1: {status} no such order" in str(refused.value)


# --- stock transfers: sent, and cancelled -----------------------------------------------


def a_transfer() -> dict[str, Any]:
    transfer = InboundSupply(
        "trf_1", "MUG", "NYC-5", 2, date(2026, 12, 3), InboundKind.TRANSFER, "from DAL-01",
        order_id="ord_1",
    )  # fmt: skip
    source = a_location(code="DAL-01", name="Dallas DC")
    store = a_location(code="NYC-5", name="Fifth Avenue", address=an_address(line1="350 5th Ave"))
    return transfer_facts(transfer, source, store, an_order(id="ord_1", channel_order_id="W-7"))


def test_a_transfer_is_posted_to_transfer_orders_with_its_id_as_the_idempotency_key() -> None:
    fake = FakeWms(lambda _: httpx.Response(201, json={"reference": "TO-55"}))
    reference = a_wms(fake).send_transfer(a_transfer())

    assert reference == "TO-55"
    [request] = fake.requests
    assert (request.method, str(request.url)) == ("POST", f"{BASE}/transfer-orders")
    assert request.headers["Idempotency-Key"] == "trf_1"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    body = json.loads(request.content)
    assert (body["contract"], body["id"], body["location_code"]) == (
        "ordo.wms.v1",
        "trf_1",
        "DAL-01",
    )
    assert (body["from"]["code"], body["from"]["name"]) == ("DAL-01", "Dallas DC")
    assert (body["to"]["code"], body["to"]["address"]["line1"]) == ("NYC-5", "350 5th Ave")
    assert body["lines"] == [{"sku": "MUG", "units": 2}]
    assert body["expected_on"] == "2026-12-03"
    assert body["order"] == {"id": "ord_1", "reference": "W-7", "channel": "web"}


def test_a_transfer_and_its_cancellation_are_signed_as_a_release_is() -> None:
    fake = FakeWms(lambda _: httpx.Response(201, json={"reference": "TO-55"}))
    wms = a_wms(fake, token=None, secret=SECRET)
    wms.send_transfer(a_transfer())
    wms.send_transfer(a_transfer())  # the same event, redelivered
    wms.cancel_transfer("TO-55", a_transfer())

    ids = [request.headers["webhook-id"] for request in fake.requests]
    assert ids[0] == ids[1] != ids[2]
    for request in fake.requests:
        expected = hmac.new(SECRET.encode(), request.content, hashlib.sha256).hexdigest()
        assert request.headers["X-Ordo-Signature"] == f"sha256={expected}"
        assert request.headers["webhook-signature"].startswith("v1,")
        assert "Authorization" not in request.headers


def test_a_transfers_cancellation_posts_to_its_reference_once_for_every_attempt() -> None:
    fake = FakeWms(lambda _: httpx.Response(204))
    a_wms(fake).cancel_transfer("TO/5 5", a_transfer())

    [request] = fake.requests
    assert (request.method, str(request.url)) == (
        "POST",
        f"{BASE}/transfer-orders/TO%2F5%205/cancel",
    )
    assert request.headers["Idempotency-Key"] == "trf_1:cancel"
    assert json.loads(request.content) == {
        "contract": "ordo.wms.v1",
        "message": "cancel",
        "reference": "TO/5 5",
        "id": "trf_1",
        "order": {"id": "ord_1", "reference": "W-7", "channel": "web"},
        "location_code": "DAL-01",
    }


def test_a_409_to_a_transfers_cancellation_is_a_permanent_refusal_never_showing_the_token() -> None:
    answer = httpx.Response(409, json={"message": f"shipped with 1Z9 ({TOKEN})"})
    with pytest.raises(PermanentRefusal) as refused:
        a_wms(FakeWms(lambda _: answer), secret=SECRET).cancel_transfer("TO-55", a_transfer())

    assert str(refused.value) == (
        "WMS https://wms.example.com refused the cancellation of transfer trf_1: 409 shipped "
        "with 1Z9 (***)"
    )


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (
            httpx.Response(422, json={"message": "unknown SKU MUG"}),
            "WMS https://wms.example.com refused transfer trf_1: 422 unknown SKU MUG",
        ),
        (
            httpx.Response(200, json={}),
            "WMS https://wms.example.com answered 200 for transfer trf_1 without a reference",
        ),
    ],
)
def test_a_transfer_the_wms_does_not_take_is_a_delivery_error_naming_the_host_and_transfer(
    answer: httpx.Response, said: str
) -> None:
    with pytest.raises(DeliveryError) as refused:
        a_wms(FakeWms(lambda _: answer), secret=SECRET).send_transfer(a_transfer())

    assert not isinstance(refused.value, PermanentRefusal)
    assert str(refused.value).startswith(said)
    assert TOKEN not in str(refused.value) and SECRET not in str(refused.value)


def test_an_unreachable_wms_is_a_delivery_error_naming_the_transfer() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(DeliveryError, match="unreachable for transfer trf_1: connection refused"):
        a_wms(FakeWms(down)).send_transfer(a_transfer())


class ShipmentsOnly(WarehouseSystem):
    """A WMS connector written before transfers: it keeps the base class's answers."""

    slug = "shipments-only"

    def release(self, fulfilment_order: Mapping[str, Any]) -> str:
        return "WMS-1"

    def update(self, reference: str, fulfilment_order: Mapping[str, Any], change_id: str) -> None:
        """Takes every change."""

    def cancel(self, reference: str, fulfilment_order: Mapping[str, Any]) -> None:
        """Takes every cancellation."""


def test_a_wms_connector_that_takes_no_transfers_skips_them_and_cannot_cancel_one() -> None:
    wms = ShipmentsOnly()

    assert wms.send_transfer(a_transfer()) is None
    with pytest.raises(PermanentRefusal, match="shipments-only cannot cancel a transfer"):
        wms.cancel_transfer("TO-55", a_transfer())


def test_a_wms_whose_transfers_setting_is_off_is_sent_no_transfer() -> None:
    fake = FakeWms()

    assert a_wms(fake, transfers=False).send_transfer(a_transfer()) is None
    assert fake.requests == []


# --- stock transfers: expected at the location they go to ---------------------------------


def an_expected_receipt() -> dict[str, Any]:
    transfer = InboundSupply(
        "trf_1", "MUG", "NYC-5", 2, date(2026, 12, 4), InboundKind.TRANSFER, "from DAL-01",
        order_id="ord_1", shipped_at=datetime(2026, 11, 28, 14, 5, tzinfo=UTC), carrier="ups",
        tracking_number="1Z999AA10123456784",
    )  # fmt: skip
    source = a_location(code="DAL-01", name="Dallas DC")
    store = a_location(code="NYC-5", name="Fifth Avenue", address=an_address(line1="350 5th Ave"))
    return inbound_facts(transfer, source, store, an_order(id="ord_1", channel_order_id="W-7"))


def test_an_expected_receipt_is_posted_to_inbound_transfers_under_its_own_key() -> None:
    fake = FakeWms(lambda _: httpx.Response(201, json={"reference": "ASN-9"}))
    wms = a_wms(fake, locations=["NYC-5"])

    assert wms.send_inbound_transfer(an_expected_receipt()) == "ASN-9"

    [request] = fake.requests
    assert (request.method, str(request.url)) == ("POST", f"{BASE}/inbound-transfers")
    assert request.headers["Idempotency-Key"] == "trf_1:inbound"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    body = json.loads(request.content)
    assert (body["contract"], body["id"], body["location_code"]) == (CONTRACT, "trf_1", "NYC-5")
    assert (body["from"]["code"], body["from"]["name"]) == ("DAL-01", "Dallas DC")
    assert (body["to"]["code"], body["to"]["address"]["line1"]) == ("NYC-5", "350 5th Ave")
    assert body["lines"] == [{"sku": "MUG", "units": 2}]
    assert (body["carrier"], body["tracking_number"]) == ("ups", "1Z999AA10123456784")
    assert (body["shipped_at"], body["expected_on"]) == ("2026-11-28T14:05:00+00:00", "2026-12-04")
    assert body["order"] == {"id": "ord_1", "reference": "W-7", "channel": "web"}


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(204), httpx.Response(202, json={"status": "expected"}),
     httpx.Response(200, json={"reference": "  "})],
)  # fmt: skip
def test_a_wms_that_answers_no_reference_knows_the_receipt_by_ordos_key(
    answer: httpx.Response,
) -> None:
    assert a_wms(FakeWms(lambda _: answer)).send_inbound_transfer(an_expected_receipt()) == (
        "trf_1:inbound"
    )


def test_an_expected_receipt_is_signed_with_a_message_id_of_its_own_and_the_same_on_a_repeat() -> (
    None
):
    fake = FakeWms(lambda _: httpx.Response(201, json={"reference": "ASN-9"}))
    wms = a_wms(fake, token=None, secret=SECRET)
    wms.send_transfer(a_transfer())
    wms.send_inbound_transfer(an_expected_receipt())
    wms.send_inbound_transfer(an_expected_receipt())  # the same event, redelivered

    ids = [request.headers["webhook-id"] for request in fake.requests]
    assert ids[0] != ids[1] == ids[2]
    for request in fake.requests[1:]:
        expected = hmac.new(SECRET.encode(), request.content, hashlib.sha256).hexdigest()
        assert request.headers["X-Ordo-Signature"] == f"sha256={expected}"
        assert "Authorization" not in request.headers


def test_a_409_to_an_expected_receipt_is_a_permanent_refusal_and_a_503_one_to_retry() -> None:
    answer = httpx.Response(409, json={"message": f"received already ({TOKEN})"})
    with pytest.raises(PermanentRefusal) as refused:
        a_wms(FakeWms(lambda _: answer)).send_inbound_transfer(an_expected_receipt())
    assert str(refused.value) == (
        "WMS https://wms.example.com refused the expected receipt of transfer trf_1: 409 "
        "received already (***)"
    )

    busy = httpx.Response(503, json={"message": "busy"})
    with pytest.raises(DeliveryError) as failed:
        a_wms(FakeWms(lambda _: busy)).send_inbound_transfer(an_expected_receipt())
    assert not isinstance(failed.value, PermanentRefusal)
    assert "expected receipt of transfer trf_1: 503 busy" in str(failed.value)


def test_a_wms_that_takes_no_transfers_is_sent_no_expected_receipt() -> None:
    fake = FakeWms()

    assert a_wms(fake, transfers=False).send_inbound_transfer(an_expected_receipt()) is None
    assert ShipmentsOnly().send_inbound_transfer(an_expected_receipt()) is None
    assert fake.requests == []


# --- stock transfers: a revised arrival day, to the WMS that expects it --------------------


def test_a_revised_day_puts_the_expected_receipt_as_it_is_now_at_the_wms_reference() -> None:
    fake = FakeWms(lambda _: httpx.Response(204))
    receipt = {**an_expected_receipt(), "expected_on": "2026-12-06"}

    assert a_wms(fake, locations=["NYC-5"]).update_inbound_transfer("ASN/9 b", receipt, "4187")

    [request] = fake.requests
    assert (request.method, str(request.url)) == (
        "PUT", f"{BASE}/inbound-transfers/ASN%2F9%20b",
    )  # fmt: skip
    assert request.headers["Idempotency-Key"] == "trf_1:inbound:update:4187"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(request.content) == {
        "contract": CONTRACT, "message": "update", "reference": "ASN/9 b", **receipt,
    }  # fmt: skip


def test_a_repeated_revision_is_signed_with_the_same_message_id_and_the_next_one_with_another() -> (
    None
):
    fake = FakeWms(lambda _: httpx.Response(200, json={"status": "updated"}))
    wms = a_wms(fake, token=None, secret=SECRET)
    wms.send_inbound_transfer(an_expected_receipt())
    wms.update_inbound_transfer("trf_1:inbound", an_expected_receipt(), "4187")
    wms.update_inbound_transfer("trf_1:inbound", an_expected_receipt(), "4187")  # redelivered
    wms.update_inbound_transfer("trf_1:inbound", an_expected_receipt(), "4190")  # the next

    ids = [request.headers["webhook-id"] for request in fake.requests]
    assert ids[1] == ids[2] and len({ids[0], ids[1], ids[3]}) == 3
    assert str(fake.requests[1].url) == f"{BASE}/inbound-transfers/trf_1%3Ainbound"
    for request in fake.requests[1:]:
        expected = hmac.new(SECRET.encode(), request.content, hashlib.sha256).hexdigest()
        assert request.headers["X-Ordo-Signature"] == f"sha256={expected}"


def test_a_409_to_a_revised_day_is_a_permanent_refusal_and_a_503_one_to_retry() -> None:
    answer = httpx.Response(409, json={"message": f"receipt closed ({TOKEN})"})
    with pytest.raises(PermanentRefusal) as refused:
        a_wms(FakeWms(lambda _: answer)).update_inbound_transfer(
            "ASN-9", an_expected_receipt(), "4187"
        )
    assert str(refused.value) == (
        "WMS https://wms.example.com refused the update of the expected receipt of transfer "
        "trf_1: 409 receipt closed (***)"
    )

    busy = httpx.Response(503, json={"message": "busy"})
    with pytest.raises(DeliveryError) as failed:
        a_wms(FakeWms(lambda _: busy)).update_inbound_transfer(
            "ASN-9", an_expected_receipt(), "4187"
        )
    assert not isinstance(failed.value, PermanentRefusal)
    assert "update of the expected receipt of transfer trf_1: 503 busy" in str(failed.value)


def test_a_wms_that_takes_no_transfers_is_sent_no_revised_day() -> None:
    fake = FakeWms()

    assert not a_wms(fake, transfers=False).update_inbound_transfer(
        "ASN-9", an_expected_receipt(), "4187"
    )
    assert not ShipmentsOnly().update_inbound_transfer("ASN-9", an_expected_receipt(), "4187")
    assert fake.requests == []
