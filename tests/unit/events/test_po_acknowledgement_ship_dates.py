"""The day backordered units are promised to ship, in the 855 (ACK04 `068`, ACK05), on the
in-memory store: read from the order's latest sourcing decision, the last day of a kit's
waiting components, none when a line waits with no promise; and a promise that moved after
the 855 writes a change 855, while the same day again writes none."""

from __future__ import annotations

from datetime import date, timedelta

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.operations import DecisionTrace
from tests.support.edi_partners import acks_per_po1
from tests.unit.events.test_po_acknowledgement_changes import acknowledged, resourced, the_855s
from tests.unit.events.test_po_acknowledgement_writer import NOW, decided, seeded, the_855, writer

SOCKS_DUE = date(2026, 12, 4)


def promised(uow: InMemoryUnitOfWork, days: dict[str, date | None], minutes: int = 0) -> None:
    """Record a sourcing decision of O-1 whose waiting lines are promised `days` (the later
    `minutes`, the later it sorts: a re-sourcing after the first decision)."""
    waiting = [
        {"line": line, "sku": "", "quantity": 1, "mode": "backorder",
         "promised_date": day.isoformat() if day else None}
        for line, day in days.items()
    ]  # fmt: skip
    detail = {"outcome": "partial", "backorders": waiting, "order_version": minutes}
    at = NOW + timedelta(minutes=minutes)
    with uow:
        uow.traces.add(
            DecisionTrace(f"trc-{minutes}", "O-1", "sourcing", "", 0, at, "partial", detail)
        )
        uow.commit()


def test_backordered_units_are_given_the_day_their_line_is_promised() -> None:
    uow = seeded(socks_waiting=2)
    promised(uow, {"3": SOCKS_DUE})
    writer()(decided(), uow)
    assert acks_per_po1(the_855(uow)) == [
        ("1", [["IA", "2", "EA"]]),
        ("2", [["IA", "2", "EA"]]),
        ("", [["IA", "3", "EA"], ["IB", "2", "EA", "068", "20261204"]]),
    ]


def test_a_kit_waiting_is_given_its_last_components_day_and_none_while_one_has_none() -> None:
    uow = seeded(tissue_waiting=2, socks_waiting=2)
    promised(uow, {"2.2": date(2026, 12, 9), "3": None})
    writer()(decided(), uow)
    [_, kit, socks] = acks_per_po1(the_855(uow))
    assert kit == ("2", [["IA", "1", "EA"], ["IB", "1", "EA", "068", "20261209"]])
    # No inbound supply covers the socks: no day can be said, so none is.
    assert socks == ("", [["IA", "3", "EA"], ["IB", "2", "EA"]])


def test_a_promise_moved_after_the_855_writes_a_change_855_with_the_new_day() -> None:
    uow = seeded(socks_waiting=2)
    promised(uow, {"3": SOCKS_DUE})
    acknowledgements = acknowledged(uow)
    promised(uow, {"3": SOCKS_DUE + timedelta(days=7)}, minutes=5)  # decided again, later
    acknowledgements(resourced(), uow)

    [_, (reference, text)] = the_855s(uow)
    assert reference == "O-1#2"
    assert acks_per_po1(text)[2] == (
        "", [["IA", "3", "EA"], ["IB", "2", "EA", "068", "20261211"]],
    )  # fmt: skip
    assert acknowledgements.written == 2


def test_the_same_promise_again_writes_no_change_855() -> None:
    uow = seeded(socks_waiting=2)
    promised(uow, {"3": SOCKS_DUE})
    acknowledgements = acknowledged(uow)
    promised(uow, {"3": SOCKS_DUE}, minutes=5)  # decided again: the same day
    acknowledgements(resourced(), uow)
    acknowledgements(decided("carrier_assigned", event_id="evt-3"), uow)
    assert [reference for reference, _ in the_855s(uow)] == ["O-1"]
    assert acknowledgements.written == 1
