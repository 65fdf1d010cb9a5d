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
key, and the WMS answers a repeat with the reference it gave the first time. Before the call,
in a transaction of its own, the releaser keeps on the shipment that it set out to send it
(`wms_attempted_at`, the first time only): a call whose answer is lost, or whose commit
fails, leaves that behind even though its own transaction rolls back. In the worker, whose
steps each commit once at their end, `ReleaseAttempts`, an observer of its own registered
just before the releaser, keeps it in the step before. A shipment that
already has a reference is not sent again (a redriven dead letter, say). Nor is one that is
no longer `released` when its turn comes: one cancelled before it was sent, or one its
location already picked or shipped without the WMS. Nor is a pickup (click and collect): the
store prepares it at its counter. A location no WMS serves is skipped.
A WMS that refuses or cannot be reached raises the connector's `DeliveryError`: the worker
retries the event and, after the bus's last delivery, dead-letters it.

`WarehouseUpdater` tells the WMS what Ordo changed afterwards. A short pick that leaves units
on the shipment (`shipment.short_picked`) sends it as it is now (an update); a shipment
cancelled (`shipment.status_changed` to `cancelled`: a short pick took its last units) sends
a cancellation, as does one cancelled with its order, which support cancelled or modified
after release but before any pick (its event's `reason` names which). Only a shipment the
WMS holds, one with a `wms_reference`, is told about: its events share the order's partition
with its release, so they come after it, and one whose release has not gone through yet (its
release is being retried) is sent as it is then by the releaser instead. Each message reads
the shipment as it stands when its turn comes, so a retried one never takes back a later
change. A stock count short changes no shipment
(its short picks do): it has nothing to tell a WMS. A WMS that answers 409 (it picked or
shipped the order already, before Ordo heard of it) is past changing it: that is not retried,
but raises `shipment.wms_refused` and a high alert (`wms/WMS refused a change`, keyed by the
shipment) for a person to stop the parcel.

A shipment cancelled after its release with no `wms_reference` may still be at the WMS: the
WMS took its release, but its answer was lost (or the worker's commit failed), and the
release's retry found the shipment cancelled and sent nothing. Nothing in Ordo records that
the release reached the WMS, only that it was attempted (`wms_attempted_at`), so the updater
asks the WMS (`find_fulfilment_order`, by the shipment's id) before it concludes there is
nothing to cancel; a shipment cancelled before the releaser's turn came was never attempted,
holds nothing at any WMS, and is not asked about. For one attempted, a reference found is
kept on the shipment and the cancellation sent as for any shipment the WMS holds; none
found, nothing is sent; a WMS that cannot be asked leaves it so, with a medium alert
(`wms/WMS may hold a cancelled order`, `found_at_wms`) asking a person to look in that WMS.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from connectors.base import FoundOrder, PermanentRefusal
from engine.adapters.bus.base import Message
from engine.domain import events
from engine.domain.fulfilment import (
    PICKUP_CARRIER,
    SHORT_PICKABLE,
    FulfillmentOrder,
    Parcel,
    ShipmentStatus,
)
from engine.domain.orders import Order
from engine.domain.values import utcnow
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

ANY_LOCATION = "*"
# The alert a WMS's refusal of a change raises: high, so it opens a ticket where tickets are on.
REFUSED_RULE = "wms/WMS refused a change"
REFUSED_SEVERITY = "high"
# The alert of a cancelled shipment (or transfer) Ordo kept no WMS reference of, whose WMS
# cannot be asked whether it holds it: medium, a person checks that WMS.
LOOKUP_RULE = "wms/WMS may hold a cancelled order"
LOOKUP_SEVERITY = "medium"
W = TypeVar("W")


class Warehouse(Protocol):
    """A WMS connector (`connectors.base.WarehouseSystem`), as the releaser uses it."""

    def release(self, fulfilment_order: Mapping[str, Any]) -> str: ...


class ChangingWarehouse(Protocol):
    """A WMS connector (`connectors.base.WarehouseSystem`), as the updater uses it."""

    def update(
        self, reference: str, fulfilment_order: Mapping[str, Any], change_id: str
    ) -> None: ...

    def cancel(self, reference: str, fulfilment_order: Mapping[str, Any]) -> None: ...

    def find_fulfilment_order(self, shipment_id: str) -> FoundOrder: ...

    @property
    def entry_name(self) -> str: ...


def fulfilment_order_facts(shipment: FulfillmentOrder, order: Order) -> dict[str, Any]:
    """What a WMS is told of a released shipment, as plain data (docs/integrations.md shows
    it on the wire): the order it belongs to, where it goes, its lines, the boxes it was
    packed into (`parcels`, only for a packed shipment: an unpacked one's body is as it
    always was) and its carrier. A label made already is not sent itself: the WMS downloads
    it from `label.path` with a warehouse key."""
    facts = _facts(shipment, order)
    if shipment.parcels:
        facts["parcels"] = [_parcel_facts(parcel) for parcel in shipment.parcels]
    return facts


def _parcel_facts(parcel: Parcel) -> dict[str, Any]:
    return {
        "box": parcel.box or None,
        "units": [{"sku": sku, "units": units} for sku, units in parcel.units.items()],
        "weight_kg": parcel.weight_kg,
        "dimensions_cm": list(parcel.dimensions_cm),
        "tracking_number": parcel.tracking_number or None,
    }


def _facts(shipment: FulfillmentOrder, order: Order) -> dict[str, Any]:
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


class ByLocation(Generic[W]):
    """The WMS of each location code; `*` for every location not named."""

    def __init__(self, warehouses: Mapping[str, W]) -> None:
        self.warehouses = dict(warehouses)
        self.sent = 0

    def warehouse_for(self, location_code: str) -> W | None:
        return self.warehouses.get(location_code) or self.warehouses.get(ANY_LOCATION)


class WarehouseReleaser(ByLocation[Warehouse]):
    """Worker observer: each released shipment to the WMS of its location, once."""

    name = "wms-release"

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
        # First the attempt, committed on its own before the WMS is called (module's doc):
        # whatever becomes of the call, a cancellation then knows the WMS may hold it. (In
        # the worker this commit is the worker's, at the end: `ReleaseAttempts` does it.)
        if not self.attempt(message, uow):
            return
        with uow:
            # Cancelled since, say: then not sent after all.
            due = self._due(uow, str(message.payload["shipment_id"]))
            if due is None:
                return
            shipment, order, warehouse = due
            reference = warehouse.release(fulfilment_order_facts(shipment, order))
            shipment.wms_reference = reference
            uow.record(
                events.ShipmentSentToWms(
                    shipment.id, shipment.order_id, shipment.location_code, reference
                )
            )
            uow.commit()
        self.sent += 1

    def attempt(self, message: Message, uow: UnitOfWork) -> bool:
        """Whether `message` releases a shipment due to be sent (`_due`); if so, that it is
        being sent is kept on it in a transaction of its own (`keep_attempt`)."""
        if not self.wants(message):
            return False
        with uow:
            due = self._due(uow, str(message.payload["shipment_id"]))
            if due is None:
                return False
            keep_attempt(uow, due[0])
            return True

    def _due(
        self, uow: UnitOfWork, shipment_id: str
    ) -> tuple[FulfillmentOrder, Order, Warehouse] | None:
        """The shipment to send, its order and its WMS; None, logged, when it is not to be
        sent (module's doc)."""
        shipment = uow.shipments.get(shipment_id)
        if shipment is None:
            log.warning("%s: shipment %s not found; not sent", self.name, shipment_id)
            return None
        if shipment.wms_reference:
            log.info("%s: shipment %s was sent before (%s); not sent again", self.name,
                     shipment.id, shipment.wms_reference)  # fmt: skip
            return None
        if shipment.is_pickup:
            log.info("%s: shipment %s is collected in store; not sent", self.name,
                     shipment.id)  # fmt: skip
            return None
        if shipment.status is not ShipmentStatus.RELEASED:
            log.info("%s: shipment %s is %s now; not sent", self.name, shipment.id,
                     shipment.status)  # fmt: skip
            return None
        order = uow.orders.get(shipment.order_id)
        warehouse = self.warehouse_for(shipment.location_code)
        if order is None or warehouse is None:
            log.warning("%s: shipment %s has no order or no WMS; not sent", self.name,
                        shipment.id)  # fmt: skip
            return None
        return shipment, order, warehouse


class Attempted(Protocol):
    """A document Ordo sends a WMS (a shipment, a transfer), as its attempt is kept."""

    wms_attempted_at: datetime | None


def keep_attempt(uow: UnitOfWork, document: Attempted) -> None:
    """Keep on `document`, about to be sent to its WMS, that Ordo set out to send it
    (`wms_attempted_at`, the first time only), committing `uow`'s transaction before the WMS
    is called: a call whose answer is lost, or whose own commit fails, leaves it behind, so a
    cancellation then asks the WMS whether it holds the document, and one never attempted is
    not asked about (module's doc)."""
    if document.wms_attempted_at is None:
        document.wms_attempted_at = utcnow()
        uow.commit()


class _Attempting(Protocol):
    """A sender to a WMS, as `AttemptStep` runs it."""

    def attempt(self, message: Message, uow: UnitOfWork) -> bool: ...


class AttemptStep:
    """The shape of a sender's attempt as a worker step of its own (`ReleaseAttempts`,
    `wms_transfers.TransferAttempts`): mixed in before the sender, registered in the worker
    just before it, it runs only the sender's `attempt`, and sends nothing. The worker runs
    each observer of a message in a transaction of its own, committed when it ends, and the
    sender's step rolls back whole when its WMS call fails: the attempt it keeps itself
    would go with it."""

    def __call__(self: _Attempting, message: Message, uow: UnitOfWork) -> None:
        self.attempt(message, uow)


class ReleaseAttempts(AttemptStep, WarehouseReleaser):
    """Worker observer, registered just before `WarehouseReleaser`: keeps that a release is
    being attempted (`wms_attempted_at`) in a step of its own (`AttemptStep`)."""

    name = "wms-release-attempt"


class WarehouseUpdater(ByLocation[ChangingWarehouse]):
    """Worker observer: a change to a shipment its WMS holds, to that WMS (module's doc)."""

    name = "wms-changes"

    def wants(self, message: Message) -> bool:
        payload = message.payload
        changed = message.name == events.ShipmentShortPicked.name or (
            message.name == events.ShipmentStatusChanged.name
            and payload.get("to_status") == ShipmentStatus.CANCELLED.value
        )
        return changed and self.warehouse_for(str(payload.get("location_code", ""))) is not None

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if not self.wants(message):
            return
        shipment_id = str(message.payload["shipment_id"])
        with uow:
            shipment = uow.shipments.get(shipment_id)
            if shipment is None or not (
                shipment.wms_reference or self._found(message, uow, shipment)
            ):
                # Not at the WMS (yet): a release still to go through sends it as it is then.
                log.info("%s: shipment %s is not at a WMS; nothing to tell", self.name,
                         shipment_id)  # fmt: skip
                uow.commit()  # an alert `_found` raised, if any
                return
            change = _change(message, shipment)
            order = uow.orders.get(shipment.order_id)
            warehouse = self.warehouse_for(shipment.location_code)
            if change is None or order is None or warehouse is None:
                log.info("%s: shipment %s is %s now; nothing to tell its WMS", self.name,
                         shipment.id, shipment.status)  # fmt: skip
                return
            facts = fulfilment_order_facts(shipment, order)
            try:
                if change == "cancel":
                    warehouse.cancel(shipment.wms_reference, facts)
                else:
                    reason = str(message.payload.get("reason", ""))
                    warehouse.update(
                        shipment.wms_reference, {**facts, "reason": reason}, message.event_id
                    )
            except PermanentRefusal as refusal:
                _refused(uow, shipment, change, str(refusal))
                uow.commit()
                return
            uow.record(
                events.ShipmentWmsUpdated(
                    shipment.id, shipment.order_id, shipment.location_code,
                    shipment.wms_reference, change,
                )
            )  # fmt: skip
            uow.commit()
        self.sent += 1

    def _found(self, message: Message, uow: UnitOfWork, shipment: FulfillmentOrder) -> bool:
        """Whether the WMS holds `shipment`, cancelled without a reference, all the same: its
        reference, when the WMS names one, is kept on it (module's doc). Asked only when its
        release was attempted (`wms_attempted_at`): it was cancelled after it (not while
        pending), is no pickup, and the releaser set out to send it."""
        warehouse = self.warehouse_for(shipment.location_code)
        if (
            warehouse is None
            or message.name != events.ShipmentStatusChanged.name
            or shipment.status is not ShipmentStatus.CANCELLED
            or message.payload.get("from_status") == ShipmentStatus.PENDING.value
            or shipment.is_pickup
            or shipment.wms_attempted_at is None
        ):
            return False
        named = f"shipment {shipment.id} of order {shipment.order_id} at {shipment.location_code}"
        found = warehouse.find_fulfilment_order(shipment.id)
        shipment.wms_reference = found_at_wms(uow, found, shipment.id, named, warehouse.entry_name)
        return bool(shipment.wms_reference)


def found_at_wms(uow: UnitOfWork, found: FoundOrder, key: str, named: str, wms: str) -> str:
    """The reference a WMS (`wms`, its ORDO_WMS entry) said it holds a document cancelled in
    Ordo under (`key`, its id; `named`, what it is, for the log and the alert), though Ordo
    kept none: "" when it holds none, or cannot be asked, which raises a medium alert
    (`LOOKUP_RULE`) for a person to look in that WMS."""
    wms = wms or "of its location"
    if found.reference:
        log.info("wms: %s: the WMS %s holds it as %s though Ordo kept no reference; "
                 "cancelling it there", named, wms, found.reference)  # fmt: skip
        return found.reference
    if found.supported:
        log.info("wms: %s: the WMS %s holds none; nothing to cancel", named, wms)
        return ""
    log.warning("wms: %s: the WMS %s cannot be asked whether it holds it: %s", named, wms,
                found.said)  # fmt: skip
    uow.record(
        events.AlertTriggered(
            rule=LOOKUP_RULE,
            key=key,
            severity=LOOKUP_SEVERITY,
            message=(
                f"{named[:1].upper()}{named[1:]} was cancelled in Ordo, which kept no reference "
                f"of it at the WMS {wms}, and that WMS cannot be asked whether it holds it "
                f"(its release may have reached it, the answer lost). Look in the WMS {wms} "
                f"for an order with Ordo's id {key} and cancel it there if it holds one. "
                f"{found.said}"
            ),
            at=utcnow().isoformat(),
        )
    )
    return ""


def _change(message: Message, shipment: FulfillmentOrder) -> str | None:
    """What the WMS is to be told of `shipment` on `message`: `cancel` once it is cancelled,
    `update` after a short pick that left it units; None once the WMS is past changing it
    (packed or shipped), or for a short pick that cancelled it (its status change tells)."""
    if message.name == events.ShipmentStatusChanged.name:
        return "cancel" if shipment.status is ShipmentStatus.CANCELLED else None
    return "update" if shipment.status in SHORT_PICKABLE else None


def _refused(uow: UnitOfWork, shipment: FulfillmentOrder, change: str, said: str) -> None:
    """The WMS will not take the change: record so, and ask a person to step in."""
    log.warning("wms-changes: shipment %s: %s", shipment.id, said)
    uow.record(
        events.ShipmentWmsRefused(
            shipment.id, shipment.order_id, shipment.location_code, shipment.wms_reference,
            change, said,
        )
    )  # fmt: skip
    asked = "its cancellation" if change == "cancel" else "its shortened lines"
    uow.record(
        events.AlertTriggered(
            rule=REFUSED_RULE,
            key=shipment.id,
            severity=REFUSED_SEVERITY,
            message=(
                f"Shipment {shipment.id} of order {shipment.order_id} at "
                f"{shipment.location_code} ({shipment.wms_reference} in the WMS): the WMS "
                f"refused {asked} and may ship what Ordo no longer wants; stop the parcel "
                f"there or with its carrier. {said}"
            ),
            at=utcnow().isoformat(),
        )
    )
