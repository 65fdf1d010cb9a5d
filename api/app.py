"""The application factory: `create_app(container)` builds the FastAPI app; nothing at import.

The container (built by `ordo.bootstrap.build_app_container`) brings the unit-of-work
factory, the message bus and the ruleset registry; this module adds the API's own services
(key store, authenticator, idempotency), the routers and the problem+json error handlers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool

from api import body_limit, errors, idempotent, rate_limit
from api.deps import ApiServices, AppContainer, checked_query
from api.routes import ROUTERS
from engine.domain.values import utcnow
from engine.service_layer.auth import ApiKeyStore, Authenticator
from engine.service_layer.idempotency import Idempotency, IdempotencyStore
from engine.service_layer.rulesets_service import RegistryRefresher, ScenarioStore

log = logging.getLogger(__name__)

DESCRIPTION = """
Ordo's HTTP API: order ingestion for sales channels, orders, inventory, shipments, alerts,
rulesets and the audit log.

**Authentication.** Every route except `/health` needs a credential:
`X-API-Key: ordo_<id>_<secret>` (issued by an admin with `POST /v1/keys`), or
`Authorization: Bearer <token>` with a short-lived token from `POST /v1/auth/tokens`.

**Roles.** admin (everything), analyst (rulesets, reports), support (orders: read, cancel,
modify, release holds; returns), warehouse (its own locations' stock and shipments, receiving
returns), channel (ingest and read its own orders), customer (its own orders, their
shipments and returns). Anything not granted is denied (403).

**Retries.** Send an `Idempotency-Key` header with any write (POST, PUT, PATCH, DELETE;
not `POST /v1/keys` nor `/v1/auth/tokens`, whose answers hold a secret): a retry with the same
key and body returns the first response (`Idempotent-Replayed: true`) and changes nothing
again, for as long as the server keeps answers (`ORDO_IDEMPOTENCY_RETENTION_HOURS`, 72 by
default). A request that failed with a 5xx does not keep its key.

