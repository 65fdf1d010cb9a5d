"""Rows written as an older schema stores them, for tests that migrate data written before.

Today's table definitions (engine/adapters/orm.py) have the columns every migration added;
a test that downgrades, writes a row and upgrades again must write only the columns the
downgraded schema has, or the INSERT names a column the table does not have yet.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Connection, LargeBinary, MetaData, Table, inspect

from engine.adapters import orm


def insert_as_stored(connection: Connection, row: dict[str, Any]) -> tuple[Any, list[Any]]:
    """An INSERT of the shipment `row` (`translation.shipment_row`) as this schema has the
    shipments table: without the columns later migrations add, with the JSON `tracking`
    column it had before migration 0009, and with the `label` column it had before 0015 (an
    empty label: the row says it has none). Call `connection.execute(*insert_as_stored(...))`."""
    stored = [c["name"] for c in inspect(connection).get_columns("fulfillment_orders")]
    types = {c.name: c.type for c in orm.fulfillment_orders.c} | {
        "tracking": orm.Json(),
        "label": LargeBinary(),
    }
    table = Table("fulfillment_orders", MetaData(), *(Column(n, types[n]) for n in stored))
    values = {"label": b"", **row, "label_format": ""} if "label" in stored else row
    return table.insert(), [{name: value for name, value in values.items() if name in stored}]
