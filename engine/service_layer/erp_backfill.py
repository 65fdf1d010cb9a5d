"""An ERP or CRM switched on later, sent what Ordo holds (`ordo erp backfill`,
docs/integrations.md#an-erp-switched-on-later).

The worker's `ErpSync` sends an entity when an event says it changed, so an ERP configured
after the fact hears of an order at its next change only. This walks every entity of the
kinds asked (orders, customers, returns, stock) and sends each its current state through the
observer's own builders and connector call (`erp_sync.order_update`, `send_update`...), in
batches: each batch is stamped, then listed and read in a transaction of its own, then sent.
The keys are listed a batch at a time, in key order, each batch after the last key of the one
before (`ChangedKeys.page`), so no list of every key is held, however many there are; an
entity made during the walk with a key beyond where it stands is sent too. The stamp is taken
before the read, as the observer takes it, so a state read here carries a lower
`version` than any live update of the same entity whose read came after, and a receiver that
keeps the highest version (as the contract asks) drops this one when the two race. A state
sent again (a second run) is the entity as it is then, under a newer version: harmless.

A customer whose record was erased (it holds `erased_email` of their id) is sent as an
erasure (`Erp.erase`), never as an upsert: the receiver forgets who the person is, as it did
(or would have) when the worker sent `customer.erased`. Their orders and returns were
anonymised in Ordo by the erasure and are sent as they are now.

`--since` narrows the walk to what changed on or after a day, as far as Ordo knows when things
changed (`ChangedKeys`): an order or a return by its last save, a stock row by its last change,
a customer by a change to their record (written or erased) or by an order of theirs changed.
A return or stock row not changed since Ordo began keeping the time (migration 0041) has none:
unknown, so it is sent.

A refusal for good of one entity (`PermanentRefusal`) is counted and the walk goes on; any
other `DeliveryError` (the ERP down, a timeout, a 5xx, a bad secret) stops it with
`BackfillStopped`, which says how far it got: the entity it stopped at and the last one of its
kind done before it. A run given that last key (`after`, `--after KIND:KEY`) walks that kind
from the key after it, as the walk itself goes from batch to batch, so it resumes where the
stopped one stood; a key is written `KIND:ID`, or `stock:SKU@LOCATION` (`key_text`).
"""

from __future__ import annotations

from bisect import bisect_right
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


class ChangedKeys(Protocol):
    """The entities of `kind` to send: every one, or (`since`) those that changed at or after
    it or whose time of change is unknown. A key is an id; `(sku, location_code)` for stock."""

    def count(
        self, uow: UnitOfWork, kind: str, since: datetime | None, after: Key | None = None
    ) -> int:
        """How many there are (greater than `after`, if given)."""
        ...

    def page(
        self, uow: UnitOfWork, kind: str, since: datetime | None, after: Key | None, limit: int
    ) -> Sequence[Key]:
        """Up to `limit` of their keys, in key order, each greater than `after` (if given)."""
        ...


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
    at the entity `key` of `kind`, after what `tallies` count. `after` is the last key of
    `kind` done before it (sent, refused or gone), where a run resuming it starts after; None
    when none was, in this run or the one it resumed."""

    def __init__(
        self,
        tallies: Sequence[Tally],
        kind: str,
        key: Key,
        error: DeliveryError,
        after: Key | None = None,
    ) -> None:
        super().__init__(str(error))
        self.tallies = list(tallies)
        self.kind = kind
        self.key = key
        self.error = error
        self.after = after


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


def key_text(kind: str, key: Key) -> str:
    """An entity's key as `--after` takes it: `orders:ord_1`, `stock:MUG@DAL-01`."""
    if isinstance(key, tuple):
        return f"{kind}:{key[0]}@{key[1]}"
    return f"{kind}:{key}"


def key_of(text: str, kinds: Sequence[str]) -> tuple[str, Key]:
    """The kind and key `text` names (`key_text`'s form), the kind one of `kinds`; a
    `ValueError` saying what is wrong with it otherwise."""
    kind, colon, key = text.partition(":")
    example = "e.g. orders:O-1 or stock:MUG@DAL-01"
    if not colon:
        raise ValueError(f"{text!r}: expected KIND:KEY ({example})")
    if kind not in kinds:
        raise ValueError(f"{text!r}: {kind!r} is not one of the kinds sent ({', '.join(kinds)})")
    if kind != "stock":
        if not key:
            raise ValueError(f"{text!r}: no key after {kind}: ({example})")
        return kind, key
    # Location codes hold no '@' (letters, digits, '.', '_' and '-'): the last one splits.
    sku, at, location = key.rpartition("@")
    if not (at and sku and location):
        raise ValueError(f"{text!r}: a stock row's key is SKU@LOCATION (e.g. stock:MUG@DAL-01)")
    return kind, (sku, location)


