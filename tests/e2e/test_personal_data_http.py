"""A customer's personal data over HTTP: the export (right of access) with who may read whose,
and the erasure (right to be forgotten): refused while an order is open, complete once it is
finished, audited, harmless the second time."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api, order

ADA = {
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "tier": "gold",
    "group": "vip",
    "default_address": {"postal_code": "10001", "line1": "12 Byron Row", "city": "New York"},
}
SHIP_TO = {
    "postal_code": "10001",
    "name": "Ada Lovelace",
    "line1": "350 5th Ave",
    "city": "New York",
    "state": "NY",
}
# What identifies Ada in every copy Ordo makes of her orders.
HERS = ("ada@example.com", "Ada Lovelace", "350 5th Ave", "12 Byron Row")


def placed(api: Api, channel_order_id: str = "W-1", **headers: str) -> dict[str, Any]:
    """Ada's order of one SHOE-42, decided and released to DAL-01."""
    api.seed()
    created = api.post(
        "/v1/orders",
        role="channel",
        json=order(channel_order_id, ship_to=SHIP_TO),
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def delivered(api: Api, placed_order: dict[str, Any]) -> dict[str, Any]:
    [shipment] = api.get(f"/v1/orders/{placed_order['id']}").json()["shipments"]
    for status in ("shipped", "delivered"):
        moved = api.post(
            f"/v1/shipments/{shipment['id']}/status",
            json={"status": status, "tracking_number": "1Z-ADA"},
        )
        assert moved.status_code == 200, moved.text
    return dict(api.get(f"/v1/orders/{placed_order['id']}").json())


def with_a_return(api: Api) -> dict[str, Any]:
    """Ada's record, her order delivered, and a return of it she asked for."""
    assert api.put("/v1/customers/C-1", json=ADA).status_code == 200
    done = delivered(api, placed(api))
    line = done["lines"][0]["id"]
    asked = api.post(
        f"/v1/orders/{done['id']}/returns",
        role="customer",
        json={"lines": [{"order_line_id": line, "quantity": 1, "reason": "too small"}]},
    )
    assert asked.status_code == 201, asked.text
    return done


def erase(api: Api, customer_id: str = "C-1", reason: str = "request 2026-114") -> Any:
    return api.post(f"/v1/customers/{customer_id}/erase", json={"reason": reason})


def test_the_export_holds_the_record_the_orders_their_shipments_returns_and_audit(
    api: Api,
) -> None:
    done = with_a_return(api)

    answer = api.get("/v1/customers/C-1/personal-data", role="support")

    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["customer"]["name"] == "Ada Lovelace"
    assert data["customer"]["default_address"]["line1"] == "12 Byron Row"
    [kept] = data["orders"]
    assert (kept["id"], kept["email"], kept["ship_to"]["line1"]) == (
        done["id"],
        "ada@example.com",
        "350 5th Ave",
    )
    [shipment] = data["shipments"]
    assert (shipment["tracking_number"], shipment["status"]) == ("1Z-ADA", "delivered")
    [found] = data["returns"]
    assert found["lines"][0]["reason"] == "too small"
    actions = {(e["action"], e["entity"]) for e in data["audit"]}
    assert {
        ("customer.put", "customer"),
        ("order.create", "order"),
        ("shipment.status", "shipment"),
        ("return.request", "return"),
    } <= actions
    assert "admin:e2e-admin" in {e["actor"] for e in data["audit"]}


def test_a_customer_exports_their_own_data_and_another_s_is_as_missing_as_none(
    api: Api,
) -> None:
    with_a_return(api)
    api.post("/v1/orders", role="channel", json={**order("W-9"), "customer_id": "C-2"})

    own = api.get("/v1/customers/C-1/personal-data", role="customer")
    other = api.get("/v1/customers/C-2/personal-data", role="customer")
    missing = api.get("/v1/customers/C-404/personal-data", role="customer")

    assert own.status_code == 200, own.text
    assert [o["customer_id"] for o in own.json()["orders"]] == ["C-1"]
    # Staff are named by role only to the customer.
    assert {e["actor"] for e in own.json()["audit"]} <= {"admin", "channel", "customer"}
    assert (other.status_code, missing.status_code) == (404, 404)
    assert other.json()["detail"] == missing.json()["detail"].replace("C-404", "C-2")
    assert api.get("/v1/customers/C-2/personal-data", role="support").status_code == 200


def test_an_unknown_customer_is_404_to_export_and_to_erase(api: Api) -> None:
    exported = api.get("/v1/customers/C-404/personal-data")
    erased = erase(api, "C-404")

    assert (exported.status_code, erased.status_code) == (404, 404)
    assert erased.json()["detail"] == "customer 'C-404' does not exist"


def test_erasure_is_refused_while_an_order_is_open_and_names_it(api: Api) -> None:
    open_order = placed(api)

    refused = erase(api)

    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "orders_not_finished"
    assert open_order["id"] in refused.json()["detail"]
    shown = api.get(f"/v1/orders/{open_order['id']}").json()
    assert shown["ship_to"]["line1"] == "350 5th Ave"


def test_once_every_order_is_finished_erasure_removes_her_everywhere_the_api_shows(
    api: Api,
) -> None:
    done = with_a_return(api)

    answer = erase(api)

    assert answer.status_code == 200, answer.text
    erased = answer.json()["erased"]
    assert (erased["customers"], erased["orders"], erased["api_keys"]) == (1, 1, 1)
    assert erased["audit_entries"] >= 1
    assert erased["alerts"] == 0  # no rule raised one about her
    shown = api.get(f"/v1/orders/{done['id']}").json()
    assert shown["email"].endswith("@erased.invalid")
    assert (shown["ship_to"]["postal_code"], shown["ship_to"]["country"]) == ("10001", "US")
    assert (shown["ship_to"]["line1"], shown["ship_to"]["name"]) == ("", "")
    assert (shown["total"], shown["status"]) == (done["total"], "delivered")
    exported = api.get("/v1/customers/C-1/personal-data").text
    assert [text for text in HERS if text in exported] == []
    audit = api.get("/v1/audit?limit=500").text
    assert [text for text in HERS if text in audit] == []


def test_erasure_is_audited_with_its_reason_and_counts(api: Api) -> None:
    with_a_return(api)
    erase(api, reason="request 2026-114 by email")

    [entry] = api.get("/v1/audit?entity=customer&entity_id=C-1&limit=1").json()

    assert (entry["action"], entry["actor"]) == ("customer.erase", "admin:e2e-admin")
    assert entry["after"]["reason"] == "request 2026-114 by email"
    assert entry["after"]["erased"]["orders"] == 1


def test_erasing_again_is_harmless_and_counts_nothing(api: Api) -> None:
    with_a_return(api)
    assert erase(api).status_code == 200

    again = erase(api)

    assert again.status_code == 200, again.text
    assert set(again.json()["erased"].values()) == {0}


def test_her_key_stops_working_and_a_retry_of_her_order_is_not_answered_with_her_details(
    api: Api,
) -> None:
    assert api.put("/v1/customers/C-1", json=ADA).status_code == 200
    sent = placed(api, "W-7", **{"Idempotency-Key": "order-w7"})
    delivered(api, sent)
    assert erase(api).json()["erased"]["idempotency_records"] == 1

    retried = api.post(
        "/v1/orders",
        role="channel",
        json=order("W-7", ship_to=SHIP_TO),
        headers={"Idempotency-Key": "order-w7"},
    )

    assert retried.status_code == 422, retried.text
    assert retried.json()["code"] == "idempotency_key_reused"
    assert api.get("/v1/customers/C-1/personal-data", role="customer").status_code == 401


def test_a_missing_or_blank_reason_is_422_at_its_path(api: Api) -> None:
    assert api.put("/v1/customers/C-1", json=ADA).status_code == 200

    for body in ({}, {"reason": "   "}):
        refused = api.post("/v1/customers/C-1/erase", json=body)
        assert refused.status_code == 422, refused.text
        assert [e["path"] for e in refused.json()["errors"]] == ["$.reason"]
    assert api.get("/v1/customers/C-1").json()["name"] == "Ada Lovelace"


def test_the_export_lists_her_decision_traces_alerts_and_the_answers_kept_for_retries(
    api: Api,
) -> None:
    assert api.put("/v1/customers/C-1", json=ADA).status_code == 200
    sent = placed(api, "W-8", **{"Idempotency-Key": "order-w8"})
    api.post("/v1/orders", role="channel", json={**order("W-9"), "customer_id": "C-2"})

    data = api.get("/v1/customers/C-1/personal-data", role="customer").json()

    assert data["decision_traces"]
    assert {trace["id"] for trace in data["decision_traces"]} == {
        trace["id"] for trace in api.get(f"/v1/orders/{sent['id']}").json()["trace"]
    }
    assert data["alerts"] == []
    [kept] = data["idempotency_answers"]
    assert (kept["key"], kept["status_code"]) == ("order-w8", 201)
    assert [(part["id"], part["email"]) for part in kept["holds"]] == [(sent["id"], ADA["email"])]
