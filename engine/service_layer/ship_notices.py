"""The 856 advance ship notice: a shipment of an order that came in by EDI has shipped, and
the trading partner is told what is on its way, into the partner's mailbox.

`ShipNoticeWriter` is a worker observer of `shipment.status_changed` to `shipped`. The order
is an EDI order when Ordo kept what its 850 said (`uow.edi.purchase_order`, by channel and
PO number); any other order gets no 856. The notice names the partner's PO number and date,
each line by the partner's PO101 and the product ids they sent, the units shipped, the
carrier's SCAC and name, the tracking number, the ship date, the location it left and the
ship-to; a shipment packed into boxes has a carton per parcel, with its own tracking number
and the lines' units in it. It is written with the partner's envelope and delimiters and the
pair's next control number, and kept in `edi_outbound` for the partner's gateway
(`GET /v1/edi/outbound`), all in the worker's transaction.

One 856 per shipment: a redelivered event finds the one written before and writes nothing
(and the store's unique (kind, reference) refuses a second written at the same time). One
the partner's 997 rejected is written again only when a person asks
(engine.service_layer.edi_resends), about `<shipment id>#<n>` (`written_again`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime

from connectors.channels.x12_outbound import (
    Party,
    ShipNotice,
    ShippedItem,
    ShippedPack,
    ship_notice,
)
from engine.adapters.bus.base import Message
from engine.domain.catalog import Location
from engine.domain.edi import SHIP_NOTICE, EdiPurchaseOrder, next_reference
from engine.domain.fulfilment import FulfillmentOrder, ShipmentLine, ShipmentStatus
from engine.domain.orders import Order
from engine.domain.values import utcnow
from engine.service_layer import edi
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# An Ordo location's code, as N103 qualifies it: assigned by the seller.
SELLER_ASSIGNED = "91"


class ShipNoticeWriter:
    """Worker observer: an 856 for each shipped shipment of an EDI order, once."""

    name = "edi-ship-notices"

    def __init__(
        self, carrier_names: Mapping[str, str], clock: Callable[[], datetime] = utcnow
    ) -> None:
        # Carrier code (the SCAC) -> its name, from the rate cards.
        self.carrier_names = dict(carrier_names)
        self.clock = clock
        self.written = 0

    def wants(self, message: Message) -> bool:
        return (
            message.name == "shipment.status_changed"
            and message.payload.get("to_status") == ShipmentStatus.SHIPPED.value
        )

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if not self.wants(message):
            return
        shipment_id = str(message.payload["shipment_id"])
        with uow:
            if uow.edi.document_about(SHIP_NOTICE, shipment_id) is not None:
                log.info("%s: shipment %s has its 856 already", self.name, shipment_id)
                return
            shipment = uow.shipments.get(shipment_id)
            order = uow.orders.get(shipment.order_id) if shipment is not None else None
            if shipment is None or order is None:
                log.warning("%s: shipment %s or its order not found", self.name, shipment_id)
                return
            purchase_order = uow.edi.purchase_order(order.channel, order.channel_order_id)
            if purchase_order is None:
                return  # not an order that came in by EDI
            notice = self.notice(
                shipment, order, purchase_order, uow.locations.get(shipment.location_code)
            )
            envelope = purchase_order.envelope

            def write(number: int, at: datetime) -> str:
                return ship_notice(envelope, notice, control_number=number, at=at)

            edi.mail(uow, purchase_order, order, SHIP_NOTICE, shipment.id, write, self.clock())
            uow.commit()
        self.written += 1

    def written_again(
        self,
        uow: UnitOfWork,
        shipment: FulfillmentOrder,
        order: Order,
        purchase_order: EdiPurchaseOrder,
    ) -> tuple[str, ShipNotice]:
        """The 856 that replaces one of `shipment`'s the partner rejected, read from the
        shipment, its order and its location as they stand now, and its reference (the
        shipment's next 856: `<shipment id>#<n>`)."""
        about = uow.edi.documents_about_orders([order.id])
        references = (d.reference for d in about if d.kind == SHIP_NOTICE)
        location = uow.locations.get(shipment.location_code)
        notice = self.notice(shipment, order, purchase_order, location)
        return next_reference(shipment.id, references), notice

    def notice(
        self,
        shipment: FulfillmentOrder,
        order: Order,
        purchase_order: EdiPurchaseOrder,
        location: Location | None,
    ) -> ShipNotice:
        ship_from = Party(shipment.location_code, SELLER_ASSIGNED, shipment.location_code)
        if location is not None:
            where = location.address
            ship_from = Party(
                location.name, SELLER_ASSIGNED, location.code,
                where.line1, where.city, where.state, where.postal_code, where.country,
            )  # fmt: skip
        to = order.ship_to
        ship_to = Party(
            to.name, purchase_order.ship_to_qualifier, purchase_order.ship_to_code,
            to.line1, to.city, to.state, to.postal_code, to.country,
        )  # fmt: skip
        return ShipNotice(
            shipment_id=shipment.id,
            po_number=purchase_order.po_number,
            po_date=purchase_order.po_date,
            shipped_at=shipment.shipped_at or self.clock(),
            carrier_code=shipment.carrier,
            carrier_name=self.carrier_names.get(shipment.carrier, shipment.carrier),
            tracking_number=shipment.tracking_number,
            ship_from=ship_from,
            ship_to=ship_to,
            items=tuple(_item(line, purchase_order) for line in shipment.lines),
            packs=_packs(shipment, purchase_order),
        )


def _packs(shipment: FulfillmentOrder, purchase_order: EdiPurchaseOrder) -> tuple[ShippedPack, ...]:
    """The shipment's parcels as cartons, each with the lines' units in it. A parcel holds
    units by SKU; a SKU on several lines fills them in the lines' order. No cartons for a
    shipment not packed, nor for one whose parcels do not hold its lines' units: its 856
    then names its lines alone, as an unpacked shipment's does."""
    left = {id(line): line.quantity for line in shipment.lines}
    packs = []
    for parcel in shipment.parcels:
        inside: list[ShippedItem] = []
        for sku, units in parcel.units.items():
            for line in shipment.lines:
                taken = min(units, left[id(line)]) if line.sku == sku else 0
                if taken:
                    left[id(line)] -= taken
                    units -= taken
                    inside.append(_item(replace(line, quantity=taken), purchase_order))
            if units:
                return ()
        packs.append(ShippedPack(parcel.tracking_number, parcel.weight_kg, tuple(inside)))
    return () if any(left.values()) else tuple(packs)


def _item(line: ShipmentLine, purchase_order: EdiPurchaseOrder) -> ShippedItem:
    """A shipment line as the partner ordered it. A kit's component (`<PO101>.<n>`) is named
    under the kit's line by the component's SKU, as what shipped is the component; a line the
    850 did not have (added to the order since) by its SKU alone."""
    sent = purchase_order.line_for(line.order_line_id, line.sku)
    ours = (("VP", line.sku),)
    if sent is None:
        return ShippedItem("", ours, line.quantity)
    ids = sent.product_ids if sent.sku == line.sku and sent.product_ids else ours
    return ShippedItem(sent.line_number, ids, line.quantity, sent.unit)
