"""Released shipments to their location's WMS, on the in-memory store with fake WMSs: sent
once with the reference kept and `shipment.sent_to_wms` raised, a redelivery harmless, a
shipment cancelled (or picked without the WMS) before its turn not sent, a location without a
WMS skipped, and a WMS that refuses leaving the event to be retried."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from connectors.base import DeliveryError
from engine.adapters.bus import InProcessBus, Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.events import ShipmentSentToWms
from engine.domain.fulfilment import ShipmentStatus
from engine.service_layer.warehouse import WarehouseReleaser
from engine.worker import Worker, WorkerConfig
from tests.support.builders import a_shipment, an_order


class FakeWms:
    def __init__(self, name: str = "wms", refuse: bool = False) -> None:
        self.name, self.refuse = name, refuse
        self.released: list[Mapping[str, Any]] = []

    def release(self, fulfilment_order: Mapping[str, Any]) -> str:
        if self.refuse:
            raise DeliveryError("WMS https://wms.example.com refused shipment: 503 busy")
        self.released.append(fulfilment_order)
        return f"{self.name.upper()}-{len(self.released)}"


def seeded(status: ShipmentStatus = ShipmentStatus.RELEASED, location: str = "DAL-01") -> Any:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.orders.add(an_order(id="O-1"))
        uow.shipments.add(
            a_shipment(
                id="F-1",
                order_id="O-1",
                location_code=location,
                status=status,
                tracking_number="",
                label_format="",
            )
        )
        uow.commit()
    return uow


def released(location: str = "DAL-01", event_id: str = "evt-1") -> Message:
    payload = {
        "shipment_id": "F-1",
        "order_id": "O-1",
        "location_code": location,
        "from_status": "pending",
        "to_status": "released",
    }
    return Message(event_id, "shipment.status_changed", payload, "O-1")


def test_a_released_shipment_is_sent_to_its_locations_wms_and_keeps_the_reference() -> None:
    uow, wms = seeded(), FakeWms()
    WarehouseReleaser({"DAL-01": wms})(released(), uow)

    [sent] = wms.released
    assert (sent["id"], sent["location_code"], sent["order"]["reference"]) == (
        "F-1",
        "DAL-01",
        "W-1001",
    )
    assert [line["units"] for line in sent["lines"]] == [2, 1]
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None and shipment.wms_reference == "WMS-1"
    assert ShipmentSentToWms("F-1", "O-1", "DAL-01", "WMS-1") in uow.committed_events


def test_a_redelivered_release_does_not_send_the_shipment_again() -> None:
    uow, wms = seeded(), FakeWms()
    releaser = WarehouseReleaser({"DAL-01": wms})
    releaser(released(), uow)
    releaser(released(), uow)  # the same event again (a crash before the worker's ack)

    assert len(wms.released) == 1 and releaser.sent == 1
    assert [e for e in uow.committed_events if isinstance(e, ShipmentSentToWms)] == [
        ShipmentSentToWms("F-1", "O-1", "DAL-01", "WMS-1")
    ]


@pytest.mark.parametrize("status", [ShipmentStatus.CANCELLED, ShipmentStatus.PICKED])
def test_a_shipment_that_is_no_longer_released_when_its_turn_comes_is_not_sent(
    status: ShipmentStatus,
) -> None:
    uow, wms = seeded(status), FakeWms()
    WarehouseReleaser({"DAL-01": wms})(released(), uow)

    assert wms.released == []
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None and shipment.wms_reference == ""
        assert shipment.wms_attempted_at is None  # never sent: nothing to look up if cancelled


def test_a_release_whose_answer_is_lost_keeps_that_it_was_attempted() -> None:
    uow, wms = seeded(), FakeWms(refuse=True)

    with pytest.raises(DeliveryError):
        WarehouseReleaser({"DAL-01": wms})(released(), uow)

    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None and shipment.wms_reference == ""
        assert shipment.wms_attempted_at is not None


def test_a_location_without_a_wms_is_skipped() -> None:
    uow, wms = seeded(location="RNO-02"), FakeWms()
    releaser = WarehouseReleaser({"DAL-01": wms})

    assert not releaser.wants(released("RNO-02"))
    releaser(released("RNO-02"), uow)
    assert wms.released == []


def test_star_serves_every_location_no_other_wms_names() -> None:
    dallas, anywhere = FakeWms("dal"), FakeWms("any")
    releaser = WarehouseReleaser({"DAL-01": dallas, "*": anywhere})

    releaser(released("RNO-02"), seeded(location="RNO-02"))
    releaser(released("DAL-01"), seeded(location="DAL-01"))
    assert (len(anywhere.released), len(dallas.released)) == (1, 1)
    assert anywhere.released[0]["location_code"] == "RNO-02"


def test_other_moves_of_a_shipment_are_not_for_the_wms() -> None:
    releaser = WarehouseReleaser({"*": FakeWms()})
    packed = {"shipment_id": "F-1", "location_code": "DAL-01", "to_status": "packed"}
    assert not releaser.wants(Message("e", "shipment.status_changed", packed, "O-1"))
    assert not releaser.wants(Message("e", "shipment.labelled", packed, "O-1"))


def test_a_wms_that_refuses_leaves_no_reference_and_the_worker_retries_the_event() -> None:
    uow, wms = seeded(), FakeWms(refuse=True)
    bus = InProcessBus()
    worker = Worker(
        bus=bus,
        uow_factory=lambda: uow,
        handlers={},
        observers=[WarehouseReleaser({"DAL-01": wms})],
        config=WorkerConfig(block_ms=0),
    )
    message = released()
    bus.publish(message.name, message.payload, message.partition_key, event_id="evt-1")
    worker.run_once()

    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None and shipment.wms_reference == ""
    wms.refuse = False  # the WMS is back: the retry sends it
    for _ in range(3):
        worker.run_once()
    assert len(wms.released) == 1
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None and shipment.wms_reference == "WMS-1"
