"""A buyer's 860 whose transaction dies at its commit, on the bus with fakes: the units it
cancels (or refuses, with their alert) and its own record (`edi.po_change`, its event, the
865) are one commit, so a crash leaves nothing half done, and the partner's resend applies
the change then, never answering its lines `IR` as if someone else had taken them off.
Purchase order W-1: PO1 7, 3 kits of a MUG and 2 TEAs, and PO1 8, one A
(`test_po_change_kits.a_kit_po`)."""

from __future__ import annotations

import pytest

from engine.domain import commands as c
from engine.domain import events
from engine.domain.events import Event
from engine.domain.orders import OrderStatus
from engine.service_layer.channel_unit_cancellations import REFUSED_ACTION
from tests.unit.pipeline.test_channel_kit_unit_cancellations import GIFT_SET, parts_of
from tests.unit.pipeline.test_channel_unit_cancellations import pick
from tests.unit.pipeline.test_po_change_kits import a_kit_po, changed, said
from tests.unit.pipeline.world import Engine

UNCHANGED = {"7.1": (3, 0), "7.2": (6, 0), "8": (1, 0)}


class Crash(Exception):
    """The process dying at a commit: nothing of that transaction is written."""


def crashing_once(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next commit of `engine` that records an 860 taken (`edi.po_change_received`) dies,
    rolled back as a database rolls back a transaction that never committed."""
    commit = engine.uow._commit

    def dying(recorded: list[Event]) -> None:
        if any(isinstance(e, events.EdiPoChangeReceived) for e in recorded):
            monkeypatch.setattr(engine.uow, "_commit", commit)
            raise Crash("the process died at the commit")
        commit(recorded)

    monkeypatch.setattr(engine.uow, "_commit", dying)


def actions(engine: Engine, order_id: str) -> list[str]:
    with engine.uow as uow:
        return [e.action for e in uow.audit.list(entity="order", entity_id=order_id)]


def the_865s(engine: Engine, order_id: str) -> int:
    with engine.uow as uow:
        return sum(d.kind == "865" for d in uow.edi.documents_about_orders([order_id]))


def test_a_crash_at_the_commit_of_a_delete_leaves_its_units_on_and_the_resend_applies_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, order_id = a_kit_po(GIFT_SET)
    crashing_once(engine, monkeypatch)

    with pytest.raises(Crash):
        changed(engine, ("7", "DI", "0", "", "EA"), acknowledge=True)

    assert parts_of(engine, order_id) == UNCHANGED
    assert "edi.po_change" not in actions(engine, order_id)
    assert the_865s(engine, order_id) == 0

    again = changed(engine, ("7", "DI", "0", "", "EA"), acknowledge=True)

    assert said(again.answered) == [("7", "ID", 3)]
    assert parts_of(engine, order_id) == {"8": (1, 0)}
    assert actions(engine, order_id).count("edi.po_change") == 1
    assert the_865s(engine, order_id) == 1


def test_a_crash_at_the_commit_of_an_860_leaving_nothing_leaves_the_order_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, order_id = a_kit_po(GIFT_SET)
    crashing_once(engine, monkeypatch)

    with pytest.raises(Crash):
        changed(engine, ("7", "DI", "0", "", "EA"), ("8", "DI", "0", "", "EA"), acknowledge=True)

    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        assert order.status is not OrderStatus.CANCELLED
    assert "edi.po_change" not in actions(engine, order_id)

    again = changed(engine, ("7", "DI", "0", "", "EA"), ("8", "DI", "0", "", "EA"),
                    acknowledge=True)  # fmt: skip

    assert said(again.answered) == [("7", "ID", 3), ("8", "ID", 1)]
    assert again.order.status is OrderStatus.CANCELLED
    assert actions(engine, order_id).count("edi.po_change") == 1
    assert the_865s(engine, order_id) == 1


def test_a_crash_at_the_commit_of_a_refused_decrease_raises_no_alert_and_the_resend_does_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, order_id = a_kit_po(GIFT_SET)
    engine.bus.handle(c.ReleaseOrder(order_id))
    pick(engine, order_id)
    crashing_once(engine, monkeypatch)

    with pytest.raises(Crash):
        changed(engine, ("7", "QD", "1", "3", "EA"), acknowledge=True)

    assert REFUSED_ACTION not in actions(engine, order_id)
    assert "edi.po_change" not in actions(engine, order_id)

    again = changed(engine, ("7", "QD", "1", "3", "EA"), acknowledge=True)

    [answer] = again.answered.lines
    assert (answer.status, answer.quantity) == ("IR", 3)
    assert "past changing" in answer.reason
    assert actions(engine, order_id).count(REFUSED_ACTION) == 1
    assert actions(engine, order_id).count("edi.po_change") == 1
    assert the_865s(engine, order_id) == 1
