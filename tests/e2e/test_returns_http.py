"""Returns over HTTP: request, authorise, receive (restock), refund and reject, with who may."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from tests.e2e.conftest import Api, order
from tests.e2e.live import at_once, serve


def delivered(api: Api, channel_order_id: str = "R-1", quantity: int = 2, **extra: Any) -> Any:
    """An order of `quantity` SHOE-42 at 20.00, shipped and delivered from DAL-01."""
    api.seed(units=10)
    created = api.post(
        "/v1/orders", role="channel", json=order(channel_order_id, quantity=quantity, **extra)
    )
    assert created.status_code == 201, created.text
    [shipment] = api.get(f"/v1/orders/{created.json()['id']}").json()["shipments"]
    for status in ("shipped", "delivered"):
        moved = api.post(f"/v1/shipments/{shipment['id']}/status", json={"status": status})
        assert moved.status_code == 200, moved.text
    return api.get(f"/v1/orders/{created.json()['id']}").json()


def ask(api: Api, placed: Any, quantity: int, role: str = "customer", **line: Any) -> Any:
    body = {"lines": [{"order_line_id": placed["lines"][0]["id"], "quantity": quantity, **line}]}
    return api.post(f"/v1/orders/{placed['id']}/returns", role=role, json=body)


def on_hand(api: Api, location: str = "DAL-01") -> int:
    [row] = [
        s for s in api.get("/v1/inventory/skus/SHOE-42").json() if s["location_code"] == location
    ]
    return int(row["on_hand"])


def test_a_delivered_line_is_returned_authorised_received_restocked_and_refunded(
    api: Api,
) -> None:
    placed = delivered(api)
    assert placed["status"] == "delivered"
    stock_before = on_hand(api)

    requested = ask(api, placed, 1, reason="too small")
    assert requested.status_code == 201, requested.text
    ret = requested.json()
    assert (ret["status"], ret["rma"], ret["lines"][0]["reason"]) == ("requested", "", "too small")

    authorised = api.post(f"/v1/returns/{ret['id']}/authorise", role="support")
    assert authorised.status_code == 200, authorised.text
    rma = authorised.json()["rma"]
    assert rma.startswith("RMA-")

    [found] = api.get(f"/v1/returns?rma={rma}", role="warehouse").json()
    assert [
        r["id"] for r in api.get(f"/v1/orders/{placed['id']}/returns", role="warehouse").json()
    ] == [ret["id"]]
    received = api.post(
        f"/v1/returns/{found['id']}/receive", role="warehouse", json={"location_code": "DAL-01"}
    )
    assert received.status_code == 200, received.text
    assert (received.json()["status"], received.json()["location_code"]) == ("received", "DAL-01")
    assert on_hand(api) == stock_before + 1

    refunded = api.post(f"/v1/returns/{ret['id']}/refund", role="support", json={})
    assert refunded.status_code == 200, refunded.text
    assert (refunded.json()["status"], refunded.json()["refund_amount"]) == ("refunded", "20.00")

    mine = api.get(f"/v1/orders/{placed['id']}/returns", role="customer").json()
    assert [(r["id"], r["status"]) for r in mine] == [(ret["id"], "refunded")]
    history = api.get(f"/v1/audit?entity=return&entity_id={ret['id']}").json()
    assert sorted(e["action"] for e in history) == [
        "return.authorise",
        "return.receive",
        "return.refund",
        "return.request",
    ]


def test_returning_more_than_shipped_less_already_returned_is_refused_naming_the_line(
    api: Api,
) -> None:
    placed = delivered(api, quantity=2)
    line_id = placed["lines"][0]["id"]
    assert ask(api, placed, 1).status_code == 201
    refused = ask(api, placed, 2)
    assert refused.status_code == 422
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert f"line {line_id}" in problem["detail"]
    assert "only 1 can be (2 shipped, 1 already on other returns)" in problem["detail"]
    assert [e["path"] for e in problem["errors"]] == ["$.lines[0].quantity"]


def test_a_line_the_order_does_not_have_is_refused_by_name(api: Api) -> None:
    placed = delivered(api)
    body = {"lines": [{"order_line_id": "NO-SUCH-LINE", "quantity": 1}]}
    refused = api.post(f"/v1/orders/{placed['id']}/returns", role="support", json=body)
    assert refused.status_code == 422
    assert "NO-SUCH-LINE" in refused.json()["detail"]
    assert [e["path"] for e in refused.json()["errors"]] == ["$.lines[0].order_line_id"]


def test_a_line_named_twice_is_refused_at_its_second_place(api: Api) -> None:
    placed = delivered(api, quantity=2)
    line_id = placed["lines"][0]["id"]
    twice = [{"order_line_id": line_id, "quantity": 1}] * 2
    refused = api.post(f"/v1/orders/{placed['id']}/returns", role="support", json={"lines": twice})
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["path"] == "$.lines[1].order_line_id"
    assert f"line {line_id} is named more than once (also at lines[0])" in error["message"]


def test_nothing_can_be_returned_before_it_ships(api: Api) -> None:
    api.seed(units=10)
    created = api.post("/v1/orders", role="channel", json=order("R-2")).json()
    refused = ask(api, created, 1, role="support")
    assert refused.status_code == 409
    assert "nothing of it has shipped" in refused.json()["detail"]


def test_a_customer_neither_sees_nor_returns_another_customers_order(api: Api) -> None:
    placed = delivered(api, customer_id="C-2")
    assert ask(api, placed, 1, role="customer").status_code == 404
    ret = ask(api, placed, 1, role="support").json()
    assert api.get(f"/v1/returns/{ret['id']}", role="customer").status_code == 404
    assert api.get("/v1/returns", role="customer").json() == []
    assert api.get(f"/v1/orders/{placed['id']}/returns", role="customer").status_code == 404


def test_customers_and_warehouses_may_not_authorise_refund_or_reject(api: Api) -> None:
    placed = delivered(api)
    ret = ask(api, placed, 1).json()
    for role in ("customer", "warehouse"):
        assert api.post(f"/v1/returns/{ret['id']}/authorise", role=role).status_code == 403
        assert api.post(f"/v1/returns/{ret['id']}/refund", role=role, json={}).status_code == 403
        rejected = api.post(f"/v1/returns/{ret['id']}/reject", role=role, json={"reason": "no"})
        assert rejected.status_code == 403
    assert api.get(f"/v1/returns/{ret['id']}", role="customer").json()["status"] == "requested"
    # Not yet authorised: nothing for a warehouse to book in, so it does not see it.
    assert api.get(f"/v1/returns/{ret['id']}", role="warehouse").status_code == 404
    assert api.get(f"/v1/orders/{placed['id']}/returns", role="warehouse").status_code == 404


def test_a_warehouse_receives_only_at_its_own_locations(api: Api) -> None:
    api.seed(units=0, location="RNO-02")
    placed = delivered(api)
    ret = ask(api, placed, 1).json()
    api.post(f"/v1/returns/{ret['id']}/authorise", role="support")
    refused = api.post(
        f"/v1/returns/{ret['id']}/receive", role="warehouse", json={"location_code": "RNO-02"}
    )
    assert refused.status_code == 403
    assert "DAL-01" in refused.json()["detail"]


def test_a_return_is_not_received_at_a_dropship_vendor_which_holds_no_stock_of_ours(
    api: Api,
) -> None:
    vendor = {"name": "Vendor", "type": "dropship_vendor", "address": {"postal_code": "49503"}}
    assert api.put("/v1/locations/DSV-GRR", json=vendor).status_code == 200
    placed = delivered(api)
    ret = ask(api, placed, 1, role="support", restock=True).json()
    api.post(f"/v1/returns/{ret['id']}/authorise", role="support")
    refused = api.post(
        f"/v1/returns/{ret['id']}/receive", role="support", json={"location_code": "DSV-GRR"}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith("location DSV-GRR is a dropship vendor")
    assert api.get(f"/v1/returns/{ret['id']}").json()["status"] == "authorised"
    assert all(
        s["location_code"] != "DSV-GRR" for s in api.get("/v1/inventory/skus/SHOE-42").json()
    )


def test_authorising_may_name_where_the_parcel_goes_back_to_and_is_audited(api: Api) -> None:
    placed = delivered(api)
    ret = ask(api, placed, 1, role="support", restock=True).json()
    authorised = api.post(
        f"/v1/returns/{ret['id']}/authorise", role="support", json={"location_code": "DAL-01"}
    )
    assert authorised.status_code == 200, authorised.text
    assert (authorised.json()["status"], authorised.json()["location_code"]) == (
        "authorised",
        "DAL-01",
    )
    entries = api.get(f"/v1/audit?entity=return&entity_id={ret['id']}").json()
    [entry] = [e for e in entries if e["action"] == "return.authorise"]
    assert (entry["after"]["status"], entry["after"]["location_code"]) == ("authorised", "DAL-01")


@pytest.mark.parametrize(
    ("location", "status", "says"),
    [("NOWHERE", 404, "location"), ("DSV-GRR", 422, "location DSV-GRR is a dropship vendor")],
)
def test_authorising_to_a_location_that_takes_no_returns_changes_nothing(
    api: Api, location: str, status: int, says: str
) -> None:
    vendor = {"name": "Vendor", "type": "dropship_vendor", "address": {"postal_code": "49503"}}
    assert api.put("/v1/locations/DSV-GRR", json=vendor).status_code == 200
    placed = delivered(api)
    ret = ask(api, placed, 1, role="support", restock=True).json()
    refused = api.post(
        f"/v1/returns/{ret['id']}/authorise", role="support", json={"location_code": location}
    )
    assert refused.status_code == status, refused.text
    assert says in refused.json()["detail"]
    after = api.get(f"/v1/returns/{ret['id']}").json()
    assert (after["status"], after["location_code"], after["rma"]) == ("requested", "", "")


def test_a_return_must_be_authorised_before_it_is_received(api: Api) -> None:
    placed = delivered(api)
    ret = ask(api, placed, 1).json()
    early = api.post(f"/v1/returns/{ret['id']}/receive", json={"location_code": "DAL-01"})
    assert early.status_code == 409
    assert "'requested'" in early.json()["detail"] and "'received'" in early.json()["detail"]


def test_a_line_not_for_restock_is_received_without_adding_stock(api: Api) -> None:
    placed = delivered(api)
    before = on_hand(api)
    ret = ask(api, placed, 1, role="support", restock=False, reason="damaged").json()
    api.post(f"/v1/returns/{ret['id']}/authorise", role="support")
    received = api.post(f"/v1/returns/{ret['id']}/receive", json={"location_code": "DAL-01"})
    assert received.status_code == 200, received.text
    assert on_hand(api) == before


def test_the_receiving_location_keeps_units_it_finds_unfit_to_sell_off_sale(api: Api) -> None:
    placed = delivered(api)
    before = on_hand(api)
    ret = ask(api, placed, 1, reason="too small").json()
    api.post(f"/v1/returns/{ret['id']}/authorise", role="support")
    line_id = placed["lines"][0]["id"]
    body = {"location_code": "DAL-01", "not_restocked": [line_id]}
    received = api.post(f"/v1/returns/{ret['id']}/receive", role="warehouse", json=body)
    assert received.status_code == 200, received.text
    assert received.json()["lines"][0]["restock"] is False
    assert on_hand(api) == before
    assert api.get(f"/v1/returns/{ret['id']}").json()["lines"][0]["restock"] is False


def test_keeping_off_sale_a_line_the_return_does_not_have_is_refused_and_nothing_received(
    api: Api,
) -> None:
    placed = delivered(api)
    before = on_hand(api)
    ret = ask(api, placed, 1).json()
    api.post(f"/v1/returns/{ret['id']}/authorise", role="support")
    body = {"location_code": "DAL-01", "not_restocked": ["NO-SUCH-LINE"]}
    refused = api.post(f"/v1/returns/{ret['id']}/receive", role="warehouse", json=body)
    assert refused.status_code == 422, refused.text
    assert "NO-SUCH-LINE, which is not a line of return" in refused.json()["detail"]
    assert api.get(f"/v1/returns/{ret['id']}").json()["status"] == "authorised"
    assert on_hand(api) == before


@pytest.mark.parametrize("restock", [False, True])
def test_a_customer_may_not_decide_whether_returned_units_go_back_on_sale(
    api: Api, restock: bool
) -> None:
    placed = delivered(api)
    refused = ask(api, placed, 1, restock=restock, reason="damaged")
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    [error] = refused.json()["errors"]
    assert error["path"] == "$.lines[0].restock"
    assert error["message"] == "is decided by support, not by the customer: leave it out"
    assert api.get(f"/v1/orders/{placed['id']}/returns", role="customer").json() == []


def test_a_customers_return_without_restock_is_restocked_and_support_may_say_otherwise(
    api: Api,
) -> None:
    placed = delivered(api)
    mine = ask(api, placed, 1, reason="too small")
    assert mine.status_code == 201, mine.text
    assert mine.json()["lines"][0]["restock"] is True
    theirs = ask(api, placed, 1, role="support", restock=False, reason="damaged")
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["lines"][0]["restock"] is False


def test_a_refund_is_never_more_than_the_lines_are_worth(api: Api) -> None:
    placed = delivered(api, quantity=2)
    ret = ask(api, placed, 1).json()
    api.post(f"/v1/returns/{ret['id']}/authorise", role="support")
    api.post(f"/v1/returns/{ret['id']}/receive", json={"location_code": "DAL-01"})
    too_much = api.post(f"/v1/returns/{ret['id']}/refund", role="support", json={"amount": "25"})
    assert too_much.status_code == 422
    assert "more than the 20.00 USD allowed" in too_much.json()["detail"]
    partial = api.post(f"/v1/returns/{ret['id']}/refund", role="support", json={"amount": "15"})
    assert partial.status_code == 200, partial.text
    assert partial.json()["refund_amount"] == "15.00"


def test_a_rejected_return_gives_its_units_back_to_be_returned_again(api: Api) -> None:
    placed = delivered(api, quantity=1)
    first = ask(api, placed, 1).json()
    rejected = api.post(
        f"/v1/returns/{first['id']}/reject", role="support", json={"reason": "worn"}
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert ask(api, placed, 1).status_code == 201
    entry = api.get(f"/v1/audit?entity=return&entity_id={first['id']}").json()[0]
    assert (entry["action"], entry["after"]["reason"]) == ("return.reject", "worn")


def test_four_requests_at_once_for_the_last_returnable_unit_return_it_once(
    api: Api, app: FastAPI
) -> None:
    placed = delivered(api, quantity=1)
    path = f"/v1/orders/{placed['id']}/returns"
    body = {"lines": [{"order_line_id": placed["lines"][0]["id"], "quantity": 1}]}
    with serve(app) as base:
        answers = at_once(base, [(path, body, api.headers("support"))] * 4)
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses[0] == 201 and set(statuses[1:]) <= {409, 422}, [a.text for a in answers]
    assert len(api.get(path).json()) == 1
