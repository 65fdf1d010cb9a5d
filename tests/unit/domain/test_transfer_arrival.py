"""A transfer on its way learns when it will arrive, and that it did: its sending location
reporting shipped again with a later day, or its carrier's estimate, revises its arrival
day; the same day again changes nothing; another carrier or tracking number is still
refused; a day before it shipped is refused by its field; and the carrier's delivery scan is
kept once, without counting the units in."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from engine.domain.errors import Conflict
from engine.domain.inventory import InboundKind, InboundSupply
from engine.domain.orders import InvalidLine

PLANNED = date(2026, 12, 1)
LEFT = datetime(2026, 11, 28, 14, 5, tzinfo=UTC)
AT_THE_STORE = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def a_shipped_transfer() -> InboundSupply:
    transfer = InboundSupply("trf_1", "MUG", "NYC-5", 3, PLANNED, InboundKind.TRANSFER,
                             "from DAL-01")  # fmt: skip
    assert transfer.report_shipped("ups", "1Z1", LEFT, None, LEFT)
    return transfer


def test_a_second_report_with_a_later_day_revises_the_arrival() -> None:
    transfer = a_shipped_transfer()

    assert transfer.report_shipped("ups", "1Z1", LEFT, date(2026, 12, 4), LEFT) is True

    assert transfer.expected_on == date(2026, 12, 4)
    assert (transfer.carrier, transfer.tracking_number, transfer.shipped_at) == ("ups", "1Z1", LEFT)


def test_a_second_report_without_its_moment_still_revises_the_arrival() -> None:
    transfer = a_shipped_transfer()

    assert transfer.report_shipped("ups", "1Z1", None, date(2026, 12, 3), LEFT) is True

    assert (transfer.expected_on, transfer.shipped_at) == (date(2026, 12, 3), LEFT)


def test_revising_the_arrival_answers_the_day_it_replaced() -> None:
    transfer = a_shipped_transfer()

    assert transfer.revise_arrival(date(2026, 12, 5)) == PLANNED
    assert transfer.revise_arrival(date(2026, 11, 30)) == date(2026, 12, 5)  # sooner, too

    assert transfer.expected_on == date(2026, 11, 30)


def test_the_same_day_again_changes_nothing() -> None:
    transfer = a_shipped_transfer()
    transfer.revise_arrival(date(2026, 12, 4))

    assert transfer.revise_arrival(date(2026, 12, 4)) is None
    assert transfer.report_shipped("ups", "1Z1", LEFT, date(2026, 12, 4), LEFT) is False
    assert transfer.expected_on == date(2026, 12, 4)


@pytest.mark.parametrize(
    ("carrier", "tracking", "differs"),
    [
        ("fedex", "1Z1", r"carrier fedex \(reported ups\)"),
        ("ups", "1Z2", r"tracking_number 1Z2 \(reported 1Z1\)"),
    ],
)
def test_another_carrier_or_tracking_number_is_still_refused_and_the_day_kept(
    carrier: str, tracking: str, differs: str
) -> None:
    transfer = a_shipped_transfer()

    with pytest.raises(Conflict, match=differs) as refused:
        transfer.report_shipped(carrier, tracking, LEFT, date(2026, 12, 4), LEFT)

    assert "only its arrival day, expected_on, may be reported again" in str(refused.value)

    assert (transfer.carrier, transfer.tracking_number) == ("ups", "1Z1")
    assert transfer.expected_on == PLANNED


def test_a_revised_day_before_the_day_it_shipped_is_refused_naming_expected_on() -> None:
    transfer = a_shipped_transfer()

    with pytest.raises(InvalidLine, match="2026-11-27 is before the day transfer trf_1") as no:
        transfer.report_shipped("ups", "1Z1", LEFT, date(2026, 11, 27), LEFT)

    assert no.value.loc == ("expected_on",)
    assert transfer.expected_on == PLANNED


def test_a_transfer_not_reported_shipped_has_no_arrival_to_revise() -> None:
    transfer = InboundSupply("trf_1", "MUG", "NYC-5", 3, PLANNED, InboundKind.TRANSFER)

    with pytest.raises(Conflict, match="trf_1 was not reported shipped"):
        transfer.revise_arrival(date(2026, 12, 4))
    with pytest.raises(Conflict, match="no carrier has it to deliver"):
        transfer.mark_delivered(AT_THE_STORE)


@pytest.mark.parametrize("state", ["received", "cancelled"])
def test_a_transfer_no_longer_on_its_way_is_neither_revised_nor_delivered(state: str) -> None:
    transfer = a_shipped_transfer()
    setattr(transfer, state, True)

    with pytest.raises(Conflict, match=f"trf_1 was already {state}"):
        transfer.revise_arrival(date(2026, 12, 4))
    with pytest.raises(Conflict, match=f"trf_1 was already {state}"):
        transfer.mark_delivered(AT_THE_STORE)
    assert (transfer.expected_on, transfer.delivered_at) == (PLANNED, None)


def test_the_carriers_delivery_is_kept_once_and_counts_nothing_in() -> None:
    transfer = a_shipped_transfer()

    assert transfer.mark_delivered(AT_THE_STORE) is True
    assert transfer.mark_delivered(datetime(2026, 12, 3, tzinfo=UTC)) is False

    assert transfer.delivered_at == AT_THE_STORE
    assert transfer.pending and not transfer.received  # the store still receives it


def test_a_delivered_transfer_keeps_its_day_but_takes_the_same_report_again() -> None:
    transfer = a_shipped_transfer()
    transfer.mark_delivered(AT_THE_STORE)

    with pytest.raises(Conflict, match="delivered at NYC-5 at 2026-12-02T09:30:00"):
        transfer.revise_arrival(date(2026, 12, 6))
    assert transfer.report_shipped("ups", "1Z1", LEFT, PLANNED, LEFT) is False
    assert transfer.expected_on == PLANNED
