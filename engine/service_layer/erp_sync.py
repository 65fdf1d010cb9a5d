"""Keeps an ERP or CRM in step with Ordo's orders, customers, returns and stock.

`ErpSync` is a worker observer. An event only says that something changed; the observer reads
the entity's current state and sends that whole (`Erp.sync(entity, data)`, an idempotent
upsert on the other side), so an event redelivered, or handled after a later one, still sends
the latest state. Each state carries a `version` that grows with each state sent of an entity,
the moment the worker read it in microseconds since 1970, so a receiver keeps the highest
version it has seen and drops an update that arrives late. (Workers on several hosts need
their clocks in step, as NTP keeps them, for versions read on different hosts to compare.)

Which events send what:

- every `order.*` change, and a shipment's (`shipment.status_changed`, `.labelled`,
  `.sent_to_wms`): the order, with its lines and shipments; `order.received` also sends the
  order's customer (the record, when Ordo has one)
- a shipment going `shipped`, which takes its units off the shelf: the stock rows of its SKUs
  at its location; `stock.reserved`, `stock.released` and `stock.adjusted`: that stock row
- `return.status_changed` and `return.labelled`: the return, with its refund
- `customer.updated` (a record created or changed through the API): the customer
- `customer.erased`: an erasure of the customer (`Erp.erase`), when customers or orders are
  synced: the receiver forgets who the person is, in its customer and in their orders.

The ERP is called before the worker commits the event as handled: at least once, like every
observer. A refusal raises the connector's `DeliveryError`, and the worker retries the event
and in the end dead-letters it; the states sent before the failure are sent again then, which
the upsert makes harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from engine.adapters.bus.base import Message
from engine.domain.catalog import Customer
from engine.domain.fulfilment import FulfillmentOrder, Return
from engine.domain.inventory import Stock
from engine.domain.orders import Order
from engine.domain.values import Address, utcnow
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# The entities that can be synced, as ORDO_ERP_SYNC_ENTITIES names them.
ENTITIES = ("orders", "customers", "returns", "stock")
ORDER_EVENTS = frozenset({
    "order.received", "order.status_changed", "order.held", "order.rejected", "order.cancelled",
    "order.modified", "order.released", "order.resourced", "order.remainder_cancelled",
    "shipment.status_changed", "shipment.labelled", "shipment.sent_to_wms",
    "shipment.short_picked",
})  # fmt: skip
RETURN_EVENTS = frozenset({"return.status_changed", "return.labelled"})
STOCK_EVENTS = frozenset({"stock.reserved", "stock.released", "stock.adjusted"})
ERASED = "customer.erased"
CUSTOMER_UPDATED = "customer.updated"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Erp(Protocol):
    """An ERP/CRM connector (`connectors.base.ErpCrm`), as the observer uses it."""

    def sync(self, entity: str, data: Mapping[str, Any]) -> None: ...

    def erase(self, entity: str, data: Mapping[str, Any]) -> None: ...


def entities_touched(name: str, payload: Mapping[str, Any]) -> frozenset[str]:
    """The entities (as ORDO_ERP_SYNC_ENTITIES names them) an event may have changed."""
    if name in ORDER_EVENTS:
        touched = {"orders"}
        if name == "order.received":
            touched.add("customers")
        if name == "shipment.status_changed" and payload.get("to_status") == "shipped":
            touched.add("stock")
        return frozenset(touched)
    if name in RETURN_EVENTS:
        return frozenset({"returns"})
    if name in STOCK_EVENTS:
        return frozenset({"stock"})
    if name == ERASED:
        return frozenset({"customers", "orders"})  # both hold the person's details
    if name == CUSTOMER_UPDATED:
        return frozenset({"customers"})
    return frozenset()


def version_of(moment: datetime) -> int:
    """A state's version: when it was read, in whole microseconds since 1970 (UTC)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def address_state(address: Address) -> dict[str, Any]:
    return {
        "name": address.name,
        "line1": address.line1,
        "city": address.city,
        "state": address.state,
        "postal_code": address.postal_code,
        "country": address.country,
    }


