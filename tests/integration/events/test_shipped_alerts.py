"""The shipped alert rulesets fire on the demo through the worker the composition root builds:
late shipments from the clock, low stock from a stock adjustment (SQLite, in-process bus)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from engine.adapters import orm
from engine.domain.commands import AdjustStock
from engine.service_layer.alerts import shipped_alert_programs
from engine.service_layer.inventory import adjust_stock
from ordo.bootstrap import build_app_container, build_workers
from ordo.demo import seed_demo
from ordo.settings import load_settings

RULESETS = Path(__file__).resolve().parents[3] / "rulesets"


def alerts(container: object) -> dict[str, list[str]]:
    engine = container.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        rows = connection.execute(select(orm.alerts.c.rule, orm.alerts.c.message)).all()
    found: dict[str, list[str]] = {}
    for rule, message in rows:
        found.setdefault(str(rule), []).append(str(message))
    return found


def test_the_shipped_alert_rulesets_compile_against_the_engine_schema() -> None:
    programs = shipped_alert_programs(RULESETS)
    assert {p.name for p in programs} >= {"stock_alerts", "shipment_alerts"}
    assert {p.event for p in programs} >= {"stock.adjusted", "shipment.late"}


def test_late_shipments_and_low_stock_on_the_demo_raise_the_shipped_alerts(
    sqlite_url: str, tmp_path: Path
) -> None:
    settings = load_settings(database_url=sqlite_url, data_dir=tmp_path, redis_url=None)
    with build_app_container(settings) as container:
        seed_demo(container.uow_factory, now=datetime.now(UTC))
        [worker] = build_workers(container, name="demo-worker")
        worker.config.block_ms = 0
        for _ in range(4):  # tick + evaluate, then record the triggers, then notify
            worker.run_once()
        late = alerts(container)
        assert "shipment_alerts/A shipment is two days late" in late

        with container.uow_factory() as uow:
            low = next(s for s in uow.stock.list(limit=10_000) if s.available >= 5)
        adjust_stock(
            AdjustStock(low.sku, low.location_code, -(low.available - 3), "cycle count"),
            container.uow_factory(),
        )
        for _ in range(3):
            worker.run_once()
        raised = alerts(container)["stock_alerts/Stock is nearly gone"]
        assert raised == [f"Only 3 of {low.sku} left at {low.location_code}"]
