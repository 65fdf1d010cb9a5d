"""A transfer's sending location reports it shipped: the carrier, tracking number and moment
are kept on it, a new arrival day replaces the planned one, and a report is taken once: the
same again changes nothing, one with a later arrival day revises it, a different carrier or
tracking number is refused, so a tracking number is never silently replaced."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from engine.domain import commands as c
from engine.domain.errors import Conflict
from engine.domain.events import (
    TransferArrivalRevised,
    TransferCancelled,
    TransferReleased,
    TransferShipped,
)
from engine.domain.inventory import InboundKind, InboundSupply
from engine.domain.orders import InvalidLine
from engine.pipeline.decide import backorder_promise
from engine.service_layer import ship_to_store
from tests.unit.pipeline.world import START, Engine, build

PLANNED = date(2026, 12, 1)
LEFT = datetime(2026, 11, 28, 14, 5, tzinfo=UTC)


def _in_transit(**state: bool) -> Engine:
    engine = build({("A", "NJ"): (0, 0), ("A", "PA"): (0, 0)})
    with engine.uow as uow:
        uow.inbound.add(
            InboundSupply("trf_1", "A", "NJ", 6, PLANNED, InboundKind.TRANSFER, "from PA",
                          order_id="ord_1", **state)
        )  # fmt: skip
        uow.commit()
    return engine


def _transfer(engine: Engine) -> InboundSupply:
    with engine.uow as uow:
        found = uow.inbound.get("trf_1")
        assert found is not None
        return found


def _shipped(
    tracking: str = "1Z1", shipped_at: datetime | None = LEFT, expected_on: date | None = None
) -> c.ReportTransferShipped:
    return c.ReportTransferShipped("trf_1", "ups", tracking, shipped_at, expected_on, "wms:pa")


def test_a_transfer_reported_shipped_keeps_its_carrier_and_arrives_on_the_carriers_day() -> None:
    engine = _in_transit()

    assert engine.bus.handle(_shipped(expected_on=date(2026, 12, 3))) is True

    kept = _transfer(engine)
    assert (kept.carrier, kept.tracking_number, kept.shipped_at) == ("ups", "1Z1", LEFT)
    assert kept.expected_on == date(2026, 12, 3)
    [event] = [e for e in engine.uow.committed_events if isinstance(e, TransferShipped)]
    assert (event.from_location, event.to_location, event.order_id) == ("PA", "NJ", "ord_1")
    assert (event.shipped_at, event.expected_on) == (LEFT.isoformat(), "2026-12-03")
    [entry] = engine.uow.audit.committed
    assert (entry.action, entry.entity_id, entry.actor) == ("transfer.shipped", "trf_1", "wms:pa")
    assert (entry.before["expected_on"], entry.after["tracking_number"]) == ("2026-12-01", "1Z1")


def test_a_promise_counts_on_the_day_the_carrier_expects_the_transfer() -> None:
    engine = _in_transit()
    engine.bus.handle(_shipped(expected_on=date(2026, 12, 5)))

    promised = backorder_promise("A", 6, [_transfer(engine)], START.date())

    assert promised == date(2026, 12, 5)


def test_without_a_carriers_day_the_planned_one_stands_and_it_left_now() -> None:
    engine = _in_transit()

    engine.bus.handle(_shipped(shipped_at=None))

    kept = _transfer(engine)
    assert (kept.expected_on, kept.shipped_at) == (PLANNED, START.replace(tzinfo=UTC))


def test_the_same_report_again_writes_nothing_even_without_its_moment() -> None:
    engine = _in_transit()
    engine.bus.handle(_shipped(expected_on=PLANNED))
    commits = engine.uow.commits

    assert engine.bus.handle(_shipped(expected_on=PLANNED)) is False
    assert engine.bus.handle(_shipped(shipped_at=None)) is False

    assert engine.uow.commits == commits
    assert len(engine.uow.audit.committed) == 1


def test_another_tracking_number_is_refused_naming_it_and_the_first_is_kept() -> None:
    engine = _in_transit()
    engine.bus.handle(_shipped())

    with pytest.raises(Conflict, match=r"tracking_number 1Z2 \(reported 1Z1\)"):
        engine.bus.handle(_shipped(tracking="1Z2", expected_on=date(2026, 12, 9)))

    assert (_transfer(engine).tracking_number, _transfer(engine).expected_on) == ("1Z1", PLANNED)


def test_a_later_report_with_another_day_revises_the_arrival_once_audited() -> None:
    engine = _in_transit()
    engine.bus.handle(_shipped(expected_on=date(2026, 12, 3)))

    assert engine.bus.handle(_shipped(expected_on=date(2026, 12, 6))) is True
    assert engine.bus.handle(_shipped(expected_on=date(2026, 12, 6))) is False

    assert _transfer(engine).expected_on == date(2026, 12, 6)
    [revised] = [e for e in engine.uow.committed_events if isinstance(e, TransferArrivalRevised)]
    assert (revised.transfer_id, revised.from_location, revised.to_location) == (
        "trf_1", "PA", "NJ",
    )  # fmt: skip
    assert (revised.previous_expected_on, revised.expected_on, revised.by) == (
        "2026-12-03", "2026-12-06", "wms:pa",
    )  # fmt: skip
    assert len([e for e in engine.uow.committed_events if isinstance(e, TransferShipped)]) == 1
    _, entry = engine.uow.audit.committed
    assert (entry.action, entry.entity_id, entry.actor) == (
        "transfer.arrival_revised", "trf_1", "wms:pa",
    )  # fmt: skip
    assert (entry.before, entry.after) == (
        {"expected_on": "2026-12-03"},
        {"expected_on": "2026-12-06"},
    )


def test_a_promise_counts_on_the_revised_day() -> None:
    engine = _in_transit()
    engine.bus.handle(_shipped(expected_on=date(2026, 12, 3)))
    engine.bus.handle(_shipped(expected_on=date(2026, 12, 8)))

    assert backorder_promise("A", 6, [_transfer(engine)], START.date()) == date(2026, 12, 8)


@pytest.mark.parametrize("state", ["received", "cancelled"])
def test_a_transfer_no_longer_in_transit_cannot_be_reported_shipped(state: str) -> None:
    engine = _in_transit(**{state: True})

    with pytest.raises(Conflict, match=f"trf_1 was already {state}"):
        engine.bus.handle(_shipped())

    assert _transfer(engine).tracking_number == ""


def test_an_arrival_before_the_day_it_shipped_is_refused_naming_expected_on() -> None:
    engine = _in_transit()

    with pytest.raises(InvalidLine, match="2026-11-27 is before the day") as refused:
        engine.bus.handle(_shipped(expected_on=date(2026, 11, 27)))

    assert refused.value.loc == ("expected_on",)
    assert _transfer(engine).shipped_at is None


def test_a_shipped_transfer_its_order_no_longer_needs_keeps_going_released_from_the_order(
) -> None:  # fmt: skip
    engine = _in_transit()
    engine.bus.handle(_shipped())
    engine.uow.committed_events.clear()

    with engine.uow as uow:
        supply = uow.inbound.get("trf_1")
        assert supply is not None
        ship_to_store.cancel(uow, supply, "order ord_1 cancelled")
        uow.commit()

    kept = _transfer(engine)
    assert kept.pending and kept.order_id == ""  # arrives as the store's own stock
    [released] = engine.uow.committed_events
    assert isinstance(released, TransferReleased)
    assert (released.order_id, released.from_location, released.to_location) == (
        "ord_1", "PA", "NJ",
    )  # fmt: skip
    with engine.uow as uow:
        source = uow.stock.get(("A", "PA"))
        assert source is not None and source.on_hand == 0  # nothing booked back: on a truck


def test_a_transfer_not_reported_shipped_is_still_called_back() -> None:
    engine = _in_transit()

    with engine.uow as uow:
        supply = uow.inbound.get("trf_1")
        assert supply is not None
        ship_to_store.cancel(uow, supply, "order ord_1 cancelled")
        uow.commit()

    assert _transfer(engine).cancelled
    assert [type(e) for e in engine.uow.committed_events if isinstance(e, TransferCancelled)]