**Errors** are `application/problem+json` with `detail` saying what was wrong and, for bad
fields, `errors[].path` naming the JSON path.
"""

TAGS = [
    {"name": "orders", "description": "Ingest, search, inspect, cancel and modify orders."},
    {
        "name": "channels",
        "description": "Orders from sales channels' own webhooks (Shopify, WooCommerce).",
    },
    {"name": "inventory", "description": "Stock by SKU and location, ATP, adjustments."},
    {"name": "catalog", "description": "Products, locations and customers."},
    {
        "name": "personal data",
        "description": "A customer's personal data: export it, erase it (GDPR, CCPA).",
    },
    {"name": "shipments", "description": "Fulfilment orders and their tracking."},
    {"name": "returns", "description": "Request, authorise, receive, refund, reject returns."},
    {"name": "alerts", "description": "Alerts raised by alert rules."},
    {"name": "rulesets", "description": "Draft, validate, test, publish and roll back rules."},
    {"name": "simulations", "description": "Replay history under drafts; compare outcomes."},
    {"name": "events", "description": "Dead letters: events the workers gave up on (admins)."},
    {"name": "audit", "description": "Every mutation, append-only (admins)."},
    {"name": "auth", "description": "API keys and bearer tokens."},
    {"name": "reports", "description": "Operational figures."},
    {"name": "health", "description": "Liveness."},
]


def _lifespan(container: AppContainer) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Compile the published rulesets before the first order, not inside it: a lazy load
        # from within an order's transaction would wait on that transaction's own write lock
        # on SQLite, and the first customer would pay for the compile.
        registry = container.rulesets
        try:
            await run_in_threadpool(lambda: registry.snapshot)
        except Exception as error:
            # Refuse to serve rather than decide orders without their rules.
            raise RuntimeError(
                "Ordo cannot load the published rulesets from the database "
                f"({type(error).__name__}: {str(error).splitlines()[0]}); "
                "if it is new, create its schema with `ordo db upgrade`"
            ) from error
        every = float(getattr(container.settings, "ruleset_refresh_seconds", 0) or 0)
        refreshing = None
        if every > 0:
            refresher = RegistryRefresher(container.uow_factory, registry)
            refreshing = asyncio.create_task(_refresh_rulesets(refresher, every))
        try:
            yield
        finally:
            if refreshing is not None:
                refreshing.cancel()
                with suppress(asyncio.CancelledError):
                    await refreshing

    return lifespan


async def _refresh_rulesets(refresher: RegistryRefresher, every: float) -> None:
    """Pick up rulesets published or rolled back by another process (another API worker,
    the CLI) every `every` seconds. A failed check keeps serving the rulesets this process
    has and tries again at the next one."""
    while True:
        await asyncio.sleep(every)
        try:
            await run_in_threadpool(refresher.tick, utcnow())
        except Exception:
            log.exception("could not check the database for newly published rulesets")


def create_app(
    container: AppContainer,
    *,
    keys: ApiKeyStore | None = None,
    idempotency: IdempotencyStore | None = None,
    scenarios: ScenarioStore | None = None,
    key_cache_seconds: float = 10.0,
) -> FastAPI:
    """Build the app around `container`; the keyword stores replace the SQL ones in tests."""
    if keys is None or idempotency is None or scenarios is None:
        from engine.adapters.orm_api import SqlApiKeyStore, SqlIdempotencyStore, SqlScenarioStore

        keys = keys or SqlApiKeyStore(container.session_factory)
        idempotency = idempotency or SqlIdempotencyStore(container.session_factory)
        scenarios = scenarios or SqlScenarioStore(container.session_factory)
    secret = _secret(container.settings)
    app = FastAPI(
        title="Ordo",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        dependencies=[Depends(checked_query)],
        lifespan=_lifespan(container),
    )
    app.state.ordo = ApiServices(
        container=container,
        keys=keys,
        authenticator=Authenticator(
            keys,
            secret,
            cache_seconds=key_cache_seconds,
            previous_secrets=_previous_secrets(container.settings),
        ),
        idempotency=Idempotency(idempotency),
        server_secret=secret,
        scenarios=scenarios,
        # Built by the composition root (None when off, and on a test's offline container).
        rate_limits=getattr(container, "rate_limits", None),
    )
    # Inside the error middleware `errors.install` adds: a route's crash passes through the
    # idempotency middleware (which gives the key back) before it is answered with a 500.
    app.add_middleware(
        idempotent.IdempotentWrites, own_keys=idempotent.routes_declaring_key(ROUTERS)
    )
    # Outside the idempotency middleware, whose answers (a key's 429 among them: it charges a
    # write's key before the route) must carry the RateLimit fields too. Only with a budget
    # set: without one, a request pays nothing for it.
    limits = app.state.ordo.rate_limits
    if limits is not None and limits.any_budget:
        app.add_middleware(rate_limit.RateLimitFields, limits=limits)
    # Outside everything that reads a body (the idempotency middleware, FastAPI, the routes),
    # so none of them ever holds more than the limit; inside the error middleware, which
    # answers a crash of its own with a 500.
    max_bytes = int(getattr(container.settings, "max_request_bytes", body_limit.DEFAULT_MAX_BYTES))
    app.add_middleware(body_limit.BodyLimit, max_bytes=max_bytes)
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    idempotent.document(app)
    body_limit.document(app, max_bytes)
    if app.state.ordo.rate_limits is not None:
        rate_limit.document(app)
    return app


def _secret(settings: Any) -> str:
    value = settings.secret_key
    return str(value.get_secret_value() if hasattr(value, "get_secret_value") else value)


def _previous_secrets(settings: Any) -> tuple[str, ...]:
    """ORDO_PREVIOUS_SECRET_KEYS, still accepted after a rotation (none on a test's settings)."""
    values = getattr(settings, "previous_secret_keys", ())
    return tuple(str(v.get_secret_value() if hasattr(v, "get_secret_value") else v) for v in values)
