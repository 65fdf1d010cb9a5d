"""Authentication and authorisation: API keys, signed bearer tokens, roles and permissions.

- An API key reads `ordo_<key id>_<secret>`. Only HMAC-SHA256(server secret, secret) is stored,
  so a copy of the database does not hand out working keys, and checking one costs a hash,
  not a slow KDF on every request (the secret is 256 random bits: nothing to brute-force).
- A bearer token is minted from a key (`mint_token`): a signed, short-lived statement of the
  key's principal. Its signature and expiry are checked without the database; whether its key
  is still active goes through the same short cache as keys, so revoking a key ends its
  tokens too.
- Rotating the server secret: hashes and signatures made with a previous secret are still
  accepted, and a key whose hash was made with one is re-hashed with the current secret the
  first time it is used, so the previous secret can be dropped once every key has called.
- Roles grant permissions; anything not granted is denied. Scopes on the key (a channel, a
  set of locations, a customer) narrow a role to its own data; routes enforce them with
  `can_see_order`, `can_work_location`.
"""

from __future__ import annotations

import abc
import base64
import difflib
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from engine.domain.access import ApiKey, Principal, Role
from engine.domain.errors import DomainError
from engine.domain.operations import AuditEntry
from engine.domain.values import utcnow
from engine.service_layer.audit import entry as audit_entry
from engine.service_layer.unit_of_work import UnitOfWork

KEY_PREFIX = "ordo_"
TOKEN_PREFIX = "ordo."
DEFAULT_TOKEN_TTL = 900
MAX_CACHED_KEYS = 10_000
# `Authenticator._lookup` in cached-only mode: the key store would have to be asked.
_UNKNOWN = object()


class Unauthenticated(DomainError):
    """No credentials, or credentials that do not check out (HTTP 401)."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """A known caller asking for something its role or scope does not allow (HTTP 403)."""

    code = "forbidden"


# --- permissions ----------------------------------------------------------------------------

ORDERS_INGEST = "orders:ingest"
ORDERS_READ = "orders:read"
ORDERS_CANCEL = "orders:cancel"
ORDERS_MODIFY = "orders:modify"
ORDERS_RELEASE = "orders:release"
CATALOG_READ = "catalog:read"
CATALOG_WRITE = "catalog:write"
CUSTOMERS_READ = "customers:read"
INVENTORY_READ = "inventory:read"
INVENTORY_WRITE = "inventory:write"
SHIPMENTS_READ = "shipments:read"
SHIPMENTS_UPDATE = "shipments:update"
ALERTS_READ = "alerts:read"
ALERTS_ACK = "alerts:ack"
RULESETS_READ = "rulesets:read"
RULESETS_WRITE = "rulesets:write"
RULESETS_PUBLISH = "rulesets:publish"
REPORTS_READ = "reports:read"
AUDIT_READ = "audit:read"
KEYS_MANAGE = "keys:manage"
RETURNS_READ = "returns:read"
RETURNS_REQUEST = "returns:request"
RETURNS_MANAGE = "returns:manage"
RETURNS_RECEIVE = "returns:receive"
EVENTS_MANAGE = "events:manage"
# Helpdesk tickets about orders: opening one and reading an order's. Support's notes to its
# helpdesk, so neither the customer's nor the channel's; a permission of its own, not
# "modify orders", so a refusal names what was refused.
TICKETS_OPEN = "tickets:open"

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset(
        {
            ORDERS_INGEST,
            ORDERS_READ,
            ORDERS_CANCEL,
            ORDERS_MODIFY,
            ORDERS_RELEASE,
            CATALOG_READ,
            CATALOG_WRITE,
            CUSTOMERS_READ,
            INVENTORY_READ,
            INVENTORY_WRITE,
            SHIPMENTS_READ,
            SHIPMENTS_UPDATE,
            ALERTS_READ,
            ALERTS_ACK,
            RULESETS_READ,
            RULESETS_WRITE,
            RULESETS_PUBLISH,
            REPORTS_READ,
            AUDIT_READ,
            KEYS_MANAGE,
            RETURNS_READ,
            RETURNS_REQUEST,
            RETURNS_MANAGE,
            RETURNS_RECEIVE,
            EVENTS_MANAGE,
            TICKETS_OPEN,
        }
    ),
    Role.ANALYST: frozenset(
        {
            CATALOG_READ,
            INVENTORY_READ,
            ALERTS_READ,
            RULESETS_READ,
            RULESETS_WRITE,
            RULESETS_PUBLISH,
            REPORTS_READ,
        }
    ),
    Role.SUPPORT: frozenset(
        {
            ORDERS_READ,
            ORDERS_CANCEL,
            ORDERS_MODIFY,
            ORDERS_RELEASE,
            CATALOG_READ,
            CUSTOMERS_READ,
            INVENTORY_READ,
            SHIPMENTS_READ,
            ALERTS_READ,
            ALERTS_ACK,
            RETURNS_READ,
            RETURNS_REQUEST,
            RETURNS_MANAGE,
            RETURNS_RECEIVE,
            TICKETS_OPEN,
        }
    ),
    Role.WAREHOUSE: frozenset(
        {
            CATALOG_READ,
            INVENTORY_READ,
            INVENTORY_WRITE,
            SHIPMENTS_READ,
            SHIPMENTS_UPDATE,
            RETURNS_READ,
            RETURNS_RECEIVE,
        }
    ),
    Role.CHANNEL: frozenset({ORDERS_INGEST, ORDERS_READ}),
    Role.CUSTOMER: frozenset({ORDERS_READ, SHIPMENTS_READ, RETURNS_READ, RETURNS_REQUEST}),
}


def allowed(principal: Principal, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(principal.role, frozenset())


def require(principal: Principal, permission: str) -> None:
    if not allowed(principal, permission):
        raise Forbidden(f"role '{principal.role}' may not {_describe(permission)}")


def can_see_order(principal: Principal, channel: str, customer_id: str) -> bool:
    """Channel keys see their channel's orders, customer keys their own; staff see all."""
    if principal.role is Role.CHANNEL:
        return channel == principal.channel
    if principal.role is Role.CUSTOMER:
        return customer_id == principal.customer_id
    return allowed(principal, ORDERS_READ)


