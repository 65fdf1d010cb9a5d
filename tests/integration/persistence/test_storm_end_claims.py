"""The note that ends a storm of repeats, on every backend: the store finds the open alerts
with a ticket whose repeats after their last note are untold, and only those, the longest
quiet first; and on SQLite and PostgreSQL two workers, each on its own engine as two
processes are, finding the same ended storm at the same moment note its ticket once: each
claims it with the alert's versioned (conditional) UPDATE, and the one that comes second
finds it told."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from engine.adapters.alert_storms import untold_repeats
from engine.domain.operations import Alert, AlertStatus, Ticket
from engine.service_layer.tickets import StormEndNoter
from engine.service_layer.unit_of_work import UnitOfWork
from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b
from tests.support.engines import an_engine, uow_factory_on
from tests.unit.events.test_repeat_storm_ends import QuietHelpdesk

HOUR = timedelta(hours=1)
NOW = b.at(200)


def an_alert(id_: str, **kw: object) -> Alert:
    """Raised at minute 10 with ticket 9000, its first repeat noted (window 0, 2 occurrences),
    and three repeats since, the last at minute 40."""
    values: dict[str, object] = dict(
        id=id_, key=id_, status=AlertStatus.OPEN, created_at=b.at(10), last_seen_at=b.at(40),
        occurrences=5, noted_occurrences=2, noted_window=0, ticket_id="9000",
        acknowledged_by="", acknowledged_at=None,
    )  # fmt: skip
    return b.an_alert(**{**values, **kw})


def stored(uows: UowFactory, *alerts: Alert) -> None:
    with uows() as uow:
        for alert in alerts:
            uow.alerts.add(alert)
            uow.tickets.add(
                Ticket(id=f"tkt-{alert.id}", system="fakedesk", external_ticket_id="9000",
                       entity="alert", entity_id=alert.id, subject="[Ordo high] late",
                       created_at=alert.created_at, created_by="system")
            )  # fmt: skip
        uow.commit()


def test_the_store_finds_open_alerts_with_untold_repeats_the_longest_quiet_first(
    uow_factory: UowFactory,
) -> None:
    stored(
        uow_factory,
        an_alert("storm-1"),
        an_alert("storm-2", last_seen_at=b.at(30)),
        an_alert("all told", noted_occurrences=5),
        an_alert("no note yet", noted_window=None, noted_occurrences=1),
        an_alert("no ticket", ticket_id=None),
        an_alert(
            "acknowledged",
            status=AlertStatus.ACKNOWLEDGED,
            acknowledged_by="sam",
            acknowledged_at=b.at(50),
        ),
        an_alert("firing now", last_seen_at=b.at(201)),
    )

    with uow_factory() as uow:
        found = untold_repeats(uow.alerts, NOW, 10)
        assert [a.id for a in found] == ["storm-2", "storm-1"]
        assert [a.id for a in untold_repeats(uow.alerts, NOW, 1)] == ["storm-2"]


def test_two_workers_ending_the_same_storm_at_once_note_its_ticket_once(
    database_url: str,
) -> None:
    with an_engine(database_url) as engine:
        stored(uow_factory_on(engine), an_alert("storm"))
    helpdesk = QuietHelpdesk()
    notes: list[int] = []
    lock = threading.Lock()
    read_both = threading.Barrier(2, timeout=20)

    def note_quiet(ticket_id: str, comment: str, window: int) -> bool:
        with lock:  # counts every call: the helpdesk's own guard is not what is tested
            notes.append(window)
        return True

    helpdesk.note_quiet = note_quiet  # type: ignore[method-assign]

    def end_storms() -> int:
        with an_engine(database_url) as engine:  # a process of its own
            opened = uow_factory_on(engine)
            calls = iter(range(1000))

            def uows() -> UnitOfWork:
                # Its claim waits until both have found the storm ended (out of any
                # transaction: SQLite queues writers, and each begins as one).
                if next(calls) == 1:
                    read_both.wait()
                return opened()

            return StormEndNoter(uows, helpdesk, HOUR, untold=untold_repeats).tick(NOW)

    with ThreadPoolExecutor(2) as pool:
        ended = sorted(pool.map(lambda _: end_storms(), range(2)))

    assert ended == [0, 1] and notes == [0]
    with an_engine(database_url) as engine, uow_factory_on(engine)() as uow:
        alert = uow.alerts.get("storm")
        assert alert is not None and (alert.noted_occurrences, alert.noted_window) == (5, 0)
