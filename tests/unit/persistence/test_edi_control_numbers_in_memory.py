"""The control numbers of Ordo's interchanges on the in-memory store: a sequence per
sender/receiver pair from 1, wrapping after 999999999, that a rolled-back transaction does
not advance; and the mailbox's documents, one per kind and reference."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.edi import MOST_CONTROL_NUMBER, OutboundDocument, Pair
from engine.domain.errors import Conflict
from engine.service_layer import edi

ACME = Pair("ZZ", "ORDO", "ZZ", "ACME")
GLOBEX = Pair("ZZ", "ORDO", "01", "GLOBEX")
AT = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)


def taken(uow: InMemoryUnitOfWork, pair: Pair, times: int) -> list[int]:
    return [edi.take_control_number(lambda: uow, pair) for _ in range(times)]


def test_each_pair_counts_from_one_on_its_own() -> None:
    uow = InMemoryUnitOfWork()
    assert taken(uow, ACME, 3) == [1, 2, 3]
    assert taken(uow, GLOBEX, 2) == [1, 2]
    assert taken(uow, ACME, 1) == [4]


def test_after_999999999_the_sequence_starts_again_at_one() -> None:
    uow = InMemoryUnitOfWork()
    uow.edi.numbers[ACME] = MOST_CONTROL_NUMBER - 1
    assert taken(uow, ACME, 3) == [MOST_CONTROL_NUMBER, 1, 2]


def test_a_number_taken_in_a_transaction_rolled_back_is_taken_again() -> None:
    uow = InMemoryUnitOfWork()
    with uow:
        assert uow.edi.next_control_number(ACME) == 1
    assert taken(uow, ACME, 1) == [1]


def a_document(document_id: str, reference: str = "ful_1") -> OutboundDocument:
    return OutboundDocument(document_id, "b2b-acme", "856", reference, "ord_1", 1, "ISA~", AT)


def test_a_second_document_of_one_kind_about_one_shipment_is_a_conflict() -> None:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.edi.add_document(a_document("edi_1"))
        uow.commit()
    with uow, pytest.raises(Conflict, match="one is written per shipment"):
        uow.edi.add_document(a_document("edi_2"))
    assert [d.id for d in edi.outbound(lambda: uow, "b2b-acme")] == ["edi_1"]


def test_an_acknowledged_document_leaves_the_pending_list_and_keeps_its_first_time() -> None:
    uow = InMemoryUnitOfWork()
    with uow:
        uow.edi.add_document(a_document("edi_1", "ful_1"))
        uow.edi.add_document(a_document("edi_2", "ful_2"))
        uow.commit()
    first = edi.acknowledge(lambda: uow, "edi_1", "b2b-acme", "key:gateway")
    again = edi.acknowledge(lambda: uow, "edi_1", None, "key:admin")
    assert (again.acknowledged_at, again.acknowledged_by) == (first.acknowledged_at, "key:gateway")
    assert [d.id for d in edi.outbound(lambda: uow, "b2b-acme")] == ["edi_2"]
    assert [d.id for d in edi.outbound(lambda: uow, "b2b-acme", pending=False)] == ["edi_1"]
    assert len(edi.outbound(lambda: uow, "b2b-acme", pending=None)) == 2
    assert [e.action for e in uow.audit.list()] == ["edi.acknowledge"]
