"""A partner's 997 recorded against the documents Ordo sent them, on the in-memory store: each
named by its group's control number, for the pair the 997 came from, is marked accepted or
rejected with the partner's codes and audited; a rejected one raises `edi.document_rejected`
and a high alert, once while it stays rejected; a 997 naming what Ordo never sent this
partner is refused whole, naming each, and records nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from connectors.channels.x12 import Place
from connectors.channels.x12_functional_acks import SetAck
from connectors.channels.x12_outbound import interchange_to, transaction_set
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain import events
from engine.domain.edi import OutboundDocument
from engine.service_layer import functional_acks
from tests.support.edi_partners import CHANNEL, ENVELOPE, NOW

GLOBEX = replace(ENVELOPE, partner_id="GLOBEX")


def sent(document_id: str, kind: str, number: int, to: str = "BUYERCO") -> OutboundDocument:
    """A document as Ordo writes one: alone, set 0001, in an interchange numbered `number`."""
    envelope = GLOBEX if to == "GLOBEX" else ENVELOPE
    group = {"855": "PR", "856": "SH"}[kind]
    text = interchange_to(envelope, group, [transaction_set(kind, 1, [["BSN", "00"]])],
                          control_number=number, at=NOW)  # fmt: skip
    return OutboundDocument(document_id, CHANNEL, kind, f"about-{document_id}", "ord_1", number,
                            text, NOW)  # fmt: skip


def mailbox(*documents: OutboundDocument) -> InMemoryUnitOfWork:
    uow = InMemoryUnitOfWork()
    with uow:
        for document in documents:
            uow.edi.add_document(document)
        uow.commit()
    return uow


def named(group: str, number: int, kind: str, code: str, *codes: str) -> SetAck:
    """What a 997 says of set 0001 of group `number` (`kind` "": the group as a whole)."""
    return SetAck(Place(4, "AK2"), group, number, kind, "0001" if kind else "", code, codes)


def received(uow: InMemoryUnitOfWork, *sets: SetAck) -> list[OutboundDocument]:
    return functional_acks.receive(lambda: uow, CHANNEL, ENVELOPE.pair, sets, "key:gateway")


def raised(uow: InMemoryUnitOfWork) -> list[events.Event]:
    kinds = (events.EdiDocumentRejected, events.AlertTriggered)
    return [event for event in uow.committed_events if isinstance(event, kinds)]


def test_a_rejected_856_is_marked_with_the_codes_and_raises_an_event_and_a_high_alert() -> None:
    uow = mailbox(sent("edi_855", "855", 2), sent("edi_856", "856", 3))
    [document] = received(uow, named("SH", 3, "856", "R", "AK502=5", "AK403=7 (TD5*03)"))

    assert (document.id, document.functional_ack) == ("edi_856", "rejected")
    assert document.functional_ack_at is not None
    assert document.functional_ack_codes == ("AK502=5", "AK403=7 (TD5*03)")
    rejected, alert = raised(uow)
    assert rejected == events.EdiDocumentRejected(
        "edi_856", CHANNEL, "856", "about-edi_856", "ord_1", 3, ["AK502=5", "AK403=7 (TD5*03)"]
    )
    assert isinstance(alert, events.AlertTriggered)
    assert (alert.rule, alert.key, alert.severity) == ("edi/document rejected", "edi_856", "high")
    assert "rejected the 856" in alert.message and "order ord_1" in alert.message
    assert "AK502=5, AK403=7 (TD5*03)" in alert.message
    assert [(e.action, e.entity_id) for e in uow.audit.committed] == [
        ("edi.functional_ack", "edi_856")
    ]
    other = uow.edi.document("edi_855")
    assert other is not None and other.functional_ack == ""


def test_accepted_and_accepted_with_errors_raise_nothing_and_a_group_without_ak2_counts() -> None:
    uow = mailbox(sent("edi_855", "855", 2), sent("edi_856", "856", 3))
    documents = received(uow, named("PR", 2, "855", "E", "AK304=8 (N1, segment 3 of the set)"),
                         named("SH", 3, "", "A"))  # fmt: skip
    assert [(d.id, d.functional_ack) for d in documents] == [
        ("edi_855", "accepted_with_errors"), ("edi_856", "accepted"),
    ]  # fmt: skip
    assert raised(uow) == []


def test_the_same_rejection_again_alerts_once_and_a_later_acceptance_stands() -> None:
    uow = mailbox(sent("edi_856", "856", 3))
    received(uow, named("SH", 3, "856", "R", "AK502=5"))
    received(uow, named("SH", 3, "856", "R", "AK502=5"))  # the gateway's retry
    assert len(raised(uow)) == 2  # one event, one alert
    [document] = received(uow, named("SH", 3, "856", "A"))
    assert (document.functional_ack, document.functional_ack_codes) == ("accepted", ())


def test_a_997_naming_what_ordo_never_sent_this_partner_is_refused_whole() -> None:
    # Number 3 went to another partner; number 9 to none; the 856 went out in an SH group.
    uow = mailbox(sent("edi_856", "856", 2), sent("edi_globex", "856", 3, to="GLOBEX"))
    with pytest.raises(functional_acks.UnknownDocuments) as refused:
        received(uow, named("SH", 2, "856", "R"), named("SH", 3, "856", "R"),
                 named("SH", 9, "", "A"), named("PR", 2, "855", "A"))  # fmt: skip

    assert refused.value.unknown == (
        ("segment 4 (AK2)", "transaction set 856 0001 of functional group SH 3: Ordo sent "
                            "ZZ/BUYERCO no such document on this channel"),
        ("segment 4 (AK2)", "functional group SH 9: Ordo sent ZZ/BUYERCO no such document on "
                            "this channel"),
        ("segment 4 (AK2)", "transaction set 855 0001 of functional group PR 2: Ordo sent "
                            "ZZ/BUYERCO no such document on this channel"),
    )  # fmt: skip
    assert "none of it is recorded" in refused.value.message
    kept = uow.edi.document("edi_856")
    assert kept is not None and kept.functional_ack == ""
    assert raised(uow) == [] and uow.audit.committed == []


def test_a_set_other_than_the_first_of_its_group_is_no_document_of_ordos() -> None:
    uow = mailbox(sent("edi_856", "856", 2))
    with pytest.raises(functional_acks.UnknownDocuments):
        received(uow, replace(named("SH", 2, "856", "A"), control_number="0002"))
    [document] = received(uow, replace(named("SH", 2, "856", "A"), control_number="1"))
    assert document.functional_ack == "accepted"


def test_a_rejection_of_a_document_written_again_already_is_recorded_but_raises_nothing() -> None:
    uow = mailbox(sent("edi_856", "856", 3))
    received(uow, named("SH", 3, "856", "R", "AK502=5"))  # one event, one alert
    with uow:  # a person had it written again (edi_resends)
        uow.edi.mark_replaced("edi_856", "edi_856_again")
        uow.commit()
    received(uow, named("SH", 3, "856", "A"))
    # A 997 rejecting it again, late: its replacement is what the partner is to hold now.
    [document] = received(uow, named("SH", 3, "856", "R", "AK502=5"))

    assert (document.functional_ack, document.functional_ack_codes) == ("rejected", ("AK502=5",))
    assert len(raised(uow)) == 2  # the first rejection's only
    last = uow.audit.committed[-1]
    assert (last.action, last.entity_id) == ("edi.functional_ack", "edi_856")
    assert last.after == {
        "functional_ack": "rejected", "codes": ["AK502=5"], "replaced_by": "edi_856_again",
    }  # fmt: skip
