"""Switching an order between shipping and click and collect over HTTP, through
`POST /v1/orders/{id}/modify`: the order is sourced again for its new way to the customer and
the audit says what it was; a switch the order cannot make is 422 at its field, and one the
locations are already working on is 409."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Api, order
from tests.e2e.test_pickup_orders_http import a_store, said

# The store ships from its shelves too (ship_from_store): kept to pickups here, a shipped
# order with nothing at the Dallas DC waits for stock instead of leaving from the store.
COUNTER_ONLY = """sourcing ruleset counters on order.received policy all

rule "The store only hands over pickups"
  when order.fulfilment == "ship"
  then exclude location.type == "store"
"""


def publish(api: Api, source: str) -> None:
    draft = api.post("/v1/rulesets/drafts", json={"source": source})
    assert draft.status_code == 201, draft.text
    published = api.post(f"/v1/rulesets/versions/{draft.json()['id']}/publish", json={})
    assert published.status_code == 200, published.text


def modify(api: Api, order_id: str, **asked: Any) -> Any:
    return api.post(f"/v1/orders/{order_id}/modify", role="support", json=asked)


def shipments(api: Api, order_id: str) -> list[tuple[str, str, str]]:
    detail = api.get(f"/v1/orders/{order_id}").json()
    return [
        (s["location_code"], s["carrier"], s["status"])
        for s in detail["shipments"]
        if s["status"] != "cancelled"
    ]


def test_a_backordered_order_switched_to_pickup_is_collected_at_a_store_that_has_it(
    api: Api,
) -> None:
    a_store(api, units=5, dc_units=0)
    publish(api, COUNTER_ONLY)
    created = api.post("/v1/orders", role="channel", json=order("SW-1", quantity=2)).json()
    assert created["status"] == "backordered"

    switched = modify(api, created["id"], fulfilment="pickup", pickup_location="NYC-5")

    assert switched.status_code == 200, switched.text
    after = switched.json()
    assert (after["status"], after["fulfilment"], after["pickup_location"]) == (
        "released",
        "pickup",
        "NYC-5",
    )
    assert shipments(api, created["id"]) == [("NYC-5", "pickup", "released")]
    [entry] = [
        e
        for e in api.get(f"/v1/orders/{created['id']}", role="support").json()["events"]
        if e["action"] == "order.modify"
    ]
    before = {k: entry["before"][k] for k in ("fulfilment", "pickup_location", "status")}
    assert before == {"fulfilment": "ship", "pickup_location": None, "status": "backordered"}
    assert (entry["after"]["fulfilment"], entry["after"]["pickup_location"]) == ("pickup", "NYC-5")
    assert entry["after"]["request"]["fulfilment"] == "pickup"


def test_a_pickup_waiting_for_its_store_switched_to_shipping_ships_from_the_warehouse(
    api: Api,
) -> None:
    a_store(api, units=0)
    body = order("SW-2", fulfilment="pickup", pickup_location="NYC-5")
    created = api.post("/v1/orders", role="channel", json=body).json()
    assert created["status"] == "backordered"

    switched = modify(api, created["id"], fulfilment="ship")

    assert switched.status_code == 200, switched.text
    assert (switched.json()["fulfilment"], switched.json()["pickup_location"]) == ("ship", None)
    [(location, carrier, status)] = shipments(api, created["id"])
    assert (location, status) == ("DAL-01", "released") and carrier != "pickup"


@pytest.mark.parametrize(
    ("asked", "says"),
    [
        ({"fulfilment": "pickup"}, "needs the code of the store"),
        ({"pickup_location": "NYC-5"}, "but the order is shipped"),
        ({"fulfilment": "pickup", "pickup_location": "NOWHERE"}, "is not known to Ordo"),
        ({"fulfilment": "pickup", "pickup_location": "DAL-01"}, "does not offer pickup"),
    ],
)
def test_a_switch_to_a_store_that_cannot_take_the_order_is_refused_at_pickup_location(
    api: Api, asked: dict[str, str], says: str
) -> None:
    a_store(api, units=0, dc_units=0)
    created = api.post("/v1/orders", role="channel", json=order("SW-3")).json()

    refused = modify(api, created["id"], **asked)

    assert refused.status_code == 422, refused.text
    assert said(refused.json()).startswith("$.pickup_location: ") and says in said(refused.json())
    after = api.get(f"/v1/orders/{created['id']}").json()
    assert (after["status"], after["fulfilment"]) == ("backordered", "ship")


def test_an_unknown_fulfilment_is_refused_at_its_field(api: Api) -> None:
    a_store(api)
    created = api.post("/v1/orders", role="channel", json=order("SW-4")).json()

    refused = modify(api, created["id"], fulfilment="drone")

    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert (error["path"], error["message"]) == (
        "$.fulfilment",
        "Input should be 'ship' or 'pickup'",
    )


def test_an_order_its_location_is_already_working_on_cannot_be_switched(api: Api) -> None:
    a_store(api)
    created = api.post("/v1/orders", role="channel", json=order("SW-5")).json()
    [shipment] = api.get(f"/v1/orders/{created['id']}").json()["shipments"]
    assert shipment["status"] == "released"
    path = f"/v1/shipments/{shipment['id']}/status"
    assert api.post(path, json={"status": "picked"}).status_code == 200

    refused = modify(api, created["id"], fulfilment="pickup", pickup_location="NYC-5")

    assert refused.status_code == 409, refused.text
    assert "'picked'" in refused.json()["detail"]
    picked = f"shipment {shipment['id']} at {shipment['location_code']} is already picked"
    assert picked in refused.json()["detail"]
    assert api.get(f"/v1/orders/{created['id']}").json()["fulfilment"] == "ship"
