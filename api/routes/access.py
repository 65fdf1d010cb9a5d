"""API keys (admins issue and revoke them), bearer tokens, `whoami`, and the health check."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.exceptions import RequestValidationError

from api.deps import Caller, CanManageKeys, Services
from api.schemas.common import problem_responses
from api.schemas.operations import KeyCreated, KeyIn, KeyOut, PrincipalOut, TokenIn, TokenOut
from api.schemas.patterns import KEY_ID
from engine.domain.errors import NotFound
from engine.service_layer.auth import InvalidKeyField, create_api_key, mint_token, revoke_api_key

router = APIRouter(prefix="/v1", tags=["auth"])
health = APIRouter(tags=["health"])

KeyPath = Annotated[str, Path(pattern=KEY_ID)]


@health.get(
    "/health",
    summary="Liveness and database reachability",
    responses={503: problem_responses(503)[503]},
)
def health_check(services: Services) -> dict[str, Any]:
    """200 when the process is up and the database answers; 503 (`database_unavailable`)
    when it does not. Needs no credential."""
    with services.container.uow_factory() as uow:
        uow.locations.list(limit=1)
    return {"status": "ok"}


@router.post("/keys", response_model=KeyCreated, status_code=201, responses=problem_responses())
def issue_key(body: KeyIn, who: CanManageKeys, services: Services) -> KeyCreated:
    """Issue a key; the response is the only time the key itself is shown. A key that would
    work nowhere (a scope missing or blank, a location or customer Ordo does not know) is 422
    at its field. Audited as `key.issue`, in the key's own transaction."""
    try:
        key_id, plaintext = create_api_key(
            services.keys,
            body.name,
            body.role,
            server_secret=services.server_secret,
            channel=body.channel,
            locations=body.locations,
            customer_id=body.customer_id,
            actor=who.actor,
            uow_factory=services.container.uow_factory,
        )
    except InvalidKeyField as refused:
        # Answered like any bad field: 422 with its JSON path in `errors`.
        error = {"loc": ("body", *refused.loc), "type": refused.code, "msg": refused.reason}
        raise RequestValidationError([{**error, "input": None}]) from None
    key = services.keys.get(key_id)
    assert key is not None
    return KeyCreated(**KeyOut.of(key).model_dump(), api_key=plaintext)


@router.get("/keys", response_model=list[KeyOut], responses=problem_responses())
def list_keys(_: CanManageKeys, services: Services) -> list[KeyOut]:
    """Every key ever issued (never the secrets), revoked ones included."""
    return [KeyOut.of(k) for k in services.keys.list()]


@router.post("/keys/{key_id}/revoke", response_model=KeyOut, responses=problem_responses(404))
def revoke_key(key_id: KeyPath, who: CanManageKeys, services: Services) -> KeyOut:
    """Revoke a key; it stops working at once in this process, within seconds elsewhere.
    Audited as `key.revoke`, in the revocation's transaction; revoking a revoked key changes
    nothing and adds no entry."""
    key = revoke_api_key(services.keys, key_id, actor=who.actor)
    if key is None:
        raise NotFound("API key", key_id)
    services.authenticator.forget(key_id)
    return KeyOut.of(key)


@router.post(
    "/auth/tokens", response_model=TokenOut, status_code=201, responses=problem_responses()
)
def issue_token(body: TokenIn, who: Caller, services: Services) -> TokenOut:
    """Exchange a credential for a short-lived bearer token with the same role and scope."""
    token = mint_token(who, services.server_secret, body.ttl_seconds)
    return TokenOut(access_token=token, expires_in=body.ttl_seconds)


@router.get("/auth/me", response_model=PrincipalOut, responses=problem_responses())
def whoami(who: Caller) -> PrincipalOut:
    """Who the credential acts as: role and scopes."""
    return PrincipalOut.of(who)
