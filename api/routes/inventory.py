"""Inventory: stock by SKU and by location, ATP across locations, and stock movements.

Warehouse keys see and move only their own locations' stock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.exceptions import RequestValidationError

from api.commands import dispatch
from api.deps import CanReadInventory, CanWriteInventory, Services, Uow
from api.schemas.common import IsoDate, problem_responses
from api.schemas.inventory import (
    AdjustIn,
    AtpLocation,
    AtpOut,
    CountIn,
    ReceiveIn,
    ReorderSuggestionOut,
    StockCountOut,
    StockOut,
    TransferIn,
    TransferOut,
    TransferShippedIn,
    TransferStatus,
)
from api.schemas.patterns import CODE, ID, SKU
from engine.domain import commands
from engine.domain.access import Principal, Role
from engine.domain.errors import NotFound
from engine.domain.inventory import InboundKind, Stock
from engine.domain.values import utcnow
from engine.service_layer import audit, inventory
from engine.service_layer.auth import Forbidden, can_work_location
from engine.service_layer.counts import CountRefused
from engine.service_layer.unit_of_work import UnitOfWork

router = APIRouter(prefix="/v1/inventory", tags=["inventory"])

SkuPath = Annotated[str, Path(pattern=SKU)]
CodePath = Annotated[str, Path(pattern=CODE)]
TransferPath = Annotated[str, Path(pattern=ID)]


def _visible(who: Principal, rows: list[Stock]) -> list[Stock]:
    if who.role is Role.WAREHOUSE:
        return [row for row in rows if row.location_code in who.locations]
    return rows


def _may_move(who: Principal, *locations: str) -> None:
    for code in locations:
        if not can_work_location(who, code):
            raise Forbidden(f"this key works only locations {', '.join(who.locations)}, not {code}")


@router.get("/skus/{sku}", response_model=list[StockOut], responses=problem_responses())
def stock_for_sku(sku: SkuPath, who: CanReadInventory, uow: Uow) -> list[StockOut]:
    """Stock of one SKU at every location (a warehouse key: its own locations)."""
    with uow:
        return [StockOut.of(s) for s in _visible(who, list(uow.stock.for_sku(sku)))]


@router.get("/locations/{code}", response_model=list[StockOut], responses=problem_responses())
def stock_at_location(code: CodePath, who: CanReadInventory, uow: Uow) -> list[StockOut]:
    """Every SKU's stock at one location."""
    _may_move(who, code)
    with uow:
        return [StockOut.of(s) for s in uow.stock.for_location(code)]


@router.get("/atp/{sku}", response_model=AtpOut, responses=problem_responses())
def available_to_promise(
    sku: SkuPath,
    who: CanReadInventory,
    uow: Uow,
    channel: Annotated[
        str | None, Query(pattern=CODE, description="Promise for this channel.")
    ] = None,
) -> AtpOut:
    """Available to promise across locations, net of other channels' allocations."""
    with uow:
        rows = _visible(who, list(uow.stock.for_sku(sku)))
        locations = [
            AtpLocation(location_code=s.location_code, available=s.available_for(channel))
            for s in rows
        ]
    return AtpOut(
        sku=sku, channel=channel, total=sum(loc.available for loc in locations), locations=locations
    )


@router.get(
    "/reorder-suggestions",
    response_model=list[ReorderSuggestionOut],
    responses=problem_responses(),
    summary="What to buy, per SKU and location",
)
def reorder_suggestions(
    who: CanReadInventory,
    uow: Uow,
    today: Annotated[
        date | None,
        Query(description="Forecast as of this day; today (UTC) when omitted."),
        IsoDate,
    ] = None,
    history_days: Annotated[int, Query(ge=1, le=365, description="Days of demand read.")] = 28,
    lead_time_days: Annotated[int, Query(ge=0, le=365)] = 7,
    cover_days: Annotated[int, Query(ge=0, le=365, description="Days to cover beyond it.")] = 14,
    method: Literal["moving_average", "exponential_smoothing"] = "moving_average",
    alpha: Annotated[float, Query(gt=0, le=1, description="Smoothing factor.")] = 0.3,
    all_rows: Annotated[
        bool, Query(description="Also list rows above their reorder point (quantity 0).")
    ] = False,
) -> list[ReorderSuggestionOut]:
    """Forecast daily demand from order history, compare each location's position (on hand
    - reserved + inbound) with its reorder point, and suggest how much to buy where it is at
    or below it. Warehouse keys see their own locations."""
    rows = inventory.reorder_suggestions(
        uow,
        today or utcnow().date(),
        history_days=history_days,
        lead_time_days=lead_time_days,
        cover_days=cover_days,
        method=method,
        alpha=alpha,
    )
    return [
        ReorderSuggestionOut.of(row)
        for row in rows
        if (all_rows or row.suggested_quantity > 0) and can_work_location(who, row.location_code)
    ]


