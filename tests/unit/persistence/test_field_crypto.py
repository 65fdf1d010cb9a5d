"""The field cipher: tokens that round-trip, refuse tampering and moving, and survive rotation."""

from __future__ import annotations

import base64

import pytest

from engine.adapters.field_crypto import (
    KEY_BYTES,
    TOKEN_PREFIX,
    FieldCipher,
    FieldCryptoError,
    most_sealed_bytes,
    new_data_key,
    parse_data_keys,
)

OLD = f"old:{base64.b64encode(bytes(range(32))).decode()}"
NEW = f"new:{base64.b64encode(bytes(range(32, 64))).decode()}"
WHERE = "orders.email:O-1"


def cipher(*keys: str) -> FieldCipher:
    return FieldCipher(parse_data_keys(",".join(keys)))


def test_a_text_round_trips_through_a_token_that_does_not_hold_it() -> None:
    token = cipher(NEW).encrypt("zoë@example.com", WHERE)

    assert token.startswith(f"{TOKEN_PREFIX}new:")
    # Whole words only: two letters turn up in random base64 about once in seventy tokens.
    assert "zoë" not in token and "example" not in token
    assert cipher(NEW).decrypt(token, WHERE) == "zoë@example.com"


def test_the_same_text_encrypts_to_a_different_token_each_time() -> None:
    once, twice = cipher(NEW).encrypt("ada", WHERE), cipher(NEW).encrypt("ada", WHERE)

    assert once != twice


def test_a_tampered_token_is_refused_naming_where_it_is() -> None:
    token = cipher(NEW).encrypt("ada@example.com", WHERE)
    body = token[len(TOKEN_PREFIX) + len("new:") :]
    flipped = body[:20] + ("A" if body[20] != "A" else "B") + body[21:]

    with pytest.raises(FieldCryptoError, match=r"orders\.email:O-1 holds a token that does not"):
        cipher(NEW).decrypt(f"{TOKEN_PREFIX}new:{flipped}", WHERE)


def test_a_token_moved_to_another_column_or_row_is_refused() -> None:
    token = cipher(NEW).encrypt("ada@example.com", WHERE)

    with pytest.raises(FieldCryptoError, match="written for another column or row"):
        cipher(NEW).decrypt(token, "customers.email:O-1")
    with pytest.raises(FieldCryptoError, match="written for another column or row"):
        cipher(NEW).decrypt(token, "orders.email:O-2")


def test_a_truncated_token_is_called_damaged() -> None:
    with pytest.raises(FieldCryptoError, match="damaged token"):
        cipher(NEW).decrypt(f"{TOKEN_PREFIX}new:AAAA", WHERE)


def test_plaintext_written_before_encryption_reads_as_it_is() -> None:
    assert cipher(NEW).decrypt("ada@example.com", WHERE) == "ada@example.com"


def test_a_token_under_an_older_key_still_decrypts_while_that_key_is_held() -> None:
    token = cipher(OLD).encrypt("ada@example.com", WHERE)
    rotated = cipher(NEW, OLD)

    assert rotated.decrypt(token, WHERE) == "ada@example.com"
    assert not rotated.is_current(token)
    assert rotated.is_current(rotated.encrypt("ada@example.com", WHERE))


def test_a_token_under_a_key_no_longer_held_is_an_error_naming_the_key() -> None:
    token = cipher(OLD).encrypt("ada@example.com", WHERE)

    with pytest.raises(FieldCryptoError) as raised:
        cipher(NEW).decrypt(token, WHERE)

    assert str(raised.value) == (
        "orders.email:O-1 is encrypted under data key 'old', which ORDO_DATA_KEYS does not "
        "hold (it holds 'new'): add that key back"
    )


def test_the_blind_index_is_deterministic_per_key_and_hides_the_text() -> None:
    rotated = cipher(NEW, OLD)
    index = rotated.blind_index("ada@example.com")

    assert index == cipher(NEW).blind_index("ada@example.com")
    assert index.startswith("bidx:new:") and "ada" not in index
    assert rotated.blind_indexes("ada@example.com") == [
        index,
        cipher(OLD).blind_index("ada@example.com"),
    ]
    assert cipher(NEW).blind_index("bob@example.com") != index


def test_a_fingerprint_is_keyed_deterministic_and_fits_where_a_sha256_did() -> None:
    scan = '["2026-03-02T14:31:15+00:00","delivered","Signed for by Ada","1 Elm St"]'
    rotated = cipher(NEW, OLD)
    longest = cipher(f"{'k' * 32}:{base64.b64encode(bytes(32)).decode()}")

    assert rotated.fingerprint(scan) == cipher(NEW).fingerprint(scan)
    assert rotated.fingerprint(scan).startswith("fp:new:")
    # Under every key held, current first: what a value fingerprinted before may be stored as.
    assert rotated.fingerprints(scan) == [rotated.fingerprint(scan), cipher(OLD).fingerprint(scan)]
    assert rotated.fingerprint(scan) != rotated.fingerprint(scan + " ")
    assert len(longest.fingerprint(scan)) <= 64  # `shipment_tracking.fingerprint` is 64
    # Its own derived key: not the blind index of the same text.
    assert rotated.fingerprint(scan).split(":")[-1] not in rotated.blind_index(scan)
    assert "Ada" not in rotated.fingerprint(scan)


@pytest.mark.parametrize("kid", ["k", "old", "k0a1b2c3d", "k" * 32])
def test_the_most_bytes_a_column_holds_sealed_fit_and_one_more_does_not(kid: str) -> None:
    sealing = FieldCipher(parse_data_keys(f"{kid}:{base64.b64encode(b'k' * 32).decode()}"))
    most = most_sealed_bytes(kid, 200)

    assert len(sealing.encrypt("a" * most, WHERE)) <= 200
    assert len(sealing.encrypt("a" * (most + 1), WHERE)) > 200


def test_a_new_data_key_is_a_kid_and_32_random_bytes_the_settings_accept() -> None:
    written = new_data_key("k2026")
    [key] = parse_data_keys(written)

    assert written.startswith("k2026:")
    assert key.kid == "k2026" and len(key.secret) == KEY_BYTES
    assert new_data_key() != new_data_key()


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("nokey", "key 1 of 1: must be written kid:base64key"),
        ("bad kid:AAAA", "key 1 of 1: the key id must be 1 to 32 letters"),
        ("k1:not base64!", "key 1 of 1 ('k1'): the key is not base64"),
        ("k1:AAAA", "key 1 of 1 ('k1'): the key must be 32 bytes, got 3 bytes"),
        (f"{NEW},{NEW}", "key 2 of 2: the key id 'new' is given twice"),
    ],
)
def test_malformed_data_keys_are_refused_naming_the_entry(written: str, reason: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_data_keys(written)

    assert str(raised.value).startswith(reason)
    assert NEW.split(":")[1] not in str(raised.value)


def test_bytes_round_trip_and_plain_bytes_read_as_they_are() -> None:
    label = b"%PDF-1.4 Ada Lovelace, 1 Elm St"
    token = cipher(NEW).encrypt_bytes(label, "shipment_labels.content:S-1")

    assert token.startswith(b"enc:v1:new:") and b"Lovelace" not in token
    assert cipher(NEW, OLD).decrypt_bytes(token, "shipment_labels.content:S-1") == label
    assert cipher(NEW).decrypt_bytes(label, "shipment_labels.content:S-1") == label
    with pytest.raises(FieldCryptoError, match="written for another column or row"):
        cipher(NEW).decrypt_bytes(token, "return_labels.content:S-1")
