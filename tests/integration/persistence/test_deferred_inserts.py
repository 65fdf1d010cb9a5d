"""`driver.deferred_inserts`: on PostgreSQL the rows a commit adds wait for one statement at the
end of the block. They must arrive exactly as an immediate INSERT writes them, be seen by any
statement run before the block ends, and be refused with the caller's own error. On SQLite
the block changes nothing, and the same tests hold."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Engine,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError

from engine.adapters import driver
from engine.adapters.orm import Json, Money, UTCDateTime
from engine.domain.errors import Conflict
from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b

metadata = MetaData()
# One column of each kind the schema uses, in a table of the test's own.
every_type = Table(
    "deferred_insert_types",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("count", Integer),
    Column("ratio", Float),
    Column("amount", Money()),
    Column("at", UTCDateTime()),
    Column("naive_at", UTCDateTime()),
    Column("day", Date()),
    Column("detail", Json()),
    Column("blob", LargeBinary()),
    Column("flag", Boolean),
    Column("note", String(200)),
)


@pytest.fixture
def table(db_engine: Engine) -> Iterator[Table]:
    metadata.create_all(db_engine)
    yield every_type
    metadata.drop_all(db_engine)


def a_row(id: str) -> dict[str, Any]:
    return {
        "id": id,
        "count": -7,
        "ratio": 0.1,
        "amount": Decimal("1234.5678"),
        # Not UTC, and naive (taken as UTC): stored as the same instant either way.
        "at": datetime(2026, 3, 1, 23, 59, 59, 123456, tzinfo=timezone(timedelta(hours=-5))),
        "naive_at": datetime(2026, 3, 2, 4, 0, 0, 1),
        "day": date(2026, 2, 28),
        "detail": {
            "lines": [1, {"sku": "A"}],
            "none": None,
            "text": 'quote " and \\ ☃',
            "price": Decimal("12.50"),
            "skus": {"B", "A"},
        },
        "blob": b"^XA\x00\xff\x01^XZ",
        "flag": True,
        "note": 'Zoë\'s 🧦 "order"\n\ttabbed',
    }


def stored(engine: Engine, table: Table) -> dict[str, dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(table)).mappings()
        return {row["id"]: {k: v for k, v in row.items() if k != "id"} for row in rows}


def test_a_number_too_large_for_the_fast_encoder_still_arrives(
    db_engine: Engine, table: Table
) -> None:
    big = {**a_row("big"), "detail": {"units": 2**70}}
    with db_engine.begin() as connection, driver.deferred_inserts(connection):
        driver.insert_rows(connection, table, [big])

    assert stored(db_engine, table)["big"]["detail"] == {"units": 2**70}


def test_held_rows_arrive_as_an_immediate_insert_writes_them(
    db_engine: Engine, table: Table
) -> None:
    with db_engine.begin() as connection:
        driver.insert_rows(connection, table, [a_row("now")])
    with db_engine.begin() as connection, driver.deferred_inserts(connection):
        if connection.dialect.name == "postgresql":
            # A session zone that is not UTC, so a naive time the database read as local would
            # be stored as another instant.
            connection.exec_driver_sql("SET LOCAL TIME ZONE 'America/New_York'")
        driver.insert_rows(connection, table, [a_row("held-1"), a_row("held-2")])
        # A row leaving columns out: they are NULL, as in an INSERT that does not name them.
        driver.insert_rows(connection, table, [{"id": "held-sparse", "count": 1}])

    rows = stored(db_engine, table)
    assert rows["held-1"] == rows["now"] == rows["held-2"]
    assert rows["now"]["blob"] == b"^XA\x00\xff\x01^XZ"
    assert rows["now"]["at"] == datetime(2026, 3, 2, 4, 59, 59, 123456, tzinfo=UTC)
    assert rows["held-sparse"] == {**{k: None for k in rows["now"]}, "count": 1}


def test_a_statement_run_inside_the_block_sees_the_rows_held_before_it(
    db_engine: Engine, table: Table
) -> None:
    count = select(func.count()).select_from(table)
    with db_engine.begin() as connection, driver.deferred_inserts(connection):
        driver.insert_rows(connection, table, [a_row("first")])
        assert driver.fetch_all(count, connection) == [{"count_1": 1}]
        driver.insert_rows(connection, table, [a_row("second")])

    assert set(stored(db_engine, table)) == {"first", "second"}


class Refused(Exception):
    """The caller's own error for rows the database would not take."""


def test_rows_the_database_refuses_raise_the_callers_error_and_nothing_is_written(
    db_engine: Engine, table: Table
) -> None:
    with db_engine.begin() as connection:
        driver.insert_rows(connection, table, [a_row("taken")])

    def refuse(exc: IntegrityError) -> Refused:
        return Refused(f"refused: {exc.orig}")

    with (
        pytest.raises(Refused, match=r"refused: .*duplicate key|refused: UNIQUE constraint"),
        db_engine.begin() as connection,
        driver.deferred_inserts(connection),
    ):
        driver.insert_rows(connection, table, [a_row("new")])
        try:
            driver.insert_rows(connection, table, [a_row("taken")], refuse)
        except IntegrityError as exc:  # SQLite writes at once, so refuses at once
            raise refuse(exc) from None

    assert set(stored(db_engine, table)) == {"taken"}


def test_an_audit_entry_is_written_by_its_commit_and_forgotten_by_a_rollback(
    sql_uow_factory: UowFactory,
) -> None:
    with sql_uow_factory() as uow:
        uow.audit.append(b.an_audit_entry(id="AU-rolled-back"))
        uow.rollback()
        uow.audit.append(b.an_audit_entry(id="AU-kept"))
        # Read in its own transaction before the commit, the entry is there.
        assert [entry.id for entry in uow.audit.list()] == ["AU-kept"]
        uow.commit()

    with sql_uow_factory() as uow:
        assert [entry.id for entry in uow.audit.list()] == ["AU-kept"]


def test_a_new_line_of_a_changed_order_that_the_database_refuses_is_a_conflict_naming_the_order(
    sql_uow_factory: UowFactory,
) -> None:
    with sql_uow_factory() as uow:
        uow.orders.add(b.an_order())
        uow.commit()

    with sql_uow_factory() as uow:
        order = uow.orders.get("O-1")
        assert order is not None
        line = b.a_line(id="L3", sku="SKU-3")
        line.quantity = 0  # past the entity's own check, so that only the database refuses it
        order.lines.append(line)
        with pytest.raises(Conflict, match=r"cannot save order 'O-1'.*quantity_positive"):
            uow.commit()

    with sql_uow_factory() as uow:
        stored = uow.orders.get("O-1")
        assert stored is not None and [line.id for line in stored.lines] == ["L1", "L2"]
