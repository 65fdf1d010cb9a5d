"""Catalogue writes that other systems hear of: a customer record created or replaced.

`put_customer` stores the record, its `customer.put` audit entry and a `customer.updated`
event in one transaction, so the event reaches the outbox (and from there the ERP/CRM sync
and the webhook) exactly when the record changed. A PUT that stores the same record again
changes nothing downstream and records no event: a client re-sending its whole customer
list each night must not make every receiver re-import every customer.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from engine.domain import events
from engine.domain.catalog import Customer
from engine.service_layer import audit
from engine.service_layer.unit_of_work import UnitOfWork


def _fields(customer: Customer) -> dict[str, Any]:
    return {f.name: getattr(customer, f.name) for f in dataclasses.fields(customer)}


def put_customer(uow: UnitOfWork, customer: Customer, actor: str) -> Customer:
    """Create `customer`, or replace the stored record of its id with it; returns the record
    as stored. Records `customer.updated` (the id, and whether it was created) unless the
    stored record already equalled `customer`."""
    with uow:
        current = uow.customers.get(customer.id)
        before: dict[str, Any] = {}
        if current is None:
            uow.customers.add(customer)
            current, created, changed = customer, True, True
        else:
            before, created, changed = _fields(current), False, current != customer
            for name, value in _fields(customer).items():
                setattr(current, name, value)
        # As the request gave it (the address as fields, not its repr), less the path's id.
        after = {k: v for k, v in dataclasses.asdict(customer).items() if k != "id"}
        audit.record(uow, actor, "customer.put", "customer", customer.id, before, after)
        if changed:
            # The id only: events are copied to Redis streams and webhooks, where an email or
            # an address would outlive the customer's erasure. Receivers read the record.
            uow.record(events.CustomerUpdated(customer.id, created=created))
        uow.commit()
    return current
