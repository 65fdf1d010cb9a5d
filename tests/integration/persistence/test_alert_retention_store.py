"""Alerts past ORDO_ALERT_RETENTION_DAYS deleted by the store, on SQLite and PostgreSQL: the
closed and acknowledged ones that nothing changed since the cut-off go, with their tickets'
rows, in batches; an open alert, however old, and one raised, fired, acknowledged or closed
since stay, as do other entities' tickets and every audit entry. On PostgreSQL, a repeat
that read an alert before it was deleted is refused at its commit and, tried again, opens a
new alert."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from engine.adapters.alert_retention import SqlAlertPurge
from engine.domain.errors import Conflict
from engine.domain.operations import Alert, AlertStatus, Ticket
from engine.service_layer import audit
from engine.service_layer.alerts import raise_alert
from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b
from tests.support.engines import an_engine, uow_factory_on

CUTOFF = b.at(1000)
OLD, RECENT = b.at(10), b.at(1001)


def stored(uows: UowFactory, *alerts: Alert) -> None:
    """The alerts, a ticket about each, an order's ticket and an audit entry about each."""
    with uows() as uow:
        for alert in alerts:
            uow.alerts.add(alert)
            uow.tickets.add(a_ticket(f"tkt-{alert.id}", "alert", alert.id))
            audit.record(uow, "user:sam", "alert.acknowledge", "alert", alert.id)
        uow.tickets.add(a_ticket("tkt-order", "order", "O-1"))
        uow.commit()


def a_ticket(id_: str, entity: str, entity_id: str) -> Ticket:
    return Ticket(id=id_, system="zendesk", external_ticket_id=id_, entity=entity,
                  entity_id=entity_id, subject="[Ordo high] late", created_at=OLD,
                  created_by="system")  # fmt: skip


def an_alert(id_: str, status: AlertStatus, **kw: object) -> Alert:
    values: dict[str, object] = dict(created_at=OLD, last_seen_at=OLD, acknowledged_at=None)
    if status is not AlertStatus.OPEN:
        values["acknowledged_at"] = OLD
    if status is AlertStatus.CLOSED:
        values["closed_at"] = OLD
    return b.an_alert(id=id_, key=id_, status=status, **{**values, **kw})


def kept(uows: UowFactory) -> set[str]:
    with uows() as uow:
        return {alert.id for alert in uow.alerts.list()}


def test_closed_and_acknowledged_alerts_unchanged_since_the_cutoff_go_with_their_tickets(
    db_engine: Engine, sql_uow_factory: UowFactory
) -> None:
    stored(
        sql_uow_factory,
        an_alert("closed long ago", AlertStatus.CLOSED),
        an_alert("acknowledged long ago", AlertStatus.ACKNOWLEDGED),
        an_alert("open long ago", AlertStatus.OPEN),
        an_alert("closed since", AlertStatus.CLOSED, closed_at=RECENT),
        an_alert("acknowledged since", AlertStatus.ACKNOWLEDGED, acknowledged_at=RECENT),
        an_alert("fired since", AlertStatus.ACKNOWLEDGED, last_seen_at=RECENT),
        an_alert("raised since", AlertStatus.CLOSED, created_at=RECENT, last_seen_at=None),
    )

    assert SqlAlertPurge(db_engine).purge(CUTOFF) == 2

    assert kept(sql_uow_factory) == {
        "open long ago", "closed since", "acknowledged since", "fired since", "raised since",
    }  # fmt: skip
    with sql_uow_factory() as uow:
        assert uow.tickets.about("alert", "closed long ago") == []
        assert uow.tickets.about("alert", "acknowledged long ago") == []
        assert [t.id for t in uow.tickets.about("alert", "open long ago")] == ["tkt-open long ago"]
        assert [t.id for t in uow.tickets.about("order", "O-1")] == ["tkt-order"]
        entries = uow.audit.about("alert", ["closed long ago", "acknowledged long ago"])
        assert len(entries) == 2


def test_a_backlog_goes_in_batches_as_many_as_a_run_allows(
    db_engine: Engine, sql_uow_factory: UowFactory
) -> None:
    stored(sql_uow_factory, *(an_alert(f"A-{n}", AlertStatus.CLOSED) for n in range(5)))

    assert SqlAlertPurge(db_engine, batch=2, max_batches=2).purge(CUTOFF) == 4
    assert kept(sql_uow_factory) == {"A-4"}
    assert SqlAlertPurge(db_engine, batch=2).purge(CUTOFF) == 1
    assert kept(sql_uow_factory) == set()


def test_a_repeat_that_read_an_alert_before_it_was_deleted_opens_a_new_one(
    postgres_url: str,
) -> None:
    with an_engine(postgres_url) as engine:
        first = uow_factory_on(engine)
        with first() as uow:
            alert = raise_alert(uow, rule="ops/late", key="swift", severity="high",
                                message="late", now=OLD)  # fmt: skip
            alert.acknowledge("user:sam", OLD)
            uow.commit()
        repeat = first()
        with repeat:
            raise_alert(repeat, rule="ops/late", key="swift", severity="high", message="late",
                        now=CUTOFF + timedelta(days=1))  # fmt: skip
            assert SqlAlertPurge(engine).purge(CUTOFF) == 1
            with pytest.raises(Conflict, match="changed by someone else"):
                repeat.commit()
        with first() as uow:  # the worker tries the repeat's event again
            again = raise_alert(uow, rule="ops/late", key="swift", severity="high",
                                message="late", now=CUTOFF + timedelta(days=1))  # fmt: skip
            uow.commit()
        assert again.occurrences == 1 and again.status is AlertStatus.OPEN
