"""The change 855 (BAK01 04) for an EDI order acknowledged already, on the in-memory store:
when what the 855 would say of its lines now differs from what its last 855 said (a line's
quantity changed, the order cancelled, a backorder filled, the order rejected when decided
again), another 855 restating every PO1 goes into the mailbox as `<order id>#<n>`; an event
that leaves every line as the last 855 said, or comes again, writes nothing."""

from __future__ import annotations

from engine.adapters.bus import Message
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.edi import PO_ACKNOWLEDGEMENT, sequence_of
from engine.domain.fulfilment import ShipmentLine, ShipmentStatus
from engine.domain.orders import LineStatus, OrderStatus
from engine.service_layer import edi
from engine.service_layer.po_acknowledgements import PoAcknowledgementWriter
from tests.support.builders import a_shipment
from tests.support.edi_partners import acks_per_po1
from tests.unit.events.test_po_acknowledgement_writer import by_tag, decided, seeded, writer


def acknowledged(uow: InMemoryUnitOfWork) -> PoAcknowledgementWriter:
    """The order's original 855 written, by the writer that goes on watching it."""
    acknowledgements = writer()
    acknowledgements(decided(event_id="evt-1"), uow)
    assert acknowledgements.written == 1
    return acknowledgements


def the_855s(uow: InMemoryUnitOfWork) -> list[tuple[str, str]]:
    """(reference, text) of each 855 in the mailbox, in the order they were written (the
    clock stands still: by their number)."""
    documents = edi.outbound(lambda: uow, "b2b-acme", pending=None)
    assert all(d.kind == PO_ACKNOWLEDGEMENT and d.order_id == "O-1" for d in documents)
    in_turn = sorted(documents, key=lambda d: sequence_of(d.reference))
    return [(d.reference, d.content) for d in in_turn]


def resourced(event_id: str = "evt-9") -> Message:
    return Message(event_id, "order.resourced", {"order_id": "O-1", "lines": {}}, "O-1")


def test_a_line_whose_quantity_was_changed_after_the_855_gets_a_change_855_saying_iq() -> None:
    uow = seeded(socks_waiting=0)
    acknowledgements = acknowledged(uow)
    with uow:
        order = uow.orders.get("O-1")
        shipment = uow.shipments.get("F-1")
        assert order is not None and shipment is not None
        order.line("1").quantity = 1  # modified and decided again: one pair of shoes
        shipment.lines = [line if line.sku != "SHOE-42" else ShipmentLine("1", "SHOE-42", 1)
                          for line in shipment.lines]  # fmt: skip
        uow.commit()
    acknowledgements(decided(event_id="evt-2"), uow)

    [(first, _), (reference, text)] = the_855s(uow)
    assert (first, reference) == ("O-1", "O-1#2")
    assert by_tag(text, "BAK")[0][:4] == ["04", "AC", "PO-1001", "20261121"]
    # Every PO1 restated: the shoes with the units now taken, the others as they stand.
    assert acks_per_po1(text) == [
        ("1", [["IQ", "1", "EA"]]),
        ("2", [["IA", "2", "EA"]]),
        ("", [["IA", "5", "EA"]]),
    ]
    assert acknowledgements.written == 2


def test_an_order_cancelled_after_its_855_gets_a_change_855_deleting_every_line() -> None:
    uow = seeded()
    acknowledgements = acknowledged(uow)
    with uow:
        order = uow.orders.get("O-1")
        shipment = uow.shipments.get("F-1")
        assert order is not None and shipment is not None
        order.cancel("the buyer called")
        shipment.status = ShipmentStatus.CANCELLED
        uow.commit()
    acknowledgements(decided("cancelled", event_id="evt-2"), uow)

    [_, (reference, text)] = the_855s(uow)
    assert reference == "O-1#2"
    # Rejected with detail: every line is deleted, and says so.
    assert by_tag(text, "BAK")[0][:2] == ["04", "RD"]
    assert [acks for _, acks in acks_per_po1(text)] == [
        [["ID", "2", "EA"]], [["ID", "2", "EA"]], [["ID", "5", "EA"]],
    ]  # fmt: skip


