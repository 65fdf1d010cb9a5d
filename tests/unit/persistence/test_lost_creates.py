"""A catalogue PUT that lost the create of its key to another request (it read "no such
record", and the other request stored one before it inserted) is run once more and replaces
that record; any other conflict reaches the caller at once. On the in-memory store, with the
other request's record stored and the first read by key made to miss it, as a read just
before that request's commit would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.errors import AlreadyExists, Conflict
from engine.domain.events import Event
from engine.service_layer.catalog import put_customer, put_location, put_product
from tests.support.builders import a_customer, a_location, a_product


class _FirstReadMisses:
    """A repository whose first `get` finds nothing, whatever is stored."""

    def __init__(self, repository: Any) -> None:
        self._repository = repository
        self.missed = False

    def get(self, key: Any) -> Any:
        if not self.missed:
            self.missed = True
            return None
        return self._repository.get(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repository, name)


def read_too_early(uow: InMemoryUnitOfWork, repository: str) -> None:
    """Make the next read by key of `repository` miss what another request has stored."""
    setattr(uow, repository, _FirstReadMisses(getattr(uow, repository)))


class RefusedAtCommit(InMemoryUnitOfWork):
    """Its commits raise `refusals` in turn, then succeed; `attempts` counts them."""

    def __init__(self, *refusals: Conflict) -> None:
        super().__init__()
        self.refusals = list(refusals)
        self.attempts = 0

    def _commit(self, events: list[Event]) -> None:
        self.attempts += 1
        if self.refusals:
            raise self.refusals.pop(0)
        super()._commit(events)


def updated(uow: InMemoryUnitOfWork) -> list[dict[str, Any]]:
    return [e.payload() for e in uow.committed_events if e.name == "customer.updated"]


def test_a_customer_put_that_lost_the_create_replaces_the_record_stored_meanwhile() -> None:
    uow = InMemoryUnitOfWork()
    put_customer(uow, a_customer(id="C-9", tier="gold"), "admin:web")
    read_too_early(uow, "customers")

    stored = put_customer(uow, a_customer(id="C-9", tier="silver"), "admin:crm")

    assert stored == a_customer(id="C-9", tier="silver")
    with uow:
        assert uow.customers.get("C-9") == a_customer(id="C-9", tier="silver")
    assert updated(uow) == [
        {"customer_id": "C-9", "created": True},
        {"customer_id": "C-9", "created": False},
    ]
    [_, replaced] = uow.audit.committed
    assert (replaced.action, replaced.actor) == ("customer.put", "admin:crm")
    assert (replaced.before["tier"], replaced.after["tier"]) == ("gold", "silver")


def test_a_customer_put_that_lost_the_create_to_the_same_record_raises_no_second_event() -> None:
    uow = InMemoryUnitOfWork()
    put_customer(uow, a_customer(id="C-9"), "admin:web")
    read_too_early(uow, "customers")

    put_customer(uow, a_customer(id="C-9"), "admin:crm")

    assert updated(uow) == [{"customer_id": "C-9", "created": True}]
    assert [e.action for e in uow.audit.committed] == ["customer.put", "customer.put"]


PUTS: dict[str, tuple[str, Callable[[InMemoryUnitOfWork, Any, str], Any], Any, Any]] = {
    "product": (
        "products",
        lambda uow, p, actor: put_product(uow, p, actor, {"name": p.name}),
        a_product(sku="SHOE-9", name="Trail shoe"),
        a_product(sku="SHOE-9", name="Road shoe"),
    ),
    "location": (
        "locations",
        lambda uow, loc, actor: put_location(uow, loc, actor, {"name": loc.name}),
        a_location(code="DAL-09", name="Dallas DC"),
        a_location(code="DAL-09", name="Dallas overflow"),
    ),
}


@pytest.mark.parametrize("entity", list(PUTS))
def test_a_product_or_location_put_that_lost_the_create_replaces_the_record_stored_meanwhile(
    entity: str,
) -> None:
    repository, put, theirs, mine = PUTS[entity]
    uow = InMemoryUnitOfWork()
    put(uow, theirs, "admin:web")
    read_too_early(uow, repository)

    assert put(uow, mine, "admin:erp") == mine

    [_, replaced] = uow.audit.committed
    assert (replaced.action, replaced.actor) == (f"{entity}.put", "admin:erp")
    assert (replaced.before["name"], replaced.after) == (theirs.name, {"name": mine.name})


@pytest.mark.parametrize(
    "refusal",
    [
        Conflict("customer 'C-9' was changed by someone else since it was read"),
        AlreadyExists("customer 'C-2' already exists", "customer", ["C-2"]),
        AlreadyExists("product 'C-9' already exists", "product", ["C-9"]),
    ],
    ids=["another conflict", "another key", "another entity"],
)
def test_a_put_refused_for_anything_but_its_own_key_is_not_run_again(refusal: Conflict) -> None:
    uow = RefusedAtCommit(refusal)

    with pytest.raises(Conflict) as refused:
        put_customer(uow, a_customer(id="C-9"), "admin:crm")

    assert refused.value is refusal
    assert uow.attempts == 1
    with uow:
        assert uow.customers.get("C-9") is None


def test_a_put_is_run_again_once_only_and_then_the_refusal_reaches_the_caller() -> None:
    clash = AlreadyExists("customer 'C-9' already exists", "customer", ["C-9"])
    uow = RefusedAtCommit(clash, clash, clash)

    with pytest.raises(AlreadyExists):
        put_customer(uow, a_customer(id="C-9"), "admin:crm")

    assert uow.attempts == 2
    assert updated(uow) == [] and uow.audit.committed == []


def test_a_put_refused_once_for_its_own_key_succeeds_when_run_again() -> None:
    uow = RefusedAtCommit(AlreadyExists("customer 'C-9' already exists", "customer", ["C-9"]))

    put_customer(uow, a_customer(id="C-9"), "admin:crm")

    assert uow.attempts == 2
    assert updated(uow) == [{"customer_id": "C-9", "created": True}]
    assert [e.action for e in uow.audit.committed] == ["customer.put"]
