"""The worker built from the settings counts an alert's repeat windows as long as
ORDO_ALERT_REPEAT_WINDOW_MINUTES says: fired every five minutes for an hour, an alert raises
`alert.repeated` at its first repeat and then once per 15 minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, select

from engine.adapters.orm import outbox
from engine.domain.events import AlertRepeated, AlertTriggered
from ordo.bootstrap import build_app_container, build_workers
from ordo.settings import load_settings

RAISED = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_the_workers_recorder_raises_alert_repeated_once_per_configured_window(
    sqlite_url: str,
) -> None:
    settings = load_settings(database_url=sqlite_url, alert_repeat_window_minutes=15)
    with build_app_container(settings) as container:
        [worker] = build_workers(container, name="w1")
        with container.uow_factory() as uow:
            for minutes in range(0, 60, 5):
                at = (RAISED + timedelta(minutes=minutes)).isoformat()
                uow.record(AlertTriggered(rule="ops/late", key="swift", severity="high",
                                          message="late", at=at))  # fmt: skip
            uow.commit()
        for _ in range(4):
            worker.run_once()
        with container.uow_factory() as uow:
            [alert] = uow.alerts.list()

    engine = create_engine(sqlite_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(outbox.c.payload).where(outbox.c.name == AlertRepeated.name)
        ).all()
    engine.dispose()
    assert alert.occurrences == 12
    assert [(row.payload["window"], row.payload["occurrences"]) for row in rows] == [
        (0, 2), (1, 4), (2, 7), (3, 10),
    ]  # fmt: skip
