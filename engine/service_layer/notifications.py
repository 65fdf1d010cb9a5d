"""Which events tell whom what: customer messages and alert notifications.

Three worker observers. `CustomerNotifier` turns lifecycle events into the customer's messages
(order confirmed, shipped with tracking, delivered, delayed, a carrier's estimate past the
promised day, a delivery attempt that failed, a problem on the way, ready for pickup in store,
a pickup's ready day past its promise as the transfer bringing it is delayed,
return received, refund issued) with the facts the templates need, down to the parcel a
carrier's scan was of when the shipment was packed into several; `AlertNotifier` sends each
newly raised alert to its recipients and to every alert sink; `WebhookNotifier` posts the
events an operator chose (`ORDO_WEBHOOK_EVENTS`) to the signed webhook, in a step of its own
so a receiver that is down is retried (and in the end dead-lettered) without sending the
alert's email again. How a message is rendered and carried is the connectors' business: this
module hands a `Notifier` a message kind, the recipients and a plain-data context.

A message is sent before the worker commits its processed-event record, so a crash in between
sends it again on redelivery: notifications are at least once, like the bus under them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from engine.adapters.bus.base import Message
from engine.domain.catalog import Location
from engine.domain.fulfilment import FulfillmentOrder, Return
from engine.domain.operations import Alert
from engine.domain.orders import Order
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


class Notifier(Protocol):
    def notify(self, kind: str, to: Sequence[str], context: Mapping[str, Any]) -> None: ...


# What the customer hears of a carrier's `shipment.delivery_exception`, by its milestone.
_DELIVERY_EXCEPTIONS = {"attempted": "delivery_attempted", "exception": "delivery_problem"}


def customer_message_kind(name: str, payload: Mapping[str, Any]) -> str | None:
    """The customer message an event calls for, if any."""
    to_status = payload.get("to_status")
    if name == "order.status_changed" and to_status == "validated":
        return "order_confirmed"
    if name == "shipment.status_changed" and to_status == "shipped":
        return "order_shipped"
    if name == "shipment.status_changed" and to_status == "delivered":
        return "order_delivered"
    if name == "shipment.late":
        return "order_delayed"
    if name == "shipment.delivery_exception":
        return _DELIVERY_EXCEPTIONS.get(str(payload.get("milestone", "")))
    if name == "shipment.delivery_estimate_slipped":
        return "delivery_estimate_slipped"
    if name == "shipment.ready_for_pickup":
        return "ready_for_pickup"
    if name == "order.pickup_delayed":
        return "pickup_delayed"
    if name == "return.status_changed" and to_status == "received":
        return "return_received"
    if name == "return.status_changed" and to_status == "refunded":
        return "refund_issued"
    return None


def order_context(order: Order, customer_name: str = "") -> dict[str, Any]:
    address = order.ship_to
    return {
        "id": order.id,
        "number": order.channel_order_id or order.id,
        "channel": order.channel,
        "customer_name": customer_name or address.name,
        "email": order.email,
        "currency": order.currency,
        "total": str(order.total),
        "lines": [
            {"sku": line.sku, "quantity": line.quantity, "amount": str(line.amount)}
            for line in order.lines
        ],
        "ship_to": ", ".join(p for p in (address.line1, address.city, address.postal_code) if p),
        "promised_date": order.promised_date.isoformat() if order.promised_date else "",
        # A pickup (click and collect) is collected at this store, not shipped to `ship_to`.
        "pickup_location": order.pickup_location or "",
    }


def shipment_context(shipment: FulfillmentOrder) -> dict[str, Any]:
    return {
        "id": shipment.id,
        "carrier": shipment.carrier,
        "service": shipment.service,
        "tracking_number": shipment.tracking_number,
        "promised_date": _day(shipment.promised_date),
        "estimated_delivery": _day(shipment.estimated_delivery),
        "location_code": shipment.location_code,
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in shipment.lines],
        "parcels": parcels_context(shipment),
    }


def parcels_context(shipment: FulfillmentOrder) -> list[dict[str, Any]]:
    """The boxes a packed shipment went in, in order, each with its place among them ("parcel
    2 of 3"), its tracking number ("" before the label) and its box's code (None for a unit
    that ships alone); empty for a shipment not packed, whose emails speak of it as one."""
    count = len(shipment.parcels)
    return [
        {"index": index, "count": count, "tracking_number": parcel.tracking_number,
         "box": parcel.box or None}
        for index, parcel in enumerate(shipment.parcels, start=1)
    ]  # fmt: skip


def named_parcel(
    parcels: Sequence[Mapping[str, Any]], payload: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The parcel (of `parcels_context`) an event's scan named by its tracking number, if it
    named one the shipment still has."""
    number = payload.get("parcel_tracking_number")
    return next((p for p in parcels if number and p["tracking_number"] == number), None)


def _day(day: date | None) -> str:
    return day.isoformat() if day else ""


def pickup_context(code: str, store: Location | None) -> dict[str, Any]:
    """Where a pickup order is collected: the store's name and address (its code alone when
    the store has gone from the catalogue since)."""
    if store is None:
        return {"code": code, "name": code, "address": ""}
    address = store.address
    parts = (address.line1, address.city, address.postal_code)
    return {"code": code, "name": store.name, "address": ", ".join(p for p in parts if p)}


