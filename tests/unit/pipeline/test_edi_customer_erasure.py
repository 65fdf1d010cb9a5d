"""What EDI keeps of a customer's orders, through the service layer on the in-memory store:
the export lists the 850 kept and the 855 and 856 written to the partner; erasure forgets the
ship-to's id of the 850 and takes the ship-to's name, id and street out of both documents,
collected or not, which stay the same X12; Bob's stay as they were."""

from __future__ import annotations

from connectors.channels import x12
from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.commands import EraseCustomer
from engine.domain.edi import PO_ACKNOWLEDGEMENT, SHIP_NOTICE
from engine.service_layer import edi, privacy
from engine.service_layer.messagebus import MessageBus, command_handlers
from tests.support.edi_partners import CHANNEL, an_edi_customer


def a_store() -> InMemoryUnitOfWork:
    """Ada (C-1) and Bob (C-2), each with a delivered order of the EDI channel, its 850 kept,
    an 855 the gateway collected and an 856 it has not."""
    uow = InMemoryUnitOfWork()
    an_edi_customer(uow, "C-1", "O-1", "PO-1", "Ada Lovelace", "1 Elm St")
    an_edi_customer(uow, "C-2", "O-2", "PO-2", "Bob Stone", "9 Oak Ave")
    return uow


def erase(uow: InMemoryUnitOfWork, customer_id: str = "C-1") -> privacy.Erasure:
    bus = MessageBus(lambda: uow, command_handlers(), {})
    erased: privacy.Erasure = bus.handle(EraseCustomer(customer_id, "asked", "admin:dpo"))
    return erased


def contents(uow: InMemoryUnitOfWork, order_id: str) -> list[str]:
    with uow:
        return [d.content for d in uow.edi.documents_about_orders([order_id])]


def test_the_export_lists_the_850_kept_and_the_documents_written_about_her_orders() -> None:
    exported = privacy.export_personal_data(a_store(), "C-1", actor="support:ann")

    assert [(k.po_number, k.ship_to_code) for k in exported.edi_purchase_orders] == [
        ("PO-1", "STORE-O-1")
    ]
    assert [(d.kind, d.reference) for d in exported.edi_documents] == [
        (PO_ACKNOWLEDGEMENT, "O-1"), (SHIP_NOTICE, "F-O-1"),
    ]  # fmt: skip
    assert all("Ada Lovelace" in d.content for d in exported.edi_documents)
    assert privacy.export_counts(exported)["edi_documents"] == 2


def test_erasure_takes_her_out_of_the_850_kept_and_of_every_document_about_her_orders() -> None:
    uow = a_store()
    bobs = contents(uow, "O-2")

    done = erase(uow)

    assert (done.erased["edi_purchase_orders"], done.erased["edi_documents"]) == (1, 2)
    for text in contents(uow, "O-1"):  # the one collected, and the one waiting
        assert not [part for part in ("Ada Lovelace", "1 Elm St", "STORE-O-1") if part in text]
        [tset] = x12.parse(text).groups[0].transaction_sets
        assert [error.code for error in tset.errors] == ["1"]  # counts still right
    with uow:
        kept = uow.edi.purchase_order(CHANNEL, "PO-1")
        assert kept is not None and (kept.ship_to_qualifier, kept.ship_to_code) == ("", "")
        bob = uow.edi.purchase_order(CHANNEL, "PO-2")
        assert bob is not None and bob.ship_to_code == "STORE-O-2"
        [collected, waiting] = uow.edi.documents_about_orders(["O-1"])
    assert (collected.acknowledged, waiting.acknowledged) == (True, False)
    assert contents(uow, "O-2") == bobs


def test_a_second_erasure_finds_nothing_more_to_change_in_edi() -> None:
    uow = a_store()
    erase(uow)
    again = erase(uow)
    assert (again.erased["edi_purchase_orders"], again.erased["edi_documents"]) == (0, 0)


def test_the_export_and_erasure_find_the_documents_of_the_orders_asked_only() -> None:
    uow = a_store()
    with uow:
        bobs = uow.orders.get("O-2")
        assert bobs is not None
        purchase_orders, documents = edi.copies_of(uow, [bobs])
    assert [k.po_number for k in purchase_orders] == ["PO-2"]
    assert {d.order_id for d in documents} == {"O-2"}
