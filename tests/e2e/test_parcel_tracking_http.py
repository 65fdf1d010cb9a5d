"""Parcels after packing, over HTTP, on a deployment with a box catalogue (ORDO_PACKAGING_FILE):
a shipment of three parcels is tracked parcel by parcel (two `delivered` scans leave it
shipped, the third delivers it and its order), a scan naming a parcel it does not have is
refused naming the field, and a short pick packs what is left into new boxes, voiding the
label printed for the old ones. The deployment is test_shipment_parcels_http's (its WMS is
never sent anything here: no worker runs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.conftest import Api
from tests.e2e.test_labels_http import make
from tests.e2e.test_shipment_parcels_http import (  # `container`, `stocked`: fixtures
    container,  # noqa: F401
    stocked,  # noqa: F401
    the_shipment,
)
from tests.e2e.test_tracking_milestones_http import raised
from tests.integration.events.test_wms_release_worker import outside  # noqa: F401

# After the shipping, which the API stamps with the real clock.
SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


def at(hours: int) -> str:
    return (SOON + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def labelled_and_shipped(api: Api) -> tuple[dict[str, Any], list[str]]:
    """The sample 850's shipment of three parcels, labelled and shipped; its parcels' numbers."""
    shipment = the_shipment(api)
    labelled = make(api, shipment, "zpl")
    assert labelled.status_code == 200, labelled.text
    numbers = [parcel["tracking_number"] for parcel in labelled.json()["parcels"]]
    assert len(set(numbers)) == 3
    path = f"/v1/shipments/{shipment['id']}"
    moved = api.post(f"{path}/status", role="warehouse", json={"status": "shipped"})
    assert moved.status_code == 200, moved.text
    return shipment, numbers


def delivered(api: Api, shipment: dict[str, Any], hours: int, number: str) -> Any:
    scan = {"at": at(hours), "code": "DL", "location": "Dallas, TX", "tracking_number": number}
    return api.post(f"/v1/shipments/{shipment['id']}/tracking", role="warehouse", json=scan)


def test_a_shipment_of_three_parcels_is_delivered_with_its_order_when_all_three_are(
    stocked: Api,  # noqa: F811
) -> None:
    shipment, numbers = labelled_and_shipped(stocked)
    order_path = f"/v1/orders/{shipment['order_id']}"

    for hours, number in zip((1, 2), numbers[:2], strict=True):
        answer = delivered(stocked, shipment, hours, number)
        assert answer.status_code == 200, answer.text
    after_two = answer.json()
    assert after_two["status"] == "shipped"
    assert stocked.get(order_path).json()["status"] == "shipped"
    assert [p["milestone"] for p in after_two["parcels"]] == ["delivered", "delivered", ""]
    assert [t["tracking_number"] for t in after_two["tracking"]] == numbers[:2]

    last = delivered(stocked, shipment, 3, numbers[2])

    assert last.status_code == 200, last.text
    assert last.json()["status"] == "delivered"
    assert last.json()["delivered_at"].startswith(at(3)[:16])
    assert [p["milestone"] for p in last.json()["parcels"]] == ["delivered"] * 3
    assert stocked.get(order_path).json()["status"] == "delivered"
    tracked = raised(stocked, "shipment.tracked")
    assert [t["parcel_tracking_number"] for t in tracked] == numbers


def test_a_failed_attempt_of_one_parcel_is_raised_naming_it(
    stocked: Api,  # noqa: F811
) -> None:
    shipment, numbers = labelled_and_shipped(stocked)
    scan = {"at": at(1), "code": "NH-7", "milestone": "attempted", "tracking_number": numbers[1]}
    answer = stocked.post(f"/v1/shipments/{shipment['id']}/tracking", role="warehouse", json=scan)
    assert answer.status_code == 200, answer.text
    [exception] = raised(stocked, "shipment.delivery_exception")
    assert (exception["milestone"], exception["parcel_tracking_number"]) == (
        "attempted",
        numbers[1],
    )
    assert [p["milestone"] for p in answer.json()["parcels"]] == ["", "attempted", ""]


def test_a_scan_naming_a_parcel_the_shipment_does_not_have_is_refused_naming_the_field(
    stocked: Api,  # noqa: F811
) -> None:
    shipment, numbers = labelled_and_shipped(stocked)

    refused = delivered(stocked, shipment, 1, "PCL-NOT-OURS")

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    [error] = refused.json()["errors"]
    assert error["path"] == "$.tracking_number"
    assert error["message"] == (
        f"shipment {shipment['id']} has no parcel with tracking number 'PCL-NOT-OURS': its "
        f"parcels' are {', '.join(numbers)}"
    )
    assert stocked.get(f"/v1/shipments/{shipment['id']}").json()["tracking"] == []


def test_a_short_pick_packs_what_is_left_into_new_boxes_and_voids_the_old_label(
    stocked: Api,  # noqa: F811
) -> None:
    shipment = the_shipment(stocked)
    path = f"/v1/shipments/{shipment['id']}"
    labelled = make(stocked, shipment, "pdf")
    assert labelled.status_code == 200, labelled.text
    shipment_number = labelled.json()["tracking_number"]
    assert stocked.get(f"{path}/label", role="warehouse").status_code == 200

    body = {"reason": "sole torn", "lines": [{"sku": "SHOE-42", "missing": 1}]}
    answer = stocked.post(f"{path}/short", role="warehouse", json=body)

    assert answer.status_code == 200, answer.text
    left = answer.json()["shipment"]
    assert [(line["sku"], line["quantity"]) for line in left["lines"]] == [
        ("SHOE-42", 1),
        ("SOCK-M", 3),
    ]
    # One shoe and three socks, in boxes of 1.5 kg: two boxes now, where three were packed.
    assert [(p["box"], p["units"], p["weight_kg"]) for p in left["parcels"]] == [
        ("SHOEBOX", {"SHOE-42": 1, "SOCK-M": 1}, 1.7),
        ("SHOEBOX", {"SOCK-M": 2}, 0.8),
    ]
    assert all(p["billable_weight_kg"] for p in left["parcels"])
    assert left["label_format"] == ""
    assert [p["tracking_number"] for p in left["parcels"]] == ["", ""]
    assert stocked.get(f"{path}/label", role="warehouse").status_code == 404

    again = make(stocked, left, "zpl")

    assert again.status_code == 200, again.text
    assert again.json()["tracking_number"] == shipment_number
    zpl = stocked.get(f"{path}/label", role="warehouse").text
    assert zpl.count("^XA") == 2 and "PARCEL 2 OF 2" in zpl
