"""The audit log over HTTP: every mutation appended with who, what, before and after; nothing
in the API can change or remove an entry."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from engine.service_layer import audit
from tests.e2e.conftest import Api, order

RECEIPT = {"sku": "SHOE-42", "location_code": "DAL-01", "quantity": 5, "reference": "PO-9"}


def test_no_route_can_change_or_remove_audit_entries(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    audit_methods = {
        method for path, operations in paths.items() if path.startswith("/v1/audit")
        for method in operations
    }  # fmt: skip
    assert audit_methods == {"get"}
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        assert (
            api.client.request(method, "/v1/audit", headers=api.headers("admin")).status_code == 405
        )


def test_mutations_by_different_callers_are_each_recorded_with_their_actor(api: Api) -> None:
    api.seed(units=4)
    issued = api.post("/v1/keys", json={"name": "pos", "role": "channel", "channel": "pos"}).json()
    api.post(
        "/v1/inventory/adjustments",
        role="warehouse",
        json={"sku": "SHOE-42", "location_code": "DAL-01", "delta": 2, "reason": "found two"},
    )
    entries = api.get("/v1/audit?limit=50").json()
    by_action = {e["action"]: e for e in entries}
    assert by_action["key.issue"]["entity_id"] == issued["id"]
    assert by_action["key.issue"]["actor"] == "admin:e2e-admin"
    assert issued["api_key"] not in str(entries)
    adjusted = by_action["stock.adjust"]
    assert adjusted["actor"] == "warehouse:e2e-warehouse"
    assert (adjusted["after"]["delta"], adjusted["after"]["on_hand"]) == (2, 6)
    assert adjusted["before"] == {"on_hand": 4}
    assert {"location.put", "product.put", "stock.receive"} <= set(by_action)
    times = [e["at"] for e in entries]
    assert times == sorted(times, reverse=True), "newest first"


def on_hand(api: Api) -> int:
    [row] = api.get("/v1/inventory/skus/SHOE-42").json()
    return int(row["on_hand"])


def count(api: Api, action: str) -> int:
    return [e["action"] for e in api.get("/v1/audit?limit=100").json()].count(action)


@pytest.mark.parametrize(
    ("role", "action", "path", "body"),
    [
        ("warehouse", "stock.receive", "/v1/inventory/receipts", RECEIPT),
        ("warehouse", "shipment.status", "/v1/shipments/{shipment}/status", {"status": "picked"}),
    ],
)
def test_a_change_whose_audit_entry_cannot_be_written_is_not_made_either(
    api: Api,
    monkeypatch: pytest.MonkeyPatch,
    role: str,
    action: str,
    path: str,
    body: dict[str, object],
) -> None:
    api.seed(units=10)
    placed = api.post("/v1/orders", role="channel", json=order("A-1", quantity=1)).json()
    [shipment] = api.get(f"/v1/orders/{placed['id']}").json()["shipments"]
    url = path.format(shipment=shipment["id"])

    def state() -> tuple[int, str, int]:
        found = api.get(f"/v1/shipments/{shipment['id']}").json()["status"]
        return on_hand(api), found, count(api, action)

    before = state()
    record = audit.record

    def refuse(uow: Any, actor: str, what: str, *args: Any, **kwargs: Any) -> None:
        if what == action:
            raise OperationalError("INSERT INTO audit_log", {}, Exception("disk full"))
        record(uow, actor, what, *args, **kwargs)

    monkeypatch.setattr(audit, "record", refuse)
    failed = api.post(url, role=role, json=body)
    assert failed.status_code == 503, failed.text
    assert state() == before  # neither the change nor its entry
    monkeypatch.setattr(audit, "record", record)
    again = api.post(url, role=role, json=body)
    assert again.status_code == 200, again.text
    assert state() != before and state()[2] == before[2] + 1
