"""`driver.fetch_all` reads on the DBAPI cursor exactly what SQLAlchemy's `execute` reads:
the same rows, the same Python values (JSON, times, decimals), for any length of IN list."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import Engine, bindparam, insert, select, tuple_

from engine.adapters import driver, orm

BY_CODES = select(orm.locations).where(orm.locations.c.code.in_(bindparam("codes", expanding=True)))
# A list of tuples, and values of the statement's own (a comparison, a LIMIT).
BY_KEYS = (
    select(orm.locations.c.code)
    .where(
        tuple_(orm.locations.c.code, orm.locations.c.type).in_(bindparam("keys", expanding=True)),
        orm.locations.c.daily_capacity > 100,
    )
    .order_by(orm.locations.c.code)
    .limit(3)
)
PRODUCTS = select(orm.products).order_by(orm.products.c.sku)
TRACES = select(orm.decision_traces).order_by(orm.decision_traces.c.id)


def seed(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(orm.locations),
            [
                {
                    "code": f"L{n}",
                    "name": f"Location {n} ünïcode",
                    "type": "warehouse",
                    "address": {"postal_code": f"1000{n}", "country": "US"},
                    "daily_capacity": 100 + n,
                    "cutoff": time(15, n),
                    "tags": ["north", n],
                    "services": [],
                    "enabled": n % 2 == 0,
                }
                for n in range(4)
            ],
        )
        connection.execute(
            insert(orm.products),
            [
                {
                    "sku": "P1",
                    "name": "Boot",
                    "price": Decimal("12.50"),
                    "weight_kg": 0.75,
                    "dimensions": {"length_cm": 30.0},
                    "hazmat": False,
                    "category": "shoes",
                    "tags": [],
                    "attributes": {"colour": "brown"},
                    "preorder_release": date(2026, 4, 1),
                    "kit_components": [],
                }
            ],
        )
        connection.execute(
            insert(orm.decision_traces),
            [
                {
                    "id": "t1",
                    "order_id": "o1",
                    "step": "sourcing",
                    "ruleset": "routing",
                    "ruleset_version": 3,
                    "outcome": "released",
                    "detail": {"lines": {"1": ["L0"]}},
                    "at": datetime(2026, 3, 1, 12, 30, tzinfo=UTC),
                }
            ],
        )


def test_reads_match_sqlalchemys_for_every_in_list_length(db_engine: Engine) -> None:
    seed(db_engine)
    with db_engine.connect() as connection:
        for codes in (["L0"], ["L1", "L3"], ["L0", "L1", "L2", "L3", "missing"], ["L2"]):
            expected = [dict(r) for r in connection.execute(BY_CODES, {"codes": codes}).mappings()]
            got = driver.fetch_all(BY_CODES, connection, {"codes": codes})
            assert sorted(got, key=lambda r: r["code"]) == sorted(expected, key=lambda r: r["code"])
            assert len(got) == len([c for c in codes if c != "missing"])


def test_a_statement_rendered_for_one_shape_reads_each_calls_own_values(
    db_engine: Engine,
) -> None:
    seed(db_engine)
    calls = [
        [("L0", "warehouse"), ("L1", "warehouse")],
        [("L2", "warehouse"), ("L3", "store")],  # the same shape, other values
        [("L1", "warehouse"), ("L2", "warehouse"), ("L3", "warehouse"), ("L0", "warehouse")],
        [("L3", "warehouse"), ("L1", "warehouse")],
    ]
    with db_engine.connect() as connection:
        for keys in calls:
            expected = [dict(r) for r in connection.execute(BY_KEYS, {"keys": keys}).mappings()]
            assert driver.fetch_all(BY_KEYS, connection, {"keys": keys}) == expected
        # L0 has the smallest capacity (100), so the statement's own condition leaves it out;
        # four matching codes, and its own LIMIT keeps three.
        assert driver.fetch_all(BY_KEYS, connection, {"keys": calls[2]}) == [
            {"code": "L1"},
            {"code": "L2"},
            {"code": "L3"},
        ]


def test_values_come_back_as_the_column_types_give_them(db_engine: Engine) -> None:
    seed(db_engine)
    with db_engine.connect() as connection:
        for statement in (PRODUCTS, TRACES):
            expected = [dict(r) for r in connection.execute(statement).mappings()]
            got = driver.fetch_all(statement, connection)
            assert got == expected
            assert [type(v) for row in got for v in row.values()] == [
                type(v) for row in expected for v in row.values()
            ]
        (trace,) = driver.fetch_all(TRACES, connection)
        assert trace["detail"] == {"lines": {"1": ["L0"]}}
        assert trace["at"] == datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
        (product,) = driver.fetch_all(PRODUCTS, connection)
        assert product["price"] == Decimal("12.50")
        assert product["preorder_release"] == date(2026, 4, 1)