def return_context(ret: Return) -> dict[str, Any]:
    return {
        "id": ret.id,
        "rma": ret.rma,
        "location_code": ret.location_code,
        "refund_amount": str(ret.refund_amount),
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in ret.lines],
    }


def alert_context(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "rule": alert.rule,
        "severity": alert.severity,
        "key": alert.key,
        "message": alert.message,
        "status": str(alert.status),
        "occurrences": alert.occurrences,
        "created_at": alert.created_at.isoformat(),
    }


class CustomerNotifier:
    """Worker observer: lifecycle events become the customer's emails."""

    name = "customer-notifications"

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier
        self.sent = 0

    def wants(self, message: Message) -> bool:
        return customer_message_kind(message.name, message.payload) is not None

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        kind = customer_message_kind(message.name, message.payload)
        if kind is None:
            return
        order = uow.orders.get(str(message.payload.get("order_id", "")))
        if order is None:
            log.warning("%s: order %s not found; no %s sent", self.name,
                        message.payload.get("order_id"), kind)  # fmt: skip
            return
        customer = uow.customers.get(order.customer_id)
        to = order.email or (customer.email if customer else "")
        if not to:
            log.info("%s: order %s has no email address; no %s sent", self.name, order.id, kind)
            return
        context: dict[str, Any] = {
            "order": order_context(order, customer.name if customer else ""),
            "event": dict(message.payload),
        }
        if "shipment_id" in message.payload:
            shipment = uow.shipments.get(str(message.payload["shipment_id"]))
            if shipment is not None:
                context["shipment"] = shipment_context(shipment)
                # A scan of one parcel of several: the email says which ("parcel 2 of 3").
                parcel = named_parcel(context["shipment"]["parcels"], message.payload)
                if parcel is not None:
                    context["parcel"] = parcel
            else:
                context["shipment"] = {
                    "carrier": message.payload.get("carrier", ""),
                    "tracking_number": message.payload.get("tracking_number", ""),
                    "promised_date": "",
                    "lines": [],
                    "parcels": [],
                }
        if order.pickup_location:
            store = uow.locations.get(order.pickup_location)
            context["pickup"] = pickup_context(order.pickup_location, store)
        if "return_id" in message.payload:
            ret = uow.returns.get(str(message.payload["return_id"]))
            if ret is None:
                log.warning("%s: return %s not found", self.name, message.payload["return_id"])
                return
            context["ret"] = return_context(ret)
        self.notifier.notify(kind, [to], context)
        self.sent += 1


class AlertNotifier:
    """Worker observer: each newly raised alert goes to its recipients and to every sink."""

    name = "alert-notifications"

    def __init__(
        self, email: Notifier | None = None, sinks: Sequence[Notifier] = (),
        default_recipients: Sequence[str] = (),
    ) -> None:  # fmt: skip
        self.email = email
        self.sinks = list(sinks)
        self.default_recipients = list(default_recipients)

    def wants(self, message: Message) -> bool:
        configured = bool(self.sinks) or self.email is not None
        return message.name == "alert.raised" and configured

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if not self.wants(message):
            return
        alert = uow.alerts.get(str(message.payload["alert_id"]))
        if alert is None:
            return
        context = {"alert": alert_context(alert)}
        recipients = alert.recipients or self.default_recipients
        if self.email is not None and recipients:
            self.email.notify("alert", recipients, context)
        for sink in self.sinks:
            sink.notify("alert", recipients, context)


SEVERITIES = ("low", "medium", "high", "critical")  # the rule language's, lowest first


class WebhookNotifier:
    """Worker observer: the chosen events, as JSON, to one sink (the signed webhook).

    `alert.raised` posts the alert as `AlertNotifier` does (`{"kind": "alert", "alert": ...}`)
    when its severity is at least `min_severity`; any other event posts its name, id and
    payload (`{"kind": "event", "event": {"name", "id", "payload"}}`). A failed post raises
    the sink's `DeliveryError`, so the worker retries the message and dead-letters it after the
    bus's last delivery, like any failed handler.
    """

    name = "webhook-notifications"

    def __init__(
        self, sink: Notifier, events: Sequence[str] = ("alert.raised",),
        min_severity: str = "low",
    ) -> None:  # fmt: skip
        if min_severity not in SEVERITIES:
            raise ValueError(f"min_severity must be one of {', '.join(SEVERITIES)}")
        self.sink = sink
        self.events = frozenset(events)
        self.min_severity = min_severity
        self.sent = 0

    def wants(self, message: Message) -> bool:
        if message.name not in self.events:
            return False
        if message.name == "alert.raised":
            return self._severe_enough(str(message.payload.get("severity", "")))
        return True

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if not self.wants(message):
            return
        if message.name == "alert.raised":
            alert = uow.alerts.get(str(message.payload["alert_id"]))
            if alert is None:
                log.warning("%s: alert %s not found; nothing posted", self.name,
                            message.payload["alert_id"])  # fmt: skip
                return
            self.sink.notify("alert", alert.recipients, {"alert": alert_context(alert)})
        else:
            event = {"name": message.name, "id": message.event_id, "payload": dict(message.payload)}
            self.sink.notify("event", [], {"event": event})
        self.sent += 1

    def _severe_enough(self, severity: str) -> bool:
        # A severity the rule language does not know is posted: better noise than silence.
        if severity not in SEVERITIES:
            return True
        return SEVERITIES.index(severity) >= SEVERITIES.index(self.min_severity)
