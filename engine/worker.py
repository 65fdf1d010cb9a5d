"""The worker loop: relay the outbox, consume the bus, run handlers, alerts and the clock.

One `Worker` is one consumer. Each turn it publishes a batch of outbox rows, pulls a batch of
messages, and for each message runs every handler registered for its name plus every observer
(alert evaluation, notifications), then acknowledges the batch. Delivery is at least once, so
each (event, handler) pair is claimed in the `processed_events` table in the same transaction
as the handler's own changes: a redelivered event finds the record and is skipped, and a crash
before the commit leaves neither the effect nor the record. A handler that raises leaves the
message to be retried; after the bus's delivery limit it is dead-lettered with the error.

SIGTERM or SIGINT asks the loop to stop: the current batch is finished if that takes less
than the grace period, and what is left is handed back to the bus for another worker.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from engine.adapters.bus.base import EventBus, Message
from engine.adapters.bus.processed_events import ProcessedLedger
from engine.domain.events import EVENT_TYPES, Event
from engine.domain.values import utcnow
from engine.service_layer.idempotency import DEFAULT_RETENTION, IdempotencyStore
from engine.service_layer.outbox import OutboxRelay
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[Event, UnitOfWork], None]


class Observer(Protocol):
    """Sees every message (raw name and payload), e.g. alert evaluation and notifications.
    It may also define `wants(message) -> bool` to skip messages it has nothing to do with."""

    name: str

    def __call__(self, message: Message, uow: UnitOfWork) -> None: ...


class Ticker(Protocol):
    """Periodic work, e.g. emitting `shipment.late` for shipments past their promise."""

    def tick(self, now: datetime) -> int: ...


class SharedUnitOfWork(UnitOfWork):
    """The worker's open transaction lent to a handler. A handler written the usual way
    (`with uow: ...; uow.commit()`) joins it instead of opening another, so its changes and the
    processed-event record commit together, once, when the worker commits."""

    _REPOSITORIES = (
        "orders", "products", "locations", "customers", "stock", "reservations", "shipments",
        "returns", "inbound", "alerts", "rulesets", "traces", "audit",
    )  # fmt: skip

    def __init__(self, inner: UnitOfWork, after_rollback: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._inner = inner
        self._after_rollback = after_rollback
        for name in self._REPOSITORIES:
            setattr(self, name, getattr(inner, name))

    def __enter__(self) -> SharedUnitOfWork:
        return self

    def __exit__(self, *args: object) -> None:
        return None  # the worker commits or rolls back the whole transaction

    def record(self, event: Event) -> None:
        self._inner.record(event)

    def commit(self) -> None:
        return None

    def _commit(self, events: list[Event]) -> None:
        raise AssertionError("the worker commits a shared unit of work")

    def rollback(self) -> None:
        # A handler rolling back to try again (a lost race for stock) is still handling this
        # event: the processed-event record is staged again for whatever it commits next.
        self._inner.rollback()
        if self._after_rollback is not None:
            self._after_rollback()

    def __getattr__(self, name: str) -> Any:
        # Adapter extras (a SQL session, say) stay reachable for handlers that need them.
        return getattr(self._inner, name)


@dataclass
class WorkerConfig:
    name: str = "worker"
    batch_size: int = 100
    block_ms: int = 500
    tick_seconds: float = 60.0
    grace_seconds: float = 10.0
    ack_seconds: float = 1.0
    # Partitions of one batch handled side by side (see Worker._lanes); 1 handles them in turn.
    partition_threads: int = 8


def handler_name(handler: Any) -> str:
    name = getattr(handler, "name", None) or getattr(handler, "__qualname__", None)
    return str(name or type(handler).__name__)


class Worker:
    def __init__(
        self,
        *,
        bus: EventBus,
        uow_factory: Callable[[], UnitOfWork],
        handlers: Mapping[str, Sequence[Handler]] | None = None,
        observers: Sequence[Observer] = (),
        relay: OutboxRelay | None = None,
        tickers: Sequence[Ticker] = (),
        config: WorkerConfig | None = None,
        ledger: ProcessedLedger | None = None,
    ) -> None:
        self.bus = bus
        self.uow_factory = uow_factory
        self.handlers = dict(handlers or {})
        self.observers = list(observers)
        self.relay = relay
        self.tickers = list(tickers)
        self.config = config or WorkerConfig()
        self.ledger = ledger or ProcessedLedger()
        self.stopping = threading.Event()
        self.processed = 0
        self.failed = 0
        self._next_tick = 0.0
        self._lock = threading.Lock()
        self._last_ack = 0.0
        self._pool: ThreadPoolExecutor | None = None

    # --- one turn -------------------------------------------------------------------------

    def run_once(self) -> int:
        """Relay, tick if due, consume and handle one batch; returns messages handled."""
        if self.relay is not None:
            self._guard("outbox relay", self.relay.run_once)
        if self.tickers and time.monotonic() >= self._next_tick:
            self._next_tick = time.monotonic() + self.config.tick_seconds
            for ticker in self.tickers:
                self._guard(f"ticker {type(ticker).__name__}", partial(_tick, ticker))
        batch = self.bus.consume(
            self.config.name, count=self.config.batch_size, block_ms=self.config.block_ms
        )
        return self.handle_batch(batch)

    def handle_batch(self, batch: Sequence[Message]) -> int:
        done: list[Message] = []
        try:
            return self._handle_batch(batch, done)
        finally:
            # Acknowledged together: one round trip per batch (or per `ack_seconds`) instead of
            # one per message. A crash before this costs only a redelivery of finished work,
            # which the processed-event records turn into a skip.
            self.bus.ack(done)

    def _handle_batch(self, batch: Sequence[Message], done: list[Message]) -> int:
        lanes = self._lanes(batch)
        self._last_ack = time.monotonic()
        if len(lanes) <= 1:
            return sum(self._run_lane(lane, done) for lane in lanes)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                self.config.partition_threads, thread_name_prefix=self.config.name
            )
        futures = [self._pool.submit(self._run_lane, lane, done) for lane in lanes]
        # Every lane finishes before the next batch is consumed, even when one raised: a lane
        # still running then could race the next batch's messages of its own partitions.
        wait(futures)
        return sum(future.result() for future in futures)

    def _lanes(self, batch: Sequence[Message]) -> list[list[Message]]:
        """Split a batch into lanes handled side by side: each partition's messages stay in
        one lane, in order. Each event still commits on its own, so lanes on several
        connections let PostgreSQL flush their commits together instead of one by one."""
        by_partition: dict[int, list[Message]] = {}
        for message in batch:
            by_partition.setdefault(message.partition, []).append(message)
        count = min(self.config.partition_threads, len(by_partition))
        if count <= 1:
            return [list(batch)] if batch else []
        lanes: list[list[Message]] = [[] for _ in range(count)]
        for messages in sorted(by_partition.values(), key=len, reverse=True):
            min(lanes, key=len).extend(messages)  # the shortest lane takes the next partition
        return lanes

    def _run_lane(self, lane: Sequence[Message], done: list[Message]) -> int:
        deadline: float | None = None
        handled = 0
        for index, message in enumerate(lane):
            if self.stopping.is_set():
                deadline = deadline or time.monotonic() + self.config.grace_seconds
                if time.monotonic() > deadline:
                    with self._lock:
                        self.bus.ack(done)
                        done.clear()
                    self.bus.release(self.config.name, lane[index:])
                    log.info("%s: handed back %d messages", self.config.name, len(lane) - index)
                    return handled
            with self._lock:  # the bus's lease bookkeeping is not shared between threads
                self.bus.keep_alive(self.config.name)
            if not self.bus.holds(self.config.name, message):
                # The partition moved to another worker (we gave it to a newcomer, or were too
                # slow to renew): leave the entry pending for its new owner to claim instead of
                # racing it.
                continue
            try:
                self.handle(message)
            except Exception as error:  # any handler failure: retry later, then dead-letter
                detail = f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=8)}"
                dead = self.bus.fail(message, detail, self.config.name)
                with self._lock:
                    self.failed += 1
                log.warning(
                    "%s: %s %s failed (attempt %d%s): %s",
                    self.config.name, message.name, message.event_id, message.attempts,
                    ", dead-lettered" if dead else "", error,
                )  # fmt: skip
                continue
            handled += 1
            with self._lock:
                done.append(message)
                self.processed += 1
                if time.monotonic() - self._last_ack > self.config.ack_seconds:
                    # A slow batch still acknowledges as it goes, so a crash or a lost
                    # partition sends little finished work round again.
                    self.bus.ack(done)
                    done.clear()
                    self._last_ack = time.monotonic()
        return handled

    def handle(self, message: Message) -> None:
        event = _event_of(message)
        steps: list[tuple[str, Callable[[UnitOfWork], None]]] = []
        if event is not None:
            for handler in self.handlers.get(message.name, ()):
                steps.append((handler_name(handler), partial(_call_handler, handler, event)))
        for observer in self.observers:
            wants = getattr(observer, "wants", None)
            # An observer that says it has nothing to do costs no transaction and no record.
            if wants is None or wants(message):
                steps.append((handler_name(observer), partial(_call_observer, observer, message)))
        # Each step gets its turn even when one before it fails: a mail server that refuses
        # must not keep the same event's webhook from being posted. The first failure is
        # raised after them all, so the message is retried, and the steps that succeeded are
        # skipped then (their claims are committed).
        failure: Exception | None = None
        for name, step in steps:
            try:
                self._step(message, name, step)
            except Exception as error:
                failure = failure or error
        if failure is not None:
            raise failure

    def _step(self, message: Message, name: str, step: Callable[[UnitOfWork], None]) -> None:
        with self.uow_factory() as uow:
            claim = partial(
                self.ledger.claim, uow, message.event_id, name, event_name=message.name,
                consumer=self.config.name, attempt=message.attempts,
            )  # fmt: skip
            if not claim():
                return  # handled before: a redelivery, or another worker got there first
            try:
                step(SharedUnitOfWork(uow, after_rollback=partial(_claim_again, claim)))
                uow.commit()
            except BaseException:
                self.ledger.discarded(uow)
                raise
            self.ledger.committed(uow)

    # --- the loop -------------------------------------------------------------------------

    def run(self, max_seconds: float | None = None) -> None:
        until = None if max_seconds is None else time.monotonic() + max_seconds
        log.info("%s: started", self.config.name)
        try:
            while not self.stopping.is_set():
                if until is not None and time.monotonic() > until:
                    break
                self._guard("turn", self.run_once)
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
            self._leave()
            log.info("%s: stopped after %d messages", self.config.name, self.processed)

    def _leave(self) -> None:
        """Give up this worker's partitions so others take them at once. When the bus cannot
        be reached (Redis down) that is left undone: the leases lapse by themselves and the
        others take over then, so stopping goes on, with a line in the log, not a traceback."""
        try:
            self.bus.leave(self.config.name)
        except Exception as error:
            log.warning(
                "%s: could not give up its partitions (%s); their leases lapse by themselves",
                self.config.name,
                _one_line(error),
            )
            log.debug("%s: leaving failed", self.config.name, exc_info=True)

    def stop(self) -> None:
        self.stopping.set()

    def _guard(self, what: str, action: Callable[[], Any]) -> None:
        """Keep the loop alive through a transient failure (database or Redis restart)."""
        try:
            action()
        except Exception as error:
            # One line: two clocks racing to flag the same shipment, or a database restart,
            # should not bury the log in tracebacks; DEBUG has the full story.
            log.warning(
                "%s: %s failed (%s); retrying next turn", self.config.name, what, _one_line(error)
            )
            log.debug("%s: %s failure", self.config.name, what, exc_info=True)
            time.sleep(min(1.0, self.config.block_ms / 1000))


def _one_line(error: BaseException) -> str:
    """`Type: the message's first line`, for a log line in place of a traceback."""
    text = str(error)
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


def _claim_again(claim: Callable[[], bool]) -> None:
    """After a handler's own rollback: the claim went with it, so make it again."""
    if not claim():
        # Another worker committed this (event, handler) meanwhile: finishing ours would
        # repeat its effect. Failing sends the message round again, where it is skipped.
        raise RuntimeError("event handled by another worker while this one retried")


