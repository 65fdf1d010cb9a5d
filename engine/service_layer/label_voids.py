"""A label Ordo bought and will not use is voided with its carrier, so it is not charged for.

`LabelVoider` is a worker observer of `shipment.label_voided`, which a shipment raises when
its label is made void in the same commit: cancelled with its order (`lifecycle`), cancelled
by a short pick that took its last units or packed again into new boxes after one
(`shortages`), or a pending shipment cancelled when its held order is decided again
(`inventory`). The event names the label's tracking numbers as they were, the shipment's
own first, then each parcel's; the carrier connector of the shipment's carrier
(`Carrier.void`) is asked to void them once per label:

- True: the carrier took it. An audit entry `shipment.label_void` (carrier and numbers) on
  the shipment's timeline shows support the label was refunded.
- False: nothing to void. The rate-card carriers print their labels themselves and charge
  nothing until a parcel moves; nothing is written.
- `PermanentRefusal` (a parcel scanned already, the carrier's void window past): not
  retried, but `shipment.label_void_failed`, its audit entry and a high alert
  (`carriers/label void failed`, keyed by the shipment) naming what the carrier said ask a
  person to claim the refund by hand.
- `DeliveryError` (the carrier out of reach, or asking to be tried later): raised on, so the
  worker retries the event with backoff and, after the bus's last delivery, dead-letters it.

The carrier is called before the worker's transaction commits, so a crash in between asks it
again when the event is redelivered (a carrier takes a second void of a voided label as
done). A label whose numbers the shipment's timeline shows voided or refused already is not
sent again, as a redriven dead letter would be. A shipment labelled again before the void's
turn (a short pick's new boxes) may carry some of the old numbers on its new label (a
carrier that reprints under the shipment's own number): those are left out, so the void
never takes the label the parcel now ships with.

The observer is always wired: the carrier lookup answers per carrier code, so whether any
connector can void is known only by asking it, and the events are rare (a label made and
then called off), each costing a read of the shipment when no connector can.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from connectors.base import PermanentRefusal
from engine.adapters.bus.base import Message
from engine.domain import events
from engine.domain.fulfilment import FulfillmentOrder
from engine.domain.operations import AuditEntry
from engine.service_layer import audit, shop_calls
from engine.service_layer.labels import CarrierLookup
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# The alert a carrier's refusal raises: high, so it opens a ticket where tickets are on.
FAILED_RULE = "carriers/label void failed"
# The audit actions on the shipment's timeline, which also tell a redelivery the carrier
# was asked: voided, or refused.
VOIDED_ACTION = "shipment.label_void"
FAILED_ACTION = events.ShipmentLabelVoidFailed.name
# Who the audit names: the worker, on behalf of whoever called the shipment off.
ACTOR = shop_calls.ACTOR


class LabelVoider:
    """Worker observer: a label made void in Ordo, voided with its carrier once (module doc).
    `carriers` is the composition root's lookup of a carrier code's connector."""

    name = "label-voids"

    def __init__(self, carriers: CarrierLookup) -> None:
        self.carriers = carriers
        self.voided = 0

    def wants(self, message: Message) -> bool:
        return message.name == events.ShipmentLabelVoided.name

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if not self.wants(message):
            return
        voided = events.ShipmentLabelVoided(**message.payload)
        carrier = self.carriers(voided.carrier)
        if carrier is None:
            log.info("%s: shipment %s: carrier %s has no connector; nothing to void",
                     self.name, voided.shipment_id, voided.carrier)  # fmt: skip
            return
        with uow:
            shipment = uow.shipments.get(voided.shipment_id)
            if shipment is None:
                log.warning("%s: shipment %s not found; its label is not voided", self.name,
                            voided.shipment_id)  # fmt: skip
                return
            numbers = _still_void(shipment, voided.tracking_numbers)
            history = shop_calls.timeline(uow, "shipment", shipment.id)
            if not numbers or _asked_before(history, numbers):
                log.info("%s: shipment %s: label %s asked before, or in use again; not "
                         "voided", self.name, shipment.id, voided.tracking_numbers)  # fmt: skip
                return
            try:
                took = carrier.void(numbers)
            except PermanentRefusal as refusal:
                _failed(uow, voided, numbers, str(refusal))
                uow.commit()
                return
            if not took:
                return  # nothing to void: a label that costs nothing until used
            after = {"carrier": voided.carrier, "tracking_numbers": numbers}
            audit.record(uow, ACTOR, VOIDED_ACTION, "shipment", shipment.id, {}, after)
            uow.commit()
        log.info("%s: shipment %s: label %s voided with %s", self.name, voided.shipment_id,
                 ", ".join(numbers), voided.carrier)  # fmt: skip
        self.voided += 1


def _still_void(shipment: FulfillmentOrder, printed: Sequence[str]) -> list[str]:
    """The numbers of the void label that the shipment's label now (if any) does not carry."""
    in_use = set(shipment.label_numbers)
    return [number for number in printed if number not in in_use]


def _asked_before(history: Sequence[AuditEntry], numbers: Sequence[str]) -> bool:
    """Whether the timeline shows the carrier was asked to void these numbers (voided, or
    refused): a label of another void (the shipment's next label) is asked on its own."""
    wanted = sorted(numbers)
    return any(
        entry.action in (VOIDED_ACTION, FAILED_ACTION) and sorted(_numbers(entry.after)) == wanted
        for entry in history
    )


def _numbers(after: dict[str, Any]) -> list[str]:
    found = after.get("tracking_numbers")
    return [str(number) for number in found] if isinstance(found, list) else []


def _failed(
    uow: UnitOfWork, voided: events.ShipmentLabelVoided, numbers: list[str], said: str
) -> None:
    """The carrier will not void the label: record so, and ask a person to claim it."""
    log.warning("label-voids: shipment %s: %s", voided.shipment_id, said)
    failed = events.ShipmentLabelVoidFailed(
        voided.shipment_id, voided.order_id, voided.location_code, voided.carrier, numbers, said
    )
    after = {"carrier": voided.carrier, "tracking_numbers": numbers, "refused": said}
    shop_calls.recorded(uow, failed, "shipment", voided.shipment_id, after)
    shop_calls.ask_a_person(
        uow,
        FAILED_RULE,
        voided.shipment_id,
        f"Shipment {voided.shipment_id} (order {voided.order_id}) will not ship with its "
        f"label, but carrier {voided.carrier} would not void it (tracking numbers "
        f"{', '.join(numbers)}) and may charge for it: ask the carrier for a refund. {said}",
    )
