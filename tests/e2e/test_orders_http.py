"""Orders over HTTP: ingestion (single and batch), search, detail, cancel, modify and release."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from engine.domain.orders import NO_LONGER_APPLIES
from ordo.bootstrap import build_app_container
from ordo.settings import load_settings
from tests.e2e.conftest import SECRET, Api, issue_role_keys, order


def test_an_ingested_order_comes_back_decided_with_its_shipment_and_trace(api: Api) -> None:
    api.seed(units=10)
    created = api.post("/v1/orders", role="channel", json=order("W-1", quantity=2))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["channel"], body["status"]) == ("web", "released")
    detail = api.get(f"/v1/orders/{body['id']}", role="support").json()
    [shipment] = detail["shipments"]
    assert (shipment["location_code"], shipment["lines"][0]["quantity"]) == ("DAL-01", 2)
    assert {t["step"] for t in detail["trace"]} >= {"validation", "sourcing", "carrier"}
    assert detail["events"][0]["action"] == "order.create"
    atp = api.get("/v1/inventory/atp/SHOE-42").json()
    assert atp["total"] == 8


def test_the_same_channel_order_id_twice_is_refused_and_creates_one_order(api: Api) -> None:
    api.seed(units=10)
    assert api.post("/v1/orders", role="channel", json=order("W-1")).status_code == 201
    again = api.post("/v1/orders", role="channel", json=order("W-1"))
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert "W-1" in again.json()["detail"] and "Idempotency-Key" in again.json()["detail"]
    assert len(api.get("/v1/orders?channel=web", role="admin").json()) == 1


def test_the_same_channel_order_id_from_two_channels_is_two_orders(api: Api) -> None:
    api.seed(units=10)
    assert api.post("/v1/orders", role="channel", json=order("X-1")).status_code == 201
    other = api.post("/v1/orders", role="admin", json=order("X-1", channel="pos"))
    assert other.status_code == 201
    assert other.json()["channel"] == "pos"


def test_a_channel_key_cannot_ingest_for_another_channel(api: Api) -> None:
    response = api.post("/v1/orders", role="channel", json=order("W-9", channel="pos"))
    assert response.status_code == 403
    assert "'web'" in response.json()["detail"]


def test_one_bad_order_in_a_batch_does_not_sink_the_others(api: Api) -> None:
    api.seed(units=10)
    batch = {"orders": [order("B-1"), order("B-1"), order("B-3", quantity=2)]}
    response = api.post("/v1/orders/batch", role="channel", json=batch)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == [201, 409, 201]
    assert (body["created"], body["failed"]) == (2, 1)
    assert body["results"][1]["problem"]["detail"]
    assert body["results"][1]["problem"]["title"] == "Conflict"
    assert body["results"][2]["order"]["lines"][0]["quantity"] == 2


def test_an_invalid_order_in_a_batch_gets_its_own_422_and_the_rest_are_created(api: Api) -> None:
    api.seed(units=10)
    misspelt = {**order("B-2"), "coupon": "X"}
    misspelt["lines"] = [{"sku": "SHOE-42", "quantity": 0}]
    batch = {"orders": [order("B-1"), misspelt, order("B-3")]}
    response = api.post("/v1/orders/batch", role="channel", json=batch)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 201]
    problem = results[1]["problem"]
    assert {e["path"] for e in problem["errors"]} == {
        "$.orders[1].coupon",
        "$.orders[1].lines[0].quantity",
    }
    assert results[1]["channel_order_id"] == "B-2"
    assert "order 1 is not valid" in problem["detail"]


def test_a_batch_order_with_a_lower_case_country_or_currency_gets_its_own_422_by_path(
    api: Api,
) -> None:
    api.seed(units=10)
    lower = {**order("B-2"), "currency": "eur"}
    lower["ship_to"] = {**lower["ship_to"], "country": "us"}
    batch = {"orders": [order("B-1"), lower]}
    response = api.post("/v1/orders/batch", role="channel", json=batch)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 422]
    assert {e["path"] for e in results[1]["problem"]["errors"]} == {
        "$.orders[1].currency",
        "$.orders[1].ship_to.country",
    }


def test_a_batch_that_is_not_a_list_of_orders_is_refused_whole(api: Api) -> None:
    response = api.post("/v1/orders/batch", role="channel", json={"orders": [], "extra": 1})
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert paths == {"$.orders", "$.extra"}


def test_orders_are_found_by_customer_email_status_sku_and_date(api: Api) -> None:
    api.seed(sku="SHOE-42", units=10)
    api.seed(sku="SOCK-M", units=10)
    first = api.post("/v1/orders", role="channel", json=order("S-1")).json()
    api.post("/v1/orders", role="channel", json=order("S-2", sku="SOCK-M", customer_id="C-2"))
    found = api.get("/v1/orders?customer_id=C-1", role="support").json()
    assert [o["channel_order_id"] for o in found] == ["S-1"]
    assert len(api.get("/v1/orders?email=ada@example.com", role="support").json()) == 2
    by_sku = api.get("/v1/orders?sku=SOCK-M", role="support").json()
    assert [o["channel_order_id"] for o in by_sku] == ["S-2"]
    assert len(api.get("/v1/orders?status=released", role="support").json()) == 2
    since = first["created_at"]
    window = api.get("/v1/orders", role="support", params={"created_from": since}).json()
    assert "S-1" in {o["channel_order_id"] for o in window}
    future = api.get("/v1/orders", role="support", params={"created_from": "2100-01-01T00:00:00Z"})
    assert future.json() == []
    by_channel_id = api.get("/v1/orders?channel=web&channel_order_id=S-2", role="support")
    assert [o["id"] for o in by_channel_id.json()] != [first["id"]]


def test_a_date_window_that_ends_before_it_starts_is_refused_not_answered_empty(
    api: Api,
) -> None:
    reversed_window = {"created_from": "2026-01-02T00:00:00Z", "created_to": "2026-01-01T00:00:00"}
    response = api.get("/v1/orders", role="support", params=reversed_window)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert "'created_to' (2026-01-01T00:00:00) must be later than 'created_from'" in detail
    same_moment = {"created_from": "2026-01-01T05:00:00+05:00", "created_to": "2026-01-01"}
    assert api.get("/v1/orders", role="support", params=same_moment).status_code == 422
    one_day = {"created_from": "2026-01-01T00:00:00Z", "created_to": "2026-01-02T00:00:00Z"}
    assert api.get("/v1/orders", role="support", params=one_day).json() == []


def test_channel_and_customer_keys_see_only_their_own_orders(api: Api) -> None:
    api.seed(units=10)
    mine = api.post("/v1/orders", role="channel", json=order("O-1")).json()
    theirs = api.post(
        "/v1/orders", role="admin", json=order("O-2", channel="pos", customer_id="C-2")
    ).json()
    assert [o["id"] for o in api.get("/v1/orders", role="channel").json()] == [mine["id"]]
    assert api.get(f"/v1/orders/{theirs['id']}", role="channel").status_code == 404
    assert [o["id"] for o in api.get("/v1/orders", role="customer").json()] == [mine["id"]]
    assert api.get(f"/v1/orders/{theirs['id']}", role="customer").status_code == 404


def test_cancelling_an_order_before_release_is_audited_and_refused_twice(api: Api) -> None:
    api.seed(units=0)
    created = api.post("/v1/orders", role="channel", json=order("C-1", quantity=3)).json()
    assert created["status"] == "backordered"
    cancelled = api.post(
        f"/v1/orders/{created['id']}/cancel", role="support", json={"reason": "customer asked"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    # The value as placed stays; what was taken off is all of it.
    assert cancelled.json()["total"] == cancelled.json()["total_cancelled"] == created["total"]
    history = api.get(f"/v1/orders/{created['id']}", role="support").json()["events"]
    assert history[-1]["action"] == "order.cancel"
    assert history[-1]["after"]["reason"] == "customer asked"
    again = api.post(f"/v1/orders/{created['id']}/cancel", role="support", json={"reason": "x"})
    assert again.status_code == 409
    assert "'cancelled'" in again.json()["detail"]


def test_a_picked_order_cannot_be_cancelled_and_the_problem_says_why(api: Api) -> None:
    api.seed(units=5)
    created = api.post("/v1/orders", role="channel", json=order("C-2")).json()
    assert created["status"] == "released"
    [shipment] = api.get(f"/v1/orders/{created['id']}").json()["shipments"]
    path = f"/v1/shipments/{shipment['id']}/status"
    assert api.post(path, role="warehouse", json={"status": "picked"}).status_code == 200
    refused = api.post(f"/v1/orders/{created['id']}/cancel", role="support", json={"reason": "x"})
    assert refused.status_code == 409
    assert "'picked'" in refused.json()["detail"]
    assert f"shipment {shipment['id']} at DAL-01 is already picked" in refused.json()["detail"]


def test_modifying_a_backordered_order_decides_it_again_against_new_stock(api: Api) -> None:
    api.seed(units=0)
    created = api.post("/v1/orders", role="channel", json=order("M-1", quantity=3)).json()
    assert created["status"] == "backordered"
    api.seed(units=2)
    line_id = created["lines"][0]["id"]
    modified = api.post(
        f"/v1/orders/{created['id']}/modify", role="support", json={"quantities": {line_id: 2}}
    )
    assert modified.status_code == 200, modified.text
    assert modified.json()["lines"][0]["quantity"] == 2
    assert modified.json()["status"] == "released"
    assert api.get("/v1/inventory/atp/SHOE-42").json()["total"] == 0


def test_a_modification_is_audited_with_the_quantities_and_address_it_replaced(api: Api) -> None:
    api.seed(units=0)
    created = api.post("/v1/orders", role="channel", json=order("M-2", quantity=3)).json()
    line_id = created["lines"][0]["id"]
    asked = {"quantities": {line_id: 2}, "ship_to": {"postal_code": "10002", "city": "New York"}}
    modified = api.post(f"/v1/orders/{created['id']}/modify", role="support", json=asked)
    assert modified.status_code == 200, modified.text

    [entry] = [
        e
        for e in api.get(f"/v1/orders/{created['id']}", role="support").json()["events"]
        if e["action"] == "order.modify"
    ]
    assert entry["before"]["lines"] == {line_id: 3}
    assert entry["before"]["ship_to"]["postal_code"] == "10001"
    assert entry["after"]["lines"] == {line_id: 2}
    assert entry["after"]["ship_to"]["postal_code"] == "10002"
    assert entry["after"]["request"]["quantities"] == {line_id: 2}
    # The status the modification left: the order is decided again in a transaction of its own.
    assert (entry["before"]["status"], entry["after"]["status"]) == ("backordered", "received")


def test_releasing_a_hold_on_an_order_that_is_not_held_is_refused_with_its_status(api: Api) -> None:
    api.seed(units=10)
    created = api.post("/v1/orders", role="channel", json=order("H-1")).json()
    response = api.post(f"/v1/orders/{created['id']}/release-hold", role="support")
    assert response.status_code == 409
    assert created["status"] in response.json()["detail"]


# --- modifying a held order (its holds follow the new decision) ----------------------------


def _publish_shipped_validation(api: Api) -> None:
    """The shipped rules: over 100 units of a line is BULK_QUANTITY, over 5000 USD (250 units
    of SHOE-42 at 20.00) is FRAUD_REVIEW."""
    source = (Path(__file__).parents[2] / "rulesets" / "order_validation.ordo").read_text()
    draft = api.post("/v1/rulesets/drafts", json={"source": source})
    assert draft.status_code == 201, draft.text
    published = api.post(f"/v1/rulesets/versions/{draft.json()['id']}/publish", json={})
    assert published.status_code == 200, published.text


def _held_bulk_order(api: Api, channel_order_id: str) -> dict[str, Any]:
    _publish_shipped_validation(api)
    api.seed(units=10)
    body = order(channel_order_id, quantity=101)
    body["lines"].append({"sku": "SHOE-42", "quantity": 1})
    created = api.post("/v1/orders", role="channel", json=body).json()
    assert (created["status"], [h["code"] for h in created["holds"]]) == (
        "held",
        ["BULK_QUANTITY"],
    )
    return created


def test_a_held_order_changed_until_no_hold_applies_is_released_with_every_hold_closed(
    api: Api,
) -> None:
    created = _held_bulk_order(api, "HM-1")
    modify = f"/v1/orders/{created['id']}/modify"

    both = api.post(modify, role="support", json={"quantities": {"1": 300}})
    again = api.post(modify, role="support", json={"quantities": {"1": 301}})
    removed = api.post(modify, role="support", json={"remove_lines": ["1"]})

    assert both.status_code == again.status_code == removed.status_code == 200, removed.text
    assert [(h["code"], h["released_at"]) for h in again.json()["holds"]] == [
        ("BULK_QUANTITY", None),
        ("FRAUD_REVIEW", None),
    ]
    done = removed.json()
    assert done["status"] == "released"
    assert [h["code"] for h in done["holds"]] == ["BULK_QUANTITY", "FRAUD_REVIEW"]
    assert all(h["released_at"] is not None for h in done["holds"])
    assert {h["released_by"] for h in done["holds"]} == {NO_LONGER_APPLIES}


def test_an_empty_modification_is_refused_as_nothing_to_change_and_keeps_the_order_held(
    api: Api,
) -> None:
    created = _held_bulk_order(api, "HM-2")

    response = api.post(f"/v1/orders/{created['id']}/modify", role="support", json={})

    assert response.status_code == 422, response.text
    assert "nothing to change" in response.json()["detail"]
    after = api.get(f"/v1/orders/{created['id']}").json()
    assert (after["status"], len(after["holds"])) == ("held", 1)


def test_a_line_both_removed_and_given_a_new_quantity_is_refused_naming_the_line(
    api: Api,
) -> None:
    created = _held_bulk_order(api, "HM-3")

    response = api.post(
        f"/v1/orders/{created['id']}/modify",
        role="support",
        json={"quantities": {"1": 2}, "remove_lines": ["1"]},
    )

    assert response.status_code == 422, response.text
    assert "line '1'" in response.json()["detail"]
    assert "cannot be both removed" in response.json()["detail"]


@pytest.mark.parametrize("quantity", [0, 100_001, 2**31, 2**63 - 1, 2**63])
def test_a_new_quantity_outside_1_to_100000_is_refused_at_its_path_as_for_a_new_line(
    api: Api, quantity: int
) -> None:
    api.seed(units=0)
    created = api.post("/v1/orders", role="channel", json=order("HM-Q", quantity=2)).json()
    assert created["status"] == "backordered"

    response = api.post(
        f"/v1/orders/{created['id']}/modify", role="support", json={"quantities": {"1": quantity}}
    )

    assert response.status_code == 422, response.text
    assert [e["path"] for e in response.json()["errors"]] == ["$.quantities.1"]


# --- line ids: one line per id ----------------------------------------------------------------


def test_an_added_line_under_an_id_the_order_has_is_refused_at_its_path_and_the_line_kept(
    api: Api,
) -> None:
    api.seed(sku="SHOE-42", units=0)  # backordered: still modifiable
    api.seed(sku="SOCK-M", units=10)
    created = api.post("/v1/orders", role="channel", json=order("L-1", quantity=5)).json()
    added = {"add_lines": [{"sku": "SOCK-M", "quantity": 2, "line_id": "1"}]}

    response = api.post(f"/v1/orders/{created['id']}/modify", role="support", json=added)

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["path"] == "$.add_lines[0].line_id"
    assert "line id '1' is already a line of this order" in error["message"]
    after = api.get(f"/v1/orders/{created['id']}").json()
    assert [(x["id"], x["sku"], x["quantity"]) for x in after["lines"]] == [("1", "SHOE-42", 5)]
    assert [e["action"] for e in after["events"]] == ["order.create"]


@pytest.mark.parametrize("field", ["lines", "add_lines"])
def test_two_lines_of_one_request_under_one_id_are_refused_at_the_second(
    api: Api, field: str
) -> None:
    api.seed(sku="SHOE-42", units=0)  # backordered: still modifiable
    api.seed(sku="SOCK-M", units=0)
    twice = [
        {"sku": "SHOE-42", "quantity": 1, "line_id": "A"},
        {"sku": "SOCK-M", "quantity": 1, "line_id": "A"},
    ]
    if field == "lines":
        response = api.post("/v1/orders", role="channel", json={**order("L-2"), "lines": twice})
    else:
        created = api.post("/v1/orders", role="channel", json=order("L-2")).json()
        response = api.post(
            f"/v1/orders/{created['id']}/modify", role="support", json={"add_lines": twice}
        )

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["path"] == f"$.{field}[1].line_id"
    assert f"line id 'A' is already used by {field}[0]" in error["message"]
    assert "UNIQUE" not in response.text


def test_a_line_without_an_id_is_numbered_past_the_ids_the_other_lines_name(api: Api) -> None:
    api.seed(sku="SHOE-42", units=0)  # backordered: still modifiable
    api.seed(sku="SOCK-M", units=0)
    lines = [{"sku": "SHOE-42", "quantity": 1, "line_id": "2"}, {"sku": "SOCK-M", "quantity": 1}]

    created = api.post("/v1/orders", role="channel", json={**order("L-3"), "lines": lines})

    assert created.status_code == 201, created.text
    assert [(x["id"], x["sku"]) for x in created.json()["lines"]] == [
        ("2", "SHOE-42"),
        ("3", "SOCK-M"),
    ]
    modified = api.post(
        f"/v1/orders/{created.json()['id']}/modify",
        role="support",
        json={"add_lines": [{"sku": "SOCK-M", "quantity": 1}]},
    )
    assert modified.status_code == 200, modified.text
    assert [x["id"] for x in modified.json()["lines"]] == ["2", "3", "4"]


# --- manual release (ORDO_AUTO_RELEASE=false) --------------------------------------------------


@pytest.fixture
def manual_api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    """The API of a deployment that releases orders by hand."""
    settings = load_settings(
        database_url=database_url,
        environment="test",
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        auto_release=False,
    )
    with build_app_container(settings) as container:
        app = create_app(container)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Api(client, issue_role_keys(container), container, app)


def _carrier_assigned(api: Api, channel_order_id: str) -> dict[str, Any]:
    api.seed(units=10)
    created = api.post("/v1/orders", role="channel", json=order(channel_order_id, quantity=3))
    assert created.json()["status"] == "carrier_assigned", created.text
    return dict(created.json())


def test_support_releases_a_carrier_assigned_order_and_the_release_is_audited(
    manual_api: Api,
) -> None:
    created = _carrier_assigned(manual_api, "R-1")

    released = manual_api.post(f"/v1/orders/{created['id']}/release", role="support")

    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    detail = manual_api.get(f"/v1/orders/{created['id']}").json()
    assert [s["status"] for s in detail["shipments"]] == ["released"]
    last = detail["events"][-1]
    assert (last["action"], last["before"], last["after"]) == (
        "order.release",
        {"status": "carrier_assigned"},
        {"status": "released"},
    )


def test_releasing_an_order_twice_is_refused_naming_its_status(manual_api: Api) -> None:
    created = _carrier_assigned(manual_api, "R-2")
    manual_api.post(f"/v1/orders/{created['id']}/release", role="support")

    again = manual_api.post(f"/v1/orders/{created['id']}/release", role="support")

    assert again.status_code == 409, again.text
    assert "'released'" in again.json()["detail"]
    assert manual_api.post("/v1/orders/ord_nope/release", role="support").status_code == 404


def test_adding_a_sku_not_in_the_catalogue_is_refused_at_its_path_and_the_order_stays_live(
    manual_api: Api,
) -> None:
    created = _carrier_assigned(manual_api, "R-3")
    typo = {"add_lines": [{"sku": "SHOE-42", "quantity": 1}, {"sku": "NOPE-1", "quantity": 1}]}

    response = manual_api.post(f"/v1/orders/{created['id']}/modify", role="support", json=typo)

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["path"] == "$.add_lines[1].sku"
    assert "SKU 'NOPE-1' is not in the catalogue" in error["message"]
    after = manual_api.get(f"/v1/orders/{created['id']}").json()
    assert (after["status"], len(after["lines"])) == ("carrier_assigned", 1)
    assert [s["status"] for s in after["shipments"]] == ["pending"]
    assert manual_api.get("/v1/inventory/atp/SHOE-42").json()["total"] == 7


def test_a_pending_shipment_is_not_cancelled_on_its_own_but_with_its_order(
    manual_api: Api,
) -> None:
    created = _carrier_assigned(manual_api, "R-4")
    [shipment] = manual_api.get(f"/v1/orders/{created['id']}").json()["shipments"]
    status = f"/v1/shipments/{shipment['id']}/status"

    alone = manual_api.post(status, role="warehouse", json={"status": "cancelled"})
    cancelled = manual_api.post(
        f"/v1/orders/{created['id']}/cancel", role="support", json={"reason": "customer asked"}
    )

    assert alone.status_code == 422, alone.text
    assert "cancelled with its order" in alone.json()["errors"][0]["message"]
    assert cancelled.status_code == 200, cancelled.text
    after = manual_api.get(f"/v1/orders/{created['id']}").json()
    assert [s["status"] for s in after["shipments"]] == ["cancelled"]
    assert manual_api.get("/v1/inventory/atp/SHOE-42").json()["total"] == 10
