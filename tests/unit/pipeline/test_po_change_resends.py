"""An 865 the partner rejected, written again on the bus with fakes: the new 865 restates what
Ordo answered to the 860, read from the order's `edi.po_change` audit entry (the change is not
applied again), in the 860's envelope under the pair's next control number, about
`<order id>/<the 860's key>#<n>`, linked both ways to the one it replaces. An entry recorded
before Ordo kept what an 865 echoes is a conflict saying so."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.channels import x12
from engine.domain.edi import FA_REJECTED, OutboundDocument
from engine.domain.errors import Conflict
from engine.service_layer.edi_resends import Resent, resend
from tests.unit.pipeline.test_channel_kit_unit_cancellations import GIFT_SET, parts_of
from tests.unit.pipeline.test_po_change_kits import a_kit_po, changed
from tests.unit.pipeline.world import Engine

LATER = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def a_rejected_865() -> tuple[Engine, str, OutboundDocument]:
    """Line 7 (3 kits) decreased to 1 and line 9, never sent, deleted by 860 `860:1`; its 865
    rejected by the partner's 997."""
    engine, order_id = a_kit_po(GIFT_SET)
    done = changed(engine, ("7", "QD", "1", "3", "EA"), ("9", "DI", "0"), acknowledge=True)
    assert done.document is not None
    rejected(engine, done.document.id)
    return engine, order_id, done.document


def rejected(engine: Engine, document_id: str) -> None:
    with engine.uow as uow:
        uow.edi.record_functional_ack(document_id, FA_REJECTED, ["AK502=5"], LATER)
        uow.commit()


def resent(engine: Engine, document_id: str) -> Resent:
    return resend(lambda: engine.uow, document_id, None, "admin:ops", {}, clock=lambda: LATER)


def body(text: str) -> list[list[str]]:
    """The 865's segments between ST and SE, BCA's date acknowledged (BCA10) left out."""
    [tset] = x12.parse(text, x12.Reads("CA", "865", "", "")).groups[0].transaction_sets
    segments = [[s.tag, *s.elements] for s in tset.segments[1:-1]]
    return [s[:10] if s[0] == "BCA" else s for s in segments]


def test_a_rejected_865_is_written_again_restating_what_was_answered_to_its_860() -> None:
    engine, order_id, old = a_rejected_865()
    entries = len(engine.uow.audit.committed)

    answer = resent(engine, old.id)

    new = answer.document
    assert answer.created
    assert (new.kind, new.reference, new.order_id, new.replaces) == (
        "865", f"{order_id}/860:1#2", order_id, old.id,
    )  # fmt: skip
    assert new.control_number == old.control_number + 1
    assert x12.parse(new.content, x12.Reads("CA", "865", "", "")).control_number == (
        f"{new.control_number:09d}"
    )
    assert body(new.content) == body(old.content)
    assert body(new.content)[1:] == [
        ["POC", "7", "QD", "1", "3", "EA"], ["ACK", "IQ", "1", "EA"],
        ["POC", "9", "DI", "0"], ["ACK", "IR", "0", "EA"],
        ["CTT", "2"],
    ]  # fmt: skip
    # Not applied again: the kit stays at one, and only the resend was audited.
    assert parts_of(engine, order_id) == {"7.1": (1, 0), "7.2": (2, 0), "8": (1, 0)}
    added = [e.action for e in engine.uow.audit.committed[entries:]]
    assert added == ["edi.resend"]
    found = engine.uow.edi.document(old.id)
    assert found is not None and found.replaced_by == new.id


def test_a_replacement_rejected_in_its_turn_is_written_again_as_the_next_865() -> None:
    engine, order_id, old = a_rejected_865()
    first = resent(engine, old.id).document
    rejected(engine, first.id)

    second = resent(engine, first.id).document

    assert (second.reference, second.replaces) == (f"{order_id}/860:1#3", first.id)
    assert body(second.content) == body(old.content)


def test_an_860_recorded_before_ordo_kept_what_its_865_echoes_is_a_conflict_saying_so() -> None:
    engine, _, old = a_rejected_865()
    for entry in engine.uow.audit.committed:
        if entry.action == "edi.po_change":
            entry.after.pop("echoed")

    with pytest.raises(Conflict, match="recorded before Ordo kept what an 865 echoes"):
        resent(engine, old.id)
    found = engine.uow.edi.document(old.id)
    assert found is not None and found.replaced_by == ""
