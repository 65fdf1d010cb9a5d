"""A stock count's rows set in a few statements per batch (`StockRepository.set_counts`)
agree with the count applied one atomic adjustment per SKU, as it was before
(`tests.support.per_row_counts`): the same answer line by line, the same events, the same
audit entry and the same rows, on the in-memory store, SQLite and PostgreSQL.

And on PostgreSQL, with other transactions moving the same rows: orders reserving SKUs that a
count is setting wait for each other and never deadlock, the count never leaves on-hand below
what they reserved; a row another transaction makes while the count runs ends at the count.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from engine.adapters import stock_repository
from engine.domain import commands as c
from engine.domain.catalog import Location, LocationType, Product
from engine.domain.inventory import Stock
from engine.domain.values import Address
from engine.service_layer.counts import CountedLine, count_stock
from engine.service_layer.handlers import PipelineOptions
from tests.integration.persistence.conftest import UowFactory
from tests.support.engines import an_engine, uow_factory_on
from tests.support.per_row_counts import per_row

ACTOR = "warehouse:nj-wms"
SKUS = [f"SKU-{n:02}" for n in range(12)]

# (on hand, reserved, safety stock) of the SKUs the location has a row of
Rows = dict[str, tuple[int, int, int]]


@st.composite
def counts(draw: st.DrawFn) -> tuple[Rows, list[tuple[str, int]]]:
    """A location's rows, and a count of some of its SKUs (and of SKUs it has no row of) in
    any order, above, at and below what is on hand and what is reserved."""
    rows: Rows = {}
    for sku in SKUS:
        if draw(st.booleans()):
            on_hand = draw(st.integers(0, 12))
            rows[sku] = (on_hand, draw(st.integers(0, on_hand)), draw(st.integers(0, 3)))
    counted = draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=len(SKUS), unique=True))
    return rows, [(sku, draw(st.integers(0, 14))) for sku in counted]


def _count(factory: UowFactory, rows: Rows, lines: list[tuple[str, int]]) -> tuple[Any, ...]:
    """Count at a location of its own; what the count answered, raised and audited, and the
    rows it left."""
    code = f"L-{uuid.uuid4().hex[:10]}"
    uow = factory()
    with uow:
        uow.locations.add(Location(code, "Count", LocationType.WAREHOUSE, Address("07114")))
        for sku in SKUS:
            if uow.products.get(sku) is None:
                uow.products.add(Product(sku, sku, Decimal("1.00")))
        for sku, (on_hand, reserved, safety) in rows.items():
            uow.stock.add(Stock(sku, code, on_hand, reserved, safety))
        uow.commit()
    list(uow.collect_new_events())
    counted = tuple(c.CountLine(sku, units) for sku, units in lines)
    done = count_stock(
        c.CountStock(code, counted, actor=ACTOR, reason="cycle"), uow, PipelineOptions()
    )
    raised = [
        (event.name, {k: v for k, v in vars(event).items() if k != "location_code"})
        for event in uow.collect_new_events()
    ]
    with uow:
        left = {(s.sku, s.on_hand, s.reserved) for s in uow.stock.for_location(code)}
        audited = [
            (entry.action, entry.actor, dict(entry.before), dict(entry.after))
            for entry in uow.audit.list(entity="location", entity_id=code)
        ]
    answered = [
        (line.sku, line.counted, line.before, line.after, line.reserved) for line in done.lines
    ]
    return answered, raised, audited, left


@settings(
    max_examples=40,
    deadline=None,
    # One store serves every example; each example counts at a location of its own.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(world=counts())
def test_a_count_set_in_batches_agrees_with_the_count_set_row_by_row(
    uow_factory: UowFactory,
    monkeypatch: pytest.MonkeyPatch,
    world: tuple[Rows, list[tuple[str, int]]],
) -> None:
    # Batches of three: a dozen SKUs make several, some with and some without rows to make.
    monkeypatch.setattr(stock_repository, "COUNT_BATCH", 3)
    rows, lines = world
    with per_row():
        expected = _count(uow_factory, rows, lines)

    assert _count(uow_factory, rows, lines) == expected


# --- PostgreSQL: other transactions moving the same rows -------------------------------------


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Engine]:
    with an_engine(postgres_url) as engine:
        factory = uow_factory_on(engine)
        with factory() as uow:
            uow.locations.add(Location("NJ", "Newark", LocationType.WAREHOUSE, Address("07114")))
            for sku in SKUS:
                uow.products.add(Product(sku, sku, Decimal("1.00")))
            uow.commit()
        yield engine


def test_orders_reserving_the_skus_a_count_sets_neither_deadlock_nor_go_below_reserved(
    pg: Engine,
) -> None:
    """Four shoppers reserve a few units of several SKUs at once, named in shuffled order,
    while counts of every SKU, some of them below what is reserved, are applied again and
    again. A broken lock cycle would surface as a Conflict (one attempt per count, and
    `reserve_all` raises it), so none may: the count and the orders take the rows in SKU
    order. The count never touches what is reserved: every granted unit is still there."""
    factory = uow_factory_on(pg)
    with factory() as uow:
        for sku in SKUS:
            uow.stock.add(Stock(sku, "NJ", on_hand=40))
        uow.commit()
    counting = threading.Event()
    errors: list[BaseException] = []
    granted: dict[str, int] = dict.fromkeys(SKUS, 0)
    lock = threading.Lock()

    def shopper(seed: int) -> None:
        rng = random.Random(seed)
        try:
            while counting.is_set():
                picked = rng.sample(SKUS, rng.randint(2, 6))
                moves = [(sku, "NJ", rng.randint(1, 2)) for sku in picked]
                with factory() as uow:
                    if uow.stock.try_reserve_all(moves, None):
                        uow.commit()
                        with lock:
                            for sku, _code, units in moves:
                                granted[sku] += units
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    def counter() -> None:
        rng = random.Random(99)
        try:
            for _round in range(25):
                lines = tuple(c.CountLine(sku, rng.randint(0, 60)) for sku in SKUS)
                cmd = c.CountStock("NJ", lines, actor=ACTOR)
                count_stock(cmd, factory(), PipelineOptions(max_attempts=1))
        except BaseException as exc:
            errors.append(exc)
        finally:
            counting.clear()

    counting.set()
    threads = [threading.Thread(target=shopper, args=(n,)) for n in range(4)]
    threads.append(threading.Thread(target=counter))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    with factory() as uow:
        rows = {s.sku: (s.on_hand, s.reserved) for s in uow.stock.for_location("NJ")}
    assert {sku: reserved for sku, (_, reserved) in rows.items()} == granted
    assert all(on_hand >= reserved for on_hand, reserved in rows.values())
    assert sum(granted.values()) > 0


def test_a_row_another_transaction_makes_while_the_count_runs_ends_at_the_count(
    pg: Engine,
) -> None:
    """A receipt makes the location's first row of the SKU and has not committed when the
    count reads, takes its rows and inserts: the count's INSERT waits for it, makes nothing,
    and sets the row the receipt made instead."""
    factory = uow_factory_on(pg)
    receipt = factory()
    done: list[Any] = []

    def count() -> None:
        try:
            cmd = c.CountStock("NJ", (c.CountLine("SKU-01", 2),), actor=ACTOR)
            done.append(count_stock(cmd, factory(), PipelineOptions(max_attempts=1)))
        except BaseException as exc:  # surfaced below
            done.append(exc)

    with receipt:
        receipt.stock.adjust("SKU-01", "NJ", 5)
        counting = threading.Thread(target=count)
        counting.start()
        _wait_for_a_lock_wait(pg)
        receipt.commit()
    counting.join(timeout=30)

    [answer] = done
    assert not isinstance(answer, BaseException), answer
    assert answer.lines == (CountedLine("SKU-01", 2, before=5, after=2, reserved=0),)
    with factory() as uow:
        row = uow.stock.get(("SKU-01", "NJ"))
        assert row is not None and (row.on_hand, row.reserved) == (2, 0)


def _wait_for_a_lock_wait(engine: Engine) -> None:
    """Until a session of this database waits for a lock (the count's INSERT, for the
    receipt's uncommitted row)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.execute(query).scalar():
                return
        time.sleep(0.02)
    raise AssertionError("the count never waited for the receipt's row")
