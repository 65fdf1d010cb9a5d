"""Orders: ingestion (single and batch, idempotent), search, detail, cancel (until a location
picks, and of a backordered remainder after), modify, release (of holds, and of orders when
releases are not automatic).

Channel keys ingest for their own channel and read only its orders; customer keys read only
their own. An order another caller may not see answers 404, so ids do not leak.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from api.commands import dispatch
from api.deps import (
    ApiServices,
    CanCancelOrders,
    CanIngestOrders,
    CanModifyOrders,
    CanReadOrders,
    CanReleaseOrders,
    Services,
    Uow,
)
from api.errors import describe_validation_error, problem_body, status_for
from api.schemas.common import QueryDateTime, problem_responses
from api.schemas.inventory import TransferOut
from api.schemas.orders import (
    ID,
    BatchIn,
    BatchItem,
    BatchOut,
    CancelBackorderedIn,
    CancelIn,
    HistoryOut,
    ModifyIn,
    OrderDetail,
    OrderIn,
    OrderOut,
    ShipmentOut,
    TraceOut,
)
from api.schemas.patterns import SKU
from api.schemas.tickets import TicketOut
from engine.domain import commands
from engine.domain.access import Principal, Role
from engine.domain.errors import Conflict, DomainError, NotFound
from engine.domain.orders import LineStatus, Order, OrderStatus
from engine.domain.values import in_utc
from engine.service_layer import audit, auth, backorders, handlers, ship_to_store
from engine.service_layer.auth import Forbidden, can_see_order
from engine.service_layer.idempotency import request_hash
from engine.service_layer.unit_of_work import UnitOfWork

router = APIRouter(prefix="/v1/orders", tags=["orders"])


def _check_window(created_from: datetime | None, created_to: datetime | None) -> None:
    """A window that ends where or before it starts finds nothing, which is surely a mistake:
    say so instead of answering with an empty list the caller would take as 'no orders'."""
    if created_from is None or created_to is None:
        return
    if in_utc(created_to) <= in_utc(created_from):
        raise DomainError(
            f"query parameter 'created_to' ({created_to.isoformat()}) must be later than "
            f"'created_from' ({created_from.isoformat()}): 'created_to' is exclusive, "
            "so this window holds no order"
        )


OrderPath = Annotated[str, Path(pattern=ID, description="Ordo's order id.")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Any unique string per logical request (a UUID). A retry with the same key "
        "and body returns the first response; a different body is refused (422); while the "
        "first is still running, 409.",
    ),
]


# --- ingestion ------------------------------------------------------------------------------


def channel_for(who: Principal, requested: str | None) -> str:
    """The channel an order is filed under: a channel key's own, else the one requested."""
    if who.role is Role.CHANNEL:
        if requested not in (None, who.channel):
            raise Forbidden(f"this key ingests for channel '{who.channel}', not '{requested}'")
        return who.channel
    if not requested:
        raise DomainError("$.channel: is required when the key is not a channel key")
    return requested


def _load(uow: UnitOfWork, order_id: str) -> Order:
    order = uow.orders.get(order_id)
    if order is None:
        raise NotFound("order", order_id)
    return order


def ingest_one(services: ApiServices, who: Principal, body: OrderIn) -> OrderOut:
    """Create one order and run it through the pipeline; the order as it stands afterwards."""
    channel = channel_for(who, body.channel)
    try:
        # The handler writes the audit entry in the order's own transaction and hands back
        # the order it decided, so answering needs no second transaction.
        with audit.acting_as(who.actor), handlers.keeping_created_orders() as created:
            order_id = dispatch(services, body.to_command(channel))
    except Conflict as error:
        raise Conflict(
            f"{error.message}; send each order once, or retry with the same Idempotency-Key "
            "to receive the first response"
        ) from error
    order = created.get(str(order_id))
    if order is not None:
        return OrderOut.of(order)
    with services.container.uow_factory() as uow:
        return OrderOut.of(_load(uow, str(order_id)))


def _problem_body(error: DomainError, instance: str) -> dict[str, Any]:
    return problem_body(status_for(error), error.message, code=error.code, instance=instance)


def _idempotent(
    services: ApiServices,
    who: Principal,
    key: str | None,
    fingerprint: Callable[[], str],
    run: Any,
    instance: str,
) -> JSONResponse:
    """Run `run() -> (status, body)` at most once per (caller, key); replay otherwise.
    `fingerprint` hashes the request, only when there is a key to remember it under."""
    if key is not None:
        replay = services.idempotency.claim(who.key_id, key, fingerprint())
        if replay is not None:
            return _respond(replay.status_code, replay.body, {"Idempotent-Replayed": "true"})
    try:
        status, body = run()
    except DomainError as error:
        status, body = status_for(error), _problem_body(error, instance)
    except BaseException:
        if key is not None:
            services.idempotency.abandon(who.key_id, key)
        raise
    if key is not None:
        services.idempotency.finish(who.key_id, key, status, body)
    return _respond(status, body)


