"""The tracking poll shared by worker processes, on SQLite and PostgreSQL: two pollers, each
on its own engine as two processes are, reading the same silent shipments at the same moment
claim them with the store's conditional UPDATE, so the carrier is asked about each shipment
once; a shipment asked is not silent again until the silence has passed since; a claim
handed back (the carrier unreachable) is any poller's again; a shipment saved by another
transaction (a webhook's scan) keeps the claim made meanwhile."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from engine.adapters.silent_shipments import claim_for_poll, release_poll, silent_with_carrier
from engine.service_layer.carrier_polls import CarrierPoller
from engine.service_layer.messagebus import MessageBus, command_handlers
from engine.service_layer.unit_of_work import UnitOfWork
from tests.support import builders as b
from tests.support.engines import an_engine, uow_factory_on
from tests.unit.pipeline.test_carrier_polls import NOW, SILENCE, PollableCarrier, hours_ago

SHIPMENTS = 12


def seeded(database_url: str) -> None:
    """Twelve shipments with carrier ups, shipped eight hours ago and silent since."""
    with an_engine(database_url) as engine, uow_factory_on(engine)() as uow:
        for n in range(1, SHIPMENTS + 1):
            uow.shipments.add(
                b.a_shipment(id=f"F-{n:02d}", tracking_number=f"1Z{n:02d}", tracking=[],
                             shipped_at=hours_ago(8), created_at=hours_ago(9))
            )  # fmt: skip
        uow.commit()


def test_two_pollers_reading_the_same_shipments_at_once_ask_about_each_once(
    database_url: str,
) -> None:
    seeded(database_url)
    carrier = PollableCarrier()
    read_both = threading.Barrier(2, timeout=20)

    def poll() -> None:
        with an_engine(database_url) as engine:  # a process of its own
            opened = uow_factory_on(engine)
            calls = iter(range(1000))

            def uows() -> UnitOfWork:
                # Its first claim waits until both have read every shipment as silent (out
                # of any transaction: SQLite queues writers, and each begins as one).
                if next(calls) == 1:
                    read_both.wait()
                return opened()

            bus = MessageBus(uows, command_handlers(), {})
            poller = CarrierPoller(uows, bus.handle, {"ups": carrier}.get, lambda: ["ups"],
                                   SILENCE, batch=3, silent=silent_with_carrier,
                                   claim=claim_for_poll, release=release_poll)  # fmt: skip
            poller.tick(NOW)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(poll) for _ in "ab"]:
            future.result(timeout=60)

    asked = sorted(number for batch in carrier.polled for number in batch)
    assert asked == [f"1Z{n:02d}" for n in range(1, SHIPMENTS + 1)]
    with an_engine(database_url) as engine, uow_factory_on(engine)() as uow:
        assert {s.tracking_polled_at for s in uow.shipments.search(limit=100)} == {NOW}


def test_a_shipment_asked_is_silent_again_only_once_the_silence_has_passed_since(
    database_url: str,
) -> None:
    seeded(database_url)
    with an_engine(database_url) as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            assert claim_for_poll(uow.shipments, ["F-01", "F-02"], NOW, NOW - SILENCE) == {
                "F-01", "F-02",
            }  # fmt: skip
            uow.commit()
        with uows() as uow:
            later = NOW + timedelta(hours=1)
            silent = silent_with_carrier(uow.shipments, "ups", later - SILENCE, 100)
            assert [s.id for s in silent][:2] == ["F-03", "F-04"]
            # Asked an hour ago: claimed by nobody else before the silence has passed.
            assert claim_for_poll(uow.shipments, ["F-01", "F-03"], later, later - SILENCE) == {
                "F-03"
            }
            release_poll(uow.shipments, ["F-01", "F-03"], later)  # F-03's claim handed back
            uow.commit()
        with uows() as uow:
            after = NOW + SILENCE + timedelta(minutes=1)
            silent = silent_with_carrier(uow.shipments, "ups", after - SILENCE, 100)
            assert [s.id for s in silent] == [f"F-{n:02d}" for n in range(1, SHIPMENTS + 1)]
            kept = uow.shipments.get("F-01")
            assert kept is not None and kept.tracking_polled_at == NOW


def test_a_shipment_read_before_its_claim_and_saved_after_keeps_the_claim(
    postgres_url: str,
) -> None:
    # PostgreSQL only: on SQLite every transaction begins as the file's one writer, so no
    # claim can come between another transaction's read and its write.
    seeded(postgres_url)
    with an_engine(postgres_url) as engine:
        uows = uow_factory_on(engine)
        with uows() as scanning:  # a webhook's scan, read before the poll claimed it
            shipment = scanning.shipments.get("F-01")
            assert shipment is not None
            with uows() as uow:
                claim_for_poll(uow.shipments, ["F-01"], NOW, NOW - SILENCE)
                uow.commit()
            shipment.tracking_number = "1Z01-NEW"
            scanning.commit()
        with uows() as uow:
            kept = uow.shipments.get("F-01")
            assert kept is not None and kept.tracking_polled_at == NOW
