"""The migration that has alerts remember what their ticket was told of their repeats, on
both databases: an alert stored before is taken as fully told (its occurrences, no note's
window), so no storm of before gets a late last note, and its next repeat note is kept; the
downgrade drops the columns and keeps the alerts."""

from __future__ import annotations

from sqlalchemy import Column, Engine, MetaData, Table

from engine.adapters import orm
from engine.adapters import translation as tr
from engine.adapters.alert_storms import untold_repeats
from engine.domain.operations import AlertStatus
from tests.support import builders as b
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps

NEW_COLUMNS = {"noted_occurrences", "noted_window"}
MIGRATION = "alert_repeat_notes"
STORM = b.an_alert(id="alr_1", status=AlertStatus.OPEN, occurrences=6, ticket_id="9000",
                   acknowledged_by="", acknowledged_at=None)  # fmt: skip


def stored_before(engine: Engine) -> None:
    """`STORM` as the schema before stores it: without the columns it does not have."""
    kept = columns_of(engine, "alerts")
    table = Table("alerts", MetaData(), *(Column(c.name, c.type) for c in orm.alerts.c
                                          if c.name in kept))  # fmt: skip
    row = {name: value for name, value in tr.alert_row(STORM).items() if name in kept}
    with engine.begin() as connection:
        connection.execute(table.insert(), [row])


def test_an_alert_stored_before_is_taken_as_told_and_keeps_its_next_note(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert not NEW_COLUMNS & columns_of(engine, "alerts")
        stored_before(engine)

    migration.upgrade()

    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            alert = uow.alerts.get("alr_1")
            assert alert is not None
            assert (alert.occurrences, alert.noted_occurrences, alert.noted_window) == (6, 6, None)
            assert untold_repeats(uow.alerts, b.at(10_000), 10) == []
            alert.seen_again(b.at(100))
            alert.repeats_told(3)
            uow.commit()
        with uows() as uow:
            again = uow.alerts.get("alr_1")
            assert again is not None
            assert (again.noted_occurrences, again.noted_window) == (7, 3)


def test_downgrading_drops_the_columns_and_keeps_the_alerts(migration: MigrationSteps) -> None:
    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            uow.alerts.add(STORM)
            uow.commit()

    migration.downgrade()

    with migration.engine() as engine:
        assert not NEW_COLUMNS & columns_of(engine, "alerts")
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT id, occurrences FROM alerts").all()
            assert [tuple(row) for row in rows] == [("alr_1", 6)]
    migration.upgrade()
