"""The release a WMS gets names a packed shipment's parcels (box, units by SKU, weight, size,
tracking number once labelled) after everything it named before; an unpacked shipment's
release is the body it always was, without `parcels`."""

from __future__ import annotations

from engine.domain.fulfilment import Parcel
from engine.service_layer.warehouse import fulfilment_order_facts
from tests.support.builders import a_shipment, an_order

PARCELS = [
    Parcel("MEDIUM", 45.0, 35.0, 25.0, 5.55, 7.875, {"BOOTS": 2, "MUG": 1}, "PCL000000000001"),
    Parcel("", 140.0, 20.0, 20.0, 4.0, 4.0, {"TENT": 1}, "PCL000000000002"),
]


def test_a_packed_shipments_release_lists_its_parcels_last() -> None:
    unpacked = fulfilment_order_facts(a_shipment(), an_order())
    facts = fulfilment_order_facts(a_shipment(parcels=PARCELS), an_order())

    assert list(facts) == [*unpacked, "parcels"]
    assert {k: v for k, v in facts.items() if k != "parcels"} == unpacked
    assert facts["parcels"] == [
        {"box": "MEDIUM", "units": [{"sku": "BOOTS", "units": 2}, {"sku": "MUG", "units": 1}],
         "weight_kg": 5.55, "dimensions_cm": [45.0, 35.0, 25.0],
         "tracking_number": "PCL000000000001"},
        {"box": None, "units": [{"sku": "TENT", "units": 1}], "weight_kg": 4.0,
         "dimensions_cm": [140.0, 20.0, 20.0], "tracking_number": "PCL000000000002"},
    ]  # fmt: skip


def test_an_unpacked_shipments_release_has_no_parcels_field() -> None:
    assert "parcels" not in fulfilment_order_facts(a_shipment(), an_order())


def test_a_parcel_not_labelled_yet_has_a_null_tracking_number() -> None:
    unlabelled = [Parcel("SMALL", 30.0, 25.0, 15.0, 1.05, 2.25, {"MUG": 2})]
    facts = fulfilment_order_facts(a_shipment(parcels=unlabelled), an_order())
    assert facts["parcels"][0]["tracking_number"] is None
