"""The alert-closing migration on both databases: an alert raised before is not closed (no one,
no time, version 0) and can be closed after upgrading, the quiet-alerts index is added, and
downgrading drops the columns and the index alone and keeps the alerts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, inspect, text

from engine.adapters import migrations
from engine.domain.operations import AlertStatus
from tests.support.engines import an_engine, columns_of, migration_named, uow_factory_on

NEW_COLUMNS = {"closed_by", "closed_at", "version"}
INDEX = "ix_alerts_status_last_seen_at"
BEFORE = str(migration_named("alert_closing").down_revision)


def indexes(engine: Engine) -> set[str]:
    return {str(index["name"]) for index in inspect(engine).get_indexes("alerts")}


def an_alert_acknowledged_before(engine: Engine) -> None:
    recipients = "CAST('[]' AS JSONB)" if engine.dialect.name == "postgresql" else "'[]'"
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


@pytest.fixture
def before(database_url: str) -> str:
    migrations.downgrade(database_url, BEFORE)
    return database_url


def test_an_alert_raised_before_is_not_closed_and_can_be_closed_after_upgrading(
    before: str,
) -> None:
    with an_engine(before) as engine:
        assert not NEW_COLUMNS & columns_of(engine, "alerts")
        an_alert_acknowledged_before(engine)

    migrations.upgrade(before)

    with an_engine(before) as engine:
        assert INDEX in indexes(engine)
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


def test_downgrading_drops_the_columns_and_the_index_and_keeps_the_alerts(before: str) -> None:
    with an_engine(before) as engine:
        an_alert_acknowledged_before(engine)
        old_indexes = indexes(engine)
    migrations.upgrade(before)

    migrations.downgrade(before, BEFORE)

    with an_engine(before) as engine:
        assert not NEW_COLUMNS & columns_of(engine, "alerts")
        assert indexes(engine) == old_indexes
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT occurrences FROM alerts WHERE id = 'alr_1'"))
            assert kept.scalar_one() == 3
    migrations.upgrade(before)
    assert migrations.current(before) == migrations.head()
