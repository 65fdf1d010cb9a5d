"""An ERP switched on later, sent what Ordo holds (`Backfill`), on the in-memory store with a fake
ERP: every entity of the kinds asked goes as the observer sends it, under a version stamped
before it was read; an erased customer goes as an erasure; a refusal for good is counted and
the walk goes on, an ERP out of reach stops it saying where and after which key to resume;
`since` narrows the walk; the keys are listed a batch at a time, never all at once; a run
given a key resumes after it, in that kind only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from connectors.base import DeliveryError, PermanentRefusal
from engine.adapters.bus import Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.catalog import erased_email
from engine.domain.operations import AuditEntry
from engine.service_layer.erp_backfill import (
    Backfill,
    BackfillStopped,
    Key,
    KeysTheSlowWay,
    Tally,
    key_of,
    key_text,
)
from engine.service_layer.erp_sync import ErpSync, version_of
from engine.service_layer.unit_of_work import UnitOfWork
from tests.support.builders import T0, a_customer, a_return, a_shipment, a_stock, an_order

ALL = ("orders", "customers", "returns", "stock")


class FakeErp:
    """Takes every state, but answers `refusals` (by the key's first value) with them."""

    def __init__(self, refusals: Mapping[str, DeliveryError] | None = None) -> None:
        self.synced: list[tuple[str, Mapping[str, Any]]] = []
        self.erased: list[tuple[str, Mapping[str, Any]]] = []
        self.refusals = dict(refusals or {})

    def sync(self, entity: str, data: Mapping[str, Any]) -> None:
        self._answer(data)
        self.synced.append((entity, data))

    def erase(self, entity: str, data: Mapping[str, Any]) -> None:
        self._answer(data)
        self.erased.append((entity, data))

    def _answer(self, data: Mapping[str, Any]) -> None:
        refusal = self.refusals.get(next(iter(data["key"].values())))
        if refusal is not None:
            raise refusal

    def keys(self) -> list[tuple[str, Any]]:
        return [(entity, data["key"]) for entity, data in self.synced]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
        self.read: list[datetime] = []

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        self.read.append(self.now)
        return self.now


def seeded() -> InMemoryUnitOfWork:
    """Three orders made on three days, two customers (one erased), a return, two stock rows."""
    uow = InMemoryUnitOfWork()
    with uow:
        for n in (1, 2, 3):
            made = T0 + timedelta(days=n)
            uow.orders.add(
                an_order(
                    id=f"O-{n}", channel_order_id=f"W-{n}", customer_id=f"C-{n}", created_at=made
                )
            )
        uow.shipments.add(a_shipment(id="F-1", order_id="O-1"))
        uow.customers.add(a_customer(id="C-1"))
        gone = a_customer(id="C-2")
        gone.erase_personal_data()
        uow.customers.add(gone)
        uow.returns.add(a_return(id="RT-1", order_id="O-1"))
        uow.stock.add(a_stock(sku="SKU-1", location_code="DAL-01"))
        uow.stock.add(a_stock(sku="SKU-2", location_code="DAL-01"))
        uow.commit()
    return uow


def backfilled(
    uow: InMemoryUnitOfWork, kinds: tuple[str, ...] = ALL, since: date | None = None, **kw: Any
) -> tuple[list[Tally], FakeErp, Clock]:
    erp, clock, after = kw.pop("erp", FakeErp()), Clock(), kw.pop("after", None)
    walk = Backfill(erp, clock=clock, **kw)
    counted = walk.counted(lambda: uow, kinds, since, after)
    tallies = walk.send(lambda: uow, counted, since, after=after)
    return tallies, erp, clock


@dataclass
class Listed:
    """`ChangedKeys` over the keys given, remembering each page asked (after, limit)."""

    keys: list[Key]
    asked: list[tuple[Key | None, int]] = field(default_factory=list)

    def count(
        self, uow: UnitOfWork, kind: str, since: datetime | None, after: Key | None = None
    ) -> int:
        return len(self.keys)

    def page(
        self, uow: UnitOfWork, kind: str, since: datetime | None, after: Key | None, limit: int
    ) -> Sequence[Key]:
        self.asked.append((after, limit))
        start = 0 if after is None else self.keys.index(after) + 1
        return self.keys[start : start + limit]


def test_every_entity_of_the_kinds_asked_is_sent_as_the_worker_sends_it() -> None:
    uow = seeded()
    tallies, erp, _ = backfilled(uow)

    assert erp.keys() == [
        ("order", {"id": "O-1"}),
        ("order", {"id": "O-2"}),
        ("order", {"id": "O-3"}),
        ("customer", {"id": "C-1"}),
        ("return", {"id": "RT-1"}),
        ("stock", {"sku": "SKU-1", "location_code": "DAL-01"}),
        ("stock", {"sku": "SKU-2", "location_code": "DAL-01"}),
    ]
    live = FakeErp()
    ErpSync(live, ["orders"])(Message("evt-1", "order.released", {"order_id": "O-1"}, "O-1"), uow)
    [(_, sent_live)] = live.synced
    assert erp.synced[0][1]["state"] == sent_live["state"]  # the same payload, shipments too
    assert [(t.kind, t.due, t.sent, t.erased, t.refused) for t in tallies] == [
        ("orders", 3, 3, 0, []),
        ("customers", 2, 2, 1, []),
        ("returns", 1, 1, 0, []),
        ("stock", 2, 2, 0, []),
    ]


def test_each_batch_is_stamped_before_it_is_read_and_names_no_event() -> None:
    _, erp, clock = backfilled(seeded(), ("orders",), batch_size=2)

    versions = [data["version"] for _, data in erp.synced]
    assert versions == [version_of(clock.read[0])] * 2 + [version_of(clock.read[1])]
    assert all("event_id" not in data for _, data in erp.synced)
    assert erp.synced[0][1]["updated_at"] == clock.read[0].isoformat()


def test_an_erased_customer_is_sent_as_an_erasure_never_as_a_record() -> None:
    _, erp, _ = backfilled(seeded(), ("customers",))

    assert erp.keys() == [("customer", {"id": "C-1"})]
    [(entity, data)] = erp.erased
    assert (entity, data["key"]) == ("customer", {"id": "C-2"})
    assert "state" not in data
    assert erased_email("C-2") not in str(erp.synced)


def test_a_refusal_for_good_is_counted_and_the_walk_goes_on() -> None:
    refused = PermanentRefusal("ERP https://erp.example.com refused PUT orders/O-2: 422 no")
    tallies, erp, _ = backfilled(seeded(), ("orders",), erp=FakeErp({"O-2": refused}))

    assert erp.keys() == [("order", {"id": "O-1"}), ("order", {"id": "O-3"})]
    [orders] = tallies
    assert (orders.sent, orders.refused) == (2, [("order O-2", str(refused))])


def test_an_erp_out_of_reach_stops_the_walk_saying_where() -> None:
    down = DeliveryError("ERP https://erp.example.com unreachable for PUT orders/O-2: refused")
    uow = seeded()
    walk = Backfill(FakeErp({"O-2": down}), batch_size=1)
    with pytest.raises(BackfillStopped) as stopped:
        walk.send(lambda: uow, walk.counted(lambda: uow, ALL, None), None)

    assert (stopped.value.kind, stopped.value.key) == ("orders", "O-2")
    assert stopped.value.after == "O-1"  # the last one done: a resumed run starts after it
    assert stopped.value.error is down
    assert [(t.kind, t.sent) for t in stopped.value.tallies] == [("orders", 1)]


def test_a_walk_stopped_at_the_first_entity_of_a_resumed_run_resumes_after_the_same_key() -> None:
    down = DeliveryError("ERP https://erp.example.com unreachable for PUT orders/O-2: refused")
    uow = seeded()
    walk, after = Backfill(FakeErp({"O-2": down})), {"orders": "O-1"}
    with pytest.raises(BackfillStopped) as stopped:
        walk.send(lambda: uow, walk.counted(lambda: uow, ALL, None, after), None, after=after)
    assert (stopped.value.key, stopped.value.after) == ("O-2", "O-1")

    walk = Backfill(FakeErp({"C-1": down}))
    with pytest.raises(BackfillStopped) as stopped:
        walk.send(lambda: uow, walk.counted(lambda: uow, ALL, None), None)
    assert (stopped.value.key, stopped.value.after) == ("C-1", None)  # none done: from the start


def test_a_run_given_a_key_sends_that_kinds_entities_after_it_and_the_other_kinds_whole() -> None:
    uow = seeded()
    after: dict[str, Key] = {"stock": ("SKU-1", "DAL-01")}
    tallies, erp, _ = backfilled(uow, ("orders", "stock"), after=after)

    assert erp.keys() == [
        ("order", {"id": "O-1"}),
        ("order", {"id": "O-2"}),
        ("order", {"id": "O-3"}),
        ("stock", {"sku": "SKU-2", "location_code": "DAL-01"}),
    ]
    assert [(t.kind, t.due, t.sent) for t in tallies] == [("orders", 3, 3), ("stock", 1, 1)]
    with pytest.raises(
        ValueError, match="a key to start after of a kind not sent: \\['returns'\\]"
    ):
        Backfill(FakeErp()).counted(lambda: uow, ("orders",), None, {"returns": "RT-1"})


def test_a_key_is_written_kind_colon_id_and_a_stock_rows_sku_at_location() -> None:
    assert key_text("orders", "O-1") == "orders:O-1"
    assert key_text("stock", ("MUG", "DAL-01")) == "stock:MUG@DAL-01"
    assert key_of("orders:O-1", ALL) == ("orders", "O-1")
    assert key_of("customers:C:1", ALL) == ("customers", "C:1")  # the first colon splits
    assert key_of("stock:MUG@DAL-01", ALL) == ("stock", ("MUG", "DAL-01"))
    assert key_of("stock:A@B@DAL-01", ALL) == ("stock", ("A@B", "DAL-01"))


@pytest.mark.parametrize(
    ("text", "kinds", "said"),
    [
        ("O-1", ALL, "'O-1': expected KIND:KEY (e.g. orders:O-1 or stock:MUG@DAL-01)"),
        ("order:O-1", ALL, "'order:O-1': 'order' is not one of the kinds sent (orders, "),
        (
            "stock:MUG@DAL-01",
            ("orders",),
            "'stock:MUG@DAL-01': 'stock' is not one of the kinds sent (orders)",
        ),
        ("orders:", ALL, "'orders:': no key after orders: (e.g. orders:O-1"),
        ("stock:MUG", ALL, "'stock:MUG': a stock row's key is SKU@LOCATION (e.g. stock:MUG@"),
        ("stock:@DAL-01", ALL, "'stock:@DAL-01': a stock row's key is SKU@LOCATION"),
        ("stock:MUG@", ALL, "'stock:MUG@': a stock row's key is SKU@LOCATION"),
    ],
)
def test_a_key_that_is_not_one_is_refused_saying_what_is_wrong(
    text: str, kinds: tuple[str, ...], said: str
) -> None:
    with pytest.raises(ValueError) as refused:
        key_of(text, kinds)
    assert str(refused.value).startswith(said)


def test_progress_is_told_after_each_batch() -> None:
    uow = seeded()
    walk = Backfill(FakeErp(), batch_size=2)
    seen: list[tuple[str, int, int]] = []
    walk.send(lambda: uow, walk.counted(lambda: uow, ("orders", "stock"), None), None,
              lambda tally: seen.append((tally.kind, tally.done, tally.due)))  # fmt: skip

    assert seen == [("orders", 2, 3), ("orders", 3, 3), ("stock", 2, 2)]


def test_an_entity_gone_since_it_was_listed_is_counted_not_sent() -> None:
    uow = seeded()
    # Listed, then deleted (by hand, in the database) before its batch was read.
    walk = Backfill(FakeErp(), changed=Listed(["RT-GONE", "RT-1"]))
    [returns] = walk.send(lambda: uow, walk.counted(lambda: uow, ("returns",), None), None)

    assert (returns.due, returns.sent, returns.gone) == (2, 1, 1)


def test_since_a_day_only_what_changed_then_is_sent_and_stock_whole() -> None:
    uow = seeded()
    with uow:
        uow.audit.append(AuditEntry("AU-1", T0 + timedelta(days=5), "admin", "customer.put",
                                    "customer", "C-2"))  # fmt: skip
        uow.commit()
    _, erp, _ = backfilled(uow, since=(T0 + timedelta(days=3)).date())

    assert erp.keys() == [
        ("order", {"id": "O-3"}),  # made that day
        ("stock", {"sku": "SKU-1", "location_code": "DAL-01"}),
        ("stock", {"sku": "SKU-2", "location_code": "DAL-01"}),
    ]
    assert [data["key"] for _, data in erp.erased] == [{"id": "C-2"}]  # its record changed then


def test_the_keys_are_listed_a_batch_at_a_time_each_after_the_last_one_sent() -> None:
    uow = seeded()
    listed = Listed(["O-1", "O-2", "O-3"])
    _, erp, _ = backfilled(uow, ("orders",), changed=listed, batch_size=2)

    assert erp.keys() == [("order", {"id": f"O-{n}"}) for n in (1, 2, 3)]
    # A short page is the last: no page is asked after it.
    assert listed.asked == [(None, 2), ("O-2", 2)]


def test_the_slow_way_pages_through_the_keys_in_key_order() -> None:
    uow = seeded()
    slow = KeysTheSlowWay()

    assert slow.page(uow, "stock", None, None, 1) == [("SKU-1", "DAL-01")]
    assert slow.page(uow, "stock", None, ("SKU-1", "DAL-01"), 5) == [("SKU-2", "DAL-01")]
    assert slow.page(uow, "orders", None, "O-1", 5) == ["O-2", "O-3"]
    assert slow.page(uow, "orders", T0 + timedelta(days=2), "O-2", 5) == ["O-3"]
    assert slow.count(uow, "orders", T0 + timedelta(days=2)) == 2
    assert slow.count(uow, "orders", None, "O-1") == 2


def test_a_kind_ordo_does_not_sync_is_refused() -> None:
    with pytest.raises(ValueError, match="no such entity to sync: \\['refunds'\\]"):
        Backfill(FakeErp()).counted(InMemoryUnitOfWork, ("orders", "refunds"), None)
    with pytest.raises(ValueError, match="batch size must be 1 or more, got 0"):
        Backfill(FakeErp(), batch_size=0)
