"""A document the partner rejected, written again on the in-memory store: a new document of
the same kind about the same shipment or order, read from Ordo's data as it stands now,
under the pair's next control number, linked both ways to the one it replaces, which stays;
raised as `edi.document_resent`, audited, and the rejection's alert closed. Asked again, the
replacement written already is the answer; a document not rejected is a conflict naming
what the partner's 997 said; another channel's document is not found."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.channels import x12
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain import events
from engine.domain.edi import (
    FA_ACCEPTED,
    FA_ERRORS_NOTED,
    FA_REJECTED,
    OutboundDocument,
)
from engine.domain.errors import Conflict, NotFound
from engine.domain.operations import Alert, AlertStatus
from engine.service_layer import edi
from engine.service_layer.edi_resends import Resent, resend
from engine.service_layer.functional_acks import REJECTED_RULE
from tests.unit.events import test_po_acknowledgement_writer as acknowledgements
from tests.unit.events import test_ship_notice_writer as notices

LATER = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CHANNEL = "b2b-acme"


def the_only(uow: InMemoryUnitOfWork, kind: str) -> OutboundDocument:
    [document] = [d for d in edi.outbound(lambda: uow, CHANNEL, pending=None) if d.kind == kind]
    return document


def said(uow: InMemoryUnitOfWork, document_id: str, status: str) -> None:
    """The partner's 997 said `status` of the document."""
    with uow:
        uow.edi.record_functional_ack(document_id, status, ["AK502=5"], LATER)
        uow.commit()


def a_rejected_856() -> tuple[InMemoryUnitOfWork, OutboundDocument]:
    """Shipment F-1 of EDI order O-1 shipped, its 856 written and rejected by the partner."""
    uow = notices.seeded()
    notices.writer()(notices.status_changed(), uow)
    rejected = the_only(uow, "856")
    said(uow, rejected.id, FA_REJECTED)
    return uow, rejected


def resent(uow: InMemoryUnitOfWork, document_id: str, scope: str | None = None) -> Resent:
    return resend(lambda: uow, document_id, scope, "admin:ops", {"SWX": "Swift Express"},
                  clock=lambda: LATER)  # fmt: skip


def test_a_rejected_856_is_written_again_from_the_shipment_as_it_stands_now() -> None:
    uow, rejected = a_rejected_856()
    with uow:  # the fix: the carrier's tracking number was wrong
        shipment = uow.shipments.get("F-1")
        assert shipment is not None
        shipment.tracking_number = "1Z777"
        uow.commit()

    answer = resent(uow, rejected.id)

    assert answer.created
    new = answer.document
    assert (new.kind, new.reference, new.order_id, new.replaces) == (
        "856", "F-1#2", "O-1", rejected.id,
    )  # fmt: skip
    assert new.control_number == rejected.control_number + 1
    assert x12.parse(new.content).control_number == f"{new.control_number:09d}"
    assert notices.by_tag(new.content, "REF") == [["CN", "1Z777"]]
    assert notices.by_tag(new.content, "PRF")[0][0] == "PO-1001"
    old = uow.edi.document(rejected.id)
    assert old is not None
    assert (old.replaced_by, old.content, old.functional_ack) == (
        new.id, rejected.content, FA_REJECTED,
    )  # fmt: skip
    [raised] = [e for e in uow.committed_events if isinstance(e, events.EdiDocumentResent)]
    assert raised == events.EdiDocumentResent(
        new.id, rejected.id, CHANNEL, "856", "F-1#2", "O-1", new.control_number, "admin:ops"
    )
    [entry] = [e for e in uow.audit.committed if e.action == "edi.resend"]
    assert (entry.actor, entry.entity_id, entry.after["replaced_by"]) == (
        "admin:ops", rejected.id, new.id,
    )  # fmt: skip


