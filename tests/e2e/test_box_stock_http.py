"""Boxes in stock over HTTP, on a deployment that packs into a box catalogue: a location
counts and receives its boxes, a packed order shipped takes one box per parcel off its
level, once, and a box falling to its reorder point raises `packaging/boxes low`, closed by
the receipt that lifts it. Bad lines are refused at their paths; another location's boxes
are not a warehouse key's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ordo.bootstrap import Container
from tests.e2e.conftest import Api, order, packing_container, run_worker

# A shoe (1.2 kg) per SHOEBOX: two shoes ship in two boxes.
BOXES = """boxes:
  - {code: SHOEBOX, length_cm: 30, width_cm: 20, height_cm: 10, max_weight_kg: 1.5,
     tare_kg: 0.2, cost: 0.45, reorder_point: 3}
  - {code: CRATE, length_cm: 80, width_cm: 60, height_cm: 60, max_weight_kg: 30,
     tare_kg: 2, cost: 4, locations: [RNO-02]}
"""
SHOE = {"name": "Shoe", "price": "20.00", "weight_kg": 1.2,
        "dimensions": {"length_cm": 25, "width_cm": 15, "height_cm": 8}}  # fmt: skip
COUNTS, RECEIPTS, LEVELS = (
    "/v1/inventory/boxes/counts", "/v1/inventory/boxes/receipts", "/v1/inventory/boxes",
)  # fmt: skip


@pytest.fixture
def container(database_url: str, tmp_path: Path) -> Iterator[Container]:
    with packing_container(database_url, tmp_path, BOXES) as built:
        yield built


@pytest.fixture
def stocked(api: Api) -> Api:
    api.seed("SHOE-42", units=10)
    assert api.put("/v1/products/SHOE-42", json=SHOE).status_code == 200
    return api


def levels(api: Api, location: str = "DAL-01") -> dict[str, int]:
    answer = api.get(f"{LEVELS}?location={location}")
    assert answer.status_code == 200, answer.text
    return {level["box"]: level["on_hand"] for level in answer.json() if level["tracked"]}


def low_alerts(api: Api, status: str = "open") -> list[dict[str, Any]]:
    found = api.get(f"/v1/alerts?status={status}").json()
    return [alert for alert in found if alert["rule"] == "packaging/boxes low"]


def ship_two_shoes(api: Api, channel_order_id: str) -> dict[str, Any]:
    created = api.post("/v1/orders", role="channel", json=order(channel_order_id, quantity=2))
    assert created.status_code == 201, created.text
    [shipment] = api.get(f"/v1/orders/{created.json()['id']}").json()["shipments"]
    assert [parcel["box"] for parcel in shipment["parcels"]] == ["SHOEBOX", "SHOEBOX"]
    path = f"/v1/shipments/{shipment['id']}/status"
    moved = api.post(path, role="warehouse", json={"status": "shipped"})
    assert moved.status_code == 200, moved.text
    return dict(shipment)


def test_boxes_counted_received_and_shipped_drop_and_raise_the_low_alert(stocked: Api) -> None:
    counted = stocked.post(COUNTS, role="warehouse", json={
        "location_code": "DAL-01", "counts": [{"box": "SHOEBOX", "on_hand": 4}],
    })  # fmt: skip
    assert counted.status_code == 200, counted.text
    [level] = counted.json()
    assert (level["box"], level["on_hand"], level["reorder_point"], level["low"]) == (
        "SHOEBOX", 4, 3, False,
    )  # fmt: skip

    ship_two_shoes(stocked, "W-1")
    run_worker(stocked)
    assert levels(stocked) == {"SHOEBOX": 2}
    [alert] = low_alerts(stocked)
    assert alert["key"] == "SHOEBOX@DAL-01"
    assert alert["severity"] == "medium"
    assert "SHOEBOX at DAL-01 is low: 2 left" in alert["message"]
    assert "reorder point of 3" in alert["message"]
    # The event delivered again (a second worker over the same outbox) takes nothing more.
    run_worker(stocked)
    assert levels(stocked) == {"SHOEBOX": 2}

    received = stocked.post(RECEIPTS, role="warehouse", json={
        "location_code": "DAL-01", "box": "SHOEBOX", "quantity": 50, "reference": "PO-B1",
    })  # fmt: skip
    assert received.status_code == 200, received.text
    assert (received.json()["on_hand"], received.json()["low"]) == (52, False)
    assert low_alerts(stocked) == []
    [closed] = low_alerts(stocked, status="closed")
    assert closed["id"] == alert["id"]


def test_a_box_never_counted_is_tracked_from_zero_and_goes_below_it(stocked: Api) -> None:
    ship_two_shoes(stocked, "W-2")
    run_worker(stocked)
    assert levels(stocked) == {"SHOEBOX": -2}
    assert len(low_alerts(stocked)) == 1


def test_bad_boxes_are_refused_at_their_paths_and_nothing_is_counted(stocked: Api) -> None:
    stocked.seed("SHOE-42", units=1, location="RNO-02")
    answer = stocked.post(COUNTS, json={"location_code": "DAL-01", "counts": [
        {"box": "SHOEBOX", "on_hand": 9}, {"box": "MEDIUM", "on_hand": 1},
        {"box": "CRATE", "on_hand": 1}, {"box": "SHOEBOX", "on_hand": 2},
    ]})  # fmt: skip
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert "$.counts[1].box: box 'MEDIUM' is not in the box catalogue" in detail
    assert "whose boxes are CRATE, SHOEBOX" in detail
    assert "$.counts[2].box: box CRATE is not stocked at DAL-01" in detail
    assert "$.counts[3].box: SHOEBOX is counted twice" in detail
    assert levels(stocked) == {}

    receipt = stocked.post(
        RECEIPTS, json={"location_code": "DAL-01", "box": "CRATE", "quantity": 5}
    )
    assert receipt.status_code == 422, receipt.text
    assert "$.box: box CRATE is not stocked at DAL-01" in receipt.json()["detail"]
    at_reno = {"location_code": "RNO-02", "box": "CRATE", "quantity": 5}
    assert stocked.post(RECEIPTS, json=at_reno).status_code == 200


def test_a_warehouse_key_counts_and_sees_only_its_own_locations_boxes(stocked: Api) -> None:
    stocked.seed("SHOE-42", units=1, location="RNO-02")
    reno = {"location_code": "RNO-02", "counts": [{"box": "CRATE", "on_hand": 5}]}
    assert stocked.post(COUNTS, role="warehouse", json=reno).status_code == 403
    assert stocked.post(COUNTS, json=reno).status_code == 200
    assert stocked.get(f"{LEVELS}?location=RNO-02", role="warehouse").status_code == 403
    assert stocked.get(LEVELS, role="warehouse").json() == []
    assert [level["box"] for level in stocked.get(LEVELS).json()] == ["CRATE"]
    assert stocked.get(f"{LEVELS}?location=NOPE-1").status_code == 404


def test_a_locations_boxes_list_every_box_it_stocks_those_never_counted_too(
    stocked: Api,
) -> None:
    stocked.seed("SHOE-42", units=1, location="RNO-02")
    counted = {"location_code": "RNO-02", "counts": [{"box": "CRATE", "on_hand": 5}]}
    assert stocked.post(COUNTS, json=counted).status_code == 200
    at_reno = stocked.get(f"{LEVELS}?location=RNO-02").json()
    assert [(box["box"], box["tracked"], box["on_hand"]) for box in at_reno] == [
        ("CRATE", True, 5), ("SHOEBOX", False, None),
    ]  # fmt: skip
    assert at_reno[1]["reorder_point"] == 3
    assert (at_reno[1]["low"], at_reno[1]["updated_at"]) == (False, None)
    # CRATE is stocked at RNO-02 only (its `locations`): DAL-01 has only the SHOEBOX.
    at_dallas = stocked.get(f"{LEVELS}?location=DAL-01", role="warehouse").json()
    assert [(box["box"], box["tracked"]) for box in at_dallas] == [("SHOEBOX", False)]
    # Every location's lists only the levels kept.
    assert [(box["location_code"], box["box"]) for box in stocked.get(LEVELS).json()] == [
        ("RNO-02", "CRATE"),
    ]  # fmt: skip
