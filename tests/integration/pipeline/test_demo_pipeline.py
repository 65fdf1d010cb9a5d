"""The demo's live orders go through the real pipeline: several split, each with its trace."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.orders import OrderStatus
from ordo.demo import seed_demo

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


def test_the_live_demo_splits_orders_across_locations_and_says_why(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    summary = seed_demo(uow_factory, today=NOW.date(), now=NOW, live=True)
    assert any(name.startswith("pipeline: ") for name in summary.added)
    with uow_factory() as uow:
        assert {v.name for v in uow.rulesets.published()} >= {"routing", "order_validation"}
        assert not uow.orders.search(status=OrderStatus.RECEIVED, limit=10)
        split = []
        for order in uow.orders.list(limit=1000):
            if not order.channel_order_id.startswith("SPLIT-"):
                continue
            shipments = uow.shipments.for_order(order.id)
            if len({s.location_code for s in shipments}) >= 2:
                split.append(order)
                traces = {t.step: t for t in uow.traces.for_order(order.id)}
                assert {"validation", "sourcing", "carrier"} <= set(traces)
                sourcing = traces["sourcing"].detail
                assert sourcing["sourcing"]["rulesets"][0]["ruleset"] == "routing"
                assert sourcing["optimiser"]["cost"] > 0
                for line in sourcing["sourcing"]["lines"].values():
                    assert line["candidates"] or line["excluded"]
                assert all(s.carrier for s in shipments)
    engine.dispose()
    assert len(split) >= 3
