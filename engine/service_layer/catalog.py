"""Catalogue writes: products, locations and customers created or replaced by key (a PUT).

Each write stores the record and its `<entity>.put` audit entry in one transaction. A
customer's also records a `customer.updated` event, so the event reaches the outbox (and from
there the ERP/CRM sync and the webhook) exactly when the record changed. A PUT that stores the
same customer again changes nothing downstream and records no event: a client re-sending its
whole customer list each night must not make every receiver re-import every customer.

A PUT is idempotent, so two of them creating the same new record at once must both succeed.
Both read "no such record" and insert it; the database gives the key to the first commit and
refuses the second's insert (`AlreadyExists`). That one is then run once more, finds the
record and replaces it: the last writer wins, as if the two had come one after the other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from engine.domain import events
from engine.domain.catalog import Customer, Location, Product
from engine.domain.errors import AlreadyExists
from engine.service_layer import audit
from engine.service_layer.unit_of_work import Repository, UnitOfWork

T = TypeVar("T")


def _fields(record: Any) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def _store(repository: Repository[str, T], key: str, new: T) -> tuple[T, dict[str, Any]]:
    """Add `new`, or copy its fields onto the stored record of `key`; returns the record as
    stored and the fields it had before (empty: it was created)."""
    current = repository.get(key)
    if current is None:
        repository.add(new)
        return new, {}
    before = _fields(current)
    for name, value in _fields(new).items():
        setattr(current, name, value)
    return current, before


def _put(entity: str, key: str, write: Callable[[], T]) -> T:
    """`write()`, the whole transaction of a PUT of `entity` `key`, run once more if another
    request created that record between its read and its insert. Once is enough: the record
    is stored now, so the second run replaces it. Any other conflict is the caller's to hear."""
    try:
        return write()
    except AlreadyExists as clash:
        if clash.entity != entity or key not in clash.keys:
            raise
    return write()


def put_customer(uow: UnitOfWork, customer: Customer, actor: str) -> Customer:
    """Create `customer`, or replace the stored record of its id with it; returns the record
    as stored. Records `customer.updated` (the id, and whether it was created) unless the
    stored record already equalled `customer`."""

    def write() -> Customer:
        with uow:
            stored, before = _store(uow.customers, customer.id, customer)
            created = not before
            # As the request gave it (the address as fields, not its repr), less the path's id.
            after = {k: v for k, v in dataclasses.asdict(customer).items() if k != "id"}
            audit.record(uow, actor, "customer.put", "customer", customer.id, before, after)
            if created or before != _fields(customer):
                # The id only: events are copied to Redis streams and webhooks, where an email
                # or an address would outlive the customer's erasure. Receivers read the record.
                uow.record(events.CustomerUpdated(customer.id, created=created))
            uow.commit()
        return stored

    return _put("customer", customer.id, write)


def _put_audited(
    uow: UnitOfWork,
    entity: str,
    repository: Callable[[], Repository[str, T]],
    key: str,
    record: T,
    actor: str,
    request: Mapping[str, Any],
) -> T:
    """A PUT with no event: the record and its `<entity>.put` audit entry."""

    def write() -> T:
        with uow:
            stored, before = _store(repository(), key, record)
            audit.record(uow, actor, f"{entity}.put", entity, key, before, request)
            uow.commit()
        return stored

    return _put(entity, key, write)


def put_product(
    uow: UnitOfWork, product: Product, actor: str, request: Mapping[str, Any]
) -> Product:
    """Create `product`, or replace the stored record of its SKU with it; returns the record
    as stored. `request`: the body as the caller sent it, for the audit entry."""
    return _put_audited(uow, "product", lambda: uow.products, product.sku, product, actor, request)


def put_location(
    uow: UnitOfWork, location: Location, actor: str, request: Mapping[str, Any]
) -> Location:
    """Create `location`, or replace the stored record of its code with it; returns the
    record as stored. `request`: the body as the caller sent it, for the audit entry."""
    return _put_audited(
        uow, "location", lambda: uow.locations, location.code, location, actor, request
    )
