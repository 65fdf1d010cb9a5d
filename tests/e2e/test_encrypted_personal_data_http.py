"""With ORDO_DATA_KEYS set, an order and a customer posted over HTTP come back whole, support
finds the order by email, a retry is replayed whole, the audit log and an order's history
show what changed, alerts and tickets read in clear, and the rows in the database hold none
of the person's details."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from engine.adapters import orm, orm_api
from engine.adapters.field_crypto import new_data_key
from engine.domain.operations import Ticket
from engine.service_layer.alerts import raise_alert
from ordo.bootstrap import build_app_container
from ordo.settings import load_settings
from tests.e2e.conftest import SECRET, Api, issue_role_keys, order

SHIP_TO = {
    "postal_code": "10001",
    "name": "Zoë Lovelace",
    "line1": "350 Fifth Avenue",
    "city": "New York",
    "state": "NY",
}
ZOE = {
    "email": "zoe@example.com",
    "name": "Zoë Lovelace",
    "tier": "gold",
    "group": "vip",
    "default_address": {"postal_code": "10001", "line1": "12 Byron Row", "city": "New York"},
}
# Whole values: a short text could turn up inside random base64 by chance.
HERS = ("zoe@example.com", "zoë lovelace", "350 fifth avenue", "12 byron row", "new york")


@pytest.fixture
def encrypted_api(database_url: str) -> Iterator[Api]:
    settings = load_settings(
        database_url=database_url,
        environment="test",
        secret_key=SECRET,
        data_dir=Path(tempfile.mkdtemp(prefix="ordo-e2e-")),
        data_keys=new_data_key("e2e"),
    )
    with (
        build_app_container(settings) as container,
        TestClient(create_app(container), raise_server_exceptions=False) as client,
    ):
        yield Api(client=client, keys=issue_role_keys(container), container=container)


def stored(api: Api, table: Any, row_id: str) -> str:
    """The row as the database holds it, as lower-case text."""
    with api.container.engine.connect() as connection:
        row = connection.execute(select(table).where(table.c.id == row_id)).mappings().one()
    return json.dumps(dict(row), default=str, ensure_ascii=False).lower()


def test_an_order_posted_comes_back_with_its_address_and_its_row_holds_none_of_it(
    encrypted_api: Api,
) -> None:
    api = encrypted_api
    api.seed()
    posted = order("W-1", ship_to=SHIP_TO, email="Zoe@Example.com")

    created = api.post("/v1/orders", role="channel", json=posted)

    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    shown = api.get(f"/v1/orders/{order_id}", role="support").json()
    assert shown["email"] == "Zoe@Example.com"
    assert {key: shown["ship_to"][key] for key in SHIP_TO} == SHIP_TO
    found = api.get("/v1/orders?email=ZOE@example.com", role="support").json()
    assert [o["id"] for o in found] == [order_id]
    row = stored(api, orm.orders, order_id)
    assert not [text for text in HERS if text in row]
    assert "enc:v1:e2e:" in row and "10001" in row


def test_a_customer_put_comes_back_whole_and_its_row_holds_none_of_it(encrypted_api: Api) -> None:
    api = encrypted_api

    assert api.put("/v1/customers/C-1", json=ZOE).status_code == 200

    shown = api.get("/v1/customers/C-1", role="support").json()
    assert (shown["email"], shown["name"]) == (ZOE["email"], ZOE["name"])
    assert shown["default_address"]["line1"] == "12 Byron Row"
    row = stored(api, orm.customers, "C-1")
    assert not [text for text in HERS if text in row]


def stored_rows(api: Api, table: Any) -> str:
    """Every row of `table` as the database holds it, as lower-case text."""
    with api.container.engine.connect() as connection:
        rows = [dict(row) for row in connection.execute(select(table)).mappings()]
    return json.dumps(rows, default=str, ensure_ascii=False).lower()


def test_a_retried_order_is_replayed_whole_and_the_stored_answer_holds_none_of_it(
    encrypted_api: Api,
) -> None:
    api = encrypted_api
    api.seed()
    posted = order("W-2", ship_to=SHIP_TO, email="Zoe@Example.com")
    headers = {"Idempotency-Key": "zoe-1"}

    first = api.post("/v1/orders", role="channel", json=posted, headers=headers)
    retry = api.post("/v1/orders", role="channel", json=posted, headers=headers)

    assert first.status_code == retry.status_code == 201, retry.text
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    assert retry.json()["ship_to"]["line1"] == SHIP_TO["line1"]
    answers = stored_rows(api, orm_api.idempotency_keys)
    assert not [text for text in HERS if text in answers]
    assert "enc:v1:e2e:" in answers


def test_the_audit_log_and_an_orders_history_read_summaries_sealed_in_their_rows(
    encrypted_api: Api,
) -> None:
    api = encrypted_api
    api.seed()
    assert api.put("/v1/customers/C-1", json=ZOE).status_code == 200
    created = api.post("/v1/orders", role="channel", json=order("W-3", email=ZOE["email"]))
    order_id = created.json()["id"]
    moved = api.post(f"/v1/orders/{order_id}/modify", role="support", json={"ship_to": SHIP_TO})
    assert moved.status_code == 200, moved.text

    [put] = api.get("/v1/audit?entity=customer&entity_id=C-1", role="admin").json()
    history = api.get(f"/v1/orders/{order_id}", role="support").json()["events"]

    assert (put["after"]["email"], put["after"]["name"]) == (ZOE["email"], ZOE["name"])
    [modified] = [event for event in history if event["action"] == "order.modify"]
    assert modified["after"]["ship_to"]["line1"] == SHIP_TO["line1"]
    entries = stored_rows(api, orm.audit_log)
    assert not [text for text in HERS if text in entries]
    assert "enc:v1:e2e:" in entries


def test_an_alerts_message_and_a_ticket_read_in_clear_over_http_while_sealed_in_their_rows(
    encrypted_api: Api,
) -> None:
    api = encrypted_api
    api.seed()
    created = api.post("/v1/orders", role="channel", json=order("W-4", email=ZOE["email"]))
    order_id = created.json()["id"]
    held = f"Order {order_id} of Zoë Lovelace <zoe@example.com> is held"
    subject = "Zoë Lovelace says the parcel came damaged"
    with api.container.uow_factory() as uow:
        # A rule's alert filled with the order's fields, and support's ticket about the order.
        alert = raise_alert(uow, rule="order_alerts/held", key=order_id, severity="high",
                            message=held)  # fmt: skip
        uow.tickets.add(
            Ticket(id="tkt_1", system="zendesk", external_ticket_id="35436", entity="order",
                   entity_id=order_id, subject=subject, created_at=alert.created_at,
                   created_by="support:desk", comment_author="Zoë Lovelace",
                   comment_excerpt="It is zoe@example.com again")
        )  # fmt: skip
        uow.commit()

    acknowledged = api.post(f"/v1/alerts/{alert.id}/acknowledge", role="support")
    [listed] = api.get("/v1/alerts", role="analyst").json()
    [ticket] = api.get(f"/v1/orders/{order_id}", role="support").json()["tickets"]

    assert acknowledged.status_code == 200, acknowledged.text
    assert (listed["message"], listed["status"]) == (held, "acknowledged")
    assert (ticket["subject"], ticket["comment_author"]) == (subject, "Zoë Lovelace")
    assert ticket["comment_excerpt"] == "It is zoe@example.com again"
    rows = stored(api, orm.alerts, alert.id) + stored(api, orm.tickets, "tkt_1")
    assert not [text for text in HERS if text in rows]
    assert rows.count("enc:v1:e2e:") == 4


def shipped_order(api: Api, channel_order_id: str) -> Any:
    """A fresh order of Zoë's whose one shipment has left DAL-01."""
    created = api.post("/v1/orders", role="channel", json=order(channel_order_id))
    assert created.status_code == 201, created.text
    [shipment] = api.get(f"/v1/orders/{created.json()['id']}").json()["shipments"]
    moved = api.post(f"/v1/shipments/{shipment['id']}/status", json={"status": "shipped"})
    assert moved.status_code == 200, moved.text
    return api.get(f"/v1/orders/{created.json()['id']}").json()


