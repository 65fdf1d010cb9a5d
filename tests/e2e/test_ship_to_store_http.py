"""Ship to store over HTTP: a pickup order its store cannot fill is sent the missing units
from a warehouse, listed as a transfer for it; received at the store, they release the
order's pickup, which is packed there and ready to collect."""

from __future__ import annotations

from engine.domain.catalog import Location, LocationType, Service
from engine.domain.values import Address
from tests.e2e.conftest import Api, order
from tests.e2e.test_pickup_orders_http import outbox
from tests.e2e.test_pickup_switch_http import publish

STORE = Location(
    "NYC-5", "Fifth Avenue", LocationType.STORE, Address("10001", line1="350 5th Ave"),
    services=frozenset({Service.PICKUP, Service.SHIP_TO_STORE}),
)  # fmt: skip
DALLAS_KEEPS_49 = """reservation ruleset buffers on order.validated policy all

rule "Dallas keeps a deep buffer"
  when true
  then safety_stock 49 where location.code == "DAL-01"
"""


def a_store_short_of_shoes(api: Api) -> None:
    # Stored directly, as tests/e2e/test_pickup_orders_http.py does.
    with api.container.uow_factory() as uow:
        uow.locations.add(STORE)
        uow.commit()
    api.seed(units=50)  # the Dallas warehouse
    api.seed(units=1, location="NYC-5")


def test_a_pickup_short_at_its_store_is_sent_the_rest_and_ready_when_it_arrives(
    api: Api,
) -> None:
    a_store_short_of_shoes(api)
    body = order("P-1", quantity=3, fulfilment="pickup", pickup_location="NYC-5")

    created = api.post("/v1/orders", role="channel", json=body)

    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    listed = api.get("/v1/inventory/transfers", params={"status": "in_transit"}).json()
    [transfer] = [t for t in listed if t["order_id"] == order_id]
    assert (transfer["from_location"], transfer["to_location"], transfer["quantity"]) == (
        "DAL-01", "NYC-5", 2,
    )  # fmt: skip
    detail = api.get(f"/v1/orders/{order_id}").json()
    assert [t["id"] for t in detail["transfers"]] == [transfer["id"]]
    assert detail["promised_date"] == transfer["expected_on"]
    assert [line["status"] for line in detail["lines"]] == ["backordered"]
    [waits] = outbox(api, "order.awaiting_transfer")
    assert (waits["order_id"], waits["transfer_id"]) == (order_id, transfer["id"])

    received = api.post(f"/v1/inventory/transfers/{transfer['id']}/receive")

    assert received.status_code == 200, received.text
    after = api.get(f"/v1/orders/{order_id}").json()
    assert [line["status"] for line in after["lines"]] == ["allocated"]
    assert after["transfers"][0]["status"] == "received"
    # The unit the store had went out at once; the two sent follow in a pickup of their own.
    [shipment] = [s for s in after["shipments"] if s["lines"][0]["quantity"] == 2]
    assert (shipment["location_code"], shipment["carrier"], shipment["status"]) == (
        "NYC-5", "pickup", "released",
    )  # fmt: skip
    packed = api.post(f"/v1/shipments/{shipment['id']}/status", json={"status": "packed"})
    assert packed.status_code == 200, packed.text
    ready = [r["shipment_id"] for r in outbox(api, "shipment.ready_for_pickup")]
    assert shipment["id"] in ready


def test_cancelling_what_waits_lists_its_transfer_as_cancelled_and_refuses_it(api: Api) -> None:
    a_store_short_of_shoes(api)
    body = order("P-2", quantity=3, fulfilment="pickup", pickup_location="NYC-5")
    order_id = api.post("/v1/orders", role="channel", json=body).json()["id"]

    cancelled = api.post(
        f"/v1/orders/{order_id}/cancel-backordered", json={"reason": "will take the one"}
    )

    assert cancelled.status_code == 200, cancelled.text
    [transfer] = api.get(f"/v1/orders/{order_id}").json()["transfers"]
    assert transfer["status"] == "cancelled"
    receipt = api.post(f"/v1/inventory/transfers/{transfer['id']}/receive")
    assert receipt.status_code == 409 and "was cancelled" in receipt.text