def test_a_backorder_filled_after_the_855_gets_a_change_855_accepting_it_all() -> None:
    uow = seeded(socks_waiting=2)
    acknowledgements = acknowledged(uow)
    with uow:
        order = uow.orders.get("O-1")
        assert order is not None
        order.line("3").status = LineStatus.ALLOCATED
        uow.shipments.add(
            a_shipment(id="F-2", order_id="O-1", lines=[ShipmentLine("3", "SOCK-M", 2)],
                       status=ShipmentStatus.PENDING)
        )  # fmt: skip
        uow.commit()
    acknowledgements(resourced(), uow)

    [_, (_, text)] = the_855s(uow)
    assert by_tag(text, "BAK")[0][:2] == ["04", "AD"]
    assert acks_per_po1(text)[2] == ("", [["IA", "5", "EA"]])


def test_nothing_changed_or_the_same_event_again_writes_no_change_855() -> None:
    uow = seeded()
    acknowledgements = acknowledged(uow)
    acknowledgements(decided(event_id="evt-1"), uow)  # delivered again
    acknowledgements(decided("backordered", event_id="evt-2"), uow)  # decided, as it stood
    acknowledgements(resourced(), uow)  # stock came, and none of it for this order
    assert [reference for reference, _ in the_855s(uow)] == ["O-1"]
    assert acknowledgements.written == 1


def test_each_change_is_compared_with_the_last_855_and_numbered_after_it() -> None:
    uow = seeded(socks_waiting=2)
    acknowledgements = acknowledged(uow)
    with uow:
        order = uow.orders.get("O-1")
        assert order is not None
        order.cancel_backordered({"3": 2}, {"3": 2}, "the buyer would not wait")
        uow.commit()
    remainder_cancelled = Message("evt-2", "order.remainder_cancelled", {"order_id": "O-1"}, "O-1")
    acknowledgements(remainder_cancelled, uow)
    acknowledgements(remainder_cancelled, uow)  # again: the last 855 says so already
    with uow:
        order = uow.orders.get("O-1")
        assert order is not None
        order.line("1").quantity = 1  # then modified: one pair of shoes
        uow.commit()
    acknowledgements(decided(event_id="evt-3"), uow)

    [_, (second, socks), (third, shoes)] = the_855s(uow)
    assert (second, third) == ("O-1#2", "O-1#3")
    assert acks_per_po1(socks)[2] == ("", [["IQ", "3", "EA"]])
    assert [acks for _, acks in acks_per_po1(shoes)] == [
        [["IQ", "1", "EA"]], [["IA", "2", "EA"]], [["IQ", "3", "EA"]],
    ]  # fmt: skip


def test_a_line_rejected_in_the_855_stays_rejected_in_the_change_855() -> None:
    uow = seeded(socks_waiting=0)
    with uow:
        order = uow.orders.get("O-1")
        assert order is not None
        order.lines = [line for line in order.lines if line.id != "3"]  # removed before
        uow.commit()
    acknowledgements = acknowledged(uow)
    with uow:
        order = uow.orders.get("O-1")
        assert order is not None
        order.line("1").quantity = 1
        uow.commit()
    acknowledgements(decided(event_id="evt-2"), uow)

    [(_, original), (_, text)] = the_855s(uow)
    assert acks_per_po1(original)[2] == ("", [["IR", "5", "EA"]])
    assert [acks for _, acks in acks_per_po1(text)] == [
        [["IQ", "1", "EA"]], [["IA", "2", "EA"]], [["IR", "5", "EA"]],
    ]  # fmt: skip


def test_an_order_rejected_when_decided_again_rejects_every_line() -> None:
    uow = seeded(socks_waiting=0)
    acknowledgements = acknowledged(uow)
    with uow:
        order = uow.orders.get("O-1")
        assert order is not None
        order.status = OrderStatus.REJECTED  # modified, and refused when decided again
        uow.commit()
    acknowledgements(decided("rejected", event_id="evt-2"), uow)

    [_, (_, text)] = the_855s(uow)
    assert by_tag(text, "BAK")[0][:2] == ["04", "RD"]
    assert {acks[0][0] for _, acks in acks_per_po1(text)} == {"IR"}


def test_a_change_before_the_order_was_first_acknowledged_waits_for_its_decision() -> None:
    uow = seeded()
    acknowledgements = writer()
    acknowledgements(resourced(), uow)
    assert the_855s(uow) == []
