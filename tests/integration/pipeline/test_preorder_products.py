"""The SQL store's answer to "which products come out in this window", on SQLite and
PostgreSQL: the pre-order run's only read of the catalogue."""

from __future__ import annotations

from datetime import date

from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from tests.unit.pipeline.test_preorder_products import RELEASES, a_product


def test_the_store_lists_the_products_released_after_a_day_and_by_another(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with SqlAlchemyUnitOfWork(factory) as uow:
        for sku, release in RELEASES.items():
            uow.products.add(a_product(sku, release))
        uow.commit()
    with SqlAlchemyUnitOfWork(factory) as uow:
        found = uow.products.released_between(date(2026, 10, 16), date(2026, 12, 15))
        assert [(p.sku, p.preorder_release) for p in found] == [
            ("OUT", date(2026, 12, 1)),
            ("TODAY", date(2026, 12, 15)),
        ]
        assert uow.products.released_between(date(2026, 12, 15), date(2026, 12, 31))[0].sku == (
            "LATER"
        )
    engine.dispose()
