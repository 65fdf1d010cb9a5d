"""The day an 855 tells a trading partner that its accepted units (IA, IQ) are planned to
ship, on the in-memory store: ACK04 `068` and ACK05 the last planned ship day of the
shipments holding a PO1's units (a kit: of its parts'), none when one of those shipments has
no planned day (planned before Ordo kept it); and a change 855 when that day moves, none when
it stays."""

from __future__ import annotations

from datetime import date

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.fulfilment import ShipmentLine, ShipmentStatus
from tests.support.builders import a_shipment
from tests.support.edi_partners import acks_per_po1
from tests.unit.events.test_po_acknowledgement_changes import acknowledged, the_855s
from tests.unit.events.test_po_acknowledgement_writer import (
    by_tag,
    decided,
    seeded,
    the_855,
    writer,
)

MONDAY, TUESDAY, THURSDAY = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 26)


def plan(uow: InMemoryUnitOfWork, day: date | None) -> None:
    """Shipment F-1 (all that is not waiting) planned to leave on `day`."""
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None
        shipment.planned_ship_date = day
        uow.commit()


def tissues_apart(uow: InMemoryUnitOfWork, day: date | None) -> None:
    """The kit's tissues taken out of F-1 into a shipment of their own, F-2, planned to
    leave on `day` (None: planned before Ordo kept the day)."""
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None
        shipment.lines = [line for line in shipment.lines if line.order_line_id != "2.2"]
        uow.shipments.add(
            a_shipment(id="F-2", order_id="O-1", lines=[ShipmentLine("2.2", "TISSUE", 4)],
                       status=ShipmentStatus.PENDING, planned_ship_date=day)
        )  # fmt: skip
        uow.commit()


def test_accepted_units_carry_the_last_planned_day_of_the_shipments_holding_them() -> None:
    uow = seeded()
    plan(uow, MONDAY)
    tissues_apart(uow, TUESDAY)
    writer()(decided(), uow)

    assert acks_per_po1(the_855(uow)) == [
        ("1", [["IA", "2", "EA", "068", "20261123"]]),
        # The kit leaves with its last part: the tissues, a day after the lids.
        ("2", [["IA", "2", "EA", "068", "20261124"]]),
        # The socks that wait have no promise (no inbound supply): their IB says no day.
        ("", [["IA", "3", "EA", "068", "20261123"], ["IB", "2", "EA"]]),
    ]


def test_units_in_a_shipment_planned_before_the_day_was_kept_are_told_no_day() -> None:
    uow = seeded(socks_waiting=0)
    plan(uow, MONDAY)
    tissues_apart(uow, None)
    writer()(decided(), uow)

    assert [acks for _, acks in acks_per_po1(the_855(uow))] == [
        [["IA", "2", "EA", "068", "20261123"]],
        [["IA", "2", "EA"]],
        [["IA", "5", "EA", "068", "20261123"]],
    ]


def test_a_planned_day_moved_gets_a_change_855_and_the_same_day_again_none() -> None:
    uow = seeded(socks_waiting=0)
    acknowledgements = acknowledged(uow)  # F-1 planned before Ordo kept the day: no 068
    acknowledgements(decided(event_id="evt-1b"), uow)  # the same, again: nothing to say
    assert [reference for reference, _ in the_855s(uow)] == ["O-1"]

    plan(uow, MONDAY)  # decided again, now with a planned day
    acknowledgements(decided(event_id="evt-1c"), uow)
    acknowledgements(decided(event_id="evt-2"), uow)  # decided again, for the same day
    assert [reference for reference, _ in the_855s(uow)] == ["O-1", "O-1#2"]

    plan(uow, THURSDAY)  # decided again, planned to leave later
    acknowledgements(decided(event_id="evt-3"), uow)
    acknowledgements(decided(event_id="evt-4"), uow)  # and again, as it stands

    [_, (_, monday), (reference, thursday)] = the_855s(uow)
    assert reference == "O-1#3"
    assert by_tag(thursday, "BAK")[0][:2] == ["04", "AD"]
    assert acks_per_po1(monday)[0] == ("1", [["IA", "2", "EA", "068", "20261123"]])
    assert [acks for _, acks in acks_per_po1(thursday)] == [
        [["IA", "2", "EA", "068", "20261126"]],
        [["IA", "2", "EA", "068", "20261126"]],
        [["IA", "5", "EA", "068", "20261126"]],
    ]
