"""A buyer's 860 increasing a PO1, adding an item or changing a price, on the bus with fakes:
an increase (`QI`) and an added item (`AI`) go through `ModifyOrder` as support's modify
does, an added item is kept as a PO1 of the 850 for later 860s and 855s, and what Ordo cannot
apply (a price, a SKU it does not know, an order picked already) is rejected with why; a
kit's PO1 gains whole kits. Purchase order W-1: PO1 7, 3 kits of a MUG and 2 TEAs, and PO1 8, one
A (`test_po_change_kits.a_kit_po`)."""

from __future__ import annotations

from connectors.channels.x12_po_changes import po_change_acknowledgement
from engine.domain import commands as c
from engine.service_layer.po_acknowledgements import acknowledgement
from tests.unit.events.test_ship_notice_writer import ENVELOPE, NOW
from tests.unit.pipeline.test_channel_kit_unit_cancellations import GIFT_SET, parts_of
from tests.unit.pipeline.test_channel_unit_cancellations import pick
from tests.unit.pipeline.test_po_change_kits import a_kit_po, changed, said
from tests.unit.pipeline.test_po_change_resends import body
from tests.unit.pipeline.world import Engine


def kits_of(engine: Engine, order_id: str) -> dict[str, int]:
    """The kits each kit part's shape says its line ordered."""
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        return {line.id: line.kit.kits for line in order.lines if line.kit is not None}


def acknowledged(engine: Engine, order_id: str, line_number: str) -> tuple[tuple[str, int], ...]:
    """The ACKs an 855 of the order as it stands says of its PO1 `line_number`."""
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        kept = uow.edi.purchase_order("b2b-acme", "W-1")
        assert order is not None and kept is not None
        said = acknowledgement(order, kept, {}, {}).lines
    [po1] = [line for line in said if line.line_number == line_number]
    return po1.statuses


def kept_lines(engine: Engine) -> list[tuple[str, str, int, str]]:
    with engine.uow as uow:
        kept = uow.edi.purchase_order("b2b-acme", "W-1")
        assert kept is not None
        return [(x.line_number, x.sku, x.quantity, x.price) for x in kept.lines]


def test_an_increase_raises_the_line_through_ordos_modification_and_answers_the_new_quantity() -> (
    None
):
    engine, order_id = a_kit_po(GIFT_SET)

    done = changed(engine, ("8", "QI", "3", "1", "EA"))

    assert said(done.answered) == [("8", "IQ", 3)]
    assert parts_of(engine, order_id)["8"] == (3, 0)
    with engine.uow as uow:
        actions = [e.action for e in uow.audit.list(entity="order", entity_id=order_id)]
    assert actions[:2] == ["edi.po_change", "order.modify"]


def test_an_added_item_becomes_a_line_of_the_order_and_a_po1_of_the_purchase_order() -> None:
    engine, order_id = a_kit_po(GIFT_SET)

    done = changed(engine, ("9", "AI", "2", "", "EA", "12.50", "", "UP", "0001", "VP", "B"))

    assert said(done.answered) == [("9", "IA", 2)]
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        [line] = [line for line in order.lines if line.id == "9"]
    assert (line.sku, line.quantity, str(line.price)) == ("B", 2, "12.50")
    assert kept_lines(engine)[-1] == ("9", "B", 2, "12.50")
    # A later 860 knows the item added: it is decreased like any PO1.
    later = changed(engine, ("9", "QD", "1", "2", "EA"), sequence="2")
    assert said(later.answered) == [("9", "IQ", 1)]
    assert parts_of(engine, order_id)["9"] == (1, 0)


def test_the_same_added_item_sent_again_is_the_line_it_asked_for_and_adds_nothing() -> None:
    engine, order_id = a_kit_po(GIFT_SET)
    changed(engine, ("9", "AI", "2", "", "EA", "", "", "VP", "B"))

    # Resent under another BCH05, as after a crash before its 865: the line is there.
    again = changed(engine, ("9", "AI", "2", "", "EA", "", "", "VP", "B"), sequence="2")

    assert said(again.answered) == [("9", "IA", 2)]
    assert parts_of(engine, order_id)["9"] == (2, 0)
    assert len(kept_lines(engine)) == 3


def test_an_added_item_of_a_sku_the_catalogue_does_not_know_is_rejected_naming_it() -> None:
    engine, order_id = a_kit_po(GIFT_SET)

    done = changed(engine, ("9", "AI", "2", "", "EA", "", "", "VP", "NOPE"),
                   ("8", "QI", "2", "1", "EA"))  # fmt: skip

    assert said(done.answered) == [("9", "IR", 0), ("8", "IQ", 2)]
    assert "SKU 'NOPE' of added item 9 is not in the catalogue" in done.answered.lines[0].reason
    assert "9" not in parts_of(engine, order_id)
    assert len(kept_lines(engine)) == 2