def test_the_same_rejected_document_asked_again_answers_with_its_replacement() -> None:
    uow, rejected = a_rejected_856()
    first = resent(uow, rejected.id)

    again = resent(uow, rejected.id)

    assert (again.created, again.document.id) == (False, first.document.id)
    assert len(edi.outbound(lambda: uow, CHANNEL, pending=None)) == 2
    # No number was taken for the second request: the next document gets the one after.
    pair = notices.ENVELOPE.pair
    assert edi.take_control_number(lambda: uow, pair) == first.document.control_number + 1
    assert len([e for e in uow.committed_events if isinstance(e, events.EdiDocumentResent)]) == 1


def test_the_rejections_alert_is_closed_naming_the_replacement() -> None:
    uow, rejected = a_rejected_856()
    with uow:
        uow.alerts.add(
            Alert("alr_1", REJECTED_RULE, "high", rejected.id, "rejected", LATER)
        )  # fmt: skip
        uow.commit()

    new = resent(uow, rejected.id).document

    alert = uow.alerts.get("alr_1")
    assert alert is not None
    assert (alert.status, alert.closed_by) == (AlertStatus.CLOSED, "admin:ops")
    [closed] = [e for e in uow.committed_events if isinstance(e, events.AlertClosed)]
    assert closed.note == f"written again as {new.id}"


@pytest.mark.parametrize(
    ("status", "named"),
    [
        ("", "no 997 from the partner has named it yet"),
        (FA_ACCEPTED, "the partner's 997 accepted it"),
        (FA_ERRORS_NOTED, "accepted it with errors noted"),
    ],
)
def test_a_document_the_partner_did_not_reject_is_not_written_again(
    status: str, named: str
) -> None:
    uow = notices.seeded()
    notices.writer()(notices.status_changed(), uow)
    document = the_only(uow, "856")
    if status:
        said(uow, document.id, status)

    with pytest.raises(Conflict) as refused:
        resent(uow, document.id)

    assert named in refused.value.message
    assert f"functional_ack '{status or 'none'}'" in refused.value.message
    assert len(edi.outbound(lambda: uow, CHANNEL, pending=None)) == 1


def test_an_unknown_document_or_another_channels_is_not_found() -> None:
    uow, rejected = a_rejected_856()
    with pytest.raises(NotFound):
        resent(uow, "edi_nope")
    with pytest.raises(NotFound):
        resent(uow, rejected.id, scope="b2b-globex")
    assert resent(uow, rejected.id, scope=CHANNEL).created


def test_a_rejected_original_855_is_written_again_as_an_original() -> None:
    uow = acknowledgements.seeded()
    acknowledgements.writer()(acknowledgements.decided(), uow)
    rejected = the_only(uow, "855")
    said(uow, rejected.id, FA_REJECTED)

    new = resent(uow, rejected.id).document

    assert (new.kind, new.reference, new.replaces) == ("855", "O-1#2", rejected.id)
    assert new.control_number == rejected.control_number + 1
    bak = acknowledgements.by_tag(new.content, "BAK")[0]
    assert (bak[0], bak[2], bak[7]) == ("00", "PO-1001", "O-1")


def test_a_rejected_change_855_is_written_again_as_a_change_after_the_one_the_partner_holds() -> (
    None
):
    uow = acknowledgements.seeded()
    writer = acknowledgements.writer()
    writer(acknowledgements.decided(event_id="evt-1"), uow)
    original = the_only(uow, "855")
    said(uow, original.id, FA_ACCEPTED)
    with uow:  # cancelled after its 855: a change 855 deletes every line
        order = uow.orders.get("O-1")
        assert order is not None
        order.cancel("the buyer called")
        uow.commit()
    writer(acknowledgements.decided("cancelled", event_id="evt-2"), uow)
    [change] = [d for d in edi.outbound(lambda: uow, CHANNEL, pending=None) if d.replaces == ""
                and d.id != original.id]  # fmt: skip
    said(uow, change.id, FA_REJECTED)

    new = resent(uow, change.id).document

    assert (new.reference, new.replaces) == ("O-1#3", change.id)
    assert acknowledgements.by_tag(new.content, "BAK")[0][:2] == ["04", "RD"]
    assert {ack[0] for ack in acknowledgements.by_tag(new.content, "ACK")} == {"ID"}
