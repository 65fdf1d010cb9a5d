"""List endpoints filter before they page: a lookup by RMA, status or location, and what a
customer or a warehouse may see, find their rows however many others come first (`limit=1`
here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from engine.domain.operations import Alert, AlertStatus
from tests.e2e.conftest import Api, order
from tests.e2e.test_returns_http import delivered

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _return(api: Api, placed: Any, *steps: str) -> Any:
    """A return of one unit of the order's line, asked by support and taken through `steps`
    ("authorise", "receive at RNO-02", ...)."""
    line = {"order_line_id": placed["lines"][0]["id"], "quantity": 1}
    asked = api.post(f"/v1/orders/{placed['id']}/returns", role="support", json={"lines": [line]})
    assert asked.status_code == 201, asked.text
    found = asked.json()
    for step in steps:
        action, _, location = step.partition(" at ")
        body = {"location_code": location} if location else None
        moved = api.post(f"/v1/returns/{found['id']}/{action}", role="support", json=body)
        assert moved.status_code == 200, moved.text
        found = moved.json()
    return found


def _ids(api: Api, path: str, role: str = "admin") -> list[str]:
    response = api.get(path, role=role)
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


def test_a_warehouse_finds_a_return_by_its_rma_past_older_returns(api: Api) -> None:
    placed = delivered(api, "L-1", quantity=2)
    _return(api, placed, "authorise")
    parcel = _return(api, placed, "authorise")

    assert _ids(api, f"/v1/returns?rma={parcel['rma']}&limit=1", "warehouse") == [parcel["id"]]
    assert _ids(api, f"/v1/returns?rma={parcel['rma']}&limit=1", "support") == [parcel["id"]]


def test_returns_of_one_status_are_paged_after_filtering(api: Api) -> None:
    placed = delivered(api, "L-2", quantity=3)
    requested = _return(api, placed)
    authorised = _return(api, placed, "authorise")
    later = _return(api, placed, "authorise")

    assert _ids(api, "/v1/returns?status=authorised&limit=1") == [authorised["id"]]
    assert _ids(api, "/v1/returns?status=authorised&limit=1&offset=1") == [later["id"]]
    assert _ids(api, "/v1/returns?status=requested&limit=1") == [requested["id"]]


def test_a_customer_lists_its_own_returns_past_other_customers_returns(api: Api) -> None:
    _return(api, delivered(api, "L-3", customer_id="C-2"))
    mine = _return(api, delivered(api, "L-4"))

    assert _ids(api, "/v1/returns?limit=1", "customer") == [mine["id"]]
    assert _ids(api, "/v1/returns?limit=1&offset=1", "customer") == []


def test_a_warehouse_pages_only_through_returns_it_may_see(api: Api) -> None:
    api.seed(units=0, location="RNO-02")
    placed = delivered(api, "L-5", quantity=4)
    _return(api, placed)  # requested: nothing to book in yet
    _return(api, placed, "authorise", "receive at RNO-02")  # another warehouse's
    on_its_way = _return(api, placed, "authorise")
    booked_here = _return(api, placed, "authorise", "receive at DAL-01")

    assert _ids(api, "/v1/returns?limit=1", "warehouse") == [on_its_way["id"]]
    assert _ids(api, "/v1/returns?limit=1&offset=1", "warehouse") == [booked_here["id"]]
    assert _ids(api, "/v1/returns?limit=1&offset=2", "warehouse") == []


def _returns_at_both_locations(api: Api) -> dict[str, Any]:
    """Returns of one order, oldest first: some going back to or received at RNO-02, some at
    DAL-01 (the warehouse key's), one with no location named yet, one only requested."""
    api.seed(units=0, location="RNO-02")
    placed = delivered(api, "L-6", quantity=6)
    return {
        "to_reno": _return(api, placed, "authorise at RNO-02"),
        "to_dallas": _return(api, placed, "authorise at DAL-01"),
        "unnamed": _return(api, placed, "authorise"),
        "in_reno": _return(api, placed, "authorise", "receive at RNO-02"),
        "in_dallas": _return(api, placed, "authorise", "receive at DAL-01"),
        "requested": _return(api, placed),
    }


def test_the_returns_of_one_location_are_paged_past_other_locations_returns(api: Api) -> None:
    made = _returns_at_both_locations(api)
    reno, dallas = [made["to_reno"]["id"], made["in_reno"]["id"]], [made["to_dallas"]["id"]]

    for role in ("admin", "support"):
        assert _ids(api, "/v1/returns?location=RNO-02", role) == reno
        assert _ids(api, "/v1/returns?location=RNO-02&limit=1", role) == reno[:1]
        assert _ids(api, "/v1/returns?location=RNO-02&limit=1&offset=1", role) == reno[1:]
        assert _ids(api, "/v1/returns?location=RNO-02&limit=1&offset=2", role) == []
        assert _ids(api, "/v1/returns?location=DAL-01&status=authorised", role) == dallas
    # A location Ordo does not know has no returns, as it has no shipments.
    assert _ids(api, "/v1/returns?location=NOWHERE-1") == []


def test_a_warehouse_lists_what_is_on_its_way_to_its_own_location_only(api: Api) -> None:
    made = _returns_at_both_locations(api)

    assert _ids(api, "/v1/returns?location=DAL-01", "warehouse") == [
        made["to_dallas"]["id"],
        made["in_dallas"]["id"],
    ]
    assert _ids(api, "/v1/returns?location=DAL-01&status=authorised&limit=1", "warehouse") == [
        made["to_dallas"]["id"]
    ]
    for elsewhere in ("RNO-02", "NOWHERE-1"):
        refused = api.get(f"/v1/returns?location={elsewhere}", role="warehouse")
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["detail"] == f"this key works only locations DAL-01, not {elsewhere}"


def test_a_customer_may_not_list_returns_by_location_and_is_told_at_the_parameter(
    api: Api,
) -> None:
    _returns_at_both_locations(api)

    refused = api.get("/v1/returns?location=DAL-01", role="customer")
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    [error] = refused.json()["errors"]
    assert error["path"] == "query parameter 'location'"
    assert error["message"].startswith("is for staff: a customer's key lists its own returns")
    assert len(_ids(api, "/v1/returns", "customer")) == 6, "its own returns, without the filter"


def test_a_location_that_is_not_a_code_is_refused_at_the_parameter(api: Api) -> None:
    refused = api.get("/v1/returns?location=DAL 01")
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["path"] == "query parameter 'location'"
    assert error["message"].startswith("must be 1 to 32 characters: letters, digits")


def _shipment_of(api: Api, channel_order_id: str, **extra: Any) -> str:
    created = api.post("/v1/orders", role="channel", json=order(channel_order_id, **extra))
    assert created.status_code == 201, created.text
    [shipment] = api.get(f"/v1/orders/{created.json()['id']}").json()["shipments"]
    return str(shipment["id"])


def test_a_customer_sees_its_shipments_past_a_first_page_of_other_customers(api: Api) -> None:
    api.seed(units=10)
    _shipment_of(api, "S-1", customer_id="C-2")
    _shipment_of(api, "S-2", customer_id="C-2")
    mine = _shipment_of(api, "S-3")

    assert _ids(api, "/v1/shipments?limit=1", "customer") == [mine]
    assert _ids(api, "/v1/shipments?limit=2&offset=1", "customer") == []
    assert _ids(api, "/v1/shipments?location=DAL-01&limit=1", "customer") == [mine]


def test_shipments_of_one_status_are_paged_after_filtering(api: Api) -> None:
    api.seed(units=10)
    _shipment_of(api, "S-4")
    shipped = _shipment_of(api, "S-5")
    moved = api.post(f"/v1/shipments/{shipped}/status", json={"status": "shipped"})
    assert moved.status_code == 200, moved.text

    assert _ids(api, "/v1/shipments?status=shipped&limit=1") == [shipped]
    assert _ids(api, "/v1/shipments?status=shipped&limit=1", "support") == [shipped]


def _alerts(api: Api, *statuses: AlertStatus) -> list[str]:
    """One alert per status, a minute apart, oldest first; their ids."""
    ids = []
    with api.container.uow_factory() as uow:
        for n, status in enumerate(statuses):
            ids.append(f"alr_{n}")
            uow.alerts.add(
                Alert(
                    id=f"alr_{n}",
                    rule="Late shipments",
                    severity="high",
                    key=f"carrier-{n}",
                    message="late shipments",
                    created_at=T0 + timedelta(minutes=n),
                    status=status,
                )
            )
        uow.commit()
    return ids


def test_an_acknowledged_alert_is_found_past_newer_open_ones(api: Api) -> None:
    acked, _, _ = _alerts(api, AlertStatus.ACKNOWLEDGED, AlertStatus.OPEN, AlertStatus.OPEN)

    assert _ids(api, "/v1/alerts?status=acknowledged&limit=1", "analyst") == [acked]


def test_alerts_come_newest_first_across_pages_with_or_without_a_status(api: Api) -> None:
    open_, acked, open_later, acked_later = _alerts(
        api, AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED
    )

    pages = [_ids(api, f"/v1/alerts?limit=1&offset={n}", "support") for n in range(4)]
    assert pages == [[acked_later], [open_later], [acked], [open_]]
    open_pages = [_ids(api, f"/v1/alerts?status=open&limit=1&offset={n}") for n in range(3)]
    assert open_pages == [[open_later], [open_], []]