def _respond(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    media = "application/problem+json" if status >= 400 else "application/json"
    return JSONResponse(body, status_code=status, media_type=media, headers=headers)


@router.post(
    "",
    status_code=201,
    response_model=OrderOut,
    responses=problem_responses(409),
    summary="Ingest one order",
)
def create_order(
    body: OrderIn, who: CanIngestOrders, services: Services, key: IdempotencyKey = None
) -> JSONResponse:
    """Accept an order from a channel, decide it (validate, source, reserve), and return it.

    The channel's own order id is unique per channel: sending it twice is refused with 409
    unless the retry carries the first request's `Idempotency-Key`.
    """

    def run() -> tuple[int, dict[str, Any]]:
        return 201, ingest_one(services, who, body).model_dump(mode="json")

    def fingerprint() -> str:
        return request_hash("POST", "/v1/orders", body.model_dump(mode="json"))

    return _idempotent(services, who, key, fingerprint, run, "/v1/orders")


def _invalid_item(index: int, raw: dict[str, Any], invalid: ValidationError) -> BatchItem:
    """A batched order that is not a valid OrderIn: 422 naming each bad field's path."""
    errors = [
        describe_validation_error({**e, "loc": ("body", "orders", index, *e["loc"])}, BatchIn)
        for e in invalid.errors()
    ]
    detail = "; ".join(f"{e['path']}: {e['message']}" for e in errors[:3])
    problem = problem_body(
        422,
        f"order {index} is not valid: {detail}",
        code="validation_error",
        instance=f"/v1/orders/batch#{index}",
        errors=errors,
    )
    channel_order_id = str(raw.get("channel_order_id", ""))
    return BatchItem.model_validate(
        {"index": index, "channel_order_id": channel_order_id, "status": 422, "problem": problem}
    )


def batch_item(
    services: ApiServices,
    who: Principal,
    index: int,
    item: OrderIn | dict[str, Any],
    instance: str = "",
) -> BatchItem:
    """One order of a batch, created or refused on its own (an invalid one included).
    `instance` names it in a refusal's problem (`/v1/orders/batch#<index>` when not given)."""
    if isinstance(item, OrderIn):
        order_in = item
    else:
        try:
            order_in = OrderIn.model_validate(item)
        except ValidationError as invalid:
            return _invalid_item(index, item, invalid)
    try:
        order = ingest_one(services, who, order_in)
    except DomainError as error:
        problem = _problem_body(error, instance or f"/v1/orders/batch#{index}")
        return BatchItem.model_validate(
            {
                "index": index,
                "channel_order_id": order_in.channel_order_id,
                "status": problem["status"],
                "problem": problem,
            }
        )
    return BatchItem(
        index=index, channel_order_id=order_in.channel_order_id, status=201, order=order
    )


@router.post(
    "/batch",
    response_model=BatchOut,
    responses=problem_responses(409),
    summary="Ingest many orders; each gets its own result",
)
def create_orders(
    body: BatchIn, who: CanIngestOrders, services: Services, key: IdempotencyKey = None
) -> JSONResponse:
    """Every order is created (or refused) on its own: one bad order never sinks the others."""

    def run() -> tuple[int, dict[str, Any]]:
        results = [batch_item(services, who, index, item) for index, item in enumerate(body.orders)]
        created = sum(1 for r in results if r.status == 201)
        out = BatchOut(created=created, failed=len(results) - created, results=results)
        return 200, out.model_dump(mode="json")

    def fingerprint() -> str:
        return request_hash("POST", "/v1/orders/batch", body.model_dump(mode="json"))

    return _idempotent(services, who, key, fingerprint, run, "/v1/orders/batch")


# --- reading --------------------------------------------------------------------------------


@router.get(
    "", response_model=list[OrderOut], responses=problem_responses(), summary="Search orders"
)
def search_orders(
    who: CanReadOrders,
    uow: Uow,
    channel_order_id: Annotated[
        str | None, Query(pattern=ID, description="The channel's order id (with channel).")
    ] = None,
    channel: Annotated[str | None, Query(pattern=ID)] = None,
    customer_id: Annotated[str | None, Query(pattern=ID)] = None,
    email: Annotated[str | None, Query(max_length=254)] = None,
    status: OrderStatus | None = None,
    sku: Annotated[str | None, Query(pattern=SKU)] = None,
    line_status: Annotated[
        LineStatus | None,
        Query(
            description="Orders with a line in this status (with `sku`: a line of that SKU in "
            "it). `backordered` finds every order with a line still to be allocated: those "
            "backordered whole, those on their way with the rest to follow, and pre-orders.",
            examples=["backordered"],
        ),
    ] = None,
    created_from: Annotated[QueryDateTime | None, Query(description="ISO 8601, inclusive.")] = None,
    created_to: Annotated[
        QueryDateTime | None,
        Query(description="ISO 8601, exclusive; later than created_from when both are given."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[OrderOut]:
    """Filter by any combination; channel and customer keys see only their own orders."""
    if who.role is Role.CHANNEL:
        channel = who.channel
    if who.role is Role.CUSTOMER:
        customer_id = who.customer_id
    _check_window(created_from, created_to)
    with uow:
        if channel_order_id is not None:
            if channel is None:
                raise DomainError("query parameter 'channel' is required with 'channel_order_id'")
            found = uow.orders.get_by_channel_id(channel, channel_order_id)
            orders = [found] if found is not None else []
        else:
            orders = list(
                uow.orders.search(
                    customer_id=customer_id,
                    email=email,
                    status=status,
                    sku=sku,
                    line_status=line_status,
                    channel=channel,
                    created_from=created_from,
                    created_to=created_to,
                    limit=limit,
                    offset=offset,
                )
            )
        return [OrderOut.of(o) for o in orders if can_see_order(who, o.channel, o.customer_id)]


def _visible(uow: UnitOfWork, who: Principal, order_id: str) -> Order:
    order = _load(uow, order_id)
    if not can_see_order(who, order.channel, order.customer_id):
        raise NotFound("order", order_id)
    return order


@router.get(
    "/{order_id}",
    response_model=OrderDetail,
    responses=problem_responses(404),
    summary="One order in full",
)
def get_order(order_id: OrderPath, who: CanReadOrders, uow: Uow) -> OrderDetail:
    """Lines, holds, shipments, what happened to it, the decision trace naming the ruleset
    versions that decided it, and the helpdesk tickets opened about it."""
    with uow:
        order = _visible(uow, who, order_id)
        summary = OrderOut.of(order).model_dump()
        history = uow.audit.list(entity="order", entity_id=order_id, limit=500)
        traces = uow.traces.for_order(order_id)
        return OrderDetail(
            **summary,
            shipments=[ShipmentOut.of(s) for s in uow.shipments.for_order(order_id)],
            # Oldest first: a history reads from top to bottom.
            events=[HistoryOut.of(e) for e in sorted(history, key=lambda e: e.at)],
            trace=[TraceOut.of(t) for t in sorted(traces, key=handlers.trace_order)],
            # Support's notes to its helpdesk, for the staff who may open them: not the
            # customer's to read, nor the channel's.
            tickets=[TicketOut.of(t) for t in uow.tickets.about("order", order_id)]
            if auth.allowed(who, auth.TICKETS_OPEN)
            else [],
            transfers=[TransferOut.of(s) for s in ship_to_store.awaited(uow, order_id)],
        )


# --- changing -------------------------------------------------------------------------------


def _change(
    services: ApiServices,
    who: Principal,
    order_id: str,
    command: commands.Command,
    action: str,
    summary: dict[str, Any],
    state: Callable[[UnitOfWork, Order], dict[str, Any]] | None = None,
) -> OrderOut:
    """Run `command` on a visible order and audit it: before, the order's status (and
    `state`, if given); after, `summary`, the status and `state` as the command left them."""
    with services.container.uow_factory() as uow:
        before = _visible(uow, who, order_id)
        was = {"status": str(before.status), **(state(uow, before) if state else {})}

    def audited(uow: UnitOfWork) -> None:
        # In the command's own commit: the order as this transaction leaves it.
        order = _load(uow, order_id)
        after = {**summary, "status": str(order.status), **(state(uow, order) if state else {})}
        audit.record(uow, who.actor, action, "order", order_id, was, after)

    dispatch(services, command, audited)
    with services.container.uow_factory() as uow:
        return OrderOut.of(_load(uow, order_id))


@router.post("/{order_id}/cancel", response_model=OrderOut, responses=problem_responses(404, 409))
def cancel_order(
    order_id: OrderPath, body: CancelIn, who: CanCancelOrders, services: Services
) -> OrderOut:
    """Cancel until fulfilment starts: before release, or released while none of its
    shipments is picked. Reserved stock goes back to the pool, and its pending and released
    shipments are cancelled (`shipment.status_changed` with a `reason` naming the order's
    cancellation; a warehouse system holding one is told). Once a location has picked,
    packed or shipped any of it this is 409 naming that shipment; what of it still waits for
    stock (its backordered lines) is cancelled with
    `POST /v1/orders/{order_id}/cancel-backordered`, and what was delivered comes back as a
    return."""
    return _change(
        services,
        who,
        order_id,
        commands.CancelOrder(order_id, body.reason, who.actor),
        "order.cancel",
        {"reason": body.reason},
    )


def _waiting_and_cancelled(uow: UnitOfWork, order: Order) -> dict[str, Any]:
    """What of each line waits for stock and what of it is cancelled: the audit's before and
    after of a remainder's cancellation."""
    waiting = backorders.remainder(uow, order)
    return {
        "backordered": waiting,
        "cancelled": {
            line.id: line.quantity_cancelled
            for line in order.lines
            if line.quantity_cancelled or line.id in waiting
        },
    }


@router.post(
    "/{order_id}/cancel-backordered",
    response_model=OrderOut,
    responses=problem_responses(404, 409),
    summary="Cancel what of an order on its way still waits for stock",
)
def cancel_backordered(
    order_id: OrderPath, body: CancelBackorderedIn, who: CanCancelOrders, services: Services
) -> OrderOut:
    """Cancel units of the backordered lines of an order already on its way (`reserved` to
    `partially_shipped`), when the customer no longer wants to wait for the stock: `lines`
    maps line ids to units, and without it every unit that waits is cancelled. What is
    allocated ships as it would have; a later arrival sources only what still waits. A line
    with nothing left waiting becomes `allocated` or `shipped` as its placed units are, and
    an order with nothing left to send becomes `shipped` (or `delivered`).

    A line the order does not have, one not backordered, or more units than wait is 422 at
    `$.lines.<line id>`; an order in another status is 409 naming it (before release, cancel
    the whole order with `POST /v1/orders/{order_id}/cancel`). The audit entry
    (`order.cancel_backordered`) holds, before and after, the units of each line that wait
    (`backordered`) and that are cancelled (`cancelled`)."""
    command = commands.CancelBackordered(
        order_id, body.reason, dict(body.lines) if body.lines is not None else None, who.actor
    )
    return _change(
        services,
        who,
        order_id,
        command,
        "order.cancel_backordered",
        body.model_dump(mode="json"),
        _waiting_and_cancelled,
    )


def _lines_and_address(uow: UnitOfWork, order: Order) -> dict[str, Any]:
    """The order's lines (id -> quantity), ship-to address, and whether it is shipped or
    collected where: the audit's before and after of a modification, so the entry says what
    these were, not only what was asked."""
    # As it was given: the coordinates are looked up from the postal code, not asked for.
    given = {k: v for k, v in asdict(order.ship_to).items() if k not in ("lat", "lon")}
    return {
        "lines": {line.id: line.quantity for line in order.lines},
        "ship_to": given,
        "fulfilment": str(order.fulfilment),
        "pickup_location": order.pickup_location,
    }


@router.post("/{order_id}/modify", response_model=OrderOut, responses=problem_responses(404, 409))
def modify_order(
    order_id: OrderPath, body: ModifyIn, who: CanModifyOrders, services: Services
) -> OrderOut:
    """Change quantities (a kit line's by whole kits: `kits`), lines or the address, or
    switch between shipping and collection at a store, until fulfilment starts: before
    release, or released while none of its shipments is picked (they are cancelled, naming
    the modification, and their stock given back). The order is decided again. Once a
    location has picked, packed or shipped any of it this is 409 naming its status and that
    shipment."""
    command = commands.ModifyOrder(
        order_id=order_id,
        quantities=dict(body.quantities),
        ship_to=body.ship_to.to_command() if body.ship_to else None,
        add_lines=tuple(line.to_command() for line in body.add_lines),
        remove_lines=tuple(body.remove_lines),
        actor=who.actor,
        fulfilment=body.fulfilment.value if body.fulfilment is not None else None,
        pickup_location=body.pickup_location,
        kits=dict(body.kits),
    )
    # An added line, or kits, the order cannot take are a 422 at its path (InvalidLine).
    return _change(
        services,
        who,
        order_id,
        command,
        "order.modify",
        {"request": body.model_dump(mode="json")},
        _lines_and_address,
    )


@router.post(
    "/{order_id}/release-hold", response_model=OrderOut, responses=problem_responses(404, 409)
)
def release_hold(order_id: OrderPath, who: CanReleaseOrders, services: Services) -> OrderOut:
    """Clear every open hold; the order re-enters the pipeline."""
    return _change(
        services, who, order_id, commands.ReleaseHold(order_id, who.actor), "order.release_hold", {}
    )


@router.post("/{order_id}/release", response_model=OrderOut, responses=problem_responses(404, 409))
def release_order(order_id: OrderPath, who: CanReleaseOrders, services: Services) -> OrderOut:
    """Release a `carrier_assigned` order's shipments to their locations, when releases are
    not automatic (`ORDO_AUTO_RELEASE=false`); any other status is 409 naming it."""
    return _change(
        services, who, order_id, commands.ReleaseOrder(order_id, who.actor), "order.release", {}
    )
