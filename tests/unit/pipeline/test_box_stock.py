"""Boxes as stock, with the in-memory unit of work: counts set a location's boxes, receipts
add to them, a packed shipment shipped takes one box per parcel in a box, once however often
its event comes; a box falling to its reorder point raises `packaging/boxes low`, and a
receipt or count lifting it closes that alert."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from engine.adapters.bus.base import Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain import commands, events
from engine.domain.errors import Conflict
from engine.domain.fulfilment import Parcel
from engine.domain.operations import AlertStatus
from engine.domain.orders import InvalidLine
from engine.domain.packaging import Box, BoxCatalog
from engine.service_layer.box_stock import (
    LOW_RULE,
    BoxCounter,
    box_levels,
    count_boxes,
    receive_boxes,
)
from engine.service_layer.counts import CountRefused
from tests.support import builders as b

CATALOG = BoxCatalog((
    Box("SMALL", 30, 25, 15, 10, 0.25, 0.6, reorder_point=2),
    Box("MEDIUM", 45, 35, 25, 20, 0.55, 1.1),
    Box("LONG", 140, 35, 35, 25, 1.6, 3.4, locations=frozenset({"RNO-02"})),
))  # fmt: skip
DECIDER = SimpleNamespace(packaging=CATALOG)


def parcel(box: str) -> Parcel:
    return Parcel(box, 30, 25, 15, 1.0, 1.0, {"SKU-1": 1})


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.locations.add(b.a_location(code="DAL-01", enabled=True))
        parcels = [parcel("SMALL"), parcel("SMALL"), parcel("MEDIUM"), parcel("")]
        uow.shipments.add(b.a_shipment(id="F-1", parcels=parcels))
        uow.shipments.add(b.a_shipment(id="F-2", parcels=[]))
        uow.commit()
    return uow


def shipped(shipment_id: str, event_id: str = "e1") -> Message:
    payload = {"shipment_id": shipment_id, "order_id": "O-1", "location_code": "DAL-01",
               "from_status": "packed", "to_status": "shipped"}  # fmt: skip
    return Message(event_id, "shipment.status_changed", payload, "O-1")


def count(uow: InMemoryUnitOfWork, **boxes: int) -> Any:
    lines = tuple(commands.BoxCountLine(box, n) for box, n in boxes.items())
    return count_boxes(commands.CountBoxes("DAL-01", lines, "warehouse:dal"), uow, DECIDER)


def levels(uow: InMemoryUnitOfWork) -> dict[str, int]:
    return {level.box_code: level.on_hand for level in uow.box_stock.levels("DAL-01")}


def low_alerts(uow: InMemoryUnitOfWork) -> list[Any]:
    return [alert for alert in uow.alerts.list() if alert.rule == LOW_RULE]


def test_a_shipped_shipment_takes_one_box_per_boxed_parcel_once(uow: InMemoryUnitOfWork) -> None:
    count(uow, SMALL=10, MEDIUM=5)
    counter = BoxCounter(CATALOG)

    counter(shipped("F-1"), uow)
    # Delivered again, even as another event about the same shipment: nothing more is taken.
    counter(shipped("F-1", event_id="e2"), uow)

    assert levels(uow) == {"MEDIUM": 4, "SMALL": 8}
    [used] = [e for e in uow.committed_events if isinstance(e, events.BoxesUsed)]
    assert (used.shipment_id, used.boxes, used.on_hand) == (
        "F-1", {"MEDIUM": 1, "SMALL": 2}, {"MEDIUM": 4, "SMALL": 8},
    )  # fmt: skip
    assert counter.counted == 1


def test_an_unpacked_shipment_or_another_status_takes_no_box(uow: InMemoryUnitOfWork) -> None:
    counter = BoxCounter(CATALOG)
    counter(shipped("F-2"), uow)
    packed = shipped("F-1")
    packed.payload["to_status"] = "packed"
    counter(packed, uow)
    assert levels(uow) == {}


def test_a_box_never_counted_is_tracked_from_zero_and_may_go_below(uow: InMemoryUnitOfWork) -> None:
    BoxCounter(CATALOG)(shipped("F-1"), uow)
    assert levels(uow) == {"MEDIUM": -1, "SMALL": -2}
    [alert] = low_alerts(uow)
    assert (alert.key, alert.severity) == ("SMALL@DAL-01", "medium")
    assert "Box SMALL at DAL-01 is low: -2 left" in alert.message


def test_falling_to_the_reorder_point_raises_and_a_receipt_above_it_closes(
    uow: InMemoryUnitOfWork,
) -> None:
    count(uow, SMALL=4)
    assert low_alerts(uow) == []
    BoxCounter(CATALOG)(shipped("F-1"), uow)
    [alert] = low_alerts(uow)
    assert alert.status is AlertStatus.OPEN
    assert "2 left, at or below its reorder point of 2" in alert.message

    receipt = commands.ReceiveBoxes("DAL-01", "SMALL", 1, "PO-1", "warehouse:dal")
    level = receive_boxes(receipt, uow, DECIDER)
    assert level.on_hand == 3
    [alert] = low_alerts(uow)
    assert alert.status is AlertStatus.CLOSED
    assert alert.closed_by == "warehouse:dal"

    count(uow, SMALL=1)  # counted low again: a new alert
    assert sorted(str(a.status) for a in low_alerts(uow)) == ["closed", "open"]


def test_a_count_naming_bad_boxes_is_refused_whole(uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(CountRefused) as refused:
        count(uow, SMALL=3, LARGE=1, LONG=2)
    problems = {bad.loc: bad.reason for bad in refused.value.problems}
    assert problems == {
        ("counts", 1, "box"):
            "box 'LARGE' is not in the box catalogue, whose boxes are LONG, MEDIUM, SMALL",
        ("counts", 2, "box"):
            "box LONG is not stocked at DAL-01: the box catalogue stocks it at RNO-02 only "
            "(its `locations`)",
    }  # fmt: skip
    assert levels(uow) == {}
    with pytest.raises(InvalidLine, match=r"\$\.box: box 'LARGE' is not in the box catalogue"):
        receive_boxes(commands.ReceiveBoxes("DAL-01", "LARGE", 3), uow, DECIDER)


def test_without_a_box_catalogue_there_is_nothing_to_count(uow: InMemoryUnitOfWork) -> None:
    with pytest.raises(Conflict, match="ORDO_PACKAGING_FILE"):
        count_boxes(
            commands.CountBoxes("DAL-01", (commands.BoxCountLine("SMALL", 1),)),
            uow, SimpleNamespace(packaging=None),
        )  # fmt: skip


def test_a_locations_levels_list_every_box_stocked_there_counted_or_not(
    uow: InMemoryUnitOfWork,
) -> None:
    count(uow, MEDIUM=7)
    with uow:
        listed = box_levels(uow, CATALOG, "DAL-01")
    assert [(found.box_code, found.level and found.level.on_hand) for found in listed] == [
        ("MEDIUM", 7), ("SMALL", None),
    ]  # fmt: skip
    with uow:
        assert [found.box_code for found in box_levels(uow, CATALOG, "RNO-02")] == [
            "LONG", "MEDIUM", "SMALL",
        ]  # fmt: skip


def test_without_a_catalogue_or_a_location_only_levels_are_listed(
    uow: InMemoryUnitOfWork,
) -> None:
    count(uow, MEDIUM=7)
    with uow:
        assert [found.box_code for found in box_levels(uow, None, "DAL-01")] == ["MEDIUM"]
        assert [found.box_code for found in box_levels(uow, CATALOG, None)] == ["MEDIUM"]
