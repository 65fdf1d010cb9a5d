"""`POST /v1/inventory/counts` over HTTP: a warehouse key sends what its location holds, and
the answer says line by line what the count did; a count below the reservations is answered
short, bad lines are refused at their paths with nothing applied, and another location's
count is not the key's to send."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api, order


def count(api: Api, *lines: tuple[str, int], role: str = "warehouse", **extra: Any) -> Any:
    body = {
        "location_code": "DAL-01",
        "counts": [{"sku": sku, "on_hand": units} for sku, units in lines],
        **extra,
    }
    return api.post("/v1/inventory/counts", role=role, json=body)


def stock(api: Api, location: str = "DAL-01") -> dict[str, tuple[int, int, int]]:
    rows = api.get(f"/v1/inventory/locations/{location}").json()
    return {row["sku"]: (row["on_hand"], row["reserved"], row["available"]) for row in rows}


def counts_audited(api: Api) -> list[dict[str, Any]]:
    entries = api.get("/v1/audit?entity=location&entity_id=DAL-01").json()
    return [entry for entry in entries if entry["action"] == "stock.count"]


def test_a_warehouse_counts_its_location_and_is_answered_line_by_line(api: Api) -> None:
    api.seed(units=10)
    api.seed(sku="BOOT-9", units=0)

    response = count(
        api,
        ("SHOE-42", 7),
        ("BOOT-9", 3),
        reason="nightly count",
        counted_at="2026-11-22T02:00:00Z",
    )

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["location_code"] == "DAL-01"
    assert answer["counted_at"].startswith("2026-11-22T02:00:00")
    assert answer["lines"] == [
        {"sku": "SHOE-42", "before": 10, "after": 7, "delta": -3, "reserved": 0, "short": 0},
        {"sku": "BOOT-9", "before": 0, "after": 3, "delta": 3, "reserved": 0, "short": 0},
    ]
    assert answer["totals"] == {
        "lines": 2,
        "changed": 2,
        "rose": 1,
        "fell": 1,
        "came_up_short": 0,
        "net_delta": 0,
    }
    assert stock(api) == {"SHOE-42": (7, 0, 7), "BOOT-9": (3, 0, 3)}
    [entry] = counts_audited(api)
    assert entry["actor"] == "warehouse:e2e-warehouse"
    assert (entry["after"]["counted_at"], entry["after"]["changed"]) == (
        "2026-11-22T02:00:00+00:00",
        2,
    )


def test_a_count_below_what_is_reserved_keeps_the_reservation_and_answers_the_short(
    api: Api,
) -> None:
    api.seed(units=5)
    placed = api.post("/v1/orders", role="channel", json=order("C-1", quantity=4))
    assert placed.status_code == 201, placed.text

    answer = count(api, ("SHOE-42", 1)).json()

    assert answer["lines"] == [
        {"sku": "SHOE-42", "before": 5, "after": 4, "delta": -1, "reserved": 4, "short": 3}
    ]
    assert answer["totals"]["came_up_short"] == 1
    assert stock(api) == {"SHOE-42": (4, 4, 0)}  # nothing more is promised from there


def test_a_warehouse_key_cannot_count_another_locations_stock(api: Api) -> None:
    api.seed(units=5, location="RNO-02")

    refused = count(api, ("SHOE-42", 1), location_code="RNO-02")

    assert refused.status_code == 403, refused.text
    assert "DAL-01" in refused.json()["detail"]
    assert stock(api, "RNO-02") == {"SHOE-42": (5, 0, 5)}
    assert count(api, ("SHOE-42", 1), role="support").status_code == 403


def test_bad_lines_are_each_refused_at_their_path_and_nothing_is_applied(api: Api) -> None:
    api.seed(units=5)

    refused = count(api, ("SHOE-42", 1), ("NOPE-1", 2), ("SHOE-42", 3), ("NOPE-2", 0))

    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert [(e["path"], e["message"].split(";")[0]) for e in problem["errors"]] == [
        ("$.counts[1].sku", "product 'NOPE-1' does not exist"),
        ("$.counts[2].sku", "SHOE-42 is counted twice (also at counts[0])"),
        ("$.counts[3].sku", "product 'NOPE-2' does not exist"),
    ]
    assert problem["detail"].startswith("the request is not valid: $.counts[1].sku: product")
    assert stock(api) == {"SHOE-42": (5, 0, 5)}
    assert counts_audited(api) == []


def test_a_location_ordo_does_not_know_is_not_found(api: Api) -> None:
    api.seed(units=0)

    refused = count(api, ("SHOE-42", 1), role="admin", location_code="NOPE-9")

    assert refused.status_code == 404, refused.text
    assert refused.json()["detail"] == "location 'NOPE-9' does not exist"


def test_a_body_out_of_bounds_is_refused_at_its_field(api: Api) -> None:
    api.seed(units=0)

    negative = count(api, ("SHOE-42", -1))
    too_many = count(api, *((f"SKU-{n}", 1) for n in range(5_001)))
    undated = count(api, ("SHOE-42", 1), counted_at="last night")

    assert [e["path"] for e in negative.json()["errors"]] == ["$.counts[0].on_hand"]
    assert [e["path"] for e in too_many.json()["errors"]] == ["$.counts"]
    assert [e["path"] for e in undated.json()["errors"]] == ["$.counted_at"]
    assert {negative.status_code, too_many.status_code, undated.status_code} == {422}
