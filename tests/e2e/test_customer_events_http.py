"""A customer PUT over HTTP leaves `customer.updated` in the outbox, in the record's own
transaction, for the ERP/CRM sync and webhooks: the id and whether it was created, never
the person's details; the same record put again leaves nothing more."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.adapters import orm
from tests.e2e.conftest import Api

ADA = {
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "tier": "gold",
    "default_address": {"postal_code": "10001", "line1": "12 Byron Row", "city": "New York"},
}


def customer_events(api: Api) -> list[dict[str, Any]]:
    with api.container.engine.connect() as connection:
        rows = connection.execute(
            select(orm.outbox.c.payload)
            .where(orm.outbox.c.name == "customer.updated")
            .order_by(orm.outbox.c.id)
        ).all()
    return [dict(row.payload) for row in rows]


def test_a_new_customer_leaves_customer_updated_with_the_id_only(api: Api) -> None:
    refused = {**ADA, "default_address": {"postal_code": "10001", "country": "us"}}
    assert api.put("/v1/customers/C-1", json=refused).status_code == 422

    answer = api.put("/v1/customers/C-1", json=ADA)

    assert answer.status_code == 200, answer.text
    # One: the refused request, which wrote nothing, raised nothing either.
    assert customer_events(api) == [{"customer_id": "C-1", "created": True}]


def test_a_changed_customer_leaves_another_as_replaced(api: Api) -> None:
    api.put("/v1/customers/C-1", json=ADA)

    moved = {**ADA, "default_address": {"postal_code": "75201", "line1": "1 Elm St"}}
    assert api.put("/v1/customers/C-1", json=moved).status_code == 200

    assert customer_events(api) == [
        {"customer_id": "C-1", "created": True},
        {"customer_id": "C-1", "created": False},
    ]
    assert api.get("/v1/customers/C-1").json()["default_address"]["line1"] == "1 Elm St"


def test_the_same_customer_put_again_leaves_nothing_more(api: Api) -> None:
    api.put("/v1/customers/C-1", json=ADA)

    again = api.put("/v1/customers/C-1", json=ADA)

    assert again.status_code == 200, again.text
    assert again.json()["name"] == "Ada Lovelace"
    assert customer_events(api) == [{"customer_id": "C-1", "created": True}]
    # The request itself is still in the audit log: an admin did put the record.
    assert len(api.get("/v1/audit?entity=customer&entity_id=C-1").json()) == 2