@router.get(
    "/transfers",
    response_model=list[TransferOut],
    responses=problem_responses(),
    summary="Stock transfers between locations",
)
def list_transfers(
    who: CanReadInventory,
    uow: Uow,
    status: TransferStatus | None = None,
    location: Annotated[
        str | None, Query(pattern=CODE, description="Transfers into this location.")
    ] = None,
    sku: Annotated[str | None, Query(pattern=SKU)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[TransferOut]:
    """Transfers by expected arrival; `status=in_transit` is what is on its way. Warehouse
    keys see transfers into or out of their own locations."""
    with uow:
        supplies = uow.inbound.for_sku(sku) if sku else uow.inbound.list(limit=1_000_000)
        rows = [
            TransferOut.of(s)
            for s in sorted(supplies, key=lambda s: (s.expected_on, s.id))
            if s.kind == InboundKind.TRANSFER and location in (None, s.location_code)
        ]
    visible = [
        t
        for t in rows
        if (status is None or t.status == status)
        and (
            can_work_location(who, t.to_location)
            or (bool(t.from_location) and can_work_location(who, t.from_location))
        )
    ]
    return visible[offset : offset + limit]


@router.post(
    "/adjustments",
    response_model=StockOut,
    status_code=200,
    responses=problem_responses(404, 409),
)
def adjust(body: AdjustIn, who: CanWriteInventory, services: Services) -> StockOut:
    """Correct on-hand stock (a count, damage, shrinkage) by a signed delta."""
    _may_move(who, body.location_code)
    dispatch(
        services,
        commands.AdjustStock(body.sku, body.location_code, body.delta, body.reason, who.actor),
        _audit(who, "stock.adjust", body.sku, body.location_code, body.model_dump(), body.delta),
    )
    return _stock_now(services, body.sku, body.location_code)


@router.post(
    "/counts",
    response_model=StockCountOut,
    responses=problem_responses(404, 409),
    summary="Set on-hand stock to what a location counted",
)
def count(body: CountIn, who: CanWriteInventory, services: Services) -> StockCountOut:
    """A location's stock as counted (a warehouse system's levels, a cycle count): each SKU's
    on hand there becomes its count, as of when Ordo receives it, in one transaction. A
    count below what orders hold reserved sets on hand to the reserved figure and reports
    the line `short` (`stock.count_short`): the location reports those units as short picks
    of its shipments. Every line is checked first: a SKU the catalogue does not know or sent
    twice, or a disabled location, is 422 naming each bad line (`$.counts[i].sku`), and
    nothing is applied. A warehouse key counts its own locations."""
    _may_move(who, body.location_code)
    try:
        done = dispatch(services, body.to_command(who.actor))
    except CountRefused as refused:
        # Answered as bad fields are, every line at its path, not only the first.
        raise RequestValidationError(
            [
                {"loc": ("body", *bad.loc), "type": bad.code, "msg": bad.reason, "input": None}
                for bad in refused.problems
            ]
        ) from None
    return StockCountOut.of(done, body.counted_at)


@router.post("/receipts", response_model=StockOut, responses=problem_responses(404, 409))
def receive(body: ReceiveIn, who: CanWriteInventory, services: Services) -> StockOut:
    """Book units received at a location. A `reference` naming inbound supply (a purchase
    order, or a transfer's id) receives it and must match it: its SKU and location, and for
    a transfer its whole quantity (else 422, naming what differs; a purchase order may come
    in parts), once (else 409); nothing is booked when it does not. Any other reference is
    kept as the receipt's note. A transfer is received more simply by
    `POST /v1/inventory/transfers/{transfer_id}/receive`."""
    _may_move(who, body.location_code)
    dispatch(
        services,
        commands.ReceiveStock(
            body.sku, body.location_code, body.quantity, body.reference, who.actor
        ),
        _audit(
            who, "stock.receive", body.sku, body.location_code, body.model_dump(), body.quantity
        ),
    )
    return _stock_now(services, body.sku, body.location_code)


@router.post("/transfers", response_model=StockOut, responses=problem_responses(404, 409))
def transfer(body: TransferIn, who: CanWriteInventory, services: Services) -> StockOut:
    """Move units between locations; they arrive as inbound supply on `expected_on`."""
    _may_move(who, body.from_location)
    dispatch(
        services,
        commands.TransferStock(
            body.sku,
            body.from_location,
            body.to_location,
            body.quantity,
            body.expected_on,
            who.actor,
        ),
        _audit(
            who,
            "stock.transfer",
            body.sku,
            body.from_location,
            body.model_dump(mode="json"),
            -body.quantity,
        ),
    )
    return _stock_now(services, body.sku, body.from_location)


@router.post(
    "/transfers/{transfer_id}/receive",
    response_model=StockOut,
    responses=problem_responses(404, 409),
    summary="Receive a transfer at its destination",
)
def receive_transfer(
    transfer_id: TransferPath, who: CanWriteInventory, services: Services
) -> StockOut:
    """Book a transfer's arrival: its units join the on-hand stock of its destination, all
    of them and once (a second receipt is a 409 and books nothing). Answers the stock there.
    A warehouse key receives only into its own locations: one that sees the transfer leave
    its location gets a 403 naming the destination; one that sees neither end, a 404."""
    shown = _visible_transfer(who, services, transfer_id)
    _may_move(who, shown.to_location)
    summary: dict[str, object] = {
        "transfer_id": shown.id,
        "sku": shown.sku,
        "from_location": shown.from_location,
        "location_code": shown.to_location,
        "quantity": shown.quantity,
    }
    dispatch(
        services,
        commands.ReceiveTransfer(transfer_id, who.actor),
        _audit(
            who, "stock.receive_transfer", shown.sku, shown.to_location, summary, shown.quantity
        ),
    )
    return _stock_now(services, shown.sku, shown.to_location)


@router.post(
    "/transfers/{transfer_id}/shipped",
    response_model=TransferOut,
    responses=problem_responses(403, 404, 409),
    summary="Report a transfer shipped from the location it leaves",
)
def report_transfer_shipped(
    transfer_id: TransferPath, body: TransferShippedIn, who: CanWriteInventory, services: Services
) -> TransferOut:
    """The location a transfer leaves (its WMS, or a person there) says it shipped: when, with
    which carrier, under which tracking number, and the day the carrier expects it at its
    destination, which becomes the transfer's `expected_on`. Answers the transfer. Only a
    transfer in transit: a received or cancelled one is a 409. The same report again is
    answered the same and writes nothing; one with another `expected_on` revises the
    arrival day (`transfer.arrival_revised`); one with another carrier, tracking number or
    moment is a 409 naming what differs. A warehouse key reports only from its own
    locations: one that sees the transfer arrive gets a 403 naming its source; one that sees
    neither end, a 404."""
    shown = _visible_transfer(who, services, transfer_id)
    if not shown.from_location and who.role is Role.WAREHOUSE:
        # Seen only as it arrives; without a source no warehouse key is the sender's.
        raise Forbidden(f"transfer {transfer_id} has no recorded source: an admin reports it")
    _may_move(who, shown.from_location)
    dispatch(services, body.to_command(transfer_id, who.actor))
    return _visible_transfer(who, services, transfer_id)


def _visible_transfer(who: Principal, services: Services, transfer_id: str) -> TransferOut:
    """The transfer as `who` may see it: into or out of one of its locations (404 else, as
    for a transfer that does not exist)."""
    with services.container.uow_factory() as uow:
        found = uow.inbound.get(transfer_id)
    shown = TransferOut.of(found) if found and found.kind is InboundKind.TRANSFER else None
    if shown is None or not (
        can_work_location(who, shown.to_location)
        or (bool(shown.from_location) and can_work_location(who, shown.from_location))
    ):
        raise NotFound("transfer", transfer_id)
    return shown


def _stock_now(services: Services, sku: str, code: str) -> StockOut:
    """The stock row as the move left it, for the answer."""
    with services.container.uow_factory() as uow:
        stock = uow.stock.get((sku, code))
        if stock is None:
            raise NotFound("stock", f"{sku}@{code}")
        return StockOut.of(stock)


def _audit(
    who: Principal, action: str, sku: str, code: str, summary: dict[str, object], delta: int
) -> Callable[[UnitOfWork], None]:
    """The audit entry of a stock move of `delta` units at (sku, code), written in the move's
    own commit (`dispatch`), with the on-hand before and after it."""

    def audited(uow: UnitOfWork) -> None:
        stock = uow.stock.get((sku, code))
        on_hand = stock.on_hand if stock else 0
        before = {"on_hand": on_hand - delta}
        after = {**summary, "on_hand": on_hand}
        audit.record(uow, who.actor, action, "stock", f"{sku}@{code}", before, after)

    return audited
