"""A carrier rule reads how many parcels a shipment was packed into (`shipment.parcels`) and
what they weigh with their boxes (`shipment.gross_weight`): checked when the ruleset is
saved, evaluated on every shipment the Decider plans."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from pathlib import Path

import dsl
from engine.domain.catalog import Location, LocationType, Product
from engine.domain.inventory import Stock
from engine.domain.orders import Order, OrderLine
from engine.domain.packaging import BoxCatalog
from engine.domain.values import Address, Dimensions
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, DeciderSettings, Decision
from engine.pipeline.packing import load_packaging
from engine.pipeline.stock_view import SnapshotStockView
from engine.rules.registry import RulesetRegistry
from engine.rules.schema import domain_schema

NOW = datetime(2026, 11, 18, 10, 0)
BOXES = Path(__file__).resolve().parents[3] / "rulesets" / "packaging" / "boxes.yaml"
RULES = """\
carrier ruleset many_parcels on order.sourced

rule "Three parcels or more go with Parcelline"
  when shipment.parcels > 2
  then restrict carrier.code == "PCL"

rule "Heavy once boxed"
  when shipment.gross_weight > 40 kg
  then prefer carrier.code == "PCL" weight 1
"""
EWR = Location("EWR-01", "Edison", LocationType.WAREHOUSE, Address("08817"), cutoff=time(17))
PLATE = Product("PLATE", "Weight plate", Decimal("40"), 10.0, Dimensions(30, 30, 3))
STOCK = SnapshotStockView([Stock("PLATE", "EWR-01", on_hand=50)])


def decide(plates: int, packaging: BoxCatalog | None) -> Decision:
    registry = RulesetRegistry.from_sources([RULES])
    decider = Decider(registry, load_catalog(), DeciderSettings(), packaging)
    order = Order("O-1", "web", "W-1", "C-1", Address("60601"),
                  [OrderLine("1", "PLATE", plates, PLATE.price)], NOW)  # fmt: skip
    return decider.decide(order, None, {"PLATE": PLATE}, [EWR], STOCK, NOW)


def matched(decision: Decision) -> list[str]:
    [ruleset] = decision.trace["carriers"]["EWR-01"]["rulesets"]
    return list(ruleset["matched"])


def test_rules_on_parcels_and_gross_weight_check_cleanly_against_ordo_s_schema() -> None:
    assert dsl.check(RULES, domain_schema()) == []


def test_a_shipment_packed_into_three_parcels_is_restricted_by_the_rule() -> None:
    decision = decide(5, load_packaging(BOXES))  # 50 kg: three boxes of 20 kg at most
    assert len(decision.trace["carriers"]["EWR-01"]["packing"]["parcels"]) == 3
    assert matched(decision) == ["Three parcels or more go with Parcelline", "Heavy once boxed"]
    assert decision.shipments[0].carrier == "PCL"


def test_two_parcels_are_not_enough_for_the_rule() -> None:
    decision = decide(3, load_packaging(BOXES))
    assert len(decision.trace["carriers"]["EWR-01"]["packing"]["parcels"]) == 2
    assert matched(decision) == []


def test_without_a_box_catalogue_every_shipment_is_one_parcel_of_its_weight() -> None:
    decision = decide(5, None)
    assert matched(decision) == ["Heavy once boxed"]  # 50 kg, no boxes added
