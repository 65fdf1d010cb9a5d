"""A customer record's changes reach other systems: storing a new or different record raises
`customer.updated` (the id, nothing personal) in the write's own transaction, storing the same
record again raises nothing, and the ERP/CRM sync sends the record as it is when it hears of
it. On the in-memory store, with a fake ERP."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from engine.adapters.bus import Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.events import CustomerUpdated, event_from_payload
from engine.service_layer.catalog import put_customer
from engine.service_layer.erp_sync import ErpSync
from tests.support.builders import a_customer, an_address


class FakeErp:
    def __init__(self) -> None:
        self.synced: list[tuple[str, Mapping[str, Any]]] = []
        self.erased: list[tuple[str, Mapping[str, Any]]] = []

    def sync(self, entity: str, data: Mapping[str, Any]) -> None:
        self.synced.append((entity, data))

    def erase(self, entity: str, data: Mapping[str, Any]) -> None:
        self.erased.append((entity, data))


def clock() -> datetime:
    return datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


def an_erp_sync(*entities: str) -> tuple[ErpSync, FakeErp]:
    erp = FakeErp()
    return ErpSync(erp, entities or ("customers",), clock=clock), erp


def updated(uow: InMemoryUnitOfWork) -> list[dict[str, Any]]:
    return [e.payload() for e in uow.committed_events if e.name == "customer.updated"]


def test_a_new_customer_record_raises_customer_updated_with_its_id_only() -> None:
    uow = InMemoryUnitOfWork()

    put_customer(uow, a_customer(id="C-1"), "admin:ann")

    assert updated(uow) == [{"customer_id": "C-1", "created": True}]
    assert uow.commits == 1  # in the record's own transaction


def test_a_changed_record_raises_customer_updated_as_replaced() -> None:
    uow = InMemoryUnitOfWork()
    put_customer(uow, a_customer(id="C-1", tier="standard"), "admin:ann")

    stored = put_customer(uow, a_customer(id="C-1", tier="gold"), "admin:ann")

    assert stored.tier == "gold"
    assert updated(uow)[1:] == [{"customer_id": "C-1", "created": False}]


def test_a_new_default_address_is_a_change_and_an_equal_one_is_not() -> None:
    uow = InMemoryUnitOfWork()
    put_customer(uow, a_customer(id="C-1"), "admin:ann")

    moved = an_address(line1="2 Oak St")
    put_customer(uow, a_customer(id="C-1", default_address=moved), "admin:ann")
    put_customer(uow, a_customer(id="C-1", default_address=an_address(line1="2 Oak St")), "a")

    assert [p["created"] for p in updated(uow)] == [True, False]


def test_the_same_record_stored_again_raises_nothing_but_is_still_audited() -> None:
    uow = InMemoryUnitOfWork()
    put_customer(uow, a_customer(id="C-1"), "admin:ann")

    put_customer(uow, a_customer(id="C-1"), "admin:ann")

    assert updated(uow) == [{"customer_id": "C-1", "created": True}]
    assert [e.action for e in uow.audit.committed] == ["customer.put", "customer.put"]


def test_the_event_carries_nothing_personal_and_is_rebuilt_from_its_payload() -> None:
    uow = InMemoryUnitOfWork()
    put_customer(uow, a_customer(id="C-1", email="ada@example.com"), "admin:ann")

    [payload] = updated(uow)

    assert "ada" not in str(payload).lower()
    assert event_from_payload("customer.updated", payload) == CustomerUpdated("C-1", True)


def test_the_erp_sync_sends_the_customer_as_stored_when_it_hears_of_it() -> None:
    uow = InMemoryUnitOfWork()
    put_customer(uow, a_customer(id="C-1", tier="standard"), "admin:ann")
    put_customer(uow, a_customer(id="C-1", tier="gold"), "admin:ann")
    observer, erp = an_erp_sync()
    first = Message("evt-1", "customer.updated", updated(uow)[0], "")

    assert observer.wants(first)
    observer(first, uow)  # handled late: the record has changed since

    [(entity, data)] = erp.synced
    assert (entity, data["key"]) == ("customer", {"id": "C-1"})
    state = data["state"]
    assert (state["email"], state["tier"]) == ("ada@example.com", "gold")
    assert state["default_address"]["line1"] == "1 Elm St"


def test_the_erp_sync_sends_the_customer_only_when_customers_are_synced() -> None:
    uow = InMemoryUnitOfWork()
    put_customer(uow, a_customer(id="C-1"), "admin:ann")
    message = Message("evt-1", "customer.updated", updated(uow)[0], "")
    others, erp_of_others = an_erp_sync("orders", "returns", "stock")
    customers, erp_of_customers = an_erp_sync("customers")

    others(message, uow)
    customers(message, uow)

    assert (others.wants(message), customers.wants(message)) == (False, True)
    assert erp_of_others.synced == [] and erp_of_others.erased == []
    assert [entity for entity, _ in erp_of_customers.synced] == ["customer"]


def test_the_erp_sync_skips_a_customer_gone_from_the_store_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    observer, erp = an_erp_sync()

    with caplog.at_level(logging.WARNING, logger="engine.service_layer.erp_sync"):
        observer(
            Message("evt-1", "customer.updated", {"customer_id": "C-404"}, ""),
            uow=InMemoryUnitOfWork(),
        )

    assert erp.synced == []
    assert "customer C-404 not found; not synced" in caplog.text
