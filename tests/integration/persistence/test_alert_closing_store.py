"""Closing alerts on every backend (memory, SQLite, PostgreSQL): the store finds the
acknowledged alerts quiet since a moment, and only those; a closed alert's rule and key open a
new alert. On PostgreSQL, a close and a repeat of the same alert racing each other: the close
that lands first makes the repeat (refused at its commit, and tried again) open a new alert;
the repeat that lands first keeps the alert from closing. Two workers opening the same alert
at once still make one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from engine.domain.errors import AlreadyExists, Conflict
from engine.domain.operations import Alert, AlertStatus
from engine.service_layer.alerts import AlertCloser, raise_alert
from engine.service_layer.unit_of_work import UnitOfWork
from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b
from tests.support.engines import an_engine, uow_factory_on

RAISED = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def fire(uow: UnitOfWork, at: datetime) -> Alert:
    return raise_alert(uow, rule="ops/low stock", key="SKU-1@W1", severity="high",
                       message="SKU-1 low at W1", now=at)  # fmt: skip


def an_acknowledged_alert(uows: UowFactory) -> Alert:
    with uows() as uow:
        alert = fire(uow, RAISED)
        alert.acknowledge("user:sam", RAISED + timedelta(minutes=5))
        uow.commit()
    return alert


def test_the_quiet_acknowledged_alerts_are_those_neither_fired_nor_acknowledged_since(
    uow_factory: UowFactory,
) -> None:
    since = b.at(100)
    with uow_factory() as uow:
        for id_, status, seen, acknowledged in [
            ("quiet", AlertStatus.ACKNOWLEDGED, b.at(50), b.at(60)),
            ("quiet too", AlertStatus.ACKNOWLEDGED, b.at(100), b.at(100)),
            ("fired since", AlertStatus.ACKNOWLEDGED, b.at(101), b.at(60)),
            ("acknowledged since", AlertStatus.ACKNOWLEDGED, b.at(50), b.at(101)),
            ("open", AlertStatus.OPEN, b.at(50), None),
            ("closed", AlertStatus.CLOSED, b.at(50), b.at(60)),
        ]:
            uow.alerts.add(b.an_alert(id=id_, key=id_, status=status, last_seen_at=seen,
                                      acknowledged_at=acknowledged))  # fmt: skip
        uow.commit()

    with uow_factory() as uow:
        found = {a.id for a in uow.alerts.quiet_acknowledged(since)}
        assert found == {"quiet", "quiet too"}
        assert len(uow.alerts.quiet_acknowledged(since, limit=1)) == 1


def test_a_closed_alerts_rule_and_key_open_a_new_alert(uow_factory: UowFactory) -> None:
    first = an_acknowledged_alert(uow_factory)
    assert AlertCloser(uow_factory, DAY).tick(RAISED + 2 * DAY) == 1

    with uow_factory() as uow:
        second = fire(uow, RAISED + 3 * DAY)
        uow.commit()

    assert second.id != first.id
    with uow_factory() as uow:
        assert [(a.id, a.status) for a in uow.alerts.list()] == [
            (second.id, AlertStatus.OPEN), (first.id, AlertStatus.CLOSED),
        ]  # fmt: skip
        found = uow.alerts.open_for("ops/low stock", "SKU-1@W1")
        assert found is not None and found.id == second.id


@pytest.fixture
def pg_uows(postgres_url: str) -> Iterator[UowFactory]:
    with an_engine(postgres_url) as engine:
        yield uow_factory_on(engine)


def test_a_close_landing_first_makes_the_racing_repeat_open_a_new_alert(
    pg_uows: UowFactory,
) -> None:
    first = an_acknowledged_alert(pg_uows)
    repeat = pg_uows()
    with repeat:
        fire(repeat, RAISED + 2 * DAY)  # read the alert acknowledged; not written yet
        assert AlertCloser(pg_uows, DAY).tick(RAISED + 2 * DAY) == 1

        with pytest.raises(Conflict, match="changed by someone else"):
            repeat.commit()

    with pg_uows() as uow:  # the worker tries the repeat's event again
        again = fire(uow, RAISED + 2 * DAY)
        uow.commit()
    assert again.id != first.id and again.occurrences == 1
    with pg_uows() as uow:
        closed = uow.alerts.get(first.id)
        assert closed is not None and (closed.status, closed.occurrences) == (
            AlertStatus.CLOSED, 1,
        )  # fmt: skip


def test_a_repeat_landing_first_keeps_the_alert_from_closing(pg_uows: UowFactory) -> None:
    first = an_acknowledged_alert(pg_uows)
    closed: list[int] = []
    now = RAISED + 2 * DAY
    closer = threading.Thread(target=lambda: closed.append(AlertCloser(pg_uows, DAY).tick(now)))
    repeat = pg_uows()
    with repeat:
        fire(repeat, now)
        repeat.alerts.flush()  # type: ignore[attr-defined]  # written, holding the row
        closer.start()
        time.sleep(0.5)
        assert closer.is_alive()  # waiting for the repeat's row
        repeat.commit()
    closer.join(timeout=10)

    assert closed == [0]
    with pg_uows() as uow:
        kept = uow.alerts.get(first.id)
        assert kept is not None
        assert (kept.status, kept.occurrences) == (AlertStatus.ACKNOWLEDGED, 2)


def test_two_workers_opening_the_same_alert_make_one(pg_uows: UowFactory) -> None:
    one, other = pg_uows(), pg_uows()
    with one, other:
        first = fire(one, RAISED)
        fire(other, RAISED)  # picks the same id: neither has committed
        one.commit()
        with pytest.raises(AlreadyExists):
            other.commit()

    with pg_uows() as uow:  # the other's event, tried again
        again = fire(uow, RAISED + timedelta(minutes=1))
        uow.commit()
    assert again.id == first.id and again.occurrences == 2
