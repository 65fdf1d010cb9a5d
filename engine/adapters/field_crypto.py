"""Field-level encryption of personal data at rest: AES-256-GCM tokens and a keyed blind index.

A `FieldCipher` holds the data keys of `ORDO_DATA_KEYS` (`kid:base64key,...`): the first
encrypts, every one decrypts, so rows written under a key being rotated out still read. It
turns a text into a self-describing token, `enc:v1:<kid>:<base64url(nonce + ciphertext)>`,
under a fresh random 96-bit nonce, with the value's place (`orders.email:<order id>`) as
associated data: a token copied into another column, or onto another row, fails to decrypt
instead of reading as someone else's data. A value that is not a token is plaintext (written
before encryption was turned on) and reads as it is. A binary column (a printed label) holds
the same prefix as bytes, then the nonce and ciphertext as they are.

Neither the AES key nor the index key is the data key itself: both are derived from it with
HKDF-SHA256 under their own label, so the same 32 bytes never serve two algorithms.

The blind index (`bidx:<kid>:<hex>`) is HMAC-SHA256 of a value under the index key derived
from one data key: the same text always gives the same index under one key, so an equality
lookup (an order by its email) still runs in SQL, without the text. An index is written under
the current key; a lookup asks for the index under every key held, and the plaintext too, so
rows of either age are found until `ordo db encrypt` has rewritten them all.

A fingerprint (`fp:<kid>:<base64url>`) is the same kind of keyed digest, under a key of its
own, of a value that must be recognised again but is no lookup text (a carrier's scan, the
key of its row): HMAC-SHA256 cut to 160 bits, so that with the longest key id it still fits
the 64 characters the unkeyed SHA-256 in hex took before.

The cipher is pure: no I/O and no global state. The composition root builds it once from the
settings and the persistence adapters use it (`engine.adapters.sealed_rows`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

TOKEN_PREFIX = "enc:v1:"
INDEX_PREFIX = "bidx:"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # GCM's 96-bit nonce: random per value, so never reused under one key
# A key id is written into every token and index, before a colon: short, and no colon.
KID = re.compile(r"[A-Za-z0-9_\-]{1,32}")
_ENCRYPTION_LABEL = b"ordo field encryption v1"
_INDEX_LABEL = b"ordo blind index v1"
_FINGERPRINT_LABEL = b"ordo fingerprint v1"
FINGERPRINT_PREFIX = "fp:"
# 160 bits: far past any chance of two scans of one shipment meeting, and 27 characters.
_FINGERPRINT_BYTES = 20
# Nonce and GCM tag: the least a token's payload can be.
_LEAST_PAYLOAD = NONCE_BYTES + 16
_BYTES_PREFIX = TOKEN_PREFIX.encode()


class FieldCryptoError(Exception):
    """A value cannot be encrypted or decrypted; the message names where, never the value."""


@dataclass(frozen=True)
class DataKey:
    """One data key of `ORDO_DATA_KEYS`: its id (written into tokens) and its 32 bytes."""

    kid: str
    secret: bytes = field(repr=False)


def parse_data_keys(text: str | Iterable[str]) -> tuple[DataKey, ...]:
    """The keys of `ORDO_DATA_KEYS` (comma-separated, or a list), first the current one.
    ValueError names the entry at fault and what is wrong, never a key's bytes."""
    entries = text.split(",") if isinstance(text, str) else list(text)
    written = [entry.strip() for entry in entries if entry.strip()]
    keys: list[DataKey] = []
    for number, entry in enumerate(written, start=1):
        at = f"key {number} of {len(written)}"
        kid, colon, encoded = entry.partition(":")
        kid = kid.strip()
        if not colon:
            raise ValueError(f"{at}: must be written kid:base64key (the value is not shown)")
        if not KID.fullmatch(kid):
            raise ValueError(
                f"{at}: the key id must be 1 to 32 letters, digits, '-' or '_' (the value is "
                "not shown)"
            )
        if any(key.kid == kid for key in keys):
            raise ValueError(f"{at}: the key id {kid!r} is given twice")
        secret = _decoded_key(encoded.strip())
        if secret is None:
            raise ValueError(f"{at} ({kid!r}): the key is not base64 (the value is not shown)")
        if len(secret) != KEY_BYTES:
            raise ValueError(
                f"{at} ({kid!r}): the key must be {KEY_BYTES} bytes, got {len(secret)} bytes "
                "(make one with `ordo keys new-data-key`)"
            )
        keys.append(DataKey(kid, secret))
    return tuple(keys)


def _decoded_key(encoded: str) -> bytes | None:
    """Standard or URL-safe base64, padded or not; None when it is neither."""
    padded = encoded + "=" * (-len(encoded) % 4)
    try:
        return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None


def new_data_key(kid: str | None = None) -> str:
    """A fresh `kid:base64key` for `ORDO_DATA_KEYS` (a random id unless one is given)."""
    kid = kid or f"k{secrets.token_hex(4)}"
    if not KID.fullmatch(kid):
        raise ValueError(f"the key id must be 1 to 32 letters, digits, '-' or '_', got {kid!r}")
    return f"{kid}:{base64.b64encode(os.urandom(KEY_BYTES)).decode('ascii')}"


