"""The alert-closing migration on both databases: an alert raised before is not closed (no one,
no time, version 0) and can be closed after upgrading, the quiet-alerts index is added, and
downgrading drops the columns and the index alone and keeps the alerts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, text

from engine.domain.operations import AlertStatus
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps, indexes_of, json_value

NEW_COLUMNS = {"closed_by", "closed_at", "version"}
INDEX = "ix_alerts_status_last_seen_at"
MIGRATION = "alert_closing"


def an_alert_acknowledged_before(engine: Engine) -> None:
    recipients = json_value(engine, "'[]'")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO alerts (id, rule, severity, key, message, status, occurrences, "
                "recipients, acknowledged_by, created_at, last_seen_at, acknowledged_at) VALUES "
                "('alr_1', 'ops/low stock', 'high', 'SKU-1@W1', 'SKU-1 low', 'acknowledged', 3, "
                f"{recipients}, 'user:sam', :created, :created, :created)"
            ),
            {"created": datetime(2026, 11, 24, 9, 30)},
        )


def test_an_alert_raised_before_is_not_closed_and_can_be_closed_after_upgrading(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert not NEW_COLUMNS & columns_of(engine, "alerts")
        an_alert_acknowledged_before(engine)

    migration.upgrade()

    with migration.engine() as engine:
        assert INDEX in indexes_of(engine, "alerts")
        uows = uow_factory_on(engine)
        with uows() as uow:
            alert = uow.alerts.get("alr_1")
            assert alert is not None
            assert (alert.closed_by, alert.closed_at, alert.version) == ("", None, 0)
            closed_at = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
            alert.close("user:kim", closed_at)
            uow.commit()
        with uows() as uow:
            again = uow.alerts.get("alr_1")
            assert again is not None and again.occurrences == 3
            assert (again.status, again.closed_by, again.closed_at) == (
                AlertStatus.CLOSED, "user:kim", closed_at,
            )  # fmt: skip
            assert again.version == 1
            assert uow.alerts.open_for("ops/low stock", "SKU-1@W1") is None


def test_downgrading_drops_the_columns_and_the_index_and_keeps_the_alerts(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        an_alert_acknowledged_before(engine)
        old_indexes = indexes_of(engine, "alerts")
    migration.upgrade()

    migration.downgrade()

    with migration.engine() as engine:
        assert not NEW_COLUMNS & columns_of(engine, "alerts")
        assert indexes_of(engine, "alerts") == old_indexes
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT occurrences FROM alerts WHERE id = 'alr_1'"))
            assert kept.scalar_one() == 3
    migration.to_head()
