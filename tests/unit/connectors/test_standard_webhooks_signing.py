"""What the outbound connectors (WMS, ERP/CRM, webhook) send is signed as Standard Webhooks
signs, checked by its reference library (`standardwebhooks.Webhook.verify`) as a receiver
would: every connector's request verifies, a tampered body, id or timestamp does not, nor a
request 10 minutes old. The message id stays the same when Ordo retries a delivery and the
timestamp is the attempt's own; the signature matches the specification's published example,
and the older `X-Ordo-Signature` is still sent as it was."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from connectors.base import signed_headers, standard_signature
from connectors.erp.http_sync import HttpSync
from connectors.notifications.webhook import WebhookSink
from connectors.warehouse.http_wms import HttpWarehouse
from engine.adapters.bus import Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.service_layer.erp_sync import ErpSync
from engine.service_layer.notifications import WebhookNotifier
from engine.service_layer.warehouse import fulfilment_order_facts
from tests.support.builders import a_shipment, an_alert, an_order

SECRET = "a-shared-secret-of-good-length"
NOW = 1_764_000_000.75  # a fixed clock, in Unix seconds, for the exact checks
HOOK = "https://hooks.example.com/in"
Clock = Callable[[], float]


class Receiver:
    """A fake receiver: keeps each request and answers as a WMS, an ERP or a webhook would."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/fulfilment-orders"):
            return httpx.Response(201, json={"reference": "WMS-1"})
        return httpx.Response(204)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


def a_wms(receiver: Receiver, clock: Clock) -> HttpWarehouse:
    config = {"base_url": "https://wms.example.com/ordo", "secret": SECRET, "locations": ["*"]}
    return HttpWarehouse(config, client=receiver.client(), clock=clock)


def an_erp(receiver: Receiver, clock: Clock) -> HttpSync:
    config = {"url": "https://erp.example.com/ordo", "secret": SECRET}
    return HttpSync(config, client=receiver.client(), clock=clock)


def a_webhook(receiver: Receiver, clock: Clock, url: str = HOOK) -> WebhookSink:
    return WebhookSink({"url": url, "secret": SECRET}, client=receiver.client(), clock=clock)


def release(clock: Clock, shipment_id: str = "ful_1") -> httpx.Request:
    receiver = Receiver()
    shipment = a_shipment(id=shipment_id, tracking_number="", label_format="")
    a_wms(receiver, clock).release(fulfilment_order_facts(shipment, an_order(id="ord_1")))
    [request] = receiver.requests
    return request


def sync(clock: Clock) -> httpx.Request:
    receiver = Receiver()
    data = {
        "key": {"id": "ord_1"},
        "state": {"id": "ord_1", "status": "released"},
        "version": 1764000000000001,
        "updated_at": "2026-11-24T16:00:00.000001+00:00",
        "event_id": "evt-1",
    }
    an_erp(receiver, clock).sync("order", data)
    [request] = receiver.requests
    return request


def post(clock: Clock) -> httpx.Request:
    receiver = Receiver()
    event = {"name": "shipment.late", "id": "evt-1", "payload": {"shipment_id": "ful_1"}}
    a_webhook(receiver, clock).notify("event", [], {"event": event})
    [request] = receiver.requests
    return request


DELIVERIES: dict[str, Callable[[Clock], httpx.Request]] = {
    "wms": release,
    "erp": sync,
    "webhook": post,
}
each_connector = pytest.mark.parametrize("deliver", DELIVERIES.values(), ids=DELIVERIES.keys())


def receiver_check(body: bytes, headers: dict[str, str]) -> Any:
    # The library takes a `whsec_` string as base64; Ordo keys with the secret's own bytes.
    return Webhook(SECRET.encode()).verify(body, headers)


@each_connector
def test_every_connectors_request_verifies_with_the_standard_webhooks_library(
    deliver: Callable[[Clock], httpx.Request],
) -> None:
    request = deliver(time.time)
    assert receiver_check(request.content, dict(request.headers)) == json.loads(request.content)


@each_connector
def test_a_tampered_body_does_not_verify(deliver: Callable[[Clock], httpx.Request]) -> None:
    request = deliver(time.time)
    tampered = request.content[:-1] + b',"refund":"9999.00"}'
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        receiver_check(tampered, dict(request.headers))


@each_connector
def test_a_request_signed_10_minutes_ago_does_not_verify(
    deliver: Callable[[Clock], httpx.Request],
) -> None:
    request = deliver(lambda: time.time() - 600)
    with pytest.raises(WebhookVerificationError, match="too old"):
        receiver_check(request.content, dict(request.headers))


@each_connector
def test_a_replay_with_a_fresh_timestamp_or_another_id_written_in_does_not_verify(
    deliver: Callable[[Clock], httpx.Request],
) -> None:
    request = deliver(lambda: time.time() - 600)
    fresh = {**request.headers, "webhook-timestamp": str(int(time.time()))}
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        receiver_check(request.content, fresh)
    renamed = {**fresh, "webhook-id": "msg_another"}
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        receiver_check(request.content, renamed)


@each_connector
def test_the_headers_carry_the_clocks_second_and_the_hmac_of_id_timestamp_and_body(
    deliver: Callable[[Clock], httpx.Request],
) -> None:
    request = deliver(lambda: NOW)
    headers = request.headers
    assert re.fullmatch(r"msg_[0-9a-f]{32}", headers["webhook-id"])
    assert headers["webhook-timestamp"] == "1764000000"
    signed = f"{headers['webhook-id']}.1764000000.".encode() + request.content
    digest = hmac.new(SECRET.encode(), signed, hashlib.sha256).digest()
    assert headers["webhook-signature"] == "v1," + base64.b64encode(digest).decode()


