"""A receipt naming inbound supply receives it only as expected: of its SKU, at its
location, once; a purchase order may come in parts, a transfer comes whole.

Regression: a receipt naming a transfer marked it received whatever it carried, so the same
receipt twice created units, and a receipt of another SKU elsewhere made the transfer's
units vanish.
"""

from __future__ import annotations

from datetime import date

import pytest

from engine.domain import commands as c
from engine.domain.errors import Conflict, DomainError
from engine.domain.inventory import InboundKind, InboundSupply
from tests.unit.pipeline.world import Engine, build


def _expecting(kind: InboundKind) -> Engine:
    engine = build({("A", "NJ"): (0, 0), ("B", "PA"): (0, 0)})
    with engine.uow as uow:
        uow.inbound.add(InboundSupply("IN-1", "A", "NJ", 6, date(2026, 12, 1), kind))
        uow.commit()
    return engine


def _supply(engine: Engine) -> InboundSupply:
    with engine.uow as uow:
        supply = uow.inbound.get("IN-1")
        assert supply is not None
        return supply


def test_a_purchase_order_received_in_parts_stays_expected_for_the_rest() -> None:
    engine = _expecting(InboundKind.PURCHASE_ORDER)
    assert engine.bus.handle(c.ReceiveStock("A", "NJ", 4, "IN-1")) == 4
    assert (_supply(engine).quantity, _supply(engine).received) == (2, False)
    assert engine.bus.handle(c.ReceiveStock("A", "NJ", 2, "IN-1")) == 6
    assert _supply(engine).received
    with pytest.raises(Conflict, match="purchase order IN-1 was already received"):
        engine.bus.handle(c.ReceiveStock("A", "NJ", 2, "IN-1"))


def test_a_receipt_of_another_sku_elsewhere_leaves_the_transfer_on_its_way() -> None:
    engine = _expecting(InboundKind.TRANSFER)
    with pytest.raises(DomainError, match=r"SKU B \(expected A\), location PA"):
        engine.bus.handle(c.ReceiveStock("B", "PA", 1, "IN-1"))
    assert not _supply(engine).received
    with engine.uow as uow:
        assert [row.on_hand for row in uow.stock.for_sku("B")] == [0]


def test_a_transfer_is_received_once_whichever_way_it_is_booked() -> None:
    engine = _expecting(InboundKind.TRANSFER)
    with pytest.raises(DomainError, match=r"quantity 5 \(expected 6\)"):
        engine.bus.handle(c.ReceiveStock("A", "NJ", 5, "IN-1"))
    assert engine.bus.handle(c.ReceiveStock("A", "NJ", 6, "IN-1")) == 6
    with pytest.raises(Conflict, match="transfer IN-1 was already received"):
        engine.bus.handle(c.ReceiveTransfer("IN-1"))
    with pytest.raises(Conflict):
        engine.bus.handle(c.ReceiveStock("A", "NJ", 6, "IN-1"))
    with engine.uow as uow:
        assert [row.on_hand for row in uow.stock.for_sku("A")] == [6]