def can_work_location(principal: Principal, location_code: str) -> bool:
    """Warehouse keys work only their own locations; admin and support work every one."""
    if principal.role is Role.WAREHOUSE:
        return location_code in principal.locations
    return principal.role in (Role.ADMIN, Role.SUPPORT, Role.ANALYST)


def _describe(permission: str) -> str:
    resource, _, verb = permission.partition(":")
    return f"{verb} {resource}"


# --- keys -----------------------------------------------------------------------------------


class ApiKeyStore(abc.ABC):
    """Where keys live; the SQL implementation is `engine.adapters.orm_api.SqlApiKeyStore`.

    A change to a key and its audit entry are written in one transaction: the keys are not
    in the unit of work's tables, so the store that commits the key commits its entry too,
    and a failure between the two leaves neither."""

    @abc.abstractmethod
    def add(self, key: ApiKey, audit: AuditEntry | None = None) -> None:
        """Store `key`, and `audit` with it in the same transaction."""

    @abc.abstractmethod
    def get(self, key_id: str) -> ApiKey | None: ...

    @abc.abstractmethod
    def list(self) -> Sequence[ApiKey]: ...

    @abc.abstractmethod
    def revoke(self, key_id: str, at: datetime, audit: AuditEntry | None = None) -> ApiKey | None:
        """Revoke the key (None: no such key); `audit` is written in the same transaction,
        and only when this call revoked it: revoking a revoked key changes nothing."""

    @abc.abstractmethod
    def rehash(
        self, key_id: str, old_hash: str, new_hash: str, audit: AuditEntry | None = None
    ) -> bool:
        """Store `new_hash` as the key's hash if it is still `old_hash`; False when it is not
        (another process re-hashed it first) or there is no such key. `audit` is written in
        the same transaction, and only when this call changed the hash."""


class InMemoryApiKeyStore(ApiKeyStore):
    """A fake for tests: the audit entries it is given are kept in `audited`."""

    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}
        self.audited: list[AuditEntry] = []

    def add(self, key: ApiKey, audit: AuditEntry | None = None) -> None:
        self._keys[key.id] = key
        if audit is not None:
            self.audited.append(audit)

    def get(self, key_id: str) -> ApiKey | None:
        return self._keys.get(key_id)

    def list(self) -> Sequence[ApiKey]:
        return sorted(self._keys.values(), key=lambda key: key.created_at)

    def revoke(self, key_id: str, at: datetime, audit: AuditEntry | None = None) -> ApiKey | None:
        key = self._keys.get(key_id)
        if key is not None and key.revoked_at is None:
            key.revoked_at = at
            if audit is not None:
                self.audited.append(audit)
        return key

    def rehash(
        self, key_id: str, old_hash: str, new_hash: str, audit: AuditEntry | None = None
    ) -> bool:
        key = self._keys.get(key_id)
        if key is None or key.secret_hash != old_hash:
            return False
        # A new object: the authenticator's cache may hold the old one, as it would a row.
        self._keys[key_id] = replace(key, secret_hash=new_hash)
        if audit is not None:
            self.audited.append(audit)
        return True


