"""FastAPI dependencies, as `Annotated` aliases routes declare in their signatures.

- `Services`: what the app was built with (container, authenticator, idempotency, key store).
- `Uow`: a fresh unit of work per request.
- `Caller`: the authenticated principal (API key in `X-API-Key`, or `Authorization: Bearer`
  with an API key or a token from `POST /v1/auth/tokens`).
- One alias per permission (`CanReadOrders`, ...): the principal, after its role was checked.
  Deny by default: a route without one of these cannot learn who is calling.
- `ChannelCaller`: who posts to a sales channel's webhook route, by API key as above or by the
  channel connector's signature over the body.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Protocol

from fastapi import Depends, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api import rate_limit
from engine.domain.access import Principal, Role
from engine.domain.errors import DomainError, NotFound
from engine.service_layer import auth
from engine.service_layer.auth import ApiKeyStore, Authenticator, Forbidden, Unauthenticated
from engine.service_layer.idempotency import Idempotency
from engine.service_layer.rulesets_service import ScenarioStore
from engine.service_layer.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from connectors.base import Ticketing
    from connectors.channels.base import WebhookChannel
    from engine.adapters.bus.base import EventBus
    from engine.adapters.rate_limits import RateLimits
    from engine.domain.packaging import BoxCatalog
    from engine.rules.registry import RulesetRegistry
    from engine.service_layer.labels import CarrierLookup
    from engine.service_layer.messagebus import MessageBus


class AppContainer(Protocol):
    """What the API needs from `ordo.bootstrap.Container` (the API never imports `ordo`)."""

    settings: Any
    session_factory: Any
    uow_factory: Callable[[], UnitOfWork]
    bus: MessageBus
    rulesets: RulesetRegistry
    event_bus: EventBus

    @property
    def channels(self) -> Mapping[str, WebhookChannel]:
        """Sales channels that post orders by webhook, by connector name."""
        ...

    @property
    def ticketing(self) -> Ticketing | None:
        """The helpdesk tickets are opened in (ORDO_TICKETING); None when off."""
        ...

    @property
    def carriers(self) -> CarrierLookup:
        """The carrier connector of a carrier code (None: none), whose webhook it reads."""
        ...

    @property
    def carrier_names(self) -> Mapping[str, str]:
        """Each carrier code's name, from the rate cards (an 856 written again names it)."""
        ...

    @property
    def packaging(self) -> BoxCatalog | None:
        """The box catalogue decisions pack with (ORDO_PACKAGING_FILE); None when off."""
        ...


# Refused sign-ins (WARNING) and permissions refused to known callers (INFO), on a logger of
# their own so an operator can route them to a security log without the rest of the API's.
auth_log = logging.getLogger("ordo.auth")


@dataclass
class ApiServices:
    container: AppContainer
    keys: ApiKeyStore
    authenticator: Authenticator
    idempotency: Idempotency
    server_secret: str
    scenarios: ScenarioStore
    # Requests per key by role, and lockouts after failed sign-ins (None: neither).
    rate_limits: RateLimits | None = None


# The dependencies below that do no I/O are `async def`: FastAPI runs a plain `def` dependency
# on its thread pool, and each such hop (five per order before) cost more CPU than the check.


async def get_services(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.ordo
    return services


Services = Annotated[ApiServices, Depends(get_services)]


async def get_uow(services: Services) -> UnitOfWork:
    return services.container.uow_factory()


Uow = Annotated[UnitOfWork, Depends(get_uow)]

_api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="ApiKey",
    description="An Ordo API key, `ordo_<id>_<secret>`, issued by an admin (POST /v1/keys).",
)
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="Bearer",
    description="`Authorization: Bearer <token>` with a token from POST /v1/auth/tokens "
    "(or an API key).",
)


ApiKey = Annotated[str | None, Security(_api_key_header)]
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]


async def _authenticated(
    request: Request, api_key: str | None, bearer: HTTPAuthorizationCredentials | None
) -> Principal:
    """The caller, or Unauthenticated, which is logged: a refused sign-in is what an operator
    looks for when keys are guessed or a leaked one is tried after its revocation."""
    try:
        principal = await _identified(request, api_key, bearer)
    except Unauthenticated as refused:
        key_id = _claimed_key_id(api_key, bearer)
        _log_refused(request, str(refused), key_id)
        limits: RateLimits | None = request.app.state.ordo.rate_limits
        if limits is not None and request.scope.get(_CREDENTIAL_REFUSED):
            await rate_limit.count_failed_sign_in(limits, request.scope, key_id)
        raise
    # Kept for the error handler: a route that refuses this caller later (another channel's
    # orders, another location's stock) is answered there, and logged with whom it refused.
    request.state.principal = principal
    return principal


