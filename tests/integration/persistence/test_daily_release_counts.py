"""Each location's shipments released per day are counted as they are written (the daily
capacity reads the count, not the day's shipments): the count follows inserts, releases and
rollbacks on the fake, SQLite and PostgreSQL, stays exact under concurrent orders, and the
migration that introduced it counted the shipments already stored."""

from __future__ import annotations

import threading
from datetime import date

from engine.adapters import migrations
from engine.adapters import translation as tr
from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.fulfilment import ShipmentStatus
from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b
from tests.support.stored_rows import insert_as_stored

DAY = b.T0.date()


# The shipments' table as migration 0006 left it: tracking events were still a JSON column
# (migration 0009 moved them to rows of their own).
def store_a_released_shipment(uow_factory: UowFactory) -> None:
    """F-1, released from DAL-01 on DAY, committed."""
    with uow_factory() as uow:
        uow.shipments.add(b.a_shipment(id="F-1", status=ShipmentStatus.RELEASED))
        uow.commit()


def test_a_pending_shipment_counts_once_it_is_released(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.shipments.add(b.a_shipment(id="F-1", status=ShipmentStatus.PENDING))
        uow.shipments.add(b.a_shipment(id="F-2", status=ShipmentStatus.RELEASED))
        uow.commit()
    with uow_factory() as uow:
        assert uow.shipments.count_released_on("DAL-01", DAY) == 1
        pending = uow.shipments.get("F-1")
        assert pending is not None
        pending.move(ShipmentStatus.RELEASED, b.at(10))
        uow.commit()
    with uow_factory() as uow:
        assert uow.shipments.count_released_on("DAL-01", DAY) == 2
        assert uow.shipments.count_released_on("DAL-01", date(2026, 3, 1)) == 0


def test_a_transaction_counts_its_own_shipments_before_it_commits(
    uow_factory: UowFactory,
) -> None:
    store_a_released_shipment(uow_factory)
    with uow_factory() as uow:
        uow.shipments.add(b.a_shipment(id="F-2", status=ShipmentStatus.RELEASED))
        uow.shipments.add(b.a_shipment(id="F-3", location_code="RNO-02"))
        counts = uow.shipments.count_released_on_many(["DAL-01", "RNO-02", "EWR-03"], DAY)
        assert counts == {"DAL-01": 2, "RNO-02": 1, "EWR-03": 0}
        uow.commit()
    with uow_factory() as uow:
        assert uow.shipments.count_released_on_many(["DAL-01", "RNO-02"], DAY) == {
            "DAL-01": 2,
            "RNO-02": 1,
        }


def test_a_rolled_back_transaction_leaves_the_counts_as_they_were(
    uow_factory: UowFactory,
) -> None:
    store_a_released_shipment(uow_factory)
    with uow_factory() as uow:
        uow.shipments.add(b.a_shipment(id="F-2", status=ShipmentStatus.RELEASED))
        assert uow.shipments.count_released_on("DAL-01", DAY) == 2
        uow.rollback()
    with uow_factory() as uow:
        assert uow.shipments.count_released_on("DAL-01", DAY) == 1


def test_concurrent_orders_from_one_location_count_every_shipment(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    session_factory = make_session_factory(engine)
    writers, each = 8, 25
    failures: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(writer: int) -> None:
        try:
            start.wait()
            for n in range(each):
                with SqlAlchemyUnitOfWork(session_factory) as uow:
                    uow.shipments.add(
                        b.a_shipment(id=f"F-{writer}-{n}", status=ShipmentStatus.RELEASED)
                    )
                    uow.commit()
        except BaseException as error:  # reported below, with the count
            failures.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert failures == []
        with SqlAlchemyUnitOfWork(session_factory) as uow:
            assert uow.shipments.count_released_on("DAL-01", DAY) == writers * each
    finally:
        engine.dispose()


def test_the_migration_counts_the_shipments_stored_before_it(database_url: str) -> None:
    migrations.downgrade(database_url, "0006")
    engine = make_engine(database_url)
    try:
        shipments = [
            b.a_shipment(id="F-1", status=ShipmentStatus.RELEASED),
            b.a_shipment(id="F-2", status=ShipmentStatus.SHIPPED),
            b.a_shipment(id="F-3", status=ShipmentStatus.PENDING),
            b.a_shipment(id="F-4", status=ShipmentStatus.CANCELLED),
            b.a_shipment(id="F-5", location_code="RNO-02", created_at=b.at(60 * 24)),
            # 23:59:15 UTC: the day is UTC's whatever the database session's time zone
            b.a_shipment(id="F-6", created_at=b.at(9 * 60 + 29)),
        ]
        with engine.begin() as connection:
            for shipment in shipments:
                connection.execute(*insert_as_stored(connection, tr.shipment_row(shipment)))
        migrations.upgrade(database_url)
        with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
            assert uow.shipments.count_released_on("DAL-01", DAY) == 3
            assert uow.shipments.count_released_on("RNO-02", DAY) == 0
            assert uow.shipments.count_released_on("RNO-02", date(2026, 3, 3)) == 1
    finally:
        engine.dispose()
