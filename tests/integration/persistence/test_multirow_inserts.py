"""`driver.insert_rows` writes many rows as multi-row INSERTs: every row arrives whole, typed
as the column (JSON, times), whatever the number of rows and the columns each row gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from engine.adapters import driver, orm


def outbox_rows(count: int, start: int = 0) -> list[dict[str, object]]:
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    return [
        {
            "name": "order.received",
            # A JSON list too: PostgreSQL gets one array per column, and a list there must stay
            # one JSON value, not become another dimension of the array.
            "payload": {"order_id": f"o-{n}", "lines": [n, n + 1], "note": None}
            if n % 2
            else [n, {"order_id": f"o-{n}"}, []],
            "partition_key": f"o-{n}",
            "created_at": at + timedelta(seconds=n),
            "published_at": None,
        }
        for n in range(start, start + count)
    ]


def test_more_rows_than_one_statement_takes_all_arrive_typed_and_in_order(
    db_engine: Engine,
) -> None:
    rows = outbox_rows(driver.ROWS_PER_INSERT * 2 + 7)
    with db_engine.begin() as connection:
        driver.insert_rows(connection, orm.outbox, rows)
    with db_engine.connect() as connection:
        stored = connection.execute(
            select(
                orm.outbox.c.payload, orm.outbox.c.partition_key, orm.outbox.c.created_at
            ).order_by(orm.outbox.c.id)
        ).all()
    assert [row.partition_key for row in stored] == [row["partition_key"] for row in rows]
    assert [row.payload for row in stored] == [row["payload"] for row in rows]
    assert [row.created_at for row in stored] == [row["created_at"] for row in rows]


def test_rows_giving_different_columns_are_inserted_with_their_own_columns(
    db_engine: Engine,
) -> None:
    published = datetime(2026, 3, 2, tzinfo=UTC)
    rows = outbox_rows(3)
    rows[1]["published_at"] = published
    del rows[2]["published_at"]  # a row that leaves a nullable column to its default
    with db_engine.begin() as connection:
        driver.insert_rows(connection, orm.outbox, rows)
        driver.insert_rows(connection, orm.outbox, outbox_rows(1, start=3))  # a lone row
    with db_engine.connect() as connection:
        stored = connection.execute(
            select(orm.outbox.c.partition_key, orm.outbox.c.published_at).order_by(
                orm.outbox.c.partition_key
            )
        ).all()
    assert [(row.partition_key, row.published_at) for row in stored] == [
        ("o-0", None),
        ("o-1", published),
        ("o-2", None),
        ("o-3", None),
    ]