def refused_sign_in(request: Request, reason: str, key_id: str) -> Unauthenticated:
    """The 401 answering `request` for `reason`, logged."""
    _log_refused(request, reason, key_id)
    return Unauthenticated(reason)


def _log_refused(request: Request, reason: str, key_id: str) -> None:
    """One line per refused sign-in: the 401's reason, the key id the credential named (never
    its secret), the client's address and the path."""
    auth_log.warning(
        "sign-in refused: %s (key id %s, client %s, %s %s)",
        reason,
        key_id,
        _client(request),
        request.method,
        request.url.path,
    )


def _client(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


# What a key id looks like (hex today, `connector:<name>` for a channel's signature): anything
# else a client claims is not written into the log as given, where it could forge a line.
_KEY_ID = re.compile(r"[\w:.-]{1,64}", re.ASCII)


def _claimed_key_id(api_key: str | None, bearer: HTTPAuthorizationCredentials | None) -> str:
    """The key id a refused credential names (`ordo_<id>_...`, or a token's `kid`, unverified:
    it is what the caller claimed), never its secret; "none" when it names none."""
    credential = (api_key or (bearer.credentials if bearer is not None else "") or "").strip()
    claimed: object = None
    if credential.startswith(auth.KEY_PREFIX) and credential.count("_") >= 2:
        claimed = credential.removeprefix(auth.KEY_PREFIX).partition("_")[0]
    elif credential.startswith(auth.TOKEN_PREFIX):
        payload = credential.removeprefix(auth.TOKEN_PREFIX).partition(".")[0]
        try:
            body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, RecursionError):  # not JSON, or nested to exhaust the parser
            body = None
        claimed = body.get("kid") if isinstance(body, dict) else None
    if not isinstance(claimed, str) or not claimed:
        return "none"
    return claimed if _KEY_ID.fullmatch(claimed) else "unreadable"


def require_logged(request: Request, principal: Principal, permission: str) -> None:
    """`auth.require`, logging a refusal: a known caller asking for what its role does not
    allow is worth an operator's look (a misconfigured key, or a key probing), at INFO since
    it is refused and the caller is known."""
    if not auth.allowed(principal, permission):
        log_forbidden(request, principal, permission)
    auth.require(principal, permission)


def log_forbidden(request: Request, principal: Principal, permission: str) -> None:
    """One INFO line for a known caller refused `permission` (a 403), naming its actor."""
    request.state.forbidden_logged = True
    auth_log.info(
        "permission refused: %s lacks %s (client %s, %s %s)",
        principal.actor,
        permission,
        _client(request),
        request.method,
        request.url.path,
    )


def log_forbidden_unless_logged(request: Request, reason: str) -> None:
    """The INFO line for a 403 a route raised itself (a key's channel or locations, a role
    the route's own check refuses), unless the permission check already logged it: every
    refusal of a known caller leaves one line, whichever check refused it."""
    if getattr(request.state, "forbidden_logged", False):
        return
    principal = getattr(request.state, "principal", None)
    auth_log.info(
        "permission refused: %s: %s (client %s, %s %s)",
        principal.actor if isinstance(principal, Principal) else "an unidentified caller",
        reason,
        _client(request),
        request.method,
        request.url.path,
    )


# Set on a request's scope when the authenticator refused its credential: a failed sign-in,
# which counts towards its address's lockout (a request without one, or with a malformed
# Authorization header, guesses nothing).
_CREDENTIAL_REFUSED = "ordo.credential_refused"


async def _identified(
    request: Request, api_key: str | None, bearer: HTTPAuthorizationCredentials | None
) -> Principal:
    services: ApiServices = request.app.state.ordo
    limits = services.rate_limits
    if limits is not None:
        rate_limit.refuse_locked_out(limits, request.scope)
    if bearer is None and "authorization" in request.headers:
        # HTTPBearer leaves out what it cannot read (another scheme, no token): refuse it
        # rather than fall back to X-API-Key, so a client sending a Basic header or a
        # malformed one learns which header is wrong instead of being served regardless.
        scheme = request.headers["authorization"].strip().partition(" ")[0]
        raise Unauthenticated(
            "the Authorization header must be 'Bearer <token>'"
            + (
                f"; got the scheme '{scheme[:20]}'"
                if scheme and scheme.lower() != "bearer"
                else "; the token is missing"
            )
        )
    credential = api_key or (bearer.credentials if bearer is not None else None)
    if not credential:
        raise Unauthenticated(
            "this route needs credentials: send your API key in the X-API-Key header "
            "or 'Authorization: Bearer <token>'"
        )
    credential = credential.strip()
    try:
        principal = services.authenticator.authenticate_cached(credential)
        if principal is None:
            # The key store is a database read: off the event loop.
            principal = await run_in_threadpool(_looked_up, services, request.scope, credential)
    except Unauthenticated:
        request.scope[_CREDENTIAL_REFUSED] = True
        raise
    if limits is not None and limits.keys_limited:
        await rate_limit.charge(limits, request.scope, principal)
    return principal