def test_an_added_item_under_a_line_number_the_purchase_order_has_is_rejected() -> None:
    engine, order_id = a_kit_po(GIFT_SET)

    done = changed(engine, ("8", "AI", "5", "", "EA", "", "", "VP", "B"))

    [answer] = done.answered.lines
    assert (answer.status, answer.quantity) == ("IR", 1)
    assert "has a PO1 line 8 already" in answer.reason
    assert parts_of(engine, order_id)["8"] == (1, 0)


def test_an_increase_of_a_kits_po1_adds_whole_kits_to_its_parts_and_their_shape() -> None:
    engine, order_id = a_kit_po(GIFT_SET)  # 3 kits of a MUG and 2 TEAs

    done = changed(engine, ("7", "QI", "4", "3", "EA"))

    assert said(done.answered) == [("7", "IQ", 4)]
    assert parts_of(engine, order_id) == {"7.1": (4, 0), "7.2": (8, 0), "8": (1, 0)}
    assert kits_of(engine, order_id) == {"7.1": 4, "7.2": 4}
    # The 855 that follows restates the kits the 865 said.
    assert acknowledged(engine, order_id, "7") == (("IQ", 4),)


def test_an_increase_after_kits_were_cancelled_adds_kits_to_those_open() -> None:
    engine, order_id = a_kit_po(GIFT_SET)
    changed(engine, ("7", "QD", "1", "3", "EA"))  # 2 kits cancelled: 1 MUG, 2 TEA left

    done = changed(engine, ("7", "QI", "2", "1", "EA"), sequence="2")

    assert said(done.answered) == [("7", "IQ", 2)]
    assert parts_of(engine, order_id) == {"7.1": (2, 0), "7.2": (4, 0), "8": (1, 0)}
    # 4 kits ordered now, 2 of them cancelled before: still cancelled, never told again.
    assert kits_of(engine, order_id) == {"7.1": 4, "7.2": 4}


def test_a_change_to_a_kits_line_item_raising_it_adds_whole_kits() -> None:
    engine, order_id = a_kit_po(GIFT_SET)

    done = changed(engine, ("7", "CA", "5", "3", "EA"))

    assert said(done.answered) == [("7", "IQ", 5)]
    assert parts_of(engine, order_id)["7.2"] == (10, 0)


def test_an_increase_once_a_location_has_picked_is_rejected_and_changes_nothing() -> None:
    engine, order_id = a_kit_po(GIFT_SET)
    engine.bus.handle(c.ReleaseOrder(order_id))
    pick(engine, order_id)

    done = changed(engine, ("8", "QI", "2", "1", "EA"), ("9", "AI", "1", "", "EA", "", "", "VP",
                   "B"))  # fmt: skip

    assert said(done.answered) == [("8", "IR", 1), ("9", "IR", 0)]
    assert "cannot be changed" in done.answered.lines[0].reason
    assert parts_of(engine, order_id)["8"] == (1, 0)
    assert len(kept_lines(engine)) == 2


def test_a_price_change_is_rejected_saying_ordo_does_not_reprice_a_taken_order() -> None:
    engine, _ = a_kit_po(GIFT_SET)

    done = changed(engine, ("8", "PC", "1", "1", "EA", "9.00"))

    [answer] = done.answered.lines
    assert answer.status == "IR"
    assert "does not change the price" in answer.reason


def test_a_change_to_a_line_item_takes_its_quantity_and_rejects_its_price_in_an_ack() -> None:
    engine, order_id = a_kit_po(GIFT_SET)

    done = changed(engine, ("8", "CA", "2", "1", "EA", "9.00"), acknowledge=True)

    [answer] = done.answered.lines
    assert (answer.status, answer.quantity) == ("IQ", 2)
    assert "price change to 9.00 is not applied" in answer.rejected_part
    assert parts_of(engine, order_id)["8"] == (2, 0)
    assert done.document is not None
    assert body(done.document.content)[1:4] == [
        ["POC", "8", "CA", "2", "1", "EA", "9.00"],
        ["ACK", "IQ", "2", "EA"],
        ["ACK", "IR", "2", "EA"],
    ]


def test_a_change_to_a_line_item_lowering_it_cancels_units_as_a_decrease_does() -> None:
    engine, order_id = a_kit_po(GIFT_SET)

    done = changed(engine, ("7", "CA", "1", "3", "EA"))

    assert said(done.answered) == [("7", "IQ", 1)]
    assert parts_of(engine, order_id)["7.2"] == (2, 0)


def test_an_865_restates_a_rejected_part_when_written_from_the_record() -> None:
    engine, _ = a_kit_po(GIFT_SET)
    changed(engine, ("8", "CA", "2", "1", "EA", "9.00"))

    again = changed(engine, ("8", "CA", "2", "1", "EA", "9.00"))

    assert again.repeated
    [answer] = again.answered.lines
    assert (answer.status, answer.quantity) == ("IQ", 2)
    text = po_change_acknowledgement(ENVELOPE, again.answered, control_number=7, at=NOW)
    assert body(text)[2:4] == [["ACK", "IQ", "2", "EA"], ["ACK", "IR", "2", "EA"]]
