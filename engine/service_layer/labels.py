"""Shipping labels and return labels, printed through the carrier connector and kept.

A shipment's label comes from the carrier and service the pipeline chose for it, through
that carrier's connector (`carriers`, built by the composition root from the loaded rate
cards): from the shipping location to the order's ship-to address. A return's label goes
the other way, from the order's ship-to address to the location the return is sent back to,
and carries the RMA. It travels with the carrier of the order's first shipment, in that
carrier's cheapest service for the parcel (its units' weight, from the customer's postal
code to the location's); made once, its carrier and service stay with the return.

The tracking number and the label's format are stored on the shipment (or the return); the
label itself is kept apart (`uow.labels`), as only its download reads it. The tracking
number is issued once and never changes: asked again in the same format the stored label is
the answer (nothing is written, audited or raised), and in the other format the same number
is printed again. A label is audited (`shipment.label`, `return.label`) and raised as an
event (`shipment.labelled`, `return.labelled`) in the same commit. Whether to print is
decided with the shipment's (or return's) row locked, so two requests at once print once.

A shipment packed into two parcels or more (`shipment.parcels`) is printed as a label per
parcel in one document, each parcel's tracking number kept with it, the first being the
shipment's; like the shipment's, they are issued once and printed again in the other format.
A shipment of one parcel is printed as one not packed, and its parcel takes its number.

A field the label needs that Ordo does not have (an order's ship-to without a street, a
location without a name) is a 409 naming the field and where it comes from, so the person
asking knows what to correct.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from connectors.base import Carrier, DeliveryError, PermanentRefusal, ShippingLabel
from engine.domain import commands, events
from engine.domain.catalog import Location
from engine.domain.errors import Conflict, DomainError, NotFound, Unavailable
from engine.domain.fulfilment import (
    FulfillmentOrder,
    Label,
    Parcel,
    Return,
    ReturnStatus,
    ShipmentStatus,
)
from engine.domain.orders import Order
from engine.domain.values import Address
from engine.service_layer import audit
from engine.service_layer.handlers import Clock, existing_order
from engine.service_layer.returns import return_location
from engine.service_layer.unit_of_work import UnitOfWork

FORMATS = ("pdf", "zpl")

# A carrier connector by carrier code; None for a carrier that has none.
CarrierLookup = Callable[[str], Carrier | None]

# A return whose products have no weight on record is quoted as the lightest of parcels.
UNWEIGHED_PARCEL_KG = 0.1


class NoLabel(NotFound):
    """A label asked for before one was made: a 404 saying how to make it."""

    code = "no_label"

    def __init__(self, entity: str, key: str, plural: str) -> None:
        super().__init__(entity, key)
        self.message = (
            f"{entity} {key} has no label yet: make one first "
            f"(POST /v1/{plural}/{key}/label with its format)"
        )
        self.args = (self.message,)


def no_carriers(code: str) -> Carrier | None:
    """The lookup of a bus built without carrier connectors (tests, tools): none."""
    return None


def label_shipment(
    cmd: commands.LabelShipment, uow: UnitOfWork, clock: Clock, carriers: CarrierLookup
) -> bool:
    """Print the shipment's label in `cmd.format` and keep it; False (nothing written) when
    the shipment has that label already."""
    _check_format(cmd.format)
    with uow:
        # Under a row lock: two requests at once are decided one after the other, so the
        # second finds the first's label rather than printing and auditing it again.
        shipment = uow.shipments.get_for_update(cmd.shipment_id)
        if shipment is None:
            raise NotFound("shipment", cmd.shipment_id)
        if shipment.status is ShipmentStatus.CANCELLED:
            raise Conflict(
                f"shipment {shipment.id} is cancelled: nothing will be sent, so it gets no label"
            )
        if shipment.is_pickup:
            raise Conflict(
                f"shipment {shipment.id} is collected by the customer at "
                f"{shipment.location_code} (click and collect): no carrier takes it, so it "
                "gets no label"
            )
        if not shipment.carrier or not shipment.service:
            raise Conflict(
                f"shipment {shipment.id} has no carrier chosen yet, so there is nobody to "
                "print its label for; it gets one when its order is decided"
            )
        if shipment.label_format == cmd.format:
            return False
        order = existing_order(uow, shipment.order_id)
        location = _location(uow, shipment.location_code)
        fields = {
            **_address("from", location.address, location.name),
            **_address("to", order.ship_to),
            "id": shipment.id,
            "reference": order.channel_order_id or order.id,
            "ship_date": _ship_date(shipment, clock),
            "tracking_number": shipment.tracking_number,
            # The label it has now ("" for none): with a tracking number, the other format of
            # that label is asked; without, the number's label was voided (packed again) or
            # a location reported the number before any label.
            "label_format": shipment.label_format,
        }
        weight = _weight(uow, [(line.sku, line.quantity) for line in shipment.lines])
        if weight is not None:
            fields["weight_kg"] = weight
        if len(shipment.parcels) > 1:
            fields["parcels"] = [_parcel_fields(parcel) for parcel in shipment.parcels]
        sources = {**_location_fields("from", location), **_order_fields("to", order)}
        label = _print(
            _carrier(carriers, shipment.carrier, f"shipment {shipment.id}"),
            fields,
            shipment.service,
            cmd.format,
            f"shipment {shipment.id}",
            sources,
        )
        numbers = _parcel_numbers(shipment, label)
        before = {
            "tracking_number": shipment.tracking_number,
            "label_format": shipment.label_format,
        }
        shipment.tracking_number = label.tracking_number
        shipment.label_format = label.format
        shipment.parcels = [
            replace(parcel, tracking_number=number)
            for parcel, number in zip(shipment.parcels, numbers, strict=True)
        ]
        uow.labels.put("shipment", shipment.id, Label(label.format, label.content))
        uow.record(
            events.ShipmentLabelled(
                shipment.id,
                shipment.order_id,
                shipment.location_code,
                shipment.carrier,
                shipment.service,
                label.tracking_number,
                label.format,
            )
        )
        after = {"tracking_number": label.tracking_number, "label_format": label.format}
        audit.record(uow, cmd.actor, "shipment.label", "shipment", shipment.id, before, after)
        uow.commit()
        return True


def label_return(
    cmd: commands.LabelReturn, uow: UnitOfWork, clock: Clock, carriers: CarrierLookup
) -> bool:
    """Print an authorised return's label in `cmd.format` and keep it for the return; False
    (nothing written) when the return has that label already."""
    _check_format(cmd.format)
    with uow:
        # Under a row lock, as a shipment's label: two requests at once would otherwise both
        # print, giving the parcel two tracking numbers and the audit two entries.
        found = uow.returns.get_for_update(cmd.return_id)
        if found is None:
            raise NotFound("return", cmd.return_id)
        _check_authorised(found)
        destination = cmd.location_code or found.location_code
        if not destination:
            raise Conflict(
                f"return {found.id} has no receiving location yet, so its label has nowhere "
                "to send the parcel: support names one (location_code) when asking for it"
            )
        if found.label_format and destination != found.location_code:
            raise Conflict(
                f"return {found.id} already has a label sending it to {found.location_code} "
                f"(tracking number {found.tracking_number}), which the customer may have "
                f"printed: it cannot be sent to {destination} instead"
            )
        if found.label_format == cmd.format:
            return False
        location = return_location(uow, destination)
        order = existing_order(uow, found.order_id)
        units = [(line.sku, line.quantity) for line in found.lines]
        weight = _weight(uow, units)
        if found.carrier:
            carrier_code, service = found.carrier, found.service
        else:
            carrier_code, service = _return_carrier(
                uow, carriers, found, order, location, units, weight, clock
            )
        fields = {
            **_address("from", order.ship_to),
            **_address("to", location.address, location.name),
            "id": found.id,
            "reference": order.channel_order_id or order.id,
            "rma": found.rma,
            "ship_date": clock().date(),
            "tracking_number": found.tracking_number,
            "label_format": found.label_format,
        }
        if weight is not None:
            fields["weight_kg"] = weight
        sources = {**_order_fields("from", order), **_location_fields("to", location)}
        label = _print(
            _carrier(carriers, carrier_code, f"return {found.id}"),
            fields,
            service,
            cmd.format,
            f"return {found.id}",
            sources,
        )
        before = _return_summary(found)
        found.location_code = location.code
        found.carrier, found.service = carrier_code, service
        found.tracking_number = label.tracking_number
        found.label_format = label.format
        uow.labels.put("return", found.id, Label(label.format, label.content))
        uow.record(
            events.ReturnLabelled(
                found.id,
                found.order_id,
                found.rma,
                found.location_code,
                carrier_code,
                service,
                label.tracking_number,
                label.format,
            )
        )
        audit.record(
            uow, cmd.actor, "return.label", "return", found.id, before, _return_summary(found)
        )
        uow.commit()
        return True


def _parcel_fields(parcel: Parcel) -> dict[str, Any]:
    """A parcel of the shipment as the carrier's label takes it (`parcels`)."""
    fields: dict[str, Any] = {
        "weight_kg": parcel.weight_kg,
        "length_cm": parcel.length_cm,
        "width_cm": parcel.width_cm,
        "height_cm": parcel.height_cm,
    }
    if parcel.tracking_number:
        fields["tracking_number"] = parcel.tracking_number
    return fields


