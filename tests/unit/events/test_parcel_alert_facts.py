"""Alert rules see which parcel a carrier's scan was of: `event.parcel_tracking_number` from the
event, and `event.parcel_index` and `event.parcels` (which of how many) from the shipment as
the alert worker reads it, on the three events a scan raises; none of the three for a scan of
the whole shipment. A rule about one parcel of several compiles against the domain's schema and
fires for such a parcel only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dsl.windows import InMemoryWindowStore
from engine.adapters.bus import Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.events import AlertTriggered
from engine.domain.fulfilment import FulfillmentOrder, Parcel, ShipmentStatus, TrackingEvent
from engine.domain.tracking_codes import Milestone
from engine.rules.registry import RulesetCompileError, compile_source
from engine.service_layer.alerts import AlertEvaluator, DedupingWindowStore, enriched_event_facts
from tests.support.builders import a_shipment

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
SCAN_EVENTS = (
    "shipment.tracked",
    "shipment.delivery_exception",
    "shipment.delivery_estimate_slipped",
)
RULESET = """alert ruleset parcels on shipment.delivery_exception

rule "A parcel of several did not arrive"
  when event.parcels > 1
  then alert severity medium
       message "parcel {event.parcel_index} of {event.parcels} of {event.shipment_id} ({event.parcel_tracking_number})"
"""  # noqa: E501


def a_box(tracking_number: str) -> Parcel:
    return Parcel("SHOEBOX", 30, 20, 10, 1.7, 2.0, {"SKU-1": 1}, tracking_number)


def shipped(*numbers: str) -> FulfillmentOrder:
    """A shipment with the carrier, packed into a box per number (none: not packed)."""
    return a_shipment(
        status=ShipmentStatus.SHIPPED, promised_date=date(2026, 3, 6), tracking=[],
        tracking_number=numbers[0] if numbers else "1Z999", parcels=[a_box(n) for n in numbers],
    )  # fmt: skip


def scanned(shipment: FulfillmentOrder, parcel: str) -> dict[str, Message]:
    """The events a failed attempt on `parcel` raises, with a new estimate past the promise."""
    scan = TrackingEvent(NOW, "NH-7", estimated_delivery=date(2026, 3, 9), tracking_number=parcel)
    assert shipment.track(scan, Milestone.ATTEMPTED)
    raised = {e.name: Message(e.name, e.name, e.payload(), "O-1") for e in shipment.events}
    assert set(SCAN_EVENTS) <= raised.keys()
    return raised


def facts_of(shipment: FulfillmentOrder, parcel: str) -> dict[str, dict[str, object]]:
    """The `event` facts of each event the scan raised, as the alert worker completes them."""
    messages = scanned(shipment, parcel)
    uow = InMemoryUnitOfWork()
    with uow:
        uow.shipments.add(shipment)
        uow.commit()
    with uow:
        return {name: enriched_event_facts(messages[name], uow, NOW) for name in SCAN_EVENTS}


def parcel_facts(facts: dict[str, object]) -> tuple[object, object, object]:
    return facts["parcel_tracking_number"], facts["parcel_index"], facts["parcels"]


@pytest.mark.parametrize("name", SCAN_EVENTS)
def test_a_scan_of_one_parcel_of_three_tells_its_number_and_which_of_how_many(name: str) -> None:
    facts = facts_of(shipped("PCL-1", "PCL-2", "PCL-3"), "PCL-2")
    assert parcel_facts(facts[name]) == ("PCL-2", 2, 3)


@pytest.mark.parametrize("name", SCAN_EVENTS)
def test_a_scan_of_the_whole_shipment_names_no_parcel(name: str) -> None:
    facts = facts_of(shipped("PCL-1", "PCL-2", "PCL-3"), "")
    assert parcel_facts(facts[name]) == (None, None, None)


def test_a_scan_naming_the_own_number_of_a_shipment_not_packed_is_parcel_1_of_1() -> None:
    facts = facts_of(shipped(), "1Z999")
    assert parcel_facts(facts["shipment.delivery_exception"]) == ("1Z999", 1, 1)


def test_a_parcel_its_shipment_no_longer_has_keeps_its_number_but_has_no_place() -> None:
    shipment = shipped("PCL-1", "PCL-2", "PCL-3")
    messages = scanned(shipment, "PCL-3")
    shipment.parcels = [a_box("PCL-1"), a_box("PCL-4")]  # packed again since, after a short pick
    uow = InMemoryUnitOfWork()
    with uow:
        uow.shipments.add(shipment)
        uow.commit()
    with uow:
        facts = enriched_event_facts(messages["shipment.delivery_exception"], uow, NOW)
    assert parcel_facts(facts) == ("PCL-3", None, 2)


def triggered(shipment: FulfillmentOrder, parcel: str) -> list[str]:
    """The messages of the alerts a failed attempt on `parcel` triggers under RULESET."""
    message = scanned(shipment, parcel)["shipment.delivery_exception"]
    program = compile_source(RULESET, "parcels", 1).program
    windows = DedupingWindowStore(InMemoryWindowStore())
    evaluator = AlertEvaluator(lambda: [program], windows, clock=lambda: NOW + timedelta(hours=1))
    uow = InMemoryUnitOfWork()
    with uow:
        uow.shipments.add(shipment)
        evaluator(message, uow)
        uow.commit()
    return [e.message for e in uow.committed_events if isinstance(e, AlertTriggered)]


def test_an_alert_rule_about_a_parcel_of_several_fires_for_such_a_parcel_only() -> None:
    assert triggered(shipped("PCL-1", "PCL-2", "PCL-3"), "PCL-2") == [
        "parcel 2 of 3 of F-1 (PCL-2)"
    ]
    assert triggered(shipped("PCL-1", "PCL-2", "PCL-3"), "") == []  # the whole shipment
    assert triggered(shipped("PCL-1"), "PCL-1") == []  # one parcel
    assert triggered(shipped(), "1Z999") == []  # not packed


def test_a_misspelt_parcel_field_is_refused_when_the_rule_is_saved_naming_the_right_one() -> None:
    with pytest.raises(RulesetCompileError, match="did you mean `parcel_index`"):
        compile_source(RULESET.replace("event.parcels > 1", "event.parcel_indx > 1"), "p", 1)