def _tick(ticker: Ticker) -> None:
    ticker.tick(utcnow())


def _call_handler(handler: Handler, event: Event, uow: UnitOfWork) -> None:
    handler(event, uow)


def _call_observer(observer: Observer, message: Message, uow: UnitOfWork) -> None:
    observer(message, uow)


def _event_of(message: Message) -> Event | None:
    cls = EVENT_TYPES.get(message.name)
    if cls is None:
        return None
    try:
        return cls(**message.payload)
    except TypeError:
        log.warning("event %s has an unexpected payload shape; handlers skipped", message.name)
        return None


def run_workers(
    workers: Sequence[Worker],
    install_signals: bool = True,
    prepare: Callable[[], None] | None = None,
    stop_asked: threading.Event | None = None,
) -> None:
    """Run workers in threads (`--concurrency`) until SIGTERM/SIGINT; join them all.

    `prepare` (the process's warm-up) runs once the signals are handled: a stop asked for
    while it runs still ends the workers cleanly, after it, instead of killing the process.
    `stop_asked`: set by the process's own handlers (`engine.stop_signals`) when a stop came
    while the workers were still being built; they then start stopped and end at once."""
    if install_signals:

        def _stop(signum: int, _frame: Any) -> None:
            log.info("signal %d: finishing the current batch", signum)
            for worker in workers:
                worker.stop()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    if stop_asked is not None and stop_asked.is_set():
        log.info("a stop was asked for while the workers were being built")
        for worker in workers:
            worker.stop()
    if prepare is not None:
        prepare()
    threads = [threading.Thread(target=w.run, name=w.config.name, daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        for thread in threads:
            thread.join(timeout=0.2)


class Purge(Protocol):
    """Rows kept for a retention: `purge` deletes those past it, returning how many."""

    def purge(self, before: datetime) -> int: ...


# How long alerts are kept unless ORDO_ALERT_RETENTION_DAYS says otherwise.
DEFAULT_ALERT_RETENTION = timedelta(days=365)


class Janitor:
    """Ticker: keep the outbox and the streams as long as the work in them, not as long as
    history. Published outbox rows go after `keep`; acknowledged stream entries at once;
    idempotency records (answers holding orders' and customers' JSON) after
    `idempotency_retention`, finished or abandoned in flight; closed and acknowledged
    alerts (sealed messages) unchanged for `alert_retention`, with their tickets' rows."""

    def __init__(
        self, outbox: Any = None, bus: EventBus | None = None, keep: timedelta = timedelta(days=7),
        every: timedelta = timedelta(minutes=10), idempotency: IdempotencyStore | None = None,
        idempotency_retention: timedelta = DEFAULT_RETENTION, alerts: Purge | None = None,
        alert_retention: timedelta = DEFAULT_ALERT_RETENTION,
    ) -> None:  # fmt: skip
        self.outbox = outbox
        self.bus = bus
        self.keep = keep
        self.every = every
        self.idempotency = idempotency
        self.idempotency_retention = idempotency_retention
        self.alerts = alerts
        self.alert_retention = alert_retention
        self._last: datetime | None = None

    def tick(self, now: datetime) -> int:
        if self._last is not None and now - self._last < self.every:
            return 0
        self._last = now
        removed = 0
        if self.outbox is not None and hasattr(self.outbox, "purge"):
            removed += int(self.outbox.purge(now - self.keep))
        if self.bus is not None and hasattr(self.bus, "trim"):
            removed += int(self.bus.trim())
        if self.idempotency is not None:
            removed += self.idempotency.purge(now - self.idempotency_retention)
        if self.alerts is not None:
            purged = self.alerts.purge(now - self.alert_retention)
            if purged:
                log.info("janitor: deleted %d alerts closed or acknowledged and unchanged for "
                         "%d days", purged, self.alert_retention.days)  # fmt: skip
            removed += purged
        return removed


def start_in_background(workers: Sequence[Worker]) -> Callable[[], None]:
    """Run workers in daemon threads beside something else (the API of `ordo up` on the
    in-process bus); returns the function that stops them and waits for their batches."""
    threads = [threading.Thread(target=w.run, name=w.config.name, daemon=True) for w in workers]
    for thread in threads:
        thread.start()

    def stop(timeout: float = 15.0) -> None:
        for worker in workers:
            worker.stop()
        for thread in threads:
            thread.join(timeout)

    return stop


def pipeline_handlers(
    build_bus: Callable[[Callable[[], UnitOfWork]], Any], event_types: Iterable[type[Event]]
) -> dict[str, list[Handler]]:
    """The message bus's event handlers (the pipeline's asynchronous steps) as worker handlers.

    `build_bus(uow_factory)` makes an `engine.service_layer.messagebus.MessageBus`; the worker
    hands it a factory that returns the worker's own open transaction, so the handlers and the
    commands they issue (an `order.received` becomes `ProcessOrder`) commit together with the
    processed-event record, and their new events leave through the outbox."""

    step = PipelineStep(build_bus)
    return {event_type.name: [step] for event_type in event_types}


class PipelineStep:
    """One event through the message bus, inside the worker's transaction (see above)."""

    name = "pipeline"

    def __init__(self, build_bus: Callable[[Callable[[], UnitOfWork]], Any]) -> None:
        self.build_bus = build_bus

    def __call__(self, event: Event, uow: UnitOfWork) -> None:
        self.build_bus(lambda: uow).handle(event)


def assemble_workers(
    *,
    name: str,
    concurrency: int,
    bus: EventBus,
    uow_factory: Callable[[], UnitOfWork],
    relay: OutboxRelay | None,
    handlers: Mapping[str, Sequence[Handler]] | None = None,
    observers: Sequence[Observer] = (),
    tickers: Sequence[Ticker] = (),
    config: WorkerConfig | None = None,
) -> list[Worker]:
    """`concurrency` workers sharing one process: consumers `<name>-1..n` on the same bus. The
    clock ticks in the first only (the others would find its markers and emit nothing)."""
    base = config or WorkerConfig()
    ledger = ProcessedLedger()  # one for all: in-memory stores keep their records in it
    workers = []
    for index in range(1, max(1, concurrency) + 1):
        worker_config = replace(base, name=name if concurrency == 1 else f"{name}-{index}")
        workers.append(
            Worker(
                bus=bus,
                uow_factory=uow_factory,
                handlers=handlers,
                observers=observers,
                relay=relay,
                tickers=tickers if index == 1 else (),
                config=worker_config,
                ledger=ledger,
            )
        )
    return workers


def default_worker_name() -> str:
    """host-pid: unique per process, readable in `XINFO CONSUMERS` and the audit log."""
    return f"{socket.gethostname()}-{os.getpid()}"
