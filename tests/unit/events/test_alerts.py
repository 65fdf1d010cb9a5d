"""Alert evaluation and the lateness clock on the in-memory unit of work (no I/O).

The rule programs here are small hand-written stand-ins honouring the DSL contract
(`evaluate(facts, now=, windows=)` -> matches with `alert` actions), so these tests pin the
engine's side: deduplication, keys, windows per event, the clock's once-only events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from dsl.windows import InMemoryWindowStore
from engine.adapters.bus import Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.adapters.shipment_queries import LatenessFlags, open_past_promise
from engine.domain.events import AlertRaised, AlertTriggered, OrderHeldTooLong, ShipmentLate
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.operations import AlertStatus
from engine.domain.orders import Hold, OrderStatus
from engine.service_layer.alerts import (
    AlertEvaluator,
    AlertRecorder,
    DedupingWindowStore,
    LatenessClock,
    acknowledge_alert,
)
from tests.support.builders import a_plain_order, a_shipment

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@dataclass
class Action:
    kind: str
    args: dict[str, Any]


@dataclass
class Match:
    rule: str
    actions: list[Action]


@dataclass
class Evaluation:
    matches: list[Match] = field(default_factory=list)


@dataclass
class LowStock:
    """`when event.available < 5 then alert severity high` on stock.adjusted."""

    name: str = "ops"
    kind: str = "alert"
    event: str = "stock.adjusted"

    def evaluate(self, facts: dict[str, Any], *, now: datetime, windows: Any = None) -> Evaluation:
        event = facts["event"]
        if event["available"] is not None and event["available"] < 5:
            message = f"{event['sku']} low at {event['location_code']}"
            return Evaluation([Match("low stock", [Action("alert", {"severity": "high",
                                                                     "message": message,
                                                                     "recipients": ["ops@x"],
                                                                     "key": ""})])])
        return Evaluation()


@dataclass
class LatePerCarrier:
    """`when count within 1 hour by event.carrier > 2` on shipment.late."""

    name: str = "ops"
    kind: str = "alert"
    event: str = "shipment.late"
    counts: list[int] = field(default_factory=list)

    def evaluate(self, facts: dict[str, Any], *, now: datetime, windows: Any = None) -> Evaluation:
        carrier = facts["event"]["carrier"]
        count, _ = windows.observe("late per carrier", carrier, now, 1.0, timedelta(hours=1))
        self.counts.append(count)
        if count > 2:
            return Evaluation([Match("late per carrier", [Action("alert", {
                "severity": "warning", "message": f"{count} late for {carrier}", "key": carrier,
            })])])
        return Evaluation()


def stock_message(n: int, sku: str, available: int) -> Message:
    payload = {"sku": sku, "location_code": "DAL-01", "delta": -1, "on_hand": available,
               "available": available, "reason": ""}
    return Message(str(n), "stock.adjusted", payload, sku)


def late_message(n: str, carrier: str) -> Message:
    payload = {"shipment_id": f"F-{n}", "order_id": f"O-{n}", "carrier": carrier,
               "location_code": "DAL-01", "hours_late": 3.0}
    return Message(n, "shipment.late", payload, f"O-{n}")


def evaluate(evaluator: AlertEvaluator, uow: InMemoryUnitOfWork, message: Message) -> None:
    """Evaluate one message, then record the alerts it triggered, as two workers' steps."""
    already = len(uow.committed_events)
    with uow:
        evaluator(message, uow)
        uow.commit()
    for n, event in enumerate(uow.committed_events[already:]):
        if isinstance(event, AlertTriggered):
            with uow:
                AlertRecorder()(Message(f"t{n}", event.name, event.payload(), ""), uow)
                uow.commit()


def test_an_alert_is_stored_once_per_rule_and_key_while_open() -> None:
    uow = InMemoryUnitOfWork()
    evaluator = AlertEvaluator(lambda: [LowStock()], InMemoryWindowStore(), clock=lambda: NOW)
    for n, (sku, available) in enumerate([("A", 3), ("A", 2), ("B", 1), ("C", 50)]):
        evaluate(evaluator, uow, stock_message(n, sku, available))
    with uow:
        alerts = sorted(uow.alerts.list(), key=lambda a: a.key)
    assert [(a.rule, a.key, a.occurrences, a.severity) for a in alerts] == [
        ("ops/low stock", "A@DAL-01", 2, "high"),
        ("ops/low stock", "B@DAL-01", 1, "high"),
    ]
    assert alerts[0].message == "A low at DAL-01" and alerts[0].recipients == ["ops@x"]
    raised = [e for e in uow.committed_events if isinstance(e, AlertRaised)]
    assert [e.key for e in raised] == ["A@DAL-01", "B@DAL-01"]


