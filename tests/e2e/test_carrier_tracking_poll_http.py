"""The worker's tracking poll over HTTP: a shipment shipped with a carrier served by EasyPost
(the connector itself, its API a fake behind httpx's MockTransport) and whose webhook never
came hears of its delivery once it has been silent for ORDO_CARRIER_POLL_HOURS: the worker
asks EasyPost's trackers and the delivered scan delivers the shipment and its order, shown
on the shipment as the carrier's; a shipment heard of recently is not asked about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from connectors.carriers.easypost import EasyPostCarrier
from engine.service_layer.carrier_polls import CarrierPoller
from ordo.bootstrap import build_workers
from tests.e2e.conftest import Api
from tests.e2e.test_labels_http import make, shipment_of

API = "https://api.easypost.com/v2"


def with_easypost(api: Api, code: str, trackers: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Carrier `code` on EasyPost (as ORDO_CARRIER_APIS would make it), whose trackers API
    lists `trackers` by tracking code; returns the requests EasyPost was sent."""
    sent: list[str] = []

    def easypost(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {str(request.url).removeprefix(API)}")
        if request.method == "GET" and request.url.path == "/v2/trackers":
            found = trackers.get(request.url.params["tracking_code"], [])
            return httpx.Response(200, json={"trackers": found, "has_more": False})
        return httpx.Response(404, json={"error": {"code": "NOT_FOUND", "message": "none"}})

    connector = EasyPostCarrier(
        {"api_key": "EZAK-test", "carrier": "UPS", "services": {"GROUND": "Ground"}, "code": code},
        client=httpx.Client(transport=httpx.MockTransport(easypost)),
    )
    before = api.container.carriers
    api.container.carriers = lambda asked: connector if asked == code else before(asked)
    return sent


def shipped(api: Api, channel_order_id: str) -> tuple[dict[str, Any], str]:
    shipment = shipment_of(api, channel_order_id)
    labelled = make(api, shipment)
    assert labelled.status_code == 200, labelled.text
    moved = api.post(f"/v1/shipments/{shipment['id']}/status", role="warehouse",
                     json={"status": "shipped"})  # fmt: skip
    assert moved.status_code == 200, moved.text
    return shipment, labelled.json()["tracking_number"]


def the_poller(api: Api) -> CarrierPoller:
    [worker] = build_workers(api.container, name="w1")
    [poller] = [ticker for ticker in worker.tickers if isinstance(ticker, CarrierPoller)]
    return poller


def test_a_shipment_whose_webhook_never_came_is_delivered_by_the_poll(api: Api) -> None:
    shipment, number = shipped(api, "W-POLL")
    delivered_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    scan = {"datetime": delivered_at.isoformat(), "status": "delivered", "carrier_code": "D",
            "message": "Left at front door"}  # fmt: skip
    tracker = {"object": "Tracker", "tracking_code": number, "carrier": "UPS",
               "tracking_details": [scan]}  # fmt: skip
    sent = with_easypost(api, shipment["carrier"], {number: [tracker]})
    poller = the_poller(api)

    assert poller.tick(datetime.now(UTC)) == 0  # just shipped: not silent yet
    assert sent == []
    assert poller.tick(datetime.now(UTC) + timedelta(hours=7)) == 1

    assert sent == [f"GET /trackers?tracking_code={number}&carrier=UPS"]
    seen = api.get(f"/v1/shipments/{shipment['id']}").json()
    assert seen["status"] == "delivered"
    assert api.get(f"/v1/orders/{shipment['order_id']}").json()["status"] == "delivered"
    entries = api.get(f"/v1/audit?entity=shipment&entity_id={shipment['id']}").json()
    assert [e["actor"] for e in entries if e["action"] == "shipment.tracking"] == [
        f"carrier:{shipment['carrier']}"
    ]
