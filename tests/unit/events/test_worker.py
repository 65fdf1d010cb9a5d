"""The worker loop with the in-process bus and the in-memory unit of work (no I/O)."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import pytest

from engine.adapters.bus import InProcessBus, Message
from engine.adapters.bus.outbox_memory import MemoryOutboxStore
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.events import Event, StockAdjusted
from engine.service_layer.outbox import OutboxRelay
from engine.service_layer.unit_of_work import UnitOfWork
from engine.stop_signals import stop_on_signals
from engine.worker import (
    Worker,
    WorkerConfig,
    assemble_workers,
    run_workers,
    start_in_background,
)


def count_one(event: Event, uow: UnitOfWork) -> None:
    """A deliberately non-idempotent effect: every run adds one unit."""
    assert isinstance(event, StockAdjusted)
    uow.stock.adjust("TALLY", "HQ", 1)


def on_hand(uow: InMemoryUnitOfWork) -> int:
    with uow:
        stock = uow.stock.get(("TALLY", "HQ"))
        return 0 if stock is None else stock.on_hand


def adjusted(n: int) -> StockAdjusted:
    return StockAdjusted(sku=f"S{n}", location_code="HQ", delta=1, on_hand=n, available=n)


def make_worker(uow: InMemoryUnitOfWork, bus: InProcessBus, **handlers: object) -> Worker:
    return Worker(
        bus=bus,
        uow_factory=lambda: uow,
        handlers={"stock.adjusted": [count_one]},
        relay=OutboxRelay(MemoryOutboxStore(uow.committed_events), bus),
        config=WorkerConfig(name="w1", block_ms=0),
    )


def test_committed_events_reach_their_handlers_through_the_outbox() -> None:
    uow, bus = InMemoryUnitOfWork(), InProcessBus()
    with uow:
        for n in range(3):
            uow.record(adjusted(n))
        uow.commit()
    worker = make_worker(uow, bus)
    assert worker.run_once() == 3
    assert on_hand(uow) == 3
    assert bus.pending_count() == 0


def test_events_of_a_rolled_back_change_are_never_published() -> None:
    uow, bus = InMemoryUnitOfWork(), InProcessBus()
    with uow:
        uow.record(adjusted(1))  # leaves the block without commit: rolled back
    worker = make_worker(uow, bus)
    assert worker.run_once() == 0
    assert on_hand(uow) == 0


def test_an_event_delivered_twice_takes_effect_once() -> None:
    uow, bus = InMemoryUnitOfWork(), InProcessBus()
    worker = make_worker(uow, bus)
    for _ in range(2):  # the relay died after publishing, before marking: published again
        bus.publish("stock.adjusted", adjusted(1).payload(), "S1", event_id="77")
    assert worker.run_once() == 2
    assert on_hand(uow) == 1


def test_handling_events_writes_nothing_to_the_audit_log() -> None:
    uow, bus = InMemoryUnitOfWork(), InProcessBus()
    with uow:
        for n in range(3):
            uow.record(adjusted(n))
        uow.commit()
    worker = make_worker(uow, bus)
    assert worker.run_once() == 3
    with uow:
        assert list(uow.audit.list()) == []


def test_a_failed_attempt_does_not_count_as_processed_so_the_retry_takes_effect() -> None:
    uow, bus = InMemoryUnitOfWork(), InProcessBus(max_deliveries=3)
    attempts: list[int] = []

    def fails_first(event: Event, uow: UnitOfWork) -> None:
        attempts.append(1)
        count_one(event, uow)
        if len(attempts) == 1:
            raise RuntimeError("transient")

    worker = Worker(bus=bus, uow_factory=lambda: uow, handlers={"stock.adjusted": [fails_first]},
                    config=WorkerConfig(name="w1", block_ms=0))  # fmt: skip
    bus.publish("stock.adjusted", adjusted(1).payload(), "S1", event_id="9")
    message = bus.consume("w1")[0]
    worker.handle_batch([message])
    worker.handle_batch([message])  # delivered again after the failure
    assert len(attempts) == 2
    assert on_hand(uow) == 1


def test_a_failing_handler_leaves_nothing_behind_and_ends_in_the_dead_letters() -> None:
    uow, bus = InMemoryUnitOfWork(), InProcessBus(max_deliveries=3)
    calls: list[int] = []

    def half_done_then_fail(event: Event, uow: UnitOfWork) -> None:
        calls.append(1)
        uow.stock.adjust("TALLY", "HQ", 1)
        raise ValueError("carrier API said no")

    worker = Worker(
        bus=bus,
        uow_factory=lambda: uow,
        handlers={"stock.adjusted": [half_done_then_fail]},
        config=WorkerConfig(block_ms=0),
    )
    bus.publish("stock.adjusted", adjusted(1).payload(), "S1", event_id="9")
    for _ in range(5):
        worker.run_once()
    assert len(calls) == 3
    assert on_hand(uow) == 0
    [letter] = bus.dead_letters()
    assert letter.event_id == "9" and letter.attempts == 3
    assert letter.error.startswith("ValueError: carrier API said no")


def test_a_failing_step_does_not_keep_the_events_other_steps_from_their_turn() -> None:
    uow, bus = InMemoryUnitOfWork(), InProcessBus(max_deliveries=3)
    mailed: list[int] = []
    posted: list[str] = []

    class Mailer:
        name = "mailer"

        def __call__(self, message: Message, uow: UnitOfWork) -> None:
            mailed.append(message.attempts)
            raise ConnectionRefusedError("SMTP 127.0.0.1:2599 refused")

    class Webhook:
        name = "webhook"

        def __call__(self, message: Message, uow: UnitOfWork) -> None:
            posted.append(message.event_id)

    worker = Worker(
        bus=bus,
        uow_factory=lambda: uow,
        handlers={},
        observers=[Mailer(), Webhook()],
        config=WorkerConfig(block_ms=0),
    )
    bus.publish("order.status_changed", {}, "O1", event_id="7")
    for _ in range(5):
        worker.run_once()
    assert posted == ["7"], "posted on the first delivery, and not again on the retries"
    assert mailed == [1, 2, 3]
    [letter] = bus.dead_letters()
    assert letter.error.startswith("ConnectionRefusedError: SMTP 127.0.0.1:2599 refused")


def test_a_handler_that_commits_by_itself_joins_the_workers_transaction() -> None:
    uow, bus = InMemoryUnitOfWork(), InProcessBus(max_deliveries=1)

    def commits_then_fails(event: Event, uow: UnitOfWork) -> None:
        with uow:
            uow.stock.adjust("TALLY", "HQ", 1)
            uow.commit()
        raise RuntimeError("after its own commit")

    worker = Worker(
        bus=bus,
        uow_factory=lambda: uow,
        handlers={"stock.adjusted": [commits_then_fails]},
        config=WorkerConfig(block_ms=0),
    )
    bus.publish("stock.adjusted", adjusted(1).payload(), "S1", event_id="5")
    worker.run_once()
    assert on_hand(uow) == 0
    assert len(bus.dead_letters()) == 1


def test_observers_see_every_message_and_follow_up_events_go_back_through_the_outbox() -> None:
    uow, bus = InMemoryUnitOfWork(), InProcessBus()
    seen: list[str] = []

    class Echo:
        name = "echo"

        def __call__(self, message: Message, uow: UnitOfWork) -> None:
            seen.append(message.name)
            if message.name == "custom.ping":
                uow.record(adjusted(2))

    worker = Worker(
        bus=bus,
        uow_factory=lambda: uow,
        handlers={"stock.adjusted": [count_one]},
        observers=[Echo()],
        relay=OutboxRelay(MemoryOutboxStore(uow.committed_events), bus),
        config=WorkerConfig(block_ms=0),
    )
    bus.publish("custom.ping", {}, "", event_id="ping-1")
    worker.run_once()
    worker.run_once()
    assert seen == ["custom.ping", "stock.adjusted"]
    assert on_hand(uow) == 1


def test_a_stop_request_past_the_grace_period_hands_the_rest_of_the_batch_back() -> None:
    uow, bus = InMemoryUnitOfWork(), InProcessBus()
    worker = Worker(
        bus=bus,
        uow_factory=lambda: uow,
        handlers={"stock.adjusted": [count_one]},
        config=WorkerConfig(block_ms=0, grace_seconds=0.0),
    )
    for n in range(5):
        bus.publish("stock.adjusted", adjusted(n).payload(), f"S{n}", event_id=str(n))
    batch = bus.consume("w1", count=10)
    worker.handle_batch(batch[:1])
    worker.stop()
    handled = worker.handle_batch(batch[1:])
    assert handled < 4
    assert bus.pending_count() == 4 - handled
    assert len(bus.consume("w2", count=10)) == 4 - handled
    assert on_hand(uow) == 1 + handled


class UnreachableOnLeave(InProcessBus):
    """A bus whose server went away before the worker stopped (Redis down)."""

    def leave(self, consumer: str) -> None:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_a_worker_stops_with_a_log_line_when_it_cannot_give_up_its_partitions(
    caplog: pytest.LogCaptureFixture,
) -> None:
    worker = make_worker(InMemoryUnitOfWork(), UnreachableOnLeave())
    worker.stop()
    with caplog.at_level(logging.WARNING, logger="engine.worker"):
        worker.run()  # returns: no exception escapes the stop
    assert "w1: could not give up its partitions (ConnectionError: Error 111" in caplog.text
    assert "their leases lapse by themselves" in caplog.text


def test_a_dead_letter_redriven_after_a_fix_takes_effect_once() -> None:
    uow, bus = InMemoryUnitOfWork(), InProcessBus(max_deliveries=1)
    broken = True

    def flaky(event: Event, uow: UnitOfWork) -> None:
        if broken:
            raise LookupError("rate card missing")
        count_one(event, uow)

    worker = Worker(bus=bus, uow_factory=lambda: uow, handlers={"stock.adjusted": [flaky]},
                    config=WorkerConfig(block_ms=0))  # fmt: skip
    bus.publish("stock.adjusted", adjusted(1).payload(), "S1", event_id="3")
    worker.run_once()
    [letter] = bus.dead_letters()
    broken = False
    assert bus.redrive(letter.id)
    worker.run_once()
    assert on_hand(uow) == 1 and bus.dead_letters() == []


def test_workers_in_the_background_drain_the_bus_and_stop_on_request() -> None:
    bus = InProcessBus(partitions=4)
    for n in range(40):
        bus.publish("stock.adjusted", adjusted(n).payload(), f"S{n}", event_id=str(n))
    stores = [InMemoryUnitOfWork(), InMemoryUnitOfWork()]  # one per thread: it is not shared
    workers = [
        Worker(bus=bus, uow_factory=lambda s=store: s, handlers={"stock.adjusted": [count_one]},
               config=WorkerConfig(name=f"t{i}", block_ms=20))
        for i, store in enumerate(stores)
    ]  # fmt: skip
    stop = start_in_background(workers)
    deadline = time.monotonic() + 10
    while bus.pending_count() and time.monotonic() < deadline:
        time.sleep(0.01)
    stop()
    assert bus.pending_count() == 0
    assert sum(w.processed for w in workers) == 40
    assert sum(on_hand(store) for store in stores) == 40


def test_concurrency_gives_each_consumer_its_own_name_and_the_clock_to_the_first_only() -> None:
    class Clock:
        def tick(self, now: object) -> int:
            return 0

    clock = Clock()
    workers = assemble_workers(
        name="host-7", concurrency=3, bus=InProcessBus(), uow_factory=InMemoryUnitOfWork,
        relay=None, tickers=[clock],
    )  # fmt: skip
    assert [w.config.name for w in workers] == ["host-7-1", "host-7-2", "host-7-3"]
    assert [w.tickers for w in workers] == [[clock], [], []]


def test_a_handler_that_rolls_back_and_retries_still_counts_as_processed_once() -> None:
    uow, bus = InMemoryUnitOfWork(), InProcessBus()

    def retrying(event: Event, uow: UnitOfWork) -> None:
        with uow:
            uow.stock.adjust("TALLY", "HQ", 5)
            uow.rollback()  # lost a race: start again, as the pipeline's reservation does
            uow.stock.adjust("TALLY", "HQ", 1)
            uow.commit()

    worker = Worker(bus=bus, uow_factory=lambda: uow, handlers={"stock.adjusted": [retrying]},
                    config=WorkerConfig(block_ms=0))  # fmt: skip
    for _ in range(2):
        bus.publish("stock.adjusted", adjusted(1).payload(), "S1", event_id="12")
    worker.run_once()
    assert on_hand(uow) == 1


def test_a_batchs_partitions_are_handled_side_by_side_each_in_publish_order() -> None:
    bus = InProcessBus(partitions=4)
    seen: list[tuple[int, int]] = []
    running = [0, 0]  # now, most at once
    lock = threading.Lock()

    def observe(event: Event, uow: UnitOfWork) -> None:
        assert isinstance(event, StockAdjusted)
        with lock:
            running[0] += 1
            running[1] = max(running)
        time.sleep(0.01)  # long enough for the lanes to overlap
        with lock:
            seen.append((bus.partition_of(event.sku), event.on_hand))
            running[0] -= 1

    worker = Worker(bus=bus, uow_factory=InMemoryUnitOfWork,
                    handlers={"stock.adjusted": [observe]},
                    config=WorkerConfig(name="w1", block_ms=0, partition_threads=4))  # fmt: skip
    for n in range(40):
        event = StockAdjusted(sku=f"S{n % 8}", location_code="HQ", delta=1, on_hand=n, available=n)
        bus.publish(event.name, event.payload(), event.sku, event_id=str(n))
    assert worker.run_once() == 40
    assert running[1] > 1
    for partition in range(4):
        in_partition = [n for p, n in seen if p == partition]
        assert in_partition == sorted(in_partition)
    assert bus.pending_count() == 0


def test_a_stop_signal_during_warm_up_ends_the_workers_cleanly_after_it() -> None:
    uow, bus = InMemoryUnitOfWork(), InProcessBus()
    worker = make_worker(uow, bus)
    warmed: list[bool] = []

    def warm_up() -> None:
        # `ordo up` stops its worker child as soon as it is asked to: that can be mid-warm-up.
        os.kill(os.getpid(), signal.SIGTERM)
        warmed.append(True)

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        run_workers([worker], prepare=warm_up)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    assert warmed == [True]
    assert worker.stopping.is_set()
    assert worker.processed == 0


def test_a_stop_signal_while_the_workers_are_built_ends_them_cleanly_once_they_run() -> None:
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        asked = stop_on_signals()
        # `ordo worker` builds its container and workers for seconds before they run.
        os.kill(os.getpid(), signal.SIGTERM)
        worker = make_worker(InMemoryUnitOfWork(), InProcessBus())
        run_workers([worker], stop_asked=asked)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    assert asked.is_set()
    assert worker.stopping.is_set()
    assert worker.processed == 0