def test_an_acknowledged_alert_still_absorbs_repeats_and_cannot_be_acknowledged_twice() -> None:
    uow = InMemoryUnitOfWork()
    evaluator = AlertEvaluator(lambda: [LowStock()], InMemoryWindowStore(), clock=lambda: NOW)
    evaluate(evaluator, uow, stock_message(1, "A", 1))
    with uow:
        [alert] = uow.alerts.list()
    acknowledged = acknowledge_alert(uow, alert.id, "sam")
    assert acknowledged.status is AlertStatus.ACKNOWLEDGED and acknowledged.acknowledged_by == "sam"
    evaluate(evaluator, uow, stock_message(2, "A", 0))
    with uow:
        [again] = uow.alerts.list()
    assert again.occurrences == 2 and again.status is AlertStatus.ACKNOWLEDGED


def test_a_window_rule_fires_only_past_its_threshold_and_keys_by_carrier() -> None:
    uow = InMemoryUnitOfWork()
    evaluator = AlertEvaluator(lambda: [LatePerCarrier()], InMemoryWindowStore(), clock=lambda: NOW)
    for n, carrier in enumerate(["ups", "ups", "dhl", "ups", "ups"]):
        evaluate(evaluator, uow, late_message(str(n), carrier))
    with uow:
        [alert] = uow.alerts.list()
    assert (alert.key, alert.occurrences, alert.message) == ("ups", 2, "4 late for ups")


def test_a_redelivered_event_is_not_counted_twice_in_a_window() -> None:
    rule = LatePerCarrier()
    evaluator = AlertEvaluator(
        lambda: [rule], DedupingWindowStore(InMemoryWindowStore()), clock=lambda: NOW
    )
    uow = InMemoryUnitOfWork()
    for n in ["1", "1", "2", "2", "3"]:
        evaluate(evaluator, uow, late_message(n, "ups"))
    assert rule.counts == [1, 1, 2, 2, 3]


def test_the_clock_emits_late_shipments_and_long_holds_once_each() -> None:
    uow = InMemoryUnitOfWork()
    held_since = NOW - timedelta(hours=30)
    with uow:
        uow.shipments.add(a_shipment(id="F-late", promised_date=date(2026, 3, 8)))
        uow.shipments.add(a_shipment(id="F-ok", promised_date=date(2026, 3, 12)))
        uow.shipments.add(
            a_shipment(id="F-done", promised_date=date(2026, 3, 1), status=ShipmentStatus.DELIVERED)
        )
        uow.orders.add(a_plain_order(1, status=OrderStatus.HELD,
                                     holds=[Hold("fraud", "score 91", placed_at=held_since)]))
        uow.orders.add(a_plain_order(2, status=OrderStatus.HELD,
                                     holds=[Hold("fraud", "", placed_at=NOW - timedelta(hours=2))]))
        uow.commit()
    clock = LatenessClock(lambda: uow, LatenessFlags(), held_limit=timedelta(hours=24), page_size=2)
    assert clock.tick(NOW) == 2
    assert clock.tick(NOW + timedelta(minutes=5)) == 0
    late = [e for e in uow.committed_events if isinstance(e, ShipmentLate)]
    held = [e for e in uow.committed_events if isinstance(e, OrderHeldTooLong)]
    assert [(e.shipment_id, e.hours_late) for e in late] == [("F-late", 36.0)]
    assert [(e.order_id, e.code, e.hours_held) for e in held] == [("O-1", "fraud", 30.0)]
    assert uow.audit.list() == []  # the clock's bookkeeping is not a person's change


class Crash(Exception):
    pass


def test_a_tick_that_fails_before_committing_flags_nothing_so_the_next_tick_reports_it() -> None:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.shipments.add(a_shipment(id="F-1", promised_date=date(2026, 3, 8)))
        uow.shipments.add(a_shipment(id="F-2", promised_date=date(2026, 3, 8), created_at=NOW))
        uow.commit()
    flags = LatenessFlags()
    pages: list[list[str]] = []

    def fails_on_the_second_page(shipments: Any, today: date, limit: int, offset: int) -> Any:
        if pages:
            raise Crash("the store went away mid-tick")
        page = open_past_promise(shipments, today, limit, offset)
        pages.append([s.id for s in page])
        return page

    broken = LatenessClock(lambda: uow, flags, page_size=1, past_promise=fails_on_the_second_page)
    with pytest.raises(Crash):
        broken.tick(NOW)
    assert pages == [["F-1"]]  # F-1 was claimed, then the tick died before its commit
    clock = LatenessClock(lambda: uow, flags, page_size=1, past_promise=open_past_promise)
    assert clock.tick(NOW) == 2
    assert clock.tick(NOW) == 0


def test_event_facts_are_completed_from_the_stock_row_where_the_schema_declares_the_field() -> None:
    from engine.rules.schema import SCHEMA_SPEC
    from engine.service_layer.alerts import enriched_event_facts
    from tests.support.builders import a_stock

    uow = InMemoryUnitOfWork()
    with uow:
        uow.stock.add(a_stock(sku="SKU-9", location_code="DAL-01", on_hand=10, reserved=7,
                              safety_stock=0, reorder_point=4))
        uow.commit()
    payload = {"order_id": "O-1", "sku": "SKU-9", "location_code": "DAL-01", "quantity": 7}
    with uow:
        facts = enriched_event_facts(Message("1", "stock.reserved", payload, "O-1"), uow, NOW)
    declared = SCHEMA_SPEC["roots"]["event"]
    assert facts["available"] == 3  # stock.reserved does not say; the stock row does
    assert ("reorder_point" in facts) == ("reorder_point" in declared)
    assert facts["sku"] == "SKU-9" and facts["name"] == "stock.reserved"


