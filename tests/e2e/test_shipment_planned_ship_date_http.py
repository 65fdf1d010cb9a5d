"""A shipment's planned ship day over HTTP: the day the decision that planned it says its
location is to ship it, shown on its order's page and on its own."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.e2e.conftest import Api
from tests.e2e.test_labels_http import shipment_of


def test_a_shipment_shows_the_day_it_is_planned_to_ship_on_its_order_and_its_own_page(
    api: Api,
) -> None:
    ordered_on = datetime.now(UTC).date()
    on_order = shipment_of(api, "W-1")

    own = api.get(f"/v1/shipments/{on_order['id']}", role="warehouse")
    assert own.status_code == 200, own.text
    assert own.json()["planned_ship_date"] == on_order["planned_ship_date"]
    day = date.fromisoformat(on_order["planned_ship_date"])
    # A working day from the day it was ordered; its delivery is promised after it leaves.
    assert day.weekday() < 5
    assert ordered_on <= day <= date.fromisoformat(on_order["promised_date"])
