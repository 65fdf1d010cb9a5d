"""A pickup order waiting for a ship-to-store transfer over HTTP: when the sending warehouse
reports the transfer shipped again with a later day, the order's promised date is that day
and `order.pickup_delayed` is raised once; an earlier day is taken without a word."""

from __future__ import annotations

from datetime import date, timedelta

from tests.e2e.conftest import Api
from tests.e2e.test_pickup_orders_http import outbox
from tests.e2e.test_transfer_shipped_http import a_transfer_to_the_store


def promised(api: Api, order_id: str) -> date:
    shown = api.get(f"/v1/orders/{order_id}")
    assert shown.status_code == 200, shown.text
    return date.fromisoformat(shown.json()["promised_date"])


def report(api: Api, transfer_id: str, expected_on: date) -> None:
    body = {"carrier": "ups", "tracking_number": "1Z9", "expected_on": expected_on.isoformat()}
    reported = api.post(f"/v1/inventory/transfers/{transfer_id}/shipped", role="warehouse",
                        json=body)  # fmt: skip
    assert reported.status_code == 200, reported.text


def test_a_repeated_shipped_report_with_a_later_day_moves_the_orders_promise(api: Api) -> None:
    order_id, transfer_id = a_transfer_to_the_store(api)
    day = promised(api, order_id)
    report(api, transfer_id, day)

    report(api, transfer_id, day + timedelta(days=3))
    report(api, transfer_id, day + timedelta(days=3))  # the WMS retrying

    assert promised(api, order_id) == day + timedelta(days=3)
    [transfer] = api.get(f"/v1/orders/{order_id}").json()["transfers"]
    assert transfer["expected_on"] == (day + timedelta(days=3)).isoformat()
    [delayed] = outbox(api, "order.pickup_delayed")
    assert (delayed["order_id"], delayed["transfer_id"], delayed["days_late"]) == (
        order_id, transfer_id, 3,
    )  # fmt: skip

    report(api, transfer_id, day + timedelta(days=1))  # sooner again: said nothing of

    assert promised(api, order_id) == day + timedelta(days=1)
    assert len(outbox(api, "order.pickup_delayed")) == 1
    trail = api.get("/v1/audit", params={"entity": "order", "entity_id": order_id}).json()
    moves = [(e["before"]["promised_date"], e["after"]["promised_date"], e["actor"])
             for e in trail if e["action"] == "order.pickup_promise"]  # fmt: skip
    assert sorted(moves) == sorted([
        (day.isoformat(), (day + timedelta(days=3)).isoformat(), "system"),
        ((day + timedelta(days=3)).isoformat(), (day + timedelta(days=1)).isoformat(), "system"),
    ])  # fmt: skip
