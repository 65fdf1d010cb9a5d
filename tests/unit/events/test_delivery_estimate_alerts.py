"""An alert rule can listen to a carrier's estimate slipping past the promise and read how
many days late it is: the ruleset compiles against the domain's schema, and the event a
shipment raises fires it."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

from dsl.windows import InMemoryWindowStore
from engine.adapters.bus import Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.events import AlertTriggered, ShipmentDeliveryEstimateSlipped
from engine.domain.fulfilment import ShipmentStatus, TrackingEvent
from engine.rules.registry import compile_source
from engine.service_layer.alerts import AlertEvaluator, DedupingWindowStore
from tests.support.builders import a_shipment

RULESET = """alert ruleset slips on shipment.delivery_estimate_slipped policy all

rule "A parcel will be days late"
  when event.days_late >= 3
  then alert severity medium
       message "{event.shipment_id} now due {event.estimated_delivery}, {event.days_late} days late with {event.carrier}"
       to "support@example.com"
"""  # noqa: E501
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def slipped(days: int) -> Message:
    promised = date(2026, 3, 6)
    shipment = a_shipment(status=ShipmentStatus.SHIPPED, promised_date=promised, tracking=[])
    estimate = promised + timedelta(days=days)
    shipment.track(TrackingEvent(NOW, "IT", estimated_delivery=estimate))
    [event] = [e for e in shipment.events if isinstance(e, ShipmentDeliveryEstimateSlipped)]
    return Message(f"e{days}", event.name, asdict(event), "")


def triggered(message: Message) -> list[AlertTriggered]:
    program = compile_source(RULESET, "slips", 1).program
    evaluator = AlertEvaluator(lambda: [program], DedupingWindowStore(InMemoryWindowStore()),
                               clock=lambda: NOW)  # fmt: skip
    uow = InMemoryUnitOfWork()
    with uow:
        evaluator(message, uow)
        uow.commit()
    return [e for e in uow.committed_events if isinstance(e, AlertTriggered)]


def test_an_alert_rule_reads_how_many_days_late_the_new_estimate_is() -> None:
    [alert] = triggered(slipped(days=4))
    assert alert.message == "F-1 now due 2026-03-10, 4 days late with ups"
    assert triggered(slipped(days=1)) == []
