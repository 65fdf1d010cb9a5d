"""Which events tell customers what, and the connector bases' configuration (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.base import ConnectorRegistry, Notification, OutboundMessage
from connectors.notifications.email import SmtpEmail
from connectors.notifications.webhook import WebhookSink
from engine.adapters.bus import Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.fulfilment import ReturnLine
from engine.service_layer.notifications import CustomerNotifier, customer_message_kind
from tests.support.builders import a_plain_order, a_return, a_shipment


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list[str], Mapping[str, Any]]] = []

    def notify(self, kind: str, to: Sequence[str], context: Mapping[str, Any]) -> None:
        self.sent.append((kind, list(to), context))


@pytest.mark.parametrize(
    ("name", "payload", "kind"),
    [
        ("order.status_changed", {"to_status": "validated"}, "order_confirmed"),
        ("order.status_changed", {"to_status": "sourced"}, None),
        ("shipment.status_changed", {"to_status": "shipped"}, "order_shipped"),
        ("shipment.status_changed", {"to_status": "delivered"}, "order_delivered"),
        ("shipment.status_changed", {"to_status": "packed"}, None),
        ("shipment.late", {}, "order_delayed"),
        ("return.status_changed", {"to_status": "received"}, "return_received"),
        ("return.status_changed", {"to_status": "refunded"}, "refund_issued"),
        ("stock.adjusted", {}, None),
    ],
)
def test_each_lifecycle_event_maps_to_its_customer_message(
    name: str, payload: dict[str, Any], kind: str | None
) -> None:
    assert customer_message_kind(name, payload) == kind


def seeded() -> InMemoryUnitOfWork:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.orders.add(a_plain_order(1, email="ada@example.com", channel_order_id="W-1"))
        uow.orders.add(a_plain_order(2, email=""))
        uow.shipments.add(a_shipment(id="F-1", order_id="O-1", tracking_number="TRK-9"))
        uow.returns.add(a_return(id="RT-1", order_id="O-1", rma="RMA-77",
                                 refund_amount=Decimal("12.50"),
                                 lines=[ReturnLine("L1", "SKU-1", 1)]))
        uow.commit()
    return uow


def notify(uow: InMemoryUnitOfWork, name: str, payload: dict[str, Any]) -> Recorder:
    recorder = Recorder()
    with uow:
        CustomerNotifier(recorder)(Message("1", name, payload, ""), uow)
    return recorder


def test_a_shipped_message_carries_the_order_number_and_the_tracking_number() -> None:
    recorder = notify(seeded(), "shipment.status_changed",
                      {"shipment_id": "F-1", "order_id": "O-1", "to_status": "shipped"})
    [(kind, to, context)] = recorder.sent
    assert (kind, to) == ("order_shipped", ["ada@example.com"])
    assert context["order"]["number"] == "W-1"
    assert context["shipment"]["tracking_number"] == "TRK-9"


def test_a_refund_message_carries_the_amount_and_the_rma() -> None:
    recorder = notify(seeded(), "return.status_changed",
                      {"return_id": "RT-1", "order_id": "O-1", "to_status": "refunded"})
    [(kind, _, context)] = recorder.sent
    assert kind == "refund_issued"
    assert (context["ret"]["refund_amount"], context["ret"]["rma"]) == ("12.50", "RMA-77")


def test_no_message_goes_out_for_an_order_without_an_email_address() -> None:
    payload = {"order_id": "O-2", "to_status": "validated"}
    recorder = notify(seeded(), "order.status_changed", payload)
    assert recorder.sent == []


def test_connector_settings_are_validated_and_unknown_keys_refused() -> None:
    with pytest.raises(ValidationError):
        SmtpEmail({"host": "mail", "prot": 25})
    with pytest.raises(ValidationError):
        WebhookSink({})
    assert SmtpEmail({"host": "mail"}).config.port == 25


def test_the_registry_builds_connectors_by_kind_and_slug_and_names_the_known_ones() -> None:
    registry = ConnectorRegistry()
    registry.register(SmtpEmail)
    registry.register(WebhookSink)
    built = registry.build("notification", "webhook", {"url": "http://hooks.test/x"})
    assert isinstance(built, WebhookSink) and isinstance(built, Notification)
    assert registry.kinds() == {"notification": ["smtp", "webhook"]}
    with pytest.raises(LookupError, match="known: smtp, webhook"):
        registry.build("notification", "pager")


def test_a_connector_without_a_slug_cannot_be_registered() -> None:
    class Nameless(Notification):
        def send(self, message: OutboundMessage) -> None:
            pass

    with pytest.raises(ValueError, match="needs a slug"):
        ConnectorRegistry().register(Nameless)


def test_the_webhook_notifier_posts_only_the_chosen_events_and_alerts_severe_enough() -> None:
    from engine.service_layer.notifications import WebhookNotifier

    hook = WebhookNotifier(Recorder(), events=("alert.raised", "order.held_too_long"),
                           min_severity="high")  # fmt: skip

    def raised(severity: str) -> Message:
        return Message("1", "alert.raised", {"alert_id": "a", "severity": severity}, "a")

    assert [hook.wants(raised(s)) for s in ("low", "medium", "high", "critical")] == [
        False, False, True, True,
    ]  # fmt: skip
    assert hook.wants(raised("warning"))  # unknown to the rule language: posted, not dropped
    assert hook.wants(Message("2", "order.held_too_long", {"order_id": "O-1"}, "O-1"))
    assert not hook.wants(Message("3", "shipment.late", {"shipment_id": "F-1"}, "O-1"))


def test_an_event_is_posted_with_its_name_id_and_payload() -> None:
    from engine.service_layer.notifications import WebhookNotifier

    sink = Recorder()
    hook = WebhookNotifier(sink, events=("order.held_too_long",))
    payload = {"order_id": "O-1", "code": "fraud", "hours_held": 30.0}
    hook(Message("9", "order.held_too_long", payload, "O-1"), InMemoryUnitOfWork())
    assert sink.sent == [("event", [], {"event": {
        "name": "order.held_too_long", "id": "9", "payload": payload,
    }})]  # fmt: skip


def test_a_minimum_severity_the_rule_language_does_not_know_is_refused() -> None:
    from engine.service_layer.notifications import WebhookNotifier

    with pytest.raises(ValueError, match="min_severity must be one of low, medium"):
        WebhookNotifier(Recorder(), min_severity="urgent")