def _parcel_numbers(shipment: FulfillmentOrder, label: ShippingLabel) -> list[str]:
    """Each of the shipment's parcels' tracking number from its label: a one-parcel
    shipment's is the label's; a carrier that printed one label for several parcels (its
    connector knows nothing of parcels) is a 409 rather than boxes without a number."""
    if len(shipment.parcels) <= 1:
        return [label.tracking_number] * len(shipment.parcels)
    numbers = list(label.parcel_tracking_numbers)
    if len(numbers) != len(shipment.parcels):
        raise Conflict(
            f"shipment {shipment.id} is packed in {len(shipment.parcels)} parcels, and "
            f"carrier {shipment.carrier} printed labels for {len(numbers) or 1}: its connector "
            "does not label parcel by parcel"
        )
    return numbers


def _check_format(format: str) -> None:
    if format not in FORMATS:
        raise DomainError(f"no label format '{format}': expected one of {', '.join(FORMATS)}")


def _check_authorised(found: Return) -> None:
    if found.status is ReturnStatus.AUTHORISED:
        return
    why = {
        ReturnStatus.REQUESTED: "authorise it first: the label carries its RMA number",
        ReturnStatus.RECEIVED: "its parcel has arrived already",
        ReturnStatus.REFUNDED: "its parcel has arrived already",
        ReturnStatus.REJECTED: "a rejected return is not sent back",
    }[found.status]
    raise Conflict(
        f"return {found.id} is '{found.status}': only an authorised return gets a label; {why}"
    )


