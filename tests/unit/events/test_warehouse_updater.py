"""Changes to shipments a WMS holds, told to that WMS, on the in-memory store with a fake WMS:
a short pick that leaves units sends the shipment as it is now, one that takes the last units
sends a cancellation (once, on the status change), a shipment the WMS does not hold (its
release still to go through) or no longer works on sends nothing, and a WMS past changing it
(409) raises `shipment.wms_refused` and a high alert instead of being retried. A shipment
cancelled after its release without a reference (the release's answer lost) is looked up at
the WMS: found, it is cancelled there; none there, nothing is sent; a WMS that cannot be asked
leaves it so, with a medium alert."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from connectors.base import DeliveryError, FoundOrder, PermanentRefusal
from engine.adapters.bus import InProcessBus, Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.events import AlertTriggered, Event, ShipmentWmsRefused, ShipmentWmsUpdated
from engine.domain.fulfilment import ShipmentStatus, ShortLine
from engine.service_layer.warehouse import LOOKUP_RULE, REFUSED_RULE, WarehouseUpdater
from engine.worker import Worker, WorkerConfig
from tests.support.builders import a_shipment, an_order, at


class FakeWms:
    """Keeps what it was told; `refusal` is raised for every change when set. Asked for a
    shipment's fulfilment order, it keeps the id and answers `holds` (raised, if an error)."""

    entry_name = "dallas"

    def __init__(
        self, refusal: DeliveryError | None = None, holds: FoundOrder | DeliveryError | None = None
    ) -> None:
        self.refusal, self.holds = refusal, holds or FoundOrder()
        self.told: list[tuple[str, str, dict[str, Any], str]] = []
        self.asked: list[str] = []

    def find_fulfilment_order(self, shipment_id: str) -> FoundOrder:
        self.asked.append(shipment_id)
        if isinstance(self.holds, DeliveryError):
            raise self.holds
        return self.holds

    def update(self, reference: str, fulfilment_order: Mapping[str, Any], change_id: str) -> None:
        self._tell("update", reference, fulfilment_order, change_id)

    def cancel(self, reference: str, fulfilment_order: Mapping[str, Any]) -> None:
        self._tell("cancel", reference, fulfilment_order, "")

    def _tell(self, what: str, reference: str, facts: Mapping[str, Any], change: str) -> None:
        if self.refusal is not None:
            raise self.refusal
        self.told.append((what, reference, dict(facts), change))


def held_by_the_wms(
    reference: str = "WMS-7", location: str = "DAL-01", attempted: bool = True
) -> InMemoryUnitOfWork:
    """F-1, released to `location`'s WMS (`attempted`: the releaser set out to send it),
    which holds it as `reference` ("" for none Ordo kept)."""
    uow = InMemoryUnitOfWork()
    with uow:
        uow.orders.add(an_order(id="O-1"))
        uow.shipments.add(
            a_shipment(
                status=ShipmentStatus.RELEASED, location_code=location, wms_reference=reference,
                tracking_number="", label_format="", shipped_at=None, tracking=[],
                wms_attempted_at=at(50) if attempted else None,
            )
        )  # fmt: skip
        uow.commit()
    return uow


def short_picked(uow: InMemoryUnitOfWork, missing: int, line: str = "L1") -> list[Message]:
    """Report `missing` units of `line` short on F-1 as the domain does, and the messages
    its events become (numbered as outbox rows are)."""
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None
        shipment.short_pick([ShortLine(missing, order_line_id=line)], "damaged", at(100))
        raised: list[Event] = list(shipment.events)
        shipment.events.clear()
        uow.commit()
    return [
        Message(f"evt-{n}", event.name, event.payload(), "O-1")
        for n, event in enumerate(raised, start=1)
    ]


def told(updater: WarehouseUpdater, uow: InMemoryUnitOfWork, messages: list[Message]) -> None:
    for message in messages:
        if updater.wants(message):
            updater(message, uow)


def test_a_short_pick_that_leaves_units_sends_the_shipment_as_it_is_now() -> None:
    uow, wms = held_by_the_wms(), FakeWms()
    messages = short_picked(uow, 1)

    told(WarehouseUpdater({"DAL-01": wms}), uow, messages)

    [(what, reference, facts, change)] = wms.told
    assert (what, reference, change) == ("update", "WMS-7", "evt-1")
    assert facts["lines"] == [
        {"line_id": "L1", "sku": "SKU-1", "units": 1},
        {"line_id": "L2", "sku": "SKU-2", "units": 1},
    ]
    assert facts["reason"] == "damaged" and facts["id"] == "F-1"
    assert ShipmentWmsUpdated("F-1", "O-1", "DAL-01", "WMS-7", "update") in uow.committed_events