def test_a_pickup_waiting_is_sent_the_units_a_warehouse_receives_and_released_when_they_arrive(
    api: Api,
) -> None:
    with api.container.uow_factory() as uow:
        uow.locations.add(STORE)
        uow.commit()
    api.seed(units=0)  # the Dallas warehouse and the product, with nothing in stock anywhere
    body = order("P-3", quantity=3, fulfilment="pickup", pickup_location="NYC-5")
    order_id = api.post("/v1/orders", role="channel", json=body).json()["id"]
    waiting = api.get(f"/v1/orders/{order_id}").json()
    assert (waiting["status"], waiting["transfers"]) == ("backordered", [])

    receipt = {"sku": "SHOE-42", "location_code": "DAL-01", "quantity": 5, "reference": "PO-7"}
    received = api.post("/v1/inventory/receipts", json=receipt)

    assert received.status_code == 200, received.text
    assert received.json()["on_hand"] == 2  # three of the five went on to the store
    listed = api.get("/v1/inventory/transfers", params={"status": "in_transit"}).json()
    [transfer] = [t for t in listed if t["order_id"] == order_id]
    assert (transfer["from_location"], transfer["to_location"], transfer["quantity"]) == (
        "DAL-01", "NYC-5", 3,
    )  # fmt: skip
    sent = api.get(f"/v1/orders/{order_id}").json()
    assert [t["id"] for t in sent["transfers"]] == [transfer["id"]]
    assert (sent["status"], sent["promised_date"]) == ("backordered", transfer["expected_on"])
    again = api.post("/v1/inventory/receipts", json={**receipt, "reference": "PO-8"})
    assert again.status_code == 200 and again.json()["on_hand"] == 7  # nothing more sent
    assert len(api.get(f"/v1/orders/{order_id}").json()["transfers"]) == 1

    arrived = api.post(f"/v1/inventory/transfers/{transfer['id']}/receive")

    assert arrived.status_code == 200, arrived.text
    after = api.get(f"/v1/orders/{order_id}").json()
    assert after["status"] == "released"
    [shipment] = after["shipments"]
    assert (shipment["location_code"], shipment["carrier"], shipment["status"]) == (
        "NYC-5", "pickup", "released",
    )  # fmt: skip
    assert shipment["lines"][0]["quantity"] == 3


def test_a_warehouse_keeps_its_safety_stock_and_sends_once_a_receipt_leaves_enough_above_it(
    api: Api,
) -> None:
    a_store_short_of_shoes(api)
    publish(api, DALLAS_KEEPS_49)
    body = order("P-4", quantity=3, fulfilment="pickup", pickup_location="NYC-5")

    order_id = api.post("/v1/orders", role="channel", json=body).json()["id"]

    waiting = api.get(f"/v1/orders/{order_id}").json()
    assert waiting["transfers"] == []  # Dallas may give 1 of the 2 missing: none is sent
    sourcing = next(t for t in waiting["trace"] if t["step"] == "sourcing")
    [dallas] = sourcing["detail"]["ship_to_store"]["SHOE-42"]["sources"]
    assert (dallas["location"], dallas["available"], dallas["held_back"]) == ("DAL-01", 1, 49)
    assert dallas["held_back_by"] == ["buffers: Dallas keeps a deep buffer"]
    receipt = {"sku": "SHOE-42", "location_code": "DAL-01", "quantity": 1, "reference": "PO-9"}

    received = api.post("/v1/inventory/receipts", json=receipt)

    assert received.status_code == 200, received.text
    assert received.json()["on_hand"] == 49  # the two above the buffer went to the store
    [transfer] = api.get(f"/v1/orders/{order_id}").json()["transfers"]
    assert (transfer["from_location"], transfer["quantity"]) == ("DAL-01", 2)