class Backfill:
    """Counts the entities of the kinds asked (`changed`), then lists and sends them to `erp`
    a batch at a time."""

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
        self.changed: ChangedKeys = changed or KeysTheSlowWay()
        self.clock = clock
        self.batch_size = batch_size

    def counted(
        self,
        uow_factory: Callable[[], UnitOfWork],
        kinds: Iterable[str],
        since: date | None,
        after: Mapping[str, Key] | None = None,
    ) -> dict[str, int]:
        """How many entities there are to send, by kind, in ENTITIES' order; of a kind in
        `after`, those whose key comes after the one given."""
        wanted = set(kinds)
        unknown = sorted(wanted - set(ENTITIES))
        if unknown:
            raise ValueError(f"no such entity to sync: {unknown} (one of {', '.join(ENTITIES)})")
        stray = sorted(set(after or {}) - wanted)
        if stray:
            raise ValueError(f"a key to start after of a kind not sent: {stray}")
        moment, starts = _moment(since), after or {}
        with uow_factory() as uow:
            return {
                kind: self.changed.count(uow, kind, moment, starts.get(kind))
                for kind in ENTITIES
                if kind in wanted
            }

    def send(
        self,
        uow_factory: Callable[[], UnitOfWork],
        counted: Mapping[str, int],
        since: date | None,
        progress: Callable[[Tally], None] = lambda _: None,
        after: Mapping[str, Key] | None = None,
    ) -> list[Tally]:
        """Send the entities of each kind `counted`, a batch at a time, calling `progress`
        after each batch; of a kind in `after`, those whose key comes after the one given.
        `BackfillStopped` at the first failure that is not a refusal for good."""
        moment = _moment(since)
        tallies: list[Tally] = []
        for kind, due in counted.items():
            tally = Tally(kind, due)
            tallies.append(tally)
            last = (after or {}).get(kind)
            while True:
                # Stamped before reading: whatever is read after this moment is at least as new.
                stamp = stamp_of(self.clock())
                with uow_factory() as uow:
                    keys = self.changed.page(uow, kind, moment, last, self.batch_size)
                    read = _read(uow, kind, list(keys))
                if not keys:
                    break
                for key in keys:
                    try:
                        self._send_one(tally, kind, key, read.get(key), stamp)
                    except DeliveryError as error:
                        raise BackfillStopped(tallies, kind, key, error, last) from None
                    last = key
                progress(tally)
                if len(keys) < self.batch_size:
                    break
        return tallies

    def _send_one(
        self,
        tally: Tally,
        kind: str,
        key: Key,
        found: Update | str | None,
        stamp: Mapping[str, Any],
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
            tally.refused.append((described(kind, key), str(refusal)))
            return
        tally.sent += 1


def _moment(since: date | None) -> datetime | None:
    return day_start(since) if since is not None else None


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


class KeysTheSlowWay:
    """`ChangedKeys` read through the repositories, for a store with no query of its own (the
    in-memory one): every entity of the kind is read, page by page, at each count and each
    page of keys, which such a store holds in memory anyway. It keeps no time of a change:
    an order or a return counts as changed when it was made, and every stock row is sent.
    The database's is `engine.adapters.erp_backfill_keys.changed_keys`."""

    def count(
        self, uow: UnitOfWork, kind: str, since: datetime | None, after: Key | None = None
    ) -> int:
        return len(_after(_changed(uow, kind, since), after))

    def page(
        self, uow: UnitOfWork, kind: str, since: datetime | None, after: Key | None, limit: int
    ) -> Sequence[Key]:
        return _after(_changed(uow, kind, since), after)[:limit]


def _after(keys: list[Any], after: Key | None) -> list[Any]:
    """The keys (in key order) greater than `after`."""
    return keys[bisect_right(keys, after) :] if after is not None else keys


def _changed(uow: UnitOfWork, kind: str, since: datetime | None) -> list[Any]:
    """Every key of `kind` that `KeysTheSlowWay` sends, in key order."""
    if kind == "stock":
        return sorted((s.sku, s.location_code) for s in _every(uow.stock.list))
    if kind in ("orders", "returns"):
        listing = uow.orders.list if kind == "orders" else uow.returns.list
        return sorted(e.id for e in _every(listing) if since is None or e.created_at >= since)
    ids = sorted(customer.id for customer in _every(uow.customers.list))
    if since is None:
        return ids
    audited = _every(partial(uow.audit.list, entity="customer"))
    changed = {
        entry.entity_id
        for entry in audited
        if entry.action in CUSTOMER_CHANGES and entry.at >= since
    }
    changed |= {o.customer_id for o in _every(uow.orders.list) if o.created_at >= since}
    return [id for id in ids if id in changed]


def _every(page: Callable[..., Sequence[Any]]) -> list[Any]:
    found: list[Any] = []
    while batch := page(limit=PAGE, offset=len(found)):
        found.extend(batch)
    return found
