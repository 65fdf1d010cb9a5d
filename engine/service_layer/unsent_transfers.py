"""Transfers a warehouse system (WMS) should hold but never got, sent on request (`ordo wms
send-transfers`, docs/integrations.md#transfers-made-before-the-wms).

The worker sends a transfer's documents when its events come (`wms_transfers`): the
transfer order when it is made, the expected receipt when it ships. A transfer made, or
shipped, before the WMS was configured (or before Ordo sent transfers) had its event with no
WMS to send to, and nothing sends it later. This walks the open transfers (neither received
nor cancelled) for those a configured WMS that takes transfers should hold:

- not shipped yet, no `wms_reference`, and the sending location's WMS takes transfers: its
  transfer order is due;
- shipped, no `inbound_reference`, and the receiving location's WMS takes transfers: its
  expected receipt is due.

Each is sent through the observers' own send (`TransferReleaser.send`,
`InboundTransferNotifier.announce`): the same facts, references, events, and refusals (a 409
to an expected receipt records `transfer.inbound_wms_refused` and its alert), in one
transaction per transfer, with an audit entry for the operator who sent it. The transfer is
read again in that transaction: one the worker sent meanwhile, or shipped, received or
cancelled since it was listed, is left alone and said so. So a second run sends nothing.
It is read locked, as the worker reads it: a send the worker makes at the same moment is
waited for, and found, rather than made and recorded twice. Before a transfer order is sent,
that Ordo set out to send it is kept in a transaction of its own, as the worker keeps it
(`TransferReleaser.set_out`): a send whose answer is lost still leaves the transfer to be
looked up at its WMS if it is cancelled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from connectors.base import DeliveryError
from engine.domain.inventory import InboundKind, InboundSupply
from engine.service_layer import audit
from engine.service_layer.unit_of_work import UnitOfWork
from engine.service_layer.warehouse import ByLocation
from engine.service_layer.wms_transfers import (
    InboundTransferNotifier,
    ReceivingWarehouse,
    Sent,
    TransferReleaser,
    TransferringWarehouse,
)

TRANSFER_ORDER = "transfer order"
EXPECTED_RECEIPT = "expected receipt"
# Transfers read per query while listing: the walk reads every transfer once.
PAGE = 500


class TransferWarehouse(TransferringWarehouse, ReceivingWarehouse, Protocol):
    """A WMS connector (`connectors.base.WarehouseSystem`), as this walk uses it."""

    @property
    def takes_transfers(self) -> bool: ...


@dataclass(frozen=True)
class Unsent:
    """A transfer whose `document` (TRANSFER_ORDER, EXPECTED_RECEIPT) the WMS of `location`
    (the sending one for an order, the receiving one for a receipt) should hold."""

    transfer_id: str
    document: str
    location: str


@dataclass(frozen=True)
class Outcome:
    """What sending `unsent` came to: `sent` (a reference, or why not), or the `failure` of a
    WMS that could not be reached or refused it (nothing kept: a next run tries again)."""

    unsent: Unsent
    sent: Sent | None = None
    failure: str = ""


class UnsentTransfers:
    """Lists and sends the documents the configured WMSs (`warehouses`, by location code, `*`
    for the rest, as `ORDO_WMS` builds them) should hold but never got."""

    def __init__(self, warehouses: Mapping[str, TransferWarehouse]) -> None:
        self.served = ByLocation(warehouses)
        self.releaser = TransferReleaser(warehouses)
        self.notifier = InboundTransferNotifier(warehouses)

    def serves(self, location: str) -> bool:
        """Whether a WMS that takes transfers runs `location`."""
        warehouse = self.served.warehouse_for(location) if location else None
        return warehouse is not None and warehouse.takes_transfers

    def due(self, transfer: InboundSupply) -> Unsent | None:
        """The document of `transfer` a WMS should hold and does not, if any."""
        if transfer.kind is not InboundKind.TRANSFER or not transfer.pending:
            return None
        if transfer.shipped_at is None:
            if transfer.wms_reference or not self.serves(transfer.from_location):
                return None
            return Unsent(transfer.id, TRANSFER_ORDER, transfer.from_location)
        if transfer.inbound_reference or not self.serves(transfer.location_code):
            return None
        return Unsent(transfer.id, EXPECTED_RECEIPT, transfer.location_code)

    def listed(
        self, uow_factory: Callable[[], UnitOfWork], location: str | None = None
    ) -> list[Unsent]:
        """Every document due, by the transfer's expected arrival; only those for the WMS of
        `location` when given."""
        found: list[Unsent] = []
        with uow_factory() as uow:
            offset = 0
            while page := uow.inbound.list(limit=PAGE, offset=offset):
                offset += len(page)
                for transfer in page:
                    due = self.due(transfer)
                    if due is not None and location in (None, due.location):
                        found.append(due)
        return found

    def send(self, uow_factory: Callable[[], UnitOfWork], unsent: Unsent, actor: str) -> Outcome:
        """Send `unsent` in a transaction of its own, audited for `actor` when the WMS took
        it; left alone when it is no longer due (a failure rolls back, keeping nothing but a
        transfer order's attempt)."""
        if unsent.document == TRANSFER_ORDER:
            with uow_factory() as uow:  # the attempt first, committed (module's doc)
                transfer = uow.inbound.get_for_update(unsent.transfer_id)
                if transfer is not None and self.due(transfer) == unsent:
                    self.releaser.set_out(uow, transfer)
        with uow_factory() as uow:
            # Locked, as the worker's send reads it (`TransferReleaser.send`): of the two
            # sending it at once, the second finds it sent, and neither calls nor records twice.
            transfer = uow.inbound.get_for_update(unsent.transfer_id)
            if transfer is None or self.due(transfer) != unsent:
                return Outcome(unsent, Sent(why=_no_longer_due(transfer, unsent)))
            send = (
                self.releaser.send if unsent.document == TRANSFER_ORDER else self.notifier.announce
            )
            try:
                sent = send(uow, transfer)
            except DeliveryError as error:
                return Outcome(unsent, failure=str(error))
            if sent.reference:
                audit.record(
                    uow, actor, "transfer.sent_to_wms", "transfer", transfer.id,
                    after={"document": unsent.document, "location": unsent.location,
                           "reference": sent.reference},
                )  # fmt: skip
            uow.commit()
        return Outcome(unsent, sent)


def _no_longer_due(transfer: InboundSupply | None, unsent: Unsent) -> str:
    """Why a listed transfer needs no `unsent.document` when its turn comes."""
    if transfer is None:
        return "is gone; not sent"
    if not transfer.pending:
        return f"is {'cancelled' if transfer.cancelled else 'received'} now; not sent"
    if unsent.document == TRANSFER_ORDER and transfer.wms_reference:
        return f"was sent meanwhile ({transfer.wms_reference}); not sent again"
    if unsent.document == TRANSFER_ORDER:
        return "was reported shipped meanwhile; its expected receipt goes on the next run"
    return f"was announced meanwhile ({transfer.inbound_reference}); not sent again"
