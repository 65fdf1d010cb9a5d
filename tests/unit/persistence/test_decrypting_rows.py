"""Decrypting a stored row back in clear (`ordo db decrypt`), column kind by column kind: a
sealed email, address, blind index, EDI document and printed label come back as Ordo writes
them with encryption off, and a row already in clear is left alone."""

from __future__ import annotations

import base64
from collections import Counter

import pytest

from engine.adapters import translation as tr
from engine.adapters.field_crypto import FieldCipher, FieldCryptoError, parse_data_keys
from engine.adapters.reencrypt import (
    KeyUsage,
    Rewrite,
    UnheldKeyError,
    opening,
    refuse_unheld,
)
from engine.adapters.sealed_rows import CUSTOMERS, EDI_DOCUMENTS, ORDERS, RowSealer, label_place
from tests.support import builders as b

OLD_KEY = f"old:{base64.b64encode(b'o' * 32).decode()}"
NEW_AND_OLD = FieldCipher(parse_data_keys(f"new:{base64.b64encode(b'n' * 32).decode()},{OLD_KEY}"))
OLD = FieldCipher(parse_data_keys(OLD_KEY))
PDF = b"%PDF-1.4 Ship to: Ada Lovelace, 1 Elm St, Dallas TX"


def rewrite_of(table: str) -> Rewrite:
    [found] = [rewrite for rewrite in opening(NEW_AND_OLD) if rewrite.table.name == table]
    return found


def decrypted(table: str, row: dict[str, object]) -> dict[str, object]:
    rewrite = rewrite_of(table)
    assert not rewrite.is_done(row)
    opened = rewrite.rewritten(row)
    return {column: opened[column] for column in rewrite.columns}


def test_an_orders_email_address_and_blind_index_come_back_as_written_in_clear() -> None:
    plain = tr.order_row(b.an_order())
    sealed = RowSealer(OLD, ORDERS).seal(plain, "O-1")
    assert sealed["email_lower"].startswith("bidx:old:")

    back = decrypted("orders", sealed)

    assert back == {
        "email": "Ada@Example.com",
        "ship_to": plain["ship_to"],
        "holds": plain["holds"],
        "email_lower": "ada@example.com",
    }
    assert rewrite_of("orders").is_done({**sealed, **back})


def test_a_customers_email_name_and_address_come_back_in_clear() -> None:
    plain = tr.customer_row(b.a_customer())
    sealed = RowSealer(NEW_AND_OLD, CUSTOMERS).seal(plain, "C-1")

    back = decrypted("customers", sealed)

    assert back == {column: plain[column] for column in CUSTOMERS.columns}
    assert back["name"] == "Ada Lovelace" and back["default_address"]["line1"] == "1 Elm St"


def test_an_edi_document_comes_back_whole() -> None:
    document = "ISA*00*~N1*ST*Ada Lovelace*92*STORE-O-1~N3*1 Elm St~IEA*1*000000001~"
    sealed = RowSealer(OLD, EDI_DOCUMENTS).seal(
        {"id": "edi-O-1-856", "content": document}, "edi-O-1-856"
    )

    assert decrypted("edi_outbound", sealed) == {"content": document}


def test_a_printed_label_comes_back_as_its_bytes() -> None:
    sealed = OLD.encrypt_bytes(PDF, label_place("shipment_labels", "S-1"))

    assert decrypted("shipment_labels", {"shipment_id": "S-1", "content": sealed}) == {
        "content": PDF
    }
    assert rewrite_of("shipment_labels").is_done({"shipment_id": "S-1", "content": PDF})


def test_a_row_in_clear_is_left_alone() -> None:
    assert rewrite_of("orders").is_done(tr.order_row(b.an_order()))
    assert rewrite_of("customers").is_done(tr.customer_row(b.a_customer()))
    assert rewrite_of("edi_outbound").is_done({"id": "edi-1", "content": "ISA*00*~"})


def test_an_email_in_clear_beside_a_blind_index_still_has_its_index_rewritten() -> None:
    # Not what Ordo writes, but once the keys are gone a search would miss such a row.
    plain = tr.order_row(b.an_order())
    half = {**plain, "email_lower": NEW_AND_OLD.blind_index("ada@example.com")}

    assert decrypted("orders", half)["email_lower"] == "ada@example.com"


def test_a_token_moved_onto_another_row_does_not_decrypt_there() -> None:
    sealed = RowSealer(OLD, ORDERS).seal(tr.order_row(b.an_order()), "O-1")

    with pytest.raises(FieldCryptoError, match=r"orders\.email:O-2"):
        rewrite_of("orders").rewritten({**sealed, "id": "O-2"})


def test_values_under_a_key_not_held_are_refused_naming_the_first_and_counting_all() -> None:
    usages = [
        KeyUsage("orders", 2, 0, Counter({"new": 6, "gone": 6}), {"new": "x", "gone": "o"}),
        KeyUsage("shipment_labels", 1, 0, Counter({"lost": 1}), {"lost": "l"}),
    ]

    with pytest.raises(UnheldKeyError) as raised:
        refuse_unheld(usages, ("new",))

    assert str(raised.value) == (
        "o is sealed under data key 'gone', which ORDO_DATA_KEYS does not hold (it holds "
        "'new'); 7 stored values in all need keys it does not hold ('gone', 'lost')"
    )


def test_a_key_found_only_in_blind_indexes_is_no_reason_to_refuse() -> None:
    refuse_unheld([KeyUsage("orders", 1, 1, Counter({"gone": 1}), {})], ("new",))