def hash_secret(secret: str, server_secret: str) -> str:
    return hmac.new(server_secret.encode(), secret.encode(), hashlib.sha256).hexdigest()


def hashed_with(secret_hash: str, secret: str, server_secrets: Iterable[str]) -> str | None:
    """The server secret among `server_secrets` that `secret_hash` was made from `secret`
    with, or None when it was made with none of them (or from another secret)."""
    for server_secret in server_secrets:
        if hmac.compare_digest(secret_hash, hash_secret(secret, server_secret)):
            return server_secret
    return None


def rehash_api_key(
    keys: ApiKeyStore, key: ApiKey, secret: str, *, server_secret: str, actor: str
) -> ApiKey:
    """`key` with its hash made again from `secret` with `server_secret` (the current one),
    stored and audited as `key.rehash` for `actor` in one transaction. Called once the
    caller has checked `secret` against the key's hash made with a previous server secret."""
    new_hash = hash_secret(secret, server_secret)
    after = {"hashed_with": "the current ORDO_SECRET_KEY"}
    entry = audit_entry(actor, "key.rehash", "api_key", key.id, {}, after)
    keys.rehash(key.id, key.secret_hash, new_hash, entry)
    return replace(key, secret_hash=new_hash)


class InvalidKeyField(DomainError):
    """A field of a key request that would issue a key working nowhere, named by where it sits
    in the request (`("locations", 1)`), so the API answers at the field and `ordo keys
    create` names its flag."""

    code = "invalid_key_field"

    def __init__(self, loc: Sequence[str | int], reason: str) -> None:
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
        super().__init__(f"{where.removeprefix('.')}: {reason}")
        self.loc = tuple(loc)
        self.reason = reason


def create_api_key(
    keys: ApiKeyStore,
    name: str,
    role: Role | str,
    *,
    server_secret: str,
    channel: str = "",
    locations: Iterable[str] = (),
    customer_id: str = "",
    actor: str | None = None,
    uow_factory: Callable[[], UnitOfWork] | None = None,
) -> tuple[str, str]:
    """Issue a key and return `(key_id, plaintext)`; the plaintext is shown once, never stored.

    `actor` (`admin:ann`, `cli:ann`) is who issues it: the key's `created_by`, and the actor
    of its `key.issue` audit entry, written in the key's transaction. The API, `ordo keys`
    and the first admin key always name one; without one (test fixtures) the key is stored
    unaudited, created by "system".

    Refuses (InvalidKeyField) a blank name, a scope the role needs and lacks or does not read,
    and a blank one; with `uow_factory`, also locations and a customer the database does not
    know. Channels have no table: any channel a key names is its channel."""
    role = Role(role)
    locations = tuple(locations)
    if not name.strip():
        raise InvalidKeyField(("name",), "must not be blank (who or what the key is for)")
    _check_scope_given(role, channel, locations, customer_id)
    if uow_factory is not None:
        _check_scope_known(uow_factory, locations, customer_id)
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        id=key_id,
        name=name,
        role=role,
        secret_hash=hash_secret(secret, server_secret),
        created_at=utcnow(),
        created_by=actor or "system",
        channel=channel,
        locations=locations,
        customer_id=customer_id,
    )
    keys.add(key, None if actor is None else issued_entry(key, actor))
    return key_id, f"{KEY_PREFIX}{key_id}_{secret}"


def issued_entry(key: ApiKey, actor: str) -> AuditEntry:
    """The `key.issue` audit entry of `key`: its name and role, never its secret or hash."""
    after = {"name": key.name, "role": str(key.role)}
    return audit_entry(actor, "key.issue", "api_key", key.id, {}, after)


def revoke_api_key(
    keys: ApiKeyStore, key_id: str, *, actor: str, at: datetime | None = None
) -> ApiKey | None:
    """Revoke a key (None: no such key), audited as `key.revoke` for `actor` in the same
    transaction when this call revoked it; a key revoked already is returned unchanged."""
    entry = audit_entry(actor, "key.revoke", "api_key", key_id, {}, {"revoked": True})
    return keys.revoke(key_id, at or utcnow(), entry)


