"""Carrier scans over HTTP move the shipment: a `delivered` scan delivers a shipped shipment
and its order as a location's report would, a failed attempt is raised for the customer, a
late scan undoes nothing, and a milestone Ordo does not know is refused naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from engine.adapters import orm
from tests.e2e.conftest import Api, order

# After the shipping, which the API stamps with the real clock: a scan older than the
# shipping is of another parcel and moves nothing.
SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


def at(hours: int = 0) -> str:
    return (SOON + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def a_shipment(api: Api, status: str = "shipped") -> tuple[str, str]:
    """(shipment path, order path) of a one-shipment order its warehouse moved to `status`."""
    api.seed(units=10)
    created = api.post("/v1/orders", role="channel", json=order("M-1")).json()
    [shipment] = api.get("/v1/shipments", role="warehouse").json()
    path = f"/v1/shipments/{shipment['id']}"
    moved = api.post(f"{path}/status", role="warehouse", json={"status": status})
    assert moved.status_code == 200, moved.text
    return path, f"/v1/orders/{created['id']}"


def track(api: Api, path: str, when: str, code: str, **more: str) -> Any:
    return api.post(f"{path}/tracking", role="warehouse", json={"at": when, "code": code, **more})


def statuses(api: Api, shipment: str, order_path: str) -> tuple[str, str]:
    seen = api.get(shipment, role="customer").json()["status"]
    return seen, api.get(order_path, role="customer").json()["status"]


def raised(api: Api, name: str) -> list[dict[str, Any]]:
    with api.container.engine.connect() as connection:
        rows = connection.execute(
            select(orm.outbox.c.payload).where(orm.outbox.c.name == name).order_by(orm.outbox.c.id)
        ).all()
    return [dict(row.payload) for row in rows]


def test_a_carrier_s_delivered_scan_delivers_the_shipment_and_its_order(api: Api) -> None:
    shipment, order_path = a_shipment(api)
    answered = track(api, shipment, at(), "DELIVERED", description="Left at front door")
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "delivered"
    assert answered.json()["delivered_at"].startswith(at()[:16])
    assert statuses(api, shipment, order_path) == ("delivered", "delivered")
    [tracked] = raised(api, "shipment.tracked")
    assert (tracked["code"], tracked["milestone"]) == ("DELIVERED", "delivered")


def test_an_older_scan_posted_after_the_delivery_undoes_nothing(api: Api) -> None:
    shipment, order_path = a_shipment(api)
    track(api, shipment, at(5), "DL")
    late = track(api, shipment, at(1), "out_for_delivery")
    attempt = track(api, shipment, at(2), "attempted")
    assert (late.status_code, attempt.status_code) == (200, 200)
    assert statuses(api, shipment, order_path) == ("delivered", "delivered")
    assert raised(api, "shipment.delivery_exception") == []


def test_each_scan_on_the_timeline_says_what_its_code_means(api: Api) -> None:
    shipment, _ = a_shipment(api)
    track(api, shipment, at(1), "OD")
    track(api, shipment, at(2), "weather-delay-42")
    timeline = api.get(shipment, role="customer").json()["tracking"]
    assert [(t["code"], t["milestone"]) for t in timeline] == [
        ("OD", "out_for_delivery"),
        ("weather-delay-42", ""),
    ]


def test_a_failed_attempt_said_outright_is_raised_and_the_shipment_stays_shipped(
    api: Api,
) -> None:
    shipment, order_path = a_shipment(api)
    answered = track(
        api, shipment, at(), "NH-7", description="Nobody home", location="Dallas, TX",
        milestone="attempted",
    )  # fmt: skip
    assert answered.status_code == 200, answered.text
    assert statuses(api, shipment, order_path) == ("shipped", "shipped")
    [exception] = raised(api, "shipment.delivery_exception")
    assert exception["milestone"] == "attempted"
    assert (exception["code"], exception["description"]) == ("NH-7", "Nobody home")


def test_a_delivered_scan_does_not_deliver_a_shipment_not_shipped_yet(api: Api) -> None:
    shipment, order_path = a_shipment(api, status="packed")
    answered = track(api, shipment, at(), "delivered")
    assert answered.status_code == 200, answered.text
    assert statuses(api, shipment, order_path) == ("packed", "packed")
    assert [t["code"] for t in answered.json()["tracking"]] == ["delivered"]


def test_a_milestone_ordo_does_not_know_is_refused_naming_the_field_and_the_choices(
    api: Api,
) -> None:
    shipment, _ = a_shipment(api)
    refused = track(api, shipment, at(), "LOST-1", milestone="lost")
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["path"] == "$.milestone"
    assert error["message"] == (
        "must be one of in_transit, out_for_delivery, delivered, attempted, exception, "
        "returned; got 'lost'"
    )
    assert api.get(shipment).json()["tracking"] == []
