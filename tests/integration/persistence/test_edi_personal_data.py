"""What EDI keeps of a person, on SQLite and PostgreSQL: erasure takes the ship-to out of the
850s kept and out of the documents in the partner's mailbox, collected or not, leaving them
the same X12; with data keys a document's row holds a token, not the ship-to, reads back
whole, is erased sealed, and `ordo db encrypt` seals (and re-seals) what was stored before;
and an 850's lines keep PO102 and PO104 for the 855."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from connectors.channels import x12
from engine.adapters import orm
from engine.adapters.field_crypto import FieldCipher, FieldCryptoError, parse_data_keys
from engine.adapters.reencrypt import encrypt_stored
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain import commands
from engine.domain.edi import PO_ACKNOWLEDGEMENT, SHIP_NOTICE
from engine.service_layer.privacy import erase_customer, export_personal_data
from tests.support.edi_partners import CHANNEL, LINE, an_edi_customer

OLD = FieldCipher(parse_data_keys(f"old:{base64.b64encode(b'o' * 32).decode()}"))
NEW_KEY = f"new:{base64.b64encode(b'n' * 32).decode()}"
NEW = FieldCipher(parse_data_keys(NEW_KEY))
ROTATING = FieldCipher(parse_data_keys(f"{NEW_KEY},old:{base64.b64encode(b'o' * 32).decode()}"))
ADA = ("Ada Lovelace", "1 Elm St", "STORE-O-1")
BOB = ("Bob Stone", "9 Oak Ave", "STORE-O-2")

Uows = Callable[[], SqlAlchemyUnitOfWork]


def uows(engine: Engine, cipher: FieldCipher | None = None) -> Uows:
    sessions = make_session_factory(engine, cipher)
    return lambda: SqlAlchemyUnitOfWork(sessions)


def stored(engine: Engine, cipher: FieldCipher | None = None) -> Uows:
    """Ada's EDI order and Bob's, each with its 850 and its 855 (collected) and 856."""
    factory = uows(engine, cipher)
    an_edi_customer(factory(), "C-1", "O-1", "PO-1", *ADA[:2])
    an_edi_customer(factory(), "C-2", "O-2", "PO-2", *BOB[:2])
    return factory


def raw_documents(engine: Engine) -> dict[str, str]:
    """Each document's content as the database holds it, by id."""
    table = orm.edi_outbound
    with engine.connect() as connection:
        rows = connection.execute(select(table.c.id, table.c.content)).all()
    return {row.id: row.content for row in rows}


def raw_ship_to_codes(engine: Engine) -> dict[str, str]:
    table = orm.edi_purchase_orders
    with engine.connect() as connection:
        rows = connection.execute(select(table.c.po_number, table.c.ship_to_code)).all()
    return {row.po_number: row.ship_to_code for row in rows}


def names(text: str, who: tuple[str, ...]) -> list[str]:
    return [part for part in who if part in text]


def erase(factory: Uows, customer_id: str = "C-1") -> dict[str, int]:
    cmd = commands.EraseCustomer(customer_id, "request 114", "admin:dpo")
    return erase_customer(cmd, factory()).erased


def test_erasure_takes_the_ship_to_out_of_her_850s_and_documents_and_leaves_bob_s(
    db_engine: Engine,
) -> None:
    factory = stored(db_engine)
    before = raw_documents(db_engine)
    assert all(names(before[f"edi-O-1-{kind}"], ADA) for kind in ("855", "856"))

    erased = erase(factory)

    assert (erased["edi_purchase_orders"], erased["edi_documents"]) == (1, 2)
    after = raw_documents(db_engine)
    for kind in ("855", "856"):
        hers = after[f"edi-O-1-{kind}"]
        assert names(hers, ADA) == []
        [tset] = x12.parse(hers).groups[0].transaction_sets
        [was] = x12.parse(before[f"edi-O-1-{kind}"]).groups[0].transaction_sets
        assert [s.tag for s in tset.segments] == [s.tag for s in was.segments]
        assert [error.code for error in tset.errors] == ["1"]  # SE01 still counts right
        assert after[f"edi-O-2-{kind}"] == before[f"edi-O-2-{kind}"]
    assert raw_ship_to_codes(db_engine) == {"PO-1": "", "PO-2": "STORE-O-2"}
    with factory() as uow:
        collected, waiting = uow.edi.documents_about_orders(["O-1"])
    assert (collected.kind, collected.acknowledged) == (PO_ACKNOWLEDGEMENT, True)
    assert (waiting.kind, waiting.acknowledged) == (SHIP_NOTICE, False)


