"""The worker built from the settings closes acknowledged alerts as quiet as
ORDO_ALERT_CLOSE_AFTER_HOURS says, on its tick, and closes none when it says 0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.domain.operations import AlertStatus
from engine.service_layer.alerts import AlertCloser, raise_alert
from ordo.bootstrap import build_app_container, build_workers
from ordo.settings import load_settings

RAISED = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("hours", "closed"), [(6, AlertStatus.CLOSED), (0, None)])
def test_the_workers_tick_closes_an_acknowledged_alert_quiet_for_the_configured_hours(
    sqlite_url: str, hours: int, closed: AlertStatus | None
) -> None:
    settings = load_settings(database_url=sqlite_url, alert_close_after_hours=hours)
    with build_app_container(settings) as container:
        [worker] = build_workers(container, name="w1")
        with container.uow_factory() as uow:
            alert = raise_alert(uow, rule="ops/low stock", key="SKU-1@W1", severity="high",
                                message="SKU-1 low", now=RAISED)  # fmt: skip
            alert.acknowledge("user:sam", RAISED)
            uow.commit()
        closers = [t for t in worker.tickers if isinstance(t, AlertCloser)]
        for closer in closers:
            assert closer.tick(RAISED + timedelta(hours=5, minutes=59)) == 0
            assert closer.tick(RAISED + timedelta(hours=6)) == 1
        with container.uow_factory() as uow:
            stored = uow.alerts.get(alert.id)

    assert len(closers) == (1 if hours else 0)
    assert stored is not None
    assert stored.status is (closed or AlertStatus.ACKNOWLEDGED)
