"""The smaller state machines: shipments, returns, reservations, rulesets and alerts.

The expected moves are written out here as the specification, and each machine is checked
over its full matrix, so a move added or lost in the domain shows up as a failing case.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Any

import pytest

from engine.domain import events
from engine.domain.errors import IllegalTransition
from engine.domain.fulfilment import ReturnStatus, ShipmentStatus
from engine.domain.inventory import ReservationStatus
from engine.domain.operations import AlertStatus, RulesetStatus
from tests.support import builders as b

Sh, Rt, Rv, Rs = ShipmentStatus, ReturnStatus, ReservationStatus, RulesetStatus

SHIPMENT_MOVES = {
    Sh.PENDING: {Sh.RELEASED, Sh.CANCELLED},
    Sh.RELEASED: {Sh.PICKED, Sh.PACKED, Sh.SHIPPED},
    Sh.PICKED: {Sh.PACKED, Sh.SHIPPED},
    Sh.PACKED: {Sh.SHIPPED},
    Sh.SHIPPED: {Sh.DELIVERED},
    Sh.DELIVERED: set(),
    Sh.CANCELLED: set(),
}
RETURN_MOVES = {
    Rt.REQUESTED: {Rt.AUTHORISED, Rt.REJECTED},
    Rt.AUTHORISED: {Rt.RECEIVED, Rt.REJECTED},
    Rt.RECEIVED: {Rt.REFUNDED},
    Rt.REFUNDED: set(),
    Rt.REJECTED: set(),
}
RESERVATION_MOVES = {
    Rv.ACTIVE: {Rv.RELEASED, Rv.CONSUMED, Rv.EXPIRED},
    Rv.RELEASED: set(),
    Rv.CONSUMED: set(),
    Rv.EXPIRED: set(),
}
RULESET_MOVES = {
    Rs.DRAFT: {Rs.PUBLISHED},
    Rs.PUBLISHED: {Rs.RETIRED},
    Rs.RETIRED: {Rs.PUBLISHED},
}


def _matrix(moves: dict[Any, set[Any]], enum: type[StrEnum]) -> list[Any]:
    return [
        pytest.param(a, c, c in moves[a], id=f"{a}->{c}") for a, c in itertools.product(enum, enum)
    ]


def _check(entity: Any, move: Callable[[], None], target: Any, legal: bool) -> None:
    before = entity.status
    if legal:
        move()
        assert entity.status == target
    else:
        with pytest.raises(IllegalTransition, match=f"'{before}' to '{target}'"):
            move()
        assert entity.status == before


@pytest.mark.parametrize(("current", "target", "legal"), _matrix(SHIPMENT_MOVES, Sh))
def test_shipment_moves(current: ShipmentStatus, target: ShipmentStatus, legal: bool) -> None:
    # Unlabelled: a labelled one cancelled voids its label too (test_label_voided.py).
    shipment = b.a_shipment(status=current, shipped_at=None, delivered_at=None, label_format="")

    _check(shipment, lambda: shipment.move(target, b.at(9)), target, legal)

    assert len(shipment.events) == int(legal)


@pytest.mark.parametrize(("current", "target", "legal"), _matrix(RETURN_MOVES, Rt))
def test_return_moves(current: ReturnStatus, target: ReturnStatus, legal: bool) -> None:
    ret = b.a_return(status=current)

    _check(ret, lambda: ret.move(target), target, legal)

    expected = [events.ReturnStatusChanged(ret.id, ret.order_id, current, target)]
    assert ret.events == (expected if legal else [])


@pytest.mark.parametrize(("current", "target", "legal"), _matrix(RESERVATION_MOVES, Rv))
def test_reservation_moves(
    current: ReservationStatus, target: ReservationStatus, legal: bool
) -> None:
    reservation = b.a_reservation(status=current)

    _check(reservation, lambda: reservation.move(target), target, legal)


@pytest.mark.parametrize(("current", "target", "legal"), _matrix(RULESET_MOVES, Rs))
def test_ruleset_moves(current: RulesetStatus, target: RulesetStatus, legal: bool) -> None:
    version = b.a_ruleset_version(status=current, published_at=None, published_by="")

    _check(version, lambda: version.move(target, "lead", b.at(50)), target, legal)


def test_shipping_and_delivering_stamp_the_times_and_announce_the_carrier() -> None:
    shipment = b.a_shipment(status=Sh.PACKED, shipped_at=None)

    shipment.move(Sh.SHIPPED, b.at(100))
    shipment.move(Sh.DELIVERED, b.at(200))

    assert (shipment.shipped_at, shipment.delivered_at) == (b.at(100), b.at(200))
    assert shipment.events[0] == events.ShipmentStatusChanged(
        "F-1", "O-1", "DAL-01", Sh.PACKED, Sh.SHIPPED, "ups", "1Z999"
    )


def test_a_shipment_is_late_only_while_undelivered_after_its_promised_date() -> None:
    shipment = b.a_shipment(status=Sh.SHIPPED, promised_date=date(2026, 3, 6))

    assert not shipment.is_late(date(2026, 3, 6))
    assert shipment.is_late(date(2026, 3, 7))
    shipment.move(Sh.DELIVERED, b.at(9000))
    assert not shipment.is_late(date(2026, 3, 7))
    assert not b.a_shipment(promised_date=None).is_late(date(2030, 1, 1))


def test_publishing_a_ruleset_records_who_and_when_and_rollback_republishes() -> None:
    version = b.a_ruleset_version(status=Rs.DRAFT, published_at=None, published_by="")

    version.move(Rs.PUBLISHED, "lead", b.at(50))
    version.move(Rs.RETIRED, "lead", b.at(60))
    version.move(Rs.PUBLISHED, "ana", b.at(70))

    assert (version.status, version.published_by, version.published_at) == (
        Rs.PUBLISHED,
        "ana",
        b.at(70),
    )


def test_a_reservation_expires_only_while_active_and_once_its_time_has_come() -> None:
    reservation = b.a_reservation(expires_at=b.at(60))

    assert not reservation.is_expired(b.at(59))
    assert reservation.is_expired(b.at(60))
    reservation.move(Rv.CONSUMED)
    assert not reservation.is_expired(b.at(61))
    assert not b.a_reservation(expires_at=None).is_expired(b.at(10_000))


def test_an_open_alert_is_acknowledged_once() -> None:
    alert = b.an_alert(status=AlertStatus.OPEN, acknowledged_by="", acknowledged_at=None)

    alert.acknowledge("sam", b.at(30))

    assert (alert.status, alert.acknowledged_by, alert.acknowledged_at) == (
        AlertStatus.ACKNOWLEDGED,
        "sam",
        b.at(30),
    )
    with pytest.raises(IllegalTransition, match="'acknowledged' to 'acknowledged'"):
        alert.acknowledge("kim", b.at(31))
    assert alert.acknowledged_by == "sam"


def test_a_closed_alert_cannot_be_acknowledged() -> None:
    with pytest.raises(IllegalTransition):
        b.an_alert(status=AlertStatus.CLOSED).acknowledge("sam", b.at(30))


def test_an_alert_seen_again_counts_the_occurrence() -> None:
    alert = b.an_alert(occurrences=1, last_seen_at=None)

    alert.seen_again(b.at(40))
    alert.seen_again(b.at(41))

    assert (alert.occurrences, alert.last_seen_at) == (3, b.at(41))
