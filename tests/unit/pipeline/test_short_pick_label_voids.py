"""A short pick that makes a shipment's label void tells its carrier's void in the same
commit: the old boxes' label, packed again, names every number it carried (the boxes' as
well as the shipment's); a shipment the short pick cancelled has its label voided and its
document dropped."""

from __future__ import annotations

from engine.domain import commands as c
from engine.domain import events
from tests.unit.pipeline.test_short_pick_repacking import (
    SHOEBOXES,
    a_bus,
    an_order_of_three_shoes,
    short_one,
)


def test_boxes_packed_again_void_the_old_label_with_every_number_it_carried() -> None:
    bus, uow = a_bus(SHOEBOXES)
    planned = an_order_of_three_shoes(bus, uow)
    bus.handle(c.LabelShipment(planned.id, "zpl"))
    with uow:
        labelled = uow.shipments.get(planned.id)
        assert labelled is not None
    old = [parcel.tracking_number for parcel in labelled.parcels]
    uow.committed_events.clear()

    short_one(bus, uow, planned.id)

    [voided] = [e for e in uow.committed_events if isinstance(e, events.ShipmentLabelVoided)]
    assert (voided.shipment_id, voided.carrier) == (planned.id, labelled.carrier)
    assert voided.tracking_numbers == old and len(old) == 3
    assert voided.reason == "packed again into new boxes after a short pick"


def test_a_shipment_a_short_pick_cancels_has_its_label_voided_and_its_document_dropped() -> None:
    bus, uow = a_bus(SHOEBOXES)
    planned = an_order_of_three_shoes(bus, uow)
    bus.handle(c.LabelShipment(planned.id, "pdf"))
    uow.committed_events.clear()

    bus.handle(c.ReportShortPick(planned.id, (c.ShortLineInput(3, sku="SHOE"),), "flooded"))

    [voided] = [e for e in uow.committed_events if isinstance(e, events.ShipmentLabelVoided)]
    assert len(voided.tracking_numbers) == 3
    with uow:
        shipment = uow.shipments.get(planned.id)
        assert shipment is not None and (shipment.status, shipment.label_format) == (
            "cancelled", ""
        )  # fmt: skip
        assert uow.labels.get("shipment", planned.id) is None
