"""When stock rows and returns last changed, and `ordo erp backfill`'s keys from it, on both
databases: every write of a stock row stamps it (the stock moves' prepared statements, a
count's, an insert held back to the commit), every save of a return does; `changed_keys`
pages through the keys in primary-key order after the last key given, and `since` a day keeps
what changed then and what has no time of change."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, Table, select, update

from engine.adapters import driver, orm
from engine.adapters.erp_backfill_keys import changed_keys
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork
from engine.domain.operations import AuditEntry
from engine.service_layer.erp_backfill import Key
from tests.support import builders as b
from tests.support.engines import an_engine, uow_factory_on

LONG_AGO = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SINCE = datetime(2026, 3, 10, tzinfo=UTC)
SKUS = ("ADJUST", "ALL-1", "ALL-2", "CONSUME", "COUNT", "RELEASE", "RESERVE", "SAVE")

Uows = Callable[[], SqlAlchemyUnitOfWork]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with an_engine(database_url) as found:
        yield found


def set_changed(engine: Engine, table: Table, at: datetime | None) -> None:
    with engine.begin() as connection:
        connection.execute(update(table).values(updated_at=at))


def changed_at(engine: Engine, table: Table) -> dict[object, datetime | None]:
    key = list(table.primary_key)
    with engine.connect() as connection:
        rows = connection.execute(select(*key, table.c.updated_at))
        return {row[0] if len(key) == 1 else tuple(row[:-1]): row[-1] for row in rows}


def test_every_write_of_a_stock_row_stamps_when_it_changed(engine: Engine) -> None:
    uows = uow_factory_on(engine)
    with uows() as uow:
        for sku in SKUS:
            uow.stock.add(b.a_stock(sku=sku, location_code="DAL-01"))
        uow.commit()
    set_changed(engine, orm.stock, LONG_AGO)
    started = datetime.now(UTC) - timedelta(seconds=5)  # the database's clock, not ours

    with uows() as uow:
        with driver.deferred_inserts(uow.stock.connection()):  # PostgreSQL's commit, as orders'
            uow.stock.add(b.a_stock(sku="NEW", location_code="DAL-01"))
            uow.stock.flush()
        uow.stock.adjust("ADJUST", "DAL-01", 3)
        uow.stock.adjust("RECEIVED", "DAL-01", 3)  # a receipt making the row
        assert uow.stock.reserve_all([("ALL-1", "DAL-01", 1), ("ALL-2", "DAL-01", 1)], None)
        uow.stock.consume("CONSUME", "DAL-01", 1)
        uow.stock.release("RELEASE", "DAL-01", 1)
        assert uow.stock.reserve("RESERVE", "DAL-01", 1, "web") is not None
        uow.stock.set_counts("DAL-01", {"COUNT": 50, "COUNTED-NEW": 4})
        saved = uow.stock.get(("SAVE", "DAL-01"))
        assert saved is not None
        saved.safety_stock = 1
        uow.commit()

    stamped = changed_at(engine, orm.stock)
    late = {key: at for key, at in stamped.items() if at is None or at < started}
    assert late == {}, "rows written but not stamped"
    assert len(stamped) == len(SKUS) + 3


def test_every_save_of_a_return_stamps_when_it_changed(engine: Engine) -> None:
    uows = uow_factory_on(engine)
    with uows() as uow:
        uow.returns.add(b.a_return(id="RT-1"))
        uow.returns.add(b.a_return(id="RT-2"))
        uow.commit()
    made = changed_at(engine, orm.returns)
    assert all(at is not None and at > LONG_AGO for at in made.values())
    set_changed(engine, orm.returns, LONG_AGO)

    with uows() as uow:
        received = uow.returns.get("RT-1")
        assert received is not None
        received.location_code = "RNO-02"
        uow.commit()

    stamped = changed_at(engine, orm.returns)
    assert stamped["RT-2"] == LONG_AGO
    assert stamped["RT-1"] is not None and stamped["RT-1"] > LONG_AGO


def seeded(engine: Engine) -> Uows:
    """Stock at two locations and three returns, changed long ago, lately and at an unknown
    time; three customers, one written lately and one with an order saved lately."""
    uows = uow_factory_on(engine)
    with uows() as uow:
        for sku in ("A", "B"):
            for code in ("DAL-01", "RNO-02"):
                uow.stock.add(b.a_stock(sku=sku, location_code=code))
        for n in (1, 2, 3):
            uow.returns.add(b.a_return(id=f"RT-{n}"))
            uow.customers.add(b.a_customer(id=f"C-{n}"))
            uow.orders.add(b.an_order(id=f"O-{n}", channel_order_id=f"W-{n}", customer_id=f"C-{n}"))
        uow.audit.append(AuditEntry("AU-1", SINCE, "admin", "customer.put", "customer", "C-1"))
        uow.commit()
    s, r, o = orm.stock.c, orm.returns.c, orm.orders.c
    with engine.begin() as connection:
        connection.execute(update(orm.stock).values(updated_at=LONG_AGO))
        connection.execute(update(orm.stock).where(s.sku == "A").values(updated_at=None))
        connection.execute(
            update(orm.stock)
            .where(s.sku == "B", s.location_code == "RNO-02")
            .values(updated_at=SINCE + timedelta(hours=1))
        )
        for id, at in (("RT-1", None), ("RT-2", LONG_AGO), ("RT-3", SINCE)):
            connection.execute(update(orm.returns).where(r.id == id).values(updated_at=at))
        connection.execute(update(orm.orders).values(updated_at=LONG_AGO))
        connection.execute(update(orm.orders).where(o.id == "O-3").values(updated_at=SINCE))
    return uows


def walked(uows: Uows, kind: str, since: datetime | None, limit: int) -> list[list[Key]]:
    """Every page of `kind`'s keys, each asked after the last key of the page before."""
    pages: list[list[Key]] = []
    with uows() as uow:
        while True:
            after = pages[-1][-1] if pages else None
            page = list(changed_keys.page(uow, kind, since, after, limit))
            if not page:
                return pages
            pages.append(page)


