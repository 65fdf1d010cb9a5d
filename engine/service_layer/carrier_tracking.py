"""Scans a carrier pushes to Ordo (its tracking webhook), put on the shipments (or
transfers) they name.

The API route (`POST /v1/carriers/{code}/tracking`) has the carrier's connector check the
delivery's signature and read its scans (`Carrier.tracking_updates`); `record_updates` puts
each on the shipment whose own tracking number, or one of whose parcels', it names, through
`commands.TrackShipment`, exactly as a scan posted to `POST /v1/shipments/{id}/tracking`:
its events, audit entry, delivery and customer emails follow from that one handler. A scan
naming a parcel is recorded as that parcel's (`tracking_number`).

A scan of a number no shipment of the carrier has may be of a stock transfer between
locations, reported shipped with this carrier under that number
(`POST /v1/inventory/transfers/{id}/shipped`): it goes on the transfer through
`commands.TrackTransfer`. A transfer has no timeline; what a scan can tell of it is when it
will arrive (its estimate revises the transfer's `expected_on`, as a repeated shipped report
does) and that it arrived (a `delivered` milestone is kept as its delivery at the store,
which does not count its units in: the store receives it for that).

A carrier retries every delivery it did not get a 2xx for, so nothing it sends is refused:
each scan is counted by what became of it. `recorded`: new on the shipment's timeline;
`unchanged`: the timeline had it (a retried delivery); `transfers`: of a transfer on its
way, whether or not it moved its arrival day or delivered it; `unknown`: no shipment or
transfer of this carrier has that number (another carrier's, a label voided and made again,
a number Ordo never issued); `not_with_carrier`: its shipment is pending or cancelled, or
its transfer received or cancelled, so no carrier has it (a late scan of a label voided with
its shipment). Only the carrier's own shipments and transfers are looked at: one carrier's
signed delivery never moves another's parcels.
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
from engine.domain.inventory import InboundKind, InboundSupply
from engine.domain.orders import InvalidLine
from engine.domain.tracking_codes import Milestone, milestone_of
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
    transfers: int = 0


def actor(code: str) -> str:
    """Who the audit names for a scan the carrier pushed."""
    return f"carrier:{code}"


def record_updates(
    code: str,
    updates: Iterable[TrackingUpdate],
    uows: Callable[[], UnitOfWork],
    handle: Callable[[commands.Command], Any],
) -> Tally:
    """Put each scan on the carrier `code`'s shipment it names, else on its transfer, one
    command each (a retry of the delivery then records only what the first did not), and
    count the outcomes."""
    tally = Tally()
    for update in updates:
        number = update.tracking_number.strip()
        shipment = _shipment(uows, code, number) if number else None
        if shipment is None:
            transfer = _transfer(uows, code, number) if number else None
            if transfer is None:
                tally.unknown += 1
            else:
                _track_transfer(code, transfer, update, handle, tally)
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


def _transfer(uows: Callable[[], UnitOfWork], code: str, number: str) -> InboundSupply | None:
    """The carrier's transfer the number is of: one on its way before one received or
    cancelled (which keep their number, for the record); None when it has none."""
    with uows() as uow:
        found = [
            transfer
            for transfer in uow.inbound.with_tracking_number(number, limit=_CANDIDATES)
            if transfer.kind is InboundKind.TRANSFER and transfer.carrier == code
        ]
    found.sort(key=lambda transfer: not transfer.pending)
    return found[0] if found else None


def _track_transfer(
    code: str,
    transfer: InboundSupply,
    update: TrackingUpdate,
    handle: Callable[[commands.Command], Any],
    tally: Tally,
) -> None:
    """Put one scan on a transfer (`commands.TrackTransfer`) and count it."""
    if not transfer.pending:
        tally.not_with_carrier += 1
        return
    # The milestone is read here, not by the handler: a transfer has no timeline of codes
    # to read it from later, only what the scan did to it.
    milestone = _milestone(code, update) or milestone_of(update.code)
    command = commands.TrackTransfer(
        transfer.id, update.at, update.code, milestone, update.estimated_delivery, actor(code)
    )
    try:
        handle(command)
    except Conflict:  # received or cancelled since it was read: as if it had been then
        tally.not_with_carrier += 1
        return
    tally.transfers += 1


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