def order_state(order: Order, shipments: Sequence[FulfillmentOrder]) -> dict[str, Any]:
    return {
        "id": order.id,
        "channel": order.channel,
        "channel_order_id": order.channel_order_id,
        "customer_id": order.customer_id,
        "email": order.email,
        "status": str(order.status),
        "currency": order.currency,
        "total": str(order.total),
        "total_cancelled": str(order.total_cancelled),
        "service_level": order.service_level,
        "priority": order.priority,
        "requested_date": _day(order.requested_date),
        "promised_date": _day(order.promised_date),
        "created_at": order.created_at.isoformat(),
        "ship_to": address_state(order.ship_to),
        "holds": [hold.code for hold in order.active_holds],
        "lines": [
            {
                "id": line.id,
                "sku": line.sku,
                "quantity": line.quantity,
                "price": str(line.price),
                "status": str(line.status),
                "quantity_shipped": line.quantity_shipped,
                "quantity_cancelled": line.quantity_cancelled,
                # The kit a component's line was filed for, as the API shows it (None: no
                # kit's part), so the ERP can tell the kit the customer ordered.
                "kit": (
                    {"sku": line.kit.sku, "units": line.kit.units, "kits": line.kit.kits}
                    if line.kit is not None
                    else None
                ),
            }
            for line in order.lines
        ],
        "shipments": [
            {
                "id": s.id,
                "location_code": s.location_code,
                "status": str(s.status),
                "carrier": s.carrier,
                "service": s.service,
                "tracking_number": s.tracking_number,
                "promised_date": _day(s.promised_date),
                "shipped_at": _day(s.shipped_at),
                "delivered_at": _day(s.delivered_at),
                "wms_reference": s.wms_reference,
                "lines": [
                    {"line_id": x.order_line_id, "sku": x.sku, "quantity": x.quantity}
                    for x in s.lines
                ],
            }
            for s in shipments
        ],
    }


def customer_state(customer: Customer) -> dict[str, Any]:
    address = customer.default_address
    return {
        "id": customer.id,
        "email": customer.email,
        "name": customer.name,
        "tier": customer.tier,
        "group": customer.group,
        "default_address": address_state(address) if address is not None else None,
    }


def return_state(ret: Return, order: Order | None) -> dict[str, Any]:
    return {
        "id": ret.id,
        "order_id": ret.order_id,
        "rma": ret.rma,
        "status": str(ret.status),
        "location_code": ret.location_code,
        "refund_amount": str(ret.refund_amount),
        "currency": order.currency if order is not None else None,
        "created_at": ret.created_at.isoformat(),
        "carrier": ret.carrier,
        "tracking_number": ret.tracking_number,
        "lines": [
            {
                "line_id": line.order_line_id,
                "sku": line.sku,
                "quantity": line.quantity,
                "reason": line.reason,
                "restock": line.restock,
            }
            for line in ret.lines
        ],
    }


def stock_state(stock: Stock) -> dict[str, Any]:
    return {
        "sku": stock.sku,
        "location_code": stock.location_code,
        "on_hand": stock.on_hand,
        "reserved": stock.reserved,
        "safety_stock": stock.safety_stock,
        "available": stock.available,
        "reorder_point": stock.reorder_point,
    }


# (entity, its key, its state) for `Erp.sync`.
Update = tuple[str, dict[str, str], dict[str, Any]]


def order_update(uow: UnitOfWork, order: Order) -> Update:
    return "order", {"id": order.id}, order_state(order, uow.shipments.for_order(order.id))


def customer_update(customer: Customer) -> Update:
    return "customer", {"id": customer.id}, customer_state(customer)


def return_update(uow: UnitOfWork, ret: Return) -> Update:
    return "return", {"id": ret.id}, return_state(ret, uow.orders.get(ret.order_id))


def stock_update(stock: Stock) -> Update:
    key = {"sku": stock.sku, "location_code": stock.location_code}
    return "stock", key, stock_state(stock)