def _derived(secret: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=label).derive(secret)


class FieldCipher:
    """Encrypts and decrypts texts, and computes blind indexes, under `keys` (first: current)."""

    def __init__(self, keys: Sequence[DataKey]) -> None:
        if not keys:
            raise ValueError("a field cipher needs at least one data key")
        self.current = keys[0].kid
        self.kids = tuple(key.kid for key in keys)
        self._aead = {key.kid: AESGCM(_derived(key.secret, _ENCRYPTION_LABEL)) for key in keys}
        self._index = {key.kid: _derived(key.secret, _INDEX_LABEL) for key in keys}
        self._fingerprint = {key.kid: _derived(key.secret, _FINGERPRINT_LABEL) for key in keys}

    def encrypt(self, text: str, where: str) -> str:
        """`text` as a token under the current key, bound to `where` (`table.column:id`)."""
        raw = self._sealed(text.encode("utf-8"), where)
        payload = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
        return f"{TOKEN_PREFIX}{self.current}:{payload}"

    def encrypt_bytes(self, data: bytes, where: str) -> bytes:
        """`encrypt` for binary columns (printed labels): the token's prefix, then the nonce
        and ciphertext as they are."""
        return f"{TOKEN_PREFIX}{self.current}:".encode() + self._sealed(data, where)

    def decrypt(self, value: str, where: str) -> str:
        """The text of a token written for `where`; a value that is no token is plaintext and
        is given back as it is. FieldCryptoError for a token under a key not held, or one
        altered or written for another place."""
        if not value.startswith(TOKEN_PREFIX):
            return value
        kid, _, payload = value[len(TOKEN_PREFIX) :].partition(":")
        return self._opened(kid, _decoded_payload(payload), where).decode("utf-8")

    def decrypt_bytes(self, data: bytes, where: str) -> bytes:
        """`decrypt` for binary columns: bytes that are no token are given back as they are."""
        if not data.startswith(_BYTES_PREFIX):
            return data
        kid, _, raw = data[len(_BYTES_PREFIX) :].partition(b":")
        return self._opened(kid.decode("ascii", "replace"), raw, where)

    def _sealed(self, plain: bytes, where: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead[self.current].encrypt(nonce, plain, where.encode())

    def _opened(self, kid: str, raw: bytes | None, where: str) -> bytes:
        aead = self._aead.get(kid)
        if aead is None:
            raise FieldCryptoError(
                f"{where} is encrypted under data key {kid!r}, which ORDO_DATA_KEYS does not "
                f"hold (it holds {', '.join(map(repr, self.kids))}): add that key back"
            )
        if raw is None or len(raw) < _LEAST_PAYLOAD:
            raise FieldCryptoError(f"{where} holds a damaged token (not a valid payload)")
        try:
            return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], where.encode())
        except InvalidTag:
            raise FieldCryptoError(
                f"{where} holds a token that does not decrypt: it was altered, or written "
                "for another column or row"
            ) from None

    def is_current(self, value: str | bytes) -> bool:
        """Whether `value` (text or bytes) is a token under the current key."""
        prefix = f"{TOKEN_PREFIX}{self.current}:"
        if isinstance(value, bytes):
            return value.startswith(prefix.encode())
        return value.startswith(prefix)

    def blind_index(self, text: str) -> str:
        """The index of `text` under the current key."""
        return self._index_under(self.current, text)

    def blind_indexes(self, text: str) -> list[str]:
        """The index of `text` under every key held, current first: what a lookup matches
        while rows written under an older key remain."""
        return [self._index_under(kid, text) for kid in self.kids]

    def _index_under(self, kid: str, text: str) -> str:
        digest = hmac.new(self._index[kid], text.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"{INDEX_PREFIX}{kid}:{digest}"

    def fingerprint(self, text: str) -> str:
        """The fingerprint of `text` under the current key (at most 63 characters)."""
        return self._fingerprint_under(self.current, text)

    def fingerprints(self, text: str) -> list[str]:
        """The fingerprint of `text` under every key held, current first: what a value
        fingerprinted under an older key may still be stored as."""
        return [self._fingerprint_under(kid, text) for kid in self.kids]

    def _fingerprint_under(self, kid: str, text: str) -> str:
        mac = hmac.new(self._fingerprint[kid], text.encode("utf-8"), hashlib.sha256).digest()
        encoded = base64.urlsafe_b64encode(mac[:_FINGERPRINT_BYTES]).decode("ascii").rstrip("=")
        return f"{FINGERPRINT_PREFIX}{kid}:{encoded}"


def most_sealed_bytes(kid: str, chars: int) -> int:
    """The most UTF-8 bytes a text may have for its token under key `kid` to fit in `chars`
    characters (a column of bounded length): its prefix, then the unpadded base64 of the
    nonce, the ciphertext (as long as the text) and the tag."""
    room = chars - len(f"{TOKEN_PREFIX}{kid}:")
    return room * 3 // 4 - _LEAST_PAYLOAD


def _decoded_payload(payload: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        return None
