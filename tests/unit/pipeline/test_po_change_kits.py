"""A buyer's 860 changing a kit's PO1, on the bus with fakes: Ordo filed the 850's PO1 `7` (3
kits) as the kit's parts `7.1`, `7.2`, and a `DI` or `QD` of line 7 cancels whole kits as a
shop's cancellation of its kit line does (k kits: k times each part's units per kit), POC03
and ACK02 counted in kits as the 855 counts them; kits past changing, a decrease below what is
open and parts filed before Ordo kept the kit's shape are rejected, counted in kits too."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from connectors.channels.x12 import Place
from connectors.channels.x12_po_changes import LineChange, PoChange, PoChangeAcknowledgement
from engine.domain import commands as c
from engine.domain.edi import EdiPurchaseOrder, PurchaseOrderLine
from engine.service_layer.po_acknowledgements import acknowledgement
from engine.service_layer.po_changes import ChangeOutcome, ChangeRequest, take_change
from engine.service_layer.unit_of_work import UnitOfWork
from tests.unit.events.test_ship_notice_writer import ENVELOPE
from tests.unit.pipeline.test_channel_kit_unit_cancellations import GIFT_SET, a_kit_order, parts_of
from tests.unit.pipeline.test_channel_unit_cancellations import pick
from tests.unit.pipeline.world import Engine

CHANNEL = "b2b-acme"
RECEIVED = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def a_kit_po(components: dict[str, int], kits: int = 3) -> tuple[Engine, str]:
    """Purchase order W-1: PO1 7, `kits` kits of `components`, and PO1 8, one A."""
    engine, order_id = a_kit_order(components, kits, channel=CHANNEL,
                                   more=c.LineInput("A", 1, line_id="8"))  # fmt: skip
    sent = (PurchaseOrderLine("7", "KIT", (("VP", "KIT"),), quantity=kits),
            PurchaseOrderLine("8", "A", (("VP", "A"),), quantity=1))  # fmt: skip
    with engine.uow as uow:
        uow.edi.keep_purchase_order(EdiPurchaseOrder(CHANNEL, "W-1", ENVELOPE, sent, RECEIVED))
        uow.commit()
    return engine, order_id


def changed(
    engine: Engine, *pocs: tuple[str, ...], sequence: str = "1", acknowledge: bool = False
) -> ChangeOutcome:
    """The buyer's 860 of W-1 with `pocs` (each POC's elements, POC01 on); `acknowledge`: the
    channel gets 865s."""
    lines = tuple(LineChange(poc[0], poc[1], int(poc[2]) if poc[2] else None, poc) for poc in pocs)
    change = PoChange("04", "W-1", "", sequence, "20261121", lines, Place(4, "BCH", 3))

    def dispatch(command: c.Command, audited: Any) -> Any:
        return engine.bus.handle(command, before_commit=audited)

    def uows() -> UnitOfWork:
        return engine.uow

    key = f"860:{sequence}"
    asked = ChangeRequest(CHANNEL, change, key, ENVELOPE, "channel:b2b", acknowledge)
    return take_change(uows, dispatch, asked)


def said(answer: PoChangeAcknowledgement) -> list[tuple[str, str, int]]:
    return [(a.change.line_number, a.status, a.quantity) for a in answer.lines]


def test_a_decrease_of_a_kits_po1_to_one_kit_cancels_two_whole_kits_of_its_parts() -> None:
    engine, order_id = a_kit_po(GIFT_SET)  # a MUG and 2 TEAs a kit: 3 MUG, 6 TEA

    done = changed(engine, ("7", "QD", "1", "3", "EA"))

    assert said(done.answered) == [("7", "IQ", 1)]
    assert parts_of(engine, order_id) == {"7.1": (1, 0), "7.2": (2, 0), "8": (1, 0)}


def test_a_delete_of_a_kits_po1_removes_its_parts_and_answers_the_kits_deleted() -> None:
    engine, order_id = a_kit_po(GIFT_SET)

    done = changed(engine, ("7", "DI", "0", "", "EA"), ("8", "QD", "1", "1", "EA"))

    assert said(done.answered) == [("7", "ID", 3), ("8", "IA", 1)]
    assert parts_of(engine, order_id) == {"8": (1, 0)}


def test_a_decrease_asking_for_more_kits_than_are_open_is_rejected_counted_in_kits() -> None:
    engine, order_id = a_kit_po(GIFT_SET)

    done = changed(engine, ("7", "QD", "4", "3", "EA"))

    [answer] = done.answered.lines
    assert (answer.status, answer.quantity) == ("IR", 3)
    assert "3 kits open, fewer than the 4" in answer.reason
    assert parts_of(engine, order_id)["7.2"] == (6, 0)


def test_kits_picked_already_are_past_changing_and_rejected_in_kits() -> None:
    engine, order_id = a_kit_po(GIFT_SET)
    engine.bus.handle(c.ReleaseOrder(order_id))
    pick(engine, order_id)

    done = changed(engine, ("7", "QD", "1", "3", "EA"))

    [answer] = done.answered.lines
    assert (answer.status, answer.quantity) == ("IR", 3)
    assert "past changing" in answer.reason
    assert parts_of(engine, order_id)["7.1"] == (3, 0)


def test_a_kit_whose_parts_were_filed_before_ordo_kept_its_shape_stays_rejected() -> None:
    engine, order_id = a_kit_po(GIFT_SET)
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        order.lines = [replace(line, kit=None) for line in order.lines]
        uow.orders.add(order)
        uow.commit()

    done = changed(engine, ("7", "DI", "0", "", "EA"))

    [answer] = done.answered.lines
    # The units that stand, as the 855 guesses kits from the quantities: 3.
    assert (answer.status, answer.quantity) == ("IR", 3)
    assert "filed before Ordo kept the kit's shape" in answer.reason
    assert parts_of(engine, order_id)["7.2"] == (6, 0)


def test_the_855_after_the_decrease_counts_the_kits_by_their_shape_as_the_865_did() -> None:
    # Two of each part a kit: 3 kits lowered to 1 leave 2 and 2, which divided by the 3
    # kits the 850 ordered would read as 2 kits.
    engine, order_id = a_kit_po({"MUG": 2, "TEA": 2})

    done = changed(engine, ("7", "QD", "1", "3", "EA"))

    assert said(done.answered) == [("7", "IQ", 1)]
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        kept = uow.edi.purchase_order(CHANNEL, "W-1")
        assert order is not None and kept is not None
        kit_po1 = acknowledgement(order, kept, {}, {}).lines[0]
    assert (kit_po1.line_number, kit_po1.statuses) == ("7", (("IQ", 1),))
