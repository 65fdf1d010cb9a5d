"""A carrier's tracking post is a command (`TrackShipment`) the bus hands to one handler: a
new event is recorded and audited, a retried one changes and audits nothing, and the handler
says which (the race between two posts is checked on PostgreSQL in
tests/integration/persistence/test_tracking_posts_decided_under_lock.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.commands import TrackShipment
from engine.domain.errors import Conflict, NotFound
from engine.domain.fulfilment import ShipmentStatus
from engine.service_layer.messagebus import MessageBus, command_handlers
from tests.support import builders as b

AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def a_bus_with_a_shipment() -> tuple[MessageBus, InMemoryUnitOfWork]:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.shipments.add(b.a_shipment(id="F-1", tracking=[]))
        uow.commit()
    return MessageBus(lambda: uow, command_handlers(), {}), uow


def post(bus: MessageBus, at: datetime = AT, code: str = "in_transit") -> bool:
    added: bool = bus.handle(TrackShipment("F-1", at, code, "Departed", "Memphis", "wh-key"))
    return added


def test_a_new_event_is_recorded_audited_and_reported_as_added() -> None:
    bus, uow = a_bus_with_a_shipment()
    assert post(bus) is True
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None and [t.code for t in shipment.tracking] == ["in_transit"]
        [entry] = uow.audit.list(entity="shipment", entity_id="F-1")
    assert (entry.action, entry.actor) == ("shipment.tracking", "wh-key")
    assert entry.after == {
        "at": "2026-11-22T09:30:00+00:00",
        "code": "in_transit",
        "description": "Departed",
        "location": "Memphis",
    }


def test_a_retried_event_even_in_another_zone_adds_and_audits_nothing() -> None:
    bus, uow = a_bus_with_a_shipment()
    post(bus)
    assert post(bus, AT.astimezone(timezone(timedelta(hours=-5)))) is False
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None and len(shipment.tracking) == 1
        assert len(uow.audit.list(entity="shipment", entity_id="F-1")) == 1


def test_an_event_for_a_shipment_that_does_not_exist_is_refused_naming_it() -> None:
    bus, _ = a_bus_with_a_shipment()
    with pytest.raises(NotFound, match="F-404"):
        bus.handle(TrackShipment("F-404", AT, "in_transit"))


@pytest.mark.parametrize("status", [ShipmentStatus.PENDING, ShipmentStatus.CANCELLED])
def test_a_shipment_no_carrier_has_takes_no_tracking_events(status: ShipmentStatus) -> None:
    bus, uow = a_bus_with_a_shipment()
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None
        shipment.status = status
        uow.commit()
    with pytest.raises(Conflict, match=f"shipment F-1 is {status}: no carrier has it"):
        post(bus, code="delivered")
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None and shipment.tracking == []
        assert uow.audit.list(entity="shipment", entity_id="F-1") == []


def test_a_hook_given_with_the_command_is_written_in_the_command_s_own_commit() -> None:
    bus, _ = a_bus_with_a_shipment()
    seen: list[int] = []

    def note(inside: Any) -> None:
        shipment = inside.shipments.get("F-1")
        seen.append(len(shipment.tracking))  # the command's change, not yet committed

    bus.handle(TrackShipment("F-1", AT, "scanned", "", "", "hook"), before_commit=note)
    assert seen == [1]


def test_a_hook_that_fails_takes_the_command_s_change_with_it() -> None:
    bus, uow = a_bus_with_a_shipment()

    def fail(_: Any) -> None:
        raise RuntimeError("the audit log is full")

    with pytest.raises(RuntimeError, match="audit log is full"):
        bus.handle(TrackShipment("F-1", AT, "scanned", "", "", "hook"), before_commit=fail)
    with uow:
        shipment = uow.shipments.get("F-1")
        assert shipment is not None and shipment.tracking == []


def test_the_hook_of_a_refused_command_never_runs_in_a_later_commit() -> None:
    bus, _ = a_bus_with_a_shipment()
    ran: list[str] = []
    with pytest.raises(NotFound):
        bus.handle(
            TrackShipment("NO-SUCH", AT, "scanned", "", "", "hook"),
            before_commit=lambda _: ran.append("refused command's hook"),
        )
    post(bus)  # the same unit of work commits the next command
    assert ran == []
