"""Released shipments go to their location's warehouse system (WMS).

`WarehouseReleaser` is a worker observer. A shipment is released to its location by
`shipment.status_changed` to `released`, however that came about: an order released as soon
as its carrier is assigned (ORDO_AUTO_RELEASE), one released by hand (`POST
/v1/orders/{id}/release`), or a backordered remainder sourced later for an order already on its
way. The releaser sends the shipment to the WMS that serves its location (or the one that
serves `*`, every other location), keeps the reference the WMS answers with on the shipment
(`wms_reference`) and raises `shipment.sent_to_wms`, all in the worker's transaction.

The WMS is called before that transaction commits, so a crash in between sends the shipment
again when the event is redelivered: the connector sends the shipment's id as an idempotency
key, and the WMS answers a repeat with the reference it gave the first time. A shipment that
already has a reference is not sent again (a redriven dead letter, say). Nor is one that is
no longer `released` when its turn comes: one cancelled before it was sent, or one its
location already picked or shipped without the WMS. Nor is a pickup (click and collect): the
store prepares it at its counter. A location no WMS serves is skipped.
A WMS that refuses or cannot be reached raises the connector's `DeliveryError`: the worker
retries the event and, after the bus's last delivery, dead-letters it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from engine.adapters.bus.base import Message
from engine.domain import events
from engine.domain.fulfilment import PICKUP_CARRIER, FulfillmentOrder, ShipmentStatus
from engine.domain.orders import Order
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

ANY_LOCATION = "*"


class Warehouse(Protocol):
    """A WMS connector (`connectors.base.WarehouseSystem`), as the releaser uses it."""

    def release(self, fulfilment_order: Mapping[str, Any]) -> str: ...


def fulfilment_order_facts(shipment: FulfillmentOrder, order: Order) -> dict[str, Any]:
    """What a WMS is told of a released shipment, as plain data (docs/integrations.md shows
    it on the wire): the order it belongs to, where it goes, its lines and its carrier. A
    label made already is not sent itself: the WMS downloads it from `label.path` with a
    warehouse key."""
    address = order.ship_to
    return {
        "id": shipment.id,
        "order": {
            "id": order.id,
            "reference": order.channel_order_id or order.id,
            "channel": order.channel,
            "service_level": order.service_level,
            "priority": order.priority,
        },
        "location_code": shipment.location_code,
        "ship_to": {
            "name": address.name,
            "line1": address.line1,
            "city": address.city,
            "state": address.state,
            "postal_code": address.postal_code,
            "country": address.country,
            "email": order.email,
        },
        "lines": [
            {"line_id": line.order_line_id, "sku": line.sku, "units": line.quantity}
            for line in shipment.lines
        ],
        "carrier": {
            "code": shipment.carrier,
            "service": shipment.service,
            "promised_date": shipment.promised_date.isoformat() if shipment.promised_date else None,
            "tracking_number": shipment.tracking_number or None,
        },
        "label": (
            {"format": shipment.label_format, "path": f"/v1/shipments/{shipment.id}/label"}
            if shipment.label_format
            else None
        ),
    }


class WarehouseReleaser:
    """Worker observer: each released shipment to the WMS of its location, once."""

    name = "wms-release"

    def __init__(self, warehouses: Mapping[str, Warehouse]) -> None:
        # Location code -> its WMS; `*` -> the WMS of every location not named.
        self.warehouses = dict(warehouses)
        self.sent = 0

    def warehouse_for(self, location_code: str) -> Warehouse | None:
        return self.warehouses.get(location_code) or self.warehouses.get(ANY_LOCATION)

    def wants(self, message: Message) -> bool:
        payload = message.payload
        return (
            message.name == "shipment.status_changed"
            and payload.get("to_status") == ShipmentStatus.RELEASED.value
            # A pickup is prepared at the store's counter, not by a warehouse system.
            and payload.get("carrier") != PICKUP_CARRIER
            and self.warehouse_for(str(payload.get("location_code", ""))) is not None
        )

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if not self.wants(message):
            return
        shipment_id = str(message.payload["shipment_id"])
        with uow:
            shipment = uow.shipments.get(shipment_id)
            if shipment is None:
                log.warning("%s: shipment %s not found; not sent", self.name, shipment_id)
                return
            if shipment.wms_reference:
                log.info("%s: shipment %s was sent before (%s); not sent again", self.name,
                         shipment.id, shipment.wms_reference)  # fmt: skip
                return
            if shipment.is_pickup:
                log.info("%s: shipment %s is collected in store; not sent", self.name,
                         shipment.id)  # fmt: skip
                return
            if shipment.status is not ShipmentStatus.RELEASED:
                log.info("%s: shipment %s is %s now; not sent", self.name, shipment.id,
                         shipment.status)  # fmt: skip
                return
            order = uow.orders.get(shipment.order_id)
            warehouse = self.warehouse_for(shipment.location_code)
            if order is None or warehouse is None:
                log.warning("%s: shipment %s has no order or no WMS; not sent", self.name,
                            shipment.id)  # fmt: skip
                return
            reference = warehouse.release(fulfilment_order_facts(shipment, order))
            shipment.wms_reference = reference
            uow.record(
                events.ShipmentSentToWms(
                    shipment.id, shipment.order_id, shipment.location_code, reference
                )
            )
            uow.commit()
        self.sent += 1