def _looked_up(services: ApiServices, scope: Any, credential: str) -> Principal:
    """The caller of a credential not in the authenticator's cache, from the key store;
    first refused if its address is locked out anywhere (Redis): every guess of a key
    comes this way, and is stopped before the database."""
    if services.rate_limits is not None:
        rate_limit.refuse_locked_out_anywhere(services.rate_limits, scope)
    return services.authenticator.authenticate(credential)


# The principal's dependencies read the services from the request rather than through
# `Services`, and `requires` authenticates itself rather than through `Caller`: FastAPI
# resolves every level of a dependency tree on every request, and the two levels this saves
# cost more CPU per request than authenticating does.


async def current_principal(
    request: Request, api_key: ApiKey = None, bearer: BearerCredentials = None
) -> Principal:
    return await _authenticated(request, api_key, bearer)


Caller = Annotated[Principal, Depends(current_principal)]


async def principal_of(request: Request) -> Principal:
    """The caller of `request` by the same headers and rules as `Caller`, for code that runs
    before routing (the idempotency middleware keeps a key per caller); raises
    `Unauthenticated` as the routes do, unlogged: the route then refuses the same request,
    and logs it once."""
    return await _identified(request, await _api_key_header(request), await _bearer(request))


def requires(permission: str) -> Callable[..., Awaitable[Principal]]:
    async def check(
        request: Request, api_key: ApiKey = None, bearer: BearerCredentials = None
    ) -> Principal:
        principal = await _authenticated(request, api_key, bearer)
        require_logged(request, principal, permission)
        return principal

    check.__name__ = f"requires_{permission.replace(':', '_')}"
    return check


CanIngestOrders = Annotated[Principal, Depends(requires(auth.ORDERS_INGEST))]
CanReadOrders = Annotated[Principal, Depends(requires(auth.ORDERS_READ))]
CanCancelOrders = Annotated[Principal, Depends(requires(auth.ORDERS_CANCEL))]
CanModifyOrders = Annotated[Principal, Depends(requires(auth.ORDERS_MODIFY))]
CanReleaseOrders = Annotated[Principal, Depends(requires(auth.ORDERS_RELEASE))]
CanReadCatalog = Annotated[Principal, Depends(requires(auth.CATALOG_READ))]
CanWriteCatalog = Annotated[Principal, Depends(requires(auth.CATALOG_WRITE))]
CanReadCustomers = Annotated[Principal, Depends(requires(auth.CUSTOMERS_READ))]
CanReadInventory = Annotated[Principal, Depends(requires(auth.INVENTORY_READ))]
CanWriteInventory = Annotated[Principal, Depends(requires(auth.INVENTORY_WRITE))]
CanReadShipments = Annotated[Principal, Depends(requires(auth.SHIPMENTS_READ))]
CanUpdateShipments = Annotated[Principal, Depends(requires(auth.SHIPMENTS_UPDATE))]
CanReadAlerts = Annotated[Principal, Depends(requires(auth.ALERTS_READ))]
CanAckAlerts = Annotated[Principal, Depends(requires(auth.ALERTS_ACK))]
CanReadRulesets = Annotated[Principal, Depends(requires(auth.RULESETS_READ))]
CanWriteRulesets = Annotated[Principal, Depends(requires(auth.RULESETS_WRITE))]
CanPublishRulesets = Annotated[Principal, Depends(requires(auth.RULESETS_PUBLISH))]
CanReadReports = Annotated[Principal, Depends(requires(auth.REPORTS_READ))]
CanReadAudit = Annotated[Principal, Depends(requires(auth.AUDIT_READ))]
CanManageKeys = Annotated[Principal, Depends(requires(auth.KEYS_MANAGE))]
CanReadReturns = Annotated[Principal, Depends(requires(auth.RETURNS_READ))]
CanRequestReturns = Annotated[Principal, Depends(requires(auth.RETURNS_REQUEST))]
CanManageReturns = Annotated[Principal, Depends(requires(auth.RETURNS_MANAGE))]
CanReceiveReturns = Annotated[Principal, Depends(requires(auth.RETURNS_RECEIVE))]
CanManageEvents = Annotated[Principal, Depends(requires(auth.EVENTS_MANAGE))]
CanOpenTickets = Annotated[Principal, Depends(requires(auth.TICKETS_OPEN))]


