"""A carrier's scans of a transfer it carries (its tracking webhook, read into
`TrackingUpdate`s) go on the transfer: an estimate revises the arrival day as a repeated
shipped report does, a delivered scan records the delivery at the store once without
counting the units in, and each is counted `transfers`. A transfer received or cancelled is
counted `not_with_carrier`; another carrier's transfer, `unknown`."""

from __future__ import annotations

from datetime import UTC, date, datetime

from connectors.base import TrackingUpdate
from engine.domain import commands as c
from engine.domain.events import TransferArrivalRevised, TransferDelivered
from engine.domain.inventory import InboundKind, InboundSupply
from engine.service_layer.carrier_tracking import Tally, record_updates
from tests.unit.pipeline.world import Engine, build

PLANNED = date(2026, 12, 1)
LEFT = datetime(2026, 11, 28, 14, 5, tzinfo=UTC)
SCANNED = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
AT_THE_STORE = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def _shipped_with_ups(**state: bool) -> Engine:
    """Transfer trf_1 of six A from PA to NJ, reported shipped with ups under 1Z1."""
    engine = build({("A", "NJ"): (0, 0), ("A", "PA"): (0, 0)})
    with engine.uow as uow:
        uow.inbound.add(
            InboundSupply("trf_1", "A", "NJ", 6, PLANNED, InboundKind.TRANSFER, "from PA",
                          order_id="ord_1")
        )  # fmt: skip
        uow.commit()
    engine.bus.handle(c.ReportTransferShipped("trf_1", "ups", "1Z1", LEFT, None, "wms:pa"))
    if state:
        with engine.uow as uow:
            supply = uow.inbound.get("trf_1")
            assert supply is not None
            for name, value in state.items():
                setattr(supply, name, value)
            uow.commit()
    engine.uow.committed_events.clear()
    return engine


def _scan(
    code: str = "IT", estimate: date | None = None, at: datetime = SCANNED, milestone: str = ""
) -> TrackingUpdate:
    """A scan of 1Z1, read from the carrier's body (`milestone` as its connector read it)."""
    return TrackingUpdate("1Z1", at, code, milestone=milestone, estimated_delivery=estimate)


def _deliver(engine: Engine, *updates: TrackingUpdate, carrier: str = "ups") -> Tally:
    return record_updates(carrier, updates, lambda: engine.uow, engine.bus.handle)


def _transfer(engine: Engine) -> InboundSupply:
    with engine.uow as uow:
        found = uow.inbound.get("trf_1")
        assert found is not None
        return found


def _audited(engine: Engine) -> list[tuple[str, str]]:
    return [(entry.action, entry.actor) for entry in engine.uow.audit.committed]


def test_a_carriers_estimate_revises_the_transfers_arrival_once() -> None:
    engine = _shipped_with_ups()

    first = _deliver(engine, _scan(estimate=date(2026, 12, 4)))
    again = _deliver(engine, _scan(estimate=date(2026, 12, 4)))

    assert (first.transfers, first.unknown, again.transfers) == (1, 0, 1)
    assert _transfer(engine).expected_on == date(2026, 12, 4)
    [revised] = engine.uow.committed_events
    assert isinstance(revised, TransferArrivalRevised)
    assert (revised.previous_expected_on, revised.expected_on, revised.by) == (
        "2026-12-01", "2026-12-04", "carrier:ups",
    )  # fmt: skip
    assert _audited(engine)[1:] == [("transfer.arrival_revised", "carrier:ups")]


def test_a_delivered_scan_records_the_delivery_once_and_books_no_stock() -> None:
    engine = _shipped_with_ups()

    tally = _deliver(engine, _scan("DL", at=AT_THE_STORE), _scan("delivered"))

    assert tally == Tally(transfers=2)
    kept = _transfer(engine)
    assert (kept.delivered_at, kept.pending) == (AT_THE_STORE, True)
    [delivered] = engine.uow.committed_events
    assert isinstance(delivered, TransferDelivered)
    assert (delivered.to_location, delivered.tracking_number, delivered.delivered_at) == (
        "NJ", "1Z1", AT_THE_STORE.isoformat(),
    )  # fmt: skip
    assert _audited(engine)[1:] == [("transfer.delivered", "carrier:ups")]
    with engine.uow as uow:
        store = uow.stock.get(("A", "NJ"))
        assert store is not None and store.on_hand == 0  # counted in when received, not here


def test_the_milestone_the_carrier_names_is_taken_over_its_code() -> None:
    engine = _shipped_with_ups()

    _deliver(engine, _scan("XX-9", milestone="delivered"))

    assert _transfer(engine).delivered_at == SCANNED


def test_an_estimate_after_the_delivery_or_before_it_shipped_moves_nothing() -> None:
    engine = _shipped_with_ups()
    _deliver(engine, _scan(estimate=date(2026, 11, 20)))  # before it left: the carrier's slip
    _deliver(engine, _scan("DL", at=AT_THE_STORE), _scan(estimate=date(2026, 12, 9)))

    assert _transfer(engine).expected_on == PLANNED
    assert [type(e) for e in engine.uow.committed_events] == [TransferDelivered]


def test_a_scan_of_a_transfer_received_or_cancelled_is_not_with_a_carrier() -> None:
    received = _shipped_with_ups(received=True)
    cancelled = _shipped_with_ups(cancelled=True)

    for engine in (received, cancelled):
        tally = _deliver(engine, _scan("DL", estimate=date(2026, 12, 4)))
        assert tally == Tally(not_with_carrier=1)
        assert (_transfer(engine).delivered_at, _transfer(engine).expected_on) == (None, PLANNED)
        assert engine.uow.committed_events == []


def test_another_carriers_scan_of_the_number_is_unknown() -> None:
    engine = _shipped_with_ups()

    tally = _deliver(engine, _scan("DL", estimate=date(2026, 12, 4)), carrier="fedex")

    assert tally == Tally(unknown=1)
    assert _transfer(engine).delivered_at is None
