"""`ordo worker` (which `ordo up` starts beside the API) is assembled with a janitor that
deletes the API's idempotency records after ORDO_IDEMPOTENCY_RETENTION_HOURS."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from engine.adapters.migrations import upgrade
from engine.adapters.orm_api import SqlIdempotencyStore
from engine.domain.access import IdempotencyRecord
from engine.domain.values import utcnow
from engine.worker import Janitor
from ordo.bootstrap import build_app_container, build_workers
from ordo.settings import load_settings


def test_the_workers_janitor_deletes_answers_older_than_the_configured_retention(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'ordo.sqlite3'}"
    upgrade(url)
    settings = load_settings(database_url=url, idempotency_retention_hours=24)
    now = utcnow()
    with build_app_container(settings) as container:
        answers = SqlIdempotencyStore(container.session_factory)
        for key, age in (("two-days", timedelta(hours=48)), ("an-hour", timedelta(hours=1))):
            answers.insert(IdempotencyRecord(key, "k-web", "0" * 64, now - age))
            answers.complete("k-web", key, 201, {"email": "ann@example.com"}, now - age)
        (worker,) = build_workers(container, name="w")
        (janitor,) = [t for t in worker.tickers if isinstance(t, Janitor)]

        janitor.tick(now)

        assert answers.get("k-web", "two-days") is None
        assert answers.get("k-web", "an-hour") is not None
    assert janitor.idempotency_retention == timedelta(hours=24)