def stamp_of(now: datetime, event_id: str = "") -> dict[str, Any]:
    """What a request carries besides the state: its `version` and `updated_at`, the moment
    `now` taken before the state was read (whatever is read after it is at least as new), and
    the event that called for it, which names the requests it calls for, the same when it is
    retried. Without one (`ordo erp backfill`) the connector names a request by its version."""
    stamp: dict[str, Any] = {"version": version_of(now), "updated_at": now.isoformat()}
    if event_id:
        stamp["event_id"] = event_id
    return stamp


def send_update(erp: Erp, update: Update, stamp: Mapping[str, Any]) -> None:
    entity, key, state = update
    erp.sync(entity, {"key": key, "state": state, **stamp})


def send_erasure(erp: Erp, customer_id: str, stamp: Mapping[str, Any]) -> None:
    """An erasure of the customer: the receiver forgets who the person is."""
    erp.erase("customer", {"key": {"id": customer_id}, **stamp})


class ErpSync:
    """Worker observer: the current state of what an event changed, to the ERP/CRM."""

    name = "erp-sync"

    def __init__(
        self, erp: Erp, entities: Collection[str] = ENTITIES,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:  # fmt: skip
        unknown = sorted(set(entities) - set(ENTITIES))
        if unknown or not entities:
            raise ValueError(f"entities must be some of {', '.join(ENTITIES)}, got {unknown}")
        self.erp = erp
        self.entities = frozenset(entities)
        self.clock = clock
        self.sent = 0

    def wants(self, message: Message) -> bool:
        return bool(entities_touched(message.name, message.payload) & self.entities)

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        touched = entities_touched(message.name, message.payload) & self.entities
        if not touched:
            return
        # Stamped before reading: whatever is read after this moment is at least as new.
        stamp = stamp_of(self.clock(), message.event_id)
        if message.name == ERASED:
            send_erasure(self.erp, str(message.payload["customer_id"]), stamp)
            self.sent += 1
            return
        with uow:
            for update in self._updates(message, touched, uow):
                send_update(self.erp, update, stamp)
                self.sent += 1

    def _updates(
        self, message: Message, touched: frozenset[str], uow: UnitOfWork
    ) -> Iterator[Update]:
        payload = message.payload
        if message.name in RETURN_EVENTS:
            ret = uow.returns.get(str(payload["return_id"]))
            if ret is None:
                log.warning("%s: return %s not found; not synced", self.name, payload["return_id"])
                return
            yield return_update(uow, ret)
            return
        if message.name in STOCK_EVENTS:
            yield from _stock(uow, str(payload["sku"]), str(payload["location_code"]))
            return
        if message.name == CUSTOMER_UPDATED:
            # The record as it is now: after an erasure that overtook this event, the erased one.
            customer = uow.customers.get(str(payload["customer_id"]))
            if customer is None:
                log.warning(
                    "%s: customer %s not found; not synced", self.name, payload["customer_id"]
                )
                return
            yield customer_update(customer)
            return
        order = uow.orders.get(str(payload["order_id"]))
        if order is None:
            log.warning("%s: order %s not found; not synced", self.name, payload["order_id"])
            return
        if "orders" in touched:
            yield order_update(uow, order)
        if "customers" in touched:
            customer = uow.customers.get(order.customer_id)
            if customer is not None:  # Ordo may know a customer from their orders only
                yield customer_update(customer)
        if "stock" in touched:
            shipment = uow.shipments.get(str(payload["shipment_id"]))
            if shipment is not None:
                for sku in dict.fromkeys(line.sku for line in shipment.lines):
                    yield from _stock(uow, sku, shipment.location_code)


def _stock(uow: UnitOfWork, sku: str, location_code: str) -> Iterator[Update]:
    stock = uow.stock.get((sku, location_code))
    if stock is None:
        log.warning("erp-sync: no stock row for %s at %s; not synced", sku, location_code)
        return
    yield stock_update(stock)