def _check_scope_given(
    role: Role, channel: str, locations: tuple[str, ...], customer_id: str
) -> None:
    """The scope the role reads is there and not blank (a blank one matches no order and no
    location); no other scope is (it would be listed with the key as if it limited it)."""
    needs = (
        (Role.CHANNEL, "channel", channel, "a channel key needs the channel it ingests for"),
        (Role.WAREHOUSE, "locations", locations, "a warehouse key needs at least one location"),
        (Role.CUSTOMER, "customer_id", customer_id, "a customer key needs the customer it is for"),
    )
    for owner, field, given, missing in needs:
        if given and role is not owner:
            raise InvalidKeyField(
                (field,), f"only {owner} keys are limited by it; {role} keys are not"
            )
        if role is not owner:
            continue
        if not given:
            raise InvalidKeyField((field,), missing)
        if isinstance(given, str) and not given.strip():
            raise InvalidKeyField((field,), f"is blank; {missing}")
        for index, code in enumerate(given if isinstance(given, tuple) else ()):
            if not code.strip():
                raise InvalidKeyField((field, index), "is blank; give each location's code")


# Codes compared with a location a warehouse key names that does not exist, for a suggestion.
_MAX_SUGGESTED_FROM = 10_000


def _check_scope_known(
    uow_factory: Callable[[], UnitOfWork], locations: tuple[str, ...], customer_id: str
) -> None:
    """Each location exists, and the customer does (or has orders: an order may name a
    customer Ordo has no record of, and a key for them sees those orders)."""
    with uow_factory() as uow:
        found = uow.locations.read_many(locations) if locations else {}
        for index, code in enumerate(locations):
            if code in found:
                continue
            codes = [known.code for known in uow.locations.list(limit=_MAX_SUGGESTED_FROM)]
            close = difflib.get_close_matches(code, codes, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise InvalidKeyField(
                ("locations", index),
                f"no location '{code}' in the database ({hint}add it first with "
                f"PUT /v1/locations/{code})",
            )
        unknown = customer_id and uow.customers.get(customer_id) is None
        if unknown and not uow.orders.search(customer_id=customer_id, limit=1):
            raise InvalidKeyField(
                ("customer_id",),
                f"no customer '{customer_id}' in the database and no order of theirs "
                f"(add the customer first with PUT /v1/customers/{customer_id})",
            )


def principal_of(key: ApiKey) -> Principal:
    return Principal(
        key_id=key.id,
        name=key.name,
        role=key.role,
        channel=key.channel,
        locations=key.locations,
        customer_id=key.customer_id,
    )


# --- tokens ---------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint_token(
    principal: Principal, server_secret: str, ttl_seconds: int = DEFAULT_TOKEN_TTL
) -> str:
    body = {
        "kid": principal.key_id,
        "name": principal.name,
        "role": str(principal.role),
        "channel": principal.channel,
        "locations": list(principal.locations),
        "customer_id": principal.customer_id,
        "exp": int(time.time()) + ttl_seconds,
    }
    payload = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
    return f"{TOKEN_PREFIX}{payload}.{_signature(payload, server_secret)}"


def _signature(payload: str, server_secret: str) -> str:
    return _b64(hmac.new(server_secret.encode(), payload.encode(), hashlib.sha256).digest())


