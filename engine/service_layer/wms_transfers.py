"""Stock transfers go to the warehouse system (WMS) of the location they leave from, and
are announced to the WMS of the location they go to once they ship.

A transfer's units leave its source's stock the moment Ordo makes it (by hand, `POST
/v1/inventory/transfers`, or for a pickup order's shortfall, ship to store), which raises
`transfer.requested`. Someone still has to pick and ship them: where a WMS runs the source,
`TransferReleaser`, a worker observer, sends it the transfer (`transfer_facts`: from, to,
the SKU and units, the expected arrival, the order it serves), keeps the reference the WMS
answers with on the transfer (`wms_reference`) and raises `transfer.sent_to_wms`, all in the
worker's transaction. A transfer with a reference is not sent again (a redelivered event, a
redriven dead letter); nor is one no longer pending when its turn comes (cancelled before it
was sent, or received already). A source no WMS serves is skipped, as is a transfer to a WMS
whose connector takes none (`WarehouseSystem.send_transfer` answers None): its staff ship
it by hand, as before.

The WMS is called before that transaction commits, so a crash in between sends the transfer
again when the event is redelivered: the connector sends the transfer's id as an idempotency
key, and the WMS answers a repeat with the reference it gave the first time. Before the call,
in a transaction of its own, the releaser keeps on the transfer that it set out to send it
(`wms_attempted_at`, the first time only, `TransferReleaser.set_out`), as a shipment's
releaser does (`warehouse.keep_attempt`): a call whose answer is lost, or whose commit fails,
leaves that behind. In the worker `TransferAttempts`, a step of its own registered just
before the releaser, keeps it. The transfer is read with its row locked (`get_for_update`)
and held until that commit, across the WMS's answer: the lock is the claim on sending it.
`ordo wms send-transfers` reads it locked too, so when it and the worker send one transfer at
the same moment, the second waits for the first's commit, finds the reference, and neither
calls the WMS nor records `transfer.sent_to_wms` again (on SQLite the first writer holds the
whole file anyway). A report or receipt of that transfer waits as long as the WMS takes to
answer (the connector's timeout at most); locking a row rather than claiming it with a column
of its own keeps the claim from outliving a crash. Every transfer observer reads its transfer
so. A WMS that refuses or cannot be reached raises the connector's `DeliveryError`: the
worker retries the event and, after the bus's last delivery, dead-letters it.

A transfer cancelled in Ordo (`transfer.cancelled`: its order no longer needs it; its units
went back to the source's stock at once) is cancelled at the WMS that holds it. Its events
share the order's partition (a transfer made by hand, which is never cancelled, the SKU's)
with its request, so the cancellation comes after the send. One not sent yet needs nothing:
its send, when its turn comes, finds it cancelled. A WMS that answers 409 has shipped it
already: that is not retried, but raises `transfer.wms_refused`, and the transfer is put
back on its way as the truck has it (`ship_to_store.reinstate`: released from its order,
its units off the source's stock again, `transfer.reinstated`), in a second transaction
that locks the transfer first, as its shipped report (which reinstates it too, when it
comes first) does; so a redelivered refusal, or one that lost that race, changes nothing. A
high alert (`wms/WMS refused a change`) is raised only when a person is still needed: orders
at the source reserved some of the units since (docs/integrations.md). A cancelled transfer
with no reference may be at the WMS all the same (it took the send, but its answer was lost,
or the worker's commit failed, and the retried send found the transfer cancelled): Ordo
records only the attempt, so the WMS is asked (`find_transfer_order`) before Ordo concludes
there is nothing to cancel, as for a shipment (`warehouse.found_at_wms`). One never
attempted (cancelled before its send's turn) holds nothing at any WMS and is not asked about.

When the sending location reports a transfer shipped (`transfer.shipped`) and a WMS runs
the location it goes to, `InboundTransferNotifier`, a second worker observer, sends that WMS
an expected receipt (`inbound_facts`: the transfer's facts plus its carrier, tracking number
and shipping moment, read from the transfer as it is then, so an arrival day revised since
goes with it), so its dock expects the parcel. It keeps the name the WMS knows the receipt
by on the transfer (`inbound_reference`) and raises `transfer.inbound_sent_to_wms`; a
transfer with that name is not announced again, and the connector's idempotency key
(`<transfer id>:inbound`) makes a send repeated after a crash a repeat at the WMS. One
received (or cancelled) before its turn is not announced: there is nothing left to expect.
A WMS that takes no transfers (`transfers: false`) and a destination no WMS runs are told
nothing, as before. A failure is a `DeliveryError`, retried as above; a 409 (the WMS will not
expect it) is not retried but raises `transfer.inbound_wms_refused` and the same high alert,
for a person to see the transfer received by hand.

Its arrival day can move after it shipped (`transfer.arrival_revised`: the sender reported it
shipped again with another day, or the carrier's scan estimated one). `InboundTransferUpdater`,
a third observer, sends the receiving WMS the expected receipt as it is now, to the name it
knows it by (`update_inbound_transfer`), so its dock plans for the new day, and raises
`transfer.inbound_updated_at_wms` when the WMS takes it. Only a transfer with an
`inbound_reference` is updated: one never announced (no WMS, or one that takes no transfers)
gets nothing, and one whose announcement has not gone yet needs nothing, as the
announcement reads the day when it is sent (the revision's event shares the shipped event's
partition, so it comes after it; an announcement still being retried then carries it). The
event's id names the change, so a redelivered revision is a repeat at the WMS and the next
revision a request of its own. Failures go as for the announcement: a `DeliveryError` is
retried, a 409 raises `transfer.inbound_wms_refused` and the high alert, worded for the day.

Nothing is ever withdrawn from the receiving WMS: only a transfer not yet shipped is
cancelled (`ship_to_store.cancel` releases a shipped one from its order instead, and it
keeps going), and only a shipped one is announced.

A transfer made (or shipped) before its WMS was configured had no WMS when its event came:
`ordo wms send-transfers` sends it later (`unsent_transfers`) through the same two sends,
`TransferReleaser.send` and `InboundTransferNotifier.announce`, which say what they did
(`Sent`) for it to print.

Its own module rather than a third job in `warehouse.py`: a transfer is another document
(its facts, its events, its repository), and that module is about shipments; both share
the location lookup (`ByLocation`) and the refusal's alert rule.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar

from connectors.base import FoundOrder, PermanentRefusal
from engine.adapters.bus.base import Message
from engine.domain import events
from engine.domain.catalog import Location
from engine.domain.inventory import InboundKind, InboundSupply
from engine.domain.orders import Order
from engine.domain.values import utcnow
from engine.service_layer import ship_to_store, shop_calls
from engine.service_layer.unit_of_work import UnitOfWork
from engine.service_layer.warehouse import (
    REFUSED_RULE,
    REFUSED_SEVERITY,
    AttemptStep,
    ByLocation,
    found_at_wms,
    keep_attempt,
)

log = logging.getLogger(__name__)

W = TypeVar("W")
# What a WMS is told of a transfer, from it and its route (`transfer_facts`, `inbound_facts`).
Facts = Callable[[InboundSupply, Location, Location, "Order | None"], dict[str, Any]]


class ReceivingWarehouse(Protocol):
    """A WMS connector (`connectors.base.WarehouseSystem`), as the inbound notifier uses it."""

    def send_inbound_transfer(self, transfer: Mapping[str, Any]) -> str | None: ...


class RevisingWarehouse(Protocol):
    """A WMS connector (`connectors.base.WarehouseSystem`), as the inbound updater uses it."""

    def update_inbound_transfer(
        self, reference: str, transfer: Mapping[str, Any], change_id: str
    ) -> bool: ...


class TransferringWarehouse(Protocol):
    """A WMS connector (`connectors.base.WarehouseSystem`), as the transfer releaser uses it."""

    def send_transfer(self, transfer: Mapping[str, Any]) -> str | None: ...

    def cancel_transfer(self, reference: str, transfer: Mapping[str, Any]) -> None: ...

    def find_transfer_order(self, transfer_id: str) -> FoundOrder: ...

    @property
    def entry_name(self) -> str: ...


def transfer_facts(
    transfer: InboundSupply, source: Location, destination: Location, order: Order | None
) -> dict[str, Any]:
    """What a WMS is told of a transfer out of a location it runs, as plain data
    (docs/integrations.md shows it on the wire): the sending location (`location_code`, as a
    fulfilment order names it, and `from`), where it goes (`to`), its lines, the day it is
    expected there and, for ship to store, the pickup order it is for (else null)."""
    return {
        "id": transfer.id,
        "location_code": source.code,
        "from": _place(source),
        "to": _place(destination),
        "lines": [{"sku": transfer.sku, "units": transfer.quantity}],
        "expected_on": transfer.expected_on.isoformat(),
        "order": _order_facts(transfer.order_id, order),
    }


def inbound_facts(
    transfer: InboundSupply, source: Location, destination: Location, order: Order | None
) -> dict[str, Any]:
    """What the WMS of a transfer's destination is told when it ships, as plain data
    (docs/integrations.md shows it on the wire): the location it is for (`location_code`,
    also `to`), where it comes from (`from`), its lines, its carrier, tracking number and
    the moment it left, the day it is due and the pickup order it is for (else null)."""
    shipped_at = transfer.shipped_at
    return {
        "id": transfer.id,
        "location_code": destination.code,
        "from": _place(source),
        "to": _place(destination),
        "lines": [{"sku": transfer.sku, "units": transfer.quantity}],
        "carrier": transfer.carrier,
        "tracking_number": transfer.tracking_number,
        "shipped_at": shipped_at.isoformat() if shipped_at is not None else None,
        "expected_on": transfer.expected_on.isoformat(),
        "order": _order_facts(transfer.order_id, order),
    }


def _place(location: Location) -> dict[str, Any]:
    address = location.address
    return {
        "code": location.code,
        "name": location.name,
        "address": {
            "line1": address.line1,
            "city": address.city,
            "state": address.state,
            "postal_code": address.postal_code,
            "country": address.country,
        },
    }


def _order_facts(order_id: str, order: Order | None) -> dict[str, Any] | None:
    if not order_id:
        return None
    if order is None:  # gone since (an erased customer's): its id is all there is
        return {"id": order_id, "reference": order_id, "channel": ""}
    return {"id": order.id, "reference": order.channel_order_id or order.id,
            "channel": order.channel}  # fmt: skip


@dataclass(frozen=True)
class Sent:
    """What one send of a transfer's document to a WMS came to: the name the WMS took it
    under (`reference`), or why nothing was sent (`why`, also logged); `refused` when the WMS
    said it never will (a 409 to an expected receipt: recorded, with its alert). The worker
    counts what was sent; `ordo wms send-transfers` prints all three."""

    reference: str = ""
    why: str = ""
    refused: bool = False


class _TransferObserver(ByLocation[W], abc.ABC):
    """A worker observer of transfer events (`handles`) for the WMS of one of the transfer's
    locations (`side`: the payload's `from_location` or `to_location`): each wanted event's
    transfer, read afresh, is handed to `_handle` in one transaction, counted when a WMS was
    told. An id that names no transfer (a purchase order's, or one gone) is logged."""

    name: ClassVar[str]
    handles: ClassVar[tuple[str, ...]]
    side: ClassVar[str]

    def wants(self, message: Message) -> bool:
        return (
            message.name in self.handles
            and self.warehouse_for(str(message.payload.get(self.side, ""))) is not None
        )

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if not self.wants(message):
            return
        with uow:
            transfer = self._read(uow, message)
            if transfer is None:
                return
            told = self._handle(message, uow, transfer)
            uow.commit()
        if told:
            self.sent += 1

    def _read(self, uow: UnitOfWork, message: Message) -> InboundSupply | None:
        """`message`'s transfer; None, logged, when it names none."""
        transfer_id = str(message.payload["transfer_id"])
        # Locked, across the WMS's answer: the lock is the claim on telling it (module's
        # doc), so `ordo wms send-transfers` sending the transfer at the same moment waits
        # and then finds it told.
        transfer = uow.inbound.get_for_update(transfer_id)
        if transfer is None or transfer.kind is not InboundKind.TRANSFER:
            log.warning("%s: transfer %s not found; nothing sent", self.name, transfer_id)
            return None
        return transfer

    @abc.abstractmethod
    def _handle(self, message: Message, uow: UnitOfWork, transfer: InboundSupply) -> bool:
        """Tell the WMS what `message` says of `transfer`; whether it was told."""

    def _not_sent(self, transfer: InboundSupply, why: str, warn: bool = False) -> Sent:
        """Nothing sent for `transfer`, and `why` (logged)."""
        (log.warning if warn else log.info)("%s: transfer %s %s", self.name, transfer.id, why)
        return Sent(why=why)

    def _gone(self, transfer: InboundSupply, so: str) -> Sent | None:
        """None while `transfer` is still pending; else what is not done (`so`) and why: it
        was received (a fast truck, a slow worker) or cancelled before its turn."""
        if transfer.pending:
            return None
        state = "cancelled" if transfer.cancelled else "received"
        return self._not_sent(transfer, f"is {state} now; {so}")

    def _telling(
        self, uow: UnitOfWork, transfer: InboundSupply, facts: Facts
    ) -> tuple[W, dict[str, Any]] | Sent:
        """The WMS of the observer's side of `transfer` and what to tell it (`facts` of the
        transfer and its route); why not when there is none, or Ordo no longer knows one of
        its locations."""
        location = (
            transfer.from_location if self.side == "from_location" else transfer.location_code
        )
        warehouse = self.warehouse_for(location)
        if warehouse is None:
            return self._not_sent(
                transfer, f"is for {location or 'no location'}, which no WMS runs"
            )
        route = _route(uow, transfer)
        if route is None:
            why = "names a location Ordo does not know; not sent"
            return self._not_sent(transfer, why, warn=True)
        return warehouse, facts(transfer, *route)


class _TooLate(Exception):
    """The WMS answered a transfer's cancellation 409: it shipped it (`said`: its answer),
    holding it as `reference` (found by asking it, when Ordo had kept none)."""

    def __init__(self, transfer_id: str, said: str, reference: str) -> None:
        super().__init__(said)
        self.transfer_id, self.said, self.reference = transfer_id, said, reference


class TransferReleaser(_TransferObserver[TransferringWarehouse]):
    """Worker observer: each new transfer to the WMS of the location it leaves, once, and its
    cancellation to the WMS holding it; one the WMS shipped already is reinstated (module's
    doc)."""

    name = "wms-transfers"
    handles: ClassVar[tuple[str, ...]] = (
        events.TransferRequested.name,
        events.TransferCancelled.name,
    )
    side = "from_location"

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        # A send's attempt first, committed on its own before the WMS is called (module's
        # doc). (In the worker this commit is the worker's, at the end: `TransferAttempts`
        # does it.)
        if message.name == events.TransferRequested.name and not self.attempt(message, uow):
            return
        try:
            super().__call__(message, uow)
        except _TooLate as late:
            # Afresh, the transfer locked again before it is read: its shipped report, which
            # reinstates it too, waited for the cancellation's lock and may come now, and the
            # two must not both book its units off the source. The rollback also starts the
            # worker's transaction, lent to this step, again.
            uow.rollback()
            _reinstate(uow, late.transfer_id, late.said, late.reference)

    def _handle(self, message: Message, uow: UnitOfWork, transfer: InboundSupply) -> bool:
        if message.name == events.TransferRequested.name:
            return bool(self.send(uow, transfer).reference)
        return self._cancel(uow, transfer)

    def attempt(self, message: Message, uow: UnitOfWork) -> bool:
        """Whether `message` requests a transfer due to be sent; if so, that it is being
        sent is kept on it in a transaction of its own (`set_out`)."""
        if not (self.wants(message) and message.name == events.TransferRequested.name):
            return False
        with uow:
            transfer = self._read(uow, message)
            return transfer is not None and self.set_out(uow, transfer)

    def set_out(self, uow: UnitOfWork, transfer: InboundSupply) -> bool:
        """Whether `transfer` is due to be sent (as `send` decides); if so, that Ordo set out
        to send it is kept (`warehouse.keep_attempt`), committing `uow`'s transaction. Before
        the WMS is called, in a transaction of its own: the worker's attempt, and `ordo wms
        send-transfers`' (module's doc)."""
        if isinstance(self._sending(uow, transfer), Sent):
            return False
        keep_attempt(uow, transfer)
        return True

    def send(self, uow: UnitOfWork, transfer: InboundSupply) -> Sent:
        """Send `transfer`'s transfer order to the WMS of the location it leaves, in `uow`'s
        transaction (the caller commits): its reference kept, `transfer.sent_to_wms`
        recorded. Not one sent before, nor one no longer pending. A failure raises the
        connector's `DeliveryError`. The worker's send, and `ordo wms send-transfers`'
        (`engine.service_layer.unsent_transfers`); each reads `transfer` locked
        (`get_for_update`), so of two at once the second finds it sent, and each has kept
        its attempt before (`set_out`)."""
        telling = self._sending(uow, transfer)
        if isinstance(telling, Sent):
            return telling
        warehouse, facts = telling
        reference = warehouse.send_transfer(facts)
        if reference is None:
            why = f"leaves {transfer.from_location}, whose WMS takes no transfers; shipped by hand"
            return self._not_sent(transfer, why)
        transfer.wms_reference = reference
        uow.record(
            events.TransferSentToWms(
                transfer.id, transfer.order_id, transfer.from_location, transfer.location_code,
                reference,
            )
        )  # fmt: skip
        return Sent(reference)

    def _sending(
        self, uow: UnitOfWork, transfer: InboundSupply
    ) -> tuple[TransferringWarehouse, dict[str, Any]] | Sent:
        """The WMS to send `transfer` to and what to tell it; why not (`_not_sent`) when it
        was sent before or is no longer pending, or there is none (`_telling`)."""
        if transfer.wms_reference:
            return self._not_sent(
                transfer, f"was sent before ({transfer.wms_reference}); not sent again"
            )
        gone = self._gone(transfer, "not sent")
        return gone or self._telling(uow, transfer, transfer_facts)

    def _cancel(self, uow: UnitOfWork, transfer: InboundSupply) -> bool:
        if not transfer.cancelled:
            # On its way again: its shipped report came first and reinstated it.
            log.info("%s: transfer %s is not cancelled now; nothing to cancel", self.name,
                     transfer.id)  # fmt: skip
            return False
        telling = self._telling(uow, transfer, transfer_facts)
        if isinstance(telling, Sent):
            return False
        warehouse, facts = telling
        if not transfer.wms_reference:
            if transfer.wms_attempted_at is None:
                # Never set out to send (cancelled before its send's turn): no WMS holds it.
                log.info("%s: transfer %s was never sent to a WMS; nothing to cancel",
                         self.name, transfer.id)  # fmt: skip
                return False
            # Ordo kept no reference: the WMS may hold it all the same (module's doc). If not,
            # a send still to come finds it cancelled and sends nothing.
            named = (
                f"transfer {transfer.id} of {transfer.quantity} {transfer.sku} from "
                f"{transfer.from_location} to {transfer.location_code}"
            )
            found = warehouse.find_transfer_order(transfer.id)
            transfer.wms_reference = found_at_wms(
                uow, found, transfer.id, named, warehouse.entry_name
            )
            if not transfer.wms_reference:
                return False
        try:
            warehouse.cancel_transfer(transfer.wms_reference, facts)
        except PermanentRefusal as refusal:
            raise _TooLate(transfer.id, str(refusal), transfer.wms_reference) from refusal
        uow.record(
            events.TransferWmsCancelled(
                transfer.id, transfer.order_id, transfer.from_location, transfer.wms_reference
            )
        )
        return True


class TransferAttempts(AttemptStep, TransferReleaser):
    """Worker observer, registered just before `TransferReleaser`: keeps that a transfer
    order's send is being attempted (`wms_attempted_at`) in a step of its own
    (`warehouse.AttemptStep`)."""

    name = "wms-transfer-attempt"
    handles = (events.TransferRequested.name,)


class InboundTransferNotifier(_TransferObserver[ReceivingWarehouse]):
    """Worker observer: each shipped transfer announced to the WMS of the location it goes
    to, once, as an expected receipt (module's doc)."""

    name = "wms-inbound-transfers"
    handles = (events.TransferShipped.name,)
    side = "to_location"

    def _handle(self, message: Message, uow: UnitOfWork, transfer: InboundSupply) -> bool:
        return bool(self.announce(uow, transfer).reference)

    def announce(self, uow: UnitOfWork, transfer: InboundSupply) -> Sent:
        """Send the expected receipt of shipped `transfer` to the WMS of the location it goes
        to, in `uow`'s transaction (the caller commits): the name the WMS knows it by kept,
        `transfer.inbound_sent_to_wms` recorded. Not one announced before, nor one no longer
        pending. A 409 records the refusal and its alert (`refused`); any other failure
        raises the connector's `DeliveryError`. The worker's send, and `ordo wms
        send-transfers`' (`engine.service_layer.unsent_transfers`)."""
        if transfer.inbound_reference:
            why = f"is expected at {transfer.location_code} already ({transfer.inbound_reference})"
            return self._not_sent(transfer, f"{why}; not sent again")
        gone = self._gone(transfer, "not announced")
        telling = gone or self._telling(uow, transfer, inbound_facts)
        if isinstance(telling, Sent):
            return telling
        warehouse, facts = telling
        try:
            reference = warehouse.send_inbound_transfer(facts)
        except PermanentRefusal as refusal:
            _inbound_refused(uow, transfer, str(refusal))
            return Sent(why=str(refusal), refused=True)
        if reference is None:
            why = (
                f"goes to {transfer.location_code}, whose WMS takes no transfers; received by hand"
            )
            return self._not_sent(transfer, why)
        transfer.inbound_reference = reference
        uow.record(
            events.TransferInboundSentToWms(
                transfer.id, transfer.order_id, transfer.from_location, transfer.location_code,
                reference,
            )
        )  # fmt: skip
        return Sent(reference)


class InboundTransferUpdater(_TransferObserver[RevisingWarehouse]):
    """Worker observer: a revised arrival day of a transfer the receiving WMS expects, to
    that WMS, once per revision (module's doc)."""

    name = "wms-inbound-transfer-updates"
    handles = (events.TransferArrivalRevised.name,)
    side = "to_location"

    def _handle(self, message: Message, uow: UnitOfWork, transfer: InboundSupply) -> bool:
        change_id = message.event_id
        if not transfer.inbound_reference:
            # Never announced (no WMS took it), or not yet: an announcement still to go reads
            # the transfer when it is sent, so it carries this day already.
            log.info("%s: the WMS of %s does not expect transfer %s; nothing to revise",
                     self.name, transfer.location_code, transfer.id)  # fmt: skip
            return False
        gone = self._gone(transfer, "its day is not sent")
        telling = gone or self._telling(uow, transfer, inbound_facts)
        if isinstance(telling, Sent):
            return False
        warehouse, facts = telling
        try:
            sent = warehouse.update_inbound_transfer(transfer.inbound_reference, facts, change_id)
        except PermanentRefusal as refusal:
            _inbound_refused(uow, transfer, str(refusal), revised=True)
            return False
        if not sent:
            log.info("%s: the WMS of %s takes no transfers now; it keeps the day of %s it "
                     "was sent", self.name, transfer.location_code, transfer.id)  # fmt: skip
            return False
        uow.record(
            events.TransferInboundUpdatedAtWms(
                transfer.id, transfer.order_id, transfer.from_location, transfer.location_code,
                transfer.inbound_reference, transfer.expected_on.isoformat(),
            )
        )  # fmt: skip
        return True


def _route(
    uow: UnitOfWork, transfer: InboundSupply
) -> tuple[Location, Location, Order | None] | None:
    """A transfer's source, destination and order (None when it has none, or it is gone);
    None when Ordo no longer knows one of its locations."""
    source = uow.locations.get(transfer.from_location)
    destination = uow.locations.get(transfer.location_code)
    if source is None or destination is None:
        return None
    order = uow.orders.get(transfer.order_id) if transfer.order_id else None
    return source, destination, order


def _reinstate(uow: UnitOfWork, transfer_id: str, said: str, reference: str) -> None:
    """The WMS shipped a transfer Ordo cancelled, holding it as `reference`: its units are on
    their way, so the transfer is too (`ship_to_store.reinstate`). Once: a redelivered
    refusal, or one whose shipped report reinstated the transfer first, finds it no longer
    cancelled."""
    log.warning("wms-transfers: transfer %s: %s", transfer_id, said)
    with uow:
        transfer = uow.inbound.get_for_update(transfer_id)
        if transfer is None or not transfer.cancelled:
            log.info("wms-transfers: transfer %s is not cancelled now; nothing to reinstate",
                     transfer_id)  # fmt: skip
            return
        # Read afresh: a reference the WMS was asked for went with the rolled-back step.
        transfer.wms_reference = transfer.wms_reference or reference
        uow.record(
            events.TransferWmsRefused(
                transfer.id, transfer.order_id, transfer.from_location,
                transfer.wms_reference, said,
            )
        )  # fmt: skip
        ship_to_store.reinstate(uow, transfer, said, shop_calls.ACTOR)
        uow.commit()


def _inbound_refused(
    uow: UnitOfWork, transfer: InboundSupply, said: str, revised: bool = False
) -> None:
    """The receiving WMS will not expect a shipped transfer (or, `revised`, will not take
    its new arrival day): record so, and ask a person to see it received all the same."""
    log.warning("wms-inbound-transfers: transfer %s: %s", transfer.id, said)
    destination = transfer.location_code
    uow.record(events.TransferInboundWmsRefused(transfer.id, transfer.order_id, destination, said))
    units = f"{transfer.quantity} {transfer.sku}"
    refused = (
        f"refused its revised arrival day for the expected receipt it holds as "
        f"{transfer.inbound_reference}, so the dock there may expect it on another day. Tell "
        f"them when it is due"
        if revised
        else "refused its expected receipt, so the dock there may not expect it. Tell them "
        "it is coming"
    )
    uow.record(
        events.AlertTriggered(
            rule=REFUSED_RULE,
            key=transfer.id,
            severity=REFUSED_SEVERITY,
            message=(
                f"Transfer {transfer.id} of {units} from {transfer.from_location} to "
                f"{destination} (shipped with {transfer.carrier} under "
                f"{transfer.tracking_number}, due {transfer.expected_on.isoformat()}): the "
                f"WMS of {destination} {refused}; when it arrives, receive it there "
                f"and count it in Ordo (POST /v1/inventory/transfers/{transfer.id}/receive). "
                f"{said}"
            ),
            at=utcnow().isoformat(),
        )
    )
