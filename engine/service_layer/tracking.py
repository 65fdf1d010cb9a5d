"""A shipment's tracking timeline: carriers post what they saw, and retry their posts.

`track_shipment` reads the shipment under a row lock (`ShipmentRepository.get_for_update`)
before deciding whether the event is new: two identical posts racing each other are then
decided one after the other, so only the first records the event and writes its audit entry,
and the second sees the event already there. Without the lock both read the timeline before
either wrote, both took the event for new, and both audited it (the tracking table's unique
key kept the event itself once, but not the audit entry).

What a new scan means is the shipment's to act on (`FulfillmentOrder.track`): its events
(`shipment.tracked`, `shipment.status_changed` or `shipment.delivery_exception`, and
`shipment.delivery_estimate_slipped` when its estimate of the delivery day went past the
promise) leave with the timeline in one commit. A `delivered` scan that delivered the
shipment moves its order along as a location's report of the delivery would
(`lifecycle.follow_order`), so the order is delivered once all its shipments are. A scan
may name the parcel it is of (`tracking_number`): a shipment of several parcels is
delivered once each of them is, and a number that is none of its parcels' is refused at
`$.tracking_number` before anything is written.
"""

from __future__ import annotations

from engine.domain import commands
from engine.domain.errors import Conflict, NotFound
from engine.domain.fulfilment import ShipmentStatus, TrackingEvent
from engine.service_layer import audit
from engine.service_layer.handlers import existing_order
from engine.service_layer.lifecycle import follow_order
from engine.service_layer.unit_of_work import UnitOfWork

_NOT_WITH_A_CARRIER = frozenset({ShipmentStatus.PENDING, ShipmentStatus.CANCELLED})


def track_shipment(cmd: commands.TrackShipment, uow: UnitOfWork) -> bool:
    """Add the event to the shipment's timeline in its place in time, audited; True when it
    was new, False (nothing written, nothing audited) when the shipment already had it."""
    event = TrackingEvent(
        cmd.at, cmd.code, cmd.description, cmd.location, cmd.milestone, cmd.estimated_delivery,
        cmd.tracking_number,
    ).in_utc()  # fmt: skip
    with uow:
        shipment = uow.shipments.get_for_update(cmd.shipment_id)
        if shipment is None:
            raise NotFound("shipment", cmd.shipment_id)
        if shipment.status in _NOT_WITH_A_CARRIER:
            # A carrier scan of a parcel that was never handed over (or was called off) is a
            # post for another shipment, or a stale one: put on this timeline it would say
            # "delivered" for goods that never left.
            raise Conflict(
                f"shipment {shipment.id} is {shipment.status}: no carrier has it, so it takes "
                "no tracking events"
            )
        status = shipment.status
        if not shipment.track(event):
            return False
        after: dict[str, object] = {
            "at": event.at.isoformat(),
            "code": event.code,
            "description": event.description,
            "location": event.location,
        }
        if cmd.milestone is not None:
            after["milestone"] = str(cmd.milestone)
        if cmd.estimated_delivery is not None:
            after["estimated_delivery"] = cmd.estimated_delivery.isoformat()
        if cmd.tracking_number:
            after["tracking_number"] = cmd.tracking_number
        before: dict[str, object] = {}
        if shipment.status is not status:
            before["status"], after["status"] = str(status), str(shipment.status)
            order = existing_order(uow, shipment.order_id)
            siblings = list(uow.shipments.for_order(order.id))
            follow_order(order, siblings, shipment, shipment.status)
        audit.record(uow, cmd.actor, "shipment.tracking", "shipment", shipment.id, before, after)
        uow.commit()
        return True