def _return_carrier(
    uow: UnitOfWork,
    carriers: CarrierLookup,
    found: Return,
    order: Order,
    location: Location,
    units: list[tuple[str, int]],
    weight: float | None,
    clock: Clock,
) -> tuple[str, str]:
    """The carrier of the order's first shipment, and its cheapest service for the return
    parcel from the customer's postal code to the location's."""
    shipped = sorted(
        (s for s in uow.shipments.for_order(order.id) if s.carrier),
        key=lambda s: (s.created_at, s.id),
    )
    if not shipped:
        raise Conflict(
            f"return {found.id}: order {order.id} has no shipment with a carrier, whose "
            "carrier would take the parcel back"
        )
    code = shipped[0].carrier
    carrier = _carrier(carriers, code, f"return {found.id}")
    products = uow.products.read_many(sku for sku, _ in units)
    parcel = {
        "weight_kg": weight or UNWEIGHED_PARCEL_KG,
        "from_postal_code": order.ship_to.postal_code,
        "to_postal_code": location.address.postal_code,
        "hazmat": any(product.hazmat for product in products.values()),
        "now": clock(),
    }
    try:
        quotes = carrier.rates(parcel)
    except DeliveryError as error:
        what = f"return {found.id}: carrier {code} cannot rate its parcel: {error}"
        raise _refusal(error, what) from None
    if not quotes:
        raise Conflict(
            f"return {found.id}: carrier {code} (of the order's first shipment) has no service "
            f"that takes its parcel ({parcel['weight_kg']:g} kg"
            f"{', dangerous goods' if parcel['hazmat'] else ''}) to {location.code}"
        )
    cheapest = min(quotes, key=lambda q: (q.amount, q.transit_days, q.service))
    return code, cheapest.service


