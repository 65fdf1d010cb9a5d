"""Ordo's PostgreSQL sessions price a page read out of order as data in memory costs it.

With PostgreSQL's default (a spinning disk's 4), a stock table of a few hundred rows is
scanned whole for an order's five SKUs, every row compared with every SKU; with Ordo's
setting it is probed by its primary key, as a large one always is.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from tests.support import builders as b
from tests.support.engines import an_engine, uow_factory_on


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    with an_engine(postgres_url) as engine:
        yield engine


def _plan_of_a_five_sku_stock_read(engine: Engine) -> str:
    """The bench's shape: 200 SKUs at 3 locations, analysed, five SKUs read."""
    with uow_factory_on(engine)() as uow:
        for n in range(3):
            uow.locations.add(b.a_location(code=f"LOC-{n}"))
        for s in range(200):
            for n in range(3):
                uow.stock.add(b.a_stock(sku=f"SKU-{s}", location_code=f"LOC-{n}"))
        uow.commit()
    with engine.begin() as connection:
        connection.execute(text("ANALYZE stock"))
        rows = connection.execute(
            text(
                "EXPLAIN SELECT * FROM stock "
                "WHERE sku IN ('SKU-1', 'SKU-50', 'SKU-99', 'SKU-150', 'SKU-199')"
            )
        )
        return "\n".join(str(row[0]) for row in rows)


def test_ordo_sessions_run_with_random_page_cost_for_data_in_memory(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("SHOW random_page_cost")).scalar_one() == "1.1"


def test_a_few_hundred_stock_rows_are_read_by_primary_key_not_scanned(engine: Engine) -> None:
    plan = _plan_of_a_five_sku_stock_read(engine)
    # An index scan, or a bitmap of the index's matches when the rows span more pages (the
    # table grew a column in 0041): either way the primary key finds them, no row is compared.
    assert "pk_stock" in plan and "Seq Scan" not in plan


def test_with_the_servers_default_the_same_read_scans_the_table(postgres_url: str) -> None:
    """The control: what the setting changes (if this fails, the server's own default is
    already low enough and the setting no longer matters here)."""
    with an_engine(postgres_url + "?options=-c%20random_page_cost%3D4") as engine:
        assert "Seq Scan on stock" in _plan_of_a_five_sku_stock_read(engine)