def test_the_keys_are_paged_in_primary_key_order_after_the_last_key_given(
    engine: Engine,
) -> None:
    uows = seeded(engine)

    assert walked(uows, "stock", None, 3) == [
        [("A", "DAL-01"), ("A", "RNO-02"), ("B", "DAL-01")],
        [("B", "RNO-02")],
    ]
    assert walked(uows, "returns", None, 2) == [["RT-1", "RT-2"], ["RT-3"]]
    assert walked(uows, "customers", None, 5) == [["C-1", "C-2", "C-3"]]
    with uows() as uow:
        assert [changed_keys.count(uow, kind, None) for kind in ("stock", "returns")] == [4, 3]


def test_since_a_day_keeps_what_changed_then_and_what_has_no_time_of_change(
    engine: Engine,
) -> None:
    uows = seeded(engine)

    # A at both locations has no time (unknown); B at RNO-02 changed after; B at DAL-01 before.
    assert walked(uows, "stock", SINCE, 2) == [
        [("A", "DAL-01"), ("A", "RNO-02")],
        [("B", "RNO-02")],
    ]
    assert walked(uows, "returns", SINCE, 1) == [["RT-1"], ["RT-3"]]
    # C-1's record was written then, C-3's order saved then.
    assert walked(uows, "customers", SINCE, 1) == [["C-1"], ["C-3"]]
    assert walked(uows, "orders", SINCE, 5) == [["O-3"]]
    with uows() as uow:
        counts = [
            changed_keys.count(uow, kind, SINCE) for kind in ("stock", "returns", "customers")
        ]
        assert counts == [3, 2, 2]


def test_a_resumed_walk_counts_and_pages_only_the_keys_after_the_one_given(
    engine: Engine,
) -> None:
    uows = seeded(engine)

    with uows() as uow:
        assert changed_keys.count(uow, "stock", None, ("A", "RNO-02")) == 2
        assert changed_keys.page(uow, "stock", None, ("A", "RNO-02"), 5) == [
            ("B", "DAL-01"),
            ("B", "RNO-02"),
        ]
        # A key that is not (or no longer) there starts the walk where it would stand.
        assert changed_keys.count(uow, "returns", None, "RT-15") == 2
        assert changed_keys.count(uow, "returns", SINCE, "RT-1") == 1
        assert changed_keys.count(uow, "customers", SINCE, "C-1") == 1