def verify_token(token: str, server_secret: str, previous_secrets: Sequence[str] = ()) -> Principal:
    """The token's principal if it is signed with `server_secret` or one of the
    `previous_secrets` (tokens minted before a rotation live out their time) and unexpired."""
    try:
        payload, signature = token.removeprefix(TOKEN_PREFIX).split(".")
        signed = any(
            hmac.compare_digest(signature, _signature(payload, secret))
            for secret in (server_secret, *previous_secrets)
        )
        if not signed:
            raise Unauthenticated("the bearer token's signature does not match; request a new one")
        body = json.loads(_unb64(payload))
        if int(body["exp"]) < time.time():
            raise Unauthenticated(
                "the bearer token has expired; request a new one with your API key"
            )
        return Principal(
            key_id=str(body["kid"]),
            name=str(body["name"]),
            role=Role(body["role"]),
            channel=str(body.get("channel", "")),
            locations=tuple(body.get("locations", ())),
            customer_id=str(body.get("customer_id", "")),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise Unauthenticated("the bearer token is malformed; request a new one") from exc


# --- checking credentials -------------------------------------------------------------------


class Authenticator:
    """Turns a presented credential into a principal.

    Key look-ups are cached for `cache_seconds` so a busy channel does not cost a database
    round trip per order; a revoked key therefore stops working within that many seconds.

    `previous_secrets` are server secrets rotated out (ORDO_PREVIOUS_SECRET_KEYS): tokens they
    signed and keys they hashed are still accepted, and such a key is re-hashed with
    `server_secret` on its first use, so no key needs them after it has called once.
    """

    def __init__(
        self,
        keys: ApiKeyStore,
        server_secret: str,
        cache_seconds: float = 10.0,
        *,
        previous_secrets: Sequence[str] = (),
    ) -> None:
        self.keys = keys
        self.server_secret = server_secret
        self.previous_secrets = tuple(previous_secrets)
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, ApiKey | None]] = {}
        self._lock = threading.Lock()

    def authenticate(self, credential: str) -> Principal:
        principal = self._authenticate(credential, cached_only=False)
        assert principal is not None
        return principal

    def authenticate_cached(self, credential: str) -> Principal | None:
        """The principal if the credential can be checked without the key store (its key was
        looked up less than `cache_seconds` ago), None when the store must be asked: an
        async caller then does that off its event loop."""
        return self._authenticate(credential, cached_only=True)

    def _authenticate(self, credential: str, *, cached_only: bool) -> Principal | None:
        if credential.startswith(TOKEN_PREFIX):
            principal = verify_token(credential, self.server_secret, self.previous_secrets)
            # A token dies with its key: otherwise a revoked key's tokens could keep minting
            # fresh tokens for ever.
            found = self._lookup(principal.key_id, cached_only)
            if found is _UNKNOWN:
                return None
            if found is None or not found.active:
                raise Unauthenticated(
                    f"the API key {principal.key_id} this token was minted from was revoked"
                )
            # The role and scope are the key's, not the token's word for them: anyone holding
            # the server secret (the development default is in the source) could otherwise
            # sign an admin token naming any key id they can read, their own channel key's.
            if principal != principal_of(found):
                raise Unauthenticated(
                    f"the bearer token's role or scope is not that of the API key "
                    f"{principal.key_id} it names; request a new one with your API key"
                )
            return principal
        if not credential.startswith(KEY_PREFIX) or credential.count("_") < 2:
            raise Unauthenticated(
                "the credential is neither an Ordo API key (ordo_<id>_<secret>) "
                "nor a bearer token (ordo.<payload>.<signature>)"
            )
        key_id, _, secret = credential.removeprefix(KEY_PREFIX).partition("_")
        key = self._lookup(key_id, cached_only)
        if key is _UNKNOWN:
            return None
        server_secrets = (self.server_secret, *self.previous_secrets)
        used = None if key is None else hashed_with(key.secret_hash, secret, server_secrets)
        if used is None:
            raise Unauthenticated("the API key is not valid")
        if not key.active:
            raise Unauthenticated(f"the API key {key_id} was revoked")
        if used != self.server_secret:
            if cached_only:
                return None  # re-hashing writes to the key store: not on an event loop
            self._rehash(key, secret)
        return principal_of(key)

    def _rehash(self, key: ApiKey, secret: str) -> None:
        """Move a key hashed with a previous server secret to the current one and cache it as
        moved. Another process may have moved it first: the store then changes nothing."""
        actor = principal_of(key).actor
        moved = rehash_api_key(
            self.keys, key, secret, server_secret=self.server_secret, actor=actor
        )
        with self._lock:
            self._cache[key.id] = (time.monotonic(), moved)

    def forget(self, key_id: str) -> None:
        with self._lock:
            self._cache.pop(key_id, None)

    def _lookup(self, key_id: str, cached_only: bool = False) -> Any:
        """The key (None: no such key), or `_UNKNOWN` when `cached_only` and not cached."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key_id)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1]
        if cached_only:
            return _UNKNOWN
        key = self.keys.get(key_id)
        with self._lock:
            if len(self._cache) >= MAX_CACHED_KEYS:
                # Made-up key ids must not grow the cache without bound; starting over costs
                # one look-up per active key.
                self._cache.clear()
            self._cache[key_id] = (now, key)
        return key