@each_connector
def test_the_older_x_ordo_signature_is_still_sent_unchanged(
    deliver: Callable[[Clock], httpx.Request],
) -> None:
    request = deliver(lambda: NOW)
    expected = hmac.new(SECRET.encode(), request.content, hashlib.sha256).hexdigest()
    assert request.headers["X-Ordo-Signature"] == f"sha256={expected}"


def test_the_signature_matches_the_specifications_published_example() -> None:
    # The reference libraries' test vector: its `whsec_` secret is the base64 of the key.
    key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    signed = standard_signature(
        key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    )
    assert signed == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.parametrize("bad", ["", "msg.1", "msg 1", "msg_é"])
def test_a_message_id_that_would_blur_the_signed_content_is_refused(bad: str) -> None:
    with pytest.raises(ValueError) as refused:
        signed_headers(SECRET, bad, b"{}", NOW)
    assert str(refused.value) == (
        f"a message id must be printable ASCII without '.' or spaces, got {bad!r}"
    )


def test_a_shipment_posted_again_keeps_its_id_under_a_new_timestamp() -> None:
    first, again = release(lambda: NOW), release(lambda: NOW + 90)
    assert first.headers["webhook-id"] == again.headers["webhook-id"]
    assert (first.headers["webhook-timestamp"], again.headers["webhook-timestamp"]) == (
        "1764000000",
        "1764000090",
    )
    assert release(lambda: NOW, "ful_2").headers["webhook-id"] != first.headers["webhook-id"]


def test_an_erp_request_retried_with_its_event_keeps_its_id_though_its_version_grew() -> None:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.orders.add(an_order(id="O-1"))
        uow.commit()
    moments = iter(datetime(2026, 11, 24, 16, tzinfo=UTC) + timedelta(seconds=s) for s in range(9))
    receiver = Receiver()
    observer = ErpSync(an_erp(receiver, lambda: NOW), ("orders",), clock=lambda: next(moments))
    released = Message("evt-7", "order.released", {"order_id": "O-1"}, "O-1")

    observer(released, uow)
    observer(released, uow)  # the worker's retry of the same event
    observer(Message("evt-8", "order.released", {"order_id": "O-1"}, "O-1"), uow)

    first, retried, later = receiver.requests
    assert json.loads(first.content)["version"] < json.loads(retried.content)["version"]
    assert first.headers["webhook-id"] == retried.headers["webhook-id"]
    assert later.headers["webhook-id"] != first.headers["webhook-id"]


def test_an_erp_request_without_an_event_is_named_by_its_entity_and_version() -> None:
    receiver = Receiver()
    erp = an_erp(receiver, lambda: NOW)
    stamp = {"updated_at": "2026-11-24T16:00:00+00:00"}
    erp.erase("customer", {"key": {"id": "C-1"}, "version": 1, **stamp})
    erp.erase("customer", {"key": {"id": "C-1"}, "version": 1, **stamp})
    erp.erase("customer", {"key": {"id": "C-1"}, "version": 2, **stamp})

    ids = [request.headers["webhook-id"] for request in receiver.requests]
    assert ids[0] == ids[1] != ids[2]


def test_a_webhook_post_retried_keeps_its_id_even_when_the_alert_was_seen_again() -> None:
    receiver = Receiver()
    hook = WebhookNotifier(a_webhook(receiver, lambda: NOW), ("alert.raised", "shipment.late"))
    uow = InMemoryUnitOfWork()
    with uow:
        uow.alerts.add(an_alert(id="A-1", occurrences=1))
        uow.commit()
    raised = Message("evt-1", "alert.raised", {"alert_id": "A-1", "severity": "high"}, "A-1")
    late = Message("evt-2", "shipment.late", {"shipment_id": "ful_1"}, "O-1")

    hook(raised, uow)
    with uow:
        alert = uow.alerts.get("A-1")
        assert alert is not None
        alert.seen_again(datetime(2026, 3, 2, 15, tzinfo=UTC))
        uow.commit()
    hook(raised, uow)  # the retry posts the alert as it is now, under the same id
    hook(late, uow)
    hook(late, uow)

    first, retried, event, event_again = receiver.requests
    assert first.content != retried.content
    assert first.headers["webhook-id"] == retried.headers["webhook-id"]
    assert event.headers["webhook-id"] == event_again.headers["webhook-id"]
    assert event.headers["webhook-id"] != first.headers["webhook-id"]


def test_the_same_event_posted_to_another_webhook_has_another_id() -> None:
    receiver = Receiver()
    event = {"event": {"name": "shipment.late", "id": "evt-2", "payload": {}}}
    a_webhook(receiver, lambda: NOW).notify("event", [], event)
    a_webhook(receiver, lambda: NOW, "https://other.example.com/in").notify("event", [], event)

    here, there = receiver.requests
    assert here.headers["webhook-id"] != there.headers["webhook-id"]


def test_a_webhook_message_with_no_alert_or_event_is_named_by_its_body() -> None:
    receiver = Receiver()
    sink = a_webhook(receiver, lambda: NOW)
    sink.post({"kind": "note", "text": "stock count at DAL-01 tonight"})
    sink.post({"kind": "note", "text": "stock count at DAL-01 tonight"})
    sink.post({"kind": "note", "text": "stock count at RNO-02 tonight"})

    ids = [request.headers["webhook-id"] for request in receiver.requests]
    assert ids[0] == ids[1] != ids[2]
