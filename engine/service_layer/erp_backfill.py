"""An ERP or CRM switched on later, sent what Ordo holds (`ordo erp backfill`,
docs/integrations.md#an-erp-switched-on-later).

The worker's `ErpSync` sends an entity when an event says it changed, so an ERP configured
after the fact hears of an order at its next change only. This walks every entity of the
kinds asked (orders, customers, returns, stock) and sends each its current state through the
observer's own builders and connector call (`erp_sync.order_update`, `send_update`...), in
batches: each batch is stamped, then read in a transaction of its own, then sent. The stamp
is taken before the read, as the observer takes it, so a state read here carries a lower
`version` than any live update of the same entity whose read came after, and a receiver that
keeps the highest version (as the contract asks) drops this one when the two race. A state
sent again (a second run) is the entity as it is then, under a newer version: harmless.

A customer whose record was erased (it holds `erased_email` of their id) is sent as an
erasure (`Erp.erase`), never as an upsert: the receiver forgets who the person is, as it did
(or would have) when the worker sent `customer.erased`. Their orders and returns were
anonymised in Ordo by the erasure and are sent as they are now.

`--since` narrows the walk to what changed on or after a day, as far as Ordo knows when things
changed (`ChangedKeys`): an order by its last save, a return by when it was made, a customer
by a change to their record (written or erased) or by an order of theirs changed; stock keeps
no time of its changes, so every row is sent.

A refusal for good of one entity (`PermanentRefusal`) is counted and the walk goes on; any
other `DeliveryError` (the ERP down, a timeout, a 5xx, a bad secret) stops it with
`BackfillStopped`, which says how far it got.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import partial
from typing import Any, Protocol

from connectors.base import DeliveryError, PermanentRefusal
from engine.domain.catalog import Customer, erased_email
from engine.domain.values import utcnow
from engine.service_layer.erp_sync import (
    ENTITIES,
    Erp,
    Update,
    customer_update,
    order_update,
    return_update,
    send_erasure,
    send_update,
    stamp_of,
    stock_update,
)
from engine.service_layer.unit_of_work import UnitOfWork

# Entities read per query while listing in the slow way.
PAGE = 500
DEFAULT_BATCH = 100
# The audited actions that change a customer's record: written through the API, erased.
CUSTOMER_CHANGES = ("customer.put", "customer.erase")

Key = str | tuple[str, str]


@dataclass(frozen=True)
class Due:
    """One entity to send: its key (an id; `(sku, location_code)` for stock) and the day the
    walk of its kind is ordered by (an order's last save, a return's making), None for a kind
    walked by key, so a stopped run can say from which day on the rest changed."""

    key: Key
    changed_on: date | None = None


class ChangedKeys(Protocol):
    """The entities of `kind` to send, in the order they are sent: every one, or those that
    changed at or after `since`."""

    def __call__(self, uow: UnitOfWork, kind: str, since: datetime | None) -> Sequence[Due]: ...


@dataclass
class Tally:
    """What became of one kind's entities: `sent` (upserts and erasures), of which `erased`
    were customers sent as erased, `gone` (deleted since they were listed) and `refused`
    (each entity's name and the ERP's refusal)."""

    kind: str
    due: int
    sent: int = 0
    erased: int = 0
    gone: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.sent + self.gone + len(self.refused)


class BackfillStopped(Exception):
    """The ERP could not be reached, or refused in a way a retry may mend: the walk stopped
    at `due` of `kind`, after what `tallies` count."""

    def __init__(self, tallies: Sequence[Tally], kind: str, due: Due, error: DeliveryError) -> None:
        super().__init__(str(error))
        self.tallies = list(tallies)
        self.kind = kind
        self.due = due
        self.error = error


def day_start(day: date) -> datetime:
    """The first moment of `day` in UTC, as `--since` means it."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def is_erased(customer: Customer) -> bool:
    """Whether the record holds what erasure leaves: the address made of the customer's id.
    A record written again since (`PUT /v1/customers/{id}`) holds the address given."""
    return customer.email == erased_email(customer.id)


def described(kind: str, key: Key) -> str:
    """An entity as the operator reads it: `order ord_1`, `stock MUG at DAL-01`."""
    if isinstance(key, tuple):
        return f"stock {key[0]} at {key[1]}"
    return f"{kind.removesuffix('s')} {key}"


