"""A transfer between two locations warehouse systems run, over HTTP: the sending warehouse's
WMS is sent the transfer order; once the sender reports it shipped
(`POST /v1/inventory/transfers/{id}/shipped`, even twice), the receiving store's WMS is sent
its expected receipt once, with the carrier, tracking number and day, and the transfer keeps
the name that WMS gave it, shown in the transfer list; reported again with a later day (even
twice), that WMS is sent the receipt with the new day once, at that name. A transfer cancelled
in Ordo that Dallas shipped already (its cancellation answered 409, or its shipped report
coming first) is on its way again, off Dallas's stock, and received as the store's own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.adapters import orm
from ordo.bootstrap import Container, build_app_container
from ordo.settings import load_settings
from tests.e2e.conftest import SECRET, Api, run_worker
from tests.e2e.test_pickup_orders_http import outbox
from tests.e2e.test_transfer_shipped_http import SHIPPED, a_transfer_to_the_store
from tests.support.fake_wms import FakeWms, fake_wms

TOO_LATE = "TO-000001 shipped at 10:42 with 1Z999AA10123456784"


@pytest.fixture
def systems() -> Iterator[FakeWms]:
    """Two WMSs on one server: Dallas's at /dallas, the store's at /store."""
    routes = {
        ("POST", "/dallas/transfer-orders"): (201, {"reference": "TO-000001"}),
        ("POST", "/dallas/transfer-orders/TO-000001/cancel"): (409, {"message": TOO_LATE}),
        ("POST", "/store/inbound-transfers"): (201, {"reference": "ASN-000001"}),
        ("PUT", "/store/inbound-transfers/ASN-000001"): (204, None),
    }
    with fake_wms(routes) as found:
        yield found


@pytest.fixture
def container(database_url: str, tmp_path: Path, systems: FakeWms) -> Iterator[Container]:
    """The app of a deployment whose Dallas warehouse and Fifth Avenue store each work with
    a WMS of their own."""
    wms = {"dallas": systems.entry("dallas", "DAL-01"), "store": systems.entry("store", "NYC-5")}
    settings = load_settings(
        database_url=database_url,
        environment="test",
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        wms=json.dumps(wms),
    )
    with build_app_container(settings) as built:
        yield built


def test_the_receiving_stores_wms_expects_a_shipped_transfer_once(
    api: Api, systems: FakeWms
) -> None:
    order_id, transfer_id = a_transfer_to_the_store(api)
    run_worker(api)
    assert [path for _, path, _, _ in systems.requests] == ["/dallas/transfer-orders"]

    path = f"/v1/inventory/transfers/{transfer_id}/shipped"
    report = {**SHIPPED, "expected_on": "2026-12-04"}
    first = api.post(path, role="warehouse", json=report)
    again = api.post(path, role="warehouse", json=report)  # the sender's WMS retrying
    assert (first.status_code, again.status_code) == (200, 200), again.text
    run_worker(api)
    run_worker(api)

    [(method, _, key, body)] = systems.sent_to("store")
    assert (method, key) == ("POST", f"{transfer_id}:inbound")
    assert (body["contract"], body["id"], body["location_code"]) == (
        "ordo.wms.v1", transfer_id, "NYC-5",
    )  # fmt: skip
    assert (body["from"]["code"], body["to"]["code"]) == ("DAL-01", "NYC-5")
    assert body["lines"] == [{"sku": "SHOE-42", "units": 2}]
    assert (body["carrier"], body["tracking_number"]) == ("ups", "1Z999AA10123456784")
    assert body["shipped_at"].startswith("2026-11-28T14:05:00")
    assert body["expected_on"] == "2026-12-04"
    assert body["order"]["id"] == order_id
    assert len(systems.sent_to("dallas")) == 1  # the sender is not told again
    [told] = outbox(api, "transfer.inbound_sent_to_wms")
    assert (told["transfer_id"], told["to_location"], told["inbound_reference"]) == (
        transfer_id, "NYC-5", "ASN-000001",
    )  # fmt: skip
    with api.container.uow_factory() as uow:
        kept = uow.inbound.get(transfer_id)
        assert kept is not None and kept.inbound_reference == "ASN-000001"


def test_the_receiving_stores_wms_hears_a_revised_arrival_day_once_at_its_reference(
    api: Api, systems: FakeWms
) -> None:
    _, transfer_id = a_transfer_to_the_store(api)
    path = f"/v1/inventory/transfers/{transfer_id}/shipped"
    first = api.post(path, role="warehouse", json={**SHIPPED, "expected_on": "2026-12-04"})
    assert first.status_code == 200, first.text
    run_worker(api)  # the transfer order to Dallas, the expected receipt to the store

    later = {**SHIPPED, "expected_on": "2026-12-06"}
    revised = api.post(path, role="warehouse", json=later)
    again = api.post(path, role="warehouse", json=later)  # the sender's WMS retrying
    assert (revised.status_code, again.status_code) == (200, 200), again.text
    run_worker(api)
    run_worker(api)

    [(_, announced, _, _), (method, updated, key, body)] = systems.sent_to("store")
    assert (announced, method, updated) == (
        "/store/inbound-transfers", "PUT", "/store/inbound-transfers/ASN-000001",
    )  # fmt: skip
    assert key == f"{transfer_id}:inbound:update:{revision_id(api)}"
    assert (body["contract"], body["message"], body["reference"], body["id"]) == (
        "ordo.wms.v1", "update", "ASN-000001", transfer_id,
    )  # fmt: skip
    assert (body["expected_on"], body["location_code"]) == ("2026-12-06", "NYC-5")
    assert (body["carrier"], body["tracking_number"]) == ("ups", "1Z999AA10123456784")
    assert len(systems.sent_to("dallas")) == 1  # the sender is not told again

    [listed] = api.get("/v1/inventory/transfers").json()
    assert (listed["id"], listed["inbound_reference"], listed["expected_on"]) == (
        transfer_id, "ASN-000001", "2026-12-06",
    )  # fmt: skip
    [updated] = outbox(api, "transfer.inbound_updated_at_wms")
    assert (updated["transfer_id"], updated["inbound_reference"], updated["expected_on"]) == (
        transfer_id, "ASN-000001", "2026-12-06",
    )  # fmt: skip


def revision_id(api: Api) -> str:
    """The id of the one `transfer.arrival_revised` event, as the bus delivers it."""
    with api.container.engine.connect() as connection:
        [row] = connection.execute(
            select(orm.outbox.c.id).where(orm.outbox.c.name == "transfer.arrival_revised")
        ).all()
    return str(row.id)


def dallas_on_hand(api: Api) -> int:
    rows = {r["location_code"]: r for r in api.get("/v1/inventory/skus/SHOE-42").json()}
    return int(rows["DAL-01"]["on_hand"])


def test_a_transfer_dallas_shipped_before_its_cancellation_is_on_its_way_and_received(
    api: Api, systems: FakeWms
) -> None:
    order_id, transfer_id = a_transfer_to_the_store(api)
    run_worker(api)  # the transfer order to Dallas: TO-000001
    cancelled = api.post(f"/v1/orders/{order_id}/cancel", json={"reason": "changed her mind"})
    assert cancelled.status_code == 200, cancelled.text
    assert dallas_on_hand(api) == 50  # booked back at once

    run_worker(api)
    run_worker(api)  # nothing more: the refusal is not asked again

    assert [path for _, path, _, _ in systems.sent_to("dallas")] == [
        "/dallas/transfer-orders", "/dallas/transfer-orders/TO-000001/cancel",
    ]  # fmt: skip
    [listed] = api.get("/v1/inventory/transfers", params={"status": "in_transit"}).json()
    assert (listed["id"], listed["order_id"]) == (transfer_id, "")  # released from the order
    assert dallas_on_hand(api) == 48  # on the truck, off Dallas again
    [reinstated] = outbox(api, "transfer.reinstated")
    assert (reinstated["transfer_id"], reinstated["order_id"], reinstated["short"]) == (
        transfer_id, order_id, 0,
    )  # fmt: skip
    assert TOO_LATE in reinstated["message"]
    assert outbox(api, "alert.triggered") == []  # nothing left for a person
    trail = api.get(f"/v1/audit?entity=transfer&entity_id={transfer_id}").json()
    [entry] = [e for e in trail if e["action"] == "transfer.reinstated"]
    assert entry["actor"] == "system" and TOO_LATE in entry["after"]["message"]

    path = f"/v1/inventory/transfers/{transfer_id}/shipped"
    reported = api.post(path, role="warehouse", json={**SHIPPED, "expected_on": "2026-12-04"})
    assert reported.status_code == 200, reported.text
    run_worker(api)
    [(_, announced, _, body)] = systems.sent_to("store")
    assert (announced, body["order"]) == ("/store/inbound-transfers", None)
    received = api.post(f"/v1/inventory/transfers/{transfer_id}/receive")
    assert received.status_code == 200, received.text
    assert received.json()["on_hand"] == 3  # the store's own one, and the two that came


def test_a_shipped_report_before_dallas_hears_of_the_cancellation_puts_the_transfer_back(
    api: Api, systems: FakeWms
) -> None:
    order_id, transfer_id = a_transfer_to_the_store(api)
    run_worker(api)
    api.post(f"/v1/orders/{order_id}/cancel", json={"reason": "changed her mind"})

    path = f"/v1/inventory/transfers/{transfer_id}/shipped"
    reported = api.post(path, role="warehouse", json=SHIPPED)
    run_worker(api)

    assert reported.status_code == 200, reported.text
    assert dallas_on_hand(api) == 48
    assert [path for _, path, _, _ in systems.sent_to("dallas")] == ["/dallas/transfer-orders"]
    [reinstated] = outbox(api, "transfer.reinstated")
    said = "warehouse:e2e-warehouse reported it shipped after Ordo cancelled it"
    assert reinstated["message"] == said
    [(_, announced, _, _)] = systems.sent_to("store")
    assert announced == "/store/inbound-transfers"