async def channel_caller(
    request: Request, api_key: ApiKey = None, bearer: BearerCredentials = None
) -> Principal:
    """Who posts to a sales channel's webhook route (`{connector_name}` in its path).

    With an API key or token, the caller is checked as on any route: its role must ingest
    orders, and a channel key must be of the connector's channel. Without one, the request
    must carry the connector's signature over its raw body. The caller is then the connector
    itself: a channel principal of its channel, under a key id of its own that its
    idempotency records belong to. A request with neither is 401, as on every route."""
    services: ApiServices = request.app.state.ordo
    name = str(request.path_params.get("connector_name", ""))
    channels = services.container.channels
    connector = channels.get(name)
    if api_key or bearer is not None or "authorization" in request.headers:
        principal = await _authenticated(request, api_key, bearer)
        require_logged(request, principal, auth.ORDERS_INGEST)
        if connector is None:
            raise NotFound("channel connector", name)
        if principal.role is Role.CHANNEL and principal.channel != connector.channel:
            log_forbidden(
                request, principal, f"{auth.ORDERS_INGEST} for channel {connector.channel}"
            )
            raise Forbidden(
                f"this key ingests for channel '{principal.channel}', and connector '{name}' "
                f"files its orders under channel '{connector.channel}'"
            )
        return principal
    signed = {channel.signature_header.lower() for channel in channels.values()}
    if not signed & set(request.headers.keys()):
        header = connector.signature_header if connector is not None else "its header"
        raise refused_sign_in(
            request,
            "this route needs credentials: the channel's signature over the body "
            f"({header}), or an API key in the X-API-Key header or 'Authorization: Bearer "
            "<token>'",
            "none",
        )
    if connector is None:
        raise NotFound("channel connector", name)
    signature = request.headers.get(connector.signature_header, "")
    if not connector.verify(await request.body(), signature):
        raise refused_sign_in(
            request,
            f"the {connector.signature_header} signature does not match the body: the "
            f"secret of connector '{name}' must be the one the channel signs with, and the "
            "body must be sent exactly as signed",
            f"connector:{name}",
        )
    principal = request.state.principal = Principal(
        key_id=f"connector:{name}",
        name=f"{name} ({connector.slug} webhook)",
        role=Role.CHANNEL,
        channel=connector.channel,
    )
    if services.rate_limits is not None and services.rate_limits.keys_limited:
        await rate_limit.charge(services.rate_limits, request.scope, principal)
    return principal


ChannelCaller = Annotated[Principal, Depends(channel_caller)]


async def checked_query(request: Request) -> None:
    """Refuse a query string the route would misread. No route takes a list in it, so
    `?status=a&status=b` is a mistake to report, not something to resolve silently by
    keeping the last value; and a parameter the route does not take (`?from=` where it takes
    `date`) would be ignored, answering a question that was not asked."""
    if not request.query_params:  # most requests, order ingestion among them
        return
    keys = [key for key, _ in request.query_params.multi_items()]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise DomainError(
            f"query parameter '{repeated[0]}' was given {keys.count(repeated[0])} times; "
            "give each parameter once"
        )
    taken = _query_parameters(request.scope.get("route"))
    unknown = [] if taken is None else [key for key in keys if key not in taken]
    if taken is not None and unknown:
        takes = ", ".join(sorted(taken)) or "none"
        raise RequestValidationError(
            [
                {
                    "loc": ("query", key),
                    "type": "unknown_query_parameter",
                    "msg": f"this route takes no query parameter '{key}' (it takes: {takes})",
                    "input": request.query_params[key],
                }
                for key in unknown
            ]
        )


_TAKEN: dict[int, frozenset[str]] = {}


def _query_parameters(route: Any) -> frozenset[str] | None:
    """The query parameters `route` declares, its dependencies' included (None: not an API
    route, such as the docs, which are left alone). Worked out once per route."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    known = _TAKEN.get(id(route))
    if known is None:
        known = _TAKEN[id(route)] = frozenset(_query_aliases(dependant))
    return known


def _query_aliases(dependant: Any) -> Iterator[str]:
    yield from (param.alias for param in dependant.query_params)
    for inner in dependant.dependencies:
        yield from _query_aliases(inner)
