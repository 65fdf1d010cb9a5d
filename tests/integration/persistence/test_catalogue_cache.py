"""The catalogue cache: products and locations kept per process, never staler than a read.

Each session factory stands for one process here: a second factory on its own engine is
another API process. What one process, or anyone outside Ordo, changes is what the next
transaction of every other process reads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, text

from engine.adapters import driver
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork
from tests.support import builders as b
from tests.support.engines import an_engine, uow_factory_on

UowFactory = Callable[[], SqlAlchemyUnitOfWork]


@pytest.fixture
def other_engine(database_url: str) -> Iterator[Engine]:
    with an_engine(database_url) as engine:
        yield engine


@pytest.fixture
def process(sql_uow_factory: UowFactory) -> UowFactory:
    """This process: the persistence tests' own factory (conftest)."""
    return sql_uow_factory


@pytest.fixture
def other_process(other_engine: Engine) -> UowFactory:
    return uow_factory_on(other_engine)


@pytest.fixture
def catalogue_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tables of every SELECT of products or locations run from now on."""
    seen: list[str] = []
    fetch = driver.fetch_all

    def spying(statement: Any, connection: Any, params: Any = None) -> Any:
        tables = {table.name for table in statement.get_final_froms()}
        seen.extend(sorted(tables & {"products", "locations"}))
        return fetch(statement, connection, params)

    monkeypatch.setattr(driver, "fetch_all", spying)
    return seen


def _catalogue(factory: UowFactory) -> None:
    with factory() as uow:
        uow.products.add(b.a_product(sku="SKU-1", price=Decimal("10.00"), kit_components={}))
        uow.products.add(b.a_product(sku="SKU-2", price=Decimal("20.00"), kit_components={}))
        uow.locations.add(b.a_location(code="DAL-01", enabled=True))
        uow.commit()


def _price(factory: UowFactory, sku: str) -> Decimal | None:
    with factory() as uow:
        found = uow.products.read_many([sku]).get(sku)
        return None if found is None else found.price


def test_a_later_transaction_reads_the_catalogue_from_the_process_not_the_tables(
    process: UowFactory, catalogue_reads: list[str]
) -> None:
    _catalogue(process)
    with process() as uow:
        uow.products.read_many(["SKU-1", "SKU-2"])
        uow.locations.read_many(["DAL-01"])
    catalogue_reads.clear()

    with process() as uow:
        products = uow.products.read_many(["SKU-2", "SKU-1"])
        locations = uow.locations.read_many(["DAL-01"])

    assert catalogue_reads == []
    assert {sku: p.price for sku, p in products.items()} == {
        "SKU-2": Decimal("20.00"),
        "SKU-1": Decimal("10.00"),
    }
    assert list(locations) == ["DAL-01"]


def test_a_key_the_process_has_not_kept_is_read_and_kept(
    process: UowFactory, catalogue_reads: list[str]
) -> None:
    _catalogue(process)
    assert _price(process, "SKU-1") == Decimal("10.00")
    catalogue_reads.clear()

    assert _price(process, "SKU-2") == Decimal("20.00")
    assert catalogue_reads == ["products"]
    assert _price(process, "SKU-2") == Decimal("20.00")
    assert catalogue_reads == ["products"]


def test_a_change_another_process_commits_is_read_by_the_next_transaction(
    process: UowFactory, other_process: UowFactory
) -> None:
    _catalogue(process)
    assert _price(process, "SKU-1") == Decimal("10.00")

    with other_process() as uow:
        product = uow.products.get("SKU-1")
        assert product is not None
        product.price = Decimal("12.00")
        uow.commit()

    assert _price(process, "SKU-1") == Decimal("12.00")


def test_a_location_changed_outside_ordo_is_read_by_the_next_transaction(
    process: UowFactory, other_engine: Engine
) -> None:
    _catalogue(process)
    with process() as uow:
        assert uow.locations.read_many(["DAL-01"])["DAL-01"].enabled is True

    with other_engine.begin() as connection:  # someone at psql
        connection.execute(text("UPDATE locations SET enabled = false WHERE code = 'DAL-01'"))

    with process() as uow:
        assert uow.locations.read_many(["DAL-01"])["DAL-01"].enabled is False


def test_what_a_transaction_wrote_and_rolled_back_is_never_kept(process: UowFactory) -> None:
    _catalogue(process)
    with process() as uow:
        uow.products.add(b.a_product(sku="SKU-3", price=Decimal("30.00"), kit_components={}))
        product = uow.products.get("SKU-1")
        assert product is not None
        product.price = Decimal("99.00")
        uow.products.flush()
        assert uow.products.read_many(["SKU-3"])["SKU-3"].price == Decimal("30.00")
        assert uow.products.read_many(["SKU-2"])["SKU-2"].price == Decimal("20.00")
        # leaving without commit rolls back

    assert _price(process, "SKU-3") is None
    assert _price(process, "SKU-1") == Decimal("10.00")


def test_two_transactions_writing_products_and_locations_in_turn_do_not_deadlock(
    postgres_url: str,
) -> None:
    """Each write raises the catalogue's number, whose row the triggers lock after the rows
    they wrote: one transaction holding a product and another a location would each wait
    for the other. Ordo's writers lock the number first, so the second simply waits."""
    with an_engine(postgres_url) as engine:
        factory = uow_factory_on(engine)
        _catalogue(factory)
        first_wrote = threading.Event()
        errors: list[BaseException] = []

        def first() -> None:
            with factory() as uow:
                product = uow.products.get("SKU-1")
                assert product is not None
                product.price = Decimal("11.00")
                uow.products.flush()
                first_wrote.set()
                time.sleep(0.5)  # the second is now writing the location
                location = uow.locations.get("DAL-01")
                assert location is not None
                location.daily_capacity = 500
                uow.commit()

        def second() -> None:
            first_wrote.wait(5)
            with factory() as uow:
                location = uow.locations.get("DAL-01")
                assert location is not None
                location.daily_capacity = 600
                uow.locations.flush()
                product = uow.products.get("SKU-1")
                assert product is not None
                product.price = Decimal("12.00")
                uow.commit()

        def guarded(run: Callable[[], None]) -> Callable[[], None]:
            def go() -> None:
                try:
                    run()
                except BaseException as error:  # reported by the assertion below
                    errors.append(error)

            return go

        threads = [threading.Thread(target=guarded(run)) for run in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

        assert errors == []
        with factory() as uow:
            assert uow.locations.read_many(["DAL-01"])["DAL-01"].daily_capacity == 600
            assert uow.products.read_many(["SKU-1"])["SKU-1"].price == Decimal("12.00")