def test_a_short_pick_that_takes_the_last_units_sends_one_cancellation() -> None:
    uow, wms = held_by_the_wms(), FakeWms()
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None
        shipment.lines = shipment.lines[:1]
        uow.commit()
    messages = short_picked(uow, 2)  # shipment.short_picked, then status_changed to cancelled

    told(WarehouseUpdater({"DAL-01": wms}), uow, messages)

    assert [(what, reference) for what, reference, _, _ in wms.told] == [("cancel", "WMS-7")]
    assert ShipmentWmsUpdated("F-1", "O-1", "DAL-01", "WMS-7", "cancel") in uow.committed_events


def test_a_shipment_the_wms_does_not_hold_yet_is_left_to_its_release() -> None:
    uow, wms = held_by_the_wms(reference=""), FakeWms()

    told(WarehouseUpdater({"DAL-01": wms}), uow, short_picked(uow, 1))

    assert wms.told == [] and wms.asked == []  # a short pick is sent by the release


def test_a_change_whose_turn_comes_after_the_shipment_was_packed_sends_nothing() -> None:
    uow, wms = held_by_the_wms(), FakeWms()
    messages = short_picked(uow, 1)
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None
        shipment.move(ShipmentStatus.PACKED, at(110))
        uow.commit()

    told(WarehouseUpdater({"DAL-01": wms}), uow, messages)

    assert wms.told == []


def test_a_redelivered_change_is_sent_with_the_same_change_id() -> None:
    uow, wms = held_by_the_wms(), FakeWms()
    [message] = short_picked(uow, 1)
    updater = WarehouseUpdater({"DAL-01": wms})

    told(updater, uow, [message, message])

    assert [change for _, _, _, change in wms.told] == ["evt-1", "evt-1"]


@pytest.mark.parametrize(
    "payload",
    [
        {"shipment_id": "F-1", "location_code": "RNO-02", "to_status": "cancelled"},
        {"shipment_id": "F-1", "location_code": "DAL-01", "to_status": "picked"},
    ],
)
def test_other_locations_and_other_moves_are_not_for_the_updater(payload: dict[str, Any]) -> None:
    updater = WarehouseUpdater({"DAL-01": FakeWms()})
    assert not updater.wants(Message("e", "shipment.status_changed", payload, "O-1"))


def test_a_wms_past_changing_the_shipment_raises_an_event_and_an_alert_instead_of_a_retry() -> None:
    said = "WMS https://wms.example.com refused the cancellation of shipment F-1: 409 shipped"
    uow, wms = held_by_the_wms(), FakeWms(PermanentRefusal(said))
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None
        shipment.lines = shipment.lines[:1]
        uow.commit()
    bus = InProcessBus()
    worker = Worker(
        bus=bus, uow_factory=lambda: uow, handlers={}, observers=[WarehouseUpdater({"*": wms})],
        config=WorkerConfig(block_ms=0),
    )  # fmt: skip
    for message in short_picked(uow, 2):
        bus.publish(message.name, message.payload, "O-1", event_id=message.event_id)
    worker.run_once()

    assert worker.failed == 0 and bus.dead_letters() == []
    refused = [e for e in uow.committed_events if isinstance(e, ShipmentWmsRefused)]
    assert refused == [ShipmentWmsRefused("F-1", "O-1", "DAL-01", "WMS-7", "cancel", said)]
    [alert] = [e for e in uow.committed_events if isinstance(e, AlertTriggered)]
    assert (alert.rule, alert.key, alert.severity) == (REFUSED_RULE, "F-1", "high")
    assert "refused its cancellation" in alert.message and "409 shipped" in alert.message


def test_a_wms_that_fails_otherwise_leaves_the_event_to_be_retried() -> None:
    uow, wms = held_by_the_wms(), FakeWms(DeliveryError("WMS https://wms.example.com: 503"))
    [message] = short_picked(uow, 1)

    with pytest.raises(DeliveryError):
        told(WarehouseUpdater({"DAL-01": wms}), uow, [message])
    assert not [e for e in uow.committed_events if isinstance(e, ShipmentWmsUpdated)]


