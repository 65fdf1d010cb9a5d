"""Migration 0011 on both databases: returns get label columns, empty for the returns made
before, and the downgrade drops them. (Since 0015 the label itself is kept apart, in
`return_labels`: a return made before has none there either.)"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Engine, text

from engine.domain.fulfilment import Label
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps, json_value

MIGRATION = "return_labels"
LABEL_COLUMNS = {"carrier", "service", "tracking_number", "label_format", "label"}


def a_return_at_0010(engine: Engine) -> None:
    lines = json.dumps([{"order_line_id": "1", "sku": "SHOE-42", "quantity": 1, "reason": "",
                         "restock": True}])  # fmt: skip
    value = json_value(engine, ":lines")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO returns (id, order_id, status, rma, location_code, refund_amount, "
                f"lines, created_at) VALUES ('ret_1', 'ord_1', 'authorised', 'RMA-1', '', "
                f"'0.00', {value}, :created)"
            ),
            {"lines": lines, "created": datetime(2026, 11, 22)},
        )


def test_a_return_made_before_has_no_label_and_gets_one_after_upgrading(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert not LABEL_COLUMNS & columns_of(engine, "returns")
        a_return_at_0010(engine)

    migration.upgrade()

    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            found = uow.returns.get("ret_1")
            assert found is not None
            assert (found.carrier, found.service, found.tracking_number, found.label_format) == (
                "", "", "", ""
            )  # fmt: skip
            assert uow.labels.get("return", "ret_1") is None
            found.carrier, found.label_format = "PCL", "zpl"
            uow.labels.put("return", "ret_1", Label("zpl", b"^XA^XZ"))
            uow.commit()
        with uows() as uow:
            again = uow.returns.get("ret_1")
            assert again is not None and again.carrier == "PCL"
            assert uow.labels.get("return", "ret_1") == Label("zpl", b"^XA^XZ")


def test_downgrading_drops_the_label_columns_and_keeps_the_return(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        a_return_at_0010(engine)
    migration.upgrade()

    migration.downgrade()

    with migration.engine() as engine:
        assert not LABEL_COLUMNS & columns_of(engine, "returns")
        with engine.connect() as connection:
            rma = connection.execute(text("SELECT rma FROM returns WHERE id = 'ret_1'"))
            assert rma.scalar_one() == "RMA-1"
    migration.to_head()
