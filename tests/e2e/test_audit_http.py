"""The audit log over HTTP: every mutation appended with who, what, before and after; nothing
in the API can change or remove an entry."""

from __future__ import annotations

from tests.e2e.conftest import Api


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
    assert {"location.put", "product.put", "stock.receive"} <= set(by_action)
    times = [e["at"] for e in entries]
    assert times == sorted(times, reverse=True), "newest first"
