"""The EasyPost carrier connector against a fake EasyPost (httpx.MockTransport): the requests
it sends (paths, Basic auth with the key, bodies), the answers it maps into Ordo's rates,
labels and tracking, a label never bought twice (nor, in the other format, one bought again
after a void), voids (a void asked again of a label refunded already is done), the webhook's
signature, and every refusal named without the key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pypdf import PdfReader, PdfWriter

from connectors.base import (
    DeliveryError,
    PermanentRefusal,
    RateQuote,
    WebhookPayloadError,
    WebhookRefused,
)
from connectors.carriers.easypost import EasyPostCarrier
from connectors.carriers.ratecard import ShipmentError

KEY = "EZAK-key-nobody-may-see"
SECRET = "webhook-secret-nobody-may-see"
API = "https://api.easypost.com/v2"
FILES = "https://easypost-files.s3.example.com"
Answer = Callable[[httpx.Request], httpx.Response]


class FakeEasyPost:
    """Answers `METHOD /path` from `routes` (404 for any other) and keeps the requests."""

    def __init__(self, routes: dict[str, Answer | httpx.Response]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url)
        path = url.removeprefix(API).partition("?")[0] if url.startswith(API) else url
        answer = self.routes.get(f"{request.method} {path}")
        if answer is None:
            return httpx.Response(404, json={"error": {"code": "NOT_FOUND", "message": "none"}})
        return answer(request) if callable(answer) else answer

    def sent(self) -> list[str]:
        return [f"{r.method} {str(r.url).removeprefix(API)}" for r in self.requests]


def a_carrier(fake: FakeEasyPost, **options: Any) -> EasyPostCarrier:
    config = {
        "api_key": KEY,
        "carrier": "UPS",
        "services": {"GROUND": "Ground", "AIR": "NextDayAir"},
        "code": "PCL",
        **options,
    }
    return EasyPostCarrier(config, client=httpx.Client(transport=httpx.MockTransport(fake)))


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


def rate(service: str, amount: str, carrier: str = "UPS", **more: Any) -> dict[str, Any]:
    return {"id": f"rate_{service}", "carrier": carrier, "service": service, "rate": amount,
            "currency": "USD", **more}  # fmt: skip


def shipment_fields(**more: Any) -> dict[str, Any]:
    ends = {}
    for end, (name, city, code) in {
        "from": ("Dallas DC", "Dallas", "75201"),
        "to": ("Ada Lovelace", "Austin", "73301"),
    }.items():
        ends |= {
            f"{end}_name": name, f"{end}_line1": "1 Main St", f"{end}_city": city,
            f"{end}_state": "TX", f"{end}_postal_code": code, f"{end}_country": "US",
        }  # fmt: skip
    return {**ends, "id": "ful_1", "reference": "W-1001", "ship_date": date(2026, 3, 2),
            "tracking_number": "", "weight_kg": 2.0, **more}  # fmt: skip


def bought(shipment_id: str, number: str, **label: str) -> dict[str, Any]:
    return {"id": shipment_id, "object": "Shipment", "tracking_code": number,
            "postage_label": {"label_file_type": "application/zpl",
                              "label_url": f"{FILES}/{shipment_id}.zpl", **label}}  # fmt: skip


def a_pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(288, 432)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- rates ---------------------------------------------------------------------------------


def test_rates_post_a_shipment_in_ounces_and_inches_and_quote_the_mapped_services_only() -> None:
    answer = {"id": "shp_r", "rates": [
        rate("Ground", "9.15", delivery_days=3, delivery_date="2026-03-05T23:59:00Z"),
        rate("NextDayAir", "31.40", delivery_days=1),
        rate("2ndDayAir", "18.00", delivery_days=2),  # not in the services map
        rate("Priority", "7.00", carrier="USPS", delivery_days=2),  # another carrier
    ]}  # fmt: skip
    fake = FakeEasyPost({"POST /shipments": httpx.Response(201, json=answer)})
    fields = {"weight_kg": 2.0, "from_postal_code": "75201", "to_postal_code": "73301",
              "length_cm": 30.0, "width_cm": 20.0, "height_cm": 10.0, "hazmat": False}  # fmt: skip

    quotes = a_carrier(fake, carrier_accounts=["ca_ups1"]).rates(fields)

    assert quotes == [
        RateQuote("PCL", "GROUND", Decimal("9.15"), "USD", 3, date(2026, 3, 5)),
        RateQuote("PCL", "AIR", Decimal("31.40"), "USD", 1, None),
    ]
    [request] = fake.requests
    assert (
        request.headers["Authorization"] == "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    )
    assert body_of(request) == {"shipment": {
        "to_address": {"zip": "73301"}, "from_address": {"zip": "75201"},
        "parcel": {"weight": 70.5, "length": 11.8, "width": 7.9, "height": 3.9},
        "carrier_accounts": [{"id": "ca_ups1"}],
    }}  # fmt: skip


def test_dangerous_goods_are_not_rated_through_easypost() -> None:
    fake = FakeEasyPost({})
    fields = {"weight_kg": 1.0, "from_postal_code": "75201", "to_postal_code": "73301"}
    with pytest.raises(ShipmentError, match="hazmat: dangerous goods") as refused:
        a_carrier(fake).rates({**fields, "hazmat": True})
    assert refused.value.field == "hazmat" and fake.requests == []


# --- labels --------------------------------------------------------------------------------


def test_a_label_is_bought_at_the_service_s_rate_with_the_shipment_id_as_reference() -> None:
    created = {"id": "shp_1", "rates": [rate("Ground", "9.15"), rate("NextDayAir", "31.40")]}
    fake = FakeEasyPost({
        "POST /shipments": httpx.Response(201, json=created),
        "POST /shipments/shp_1/buy": httpx.Response(200, json=bought("shp_1", "1Z0001")),
        f"GET {FILES}/shp_1.zpl": httpx.Response(200, content=b"^XA^FDlabel^XZ"),
    })  # fmt: skip

    label = a_carrier(fake).label(shipment_fields(rma=None), "GROUND", "zpl")

    assert (label.tracking_number, label.format, label.content) == (
        "1Z0001", "zpl", b"^XA^FDlabel^XZ",
    )  # fmt: skip
    assert fake.sent() == [
        "GET /shipments/ful_1", "POST /shipments", "POST /shipments/shp_1/buy",
        f"GET {FILES}/shp_1.zpl",
    ]  # fmt: skip
    sent = body_of(fake.requests[1])["shipment"]
    assert sent["reference"] == "ful_1"
    assert sent["options"] == {"label_format": "ZPL"}
    assert sent["parcel"] == {"weight": 70.5}
    assert sent["to_address"] == {"name": "Ada Lovelace", "street1": "1 Main St",
                                  "city": "Austin", "state": "TX", "zip": "73301",
                                  "country": "US"}  # fmt: skip
    assert body_of(fake.requests[2]) == {"rate": {"id": "rate_Ground"}}
    # The label file is on another host: the API key does not travel there.
    assert "Authorization" not in fake.requests[3].headers


def test_a_label_bought_before_whose_answer_was_lost_is_not_bought_again() -> None:
    fake = FakeEasyPost({
        "GET /shipments/ful_1": httpx.Response(200, json=bought("shp_1", "1Z0001")),
        f"GET {FILES}/shp_1.zpl": httpx.Response(200, content=b"^XA^XZ"),
    })  # fmt: skip

    label = a_carrier(fake).label(shipment_fields(), "GROUND", "zpl")

    assert label.tracking_number == "1Z0001"
    assert not [sent for sent in fake.sent() if sent.startswith("POST")]


def test_the_other_format_of_a_bought_label_is_fetched_from_easypost_never_bought() -> None:
    converted = bought("shp_1", "1Z0001", label_pdf_url=f"{FILES}/shp_1.pdf")
    fake = FakeEasyPost({
        "GET /shipments/ful_1": httpx.Response(200, json=bought("shp_1", "1Z0001")),
        "GET /shipments/shp_1/label": httpx.Response(200, json=converted),
        f"GET {FILES}/shp_1.pdf": httpx.Response(200, content=b"%PDF-label"),
    })  # fmt: skip

    asked = shipment_fields(tracking_number="1Z0001", label_format="zpl")
    label = a_carrier(fake).label(asked, "GROUND", "pdf")

    assert (label.tracking_number, label.format, label.content) == (
        "1Z0001", "pdf", b"%PDF-label",
    )  # fmt: skip
    assert fake.requests[1].url.params["file_format"] == "PDF"
    assert not [sent for sent in fake.sent() if sent.startswith("POST")]


@pytest.mark.parametrize(
    "found",
    [None, bought("shp_9", "1Z9999")],
    ids=["no-such-shipment", "another-tracking-number"],
)
def test_a_label_easypost_cannot_find_again_is_kept_in_the_format_it_was_bought_in(
    found: dict[str, Any] | None,
) -> None:
    routes: dict[str, Any] = {} if found is None else {
        "GET /shipments/ful_1": httpx.Response(200, json=found)
    }  # fmt: skip
    fake = FakeEasyPost(routes)
    with pytest.raises(DeliveryError, match="kept in the format it was bought in"):
        asked = shipment_fields(tracking_number="1Z0001", label_format="zpl")
        a_carrier(fake).label(asked, "GROUND", "pdf")
    assert not [sent for sent in fake.sent() if sent.startswith("POST")]


def test_a_label_voided_when_its_shipment_was_packed_again_is_bought_anew_never_handed_out(
) -> None:  # fmt: skip
    created = {"id": "shp_2", "rates": [rate("Ground", "9.15")]}
    fake = FakeEasyPost({
        "GET /shipments/ful_1": httpx.Response(200, json=bought("shp_1", "1Z0001")),  # voided
        "POST /shipments": httpx.Response(201, json=created),
        "POST /shipments/shp_2/buy": httpx.Response(200, json=bought("shp_2", "1Z0002")),
        f"GET {FILES}/shp_2.zpl": httpx.Response(200, content=b"^XA^XZ"),
    })  # fmt: skip

    asked = shipment_fields(tracking_number="1Z0001", label_format="")  # its label was voided
    label = a_carrier(fake).label(asked, "GROUND", "zpl")

    assert label.tracking_number == "1Z0002"
    assert fake.sent()[0] == "GET /shipments/ful_1~1Z0001"  # a retry finds this one again
    assert body_of(fake.requests[1])["shipment"]["reference"] == "ful_1~1Z0001"


def test_the_other_format_of_a_label_bought_after_a_void_is_found_under_its_own_reference(
) -> None:  # fmt: skip
    # Packed again twice: 1Z0001 voided, 1Z0002 bought under ful_1~1Z0001 and voided, 1Z0003
    # bought under ful_1~1Z0002: each voided label's number leads to the next reference.
    converted = bought("shp_3", "1Z0003", label_pdf_url=f"{FILES}/shp_3.pdf")
    fake = FakeEasyPost({
        "GET /shipments/ful_1": httpx.Response(200, json=bought("shp_1", "1Z0001")),
        "GET /shipments/ful_1~1Z0001": httpx.Response(200, json=bought("shp_2", "1Z0002")),
        "GET /shipments/ful_1~1Z0002": httpx.Response(200, json=bought("shp_3", "1Z0003")),
        "GET /shipments/shp_3/label": httpx.Response(200, json=converted),
        f"GET {FILES}/shp_3.pdf": httpx.Response(200, content=b"%PDF-label-3"),
    })  # fmt: skip

    asked = shipment_fields(tracking_number="1Z0003", label_format="zpl")
    label = a_carrier(fake).label(asked, "GROUND", "pdf")

    assert (label.tracking_number, label.format, label.content) == (
        "1Z0003", "pdf", b"%PDF-label-3",
    )  # fmt: skip
    assert fake.sent() == [
        "GET /shipments/ful_1", "GET /shipments/ful_1~1Z0001", "GET /shipments/ful_1~1Z0002",
        "GET /shipments/shp_3/label?file_format=PDF", f"GET {FILES}/shp_3.pdf",
    ]  # fmt: skip


def test_a_packed_shipment_s_label_bought_after_a_one_parcel_label_is_found_in_the_other_format(
) -> None:  # fmt: skip
    # The first label was one parcel's, a shipment (1Z0000, voided); packed again into two
    # parcels, the new label is an order bought under ful_1~1Z0000.
    fake = FakeEasyPost({
        "GET /shipments/ful_1": httpx.Response(200, json=bought("shp_0", "1Z0000")),
        "GET /orders/ful_1~1Z0000": httpx.Response(200, json=_order("pdf")),
        f"GET {FILES}/1.pdf": httpx.Response(200, content=a_pdf()),
        f"GET {FILES}/2.pdf": httpx.Response(200, content=a_pdf()),
    })  # fmt: skip
    parcels = [{"weight_kg": 1.0, "tracking_number": "1Z0001"},
               {"weight_kg": 3.0, "tracking_number": "1Z0002"}]  # fmt: skip

    asked = shipment_fields(parcels=parcels, tracking_number="1Z0001", label_format="zpl")
    label = a_carrier(fake).label(asked, "GROUND", "pdf")

    assert label.parcel_tracking_numbers == ("1Z0001", "1Z0002")
    assert len(PdfReader(io.BytesIO(label.content)).pages) == 2
    assert fake.sent()[:3] == [
        "GET /orders/ful_1", "GET /shipments/ful_1", "GET /orders/ful_1~1Z0000",
    ]  # fmt: skip
    assert not [sent for sent in fake.sent() if sent.startswith("POST")]


def _order(formats: str) -> dict[str, Any]:
    shipments = []
    for n in (1, 2):
        if formats == "zpl":
            shipments.append(bought(f"shp_{n}", f"1Z000{n}"))
        else:
            shipments.append(bought(f"shp_{n}", f"1Z000{n}", label_pdf_url=f"{FILES}/{n}.pdf"))
    return {"id": "order_1", "shipments": shipments}


def test_a_packed_shipment_is_bought_as_one_order_with_a_label_per_parcel_in_order() -> None:
    created = {"id": "order_1", "rates": [rate("Ground", "18.30")], "shipments": []}
    fake = FakeEasyPost({
        "POST /orders": httpx.Response(201, json=created),
        "POST /orders/order_1/buy": httpx.Response(200, json=_order("zpl")),
        f"GET {FILES}/shp_1.zpl": httpx.Response(200, content=b"^XA1^XZ"),
        f"GET {FILES}/shp_2.zpl": httpx.Response(200, content=b"^XA2^XZ\n"),
    })  # fmt: skip
    parcels = [
        {"weight_kg": 1.0, "length_cm": 25.4, "width_cm": 25.4, "height_cm": 25.4},
        {"weight_kg": 3.0, "length_cm": 50.8, "width_cm": 25.4, "height_cm": 12.7},
    ]

    label = a_carrier(fake).label(shipment_fields(parcels=parcels), "GROUND", "zpl")

    assert label.parcel_tracking_numbers == ("1Z0001", "1Z0002")
    assert label.tracking_number == "1Z0001"
    assert label.content == b"^XA1^XZ\n^XA2^XZ\n"
    order = body_of(fake.requests[1])["order"]
    assert order["reference"] == "ful_1"
    assert [s["parcel"] for s in order["shipments"]] == [
        {"weight": 35.3, "length": 10.0, "width": 10.0, "height": 10.0},
        {"weight": 105.8, "length": 20.0, "width": 10.0, "height": 5.0},
    ]
    assert body_of(fake.requests[2]) == {"carrier": "UPS", "service": "Ground"}


def test_a_packed_shipment_s_pdf_labels_are_merged_into_one_document() -> None:
    fake = FakeEasyPost({
        "GET /orders/ful_1": httpx.Response(200, json=_order("pdf")),
        f"GET {FILES}/1.pdf": httpx.Response(200, content=a_pdf()),
        f"GET {FILES}/2.pdf": httpx.Response(200, content=a_pdf()),
    })  # fmt: skip
    parcels = [{"weight_kg": 1.0}, {"weight_kg": 3.0}]

    label = a_carrier(fake).label(shipment_fields(parcels=parcels), "GROUND", "pdf")

    assert len(PdfReader(io.BytesIO(label.content)).pages) == 2
    assert not [sent for sent in fake.sent() if sent.startswith("POST")]  # bought before


def test_a_service_the_map_does_not_name_is_refused_before_anything_is_bought() -> None:
    fake = FakeEasyPost({"POST /shipments": httpx.Response(201, json={"id": "shp_1"})})
    with pytest.raises(PermanentRefusal, match="carrier PCL has no service 'FREIGHT' at EasyPost"):
        a_carrier(fake).label(shipment_fields(), "FREIGHT", "zpl")
    assert not [sent for sent in fake.sent() if sent.endswith("/buy")]


def test_a_service_easypost_does_not_offer_is_refused_naming_what_it_offered() -> None:
    created = {
        "id": "shp_1",
        "rates": [rate("NextDayAir", "31.40")],
        "messages": [{"carrier": "UPS", "message": "Ground unavailable to 73301"}],
    }
    fake = FakeEasyPost({"POST /shipments": httpx.Response(201, json=created)})
    with pytest.raises(PermanentRefusal) as refused:
        a_carrier(fake).label(shipment_fields(), "GROUND", "zpl")
    assert str(refused.value) == (
        "EasyPost https://api.easypost.com has no UPS Ground rate for the label of ful_1 "
        "(Ordo's service GROUND); it offered NextDayAir (Ground unavailable to 73301)"
    )


def test_a_label_without_a_weight_is_refused_naming_the_field() -> None:
    with pytest.raises(ShipmentError) as refused:
        a_carrier(FakeEasyPost({})).label(shipment_fields(weight_kg=None), "GROUND", "zpl")
    assert refused.value.field == "weight_kg"


def test_a_refusal_names_the_host_the_label_the_status_and_easypost_s_message_not_the_key(
) -> None:  # fmt: skip
    error = {
        "error": {
            "code": "ADDRESS.VERIFY.FAILURE",
            "message": f"Bad street ({KEY})",
            "errors": [{"field": "street1", "message": "is invalid"}],
        }
    }
    fake = FakeEasyPost({"POST /shipments": httpx.Response(422, json=error)})
    with pytest.raises(PermanentRefusal) as refused:
        a_carrier(fake, webhook_secret=SECRET).label(shipment_fields(), "GROUND", "zpl")
    assert str(refused.value) == (
        "EasyPost https://api.easypost.com refused the label of ful_1: 422 "
        "ADDRESS.VERIFY.FAILURE: Bad street (***) (street1: is invalid)"
    )


@pytest.mark.parametrize("status", [500, 502, 429])
def test_a_label_easypost_fails_to_sell_on_its_side_may_be_asked_for_again(status: int) -> None:
    fake = FakeEasyPost({"POST /shipments": httpx.Response(status, text="busy")})
    with pytest.raises(DeliveryError) as refused:
        a_carrier(fake).label(shipment_fields(), "GROUND", "zpl")
    assert not isinstance(refused.value, PermanentRefusal)


def test_an_unreachable_easypost_is_a_delivery_error_naming_what_was_asked() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(DeliveryError, match=(
        r"^EasyPost https://api\.easypost\.com unreachable for tracking number 1Z0001: "
        "ConnectError: connection refused$"
    )):  # fmt: skip
        a_carrier(FakeEasyPost({"POST /trackers": down})).track("1Z0001")


# --- tracking ------------------------------------------------------------------------------

TRACKER = {
    "object": "Tracker", "tracking_code": "1Z0001", "carrier": "UPS", "status": "delivered",
    "est_delivery_date": "2026-03-05T00:00:00Z",
    "tracking_details": [
        {"datetime": "2026-03-03T08:00:00-06:00", "status": "in_transit", "carrier_code": "I",
         "message": "Departed", "tracking_location": {"city": "Dallas", "state": "TX",
                                                      "country": "US", "zip": None}},
        {"datetime": "2026-03-02T18:00:00Z", "status": "pre_transit", "carrier_code": "M",
         "message": "Label created"},
        {"datetime": "2026-03-04T09:00:00Z", "status": "failure", "carrier_code": "",
         "message": "Damaged"},
    ],
}  # fmt: skip


def test_tracking_asks_for_the_tracker_and_reads_its_scans_in_utc_with_milestones() -> None:
    fake = FakeEasyPost({"POST /trackers": httpx.Response(200, json=TRACKER)})

    updates = a_carrier(fake).track("1Z0001")

    assert body_of(fake.requests[0]) == {"tracker": {"tracking_code": "1Z0001", "carrier": "UPS"}}
    assert [(u.at, u.code, u.milestone, u.location, u.description) for u in updates] == [
        (datetime(2026, 3, 2, 18, tzinfo=UTC), "M", "", "", "Label created"),
        (datetime(2026, 3, 3, 14, tzinfo=UTC), "I", "in_transit", "Dallas, TX, US", "Departed"),
        (datetime(2026, 3, 4, 9, tzinfo=UTC), "failure", "exception", "", "Damaged"),
    ]
    assert [u.estimated_delivery for u in updates] == [None, None, date(2026, 3, 5)]


def test_a_tracker_ordo_cannot_read_is_a_delivery_error_naming_the_field() -> None:
    broken = {**TRACKER, "tracking_details": [{"status": "in_transit"}]}
    fake = FakeEasyPost({"POST /trackers": httpx.Response(200, json=broken)})
    with pytest.raises(DeliveryError, match=r"tracking_details\.0\.datetime: must be an ISO"):
        a_carrier(fake).track("1Z0001")


# --- voids ---------------------------------------------------------------------------------


def test_a_void_asks_for_the_refund_of_every_parcel_s_label_and_is_done_once_submitted() -> None:
    refunds = [{"tracking_code": "1Z0001", "status": "submitted"},
               {"tracking_code": "1Z0002", "status": "refunded"}]  # fmt: skip
    fake = FakeEasyPost({"POST /refunds": httpx.Response(201, json=refunds)})

    assert a_carrier(fake).void(["1Z0001", "1Z0002"]) is True
    assert body_of(fake.requests[0]) == {
        "refund": {"carrier": "UPS", "tracking_codes": ["1Z0001", "1Z0002"]}
    }


def test_a_refund_the_carrier_rejects_is_a_permanent_refusal_naming_the_label() -> None:
    refunds = [{"tracking_code": "1Z0001", "status": "rejected"}]
    fake = FakeEasyPost({"POST /refunds": httpx.Response(201, json=refunds)})
    with pytest.raises(PermanentRefusal, match="void of label 1Z0001: its refund is 'rejected'"):
        a_carrier(fake).void(["1Z0001"])


def refused_refund() -> httpx.Response:
    """EasyPost refusing a refund outright: what it says does not decide, the label's
    refund_status does."""
    error = {"error": {"code": "REFUND.NOT_ELIGIBLE", "message": "Label already scanned"}}
    return httpx.Response(422, json=error)


def trackers(number: str, shipment_id: str | None) -> httpx.Response:
    """`GET /trackers` by tracking code: the tracker EasyPost made when the label was bought
    (naming its shipment), or one made for a label bought elsewhere (`shipment_id` None)."""
    tracker = {"id": "trk_1", "object": "Tracker", "tracking_code": number, "carrier": "UPS",
               "shipment_id": shipment_id}  # fmt: skip
    return httpx.Response(200, json={"trackers": [tracker], "has_more": False})


def refund_of(shipment_id: str, number: str, status: str | None) -> httpx.Response:
    return httpx.Response(200, json={**bought(shipment_id, number), "refund_status": status})


@pytest.mark.parametrize("status", ["submitted", "refunded"])
def test_a_void_refused_for_a_label_refunded_already_is_done_not_a_refusal(status: str) -> None:
    fake = FakeEasyPost({
        "POST /refunds": refused_refund(),
        "GET /trackers": trackers("1Z0001", "shp_1"),
        "GET /shipments/shp_1": refund_of("shp_1", "1Z0001", status),
    })  # fmt: skip

    assert a_carrier(fake).void(["1Z0001"]) is True
    assert dict(fake.requests[1].url.params) == {"tracking_code": "1Z0001", "carrier": "UPS"}


@pytest.mark.parametrize(
    ("routes", "found"),
    [
        ({"GET /trackers": trackers("1Z0001", "shp_1"),
          "GET /shipments/shp_1": refund_of("shp_1", "1Z0001", "rejected")}, "rejected"),
        ({"GET /trackers": trackers("1Z0001", "shp_1"),
          "GET /shipments/shp_1": refund_of("shp_1", "1Z0001", None)}, "none"),
        ({"GET /trackers": trackers("1Z0001", None)}, "none"),
        ({}, "none"),
    ],
    ids=["scanned-parcel-rejected", "never-refunded", "bought-elsewhere", "no-tracker"],
)  # fmt: skip
def test_a_void_easypost_refuses_for_a_label_not_refunded_is_permanent_in_easypost_s_words(
    routes: dict[str, httpx.Response], found: str
) -> None:
    fake = FakeEasyPost({"POST /refunds": refused_refund(), **routes})
    with pytest.raises(PermanentRefusal) as refused:
        a_carrier(fake).void(["1Z0001"])
    assert str(refused.value) == (
        "EasyPost https://api.easypost.com refused the void of label 1Z0001: 422 "
        f"REFUND.NOT_ELIGIBLE: Label already scanned (refund_status at EasyPost: 1Z0001 {found})"
    )


def test_a_void_refused_with_only_some_of_its_labels_refunded_already_names_each_one() -> None:
    def tracker_of(request: httpx.Request) -> httpx.Response:
        number = request.url.params["tracking_code"]
        return trackers(number, {"1Z0001": "shp_1", "1Z0002": "shp_2"}[number])

    fake = FakeEasyPost({
        "POST /refunds": refused_refund(),
        "GET /trackers": tracker_of,
        "GET /shipments/shp_1": refund_of("shp_1", "1Z0001", "refunded"),
        "GET /shipments/shp_2": refund_of("shp_2", "1Z0002", "rejected"),
    })  # fmt: skip
    with pytest.raises(PermanentRefusal, match=r"\(refund_status at EasyPost: 1Z0001 refunded, "
                       r"1Z0002 rejected\)$"):  # fmt: skip
        a_carrier(fake).void(["1Z0001", "1Z0002"])


def test_a_refused_void_whose_refund_status_easypost_will_not_give_stays_refused() -> None:
    error = {"error": {"code": "PARAMETER.INVALID", "message": "Invalid carrier"}}
    fake = FakeEasyPost({"POST /refunds": refused_refund(),
                         "GET /trackers": httpx.Response(422, json=error)})  # fmt: skip
    with pytest.raises(PermanentRefusal) as refused:
        a_carrier(fake).void(["1Z0001"])
    assert str(refused.value) == (
        "EasyPost https://api.easypost.com refused the void of label 1Z0001: 422 "
        "REFUND.NOT_ELIGIBLE: Label already scanned; and its refund status could not be read: "
        "EasyPost https://api.easypost.com refused the refund status of label 1Z0001: 422 "
        "PARAMETER.INVALID: Invalid carrier"
    )


def test_a_refused_void_whose_refund_status_cannot_be_read_now_is_tried_again_later() -> None:
    fake = FakeEasyPost({"POST /refunds": refused_refund(),
                         "GET /trackers": httpx.Response(503, text="busy")})  # fmt: skip
    with pytest.raises(DeliveryError, match="the refund status of label 1Z0001: 503") as refused:
        a_carrier(fake).void(["1Z0001"])
    assert not isinstance(refused.value, PermanentRefusal)


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_void_easypost_could_take_later_is_retried_not_given_up(status: int) -> None:
    fake = FakeEasyPost({"POST /refunds": httpx.Response(status, text="busy")})
    with pytest.raises(DeliveryError) as refused:
        a_carrier(fake).void(["1Z0001"])
    assert not isinstance(refused.value, PermanentRefusal)


# --- the tracking webhook ------------------------------------------------------------------


def event(description: str = "tracker.updated", result: Any = None) -> bytes:
    return json.dumps({"object": "Event", "id": "evt_1", "description": description,
                       "result": TRACKER if result is None else result}).encode()  # fmt: skip


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    key = unicodedata.normalize("NFKD", secret).encode()
    return {
        "X-Hmac-Signature": "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    }


def test_a_signed_tracker_event_gives_the_tracker_s_scans() -> None:
    body = event()
    updates = a_carrier(FakeEasyPost({}), webhook_secret=SECRET).tracking_updates(
        signed(body), body
    )
    assert [u.tracking_number for u in updates] == ["1Z0001"] * 3
    assert updates[-1].milestone == "exception"


def test_the_secret_is_normalised_as_easypost_s_client_libraries_do() -> None:
    secret = "ﬁnd-me-in-the-webhook-settings"  # the "fi" ligature: NFKD makes it "fi"
    body = event()
    carrier = a_carrier(FakeEasyPost({}), webhook_secret=secret)
    assert carrier.tracking_updates(signed(body, secret), body)


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "not signed"),
        ({"X-Hmac-Signature": "hmac-sha256-hex=" + "0" * 64}, "does not match"),
        ({"X-Hmac-Signature": "hmac-sha256-hex=ünïcode"}, "does not match"),
    ],
    ids=["missing", "wrong", "not-hex"],
)
def test_a_delivery_without_easypost_s_signature_is_refused(
    headers: dict[str, str], why: str
) -> None:
    with pytest.raises(WebhookRefused, match=why):
        a_carrier(FakeEasyPost({}), webhook_secret=SECRET).tracking_updates(headers, event())


def test_a_body_changed_after_signing_is_refused() -> None:
    headers = signed(event())
    with pytest.raises(WebhookRefused, match="does not match"):
        carrier = a_carrier(FakeEasyPost({}), webhook_secret=SECRET)
        carrier.tracking_updates(headers, event("tracker.created"))


def test_without_a_webhook_secret_every_delivery_is_refused() -> None:
    body = event()
    with pytest.raises(WebhookRefused, match="no webhook secret is set for carrier PCL"):
        a_carrier(FakeEasyPost({})).tracking_updates(signed(body), body)


@pytest.mark.parametrize(
    "body",
    [event("batch.updated", {"object": "Batch"}), event(result={**TRACKER, "carrier": "FedEx"})],
    ids=["not-a-tracker", "another-carrier-s-tracker"],
)
def test_an_event_about_nothing_this_carrier_tracks_gives_no_scans(body: bytes) -> None:
    carrier = a_carrier(FakeEasyPost({}), webhook_secret=SECRET)
    assert carrier.tracking_updates(signed(body), body) == []


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (b"{not json", ()),
        (b"[]", ()),
        (json.dumps({"result": TRACKER}).encode(), ("description",)),
        (event(result="trk_1"), ("result",)),
        (event(result={**TRACKER, "tracking_code": None}), ("result", "tracking_code")),
        (
            event(result={**TRACKER, "tracking_details": [{"datetime": "yesterday"}]}),
            ("result", "tracking_details", 0, "datetime"),
        ),
    ],
    ids=["bad-json", "not-an-object", "no-description", "no-tracker", "no-number", "bad-time"],
)
def test_a_signed_body_ordo_cannot_read_names_the_field(
    body: bytes, loc: tuple[str | int, ...]
) -> None:
    carrier = a_carrier(FakeEasyPost({}), webhook_secret=SECRET)
    with pytest.raises(WebhookPayloadError) as refused:
        carrier.tracking_updates(signed(body), body)
    assert refused.value.loc == loc