def test_the_export_lists_the_850_and_the_documents_of_her_orders_only(db_engine: Engine) -> None:
    factory = stored(db_engine)

    exported = export_personal_data(factory(), "C-1", actor="support:ann")

    assert [(k.po_number, k.ship_to_code) for k in exported.edi_purchase_orders] == [
        ("PO-1", "STORE-O-1")
    ]
    assert [d.id for d in exported.edi_documents] == ["edi-O-1-855", "edi-O-1-856"]
    assert not [d for d in exported.edi_documents if names(d.content, BOB)]


def test_with_data_keys_a_documents_row_holds_a_token_and_reads_back_whole(
    db_engine: Engine,
) -> None:
    plain = uows(db_engine)
    factory = stored(db_engine, NEW)

    for document_id, content in raw_documents(db_engine).items():
        assert content.startswith("enc:v1:new:"), document_id
        assert names(content, (*ADA, *BOB)) == []
    with factory() as uow:
        document = uow.edi.document("edi-O-1-856")
        listed = uow.edi.documents(CHANNEL, pending=None)
    assert document is not None and names(document.content, ADA) == list(ADA)
    assert x12.parse(document.content).groups[0].transaction_sets[0].kind == "856"
    assert [d.content for d in listed if d.id == "edi-O-1-856"] == [document.content]
    # Without the key, the store hands out the token, never a name.
    with plain() as uow:
        token = uow.edi.document("edi-O-1-856")
    assert token is not None and token.content.startswith("enc:v1:new:")


def test_a_documents_token_moved_to_another_row_does_not_decrypt(db_engine: Engine) -> None:
    factory = stored(db_engine, NEW)
    hers = raw_documents(db_engine)["edi-O-1-856"]
    with db_engine.begin() as connection:
        table = orm.edi_outbound
        connection.execute(update(table).where(table.c.id == "edi-O-2-856").values(content=hers))
    with factory() as uow, pytest.raises(FieldCryptoError, match=r"edi_outbound\.content:edi-O-2"):
        uow.edi.document("edi-O-2-856")


def test_with_data_keys_erasure_writes_the_redacted_documents_sealed(db_engine: Engine) -> None:
    factory = stored(db_engine, NEW)

    erase(factory)

    raw = raw_documents(db_engine)
    assert all(content.startswith("enc:v1:new:") for content in raw.values())
    with factory() as uow:
        hers = uow.edi.documents_about_orders(["O-1"])
        bobs = uow.edi.documents_about_orders(["O-2"])
    assert [names(d.content, ADA) for d in hers] == [[], []]
    assert "[erased]" in hers[0].content
    assert [names(d.content, BOB) for d in bobs] == [list(BOB), list(BOB)]


def test_db_encrypt_seals_documents_stored_before_and_reseals_them_under_a_new_key(
    db_engine: Engine,
) -> None:
    stored(db_engine)  # no keys yet: in clear
    before = raw_documents(db_engine)
    assert names(before["edi-O-1-855"], ADA) == list(ADA)

    progress = {p.table: p for p in encrypt_stored(db_engine, OLD, batch_size=3)}

    assert (progress["edi_outbound"].examined, progress["edi_outbound"].rewritten) == (4, 4)
    assert all(c.startswith("enc:v1:old:") for c in raw_documents(db_engine).values())
    again = {p.table: p for p in encrypt_stored(db_engine, ROTATING)}
    assert again["edi_outbound"].rewritten == 4
    assert all(c.startswith("enc:v1:new:") for c in raw_documents(db_engine).values())
    with uows(db_engine, NEW)() as uow:
        read: dict[str, Any] = {d.id: d.content for d in uow.edi.documents(CHANNEL, pending=None)}
    assert read == before


def test_an_850s_lines_keep_their_quantity_and_price_and_older_ones_read_without(
    db_engine: Engine,
) -> None:
    factory = stored(db_engine)
    with factory() as uow:
        kept = uow.edi.purchase_order(CHANNEL, "PO-1")
    assert kept is not None and kept.lines == (LINE,)
    assert (kept.lines[0].quantity, kept.lines[0].price) == (2, "19.99")
    # As migration 0020's rows were written, before PO102 and PO104 were kept.
    older = [{"line_number": "1", "sku": "SKU-1", "unit": "EA", "product_ids": [["VP", "SKU-1"]]}]
    table = orm.edi_purchase_orders
    with db_engine.begin() as connection:
        connection.execute(update(table).where(table.c.po_number == "PO-2").values(lines=older))
    with factory() as uow:
        before = uow.edi.purchase_order(CHANNEL, "PO-2")
    assert before is not None and (before.lines[0].quantity, before.lines[0].price) == (0, "")