def test_finished_shipments_lose_their_flag_but_a_still_late_one_keeps_it_past_retention() -> None:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.shipments.add(a_shipment(id="F-late", promised_date=date(2026, 3, 8)))
        uow.shipments.add(a_shipment(id="F-done", promised_date=date(2026, 3, 8)))
        uow.commit()
    flags = LatenessFlags(retention=timedelta(days=1))
    clock = LatenessClock(lambda: uow, flags, past_promise=open_past_promise)
    assert clock.tick(NOW) == 2
    with uow:
        shipment = uow.shipments.get("F-done")
        assert shipment is not None
        shipment.move(ShipmentStatus.DELIVERED, NOW)
        uow.commit()
    later = NOW + timedelta(days=10)
    assert flags.purge(uow, later) == 1  # F-done; F-late is old but still stops a report
    assert clock.tick(later) == 0
    late = sorted(e.shipment_id for e in uow.committed_events if isinstance(e, ShipmentLate))
    assert late == ["F-done", "F-late"]  # once each


def test_the_tick_purges_the_flags_it_no_longer_needs() -> None:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.shipments.add(a_shipment(id="F-1", promised_date=date(2026, 3, 8)))
        uow.commit()
    flags = LatenessFlags()
    clock = LatenessClock(lambda: uow, flags)
    assert clock.tick(NOW) == 1
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None
        shipment.move(ShipmentStatus.DELIVERED, NOW)
        uow.commit()
    assert flags.purge(uow, NOW) == 1  # nothing ticked since the delivery: still there
    assert clock.tick(NOW) == 0
    assert flags.purge(uow, NOW) == 0


def test_the_tick_runs_the_purge_in_a_transaction_of_its_own() -> None:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.shipments.add(a_shipment(id="F-1", promised_date=date(2026, 3, 8)))
        uow.commit()
    purges: list[datetime] = []

    class Recording(LatenessFlags):
        def purge(self, uow: Any, now: datetime) -> int:
            purges.append(now)
            return super().purge(uow, now)

    clock = LatenessClock(lambda: uow, Recording())
    assert clock.tick(NOW) == 1
    assert clock.tick(NOW + timedelta(minutes=1)) == 0
    assert purges == [NOW, NOW + timedelta(minutes=1)]


def test_an_open_shipment_no_longer_late_loses_its_flag_only_after_the_retention() -> None:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.shipments.add(a_shipment(id="F-1", promised_date=date(2026, 3, 8)))
        uow.commit()
    flags = LatenessFlags(retention=timedelta(days=2))
    clock = LatenessClock(lambda: uow, flags)
    assert clock.tick(NOW) == 1
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None
        shipment.promised_date = date(2026, 3, 20)  # promised again, later
        uow.commit()
    assert flags.purge(uow, NOW + timedelta(days=1)) == 0
    assert flags.purge(uow, NOW + timedelta(days=2, seconds=1)) == 1
    # Late against the new promise: a new lateness, reported once more.
    assert clock.tick(datetime(2026, 3, 21, 12, tzinfo=UTC)) == 1


def test_a_held_orders_flag_stays_while_it_is_held_and_goes_when_it_is_finished() -> None:
    uow = InMemoryUnitOfWork()
    placed = NOW - timedelta(hours=30)
    with uow:
        uow.orders.add(a_plain_order(1, status=OrderStatus.HELD,
                                     holds=[Hold("fraud", "", placed_at=placed)]))  # fmt: skip
        uow.orders.add(a_plain_order(2, status=OrderStatus.HELD,
                                     holds=[Hold("fraud", "", placed_at=placed)]))  # fmt: skip
        uow.commit()
    flags = LatenessFlags(retention=timedelta(days=1))
    clock = LatenessClock(lambda: uow, flags)
    assert clock.tick(NOW) == 2
    later = NOW + timedelta(days=5)
    assert flags.purge(uow, later) == 0  # both still held, on the hold each flag names
    with uow:
        cancelled, released = uow.orders.get("O-1"), uow.orders.get("O-2")
        assert cancelled is not None and released is not None
        cancelled.status = OrderStatus.CANCELLED
        released.holds = [Hold("fraud", "", placed_at=placed, released_at=NOW)]
        released.status = OrderStatus.VALIDATED
        uow.commit()
    assert flags.purge(uow, NOW) == 1  # the cancelled order's; the released one's is young
    assert flags.purge(uow, later) == 1
    assert clock.tick(later) == 0


def test_a_flag_retention_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="lateness flag retention must be positive"):
        LatenessFlags(retention=timedelta(0))
