"""The worker built from the settings: its janitor deletes the closed alerts older than
ORDO_ALERT_RETENTION_DAYS and none when it says 0, and with a helpdesk configured (Zendesk,
or any ticketing connector) it ends storms of repeats with a last note (`StormEndNoter`, on
the repeat window's length); without one it has nothing to tell."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.service_layer.alerts import raise_alert, record_close
from engine.service_layer.tickets import StormEndNoter
from engine.worker import Janitor
from ordo.bootstrap import build_app_container, build_workers
from ordo.settings import load_settings
from tests.unit.events.test_ticket_repeats import Helpdesk

RAISED = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
ZENDESK = {
    "ticketing": "zendesk", "zendesk_url": "acme", "zendesk_email": "ops@shop.example",
    "zendesk_token": "a-token-long-enough-for-any-environment",
}  # fmt: skip


@pytest.mark.parametrize(("days", "left"), [(30, 0), (0, 1)])
def test_the_workers_janitor_deletes_closed_alerts_older_than_the_configured_retention(
    sqlite_url: str, days: int, left: int
) -> None:
    settings = load_settings(database_url=sqlite_url, alert_retention_days=days)
    with build_app_container(settings) as container:
        [worker] = build_workers(container, name="w1")
        with container.uow_factory() as uow:
            alert = raise_alert(uow, rule="ops/low stock", key="SKU-1@W1", severity="high",
                                message="SKU-1 low", now=RAISED)  # fmt: skip
            record_close(uow, alert, "user:sam", at=RAISED)
            uow.commit()
        [janitor] = [t for t in worker.tickers if isinstance(t, Janitor)]

        janitor.tick(RAISED + timedelta(days=31))

        with container.uow_factory() as uow:
            assert len(uow.alerts.list()) == left
            assert len(uow.audit.about("alert", [alert.id])) == 1  # the close's, kept


def test_with_zendesk_the_worker_ends_storms_of_repeats_on_the_repeat_window(
    sqlite_url: str,
) -> None:
    settings = load_settings(database_url=sqlite_url, alert_repeat_window_minutes=15, **ZENDESK)
    with build_app_container(settings) as container:
        [worker] = build_workers(container, name="w1")

    [ender] = [t for t in worker.tickers if isinstance(t, StormEndNoter)]
    assert ender.repeat_window == timedelta(minutes=15)


def test_any_helpdesk_has_its_storms_of_repeats_ended_and_none_without_one(
    sqlite_url: str,
) -> None:
    with build_app_container(load_settings(database_url=sqlite_url)) as container:
        [without] = build_workers(container, name="w1")
        container.ticketing = Helpdesk()  # takes repeat notes, keeps `note_quiet` as it is
        [worker] = build_workers(container, name="w2")

    assert not [t for t in without.tickers if isinstance(t, StormEndNoter)]
    [ender] = [t for t in worker.tickers if isinstance(t, StormEndNoter)]
    assert ender.ticketing is container.ticketing
