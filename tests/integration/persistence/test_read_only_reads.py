"""Reads for reading only (`read_many`): the catalogue and network an order is decided against.

Every store answers them as `get_many` would, with what this transaction has done included;
the database stores build the entities without holding them for change tracking, so there
is nothing to compare at commit.
"""

from __future__ import annotations

from decimal import Decimal

from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b


def _catalogue(factory: UowFactory) -> None:
    with factory() as uow:
        uow.products.add(b.a_product(sku="SKU-1", price=Decimal("10.00")))
        uow.products.add(b.a_product(sku="SKU-2", price=Decimal("20.00")))
        uow.locations.add(b.a_location(code="DAL-01"))
        uow.commit()


def test_reading_to_read_only_finds_what_get_many_finds(uow_factory: UowFactory) -> None:
    _catalogue(uow_factory)
    with uow_factory() as uow:
        read = uow.products.read_many(["SKU-2", "SKU-9", "SKU-1"])
        got = uow.products.get_many(["SKU-2", "SKU-9", "SKU-1"])

        assert list(read) == list(got) == ["SKU-2", "SKU-1"]
        assert [p.price for p in read.values()] == [Decimal("20.00"), Decimal("10.00")]
        assert list(uow.locations.read_many(["DAL-01"])) == ["DAL-01"]


def test_reading_to_read_only_sees_what_this_transaction_added_or_changed(
    uow_factory: UowFactory,
) -> None:
    _catalogue(uow_factory)
    with uow_factory() as uow:
        changed = uow.products.get("SKU-1")
        assert changed is not None
        changed.price = Decimal("11.00")  # not yet written
        uow.products.add(b.a_product(sku="SKU-3", price=Decimal("30.00")))

        read = uow.products.read_many(["SKU-1", "SKU-3"])

        assert {sku: p.price for sku, p in read.items()} == {
            "SKU-1": Decimal("11.00"),
            "SKU-3": Decimal("30.00"),
        }


def test_a_database_store_reads_an_entity_once_per_transaction_and_saves_nothing_of_it(
    sql_uow_factory: UowFactory,
) -> None:
    _catalogue(sql_uow_factory)
    with sql_uow_factory() as uow:
        first = uow.products.read_many(["SKU-1"])["SKU-1"]
        again = uow.products.read_many(["SKU-2", "SKU-1"])

        assert again["SKU-1"] is first
        first.price = Decimal("99.00")  # read only: not tracked, not written
        uow.commit()

    with sql_uow_factory() as uow:
        stored = uow.products.get("SKU-1")
        assert stored is not None
        assert stored.price == Decimal("10.00")
