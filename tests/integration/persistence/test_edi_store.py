"""EDI's store on every backend (memory, SQLite, PostgreSQL): control numbers counted per
sender/receiver pair and wrapping after 999999999, what an 850 said kept and replaced, and
the mailbox's documents, one per kind and reference; on PostgreSQL, two requests taking a
number at once get two numbers, whether the pair's row exists yet or not."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, update

from engine.adapters import orm
from engine.adapters.sqlalchemy_uow import make_session_factory
from engine.domain.edi import (
    MOST_CONTROL_NUMBER,
    EdiPurchaseOrder,
    Envelope,
    OutboundDocument,
    Pair,
    PurchaseOrderLine,
)
from engine.domain.errors import Conflict
from engine.service_layer import edi
from tests.integration.persistence.conftest import UowFactory
from tests.support.engines import an_engine
from tests.support.racing import MeetingAtCommit

ACME = Pair("ZZ", "ORDO", "ZZ", "ACME")
GLOBEX = Pair("ZZ", "ORDO", "01", "GLOBEX")
AT = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
ENVELOPE = Envelope("ZZ", "ACME", "ZZ", "ORDO", "ACME", "ORDO", "U", "00401", "T", "004010",
                    "|", "^", "\n")  # fmt: skip


def a_document(document_id: str, reference: str, at: datetime = AT) -> OutboundDocument:
    return OutboundDocument(document_id, "b2b-acme", "856", reference, "ord_1", 7, "ISA|00\n", at)


def test_each_pair_counts_on_its_own_from_one(uow_factory: UowFactory) -> None:
    numbers = [edi.take_control_number(uow_factory, pair) for pair in (ACME, ACME, GLOBEX, ACME)]
    assert numbers == [1, 2, 1, 3]


def test_a_pair_at_999999999_starts_again_at_one(
    sql_uow_factory: UowFactory, db_engine: Engine
) -> None:
    assert edi.take_control_number(sql_uow_factory, ACME) == 1
    with db_engine.begin() as connection:
        connection.execute(
            update(orm.edi_control_numbers).values(last_number=MOST_CONTROL_NUMBER - 1)
        )
    numbers = [edi.take_control_number(sql_uow_factory, ACME) for _ in range(3)]
    assert numbers == [MOST_CONTROL_NUMBER, 1, 2]


def test_a_number_taken_by_a_transaction_rolled_back_is_given_again(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        assert uow.edi.next_control_number(ACME) == 1
    assert edi.take_control_number(uow_factory, ACME) == 1


def test_what_an_850_said_is_kept_and_a_later_one_of_the_same_number_replaces_it(
    uow_factory: UowFactory,
) -> None:
    first = EdiPurchaseOrder(
        "b2b-acme", "PO-1001", ENVELOPE,
        (PurchaseOrderLine("1", "SHOE-42", (("VP", "SHOE-42"), ("UP", "012345678905"))),),
        AT, "20261121", "92", "STORE-7",
    )  # fmt: skip
    assert edi.keep_purchase_order(uow_factory, first)
    with uow_factory() as uow:
        assert uow.edi.purchase_order("b2b-acme", "PO-1001") == first
        assert uow.edi.purchase_order("b2b-other", "PO-1001") is None
    again = EdiPurchaseOrder("b2b-acme", "PO-1001", ENVELOPE, (), AT, "20261122")
    assert edi.keep_purchase_order(uow_factory, again)
    with uow_factory() as uow:
        assert uow.edi.purchase_order("b2b-acme", "PO-1001") == again


def test_documents_are_listed_oldest_first_and_one_per_kind_and_reference(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.edi.add_document(a_document("edi_2", "ful_2", AT.replace(minute=31)))
        uow.edi.add_document(a_document("edi_1", "ful_1"))
        uow.commit()
    with uow_factory() as uow, pytest.raises(Conflict, match="856 for ful_1 already"):
        uow.edi.add_document(a_document("edi_3", "ful_1"))
        uow.commit()
    assert [d.id for d in edi.outbound(uow_factory, "b2b-acme")] == ["edi_1", "edi_2"]
    assert edi.outbound(uow_factory, "b2b-other") == []
    with uow_factory() as uow:
        assert uow.edi.document("edi_1") == a_document("edi_1", "ful_1")
        found = uow.edi.document_about("856", "ful_2")
        assert found is not None and found.id == "edi_2"
    edi.acknowledge(uow_factory, "edi_1", "b2b-acme", "key:gateway")
    assert [d.id for d in edi.outbound(uow_factory, "b2b-acme")] == ["edi_2"]
    [collected] = edi.outbound(uow_factory, "b2b-acme", pending=False)
    assert (collected.id, collected.acknowledged_by) == ("edi_1", "key:gateway")
    assert collected.acknowledged_at is not None


def test_documents_are_found_by_control_number_and_keep_what_a_997_said_of_them(
    uow_factory: UowFactory,
) -> None:
    numbered = [("edi_1", "ful_1", 7), ("edi_2", "ful_2", 8), ("edi_3", "ful_3", 7)]
    with uow_factory() as uow:
        for document_id, reference, number in numbered:
            document = a_document(document_id, reference, AT.replace(minute=number))
            document.control_number = number
            uow.edi.add_document(document)
        uow.edi.add_document(
            OutboundDocument("edi_4", "b2b-other", "856", "ful_4", "ord_4", 7, "ISA|00\n", AT)
        )
        uow.commit()
    with uow_factory() as uow:
        assert [d.id for d in uow.edi.documents_numbered("b2b-acme", [7])] == ["edi_1", "edi_3"]
        assert uow.edi.documents_numbered("b2b-acme", []) == []
        fresh = uow.edi.document("edi_1")
        assert fresh is not None and (fresh.functional_ack, fresh.functional_ack_codes) == ("", ())
        uow.edi.record_functional_ack("edi_1", "rejected", ["AK502=5", "AK403=7 (TD5*03)"], AT)
        uow.commit()
    with uow_factory() as uow:
        said = uow.edi.document("edi_1")
        assert said is not None
        assert (said.functional_ack, said.functional_ack_codes, said.functional_ack_at) == (
            "rejected", ("AK502=5", "AK403=7 (TD5*03)"), AT,
        )  # fmt: skip
        uow.edi.record_functional_ack("edi_1", "accepted", [], AT.replace(hour=16))
        uow.commit()
    [again] = [d for d in edi.outbound(uow_factory, "b2b-acme") if d.id == "edi_1"]
    assert (again.functional_ack, again.functional_ack_codes) == ("accepted", ())


def test_a_document_is_replaced_once_and_each_names_the_other(uow_factory: UowFactory) -> None:
    again = a_document("edi_2", "ful_1#2")
    again.replaces = "edi_1"
    with uow_factory() as uow:
        uow.edi.add_document(a_document("edi_1", "ful_1"))
        uow.edi.add_document(again)
        uow.edi.mark_replaced("edi_1", "edi_2")
        uow.commit()
    with uow_factory() as uow:
        old, new = uow.edi.document("edi_1"), uow.edi.document("edi_2")
        assert old is not None and new is not None
        assert (old.replaces, old.replaced_by, new.replaces, new.replaced_by) == (
            "", "edi_2", "edi_1", "",
        )  # fmt: skip
    # Another replacement of the same document, however it is named, is refused.
    second = a_document("edi_3", "ful_1#3")
    second.replaces = "edi_1"
    with uow_factory() as uow, pytest.raises(Conflict, match="written again already, as edi_2"):
        uow.edi.add_document(second)
    with uow_factory() as uow:
        assert uow.edi.document("edi_3") is None


def test_two_requests_taking_a_number_at_once_get_two_numbers(postgres_url: str) -> None:
    with an_engine(postgres_url) as engine:
        sessions = make_session_factory(engine)

        def race() -> list[int]:
            meeting = threading.Barrier(2)

            def take() -> int:
                # Each holds its transaction open until the other is about to commit too.
                return edi.take_control_number(lambda: MeetingAtCommit(sessions, meeting), ACME)

            with ThreadPoolExecutor(max_workers=2) as pool:
                return sorted(f.result(timeout=30) for f in [pool.submit(take) for _ in "ab"])

        assert race() == [1, 2]  # the pair's row made by both at once
        assert race() == [3, 4]  # the row there already