def cancelled_with_its_order(uow: InMemoryUnitOfWork, status: ShipmentStatus) -> list[Message]:
    """F-1, `status` until now, cancelled with its order as the domain does; its messages."""
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None
        shipment.status = status
        shipment.cancel_with_order("order O-1 cancelled: changed mind", at(100))
        raised: list[Event] = list(shipment.events)
        shipment.events.clear()
        uow.commit()
    return [Message(f"evt-{n}", e.name, e.payload(), "O-1") for n, e in enumerate(raised, 1)]


def test_a_cancelled_shipment_whose_release_answer_was_lost_is_found_at_the_wms_and_cancelled(
) -> None:  # fmt: skip
    uow, wms = held_by_the_wms(reference=""), FakeWms(holds=FoundOrder("WMS-9"))
    messages = cancelled_with_its_order(uow, ShipmentStatus.RELEASED)

    told(WarehouseUpdater({"DAL-01": wms}), uow, messages)

    assert wms.asked == ["F-1"]
    assert [(what, reference) for what, reference, _, _ in wms.told] == [("cancel", "WMS-9")]
    with uow:
        kept = uow.shipments.get("F-1")
        assert kept is not None and kept.wms_reference == "WMS-9"
    assert ShipmentWmsUpdated("F-1", "O-1", "DAL-01", "WMS-9", "cancel") in uow.committed_events
    assert not [e for e in uow.committed_events if isinstance(e, AlertTriggered)]


def test_a_cancelled_shipment_the_wms_holds_none_of_sends_nothing_and_alerts_nobody() -> None:
    uow, wms = held_by_the_wms(reference=""), FakeWms(holds=FoundOrder())

    told(WarehouseUpdater({"DAL-01": wms}), uow,
         cancelled_with_its_order(uow, ShipmentStatus.RELEASED))  # fmt: skip

    assert wms.asked == ["F-1"] and wms.told == []
    assert not [
        e for e in uow.committed_events if isinstance(e, AlertTriggered | ShipmentWmsUpdated)
    ]


def test_a_wms_that_cannot_be_asked_leaves_the_shipment_and_a_person_is_alerted() -> None:
    said = "WMS https://wms.example.com does not look orders up by Ordo's id: ... 405"
    uow, wms = held_by_the_wms(reference=""), FakeWms(holds=FoundOrder.unsupported(said))

    told(WarehouseUpdater({"DAL-01": wms}), uow,
         cancelled_with_its_order(uow, ShipmentStatus.RELEASED))  # fmt: skip

    assert wms.told == []
    [alert] = [e for e in uow.committed_events if isinstance(e, AlertTriggered)]
    assert (alert.rule, alert.key, alert.severity) == (LOOKUP_RULE, "F-1", "medium")
    assert alert.message.startswith("Shipment F-1 of order O-1 at DAL-01 was cancelled in Ordo")
    assert "Look in the WMS dallas for an order with Ordo's id F-1" in alert.message
    assert said in alert.message
    assert not [e for e in uow.committed_events if isinstance(e, ShipmentWmsUpdated)]


def test_a_shipment_cancelled_before_its_release_is_not_looked_up() -> None:
    uow, wms = held_by_the_wms(reference=""), FakeWms(holds=FoundOrder("WMS-9"))

    told(WarehouseUpdater({"DAL-01": wms}), uow,
         cancelled_with_its_order(uow, ShipmentStatus.PENDING))  # fmt: skip

    assert (wms.asked, wms.told) == ([], [])


def test_a_wms_that_cannot_answer_the_lookup_now_leaves_the_cancellation_to_be_retried() -> None:
    busy = DeliveryError("WMS https://wms.example.com refused the lookup ...: 503")
    uow, wms = held_by_the_wms(reference=""), FakeWms(holds=busy)

    with pytest.raises(DeliveryError, match="503"):
        told(WarehouseUpdater({"DAL-01": wms}), uow,
             cancelled_with_its_order(uow, ShipmentStatus.RELEASED))  # fmt: skip


def test_a_shipment_cancelled_before_the_releaser_set_out_to_send_it_is_not_looked_up() -> None:
    # Released, then cancelled before its turn in the worker: never sent, so a WMS without
    # the lookup raises no alert for it.
    said = "WMS https://wms.example.com does not look orders up by Ordo's id: ... 405"
    uow = held_by_the_wms(reference="", attempted=False)
    wms = FakeWms(holds=FoundOrder.unsupported(said))

    told(WarehouseUpdater({"DAL-01": wms}), uow,
         cancelled_with_its_order(uow, ShipmentStatus.RELEASED))  # fmt: skip

    assert (wms.asked, wms.told) == ([], [])
    assert not [e for e in uow.committed_events if isinstance(e, AlertTriggered)]
