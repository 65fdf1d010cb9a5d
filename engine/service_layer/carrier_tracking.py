"""Scans a carrier pushes to Ordo (its tracking webhook), put on the shipments they name.

The API route (`POST /v1/carriers/{code}/tracking`) has the carrier's connector check the
delivery's signature and read its scans (`Carrier.tracking_updates`); `record_updates` puts
each on the shipment whose own tracking number, or one of whose parcels', it names, through
`commands.TrackShipment`, exactly as a scan posted to `POST /v1/shipments/{id}/tracking`:
its events, audit entry, delivery and customer emails follow from that one handler. A scan
naming a parcel is recorded as that parcel's (`tracking_number`).

A carrier retries every delivery it did not get a 2xx for, so nothing it sends is refused:
each scan is counted by what became of it. `recorded`: new on the shipment's timeline;
`unchanged`: the timeline had it (a retried delivery); `unknown`: no shipment of this
carrier has that number (another carrier's, a label voided and made again, a number Ordo
never issued); `not_with_carrier`: its shipment is pending or cancelled, so no carrier has
it (a late scan of a label voided with its shipment). Only the carrier's own shipments are
looked at: one carrier's signed delivery never moves another's parcels.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from connectors.base import TrackingUpdate
from engine.domain import commands
from engine.domain.errors import Conflict
from engine.domain.fulfilment import FulfillmentOrder, ShipmentStatus
from engine.domain.orders import InvalidLine
from engine.domain.tracking_codes import Milestone
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

_NOT_WITH_A_CARRIER = frozenset({ShipmentStatus.PENDING, ShipmentStatus.CANCELLED})
# More shipments than this under one number is not a carrier's number at all.
_CANDIDATES = 10


@dataclass
class Tally:
    """What became of a delivery's scans (module doc)."""

    recorded: int = 0
    unchanged: int = 0
    unknown: int = 0
    not_with_carrier: int = 0


def actor(code: str) -> str:
    """Who the audit names for a scan the carrier pushed."""
    return f"carrier:{code}"


def record_updates(
    code: str,
    updates: Iterable[TrackingUpdate],
    uows: Callable[[], UnitOfWork],
    handle: Callable[[commands.Command], Any],
) -> Tally:
    """Put each scan on the carrier `code`'s shipment it names, one command each (a retry
    of the delivery then records only what the first did not), and count the outcomes."""
    tally = Tally()
    for update in updates:
        number = update.tracking_number.strip()
        shipment = _shipment(uows, code, number) if number else None
        if shipment is None:
            tally.unknown += 1
            continue
        if shipment.status in _NOT_WITH_A_CARRIER:
            tally.not_with_carrier += 1
            continue
        try:
            new = handle(_command(code, shipment.id, number, update))
        except Conflict:  # cancelled since it was read: as if it had been then
            tally.not_with_carrier += 1
            continue
        except InvalidLine:  # its parcels were packed again since: the number is no more
            tally.unknown += 1
            continue
        if new:
            tally.recorded += 1
        else:
            tally.unchanged += 1
    return tally


def _shipment(uows: Callable[[], UnitOfWork], code: str, number: str) -> FulfillmentOrder | None:
    """The carrier's shipment the number is of: one with the carrier before one called off
    (a cancelled shipment keeps its number, for the record); None when it has none."""
    with uows() as uow:
        found = [
            shipment
            for shipment in uow.shipments.search(tracking_number=number, limit=_CANDIDATES)
            if shipment.carrier == code
        ]
    found.sort(key=lambda shipment: shipment.status in _NOT_WITH_A_CARRIER)
    return found[0] if found else None


def _command(
    code: str, shipment_id: str, number: str, update: TrackingUpdate
) -> commands.TrackShipment:
    return commands.TrackShipment(
        shipment_id,
        update.at,
        update.code,
        update.description,
        update.location,
        actor(code),
        _milestone(code, update),
        update.estimated_delivery,
        number,
    )


def _milestone(code: str, update: TrackingUpdate) -> Milestone | None:
    """The milestone the connector read, else None (Ordo reads it from the code). One that
    is not Ordo's is the connector's mistake: logged, and the code read instead."""
    if not update.milestone:
        return None
    try:
        return Milestone(update.milestone)
    except ValueError:
        log.warning("carrier %s: scan of %s has milestone %r, which is none of Ordo's; read "
                    "from its code instead", code, update.tracking_number[:64],
                    update.milestone[:32])  # fmt: skip
        return None
