"""No interleaving of concurrent reservations can oversell, on either database.

Sixteen threads, each with its own connection and unit of work, race for the last 500
units in bites of one to three. Every grant is its own transaction; a thread keeps going
until even a single unit is refused. Exactly 500 units must be granted: one more would be
an oversell, one fewer would mean a refusal while stock was still free.

Also here: channels racing against a ring-fenced allocation, two reservations deadlocking
on PostgreSQL (a Conflict, nothing half-saved), and a stale edit of a moved row (a Conflict).
"""

from __future__ import annotations

import random
import threading

import pytest

from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.errors import Conflict
from engine.domain.inventory import Stock
from tests.integration.persistence.conftest import UowFactory

THREADS = 16
LAST_UNITS = 500


def _race(
    factory: UowFactory, seed: int, start: threading.Barrier, channel: str | None = None
) -> int:
    rng = random.Random(seed)
    granted = 0
    start.wait()
    while True:
        bite = rng.randint(1, 3)
        while bite:
            with factory() as uow:
                ok = uow.stock.try_reserve("SKU-1", "DAL-01", bite, channel)
                uow.commit()
            if ok:
                granted += bite
                break
            bite -= 1
        if not bite:
            return granted


def _run(factory: UowFactory, channels: list[str | None]) -> dict[str | None, int]:
    """Race one thread per entry of `channels`; units granted per channel."""
    start = threading.Barrier(len(channels))
    results: list[tuple[str | None, int]] = []
    errors: list[BaseException] = []

    def worker(seed: int, channel: str | None) -> None:
        try:
            results.append((channel, _race(factory, seed, start, channel)))
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=(n, channel)) for n, channel in enumerate(channels)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(results) == len(channels)
    granted: dict[str | None, int] = {}
    for channel, units in results:
        granted[channel] = granted.get(channel, 0) + units
    return granted


def test_sixteen_threads_racing_for_the_last_units_are_granted_exactly_all_of_them(
    sql_uow_factory: UowFactory,
) -> None:
    with sql_uow_factory() as uow:
        # 1000 on hand, 490 already reserved, 10 safety stock: 500 left to promise.
        uow.stock.add(Stock("SKU-1", "DAL-01", on_hand=1000, reserved=490, safety_stock=10))
        uow.commit()

    granted = _run(sql_uow_factory, [None] * THREADS)

    assert granted == {None: LAST_UNITS}
    with sql_uow_factory() as uow:
        stock = uow.stock.get(("SKU-1", "DAL-01"))
        assert stock is not None
        assert (stock.on_hand, stock.reserved, stock.available) == (1000, 1000 - 10, 0)


def test_racing_channels_never_take_units_fenced_for_another_channel(
    sql_uow_factory: UowFactory,
) -> None:
    with sql_uow_factory() as uow:
        # 300 free units, 100 of them ring-fenced for the marketplace.
        uow.stock.add(
            Stock("SKU-1", "DAL-01", on_hand=300, channel_allocations={"marketplace": 100})
        )
        uow.commit()

    granted = _run(sql_uow_factory, ["web", "marketplace"] * (THREADS // 2))

    assert granted["web"] <= 200
    assert granted["web"] + granted["marketplace"] == 300
    with sql_uow_factory() as uow:
        stock = uow.stock.get(("SKU-1", "DAL-01"))
        assert stock is not None
        assert stock.reserved == 300
        assert stock.channel_allocations == {"marketplace": max(0, 100 - granted["marketplace"])}


def test_opposite_lock_orders_on_postgresql_end_in_a_conflict_and_save_nothing_half_done(
    postgres_url: str,
) -> None:
    engine = make_engine(postgres_url)
    factory = make_session_factory(engine)
    with SqlAlchemyUnitOfWork(factory) as uow:
        uow.stock.add(Stock("X", "DAL-01", on_hand=10))
        uow.stock.add(Stock("Y", "DAL-01", on_hand=10))
        uow.commit()
    both_hold_one = threading.Barrier(2)
    outcomes: list[str] = []

    def reserve(first: str, second: str) -> None:
        try:
            with SqlAlchemyUnitOfWork(factory) as uow:
                uow.stock.try_reserve(first, "DAL-01", 1, None)
                both_hold_one.wait()
                uow.stock.try_reserve(second, "DAL-01", 1, None)
                uow.commit()
            outcomes.append("committed")
        except Conflict as refused:
            assert "retry" in refused.message
            outcomes.append("conflict")

    threads = [
        threading.Thread(target=reserve, args=("X", "Y")),
        threading.Thread(target=reserve, args=("Y", "X")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["committed", "conflict"]
    with SqlAlchemyUnitOfWork(factory) as uow:
        assert [s.reserved for s in uow.stock.for_skus(["X", "Y"])] == [1, 1]
    engine.dispose()


def test_editing_a_stock_row_that_a_reservation_moved_meanwhile_is_a_conflict(
    postgres_url: str,
) -> None:
    engine = make_engine(postgres_url)
    factory = make_session_factory(engine)
    with SqlAlchemyUnitOfWork(factory) as uow:
        uow.stock.add(Stock("X", "DAL-01", on_hand=10))
        uow.commit()

    with SqlAlchemyUnitOfWork(factory) as editor, SqlAlchemyUnitOfWork(factory) as shop:
        stock = editor.stock.get(("X", "DAL-01"))
        assert stock is not None
        assert shop.stock.try_reserve("X", "DAL-01", 4, None)
        shop.commit()
        stock.safety_stock = 8
        with pytest.raises(Conflict, match="changed by someone else"):
            editor.commit()

    with SqlAlchemyUnitOfWork(factory) as uow:
        saved = uow.stock.get(("X", "DAL-01"))
        assert saved is not None
        assert (saved.reserved, saved.safety_stock) == (4, 0)
    engine.dispose()


def test_orders_taking_the_same_rows_together_in_any_order_never_deadlock_or_oversell(
    sql_uow_factory: UowFactory,
) -> None:
    """Each thread reserves a unit of all four rows at once, naming them in its own
    shuffled order, until the stock runs out: the rows are locked in one order whatever
    the order given, so no pair of orders waits on each other and every unit is counted."""
    rows = [("A", "DAL-01"), ("B", "DAL-01"), ("C", "RNO-02"), ("D", "RNO-02")]
    units = 120
    with sql_uow_factory() as uow:
        for sku, code in rows:
            uow.stock.add(Stock(sku, code, on_hand=units))
        uow.commit()
    start = threading.Barrier(8)
    orders: list[int] = []
    errors: list[BaseException] = []

    def shopper(seed: int) -> None:
        rng = random.Random(seed)
        granted = 0
        try:
            start.wait()
            while True:
                moves = [(sku, code, 1) for sku, code in rng.sample(rows, len(rows))]
                with sql_uow_factory() as uow:
                    if not uow.stock.try_reserve_all(moves, None):
                        break
                    uow.commit()
                granted += 1
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)
        orders.append(granted)

    threads = [threading.Thread(target=shopper, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sum(orders) == units
    with sql_uow_factory() as uow:
        assert [s.reserved for s in uow.stock.for_skus(["A", "B", "C", "D"])] == [units] * 4