def test_a_returns_reason_and_a_scans_texts_read_in_clear_over_http_while_sealed_in_their_rows(
    encrypted_api: Api,
) -> None:
    api = encrypted_api
    api.seed()
    placed = shipped_order(api, "W-5")
    [shipment] = placed["shipments"]
    reason = "Damaged box, Zoë Lovelace says: left at 350 Fifth Avenue"
    scan = {
        "at": "2026-11-22T09:30:00Z",
        "code": "delivered",
        "description": "Signed for by Zoë Lovelace",
        "location": "350 Fifth Avenue, New York",
    }

    line = {"order_line_id": placed["lines"][0]["id"], "quantity": 1, "reason": reason}
    created = api.post(f"/v1/orders/{placed['id']}/returns", role="support", json={"lines": [line]})
    tracked = api.post(f"/v1/shipments/{shipment['id']}/tracking", role="warehouse", json=scan)
    retried = api.post(f"/v1/shipments/{shipment['id']}/tracking", role="warehouse", json=scan)

    assert created.status_code == 201, created.text
    assert tracked.status_code == 200 and retried.status_code == 200, retried.text
    shown = api.get(f"/v1/returns/{created.json()['id']}", role="support").json()
    assert shown["lines"][0]["reason"] == reason
    timeline = api.get(f"/v1/shipments/{shipment['id']}", role="support").json()["tracking"]
    # The carrier's retry was recognised: the scan is on the timeline once, in clear.
    assert [(t["description"], t["location"]) for t in timeline] == [
        (scan["description"], scan["location"])
    ]
    rows = stored(api, orm.returns, created.json()["id"]) + stored_rows(api, orm.shipment_tracking)
    assert not [text for text in HERS if text in rows]
    assert rows.count("enc:v1:e2e:") == 3


@pytest.mark.parametrize("keys", ["api", "encrypted_api"])
def test_the_defects_report_counts_the_same_reasons_with_and_without_keys(
    keys: str, database_url: str, request: pytest.FixtureRequest
) -> None:
    api: Api = request.getfixturevalue(keys)  # both on `database_url`
    api.seed()
    reasons = ("Arrived DAMAGED", "Wrong item sent", "Changed my mind, Zoë")
    for number, reason in enumerate(reasons):
        placed = shipped_order(api, f"D-{number}")
        line = {"order_line_id": placed["lines"][0]["id"], "quantity": 1, "reason": reason}
        returned = api.post(
            f"/v1/orders/{placed['id']}/returns", role="support", json={"lines": [line]}
        )
        assert returned.status_code == 201, returned.text
    today = datetime.now(UTC).date().isoformat()

    answer = api.get(f"/v1/reports/operations?from={today}&to={today}", role="analyst")

    assert answer.status_code == 200, answer.text
    operations = answer.json()
    assert operations["order_defects"]["defect_return"] == 2
    assert operations["order_defects"]["defective"]["count"] == 2
    assert operations["order_accuracy"] == {"shipped": 3, "wrong_item": 1, "rate": 0.6667}
    sealed = "enc:v1:e2e:" in stored_rows(api, orm.returns)
    assert sealed is (keys == "encrypted_api")
