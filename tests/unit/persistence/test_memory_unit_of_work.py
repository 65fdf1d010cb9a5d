"""What the in-memory unit of work adds to the shared contract: its two modes and their costs.

The behaviour it shares with the databases is checked against them in
tests/integration/persistence; these tests pin down what only the fake has.
"""

from __future__ import annotations

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.orders import OrderStatus
from tests.support import builders as b


def _with_order(uow: InMemoryUnitOfWork) -> InMemoryUnitOfWork:
    with uow:
        uow.orders.add(b.a_plain_order(1))
        uow.commit()
    return uow


def test_with_snapshots_each_transaction_works_on_its_own_copy() -> None:
    uow = _with_order(InMemoryUnitOfWork())

    with uow:
        first = uow.orders.get("O-1")
        assert first is uow.orders.get("O-1")
        uow.commit()
    with uow:
        second = uow.orders.get("O-1")

    assert first is not second


def test_with_snapshots_a_copy_kept_after_commit_no_longer_changes_the_stored_order() -> None:
    uow = _with_order(InMemoryUnitOfWork())
    with uow:
        kept = uow.orders.get("O-1")
        assert kept is not None
        uow.commit()

    kept.transition(OrderStatus.VALIDATED)

    with uow:
        stored = uow.orders.get("O-1")
        assert stored is not None and stored.status is OrderStatus.RECEIVED


def test_without_snapshots_callers_get_the_stored_objects_and_changes_are_live() -> None:
    uow = _with_order(InMemoryUnitOfWork(snapshots=False))
    with uow:
        order = uow.orders.get("O-1")
        assert order is not None
        order.transition(OrderStatus.VALIDATED)
        # No commit: without snapshots there is nothing to roll back to.

    with uow:
        assert uow.orders.get("O-1") is order
        assert order.status is OrderStatus.VALIDATED


def test_without_snapshots_events_are_still_collected_on_commit() -> None:
    uow = _with_order(InMemoryUnitOfWork(snapshots=False))
    list(uow.collect_new_events())

    with uow:
        order = uow.orders.get("O-1")
        assert order is not None
        order.transition(OrderStatus.VALIDATED)
        uow.commit()

    assert [e.name for e in uow.collect_new_events()] == ["order.status_changed"]
    assert [e.name for e in uow.committed_events] == ["order.status_changed"]


def test_keep_events_false_keeps_no_history_of_committed_events() -> None:
    uow = InMemoryUnitOfWork(snapshots=False, keep_events=False)
    with uow:
        uow.orders.add(b.a_plain_order(1))
        order = uow.orders.get("O-1")
        assert order is not None
        order.transition(OrderStatus.VALIDATED)
        uow.commit()

    assert uow.committed_events == []
    assert uow.commits == 1


def test_a_long_lived_unit_of_work_forgets_what_each_transaction_touched() -> None:
    uow = InMemoryUnitOfWork(snapshots=False)
    for number in range(50):
        with uow:
            uow.orders.add(b.a_plain_order(number))
            uow.commit()

    assert uow.orders.tracked() == []
    assert len(uow.orders.list(limit=1000)) == 50


def test_stock_moves_without_snapshots_change_the_stored_row_at_once() -> None:
    uow = InMemoryUnitOfWork(snapshots=False)
    with uow:
        uow.stock.add(b.a_stock(reserved=0, safety_stock=0, channel_allocations={}))
        stock = uow.stock.get(("SKU-1", "DAL-01"))
        assert uow.stock.try_reserve("SKU-1", "DAL-01", 30, None)

    assert stock is not None and stock.reserved == 30
