"""`ordo worker` is assembled from the settings: the lateness clock keeps its markers for
the configured retention."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from engine.adapters.migrations import upgrade
from engine.service_layer.alerts import LatenessClock
from engine.service_layer.channel_cancellations import EarlyCancellationKeeper
from ordo.bootstrap import build_app_container, build_workers
from ordo.settings import load_settings


def test_the_lateness_clock_keeps_markers_for_the_configured_retention(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ordo.sqlite3'}"
    upgrade(url)
    settings = load_settings(database_url=url, lateness_flag_retention_days=7)
    with build_app_container(settings) as container:
        (worker,) = build_workers(container, name="w")
        (clock,) = [t for t in worker.tickers if isinstance(t, LatenessClock)]
    assert clock.flags.retention == timedelta(days=7)  # type: ignore[attr-defined]


def test_the_worker_forgets_early_cancellations_after_the_configured_retention(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'ordo.sqlite3'}"
    upgrade(url)
    settings = load_settings(database_url=url, channel_cancellation_retention_days=7)
    with build_app_container(settings) as container:
        (worker,) = build_workers(container, name="w")
        (keeper,) = [t for t in worker.tickers if isinstance(t, EarlyCancellationKeeper)]
    assert keeper.retention == timedelta(days=7)
