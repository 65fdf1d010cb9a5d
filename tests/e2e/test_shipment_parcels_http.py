"""A packed shipment over HTTP, on a deployment with a box catalogue (ORDO_PACKAGING_FILE) and
a WMS: an EDI order needing three boxes is one shipment listing its three parcels; its label
is three labels in one document (a three-page PDF, three ZPL labels), each with its own
tracking number; the release the WMS gets names the parcels; the 856 the partner gets has a
carton per parcel. An order packed into one box is labelled as an unpacked one is."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ordo.bootstrap import Container
from tests.e2e.conftest import Api, packing_container, run_worker
from tests.e2e.test_edi_orders_http import SAMPLE, post
from tests.e2e.test_edi_ship_notices_http import MAILBOX, segments_of
from tests.e2e.test_labels_http import make, shipment_of, site
from tests.integration.events.test_wms_release_worker import (  # `outside`: a fixture
    TOKEN,
    Outside,
    outside,  # noqa: F401
)

# One box of 1.5 kg at most: the 850's 2 shoes (1.2 kg) and 3 socks (0.3 kg) take three.
BOXES = """boxes:
  - {code: SHOEBOX, length_cm: 30, width_cm: 20, height_cm: 10, max_weight_kg: 1.5,
     tare_kg: 0.2, cost: 0.45}
"""
PRODUCTS = {
    "SHOE-42": {"weight_kg": 1.2, "dimensions": {"length_cm": 25, "width_cm": 15, "height_cm": 8}},
    "SOCK-M": {"weight_kg": 0.3, "dimensions": {"length_cm": 10, "width_cm": 10, "height_cm": 2}},
}


@pytest.fixture
def container(
    database_url: str,
    tmp_path: Path,
    outside: Outside,  # noqa: F811
) -> Iterator[Container]:
    """The app of a deployment that packs shipments and sends DAL-01's to a WMS."""
    wms = {"dallas": {"base_url": f"{outside.url}/wms", "token": TOKEN, "locations": ["DAL-01"]}}
    with packing_container(database_url, tmp_path, BOXES, wms=json.dumps(wms)) as built:
        yield built


@pytest.fixture
def stocked(api: Api) -> Api:
    site(api)
    for sku, measures in PRODUCTS.items():
        body = {"name": sku, "price": "20.00", **measures}
        assert api.put(f"/v1/products/{sku}", json=body).status_code == 200
        api.seed(sku, units=10)
    return api


def the_shipment(api: Api) -> dict[str, Any]:
    """The one shipment of the sample 850's order (2 SHOE-42, 3 SOCK-M), as the API shows it."""
    answer = post(api, SAMPLE)
    assert answer.status_code == 200, answer.text
    order = answer.json()["results"][0]["order"]
    [shipment] = api.get(f"/v1/orders/{order['id']}").json()["shipments"]
    return dict(shipment)


def test_a_packed_shipment_is_labelled_released_and_announced_parcel_by_parcel(
    stocked: Api,
    outside: Outside,  # noqa: F811
) -> None:
    shipment = the_shipment(stocked)
    assert [(p["box"], p["units"], p["weight_kg"]) for p in shipment["parcels"]] == [
        ("SHOEBOX", {"SHOE-42": 1, "SOCK-M": 1}, 1.7),
        ("SHOEBOX", {"SHOE-42": 1, "SOCK-M": 1}, 1.7),
        ("SHOEBOX", {"SOCK-M": 1}, 0.5),
    ]
    assert all(p["dimensions_cm"] == [30.0, 20.0, 10.0] for p in shipment["parcels"])
    assert all(p["tracking_number"] == "" for p in shipment["parcels"])

    labelled = make(stocked, shipment, "pdf")
    assert labelled.status_code == 200, labelled.text
    numbers = [p["tracking_number"] for p in labelled.json()["parcels"]]
    assert numbers[0] == labelled.json()["tracking_number"] and len(set(numbers)) == 3
    pdf = stocked.get(f"/v1/shipments/{shipment['id']}/label", role="warehouse").content
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 3
    assert make(stocked, shipment, "zpl").json()["parcels"] == labelled.json()["parcels"]
    zpl = stocked.get(f"/v1/shipments/{shipment['id']}/label", role="warehouse").text
    assert zpl.count("^XA") == 3
    for place, number in enumerate(numbers, start=1):
        assert f"^FDTRACKING #: {number}^FS" in zpl and f"^FDPARCEL {place} OF 3" in zpl

    run_worker(stocked)  # the release goes to the WMS, labelled already
    [(_, body)] = outside.posts
    assert body["id"] == shipment["id"]
    assert body["parcels"] == [
        {"box": "SHOEBOX", "units": units, "weight_kg": weight, "dimensions_cm": [30.0, 20.0, 10.0],
         "tracking_number": number}
        for units, weight, number in zip(
            ([{"sku": "SHOE-42", "units": 1}, {"sku": "SOCK-M", "units": 1}],) * 2
            + ([{"sku": "SOCK-M", "units": 1}],),
            (1.7, 1.7, 0.5),
            numbers,
            strict=True,
        )
    ]  # fmt: skip

    moved = stocked.post(f"/v1/shipments/{shipment['id']}/status", role="warehouse",
                         json={"status": "shipped"})  # fmt: skip
    assert moved.status_code == 200, moved.text
    run_worker(stocked)
    [waiting] = stocked.get(MAILBOX, role="channel").json()
    notice = stocked.get(waiting["content_url"], role="channel").text
    assert segments_of(notice, "TD1") == [["CTN25", "3", "", "", "", "G", "3.9", "KG"]]
    assert segments_of(notice, "MAN") == [["CP", number] for number in numbers]
    assert [hl[2] for hl in segments_of(notice, "HL")] == [
        "S", "O", "P", "I", "I", "P", "I", "I", "P", "I",
    ]  # fmt: skip
    assert segments_of(notice, "SN1") == [
        ["1", "1", "EA"], ["2", "1", "EA"], ["1", "1", "EA"], ["2", "1", "EA"], ["2", "1", "EA"],
    ]  # fmt: skip


def test_an_order_in_one_box_is_labelled_as_an_unpacked_one(stocked: Api) -> None:
    single = shipment_of(stocked, "W-1", sku="SOCK-M", quantity=2)
    [parcel] = single["parcels"]
    assert (parcel["box"], parcel["units"], parcel["weight_kg"]) == ("SHOEBOX", {"SOCK-M": 2}, 0.8)

    labelled = make(stocked, single, "zpl").json()

    zpl = stocked.get(f"/v1/shipments/{single['id']}/label", role="warehouse").text
    assert zpl.count("^XA") == 1 and "PARCEL" not in zpl
    assert "Weight: 0.60 kg" in zpl  # the units' weight, as an unpacked shipment's label says
    assert labelled["parcels"] == [{**parcel, "tracking_number": labelled["tracking_number"]}]
