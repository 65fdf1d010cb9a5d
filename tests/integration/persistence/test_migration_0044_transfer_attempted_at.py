"""The migration that keeps on a transfer that its transfer order's send to a WMS was
attempted, on both databases: a transfer stored before, neither received nor sent (no
reference), may have been attempted, so it keeps being looked up at the WMS when cancelled;
one sent, one received and a purchase order were not; the downgrade drops the column and
keeps the transfers."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text

from engine.domain.inventory import InboundKind, InboundSupply
from tests.support.migration_steps import MigrationSteps

MIGRATION = "transfer_attempted_at"
AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
# id: (kind, wms reference, received, cancelled), as stored before the migration.
STORED = {
    "trf_lost": ("transfer", "", False, True),
    "trf_on_its_way": ("transfer", "", False, False),
    "trf_sent": ("transfer", "TO-7", False, True),
    "trf_received": ("transfer", "", True, False),
    "po_1": ("purchase_order", "", False, False),
}


def test_transfers_neither_received_nor_sent_before_count_as_attempted(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine, engine.begin() as connection:
        for id, (kind, reference, received, cancelled) in STORED.items():
            connection.execute(
                text(
                    "INSERT INTO inbound_supply (id, sku, location_code, quantity, expected_on, "
                    "kind, reference, received, cancelled, wms_reference) VALUES (:id, 'MUG', "
                    "'NYC-5', 2, '2026-12-03', :kind, 'from NJ', :received, :cancelled, :ref)"
                ),
                {"id": id, "kind": kind, "received": received, "cancelled": cancelled,
                 "ref": reference},
            )  # fmt: skip
    before = datetime.now(UTC)

    migration.upgrade()

    with migration.uows() as uows, uows() as uow:
        attempted = {id: found.wms_attempted_at for id in STORED if (found := uow.inbound.get(id))}
    assert set(attempted) == set(STORED)
    assert {id for id, at in attempted.items() if at is not None} == {
        "trf_lost",
        "trf_on_its_way",
    }
    lost = attempted["trf_lost"]
    assert lost is not None and lost >= before.replace(microsecond=0)  # the upgrade's moment


def test_downgrading_drops_the_column_and_keeps_the_transfers(migration: MigrationSteps) -> None:
    with migration.uows() as uows, uows() as uow:
        uow.inbound.add(
            InboundSupply("trf_1", "MUG", "NYC-5", 2, date(2026, 12, 3), InboundKind.TRANSFER,
                          "from NJ", order_id="ord_1", wms_attempted_at=AT)
        )  # fmt: skip
        uow.commit()
    with migration.uows() as uows, uows() as uow:
        kept = uow.inbound.get("trf_1")
        assert kept is not None and kept.wms_attempted_at == AT

    migration.downgrade()

    assert "wms_attempted_at" not in migration.columns("inbound_supply")
    with migration.engine() as engine, engine.connect() as connection:
        ids = connection.execute(text("SELECT id FROM inbound_supply")).scalars()
        assert list(ids) == ["trf_1"]
    migration.to_head()
