"""A packed shipment keeps its parcels: the Decider plans them with each shipment (box, size,
gross and billable weight, units by SKU, as its trace shows them) and the shipment made from
the decision stores them; without a box catalogue a shipment has none, as before."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.fulfilment import Parcel
from engine.pipeline.packing import load_packaging
from engine.service_layer.handlers import add_shipments
from tests.support import builders as b
from tests.unit.pipeline.test_parcel_count_carrier_rule import BOXES, decide

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


def medium(weight: float, plates: int) -> Parcel:
    return Parcel("MEDIUM", 45.0, 35.0, 25.0, weight, weight, {"PLATE": plates})


def test_the_decider_plans_each_shipment_with_the_parcels_its_trace_shows() -> None:
    decision = decide(5, load_packaging(BOXES))  # 50 kg of plates: boxes of 20 kg at most

    [shipment] = decision.shipments
    assert shipment.parcels == (medium(20.55, 2), medium(20.55, 2), medium(10.55, 1))
    traced = decision.trace["carriers"]["EWR-01"]["packing"]["parcels"]
    assert [
        (p["box"], p["gross_weight_kg"], p["billable_weight_kg"], p["units"]) for p in traced
    ] == [(p.box, p.weight_kg, p.billable_weight_kg, p.units) for p in shipment.parcels]


def test_without_a_box_catalogue_a_planned_shipment_has_no_parcels() -> None:
    [shipment] = decide(5, None).shipments
    assert shipment.parcels == ()


def test_the_shipment_made_from_the_decision_keeps_its_parcels() -> None:
    decision = decide(5, load_packaging(BOXES))
    uow = InMemoryUnitOfWork()
    with uow:
        [made] = add_shipments(uow, b.an_order(id="O-1"), decision, NOW)
        uow.commit()

    with uow:
        stored = uow.shipments.get(made.id)
        assert stored is not None
        assert stored.parcels == [medium(20.55, 2), medium(20.55, 2), medium(10.55, 1)]
        assert all(parcel.tracking_number == "" for parcel in stored.parcels)