class Backfill:
    """Lists the entities of the kinds asked (`changed`) and sends them to `erp`."""

    def __init__(
        self,
        erp: Erp,
        changed: ChangedKeys | None = None,
        clock: Callable[[], datetime] = utcnow,
        batch_size: int = DEFAULT_BATCH,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch size must be 1 or more, got {batch_size}")
        self.erp = erp
        self.changed: ChangedKeys = changed or keys_the_slow_way
        self.clock = clock
        self.batch_size = batch_size

    def listed(
        self, uow_factory: Callable[[], UnitOfWork], kinds: Iterable[str], since: date | None
    ) -> dict[str, Sequence[Due]]:
        """The entities to send, by kind, in ENTITIES' order."""
        wanted = set(kinds)
        unknown = sorted(wanted - set(ENTITIES))
        if unknown:
            raise ValueError(f"no such entity to sync: {unknown} (one of {', '.join(ENTITIES)})")
        moment = day_start(since) if since is not None else None
        with uow_factory() as uow:
            return {kind: self.changed(uow, kind, moment) for kind in ENTITIES if kind in wanted}

    def send(
        self,
        uow_factory: Callable[[], UnitOfWork],
        listed: Mapping[str, Sequence[Due]],
        progress: Callable[[Tally], None] = lambda _: None,
    ) -> list[Tally]:
        """Send every entity `listed`, a batch at a time, calling `progress` after each batch;
        `BackfillStopped` at the first failure that is not a refusal for good."""
        tallies: list[Tally] = []
        for kind, dues in listed.items():
            tally = Tally(kind, len(dues))
            tallies.append(tally)
            for start in range(0, len(dues), self.batch_size):
                batch = dues[start : start + self.batch_size]
                # Stamped before reading: whatever is read after this moment is at least as new.
                stamp = stamp_of(self.clock())
                with uow_factory() as uow:
                    read = _read(uow, kind, [due.key for due in batch])
                for due in batch:
                    self._send_one(tally, kind, due, read.get(due.key), stamp, tallies)
                progress(tally)
        return tallies

    def _send_one(
        self,
        tally: Tally,
        kind: str,
        due: Due,
        found: Update | str | None,
        stamp: Mapping[str, Any],
        tallies: Sequence[Tally],
    ) -> None:
        if found is None:
            tally.gone += 1
            return
        try:
            if isinstance(found, str):
                send_erasure(self.erp, found, stamp)
                tally.erased += 1
            else:
                send_update(self.erp, found, stamp)
        except PermanentRefusal as refusal:
            tally.refused.append((described(kind, due.key), str(refusal)))
            return
        except DeliveryError as error:
            raise BackfillStopped(tallies, kind, due, error) from None
        tally.sent += 1


def _read(uow: UnitOfWork, kind: str, keys: list[Key]) -> dict[Key, Update | str]:
    """Each entity of `keys` that still exists, as the update to send, or, for an erased
    customer, their id to send an erasure for."""
    if kind == "stock":
        stock = uow.stock.read_many([key for key in keys if isinstance(key, tuple)])
        return {key: stock_update(row) for key, row in stock.items()}
    ids = [str(key) for key in keys]
    if kind == "orders":
        return {key: order_update(uow, order) for key, order in uow.orders.read_many(ids).items()}
    if kind == "returns":
        return {key: return_update(uow, ret) for key, ret in uow.returns.read_many(ids).items()}
    return {
        key: customer.id if is_erased(customer) else customer_update(customer)
        for key, customer in uow.customers.read_many(ids).items()
    }


def keys_the_slow_way(uow: UnitOfWork, kind: str, since: datetime | None) -> Sequence[Due]:
    """`ChangedKeys` read through the repositories, page by page, for a store with no query
    of its own (the in-memory one, which keeps no time of an order's last save: an order
    counts as changed when it was made). The database's is
    `engine.adapters.erp_backfill_keys.changed_keys`."""
    if kind == "stock":
        rows = _every(uow.stock.list)
        return [Due(key) for key in sorted((s.sku, s.location_code) for s in rows)]
    if kind == "orders":
        orders = [o for o in _every(uow.orders.list) if since is None or o.created_at >= since]
        ordered = sorted(orders, key=lambda o: (o.created_at, o.id))
        return [Due(o.id, o.created_at.date()) for o in ordered]
    if kind == "returns":
        returns = [r for r in _every(uow.returns.list) if since is None or r.created_at >= since]
        ordered_returns = sorted(returns, key=lambda r: (r.created_at, r.id))
        return [Due(r.id, r.created_at.date()) for r in ordered_returns]
    ids = sorted(customer.id for customer in _every(uow.customers.list))
    if since is None:
        return [Due(id) for id in ids]
    audited = _every(partial(uow.audit.list, entity="customer"))
    changed = {
        entry.entity_id
        for entry in audited
        if entry.action in CUSTOMER_CHANGES and entry.at >= since
    }
    changed |= {o.customer_id for o in _every(uow.orders.list) if o.created_at >= since}
    return [Due(id) for id in ids if id in changed]


def _every(page: Callable[..., Sequence[Any]]) -> list[Any]:
    found: list[Any] = []
    while batch := page(limit=PAGE, offset=len(found)):
        found.extend(batch)
    return found