def _carrier(carriers: CarrierLookup, code: str, what: str) -> Carrier:
    carrier = carriers(code)
    if carrier is None:
        raise Conflict(
            f"{what}: carrier {code} has no connector to print labels with (no rate card "
            "under rulesets/carriers/ has that code)"
        )
    return carrier


def _print(
    carrier: Carrier,
    fields: Mapping[str, Any],
    service: str,
    format: str,
    what: str,
    sources: Mapping[str, str],
) -> ShippingLabel:
    """The carrier's label, or a 409 naming the field it lacked and where that comes from
    (a 503 when the carrier could not be reached: `_refusal`)."""
    try:
        return carrier.label(fields, service, format)
    except DeliveryError as error:
        source = sources.get(getattr(error, "field", ""))  # a ShipmentError names its field
        where = f" ({source})" if source else ""
        raise _refusal(error, f"{what} cannot be labelled: {error}{where}") from None


def _refusal(error: DeliveryError, message: str) -> DomainError:
    """What a carrier's refusal is to the person asking: a 409 when the carrier will never
    do it as asked (`PermanentRefusal`, or a field of the shipment it cannot take, which a
    `ShipmentError` names); else the carrier's API did not answer or failed on its side,
    which asking again shortly may mend (503). A carrier API's connector finds a label it
    bought before it lost the answer, so asking again does not buy a second one."""
    if isinstance(error, PermanentRefusal) or bool(getattr(error, "field", "")):
        return Conflict(message)
    return Unavailable(f"{message}; nothing is wrong with the request: try again shortly")


_PARTS = ("line1", "city", "state", "postal_code", "country")


def _location_fields(end: str, location: Location) -> dict[str, str]:
    """Where each `from_`/`to_` field of a location's end comes from, to name in a refusal."""
    return {
        f"{end}_name": f"location {location.code}'s name",
        **{f"{end}_{part}": f"location {location.code}'s address.{part}" for part in _PARTS},
    }


def _order_fields(end: str, order: Order) -> dict[str, str]:
    """The same for the customer's end: the order's ship-to address."""
    return {f"{end}_{part}": f"order {order.id}'s ship_to.{part}" for part in ("name", *_PARTS)}


def _address(end: str, address: Address, name: str = "") -> dict[str, Any]:
    """`address` as the label's `from_...` or `to_...` fields; a location's own name first."""
    return {
        f"{end}_name": name or address.name,
        f"{end}_line1": address.line1,
        f"{end}_city": address.city,
        f"{end}_state": address.state,
        f"{end}_postal_code": address.postal_code,
        f"{end}_country": address.country,
    }


def _ship_date(shipment: FulfillmentOrder, clock: Clock) -> date:
    """The day it left, for a label printed again after; else the day it is planned to
    ship (`planned_ship_date`) when that is today or later, as a label printed ahead is
    for the day the carrier takes it; else (none planned, or the day passed) the day it is
    printed."""
    if shipment.shipped_at is not None:
        return shipment.shipped_at.date()
    today = clock().date()
    planned = shipment.planned_ship_date
    return planned if planned is not None and planned >= today else today


def _weight(uow: UnitOfWork, units: list[tuple[str, int]]) -> float | None:
    """The units' weight in kg, or None when a product's weight is not on record."""
    products = uow.products.read_many(sku for sku, _ in units)
    total = 0.0
    for sku, quantity in units:
        product = products.get(sku)
        if product is None or product.weight_kg <= 0:
            return None
        total += product.weight_kg * quantity
    return round(total, 3)


def _location(uow: UnitOfWork, code: str) -> Location:
    location = uow.locations.get(code)
    if location is None:
        raise NotFound("location", code)
    return location


def _return_summary(found: Return) -> dict[str, str]:
    return {
        "location_code": found.location_code,
        "carrier": found.carrier,
        "service": found.service,
        "tracking_number": found.tracking_number,
        "label_format": found.label_format,
    }


COMMAND_HANDLERS: dict[type[commands.Command], Callable[..., Any]] = {
    commands.LabelShipment: label_shipment,
    commands.LabelReturn: label_return,
}
