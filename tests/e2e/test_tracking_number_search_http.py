"""Shipments and returns found by a tracking number over HTTP (`GET /v1/shipments?tracking_number=`,
`GET /v1/returns?tracking_number=`), on the packing deployment of test_shipment_parcels_http:
a shipment of three labelled parcels is found by any of the three numbers, by the staff who
may see it and by no one else (a warehouse of another location, another customer); packed
again after a short pick, its old parcels' numbers find it no more; a return is found by its
label's number; a number that is no number is refused naming the parameter."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Api
from tests.e2e.test_labels_http import delivered, make, return_label, returned, shipment_of, site
from tests.e2e.test_shipment_parcels_http import (  # `container`, `stocked`: fixtures
    PRODUCTS,
    container,  # noqa: F401
    stocked,  # noqa: F401
    the_shipment,
)
from tests.integration.events.test_wms_release_worker import outside  # noqa: F401


def found(api: Api, number: str, role: str = "admin", of: str = "shipments") -> list[str]:
    answer = api.get(f"/v1/{of}", role=role, params={"tracking_number": number})
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()]


def labelled(api: Api, shipment: dict[str, Any]) -> list[str]:
    """Its label made; its parcels' tracking numbers, the first the shipment's own."""
    made = make(api, shipment, "zpl", role="admin")
    assert made.status_code == 200, made.text
    return [parcel["tracking_number"] for parcel in made.json()["parcels"]]


def with_warehouse_key_of(api: Api, location: str) -> str:
    """A role name `api` sends a new warehouse key of `location` alone under."""
    site(api, location)
    body = {"name": f"tracking-{location}", "role": "warehouse", "locations": [location]}
    issued = api.post("/v1/keys", json=body)
    assert issued.status_code == 201, issued.text
    api.keys[f"warehouse-{location}"] = issued.json()["api_key"]
    return f"warehouse-{location}"


def at_reno(api: Api) -> dict[str, Any]:
    """The shipment of an order of a boot only RNO-02 stocks."""
    body = {"name": "Reno boot", "price": "20.00", **PRODUCTS["SHOE-42"]}
    assert api.put("/v1/products/BOOT-R", json=body).status_code == 200
    api.seed("BOOT-R", units=5, location="RNO-02")
    shipment = shipment_of(api, "TRACK-3", location="RNO-02", sku="BOOT-R")
    assert shipment["location_code"] == "RNO-02", shipment
    return dict(shipment)


def test_a_packed_shipment_is_found_by_each_of_its_parcels_numbers(
    stocked: Api,  # noqa: F811
) -> None:
    shipment = the_shipment(stocked)
    numbers = labelled(stocked, shipment)
    assert len(set(numbers)) == 3

    for role in ("admin", "support", "warehouse"):  # the warehouse key works DAL-01, its own
        for number in numbers:
            assert found(stocked, number, role) == [shipment["id"]], (role, number)
    assert found(stocked, f"  {numbers[2]} ") == [shipment["id"]]
    assert found(stocked, numbers[2].lower()) == [], "a number is matched as it was issued"


def test_no_one_finds_by_its_number_a_shipment_they_may_not_see(
    stocked: Api,  # noqa: F811
) -> None:
    shipment = the_shipment(stocked)  # at DAL-01, for the 850's buyer C-1001
    numbers = labelled(stocked, shipment)
    elsewhere = with_warehouse_key_of(stocked, "RNO-02")
    theirs = at_reno(stocked)
    [their_number] = labelled(stocked, theirs)

    assert found(stocked, their_number, elsewhere) == [theirs["id"]]
    for number in numbers:
        assert found(stocked, number, elsewhere) == []
        assert found(stocked, number, "customer") == [], "the customer key is C-1's"
    assert found(stocked, their_number, "warehouse") == [], "the warehouse key is DAL-01's"


def test_a_customer_finds_their_own_shipment_by_its_number_and_no_one_else_s(
    stocked: Api,  # noqa: F811
) -> None:
    mine = shipment_of(stocked, "TRACK-1")
    theirs = shipment_of(stocked, "TRACK-2", customer_id="C-2")
    [my_number] = labelled(stocked, mine)
    [their_number] = labelled(stocked, theirs)

    assert found(stocked, my_number, "customer") == [mine["id"]]
    assert found(stocked, their_number, "customer") == []
    assert found(stocked, their_number, "support") == [theirs["id"]]


def test_packed_again_after_a_short_pick_its_old_parcels_numbers_find_it_no_more(
    stocked: Api,  # noqa: F811
) -> None:
    shipment = the_shipment(stocked)
    numbers = labelled(stocked, shipment)
    body = {"reason": "sole torn", "lines": [{"sku": "SHOE-42", "missing": 1}]}
    short = stocked.post(f"/v1/shipments/{shipment['id']}/short", role="warehouse", json=body)
    assert short.status_code == 200, short.text
    assert [p["tracking_number"] for p in short.json()["shipment"]["parcels"]] == ["", ""]

    assert found(stocked, numbers[1]) == []
    assert found(stocked, numbers[2]) == []
    assert found(stocked, numbers[0]) == [shipment["id"]], "it keeps its own number"

    again = labelled(stocked, short.json()["shipment"])
    assert again[0] == numbers[0] and len(again) == 2
    assert found(stocked, again[1]) == [shipment["id"]]


def test_a_return_is_found_by_its_label_s_tracking_number(
    stocked: Api,  # noqa: F811
) -> None:
    placed = delivered(stocked, "TRACK-R1")
    ret = returned(stocked, placed)
    stocked.post(f"/v1/returns/{ret['id']}/authorise", role="support")
    made = return_label(stocked, ret, location_code="DAL-01")
    assert made.status_code == 200, made.text
    number = made.json()["tracking_number"]

    assert found(stocked, number, "support", of="returns") == [ret["id"]]
    assert found(stocked, number, "customer", of="returns") == [ret["id"]]
    assert found(stocked, number.lower(), "support", of="returns") == []
    assert found(stocked, number) == [], "a return's number is no shipment's"


@pytest.mark.parametrize("of", ["shipments", "returns"])
@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("", "must be a tracking number"),
        ("   ", "must be a tracking number"),
        ("PCL\u20130001", "must be a tracking number"),
        ("P" * 129, "at most 128 characters"),
    ],
)
def test_a_number_that_is_no_tracking_number_is_refused_naming_the_parameter(
    stocked: Api,  # noqa: F811
    of: str,
    number: str,
    why: str,
) -> None:
    answer = stocked.get(f"/v1/{of}", params={"tracking_number": number})

    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    [error] = answer.json()["errors"]
    assert error["path"] == "query parameter 'tracking_number'"
    assert why in error["message"]
