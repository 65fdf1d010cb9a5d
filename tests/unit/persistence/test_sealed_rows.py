"""Sealing a row's personal columns: which are encrypted, which stay clear, and reading back."""

from __future__ import annotations

import base64

from engine.adapters import translation as tr
from engine.adapters.field_crypto import FieldCipher, parse_data_keys
from engine.adapters.sealed_rows import CUSTOMERS, ORDERS, RowSealer
from tests.support import builders as b

OLD = FieldCipher(parse_data_keys(f"old:{base64.b64encode(b'o' * 32).decode()}"))
NEW_AND_OLD = FieldCipher(
    parse_data_keys(
        f"new:{base64.b64encode(b'n' * 32).decode()},old:{base64.b64encode(b'o' * 32).decode()}"
    )
)


def test_an_orders_email_and_the_personal_fields_of_its_address_are_sealed() -> None:
    row = tr.order_row(b.an_order())
    sealed = RowSealer(NEW_AND_OLD, ORDERS).seal(row, "O-1")

    assert sealed["email"].startswith("enc:v1:new:")
    assert sealed["email_lower"] == NEW_AND_OLD.blind_index("ada@example.com")
    ship_to = sealed["ship_to"]
    assert all(
        ship_to[name].startswith("enc:v1:new:") for name in ("name", "line1", "city", "state")
    )
    kept = {name: ship_to[name] for name in ("postal_code", "country", "lat", "lon")}
    assert kept == {"postal_code": "75201", "country": "US", "lat": 32.7876, "lon": -96.7994}
    assert "Lovelace" not in repr(sealed) and "Elm St" not in repr(sealed)


def test_a_sealed_order_row_opens_to_the_same_order() -> None:
    order = b.an_order()
    sealer = RowSealer(NEW_AND_OLD, ORDERS)

    opened = sealer.open(sealer.seal(tr.order_row(order), order.id))

    assert tr.order_from(opened, tr.order_line_rows(order)) == order


def test_a_sealed_customer_row_opens_to_the_same_customer_and_no_address_stays_none() -> None:
    sealer = RowSealer(NEW_AND_OLD, CUSTOMERS)
    for customer in (b.a_customer(), b.a_customer(id="C-2", default_address=None)):
        sealed = sealer.seal(tr.customer_row(customer), customer.id)

        assert sealed["name"].startswith("enc:v1:new:")
        assert tr.customer_from(sealer.open(sealed)) == customer


def test_empty_texts_stay_empty() -> None:
    row = tr.order_row(b.a_plain_order(1))  # no email, an address of a postal code only

    sealed = RowSealer(NEW_AND_OLD, ORDERS).seal(row, "O-1")

    assert (sealed["email"], sealed["email_lower"]) == ("", "")
    assert sealed["ship_to"] == row["ship_to"]


def test_a_row_is_current_only_when_every_value_and_index_is_under_the_current_key() -> None:
    row = tr.order_row(b.an_order())
    current = RowSealer(NEW_AND_OLD, ORDERS)

    assert current.is_current(current.seal(row, "O-1"))
    assert not current.is_current(row)  # plaintext
    assert not current.is_current(RowSealer(OLD, ORDERS).seal(row, "O-1"))


def test_a_row_under_an_older_key_reopens_as_translation_wrote_it() -> None:
    row = tr.order_row(b.an_order())
    under_old = RowSealer(OLD, ORDERS).seal(row, "O-1")

    assert RowSealer(NEW_AND_OLD, ORDERS).reopened(under_old) == row


def test_an_email_lookup_matches_every_keys_index_and_the_plaintext() -> None:
    lookups = RowSealer(NEW_AND_OLD, ORDERS).lookups("ada@example.com")

    assert lookups == [*NEW_AND_OLD.blind_indexes("ada@example.com"), "ada@example.com"]
