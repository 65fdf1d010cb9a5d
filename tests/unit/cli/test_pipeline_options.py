"""The release and reservation settings reach the command bus the API and the workers use."""

from __future__ import annotations

from datetime import timedelta

from engine.service_layer.handlers import PipelineOptions
from ordo.bootstrap import _pipeline, build_app_container
from ordo.settings import load_settings

# Nothing listens on port 9 (discard): were the container to connect, building it would fail.
NOWHERE_PG = "postgresql://postgres@127.0.0.1:9/ordo"
NOWHERE_REDIS = "redis://127.0.0.1:9/0"


def test_the_api_bus_releases_automatically_and_keeps_reservations_by_default() -> None:
    with build_app_container(load_settings(database_url=NOWHERE_PG)) as container:
        # No channel connector configured: no channel's new orders look for a shop's
        # cancellation that came first.
        wanted = PipelineOptions(early_cancellation_channels=frozenset())
        assert container.bus.dependencies["options"] == wanted


def test_manual_release_and_a_time_to_live_reach_the_api_bus_and_the_workers_bus() -> None:
    settings = load_settings(
        database_url=NOWHERE_PG,
        redis_url=NOWHERE_REDIS,
        auto_release="false",
        reservation_ttl_minutes="45",
    )
    wanted = PipelineOptions(
        auto_release=False,
        reservation_ttl=timedelta(minutes=45),
        early_cancellation_channels=frozenset(),
    )
    with build_app_container(settings) as container:
        assert container.bus.dependencies["options"] == wanted
        make_bus, _ = _pipeline(container)
        worker_bus = make_bus(container.uow_factory)
        assert worker_bus.dependencies["options"] == wanted
