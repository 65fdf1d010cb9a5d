"""Sealing a return's reasons (a field of each element of its JSON `lines`) and a carrier's
texts in a tracking scan (its description and location): each sealed, bound to its table,
column (and line) and row, opened to what was written, with the rest of the row in clear; a
scan's fingerprint still the digest of its texts in clear; and both tables walked by `ordo db
encrypt` and `ordo db decrypt`."""

from __future__ import annotations

import base64

import pytest

from engine.adapters import translation as tr
from engine.adapters.field_crypto import FieldCipher, FieldCryptoError, parse_data_keys
from engine.adapters.reencrypt import SEALED_TABLES, opening, resealing
from engine.adapters.repositories import tracking_fingerprint
from engine.adapters.sealed_rows import RETURN_REASONS, TRACKING_TEXTS, RowSealer
from engine.domain.fulfilment import Return, ReturnLine, TrackingEvent
from tests.support import builders as b

OLD_KEY = f"old:{base64.b64encode(b'o' * 32).decode()}"
OLD = FieldCipher(parse_data_keys(OLD_KEY))
NEW_AND_OLD = FieldCipher(parse_data_keys(f"new:{base64.b64encode(b'n' * 32).decode()},{OLD_KEY}"))
RETURN = Return(
    "R-1",
    "O-1",
    [
        ReturnLine("1", "SKU-A", 1, "Damaged: left with my neighbour Mrs Smith"),
        ReturnLine("2", "SKU-B", 2, ""),
        ReturnLine("3", "SKU-C", 1, "Wrong item, Ada Lovelace ordered blue"),
    ],
    b.at(0),
)
SCAN = TrackingEvent(b.at(9), "delivered", "Signed for by J. SMITH", "12 Byron Row, Leeds")


def scan_row(shipment_id: str = "S-1") -> dict[str, object]:
    """The scan's row as the shipments repository writes it (in clear)."""
    return {
        "shipment_id": shipment_id,
        "at": SCAN.at,
        "code": SCAN.code,
        "description": SCAN.description,
        "location": SCAN.location,
        "fingerprint": tracking_fingerprint(SCAN.at, SCAN.code, SCAN.description, SCAN.location),
        "milestone": None,
        "estimated_delivery": None,
        "tracking_number": "",
    }


def test_a_returns_reasons_are_sealed_line_by_line_and_open_to_the_same_return() -> None:
    sealer = RowSealer(NEW_AND_OLD, RETURN_REASONS)

    sealed = sealer.seal(tr.return_row(RETURN), RETURN.id)

    first, empty, last = sealed["lines"]
    assert first["reason"].startswith("enc:v1:new:") and last["reason"].startswith("enc:v1:new:")
    assert empty["reason"] == ""  # an empty reason hides nothing: it stays empty
    assert "Smith" not in repr(sealed) and "Lovelace" not in repr(sealed)
    # The rest of each line, and of the row, stays in clear.
    assert [(line["sku"], line["quantity"]) for line in sealed["lines"]] == [
        ("SKU-A", 1),
        ("SKU-B", 2),
        ("SKU-C", 1),
    ]
    assert tr.return_from(sealer.open(sealed)) == RETURN
    assert sealer.is_current(sealed) and not sealer.is_current(tr.return_row(RETURN))


def test_a_reason_moved_to_another_line_or_return_does_not_open() -> None:
    sealer = RowSealer(NEW_AND_OLD, RETURN_REASONS)
    sealed = sealer.seal(tr.return_row(RETURN), RETURN.id)
    first, empty, last = sealed["lines"]

    with pytest.raises(FieldCryptoError, match=r"returns\.lines\[2\]\.reason:R-1 holds a token"):
        sealer.open({**sealed, "lines": [first, empty, {**last, "reason": first["reason"]}]})
    with pytest.raises(FieldCryptoError, match=r"returns\.lines\[0\]\.reason:R-2 holds a token"):
        sealer.open({**sealed, "id": "R-2"})


def test_a_scans_texts_are_sealed_under_its_shipment_and_fingerprint_computed_in_clear() -> None:
    sealer = RowSealer(NEW_AND_OLD, TRACKING_TEXTS)
    row = scan_row()

    sealed = sealer.seal(row, TRACKING_TEXTS.row_id(row))

    assert sealed["description"].startswith("enc:v1:new:")
    assert sealed["location"].startswith("enc:v1:new:")
    assert "SMITH" not in repr(sealed) and "Byron" not in repr(sealed)
    # What recognises a carrier's retry is unchanged: the digest of the scan in clear.
    assert sealed["fingerprint"] == row["fingerprint"]
    assert sealer.open(sealed) == row
    with pytest.raises(FieldCryptoError, match=r'shipment_tracking\.description:\["S-2",'):
        sealer.open({**sealed, "shipment_id": "S-2"})


def test_encrypting_and_decrypting_walk_returns_and_tracking_scans() -> None:
    tables = {table.name: columns for table, columns in SEALED_TABLES}
    assert tables["returns"] == RETURN_REASONS
    assert tables["shipment_tracking"] == TRACKING_TEXTS
    for columns, row in ((RETURN_REASONS, tr.return_row(RETURN)), (TRACKING_TEXTS, scan_row())):
        under_old = RowSealer(OLD, columns).seal(row, columns.row_id(row))
        [reseal] = [r for r in resealing(NEW_AND_OLD) if r.table.name == columns.table]
        [reopen] = [r for r in opening(NEW_AND_OLD) if r.table.name == columns.table]

        assert not reseal.is_done(under_old)
        resealed = {**under_old, **reseal.rewritten(under_old)}
        assert reseal.is_done(resealed) and "enc:v1:new:" in repr(resealed)
        assert "enc:v1:old:" not in repr(resealed)
        assert not reopen.is_done(resealed)
        assert {c: reopen.rewritten(resealed)[c] for c in reopen.columns} == {
            c: row[c] for c in reopen.columns
        }
        assert reopen.is_done(row)
